"""Every fact of the deployment contract (shared/spec/deployment.md), one row per fact, checked
in the production output."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gitops_support import Synthesized

NS = "household-task-manager"
OWNER = "your-github-user"  # the environment config's placeholder; the image test checks the link
BACKEND_IMAGE = f"ghcr.io/{OWNER}/household-task-manager-backend:sha-5bf665f"
FRONTEND_IMAGE = f"ghcr.io/{OWNER}/household-task-manager-frontend:sha-5bf665f"
POD = "spec.template.spec"
PG = f"{POD}.containers[name=postgres]"
BE = f"{POD}.containers[name=backend]"
FE = f"{POD}.containers[name=frontend]"
MISSING = object()


def lookup(doc: Any, path: str) -> Any:
    """Dotted path; `[k=v]` picks the list item whose k is v, `[n]` an index, `{key}` a key with
    dots (annotations)."""
    for part in re.findall(r"\{[^}]+\}|[^.\[\]]+|\[[^\]]+\]", path):
        if part.startswith("{"):
            doc = doc.get(part[1:-1], MISSING) if isinstance(doc, dict) else MISSING
        elif part.startswith("["):
            inner = part[1:-1]
            if "=" in inner:
                key, value = inner.split("=", 1)
                matches = [item for item in doc if str(item.get(key)) == value]
                assert len(matches) == 1, f"{path}: {len(matches)} items with {inner}"
                doc = matches[0]
            else:
                doc = doc[int(inner)]
        else:
            doc = doc.get(part, MISSING) if isinstance(doc, dict) else MISSING
        if doc is MISSING:
            return MISSING
    return doc


RESOURCES_250_512 = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
FACTS: list[tuple[str, str, str, str, Any]] = [
    # (fact, kind, name, path, expected)
    ("namespace", "Namespace", NS, "metadata.name", NS),
    # 1. PostgreSQL
    ("postgres is a StatefulSet", "StatefulSet", "postgres", "metadata.namespace", NS),
    ("postgres: 1 replica", "StatefulSet", "postgres", "spec.replicas", 1),
    ("postgres image", "StatefulSet", "postgres", f"{PG}.image", "postgres:16-alpine"),
    ("postgres port", "StatefulSet", "postgres", f"{PG}.ports[0].containerPort", 5432),
    (
        "postgres pinned to rpi-worker-1",
        "StatefulSet",
        "postgres",
        f"{POD}.nodeSelector",
        {"kubernetes.io/hostname": "rpi-worker-1"},
    ),
    (
        "postgres env from postgres-config",
        "StatefulSet",
        "postgres",
        f"{PG}.envFrom[0].configMapRef.name",
        "postgres-config",
    ),
    (
        "postgres env from database-secret",
        "StatefulSet",
        "postgres",
        f"{PG}.envFrom[1].secretRef.name",
        "database-secret",
    ),
    ("POSTGRES_DB", "ConfigMap", "postgres-config", "data.POSTGRES_DB", "household_task_manager"),
    ("POSTGRES_USER", "ConfigMap", "postgres-config", "data.POSTGRES_USER", "postgres"),
    (
        "database-secret holds POSTGRES_PASSWORD (sealed)",
        "SealedSecret",
        "database-secret",
        "spec.encryptedData.POSTGRES_PASSWORD",
        re.compile(r"^[A-Za-z0-9+/]{500,}={0,2}$"),
    ),
    (
        "PVC postgres-pvc size",
        "PersistentVolumeClaim",
        "postgres-pvc",
        "spec.resources.requests.storage",
        "10Gi",
    ),
    (
        "PVC storage class",
        "PersistentVolumeClaim",
        "postgres-pvc",
        "spec.storageClassName",
        "local-path",
    ),
    (
        "PVC bound to postgres-pv-ssd",
        "PersistentVolumeClaim",
        "postgres-pvc",
        "spec.volumeName",
        "postgres-pv-ssd",
    ),
    ("PV size", "PersistentVolume", "postgres-pv-ssd", "spec.capacity.storage", "10Gi"),
    (
        "PV access mode",
        "PersistentVolume",
        "postgres-pv-ssd",
        "spec.accessModes",
        ["ReadWriteOnce"],
    ),
    (
        "PV reclaim policy",
        "PersistentVolume",
        "postgres-pv-ssd",
        "spec.persistentVolumeReclaimPolicy",
        "Retain",
    ),
    (
        "PV storage class",
        "PersistentVolume",
        "postgres-pv-ssd",
        "spec.storageClassName",
        "local-path",
    ),
    (
        "PV is local storage",
        "PersistentVolume",
        "postgres-pv-ssd",
        "spec.local.path",
        "/mnt/ssd/postgres",
    ),
    (
        "PV on rpi-worker-1",
        "PersistentVolume",
        "postgres-pv-ssd",
        "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]",
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["rpi-worker-1"]},
    ),
    (
        "data mounted at /var/lib/postgresql/data, subPath postgres",
        "StatefulSet",
        "postgres",
        f"{PG}.volumeMounts[mountPath=/var/lib/postgresql/data].subPath",
        "postgres",
    ),
    (
        "data volume is postgres-pvc",
        "StatefulSet",
        "postgres",
        f"{POD}.volumes[name=data].persistentVolumeClaim.claimName",
        "postgres-pvc",
    ),
    ("postgres resources", "StatefulSet", "postgres", f"{PG}.resources", RESOURCES_250_512),
    (
        "postgres liveness command",
        "StatefulSet",
        "postgres",
        f"{PG}.livenessProbe.exec.command",
        ["pg_isready", "-U", "postgres"],
    ),
    (
        "postgres liveness delay",
        "StatefulSet",
        "postgres",
        f"{PG}.livenessProbe.initialDelaySeconds",
        30,
    ),
    (
        "postgres liveness period",
        "StatefulSet",
        "postgres",
        f"{PG}.livenessProbe.periodSeconds",
        10,
    ),
    (
        "postgres readiness command",
        "StatefulSet",
        "postgres",
        f"{PG}.readinessProbe.exec.command",
        ["pg_isready", "-U", "postgres"],
    ),
    (
        "postgres readiness delay",
        "StatefulSet",
        "postgres",
        f"{PG}.readinessProbe.initialDelaySeconds",
        5,
    ),
    (
        "postgres readiness period",
        "StatefulSet",
        "postgres",
        f"{PG}.readinessProbe.periodSeconds",
        5,
    ),
    ("postgres Service type", "Service", "postgres", "spec.type", "ClusterIP"),
    ("postgres Service port", "Service", "postgres", "spec.ports[0].port", 5432),
    ("postgres managed by hand", "StatefulSet", "postgres", "spec.updateStrategy.type", "OnDelete"),
    # 2. Backend
    ("backend: 2 replicas", "Deployment", "backend", "spec.replicas", 2),
    ("backend image", "Deployment", "backend", f"{BE}.image", BACKEND_IMAGE),
    ("backend port", "Deployment", "backend", f"{BE}.ports[0].containerPort", 8000),
    (
        "init containers in order",
        "Deployment",
        "backend",
        f"{POD}.initContainers",
        lambda v: [c["name"] for c in v] == ["wait-for-db", "run-migrations"],
    ),
    (
        "wait-for-db image",
        "Deployment",
        "backend",
        f"{POD}.initContainers[0].image",
        "busybox:1.36",
    ),
    (
        "wait-for-db loops nc -z postgres 5432",
        "Deployment",
        "backend",
        f"{POD}.initContainers[0].command",
        lambda c: (
            c[:2] == ["sh", "-c"] and re.match(r"^until nc -z postgres 5432; do .*; done$", c[2])
        ),
    ),
    (
        "run-migrations image",
        "Deployment",
        "backend",
        f"{POD}.initContainers[1].image",
        BACKEND_IMAGE,
    ),
    (
        "run-migrations command",
        "Deployment",
        "backend",
        f"{POD}.initContainers[1].command",
        ["alembic", "upgrade", "head"],
    ),
    (
        "run-migrations env",
        "Deployment",
        "backend",
        f"{POD}.initContainers[1].envFrom",
        [{"configMapRef": {"name": "backend-config"}}, {"secretRef": {"name": "backend-secret"}}],
    ),
    (
        "backend env",
        "Deployment",
        "backend",
        f"{BE}.envFrom",
        [{"configMapRef": {"name": "backend-config"}}, {"secretRef": {"name": "backend-secret"}}],
    ),
    ("backend keeps the image's command", "Deployment", "backend", f"{BE}.command", MISSING),
    ("ENVIRONMENT", "ConfigMap", "backend-config", "data.ENVIRONMENT", "production"),
    (
        "CORS_ORIGINS",
        "ConfigMap",
        "backend-config",
        "data.CORS_ORIGINS",
        "https://household-task-mgr.duckdns.org",
    ),
    (
        "backend-secret holds DATABASE_URL (sealed)",
        "SealedSecret",
        "backend-secret",
        "spec.encryptedData.DATABASE_URL",
        re.compile(r"^[A-Za-z0-9+/]{500,}={0,2}$"),
    ),
    (
        "backend-secret holds SECRET_KEY (sealed)",
        "SealedSecret",
        "backend-secret",
        "spec.encryptedData.SECRET_KEY",
        re.compile(r"^[A-Za-z0-9+/]{500,}={0,2}$"),
    ),
    ("backend resources", "Deployment", "backend", f"{BE}.resources", RESOURCES_250_512),
    (
        "backend liveness path",
        "Deployment",
        "backend",
        f"{BE}.livenessProbe.httpGet",
        {"path": "/health", "port": 8000, "scheme": "HTTP"},
    ),
    (
        "backend liveness delay",
        "Deployment",
        "backend",
        f"{BE}.livenessProbe.initialDelaySeconds",
        30,
    ),
    ("backend liveness period", "Deployment", "backend", f"{BE}.livenessProbe.periodSeconds", 10),
    (
        "backend readiness path",
        "Deployment",
        "backend",
        f"{BE}.readinessProbe.httpGet",
        {"path": "/readiness", "port": 8000, "scheme": "HTTP"},
    ),
    (
        "backend readiness delay",
        "Deployment",
        "backend",
        f"{BE}.readinessProbe.initialDelaySeconds",
        10,
    ),
    ("backend readiness period", "Deployment", "backend", f"{BE}.readinessProbe.periodSeconds", 5),
    ("backend Service type", "Service", "backend", "spec.type", "ClusterIP"),
    ("backend Service port", "Service", "backend", "spec.ports[0].port", 8000),
    ("backend rolling update", "Deployment", "backend", "spec.strategy.type", "RollingUpdate"),
    # 3. Frontend
    ("frontend: 2 replicas", "Deployment", "frontend", "spec.replicas", 2),
    ("frontend image", "Deployment", "frontend", f"{FE}.image", FRONTEND_IMAGE),
    ("frontend port", "Deployment", "frontend", f"{FE}.ports[0].containerPort", 80),
    (
        "frontend env from frontend-config",
        "Deployment",
        "frontend",
        f"{FE}.envFrom",
        [{"configMapRef": {"name": "frontend-config"}}],
    ),
    ("NGINX_PORT", "ConfigMap", "frontend-config", "data.NGINX_PORT", "80"),
    ("BACKEND_ADDRESS", "ConfigMap", "frontend-config", "data.BACKEND_ADDRESS", "backend:8000"),
    (
        "frontend resources",
        "Deployment",
        "frontend",
        f"{FE}.resources",
        {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "200m", "memory": "256Mi"},
        },
    ),
    (
        "frontend liveness",
        "Deployment",
        "frontend",
        f"{FE}.livenessProbe.httpGet",
        {"path": "/", "port": 80, "scheme": "HTTP"},
    ),
    (
        "frontend liveness delay",
        "Deployment",
        "frontend",
        f"{FE}.livenessProbe.initialDelaySeconds",
        10,
    ),
    ("frontend liveness period", "Deployment", "frontend", f"{FE}.livenessProbe.periodSeconds", 10),
    (
        "frontend readiness",
        "Deployment",
        "frontend",
        f"{FE}.readinessProbe.httpGet",
        {"path": "/", "port": 80, "scheme": "HTTP"},
    ),
    (
        "frontend readiness delay",
        "Deployment",
        "frontend",
        f"{FE}.readinessProbe.initialDelaySeconds",
        5,
    ),
    (
        "frontend readiness period",
        "Deployment",
        "frontend",
        f"{FE}.readinessProbe.periodSeconds",
        5,
    ),
    ("frontend Service type", "Service", "frontend", "spec.type", "ClusterIP"),
    ("frontend Service port", "Service", "frontend", "spec.ports[0].port", 80),
    ("frontend rolling update", "Deployment", "frontend", "spec.strategy.type", "RollingUpdate"),
    # 4. Ingress
    (
        "ingress host",
        "Ingress",
        "household-task-manager-frontend",
        "spec.rules[0].host",
        "household-task-mgr.duckdns.org",
    ),
    (
        "ingress path",
        "Ingress",
        "household-task-manager-frontend",
        "spec.rules[0].http.paths[0].path",
        "/",
    ),
    (
        "ingress path type",
        "Ingress",
        "household-task-manager-frontend",
        "spec.rules[0].http.paths[0].pathType",
        "Prefix",
    ),
    (
        "ingress to frontend:80",
        "Ingress",
        "household-task-manager-frontend",
        "spec.rules[0].http.paths[0].backend.service",
        {"name": "frontend", "port": {"number": 80}},
    ),
    (
        "ingress TLS",
        "Ingress",
        "household-task-manager-frontend",
        "spec.tls",
        [{"hosts": ["household-task-mgr.duckdns.org"], "secretName": "household-task-manager-tls"}],
    ),
    (
        "cert-manager ClusterIssuer",
        "Ingress",
        "household-task-manager-frontend",
        "metadata.annotations.{cert-manager.io/cluster-issuer}",
        "letsencrypt-prod",
    ),
    (
        "ingress class (traefik, the default)",
        "Ingress",
        "household-task-manager-frontend",
        "spec.ingressClassName",
        "traefik",
    ),
    (
        "HTTP->HTTPS redirect (traefik)",
        "Ingress",
        "household-task-manager-frontend",
        "metadata.annotations.{traefik.ingress.kubernetes.io/router.middlewares}",
        "household-task-manager-redirect-https@kubernetescrd",
    ),
    (
        "redirect middleware",
        "Middleware",
        "redirect-https",
        "spec.redirectScheme",
        {"scheme": "https", "permanent": True},
    ),
]


@pytest.mark.parametrize(
    ("fact", "kind", "name", "path", "expected"), FACTS, ids=[f[0] for f in FACTS]
)
def test_deployment_contract(
    production: Synthesized, fact: str, kind: str, name: str, path: str, expected: Any
) -> None:
    actual = lookup(production.get(kind, name), path)
    if isinstance(expected, re.Pattern):
        assert isinstance(actual, str), fact
        assert expected.match(actual), f"{fact}: {actual!r}"
    elif callable(expected):
        assert expected(actual), f"{fact}: {actual!r}"
    else:
        assert actual == expected, fact


def test_every_namespaced_object_is_in_the_namespace(production: Synthesized) -> None:
    for doc in production.documents:
        if doc["kind"] in {"Namespace", "PersistentVolume"}:
            assert "namespace" not in doc["metadata"]
        else:
            assert doc["metadata"]["namespace"] == NS, doc["metadata"]["name"]


def test_no_ingress_reaches_the_backend(production: Synthesized) -> None:
    services = [
        path["backend"]["service"]["name"]
        for ingress in production.of_kind("Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert services == ["frontend"]


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        ("cert-manager.io/cluster-issuer", "letsencrypt-prod"),
        ("nginx.ingress.kubernetes.io/ssl-redirect", "true"),
        ("nginx.ingress.kubernetes.io/force-ssl-redirect", "true"),
    ],
)
def test_ingress_nginx_setting_restores_the_original_annotations(
    ingress_nginx: Synthesized, annotation: str, value: str
) -> None:
    ingress = ingress_nginx.get("Ingress", "household-task-manager-frontend")
    assert ingress["metadata"]["annotations"][annotation] == value
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress_nginx.of_kind("Middleware") == []
