"""scripts/ensure-debian-packages: what `make run`, `make test` and `make bench` do about the
Debian packages they need. Installed packages pass silently; missing ones are installed as root
or with passwordless sudo, and otherwise the script stops with one line naming the exact
`apt-get install` (or, for an optional part outside CI, warns). Here nothing is installed: the
PATH has no apt-get, and the packages asked for do not exist."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "ensure-debian-packages"
ABSENT = "htm-no-such-package"


def ensure(
    tmp_path: Path,
    *args: str,
    ci: str | None = None,
    user: str | None = None,
    script: Path = SCRIPT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The script on a PATH with bash, id and dpkg-query, but no apt-get and no sudo."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ["bash", "id", "dpkg-query", "env"]:
        found = shutil.which(tool)
        assert found, f"{tool} is on every Debian machine"
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    variables = {"PATH": str(bin_dir), "HOME": str(tmp_path), **(env or {})}
    if ci is not None:
        variables["CI"] = ci
    command = [str(script), *args]
    if user is not None:
        runuser = shutil.which("runuser")
        assert runuser, "runuser (util-linux) is on every Debian machine"
        command = [runuser, "-u", user, "--", *command]
    return subprocess.run(
        command, env=variables, capture_output=True, text=True, timeout=60, check=False
    )


def test_installed_packages_pass_silently(tmp_path: Path) -> None:
    result = ensure(tmp_path, "make test", "bash", "coreutils")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("ci", [None, "true"], ids=["CI unset", "CI=true"])
def test_a_missing_package_that_cannot_be_installed_stops_with_the_command_to_run(
    tmp_path: Path, ci: str | None
) -> None:
    result = ensure(tmp_path, "make test (the end-to-end tests)", "bash", ABSENT, ci=ci)
    assert result.returncode == 1
    assert result.stderr == (
        f"make test (the end-to-end tests) needs Debian packages: sudo apt-get install {ABSENT}\n"
    )


def test_an_optional_part_only_warns_outside_ci(tmp_path: Path) -> None:
    result = ensure(tmp_path, "--optional", "the cluster test", ABSENT)
    assert result.returncode == 0
    assert result.stderr == (
        f"the cluster test needs Debian packages: sudo apt-get install {ABSENT}"
        " (skipping what needs them)\n"
    )


def test_an_optional_part_fails_under_ci_where_every_test_must_run(tmp_path: Path) -> None:
    result = ensure(tmp_path, "--optional", "the cluster test", ABSENT, ci="true")
    assert result.returncode == 1
    assert (
        result.stderr == f"the cluster test needs Debian packages: sudo apt-get install {ABSENT}\n"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the script as another user (needs root)")
def test_a_user_without_sudo_gets_the_command_line() -> None:
    # A directory the other user can reach (pytest's tmp_path is root's alone).
    with tempfile.TemporaryDirectory(dir="/var/tmp") as directory:
        Path(directory).chmod(0o755)
        # A copy of the script the other user can run wherever the checkout is (a 0700 home).
        script = Path(shutil.copy(SCRIPT, directory))
        result = ensure(Path(directory), "make run", ABSENT, user="nobody", script=script)
    assert result.returncode == 1
    assert result.stderr == f"make run needs Debian packages: sudo apt-get install {ABSENT}\n"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("test-deps", "chromium nginx fonts-ipafont-gothic libatomic1 curl"),
        ("cluster-test-deps", "--optional"),
    ],
)
def test_the_make_targets_ask_the_script_for_their_packages(target: str, expected: str) -> None:
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "scripts/ensure-debian-packages" in dry_run
    assert expected in " ".join(dry_run.replace("\\\n", " ").split())


def test_packages_installed_as_root_are_not_started_as_services(tmp_path: Path) -> None:
    """Debian's policy-rc.d answers 101 (action forbidden) while apt-get runs, so packages such
    as nginx or prometheus do not start daemons the tests never asked for; it is gone after."""
    if os.geteuid() != 0:
        pytest.skip("installs as root")
    policy = tmp_path / "policy-rc.d"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen"
    (bin_dir / "apt-get").write_text(
        f'#!/bin/sh\n[ "$1" = update ] && exit 0\n"{policy}"; echo "policy $?" > "{seen}"\n'
    )
    (bin_dir / "apt-get").chmod(0o755)
    for tool in ["sh", "printf", "chmod", "rm"]:
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    result = ensure(tmp_path, "make test", ABSENT, env={"POLICY_RC_D": str(policy)})
    assert result.returncode == 0, result.stderr
    assert seen.read_text() == "policy 101\n"
    assert not policy.exists()
