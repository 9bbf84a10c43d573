"""Fixtures for the cluster playbook tests.

`nspawn_cluster` boots three throw-away Debian bookworm machines (rpi-master, rpi-worker-1,
rpi-worker-2) with `systemd-nspawn --boot` (systemd as PID 1), each in its own network namespace
with a veth pair, reached over SSH like real Pis. A local apt repository (the packages the
playbook installs, downloaded once) is served on the veth addresses, so no machine waits on the
internet. The debootstrap base and the repository are cached under
/var/cache/household-task-manager/ between runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
INVENTORY_DIR = REPO / "inventory"
BIN = REPO / ".venv" / "bin"
CACHE = Path(os.environ.get("HTM_NSPAWN_CACHE", "/var/cache/household-task-manager"))
SUITE = "bookworm"
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
# Bump when the rootfs customisation below changes, to rebuild the cache.
BASE_LAYOUT_VERSION = "2"
# A Raspberry Pi OS kernel command line (one line, as on the SD card's boot partition).
PI_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait\n"
)
HOSTS = {"rpi-master": 1, "rpi-worker-1": 2, "rpi-worker-2": 3}
NSPAWN_REBOOT_EXIT = 133
# Machine n is <SUBNET>.n.2, the host's end of its veth <SUBNET>.n.1. Network names carry the
# test process's id, so a run only ever removes its own (and those of dead runs).
SUBNET = "10.214"
LINK_NAME = re.compile(r"^htm(\d+)h\d+$")
NETNS_NAME = re.compile(r"^htm-(\d+)-\w+$")


def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine (debootstrap must use the same one)."""
    candidates = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in candidates:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] or words[:1] == ["deb"]:
                for word in words[1:]:
                    if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                        return word
    return "http://deb.debian.org/debian"


def role_packages() -> list[str]:
    defaults = yaml.safe_load((ANSIBLE_DIR / "roles/rpi_prep/defaults/main.yml").read_text())
    return list(defaults["rpi_prep_packages"])


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


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


def build_base(target: Path) -> None:
    """debootstrap the base, download the playbook's packages into a local apt repository."""
    rootfs, repo = target / "rootfs", target / "apt-repo"
    run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            SUITE,
            str(rootfs),
            debian_mirror(),
        ],
        timeout=900,
    )
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

    # What the machines share: no host apt sources, root login by key, quick boots,
    # and a stand-in for Raspberry Pi OS's swap file service for rpi_prep to mask.
    write(
        rootfs / "etc/apt/sources.list", "# replaced per machine by the test's local repository\n"
    )
    write(
        rootfs / "etc/ssh/sshd_config.d/test.conf", "PermitRootLogin prohibit-password\nUseDNS no\n"
    )
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
    for unit in ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer"]:
        (rootfs / "etc/systemd/system" / unit).symlink_to("/dev/null")
    write(rootfs / "etc/hostname", "raspberrypi\n")


def base_image() -> BaseImage:
    key_source = "|".join([SUITE, *BASE_PACKAGES, "--", *role_packages(), BASE_LAYOUT_VERSION])
    key = hashlib.sha256(key_source.encode()).hexdigest()[:12]
    target = CACHE / f"{SUITE}-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").exists():
            partial = CACHE / f".{target.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            started = time.monotonic()
            build_base(partial)
            (partial / ".complete").write_text(f"built in {time.monotonic() - started:.0f}s\n")
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    return BaseImage(rootfs=target / "rootfs", apt_repo=target / "apt-repo")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def apt_server(directory: Path) -> Iterator[int]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), handler)  # noqa: S104
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Machine:
    name: str
    index: int
    root: Path  # the merged root file system, readable from the host while it runs
    log: Path
    key: Path
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
    runs: int = 0

    def inventory(self) -> Path:
        """An inventory like inventory/hosts.example.yml, plus the repository's group_vars."""
        inventory = self.workdir / "inventory"
        if not inventory.exists():
            shutil.copytree(INVENTORY_DIR / "group_vars", inventory / "group_vars")
            hosts = {
                "all": {
                    "vars": {
                        "ansible_user": "root",
                        "ansible_ssh_private_key_file": str(self.key),
                        "ansible_ssh_common_args": (
                            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
                        ),
                        "ansible_python_interpreter": "/usr/bin/python3",
                    },
                    "children": {
                        "server": {"hosts": {"rpi-master": {}}},
                        "agent": {"hosts": {"rpi-worker-1": {}, "rpi-worker-2": {}}},
                    },
                }
            }
            for group in hosts["all"]["children"].values():  # type: ignore[attr-defined]
                for name in group["hosts"]:
                    group["hosts"][name] = {"ansible_host": self.machines[name].address}
            write(inventory / "hosts.yml", yaml.safe_dump(hosts, sort_keys=False))
        return inventory

    def playbook(
        self, playbook: str, *args: str, env: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """Run a playbook from ansible/; its output also goes to <workdir>/playbook-<n>.log."""
        self.runs += 1
        log = self.workdir / f"playbook-{self.runs}.log"
        with log.open("w") as output:
            result = subprocess.run(
                [str(BIN / "ansible-playbook"), "-i", str(self.inventory()), playbook, *args],
                cwd=ANSIBLE_DIR,
                env={
                    **os.environ,
                    "PATH": f"{BIN}:{os.environ['PATH']}",
                    "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_FORCE_COLOR": "0",
                    "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
                    "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.workdir / "cp"),
                    "ANSIBLE_TIMEOUT": "20",
                    **(env or {}),
                },
                text=True,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=420,
            )
        return result.returncode, log.read_text()


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


@contextlib.contextmanager
def exclusive_machines(timeout: float = 900) -> Iterator[None]:
    """One test cluster per host at a time: the network names and addresses are fixed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".machines.lock").open("w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError("another test run kept the nspawn machines") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def nspawn_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = nspawn_unavailable_reason()
    if reason:
        pytest.skip(f"nspawn cluster integration test skipped: {reason}")
    waiting = time.monotonic()
    with exclusive_machines():
        print(f"\nmachines lock acquired after {time.monotonic() - waiting:.0f}s")
        started = time.monotonic()
        remove_stale_networks()
        yield from _nspawn_cluster(tmp_path_factory)
        print(f"\nnspawn cluster: {time.monotonic() - started:.0f}s from boot to teardown")


def _nspawn_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = time.monotonic()
    base = base_image()
    print(f"\nbase image ready in {time.monotonic() - started:.0f}s ({base.rootfs})")
    workdir = tmp_path_factory.mktemp("nspawn-cluster")
    key = workdir / "id_ed25519"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    machines: dict[str, Machine] = {}
    mounted: list[Path] = []
    with apt_server(base.apt_repo) as port:
        try:
            for name, index in HOSTS.items():
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
                        f"lowerdir={base.rootfs},upperdir={upper},workdir={work}",
                        str(root),
                    ]
                )
                mounted.append(root)
                machine = Machine(name, index, root, layer / "boot.log", key)
                write(
                    root / "root/.ssh/authorized_keys", key.with_suffix(".pub").read_text(), 0o600
                )
                (root / "root/.ssh").chmod(0o700)
                write(root / "boot/firmware/cmdline.txt", PI_CMDLINE)
                write(root / "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
                write(
                    root / "etc/apt/sources.list",
                    f"deb [trusted=yes] http://{machine.host_address}:{port}/ ./\n",
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
