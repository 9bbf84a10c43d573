"""postgres never initializes an empty database on a disk the playbook did not mark: the
prepare-data-dir init container's command, run here as the manifest gives it, with a temporary
directory standing in for the PersistentVolume (its mount path comes from VOLUME_ROOT)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops_support import REPO_ROOT, Synthesized
from household import database

ENVIRONMENTS = ["production", "staging"]
ANSIBLE_DEFAULTS = REPO_ROOT / "ansible" / "roles" / "database_disk" / "defaults" / "main.yml"
POSTGRES_UID = 70
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="chown to uid 70 needs root, as in the container"
)


def pod_spec(env: Synthesized) -> dict[str, Any]:
    spec: dict[str, Any] = env.get("StatefulSet", "postgres")["spec"]["template"]["spec"]
    return spec


def init_container(env: Synthesized) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        c for c in pod_spec(env)["initContainers"] if c["name"] == "prepare-data-dir"
    ]
    assert len(found) == 1
    return found[0]


def data_sub_path(env: Synthesized) -> str:
    """The PV's sub-directory that postgres mounts as its data directory."""
    [postgres] = [c for c in pod_spec(env)["containers"] if c["name"] == "postgres"]
    [mount] = [m for m in postgres["volumeMounts"] if m["name"] == "data"]
    assert mount["mountPath"] == "/var/lib/postgresql/data"  # PGDATA of the image
    sub_path: str = mount["subPath"]
    return sub_path


def prepare(env: Synthesized, volume: Path) -> subprocess.CompletedProcess[str]:
    """The init container's command and environment; only the PV's mount path differs."""
    container = init_container(env)
    variables = {item["name"]: item["value"] for item in container["env"]}
    [mount] = container["volumeMounts"]
    assert variables == {"VOLUME_ROOT": mount["mountPath"]}
    return subprocess.run(
        container["command"],
        env={"PATH": os.environ["PATH"], "VOLUME_ROOT": str(volume)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest, synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized[request.param]


def test_the_init_container_mounts_the_whole_claim(env: Synthesized) -> None:
    spec = pod_spec(env)
    [mount] = init_container(env)["volumeMounts"]
    assert mount == {"mountPath": database.VOLUME_ROOT, "name": "data"}
    [data] = [v for v in spec["volumes"] if v["name"] == "data"]
    assert data["persistentVolumeClaim"]["claimName"] == "postgres-pvc"
    assert init_container(env)["command"][:2] == ["sh", "-c"]


def test_an_empty_volume_without_the_marker_is_refused_and_left_untouched(
    env: Synthesized, tmp_path: Path
) -> None:
    volume = tmp_path / "pv"
    volume.mkdir()
    result = prepare(env, volume)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1  # one line
    assert result.stderr == (
        "prepare-data-dir: the volume is not on the expected disk: "
        f"{env.config.database.host_path} on {env.config.database.node} holds no database and "
        f"no {database.DISK_MARKER} marker; mount the SSD and run the playbook (make cluster), "
        "then delete this pod\n"
    )
    assert list(volume.iterdir()) == []


def test_an_empty_data_directory_without_the_marker_is_refused_too(
    env: Synthesized, tmp_path: Path
) -> None:
    """A directory left by an earlier start, with no PG_VERSION: initdb would still run."""
    volume = tmp_path / "pv"
    (volume / data_sub_path(env)).mkdir(parents=True)
    result = prepare(env, volume)
    assert result.returncode == 1
    assert "not on the expected disk" in result.stderr
    assert [p.name for p in volume.iterdir()] == [data_sub_path(env)]
    assert list((volume / data_sub_path(env)).iterdir()) == []


@needs_root
def test_an_empty_volume_with_the_marker_gets_the_data_directory(
    env: Synthesized, tmp_path: Path
) -> None:
    volume = tmp_path / "pv"
    volume.mkdir()
    (volume / database.DISK_MARKER).write_text("")
    result = prepare(env, volume)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    data = volume / data_sub_path(env)
    assert sorted(p.name for p in volume.iterdir()) == sorted(
        [database.DISK_MARKER, data_sub_path(env)]
    )
    status = data.stat()
    assert stat.S_ISDIR(status.st_mode)
    assert (status.st_uid, status.st_gid) == (POSTGRES_UID, POSTGRES_UID)
    assert stat.S_IMODE(status.st_mode) == 0o700
    assert list(data.iterdir()) == []


@needs_root
def test_an_existing_database_starts_without_the_marker(env: Synthesized, tmp_path: Path) -> None:
    """A cluster whose disk predates the marker keeps its database."""
    volume = tmp_path / "pv"
    data = volume / data_sub_path(env)
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("16\n")
    os.chown(data, POSTGRES_UID, POSTGRES_UID)
    data.chmod(0o700)
    result = prepare(env, volume)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert [p.name for p in volume.iterdir()] == [data_sub_path(env)]  # no marker written
    assert (data / "PG_VERSION").read_text() == "16\n"
    status = data.stat()
    assert (status.st_uid, status.st_gid) == (POSTGRES_UID, POSTGRES_UID)
    assert stat.S_IMODE(status.st_mode) == 0o700


def test_the_marker_is_the_one_the_playbook_writes() -> None:
    defaults = yaml.safe_load(ANSIBLE_DEFAULTS.read_text())
    assert defaults["database_disk_marker"] == database.DISK_MARKER
    assert database.DISK_MARKER == ".household-task-manager-disk"
