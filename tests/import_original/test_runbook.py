"""The rollback's helper: what `kubectl get -o json` saved becomes objects kubectl can create."""

import json
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kube-objects-to-recreate"


def test_saved_objects_lose_what_the_api_server_owns() -> None:
    server_metadata = {
        "uid": "0f1e",
        "resourceVersion": "4711",
        "creationTimestamp": "2025-01-01T00:00:00Z",
        "generation": 3,
        "managedFields": [{"manager": "kubectl"}],
    }
    saved = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "backend", "namespace": "ns", **server_metadata},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "backend"}}},
                "status": {"readyReplicas": 2},
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "backend", **server_metadata},
                "spec": {"clusterIP": "10.43.0.7", "clusterIPs": ["10.43.0.7"], "ports": []},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "database-secret",
                    "ownerReferences": [{"kind": "SealedSecret", "uid": "aa"}],
                    **server_metadata,
                },
                "data": {"POSTGRES_PASSWORD": "b2xk"},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "default-token-x"},
                "type": "kubernetes.io/service-account-token",
            },
        ],
    }
    result = subprocess.run(
        [str(SCRIPT)], input=json.dumps(saved), capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "backend", "namespace": "ns"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "backend"}}},
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "backend"},
                "spec": {"ports": []},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "database-secret"},
                "data": {"POSTGRES_PASSWORD": "b2xk"},
            },
        ],
    }
