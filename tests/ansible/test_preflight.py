"""The preflight play at the top of site.yml: the README's `make cluster` with values still to
set fails within seconds, before any node is touched, with one line for each value.

The owner's checkout is a copy of this repository (conftest.OwnerCheckout). Its inventory points
every Pi at 127.0.0.1 port 9, where nothing listens: had the preflight let a play through, the
connection would fail at once, on this machine only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import OwnerCheckout, Run, readme_cluster_commands

UUID_TOKEN = "0f1e2d3c-4b5a-4697-8877-a5b4c3d2e1f0"
GOOD_SETTINGS = {
    "platform_acme_email": "household@home-lab.jp",
    "platform_gitops_repo_url": "https://github.com/home-lab-jp/household-task-manager.git",
}
ENVIRONMENT = "cdk8s/environments/production.yaml"
MAIN = "inventory/group_vars/all/main.yml"


def readme_command(step: str) -> str:
    return next(command for found, command in readme_cluster_commands() if found == step)


@pytest.fixture
def owner(tmp_path: Path) -> OwnerCheckout:
    owner = OwnerCheckout(tmp_path)
    copied = owner.sh(readme_command("Inventory and settings"))
    assert copied.returncode == 0, copied.output
    hosts = owner.file("inventory/hosts.yml")
    text = hosts.read_text()
    for address in ["192.168.0.200", "192.168.0.201", "192.168.0.202"]:
        assert address in text  # the example's addresses, replaced before anything runs
        text = text.replace(address, "127.0.0.1\n          ansible_port: 9")
    hosts.write_text(text)
    return owner


def build(owner: OwnerCheckout, token: str = "") -> Run:
    return owner.sh(readme_command("Build the cluster"), env={"DUCKDNS_TOKEN": token})


def problems(run: Run) -> list[str]:
    """The preflight's lines, one per value to set (from the task's message)."""
    head = "Set these values before running site.yml:\n"
    assert head in run.output, run.output[-3000:]
    block = run.output.split(head, 1)[1]
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def settings(lines: list[str]) -> list[str]:
    return [line.split(" ", 1)[0].rstrip(":") for line in lines]


def test_the_example_settings_stop_before_any_node_with_one_line_per_value(
    owner: OwnerCheckout,
) -> None:
    run = build(owner)
    assert run.returncode != 0
    assert run.seconds < 30
    lines = problems(run)
    assert settings(lines) == [
        "platform_acme_email",
        "platform_gitops_repo_url",
        "image_owner",
        "duckdns_token",
    ]
    assert "Let's Encrypt refuses admin@example.org" in lines[0]
    assert "cdk8s/environments/production.yaml" in lines[2]
    # No play reached a node: the recap names the controller only.
    assert list(run.recap) == ["localhost"]
    assert "rpi-master" not in run.output


def test_set_values_pass_the_preflight(owner: OwnerCheckout) -> None:
    owner.edit_yaml(MAIN, GOOD_SETTINGS)
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    run = owner.sh(
        "cd ansible && ../.venv/bin/ansible-playbook preflight.yml",
        env={"DUCKDNS_TOKEN": UUID_TOKEN},
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.recap == {"localhost": (0, 0, 0)}


@pytest.mark.parametrize(
    ("email", "refused"),
    [
        ("admin@example.com", True),
        ("me@example.net", True),
        ("me@Example.ORG", True),
        ("me@home.test", True),
        ("me@pi.local", True),
        ("not-an-address", True),
        ("household@home-lab.jp", False),
    ],
)
def test_lets_encrypt_contact_addresses(owner: OwnerCheckout, email: str, refused: bool) -> None:
    owner.edit_yaml(MAIN, {**GOOD_SETTINGS, "platform_acme_email": email})
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    run = build(owner, UUID_TOKEN)
    if refused:
        assert settings(problems(run)) == ["platform_acme_email"]
    else:
        assert "Set these values" not in run.output


def test_duckdns_needs_a_token_only_for_a_duckdns_domain(owner: OwnerCheckout) -> None:
    owner.edit_yaml(MAIN, GOOD_SETTINGS)
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    assert settings(problems(build(owner, "not-a-uuid"))) == ["duckdns_token"]
    owner.edit_yaml(ENVIRONMENT, {"domain": "chores.home-lab.jp"})
    run = owner.sh("cd ansible && ../.venv/bin/ansible-playbook preflight.yml")
    assert run.returncode == 0, run.output[-3000:]


def test_the_database_must_lie_on_the_ssds_mount_point(owner: OwnerCheckout) -> None:
    owner.edit_yaml(MAIN, {**GOOD_SETTINGS, "database_disk_mount_point": ""})
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    lines = problems(build(owner, UUID_TOKEN))
    assert settings(lines) == ["database_disk_mount_point"]
    assert "/mnt/ssd/postgres must lie under it" in lines[0]


def test_a_group_vars_all_file_beside_the_directory_is_ignored_and_refused(
    owner: OwnerCheckout,
) -> None:
    """Ansible reads group_vars/all/ and ignores all.yml beside it (the old layout): the value
    set there does not reach the play, and the preflight says why."""
    owner.file("inventory/group_vars/all.yml").write_text(
        "---\nplatform_acme_email: household@home-lab.jp\n"
    )
    owner.edit_yaml(MAIN, {"platform_gitops_repo_url": GOOD_SETTINGS["platform_gitops_repo_url"]})
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    lines = problems(build(owner, UUID_TOKEN))
    assert settings(lines) == ["group_vars/all.yml", "platform_acme_email"]


@pytest.mark.parametrize("node", ["rpi-worker-1", "rpi-worker-9"])
def test_the_backups_need_a_node_of_their_own(owner: OwnerCheckout, node: str) -> None:
    """The database node, or a Pi the inventory does not have, is refused for the backups."""
    owner.edit_yaml(MAIN, GOOD_SETTINGS)
    owner.edit_yaml(ENVIRONMENT, {"image_owner": "home-lab-jp"})
    environment = owner.file(ENVIRONMENT)
    document = yaml.safe_load(environment.read_text())
    document["backup"]["node"] = node
    environment.write_text(yaml.safe_dump(document))
    lines = problems(build(owner, UUID_TOKEN))
    assert settings(lines) == ["backup.node"]
    assert f"{node} must be a host of the inventory other than the database node" in lines[0]
