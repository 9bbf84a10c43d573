"""The observability stack of the platform role (platform-observability.yaml): pinned charts
that pass the HelmChart schema, built-in kinds that pass kubernetes-validate, the resource budget,
the setting that turns it off, and Debian's promtool on the scrape configuration, the alert rules
(with their unit tests) and the dashboards' queries."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.ansible.test_platform_manifests import (
    Manifests,
    crd_schema,
    kubernetes_minor,
    quantity,
    render,
    values,
)

REPO = Path(__file__).resolve().parents[2]
FILES = REPO / "ansible" / "roles" / "platform" / "files" / "observability"
PROMTOOL = Path("/usr/bin/promtool")
MANIFEST = "platform-observability.yaml"
SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount/"
PRODUCTION = yaml.safe_load((REPO / "cdk8s" / "environments" / "production.yaml").read_text())
NODES = sum(
    len(group.get("hosts", {}))
    for group in yaml.safe_load((REPO / "inventory" / "hosts.example.yml").read_text())["all"][
        "children"
    ].values()
)
MiB = 2**20

CHARTS = {
    "victoria-metrics-single": (
        "https://victoriametrics.github.io/helm-charts",
        "victoria-metrics-single",
        "0.12.4",
    ),
    "victoria-metrics-alert": (
        "https://victoriametrics.github.io/helm-charts",
        "victoria-metrics-alert",
        "0.12.4",
    ),
    "victoria-logs-single": (
        "https://victoriametrics.github.io/helm-charts",
        "victoria-logs-single",
        "0.11.26",
    ),
    "fluent-bit": ("https://fluent.github.io/helm-charts", "fluent-bit", "0.49.0"),
    "tempo": ("https://grafana.github.io/helm-charts", "tempo", "1.10.1"),
    "grafana": ("https://grafana.github.io/helm-charts", "grafana", "8.9.0"),
    "node-exporter": (
        "https://prometheus-community.github.io/helm-charts",
        "prometheus-node-exporter",
        "4.45.3",
    ),
    "kube-state-metrics": (
        "https://prometheus-community.github.io/helm-charts",
        "kube-state-metrics",
        "7.0.0",
    ),
    "postgres-exporter": (
        "https://prometheus-community.github.io/helm-charts",
        "prometheus-postgres-exporter",
        "7.0.0",
    ),
}
# chart -> (path to its `resources` in the values, pods per node (DaemonSet) or in all).
WORKLOADS: dict[tuple[str, tuple[str, ...]], bool] = {
    ("victoria-metrics-single", ("server",)): False,
    ("victoria-metrics-alert", ("server",)): False,
    ("victoria-metrics-alert", ("alertmanager",)): False,
    ("victoria-logs-single", ("server",)): False,
    ("fluent-bit", ()): True,
    ("tempo", ("tempo",)): False,
    ("grafana", ()): False,
    ("node-exporter", ()): True,
    ("kube-state-metrics", ()): False,
    ("postgres-exporter", ()): False,
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Manifests:
    tmp = tmp_path_factory.mktemp("observability")
    manifests = render(tmp)
    assert (tmp / MANIFEST).is_file()
    return manifests


@pytest.fixture(scope="module")
def promtool() -> Path:
    if not PROMTOOL.exists():
        pytest.fail("promtool is missing: run `make test-deps` or apt-get install prometheus")
    return PROMTOOL


def observability_documents(stack: Manifests) -> list[dict[str, Any]]:
    return [
        doc
        for (kind, name), doc in stack.items()
        if (kind == "HelmChart" and name in CHARTS)
        or doc["metadata"].get("namespace") == "monitoring"
        or (kind, name) == ("Namespace", "monitoring")
    ]


def test_every_chart_is_pinned_and_installed_by_k3s(stack: Manifests) -> None:
    for name, (repo, chart, version) in CHARTS.items():
        document = stack[("HelmChart", name)]
        assert document["metadata"]["namespace"] == "kube-system"
        spec = document["spec"]
        assert (spec["repo"], spec["chart"], spec["version"]) == (repo, chart, version)
        expected_namespace = (
            PRODUCTION["namespace"] if name == "postgres-exporter" else "monitoring"
        )
        assert spec["targetNamespace"] == expected_namespace


def test_the_manifests_pass_the_schemas(stack: Manifests) -> None:
    documents = observability_documents(stack)
    assert len(documents) == len(CHARTS) + 2  # and the Namespace and the rules' ConfigMap
    for document in documents:
        if document["kind"] == "HelmChart":
            schema = crd_schema("helm.cattle.io", "HelmChart", "v1")
            jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
        else:
            kubernetes_validate.validate(document, kubernetes_minor(), strict=True)
    kinds = sorted(d["kind"] for d in documents if d["kind"] != "HelmChart")
    assert kinds == ["ConfigMap", "Namespace"]


def resources_of(stack: Manifests, chart: str, path: tuple[str, ...]) -> dict[str, Any]:
    node = values(stack, "HelmChart", chart)
    for key in path:
        node = node[key]
    resources: dict[str, Any] = node["resources"]
    return resources


def test_the_stack_fits_its_budget_with_limits(stack: Manifests) -> None:
    """At most 768 MiB and half a CPU requested across the cluster (DaemonSets once per node),
    and every container capped."""
    assert NODES == 3
    memory = cpu = 0.0
    for (chart, path), per_node in WORKLOADS.items():
        resources = resources_of(stack, chart, path)
        pods = NODES if per_node else 1
        memory += pods * quantity(resources["requests"]["memory"])
        cpu += pods * quantity(resources["requests"]["cpu"])
        for kind in ("memory", "cpu"):
            limit = quantity(resources["limits"][kind])
            assert limit >= 2 * quantity(resources["requests"][kind]), (chart, path, kind)
    assert memory == 608 * MiB
    assert cpu == pytest.approx(0.255)
    # nginx's exporter beside each frontend pod (cdk8s) is part of the stack too.
    frontend = next(
        doc
        for doc in yaml.safe_load_all((REPO / "gitops/production/frontend.yaml").read_text())
        if doc and doc["kind"] == "Deployment"
    )
    [exporter] = [
        c
        for c in frontend["spec"]["template"]["spec"]["containers"]
        if c["name"] == "nginx-exporter"
    ]
    for kind in ("memory", "cpu"):
        request = quantity(exporter["resources"]["requests"][kind])
        assert quantity(exporter["resources"]["limits"][kind]) >= 2 * request
    replicas = frontend["spec"]["replicas"]
    memory += replicas * quantity(exporter["resources"]["requests"]["memory"])
    cpu += replicas * quantity(exporter["resources"]["requests"]["cpu"])
    assert memory == 640 * MiB
    assert cpu == pytest.approx(0.265)
    assert memory <= 768 * MiB
    assert cpu <= 0.5


def test_one_setting_turns_the_whole_stack_off(tmp_path: Path) -> None:
    manifests = render(tmp_path, "-e", "platform_observability_enabled=false")
    assert not (tmp_path / MANIFEST).exists()
    assert not any(kind == "HelmChart" and name in CHARTS for kind, name in manifests)
    assert ("HelmChart", "argo-cd") in manifests
    role_vars = yaml.safe_load((REPO / "ansible/roles/platform/vars/main.yml").read_text())
    # What the playbook deletes on the servers when the stack is off: every chart it installs.
    assert set(role_vars["platform_observability_charts"]) == set(CHARTS)


def test_the_environment_file_turns_the_stack_on_and_names_its_namespace(tmp_path: Path) -> None:
    """One source with cdk8s: the `observability:` section of production.yaml."""
    document = yaml.safe_load((REPO / "cdk8s/environments/production.yaml").read_text())
    document["observability"]["namespace"] = "metrics"
    moved = tmp_path / "moved.yaml"
    moved.write_text(yaml.safe_dump(document))
    manifests = render(tmp_path / "moved", "-e", f"app_environment_file={moved}")
    assert manifests[("HelmChart", "grafana")]["spec"]["targetNamespace"] == "metrics"
    assert ("Namespace", "metrics") in manifests
    del document["observability"]
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump(document))
    manifests = render(tmp_path / "off", "-e", f"app_environment_file={off}")
    assert not (tmp_path / "off" / MANIFEST).exists()
    assert ("HelmChart", "argo-cd") in manifests


def test_grafana_is_published_to_the_home_network_only(stack: Manifests) -> None:
    grafana = values(stack, "HelmChart", "grafana")
    assert grafana["service"] == {
        "type": "LoadBalancer",
        "port": 3000,
        "loadBalancerSourceRanges": ["192.168.0.0/16", "10.0.0.0/8"],
    }
    assert grafana["grafana.ini"]["auth.anonymous"] == {"enabled": False}
    assert grafana["grafana.ini"]["users"] == {"allow_sign_up": False}
    sources = {s["uid"]: s for s in grafana["datasources"]["datasources.yaml"]["datasources"]}
    assert sources["metrics"]["url"] == "http://victoria-metrics-single-server.monitoring.svc:8428"
    assert sources["traces"]["url"] == "http://tempo.monitoring.svc:3100"
    dashboards = grafana["dashboards"]["household"]
    assert set(dashboards) == {"household-app", "postgresql", "pis"}
    for name, dashboard in dashboards.items():
        assert json.loads(dashboard["json"]) == json.loads(
            (FILES / "dashboards" / f"{name}.json").read_text()
        )


def scrape_config(stack: Manifests) -> dict[str, Any]:
    """A fresh copy each time: a test may change it."""
    config: dict[str, Any] = values(stack, "HelmChart", "victoria-metrics-single")["server"][
        "scrape"
    ]["config"]
    return config


def test_the_scrape_configuration_passes_promtool(
    stack: Manifests, promtool: Path, tmp_path: Path
) -> None:
    config = scrape_config(stack)
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert jobs == [
        "household-backend",
        "household-frontend",
        "postgres",
        "node",
        "kube-state-metrics",
        "apiserver",
        "kubelet",
        "platform",
        "observability",
    ]
    # Debian builds Prometheus without Kubernetes discovery, so its promtool refuses the
    # kubernetes_sd_configs blocks: here each becomes a static target; the rest is checked as is.
    discovered = 0
    for job in config["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None):
            job["static_configs"] = [{"targets": ["discovered.invalid:80"]}]
            discovered += 1
    assert discovered == 5
    # promtool opens the files a job names: the pod's service account is one here.
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("token")
    (account / "ca.crt").write_text("certificate")
    shutil.copy(FILES / "alerts.yml", tmp_path / "alerts.yml")
    text = yaml.safe_dump({**config, "rule_files": ["alerts.yml"]})
    assert text.count(SERVICE_ACCOUNT) == 4
    (tmp_path / "prometheus.yml").write_text(text.replace(SERVICE_ACCOUNT, f"{account}/"))
    result = subprocess.run(
        [str(promtool), "check", "config", "prometheus.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 12 rules found" in result.stdout


def test_the_scrape_targets_match_the_app(stack: Manifests) -> None:
    """The backend is found by the labels and port cdk8s gives it, the exporter by its name."""
    backend = next(
        doc
        for doc in yaml.safe_load_all((REPO / "gitops/production/backend.yaml").read_text())
        if doc and doc["kind"] == "Deployment"
    )
    pod = backend["spec"]["template"]
    ports = [p["containerPort"] for c in pod["spec"]["containers"] for p in c.get("ports", [])]
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "backend"
    assert 8000 in ports
    jobs = {job["job_name"]: job for job in scrape_config(stack)["scrape_configs"]}
    keep = jobs["household-backend"]["relabel_configs"][0]
    assert keep["regex"] == "backend;8000"
    assert jobs["household-frontend"]["relabel_configs"][0]["regex"] == "frontend;9113"
    assert jobs["household-backend"]["kubernetes_sd_configs"][0]["namespaces"] == {
        "names": [PRODUCTION["namespace"]]
    }
    # A target's namespace label would rename the series' own (a Certificate's namespace, in
    # the alert CertificateExpiringSoon) to exported_namespace.
    for job in jobs.values():
        assert all(r.get("target_label") != "namespace" for r in job.get("relabel_configs", []))
    exporter = values(stack, "HelmChart", "postgres-exporter")
    assert exporter["fullnameOverride"] == "postgres-exporter"
    assert exporter["service"]["port"] == 9187
    assert jobs["postgres"]["static_configs"] == [
        {"targets": [f"postgres-exporter.{PRODUCTION['namespace']}.svc:9187"]}
    ]


def test_the_alert_rules_pass_their_unit_tests(promtool: Path) -> None:
    result = subprocess.run(
        [str(promtool), "test", "rules", "alerts_test.yml"],
        cwd=FILES,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_test_that_fires_it_and_one_that_does_not() -> None:
    rules = yaml.safe_load((FILES / "alerts.yml").read_text())
    alerts = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert alerts == [
        "BackendDown",
        "BackendNotReady",
        "BackendErrorRate",
        "BackendLatencyHigh",
        "PostgresDown",
        "DiskNearlyFull",
        "PiTemperatureHigh",
        "CertificateExpiringSoon",
        "BackupFailed",
        "BackupTooOld",
        "DatastoreSnapshotCopyTooOld",
        "RemindersNotSent",
    ]
    fired: set[str] = set()
    quiet: set[str] = set()
    for test in yaml.safe_load((FILES / "alerts_test.yml").read_text())["tests"]:
        for case in test["alert_rule_test"]:
            (fired if case["exp_alerts"] else quiet).add(case["alertname"])
    assert fired == set(alerts)
    assert quiet == set(alerts)


def test_the_rules_watch_the_app_as_deployed() -> None:
    text = (FILES / "alerts.yml").read_text()
    assert f'namespace="{PRODUCTION["namespace"]}"' in text
    backup = [
        doc
        for doc in yaml.safe_load_all((REPO / "gitops/production/backup.yaml").read_text())
        if doc and doc["kind"] == "CronJob"
    ]
    assert "postgres-backup" in {doc["metadata"]["name"] for doc in backup}


def test_the_rules_configmap_carries_the_tested_file(stack: Manifests) -> None:
    config = stack[("ConfigMap", "household-alert-rules")]
    assert config["metadata"]["namespace"] == "monitoring"
    assert config["data"]["alert-rules.yaml"] == (FILES / "alerts.yml").read_text().rstrip("\n")
    alert = values(stack, "HelmChart", "victoria-metrics-alert")
    assert alert["server"]["configMap"] == "household-alert-rules"
    assert alert["server"]["datasource"]["url"] == (
        "http://victoria-metrics-single-server.monitoring.svc:8428"
    )


def dashboard_queries() -> list[tuple[str, str, str]]:
    queries = []
    for path in sorted((FILES / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "metrics"}
            for target in panel["targets"]:
                queries.append((dashboard["uid"], panel["title"], target["expr"]))
    return queries


def test_the_dashboards_cover_app_database_and_pis_in_valid_promql(
    promtool: Path, tmp_path: Path
) -> None:
    """Each query becomes a recording rule, which promtool parses as PromQL."""
    queries = dashboard_queries()
    titles = {(uid, title) for uid, title, _ in queries}
    for expected in [
        ("household-app", "Requests per second by route"),
        ("household-app", "p50 latency by route"),
        ("household-app", "p99 latency by route"),
        ("household-app", "Errors per second by status"),
        ("household-app", "Completions per day"),
        ("postgresql", "Connections"),
        ("pis", "CPU temperature"),
        ("pis", "Disk use (SD cards and SSD)"),
        ("pis", "Memory use"),
    ]:
        assert expected in titles
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"dashboard:query_{index}", "expr": expr}
                    for index, (_, _, expr) in enumerate(queries)
                ],
            }
        ]
    }
    (tmp_path / "queries.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [str(promtool), "check", "rules", "queries.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_node_exporter_reads_the_textfile_directory_the_snapshot_copy_writes(
    stack: Manifests,
) -> None:
    """The chart mounts each node's root read-only at /host/root (hostRootFsMount, on by
    default); the k3s_snapshot role writes its copy's metric into the same directory."""
    node_exporter = values(stack, "HelmChart", "node-exporter")
    settings = yaml.safe_load((REPO / "inventory/group_vars/all/main.yml").read_text())
    directory = settings["platform_node_exporter_textfile_dir"]
    assert node_exporter["extraArgs"] == [f"--collector.textfile.directory=/host/root{directory}"]
    assert "hostRootFsMount" not in node_exporter
    assert settings["k3s_snapshot_metrics_dir"] == "{{ platform_node_exporter_textfile_dir }}"
    script = REPO / "ansible/roles/k3s_snapshot/files/k3s-datastore-snapshot-copy"
    assert "k3s_datastore_snapshot_copy_newest_timestamp_seconds" in script.read_text()
