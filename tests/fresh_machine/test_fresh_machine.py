"""The README's two commands on a genuinely fresh Debian machine (`make fresh-machine-test`).

A minimal bookworm root file system (debootstrap's minbase plus only python3, make, git and
ca-certificates: no python3-venv, no compiler, no libatomic1) runs under systemd-nspawn with
this host's network, so it downloads from Debian, PyPI and npm as a new user's machine does.
A clone of this repository (its committed HEAD) sits in the user's home, and the commands of
the README's "Two commands" block run there as written: `make run` must serve the API, the
docs and the built frontend; `make test` must pass. Two machines:
- as root, with CI=true (a skip fails), in /root (mode 0700, which must stay so);
- as a normal user with passwordless sudo (sudo added to the machine), the usual developer.

Inside a machine the nspawn cluster tests are deselected (`-m "not cluster"`): they boot
machines of their own, which a container cannot. Everything else runs; the upstream CRD schemas
the manifest tests read are handed in as CI hands them (CRD_SCHEMA_DIR).

Not part of `make test` (it runs `make test` itself, and takes minutes of downloads): collected
only with HTM_FRESH_MACHINE=1, which `make fresh-machine-test` sets. The CI workflow's
fresh-machine job runs the same two commands in a plain debian:bookworm container.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.crd_schemas import crd_schema_dir
from tests.support.machines import (
    REPO,
    cached_build,
    debian_mirror,
    debootstrap,
    exclusive_machines,
    run,
    write,
)

pytestmark = [pytest.mark.fresh_machine, pytest.mark.timeout(5400)]

SUITE = "bookworm"
# The machine uses this host's network, so it trusts the CAs this host adds for it (an egress
# proxy's, say): their files, and the variables that point Python, pip, uv and Node at them.
HOST_CAS = Path("/usr/local/share/ca-certificates")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CRD_SCHEMAS = "/opt/crd-schemas"
CA_VARIABLES = ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS"]
FRESH_PACKAGES = ["python3", "make", "git", "ca-certificates"]
OWNER = "owner"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def readme_two_commands() -> list[str]:
    """The commands of the README's first sh block under "## Two commands"."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## Two commands\n") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "no sh block in the README's Two commands section"
    return [line.split("#", 1)[0].strip() for line in block[1].splitlines() if line.strip()]


def fresh_rootfs(extra: list[str]) -> Path:
    def build(partial: Path) -> None:
        rootfs = partial / "rootfs"
        debootstrap(rootfs, SUITE, FRESH_PACKAGES + extra)
        run(["chroot", str(rootfs), "apt-get", "clean"])
        # The apt sources of an installed Debian (and of the debian:bookworm image): the
        # release with its updates and security suites, not debootstrap's release alone.
        mirror = debian_mirror().rstrip("/")
        (rootfs / "etc/apt/sources.list").unlink()
        write(
            rootfs / "etc/apt/sources.list.d/debian.sources",
            f"Types: deb\nURIs: {mirror}\nSuites: {SUITE} {SUITE}-updates\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            f"Types: deb\nURIs: {mirror}-security\nSuites: {SUITE}-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        )

    key = [SUITE, *FRESH_PACKAGES, *extra, "with updates and security sources"]
    return cached_build(f"fresh-{SUITE}", key, build) / "rootfs"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class FreshMachine:
    root: Path  # the merged overlay
    user: str
    home: str
    log_dir: Path

    @property
    def checkout(self) -> str:
        return f"{self.home}/household-task-manager"

    def command(self, line: str, env: dict[str, str]) -> list[str]:
        return [
            "systemd-nspawn",
            "--quiet",
            "--register=no",
            "--keep-unit",
            f"--machine=htm-fresh-{self.user}",
            "--as-pid2",
            f"--directory={self.root}",
            "--resolv-conf=copy-host",
            f"--user={self.user}",
            f"--chdir={self.checkout}",
            f"--setenv=HOME={self.home}",
            "--setenv=LANG=C.UTF-8",
            *(f"--setenv={name}={CA_BUNDLE}" for name in CA_VARIABLES if name in os.environ),
            *(f"--setenv={key}={value}" for key, value in env.items()),
            "bash",
            "-lc",
            line,
        ]


@contextlib.contextmanager
def fresh_machine(tmp_path: Path, user: str) -> Iterator[FreshMachine]:
    base = fresh_rootfs(["sudo"] if user != "root" else [])
    upper, work, root = tmp_path / "upper", tmp_path / "work", tmp_path / "root"
    for directory in (upper, work, root):
        directory.mkdir()
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={base},upperdir={upper},workdir={work}", str(root)])  # fmt: skip
    try:
        home = "/root"
        if user != "root":
            home = f"/home/{user}"
            run(["chroot", str(root), "useradd", "--create-home", "--shell", "/bin/bash", user])
            write(root / f"etc/sudoers.d/{user}", f"{user} ALL=(ALL) NOPASSWD:ALL\n", 0o440)
        host_cas = sorted(HOST_CAS.glob("*.crt"))
        for ca in host_cas:
            shutil.copy(ca, root / "usr/local/share/ca-certificates" / ca.name)
        if host_cas:
            run(["chroot", str(root), "update-ca-certificates"])
        checkout = root / home.lstrip("/") / "household-task-manager"
        run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(checkout)])
        shutil.copytree(crd_schema_dir(), root / CRD_SCHEMAS.lstrip("/"))
        if user != "root":
            uid = int(run(["chroot", str(root), "id", "-u", user]).stdout)
            for path in [root / home.lstrip("/"), *(root / home.lstrip("/")).rglob("*")]:
                os.lchown(path, uid, uid)
        yield FreshMachine(root, user, home, tmp_path)
    finally:
        subprocess.run(["umount", "--lazy", str(root)], capture_output=True, check=False)


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return int(response.status), response.read().decode()


def serve_and_probe(machine: FreshMachine, command: str, env: dict[str, str]) -> float:
    """`make run` in the machine until /health answers; then the probes; then stop it."""
    port = int(env["PORT"])
    started = time.monotonic()
    log = (machine.log_dir / "make-run.log").open("w")
    process = subprocess.Popen(
        machine.command(command, env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        while time.monotonic() - started < 1800:
            assert process.poll() is None, (machine.log_dir / "make-run.log").read_text()[-4000:]
            with contextlib.suppress(OSError):
                if get(f"http://127.0.0.1:{port}/health")[0] == 200:
                    break
            time.sleep(2)
        else:
            raise AssertionError("make run did not serve /health within 30 minutes")
        seconds = time.monotonic() - started
        assert get(f"http://127.0.0.1:{port}/readiness")[0] == 200
        assert "swagger" in get(f"http://127.0.0.1:{port}/api/docs")[1].lower()
        status, page = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert '<div id="root">' in page
        assert "/assets/index-" in page
        # The login page is a document of its own; every other path is the app's.
        assert "/assets/login-" in get(f"http://127.0.0.1:{port}/login")[1]
        assert get(f"http://127.0.0.1:{port}/h/1/today")[1] == page
        return seconds
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def run_tests(machine: FreshMachine, command: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(
        machine.command(command, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=3600,
        check=False,
    )
    (machine.log_dir / "make-test.log").write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:]
    return time.monotonic() - started, ANSI.sub("", result.stdout)


@pytest.fixture(autouse=True)
def one_at_a_time() -> Iterator[None]:
    if os.geteuid() != 0 or shutil.which("systemd-nspawn") is None:
        pytest.skip("needs root and systemd-nspawn (make fresh-machine-test installs it)")
    with exclusive_machines(timeout=3600):
        yield


@pytest.mark.parametrize("user", ["root", OWNER], ids=["as root", "as a user with sudo"])
def test_the_two_commands_work_on_a_fresh_machine(tmp_path: Path, user: str) -> None:
    make_run, make_test = readme_two_commands()
    assert (make_run, make_test) == ("make run", "make test")
    env = {
        "PORT": str(free_port()),
        # A container cannot boot the cluster test's machines.
        "PYTEST_ADDOPTS": '-m "not cluster"',
        "CRD_SCHEMA_DIR": CRD_SCHEMAS,
        **({"CI": "true"} if user == "root" else {}),
    }
    with fresh_machine(tmp_path, user) as machine:
        home_mode = (machine.root / machine.home.lstrip("/")).stat().st_mode & 0o777
        timings = []
        # Cold (nothing downloaded or built yet), then again with everything in place.
        for run in ("cold", "warm"):
            served = serve_and_probe(machine, make_run, env)
            tested, output = run_tests(machine, make_test, env)
            summary = re.search(r"^=+ (\d+) passed.* in ", output, re.M)
            assert summary, output[-3000:]
            assert " failed" not in output.splitlines()[-1]
            timings.append(f"{run}: make run served in {served:.0f}s, make test took {tested:.0f}s")
        # Nothing outside the project loosened: the home keeps its mode (0700 for /root).
        assert (machine.root / machine.home.lstrip("/")).stat().st_mode & 0o777 == home_mode
        if user == "root":
            assert home_mode == 0o700
        print(f"\n{user}: {'; '.join(timings)} ({summary[1]} tests passed)")
