"""One source for the settings both sides use: the playbooks read the domain, the ingress
controller, the database node and directory, the backup node and directory, the namespace and
the GitOps path from cdk8s/environments/production.yaml, the file the manifests Argo CD applies
are synthesized from.

The values are resolved by Ansible itself (an ad-hoc `debug` against the repository's inventory),
so a literal left in group_vars, a wrong key or a precedence surprise shows up as a mismatch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_platform_manifests import render

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = REPO / ".venv" / "bin"
PRODUCTION = REPO / "cdk8s" / "environments" / "production.yaml"
sys.path.insert(0, str(REPO / "cdk8s"))

from household.config import EnvironmentConfig, load_environment  # noqa: E402

SHARED = [
    "domain",
    "ingress_controller",
    "database_disk_node",
    "database_disk_path",
    "backup_disk_node",
    "backup_disk_path",
    "platform_app_namespace",
    "platform_gitops_path",
    "k3s_server_disable",
]


def ansible_values(*extra: str) -> dict[str, Any]:
    """The shared settings as the playbooks see them (implicit localhost: group_vars/all)."""
    expression = "{{ {" + ", ".join(f"'{name}': {name}" for name in SHARED) + "} | to_json }}"
    result = subprocess.run(
        [
            str(BIN / "ansible"),
            "localhost",
            "--playbook-dir",
            str(ANSIBLE_DIR),
            "-m",
            "ansible.builtin.debug",
            "-a",
            f"msg={expression}",
            *extra,
        ],
        cwd=ANSIBLE_DIR,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # "localhost | SUCCESS => {...}": the module result, whose msg is the JSON of the values.
    message = json.loads(result.stdout.split("=>", 1)[1])["msg"]
    return json.loads(message) if isinstance(message, str) else message  # type: ignore[no-any-return]


def expected(config: EnvironmentConfig) -> dict[str, Any]:
    return {
        "domain": config.domain,
        "ingress_controller": config.ingress.controller.value,
        "database_disk_node": config.database.node,
        "database_disk_path": config.database.host_path,
        "backup_disk_node": config.backup.node,
        "backup_disk_path": config.backup.host_path,
        "platform_app_namespace": config.namespace,
        "platform_gitops_path": f"gitops/{config.name}",
        "k3s_server_disable": ["traefik"] if config.ingress.controller == "ingress-nginx" else [],
    }


def test_the_playbooks_see_the_production_environment() -> None:
    assert ansible_values() == expected(load_environment("production"))


@pytest.mark.parametrize("controller", ["ingress-nginx", "traefik"])
def test_a_change_in_the_environment_file_reaches_the_playbooks(
    tmp_path: Path, controller: str
) -> None:
    document = yaml.safe_load(PRODUCTION.read_text())
    document["domain"] = "chores.home-lab.jp"
    document["ingress"]["controller"] = controller
    document["database"]["node"] = "rpi-worker-2"
    document["database"]["host_path"] = "/srv/nvme/postgres"
    document["backup"]["node"] = "rpi-master"
    document["backup"]["host_path"] = "/srv/backups"
    changed = tmp_path / "production.yaml"
    changed.write_text(yaml.safe_dump(document))
    config = EnvironmentConfig.model_validate(document)
    assert ansible_values("-e", f"app_environment_file={changed}") == expected(config)


def test_the_rendered_platform_follows_the_environment_file(tmp_path: Path) -> None:
    document = yaml.safe_load(PRODUCTION.read_text())
    document["ingress"]["controller"] = "ingress-nginx"
    changed = tmp_path / "production.yaml"
    changed.write_text(yaml.safe_dump(document))
    rendered = tmp_path / "platform"
    rendered.mkdir()
    manifests = render(rendered, "-e", f"app_environment_file={changed}")
    assert ("HelmChart", "ingress-nginx") in manifests
    assert ("HelmChartConfig", "traefik") not in manifests
    issuers = [
        manifests[("ClusterIssuer", name)] for name in ("letsencrypt-staging", "letsencrypt-prod")
    ]
    solvers = [issuer["spec"]["acme"]["solvers"][0]["http01"]["ingress"] for issuer in issuers]
    assert [solver["ingressClassName"] for solver in solvers] == ["nginx", "nginx"]
