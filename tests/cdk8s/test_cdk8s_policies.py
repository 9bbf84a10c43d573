"""Policies over the synthesized manifests of every environment (and the ingress-nginx variant)."""

from __future__ import annotations

from typing import Any

import pytest
from gitops_support import Synthesized, containers, pod_specs

# Containers allowed to start as root, and why. Nothing else may.
ROOT_ALLOWED = {
    # Hands the data directory on the local PV to uid 70 (chown needs root), then exits; the
    # postgres server itself runs as uid 70.
    ("postgres", "prepare-data-dir"),
}
VARIANTS = ["production", "staging", "production-ingress-nginx", "production-home-receivers"]


@pytest.fixture(params=VARIANTS)
def env(request: pytest.FixtureRequest, every_variant: dict[str, Synthesized]) -> Synthesized:
    return every_variant[request.param]


def _all_containers(env: Synthesized) -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """(workload, field, container name, container, pod spec) for every container."""
    return [
        (workload["metadata"]["name"], field, c["name"], c, template["spec"])
        for workload, template in pod_specs(env.documents)
        for field, c in containers(template["spec"])
    ]


def test_every_container_has_requests_and_limits(env: Synthesized) -> None:
    found = _all_containers(env)
    # postgres x2, backend x3, the reminder sender, frontend, backup (pg-dump, restic), restore
    # (restic-dump, pg-restore), and nginx's exporter beside the frontend where the observability
    # stack runs
    assert len(found) == (12 if env.config.observability else 11)
    for workload, _, name, container, _ in found:
        res = container.get("resources", {})
        for bound in ("requests", "limits"):
            assert set(res.get(bound, {})) == {"cpu", "memory"}, (workload, name, bound)


def test_no_container_keeps_the_cdk8s_plus_default_resources(env: Synthesized) -> None:
    # cdk8s-plus defaults to cpu 1000m/1500m and memory 512Mi/2048Mi: far beyond a Pi.
    for workload, _, name, container, _ in _all_containers(env):
        limits = container["resources"]["limits"]
        assert limits["cpu"] not in {"1000m", "1500m"}, (workload, name)
        assert limits["memory"] != "2048Mi", (workload, name)


def test_every_long_running_container_has_liveness_and_readiness_probes(env: Synthesized) -> None:
    long_running = [
        c
        for c in _all_containers(env)
        if c[1] == "containers"
        and c[0] not in {"postgres-backup", "postgres-restore", "reminder-sender"}
    ]
    exporter = {"nginx-exporter"} if env.config.observability else set()
    assert {c[2] for c in long_running} == {"postgres", "backend", "frontend", *exporter}
    for workload, _, name, container, _ in long_running:
        assert "livenessProbe" in container, (workload, name)
        assert "readinessProbe" in container, (workload, name)


def test_no_plaintext_secret_is_ever_produced(env: Synthesized) -> None:
    assert env.of_kind("Secret") == []
    assert {s["metadata"]["name"] for s in env.of_kind("SealedSecret")} == {
        "database-secret",
        "backend-secret",
        "backup-secret",
    }
    for sealed in env.of_kind("SealedSecret"):
        assert set(sealed["spec"]) == {"encryptedData", "template"}  # no deprecated `data`


def test_every_image_is_pinned_and_never_latest(env: Synthesized) -> None:
    for workload, _, name, container, _ in _all_containers(env):
        image = container["image"]
        repository, _, tag = image.rpartition(":")
        assert repository, (workload, name, image)
        assert "/" not in tag, (workload, name, image)
        assert tag not in {"latest", "main"}, (workload, name, image)
        assert container["imagePullPolicy"] == "IfNotPresent", (workload, name)


def test_app_images_carry_the_environment_config_tags(env: Synthesized) -> None:
    images = {(w, n): c["image"] for w, _, n, c, _ in _all_containers(env)}
    config = env.config
    backend = f"ghcr.io/{config.image_owner}/household-task-manager-backend:{config.backend_tag}"
    frontend = f"ghcr.io/{config.image_owner}/household-task-manager-frontend:{config.frontend_tag}"
    assert images[("backend", "backend")] == backend
    assert images[("backend", "run-migrations")] == backend
    assert images[("reminder-sender", "reminder-sender")] == backend
    assert images[("frontend", "frontend")] == frontend
    app_images = {i for i in images.values() if i.startswith("ghcr.io/")}
    assert app_images == {backend, frontend}


def test_every_container_is_hardened(env: Synthesized) -> None:
    for workload, _, name, container, pod in _all_containers(env):
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False, (workload, name)
        assert sc["privileged"] is False, (workload, name)
        assert sc["capabilities"]["drop"] == ["ALL"], (workload, name)
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, (workload, name)
        assert sc["readOnlyRootFilesystem"] is True, (workload, name)
        pod_sc = pod["securityContext"]
        if (workload, name) in ROOT_ALLOWED:
            assert sc["runAsUser"] == 0
            assert set(sc["capabilities"]["add"]) == {"CHOWN", "FOWNER", "DAC_OVERRIDE"}
        else:
            non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
            user = sc.get("runAsUser", pod_sc.get("runAsUser"))
            assert non_root is True, (workload, name)
            assert user, (workload, name)
            assert user > 0, (workload, name)
            assert "add" not in sc["capabilities"], (workload, name)
        assert pod.get("automountServiceAccountToken") is False, workload
        assert not pod.get("hostNetwork"), workload


@pytest.mark.parametrize(
    ("workload", "uid", "writable"),
    [
        ("postgres", 70, {"/var/run/postgresql", "/tmp"}),
        ("backend", 10001, {"/tmp"}),
        ("frontend", 101, {"/tmp", "/var/cache/nginx", "/var/run", "/etc/nginx/conf.d"}),
        ("postgres-backup", 70, {"/tmp"}),
        ("reminder-sender", 10001, {"/tmp"}),
    ],
)
def test_images_run_as_their_own_user_with_writable_empty_dirs(
    production: Synthesized, workload: str, uid: int, writable: set[str]
) -> None:
    template = {w["metadata"]["name"]: t for w, t in pod_specs(production.documents)}[workload]
    spec = template["spec"]
    assert spec["securityContext"]["runAsUser"] == uid
    assert spec["securityContext"]["runAsGroup"] == uid
    empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
    main = spec["containers"][0]
    mounted = {m["mountPath"] for m in main["volumeMounts"] if m["name"] in empty_dirs}
    assert mounted == writable
    for volume in spec["volumes"]:
        if "emptyDir" in volume:
            assert volume["emptyDir"]["sizeLimit"]


def test_frontend_binds_port_80_through_the_safe_sysctl(production: Synthesized) -> None:
    spec = production.get("Deployment", "frontend")["spec"]["template"]["spec"]
    assert spec["securityContext"]["sysctls"] == [
        {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}
    ]


def test_every_reference_resolves_inside_the_output(env: Synthesized) -> None:
    config_maps = {d["metadata"]["name"] for d in env.of_kind("ConfigMap")}
    secrets = {d["spec"]["template"]["metadata"]["name"] for d in env.of_kind("SealedSecret")}
    claims = {d["metadata"]["name"] for d in env.of_kind("PersistentVolumeClaim")}
    for workload, _, name, container, pod in _all_containers(env):
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, (workload, name, mount)
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps
            else:
                assert source["secretRef"]["name"] in secrets
        for var in container.get("env", []):
            if "valueFrom" in var:
                ref = var["valueFrom"]["secretKeyRef"]
                assert ref["name"] in secrets
                sealed = env.get("SealedSecret", ref["name"])
                assert ref["key"] in sealed["spec"]["encryptedData"]
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def test_every_service_and_budget_selects_a_workload(env: Synthesized) -> None:
    pod_labels = [t["metadata"]["labels"] for _, t in pod_specs(env.documents)]

    def selects(selector: dict[str, str]) -> int:
        return sum(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels)

    for service in env.of_kind("Service"):
        assert selects(service["spec"]["selector"]) == 1, service["metadata"]["name"]
        assert "clusterIP" not in service["spec"]  # cluster-assigned, never pinned
    budgets = env.of_kind("PodDisruptionBudget")
    assert {b["metadata"]["name"] for b in budgets} == {"backend", "frontend"}
    for budget in budgets:
        assert selects(budget["spec"]["selector"]["matchLabels"]) == 1
        assert budget["spec"]["maxUnavailable"] == 1


def test_workload_selectors_match_their_own_pods(env: Synthesized) -> None:
    for workload, template in pod_specs(env.documents):
        if workload["kind"] == "CronJob":
            continue
        selector = workload["spec"]["selector"]["matchLabels"]
        labels = template["metadata"]["labels"]
        assert selector.items() <= labels.items()
