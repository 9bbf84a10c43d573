"""Fixtures for the cluster playbook tests.

`nspawn_cluster` boots three throw-away Debian machines with `systemd-nspawn --boot` (systemd as
PID 1), each in its own network namespace with a veth pair, reached over SSH like real Pis: the
server rpi-master on trixie (today's Raspberry Pi OS), the agents rpi-worker-1 (with an "SSD"
bind-mounted at /mnt/ssd) and rpi-worker-2 on bookworm. A local apt repository per suite (the
packages the playbook installs, downloaded once) is served on the veth addresses, so no machine
waits on the internet. The debootstrap bases and the repositories are cached under
/var/cache/household-task-manager/ between runs.

`OwnerCheckout` is the owner's side: a copy of this repository with a home directory of its own,
where the README's cluster commands run as written (`readme_cluster_commands`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.machines import (
    cached_build,
    copy_checkout,
    debootstrap,
    exclusive_machines,
    run,
    write,
)
from tests.support.servers import static_files

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
INVENTORY_DIR = REPO / "inventory"
BIN = REPO / ".venv" / "bin"
BOOTSTRAP_UV = Path("var/bootstrap/bin/uv")
# What a flashed Raspberry Pi OS Lite image already has that the playbook relies on.
BASE_PACKAGES = [
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "iproute2",
    "kmod",
    "procps",
]
# Raspberry Pi OS trixie swaps through rpi-swap, which drives systemd-zram-generator.
SUITE_PACKAGES = {"bookworm": [], "trixie": ["systemd-zram-generator"]}
# Bump when the rootfs customisation below changes, to rebuild the cache.
BASE_LAYOUT_VERSION = "3"
# A Raspberry Pi OS kernel command line (one line, as on the SD card's boot partition).
PI_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait\n"
)
# name -> (index, Debian suite): a mixed cluster, as after flashing a new Pi beside old ones.
HOSTS = {
    "rpi-master": (1, "trixie"),
    "rpi-worker-1": (2, "bookworm"),
    "rpi-worker-2": (3, "bookworm"),
}
# The database node of cdk8s/environments/production.yaml and the SSD's mount point there.
DATABASE_NODE = "rpi-worker-1"
SSD_MOUNT = "/mnt/ssd"
NSPAWN_REBOOT_EXIT = 133
# Machine n is <SUBNET>.n.2, the host's end of its veth <SUBNET>.n.1. Network names carry the
# test process's id, so a run only ever removes its own (and those of dead runs).
SUBNET = "10.214"
LINK_NAME = re.compile(r"^htm(\d+)h\d+$")
NETNS_NAME = re.compile(r"^htm-(\d+)-\w+$")


def role_packages() -> list[str]:
    """What the roles install from apt: rpi_prep's packages, and rsync for the snapshots' copy."""
    roles = ANSIBLE_DIR / "roles"
    prep = yaml.safe_load((roles / "rpi_prep/defaults/main.yml").read_text())
    snapshot = yaml.safe_load((roles / "k3s_snapshot/defaults/main.yml").read_text())
    return [*prep["rpi_prep_packages"], *snapshot["k3s_snapshot_copy_packages"]]


def packages_index(repo: Path) -> str:
    """A flat apt repository's Packages file (what dpkg-scanpackages writes), via dpkg-deb."""
    stanzas = []
    for deb in sorted(repo.glob("*.deb")):
        control = run(["dpkg-deb", "--field", str(deb)]).stdout.rstrip("\n")
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        size = deb.stat().st_size
        stanzas.append(f"{control}\nFilename: ./{deb.name}\nSize: {size}\nSHA256: {digest}\n")
    return "\n".join(stanzas)


def release_file(packages: Path) -> str:
    """A flat repository's Release file (apt refuses a repository without one)."""
    data = packages.read_bytes()
    date = time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime())
    return (
        "Origin: household-task-manager-test\nLabel: household-task-manager-test\n"
        f"Date: {date}\nSHA256:\n {hashlib.sha256(data).hexdigest()} {len(data)} Packages\n"
    )


@dataclass(frozen=True)
class BaseImage:
    rootfs: Path
    apt_repo: Path


def build_base(target: Path, suite: str) -> None:
    """debootstrap the base, download the playbook's packages into a local apt repository."""
    rootfs, repo = target / "rootfs", target / "apt-repo"
    debootstrap(rootfs, suite, BASE_PACKAGES + SUITE_PACKAGES[suite])
    shutil.copy("/etc/resolv.conf", rootfs / "etc/resolv.conf")
    chroot = ["chroot", str(rootfs)]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*chroot, "apt-get", "clean"])  # drop debootstrap's own .debs: the repo holds only new ones
    run([*chroot, "apt-get", "update", "-q"], env=env, timeout=300)
    run(
        [
            *chroot,
            "apt-get",
            "install",
            "--download-only",
            "--no-install-recommends",
            "-y",
            "-q",
            *role_packages(),
        ],
        env=env,
        timeout=600,
    )
    repo.mkdir()
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        shutil.move(deb, repo / deb.name)
    (repo / "Packages").write_text(packages_index(repo))
    (repo / "Release").write_text(release_file(repo / "Packages"))
    run([*chroot, "apt-get", "clean"])
    for lists in (rootfs / "var/lib/apt/lists").glob("*"):
        if lists.is_file():
            lists.unlink()
    # Like a flashed image: package lists look old, so the playbook refreshes them.
    (rootfs / "var/lib/apt/periodic/update-success-stamp").unlink(missing_ok=True)
    os.utime(rootfs / "var/lib/apt/lists", (0, 0))

    # What the machines share: no host apt sources, root login by key, quick boots.
    write(
        rootfs / "etc/apt/sources.list", "# replaced per machine by the test's local repository\n"
    )
    write(
        rootfs / "etc/ssh/sshd_config.d/test.conf", "PermitRootLogin prohibit-password\nUseDNS no\n"
    )
    for unit in ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer"]:
        (rootfs / "etc/systemd/system" / unit).symlink_to("/dev/null")
    write(rootfs / "etc/hostname", "raspberrypi\n")
    if suite == "bookworm":
        pi_os_bookworm_swap(rootfs)
    else:
        pi_os_trixie_swap(rootfs)


def pi_os_bookworm_swap(rootfs: Path) -> None:
    """Raspberry Pi OS bookworm: a dphys-swapfile service (a stand-in here) and a swap line in
    /etc/fstab."""
    write(
        rootfs / "lib/systemd/system/dphys-swapfile.service",
        "[Unit]\nDescription=STAND-IN for Raspberry Pi OS dphys-swapfile (test only)\n\n"
        "[Service]\nType=oneshot\nExecStart=/bin/true\nRemainAfterExit=yes\n\n"
        "[Install]\nWantedBy=multi-user.target\n",
    )
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "dphys-swapfile.service").symlink_to("/lib/systemd/system/dphys-swapfile.service")
    write(rootfs / "etc/dphys-swapfile", "CONF_SWAPSIZE=512\n")
    write(rootfs / "etc/fstab", "proc /proc proc defaults 0 0\n/var/swap none swap sw 0 0\n")


def pi_os_trixie_swap(rootfs: Path) -> None:
    """Raspberry Pi OS trixie: rpi-swap's configuration (a stand-in file here: rpi-swap is not
    in Debian) and a zram0 device for Debian's real systemd-zram-generator, which writes
    dev-zram0.swap at boot; no swap in /etc/fstab."""
    write(
        rootfs / "etc/rpi/swap.conf",
        "# STAND-IN for Raspberry Pi OS rpi-swap's configuration (test only)\n"
        "[Main]\nMechanism=auto\n",
    )
    write(rootfs / "etc/systemd/zram-generator.conf", "[zram0]\nzram-size = ram / 2\n")
    write(rootfs / "etc/fstab", "proc /proc proc defaults 0 0\n")


def base_image(suite: str) -> BaseImage:
    packages = [*BASE_PACKAGES, *SUITE_PACKAGES[suite], "--", *role_packages()]
    target = cached_build(
        suite, [suite, *packages, BASE_LAYOUT_VERSION], lambda partial: build_base(partial, suite)
    )
    return BaseImage(rootfs=target / "rootfs", apt_repo=target / "apt-repo")


@dataclass
class Machine:
    name: str
    index: int
    suite: str
    root: Path  # the merged root file system, readable from the host while it runs
    log: Path
    key: Path
    binds: dict[str, Path]  # path in the machine -> host directory bind-mounted there
    process: subprocess.Popen[bytes] | None = None

    @property
    def netns(self) -> str:
        return f"htm-{os.getpid()}-{self.index}"

    @property
    def host_link(self) -> str:
        return f"htm{os.getpid()}h{self.index}"

    @property
    def address(self) -> str:
        return f"{SUBNET}.{self.index}.2"

    @property
    def host_address(self) -> str:
        return f"{SUBNET}.{self.index}.1"

    def ssh(self, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "ssh",
                "-i",
                str(self.key),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=5",
                "-o",
                "BatchMode=yes",
                f"root@{self.address}",
                command,
            ],
            check=check,
            text=True,
            capture_output=True,
            timeout=60,
        )

    def file(self, path: str) -> Path:
        """A path of the machine, as seen from the host (through its bind mounts too)."""
        for inside, host in self.binds.items():
            if path == inside or path.startswith(inside + "/"):
                return host / path.removeprefix(inside).lstrip("/")
        return self.root / path.lstrip("/")


def _cleanup_network(machine: Machine) -> None:
    subprocess.run(["ip", "link", "delete", machine.host_link], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "delete", machine.netns], capture_output=True, check=False)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_networks() -> None:
    """Veth links and namespaces left by test runs that died without cleaning up."""
    links = run(["ip", "-o", "link", "show"]).stdout.splitlines()
    for line in links:
        name = line.split(":")[1].strip().split("@")[0]
        match = LINK_NAME.match(name)
        if match and not _pid_alive(int(match[1])):
            subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)
    for line in run(["ip", "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = NETNS_NAME.match(name)
        if match and not _pid_alive(int(match[1])):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)


def _setup_network(machine: Machine) -> None:
    _cleanup_network(machine)
    inner = f"htm{os.getpid()}c{machine.index}"
    run(["ip", "netns", "add", machine.netns])
    run(["ip", "link", "add", machine.host_link, "type", "veth", "peer", "name", inner])
    run(["ip", "link", "set", inner, "netns", machine.netns])
    run(["ip", "addr", "add", f"{machine.host_address}/24", "dev", machine.host_link])
    run(["ip", "link", "set", machine.host_link, "up"])
    ns = ["ip", "-n", machine.netns]
    run([*ns, "link", "set", "lo", "up"])
    run([*ns, "addr", "add", f"{machine.address}/24", "dev", inner])
    run([*ns, "link", "set", inner, "up"])
    run([*ns, "route", "add", "default", "via", machine.host_address])


def _boot_loop(machine: Machine) -> str:
    """systemd-nspawn exits with 133 when the machine reboots; start it again then."""
    nspawn = (
        f"systemd-nspawn --directory={machine.root} --boot --register=no --keep-unit "
        f"--network-namespace-path=/run/netns/{machine.netns} --machine={machine.name} "
        "--console=passive"
        + "".join(f" --bind={host}:{inside}" for inside, host in machine.binds.items())
    )
    return (
        f'while true; do {nspawn}; rc=$?; echo "nspawn exited $rc"; '
        f"[ $rc -eq {NSPAWN_REBOOT_EXIT} ] || exit $rc; done"
    )


def _wait_for_ssh(machine: Machine, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((machine.address, 22), 1):
            if machine.ssh("true", check=False).returncode == 0:
                return
        if machine.process is not None and machine.process.poll() is not None:
            break
        time.sleep(0.5)
    log = machine.log.read_text(errors="replace")[-3000:]
    raise AssertionError(f"{machine.name} did not come up on SSH; boot log tail:\n{log}")


def nspawn_unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, overlay mounts, systemd-nspawn)"
    missing = [
        tool
        for tool in ["debootstrap", "systemd-nspawn", "ssh", "ssh-keygen", "ip"]
        if shutil.which(tool) is None
    ]
    if missing:
        return (
            f"missing {', '.join(missing)} (apt-get install debootstrap systemd-container "
            "openssh-client iproute2; `make test` installs them when run as root)"
        )
    probe = subprocess.run(
        ["ip", "netns", "add", f"htm-{os.getpid()}-probe"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"cannot create network namespaces: {probe.stderr.strip()}"
    subprocess.run(
        ["ip", "netns", "delete", f"htm-{os.getpid()}-probe"], capture_output=True, check=False
    )
    return None


@dataclass
class Cluster:
    machines: dict[str, Machine]
    workdir: Path
    key: Path
    apt_port: int


def readme_cluster_commands(readme: Path = REPO / "README.md") -> list[tuple[str, str]]:
    """(step, command) for every line of the ```sh blocks in the README's Cluster section, in
    order; the step is the bold title of the paragraph the block belongs to."""
    text = readme.read_text()
    section = text[text.index("\n## Cluster\n") :]
    commands: list[tuple[str, str]] = []
    step = ""
    in_block = False
    for line in section.splitlines()[2:]:
        if line.startswith("## "):
            break
        stripped = line.strip()
        if not in_block:
            title = re.match(r"(?:\d+\.\s+)?\*\*([^*]+)\*\*", line)
            if title:
                step = title[1].rstrip(".:")
            in_block = stripped == "```sh"
        elif stripped == "```":
            in_block = False
        elif stripped and not stripped.startswith("#"):
            commands.append((step, stripped))
    return commands


def readme_yaml_block(after: str, readme: Path = REPO / "README.md") -> dict[str, str]:
    """The first ```yaml block of the README after the line containing `after`."""
    text = readme.read_text()
    block = re.search(r"```yaml\n(.*?)```", text[text.index(after) :], re.S)
    assert block, f"no yaml block after {after!r} in the README"
    return yaml.safe_load(textwrap.dedent(block[1]))  # type: ignore[no-any-return]


@dataclass
class Run:
    command: str
    returncode: int
    output: str
    seconds: float

    @property
    def recap(self) -> dict[str, tuple[int, int, int]]:
        """host -> (changed, unreachable, failed) from the PLAY RECAP."""
        return {m[1]: (int(m[3]), int(m[4]), int(m[5])) for m in RECAP.finditer(self.output)}

    @property
    def changed(self) -> dict[str, int]:
        return {host: counts[0] for host, counts in self.recap.items()}


RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


class OwnerCheckout:
    """A copy of this repository and a home directory of its own, where commands run the way
    the owner types them: one bash session, whose exported variables carry over from one
    command to the next (as `export ANSIBLE_VAULT_PASSWORD_FILE=…` in the README does)."""

    def __init__(self, workdir: Path, editor_writes: str = "") -> None:
        self.workdir = workdir
        self.repo = workdir / "household-task-manager"
        self.home = workdir / "home"
        self.home.mkdir(parents=True)
        copy_checkout(self.repo)  # mtimes kept: make sees the venv as up to date
        # The venv and uv of this checkout: `make venv` finds them current.
        (self.repo / ".venv").symlink_to(REPO / ".venv")
        if (REPO / BOOTSTRAP_UV).exists():
            (self.repo / "var").mkdir(exist_ok=True)
            (self.repo / BOOTSTRAP_UV.parent.parent).symlink_to(REPO / BOOTSTRAP_UV.parent.parent)
        # The owner's editor, for `ansible-vault create`: writes what the owner would type.
        self.editor_input = workdir / "editor-input"
        self.editor_input.write_text(editor_writes)
        write(self.workdir / "editor", f'#!/bin/sh\ncat {self.editor_input} > "$1"\n', 0o755)
        self.state = workdir / "shell-state.sh"
        self.state.write_text("")
        self.runs = 0

    def file(self, name: str) -> Path:
        return self.repo / name

    def edit_yaml(self, name: str, changes: dict[str, object]) -> None:
        """Set top-level keys of a YAML file in place, keeping its comments and layout."""
        path = self.repo / name
        text = path.read_text()
        for key, value in changes.items():
            line = yaml.safe_dump({key: value}, default_flow_style=True, width=1000).strip()
            line = line.removeprefix("{").removesuffix("}")
            text, count = re.subn(rf"(?m)^{re.escape(key)}:.*$", line.replace("\\", r"\\"), text)
            if count == 0:
                text += f"{line}\n"
        path.write_text(text)

    def sh(self, command: str, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
        """Run one command line in the checkout, its output on a terminal as the owner's is
        (`ansible-vault create` opens the editor only then); the output also goes to
        <workdir>/command-<n>.log."""
        self.runs += 1
        log = self.workdir / f"command-{self.runs}.log"
        script = f". {self.state}\n{command}\nrc=$?\nexport -p > {self.state}\nexit $rc\n"
        started = time.monotonic()
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", script],
            cwd=self.repo,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(self.home),
                "LANG": "C.UTF-8",
                "TERM": "dumb",
                "EDITOR": str(self.workdir / "editor"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.workdir / "cp"),
                "ANSIBLE_TIMEOUT": "20",
                **(env or {}),
            },
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
        )
        os.close(terminal)
        output = bytearray(f"$ {command}\n".encode())
        deadline = started + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([controller], [], [], 1.0)
                if not ready:
                    continue
                try:
                    data = os.read(controller, 65536)
                except OSError:  # EIO: every writer of the terminal has exited
                    break
                if not data:
                    break
                output += data
            else:
                process.kill()
            returncode = process.wait(timeout=30)
        finally:
            os.close(controller)
            text = output.decode(errors="replace").replace("\r\n", "\n")
            log.write_text(text)
        return Run(command, returncode, text, time.monotonic() - started)


def _start(machine: Machine) -> None:
    machine.process = subprocess.Popen(
        ["bash", "-c", _boot_loop(machine)],
        stdin=subprocess.DEVNULL,
        stdout=machine.log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(machine: Machine) -> None:
    """SIGTERM to the boot loop's process group (started here, in its own session): the loop
    ends, systemd-nspawn shuts the machine down cleanly; SIGKILL if it takes too long."""
    process = machine.process
    if process is None:
        return
    pgid = process.pid
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        if not _group_alive(pgid):
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while _group_alive(pgid) and time.monotonic() < deadline:
            process.poll()
            time.sleep(0.2)
    process.poll()


@pytest.fixture(scope="module")
def nspawn_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from nspawn_machines(tmp_path_factory, HOSTS)


def nspawn_machines(
    tmp_path_factory: pytest.TempPathFactory, hosts: dict[str, tuple[int, str]]
) -> Iterator[Cluster]:
    """Boot the machines of `hosts` (name -> (index, suite), a part of HOSTS), one test module
    at a time on this host; skips, saying why, where nspawn cannot run."""
    reason = nspawn_unavailable_reason()
    if reason:
        pytest.skip(f"nspawn cluster integration test skipped: {reason}")
    waiting = time.monotonic()
    with exclusive_machines():
        print(f"\nmachines lock acquired after {time.monotonic() - waiting:.0f}s")
        started = time.monotonic()
        remove_stale_networks()
        yield from _nspawn_cluster(tmp_path_factory, hosts)
        print(f"\nnspawn cluster: {time.monotonic() - started:.0f}s from boot to teardown")


def _nspawn_cluster(
    tmp_path_factory: pytest.TempPathFactory, hosts: dict[str, tuple[int, str]]
) -> Iterator[Cluster]:
    started = time.monotonic()
    bases = {suite: base_image(suite) for suite in sorted({suite for _, suite in hosts.values()})}
    print(f"\nbase images ready in {time.monotonic() - started:.0f}s ({', '.join(bases)})")
    workdir = tmp_path_factory.mktemp("nspawn-cluster")
    key = workdir / "id_ed25519"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    # One HTTP server for every suite's repository: <port>/<suite>/.
    apt_root = workdir / "apt"
    apt_root.mkdir()
    for suite, base in bases.items():
        (apt_root / suite).symlink_to(base.apt_repo)
    machines: dict[str, Machine] = {}
    mounted: list[Path] = []
    # On every address: the machines reach it through their veth links.
    with static_files(apt_root, host="0.0.0.0") as port:  # noqa: S104
        try:
            for name, (index, suite) in hosts.items():
                layer = workdir / name
                upper, work, root = layer / "upper", layer / "work", layer / "root"
                for directory in (upper, work, root):
                    directory.mkdir(parents=True)
                run(
                    [
                        "mount",
                        "-t",
                        "overlay",
                        "overlay",
                        "-o",
                        f"lowerdir={bases[suite].rootfs},upperdir={upper},workdir={work}",
                        str(root),
                    ]
                )
                mounted.append(root)
                # The database node's SSD: a host directory mounted at /mnt/ssd, so findmnt in
                # the machine sees a mounted file system there, as on the Pi.
                binds = {SSD_MOUNT: layer / "ssd"} if name == DATABASE_NODE else {}
                for host_directory in binds.values():
                    host_directory.mkdir()
                machine = Machine(name, index, suite, root, layer / "boot.log", key, binds)
                write(
                    root / "root/.ssh/authorized_keys", key.with_suffix(".pub").read_text(), 0o600
                )
                (root / "root/.ssh").chmod(0o700)
                write(root / "boot/firmware/cmdline.txt", PI_CMDLINE)
                write(root / "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
                write(
                    root / "etc/apt/sources.list",
                    f"deb [trusted=yes] http://{machine.host_address}:{port}/{suite}/ ./\n",
                )
                machines[name] = machine
                _setup_network(machine)
                _start(machine)
            deadline = time.monotonic() + 90
            for machine in machines.values():
                _wait_for_ssh(machine, deadline)
            print(f"machines up {time.monotonic() - started:.0f}s after start")
            yield Cluster(machines=machines, workdir=workdir, key=key, apt_port=port)
        finally:
            for machine in machines.values():
                _stop(machine)
            for root in mounted:
                subprocess.run(["umount", "--lazy", str(root)], capture_output=True, check=False)
            for machine in machines.values():
                _cleanup_network(machine)
