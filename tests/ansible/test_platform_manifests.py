"""The platform role's manifests, rendered by ansible/render-platform.yml for both ingress
controllers, against the Kubernetes schemas (kubernetes-validate, built-in kinds) and the upstream
CRD schemas in CRD_SCHEMA_DIR (default ../shared/crds; HelmChart, HelmChartConfig, ClusterIssuer,
Application), with unknown fields refused; then the contract's values."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.support.crd_schemas import load_crd, read_lock

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
ROLE = REPO / "ansible" / "roles" / "platform"
CRD_FILES = {
    ("helm.cattle.io", "HelmChart"): "helm.cattle.io_helmcharts.yaml",
    ("helm.cattle.io", "HelmChartConfig"): "helm.cattle.io_helmchartconfigs.yaml",
    ("cert-manager.io", "ClusterIssuer"): "cert-manager.io_clusterissuers.yaml",
    ("argoproj.io", "Application"): "argoproj.io_applications.yaml",
}


def group_vars_file() -> Path:
    """inventory/group_vars/all/main.yml, or the older single file all.yml."""
    directory = REPO / "inventory" / "group_vars"
    return next(p for p in (directory / "all" / "main.yml", directory / "all.yml") if p.exists())


GROUP_VARS = yaml.safe_load(group_vars_file().read_text())

Manifests = dict[tuple[str, str], dict[str, Any]]


def kubernetes_minor() -> str:
    major, minor = GROUP_VARS["k3s_version"].lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


def render(tmp: Path, *extra: str) -> Manifests:
    result = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "render-platform.yml",
            "-e",
            f"platform_render_dir={tmp}",
            *extra,
        ],
        cwd=REPO / "ansible",
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifests: Manifests = {}
    for path in sorted(tmp.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            key = (document["kind"], document["metadata"]["name"])
            assert key not in manifests, f"{key} rendered twice"
            manifests[key] = document
    return manifests


@pytest.fixture(scope="module", params=["traefik", "ingress-nginx"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Manifests:
    tmp = tmp_path_factory.mktemp(f"platform-{request.param}")
    manifests = render(tmp, "-e", f"ingress_controller={request.param}")
    manifests[("_", "ingress_controller")] = {"value": request.param}
    return manifests


def documents(manifests: Manifests) -> list[dict[str, Any]]:
    return [doc for (kind, _), doc in manifests.items() if kind != "_"]


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An openAPIV3Schema as JSON Schema that refuses unknown fields."""
    result = dict(schema)
    if result.pop("nullable", False) and "type" in result:
        result["type"] = [result["type"], "null"]
    if (
        result.get("type") == "object"
        and "properties" in result
        and "additionalProperties" not in result
        and not result.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    if "properties" in result:
        result["properties"] = {k: strict(v) for k, v in result["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(result.get(key), dict):
            result[key] = strict(result[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in result:
            result[key] = [strict(item) for item in result[key]]
    return result


def crd_schema(group: str, kind: str, version: str) -> dict[str, Any]:
    crd = load_crd(CRD_FILES[(group, kind)])
    assert crd["spec"]["group"] == group
    assert crd["spec"]["names"]["kind"] == kind
    served = {v["name"]: v for v in crd["spec"]["versions"] if v["served"]}
    assert version in served, f"{group}/{version} {kind} is not served by the CRD"
    return strict(served[version]["schema"]["openAPIV3Schema"])


def test_custom_resources_match_the_upstream_crd_schemas(rendered: Manifests) -> None:
    checked = set()
    for document in documents(rendered):
        group, _, version = document["apiVersion"].rpartition("/")
        if (group, document["kind"]) not in CRD_FILES:
            continue
        schema = crd_schema(group, document["kind"], version)
        jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
        checked.add(document["kind"])
    controller = rendered[("_", "ingress_controller")]["value"]
    expected = {"HelmChart", "ClusterIssuer", "Application"}
    assert checked == (expected | {"HelmChartConfig"} if controller == "traefik" else expected)


def test_the_schemas_read_here_are_pinned_in_the_lock() -> None:
    assert set(CRD_FILES.values()) <= {entry.name for entry in read_lock()}


def test_a_field_unknown_to_the_crd_is_refused() -> None:
    schema = crd_schema("argoproj.io", "Application", "v1alpha1")
    application = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "x"},
        "spec": {
            "destination": {"server": "https://kubernetes.default.svc"},
            "source": {"repoURL": "https://example.org/x.git", "path": "."},
            "project": "default",
            "syncPolicy": {"retry": {"limit": 5, "backof": {"duration": "5s"}}},
        },
    }
    with pytest.raises(jsonschema.ValidationError, match="backof"):
        jsonschema.validate(application, schema, cls=jsonschema.Draft7Validator)


def test_built_in_kinds_pass_kubernetes_validate(rendered: Manifests) -> None:
    built_in = [d for d in documents(rendered) if "." not in d["apiVersion"].split("/")[0]]
    # The ConfigMap holds the observability stack's alert rules.
    assert {d["kind"] for d in built_in} == {"Namespace", "ConfigMap"}
    for document in built_in:
        kubernetes_validate.validate(document, kubernetes_minor(), strict=True)


def test_the_application_follows_the_delivery_contract(rendered: Manifests) -> None:
    application = rendered[("Application", "household-task-manager")]
    assert application["metadata"]["namespace"] == "argocd"
    assert application["spec"]["source"] == {
        "repoURL": GROUP_VARS["platform_gitops_repo_url"],
        "targetRevision": GROUP_VARS["platform_gitops_revision"],
        "path": "gitops/production",
    }
    assert application["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "household-task-manager",
    }
    assert application["spec"]["syncPolicy"] == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true"],
        "retry": {
            "limit": 5,
            "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
        },
    }


def values(manifests: Manifests, kind: str, name: str) -> dict[str, Any]:
    loaded = yaml.safe_load(manifests[(kind, name)]["spec"]["valuesContent"])
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    ("chart", "repo", "version", "namespace"),
    [
        ("cert-manager", "https://charts.jetstack.io", "v1.21.1", "cert-manager"),
        (
            "sealed-secrets",
            "https://bitnami-labs.github.io/sealed-secrets",
            "2.18.5",
            "kube-system",
        ),
        ("argo-cd", "https://argoproj.github.io/argo-helm", "10.1.1", "argocd"),
    ],
)
def test_charts_are_pinned(
    rendered: Manifests, chart: str, repo: str, version: str, namespace: str
) -> None:
    spec = rendered[("HelmChart", chart)]["spec"]
    assert (spec["chart"], spec["repo"], spec["version"]) == (chart, repo, version)
    assert spec["targetNamespace"] == namespace
    assert rendered[("HelmChart", chart)]["metadata"]["namespace"] == "kube-system"


def test_chart_values_carry_the_contract(rendered: Manifests) -> None:
    assert values(rendered, "HelmChart", "cert-manager")["crds"]["enabled"] is True
    # kubeseal --controller-name sealed-secrets --controller-namespace kube-system
    assert values(rendered, "HelmChart", "sealed-secrets")["fullnameOverride"] == "sealed-secrets"
    argo = values(rendered, "HelmChart", "argo-cd")
    assert argo["fullnameOverride"] == "argocd"
    assert argo["crds"]["install"] is True


def test_the_ingress_controller_setting_selects_chart_and_issuer_class(
    rendered: Manifests,
) -> None:
    controller = rendered[("_", "ingress_controller")]["value"]
    issuers = {name: doc for (kind, name), doc in rendered.items() if kind == "ClusterIssuer"}
    assert set(issuers) == {"letsencrypt-staging", "letsencrypt-prod"}
    expected_class = "traefik" if controller == "traefik" else "nginx"
    servers = {
        "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
        "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
    }
    for name, issuer in issuers.items():
        acme = issuer["spec"]["acme"]
        assert acme["server"] == servers[name]
        assert acme["email"] == GROUP_VARS["platform_acme_email"]
        assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": expected_class}}}]
    if controller == "traefik":
        assert ("HelmChartConfig", "traefik") in rendered
        assert ("HelmChart", "ingress-nginx") not in rendered
    else:
        assert ("HelmChartConfig", "traefik") not in rendered
        spec = rendered[("HelmChart", "ingress-nginx")]["spec"]
        assert (spec["chart"], spec["version"]) == ("ingress-nginx", "4.15.1")
        nginx = values(rendered, "HelmChart", "ingress-nginx")["controller"]
        assert nginx["ingressClassResource"]["name"] == "nginx"


def ingress_pod_values(rendered: Manifests) -> dict[str, Any]:
    """The ingress controller's workload values, by meaning: Traefik keeps them at the top of
    its values, ingress-nginx under `controller`, with other names for the same things."""
    if rendered[("_", "ingress_controller")]["value"] == "traefik":
        traefik = values(rendered, "HelmChartConfig", "traefik")
        return {
            "traffic_policy": traefik["service"]["spec"]["externalTrafficPolicy"],
            "kind": traefik["deployment"]["kind"],
            **{key: traefik[key] for key in ("nodeSelector", "tolerations", "updateStrategy")},
        }
    nginx = values(rendered, "HelmChart", "ingress-nginx")["controller"]
    return {
        "traffic_policy": nginx["service"]["externalTrafficPolicy"],
        "kind": nginx["kind"],
        **{key: nginx[key] for key in ("nodeSelector", "tolerations", "updateStrategy")},
    }


def tolerates(tolerations: list[dict[str, str]], key: str, effect: str) -> bool:
    """Kubernetes' matching of a taint by tolerations (operator Exists, or Equal on any value)."""
    return any(
        toleration.get("key", "") in ("", key)
        and toleration.get("effect", "") in ("", effect)
        and toleration.get("operator", "Equal") == "Exists"
        for toleration in tolerations
    )


def test_the_ingress_answers_on_every_server_with_the_client_address(rendered: Manifests) -> None:
    """The router forwards 80/443 to a server. ServiceLB with externalTrafficPolicy Local (kept
    so that login throttling sees the client's address, not a node's) forwards only on nodes
    with a ready ingress pod: so one pod on every server node, and none elsewhere."""
    ingress = ingress_pod_values(rendered)
    assert ingress["traffic_policy"] == "Local"
    assert ingress["kind"] == "DaemonSet"
    # k3s labels its servers so; agents have no such label.
    assert ingress["nodeSelector"] == {"node-role.kubernetes.io/control-plane": "true"}
    # Servers tainted to keep workloads off them must still run the ingress.
    for key, effect in [
        ("node-role.kubernetes.io/control-plane", "NoSchedule"),
        ("node-role.kubernetes.io/control-plane", "NoExecute"),
        ("CriticalAddonsOnly", "NoExecute"),
    ]:
        assert tolerates(ingress["tolerations"], key, effect), (key, effect)
    assert not tolerates(ingress["tolerations"], "example.org/other", "NoSchedule")
    # One node at a time, the new pod ready before the old one goes.
    assert ingress["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }


def test_the_playbook_waits_for_the_ingress_daemonset() -> None:
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert role_vars["platform_workloads_ingress"] == {
        "traefik": "kube-system daemonset/traefik",
        "ingress-nginx": "ingress-nginx daemonset/ingress-nginx-controller",
    }


QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?")
UNITS = {None: 1.0, "m": 0.001, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30}


def quantity(value: object) -> float:
    match = QUANTITY.fullmatch(str(value))
    assert match, f"not a Kubernetes quantity: {value!r}"
    return float(match[1]) * UNITS[match[2]]


# (kind, name) of the chart's manifest -> the values paths whose `resources` size a container.
RESOURCE_PATHS: dict[tuple[str, str], list[tuple[str, ...]]] = {
    ("HelmChart", "argo-cd"): [
        ("controller",),
        ("repoServer",),
        ("repoServer", "copyutil"),
        ("server",),
        ("redis",),
        ("applicationSet",),
        ("redisSecretInit",),
    ],
    ("HelmChart", "cert-manager"): [(), ("webhook",), ("cainjector",), ("startupapicheck",)],
    ("HelmChart", "sealed-secrets"): [()],
    ("HelmChartConfig", "traefik"): [()],
    ("HelmChart", "ingress-nginx"): [("controller",)],
}


def test_every_platform_workload_requests_cpu_and_memory(rendered: Manifests) -> None:
    checked: list[tuple[str, tuple[str, ...]]] = []
    for (kind, name), paths in RESOURCE_PATHS.items():
        if (kind, name) not in rendered:
            continue  # the other ingress controller
        chart_values = values(rendered, kind, name)
        for path in paths:
            node = chart_values
            for key in path:
                node = node[key]
            resources = node["resources"]
            where = f"{name} {'.'.join(path) or '(top level)'}"
            assert quantity(resources["requests"]["cpu"]) > 0, where
            assert quantity(resources["requests"]["memory"]) >= 16 * 2**20, where
            # A memory ceiling well above the request: a leak is killed in its own pod.
            limit = quantity(resources["limits"]["memory"])
            assert limit >= 2 * quantity(resources["requests"]["memory"]), where
            checked.append((name, path))
    controller = rendered[("_", "ingress_controller")]["value"]
    ingress = ("traefik", ()) if controller == "traefik" else ("ingress-nginx", ("controller",))
    assert ingress in checked
    assert len(checked) == 7 + 4 + 1 + 1  # Argo CD, cert-manager, Sealed Secrets, ingress


def test_k3s_disables_traefik_only_when_ingress_nginx_is_chosen(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    # Only the settings file, at the same place: a local vault file would need its password.
    settings = inventory / group_vars_file().relative_to(REPO / "inventory")
    settings.parent.mkdir(parents=True)
    shutil.copyfile(group_vars_file(), settings)
    (inventory / "hosts.yml").write_text((REPO / "inventory/hosts.example.yml").read_text())
    for controller, disabled in [("traefik", []), ("ingress-nginx", ["traefik"])]:
        result = subprocess.run(
            [
                str(BIN / "ansible"),
                "-i",
                str(inventory),
                "rpi-master",
                "-m",
                "ansible.builtin.debug",
                "-a",
                "var=k3s_server_disable",
                "-e",
                f"ingress_controller={controller}",
                "-o",
            ],
            cwd=REPO / "ansible",
            env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert yaml.safe_load(result.stdout.split("=>", 1)[1])["k3s_server_disable"] == disabled
