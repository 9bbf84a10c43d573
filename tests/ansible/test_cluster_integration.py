"""`ansible-playbook site.yml` against three throw-away Debian bookworm machines.

The machines are `systemd-nspawn --boot` containers (systemd as PID 1, each in its own network
namespace, reached over SSH), prepared like freshly flashed Pis: a Raspberry Pi OS kernel command
line in /boot/firmware/cmdline.txt, a dphys-swapfile service, a swap line in /etc/fstab, the
hostname "raspberrypi". The playbook runs twice: the first run applies everything and reboots the
machines (the cgroup flags changed); the second must report changed=0. Then the tests check what
the machines look like, that a binary failing its sha256 check is refused, that upgrade.yml moves
the nodes one at a time to a new version, and that reset.yml removes k3s but keeps the database
directory.

What this does NOT cover, and why:
- k3s itself. The real binary cannot be downloaded here; a clearly named stand-in
  (k3s_standin.py, "not k3s") goes through the air-gap path instead. No Kubernetes runs, so the
  platform role's readiness waits (tag `platform_ready`: CRDs established, rollouts, ClusterIssuers
  ready, the Sealed Secrets certificate) are skipped; its manifests are rendered and placed and
  test_platform_manifests.py validates them against the schemas. Agents joining the server, the
  kubeconfig's credentials, the online download from GitHub and upgrade.yml's drain/uncordon
  (run with upgrade_drain=false) are not exercised.
- Kernel effects. Containers share the host kernel: the cmdline flags, module loading and sysctls
  are checked as files and units, not as kernel state; the reboot is a container restart.
- arm64. The machines are amd64; the arm64 asset name is only exercised in the checksum file.
"""

from __future__ import annotations

import hashlib
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import PI_CMDLINE, Cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

VERSION = "v1.36.3+k3s1"
NEXT_VERSION = "v1.36.4+k3s1"
DUCKDNS_TOKEN = "duckdns-token-for-the-test-0f1e2d3c"
STANDIN = Path(__file__).with_name("k3s_standin.py")
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def standin_artifacts(root: Path, version: str, *, corrupt: bool = False) -> Path:
    """An air-gap artifacts directory: <root>/<version>/k3s + sha256sum-amd64.txt."""
    directory = root / version
    directory.mkdir(parents=True)
    binary = STANDIN.read_text().replace("@VERSION@", version).encode()
    digest = hashlib.sha256(binary).hexdigest()
    other = hashlib.sha256(b"arm64 build").hexdigest()
    (directory / "sha256sum-amd64.txt").write_text(
        f"{other}  k3s-airgap-images-amd64.tar.zst\n{digest}  k3s\n"
    )
    (directory / "sha256sum-arm64.txt").write_text(f"{other}  k3s-arm64\n")
    if corrupt:
        binary += b"\n# one changed byte is enough\n"
    (directory / "k3s").write_bytes(binary)
    (directory / "k3s").chmod(0o755)
    return root


def recap(output: str) -> dict[str, tuple[int, int, int]]:
    """host -> (changed, unreachable, failed) from the PLAY RECAP."""
    return {m[1]: (int(m[3]), int(m[4]), int(m[5])) for m in RECAP.finditer(output)}


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float

    @property
    def changed(self) -> dict[str, int]:
        return {host: counts[0] for host, counts in recap(self.output).items()}


@dataclass
class Converged:
    cluster: Cluster
    first: Run
    second: Run
    extra_vars: list[str]


def play(cluster: Cluster, playbook: str, *args: str) -> Run:
    started = time.monotonic()
    returncode, output = cluster.playbook(
        playbook, *args, env={"DUCKDNS_TOKEN": DUCKDNS_TOKEN, "K3S_TOKEN": ""}
    )
    return Run(returncode, output, time.monotonic() - started)


@pytest.fixture(scope="module")
def converged(nspawn_cluster: Cluster) -> Converged:
    work = nspawn_cluster.workdir
    extra_vars = [
        "-e",
        f"k3s_binary_airgap_dir={standin_artifacts(work / 'artifacts', VERSION)}",
        "-e",
        f"k3s_server_kubeconfig_dest={work / 'controller/kubeconfig'}",
        "-e",
        f"platform_sealed_secrets_cert_dest={work / 'controller/sealed-secrets-cert.pem'}",
        "--skip-tags",
        "platform_ready",
    ]
    first = play(nspawn_cluster, "site.yml", *extra_vars)
    assert first.returncode == 0, first.output[-6000:]
    second = play(nspawn_cluster, "site.yml", *extra_vars)
    assert second.returncode == 0, second.output[-6000:]
    print(
        f"\nfirst run: changed={first.changed} in {first.seconds:.0f}s; "
        f"second run: changed={second.changed} in {second.seconds:.0f}s"
    )
    return Converged(nspawn_cluster, first, second, extra_vars)


def test_first_run_applies_and_second_run_changes_nothing(converged: Converged) -> None:
    hosts = {"rpi-master", "rpi-worker-1", "rpi-worker-2"}
    assert set(converged.first.changed) == hosts
    assert all(count > 0 for count in converged.first.changed.values())
    assert converged.second.changed == dict.fromkeys(hosts, 0), converged.second.output[-4000:]
    assert all(counts[1:] == (0, 0) for counts in recap(converged.second.output).values())


def test_each_node_rebooted_once_for_the_cmdline_change(converged: Converged) -> None:
    for machine in converged.cluster.machines.values():
        assert machine.log.read_text(errors="replace").count("nspawn exited 133") == 1


def test_cmdline_has_each_cgroup_flag_once_on_its_single_line(converged: Converged) -> None:
    for machine in converged.cluster.machines.values():
        text = machine.file("/boot/firmware/cmdline.txt").read_text()
        assert text.count("\n") == 1
        assert text.endswith("\n")
        words = text.split()
        assert words[: len(PI_CMDLINE.split())] == PI_CMDLINE.split()
        for flag in ["cgroup_memory=1", "cgroup_enable=memory", "cgroup_enable=cpuset"]:
            assert words.count(flag) == 1, (machine.name, text)


def test_swap_is_off_and_stays_off(converged: Converged) -> None:
    for machine in converged.cluster.machines.values():
        enabled = machine.ssh("systemctl is-enabled dphys-swapfile.service", check=False)
        assert enabled.stdout.strip() == "masked"
        fstab = machine.file("/etc/fstab").read_text().splitlines()
        assert "proc /proc proc defaults 0 0" in fstab
        swap_lines = [line for line in fstab if " swap " in line]
        assert swap_lines == ["# /var/swap none swap sw 0 0  # disabled for kubernetes"]
        assert "CONF_SWAPSIZE=0" in machine.file("/etc/dphys-swapfile").read_text().splitlines()
        swaps = machine.ssh("cat /proc/swaps").stdout.strip().splitlines()
        assert len(swaps) == 1  # the header only


def test_kernel_modules_and_sysctls_are_configured_for_boot(converged: Converged) -> None:
    for machine in converged.cluster.machines.values():
        modules = machine.file("/etc/modules-load.d/k3s.conf").read_text().splitlines()
        assert [line for line in modules if not line.startswith("#")] == ["overlay", "br_netfilter"]
        sysctls = dict(
            line.split(" = ")
            for line in machine.file("/etc/sysctl.d/90-k3s.conf").read_text().splitlines()
            if not line.startswith("#")
        )
        assert sysctls["net.bridge.bridge-nf-call-iptables"] == "1"
        assert sysctls["net.bridge.bridge-nf-call-ip6tables"] == "1"
        assert sysctls["net.ipv4.ip_forward"] == "1"


def test_hostname_packages_and_time_sync(converged: Converged) -> None:
    for name, machine in converged.cluster.machines.items():
        assert machine.file("/etc/hostname").read_text().strip() == name
        assert machine.ssh("hostname").stdout.strip() == name
        assert f"127.0.1.1\t{name}" in machine.file("/etc/hosts").read_text().splitlines()
        status = machine.ssh(
            "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' curl ca-certificates "
            "systemd-timesyncd"
        ).stdout.split("\n")
        assert sorted(filter(None, status)) == [
            "ca-certificates installed",
            "curl installed",
            "systemd-timesyncd installed",
        ]
        assert machine.ssh("systemctl is-enabled systemd-timesyncd").stdout.strip() == "enabled"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_and_agents_run_k3s_with_their_config(converged: Converged) -> None:
    machines = converged.cluster.machines
    server = machines["rpi-master"]
    assert server.ssh("systemctl is-active k3s.service").stdout.strip() == "active"
    assert server.ssh("systemctl is-enabled k3s.service").stdout.strip() == "enabled"
    unit = server.file("/etc/systemd/system/k3s.service").read_text()
    assert "ExecStart=/usr/local/bin/k3s server" in unit
    config_path = server.file("/etc/rancher/k3s/config.yaml")
    assert mode(config_path) == 0o600
    config = yaml.safe_load(config_path.read_text())
    assert config == {
        "node-name": "rpi-master",
        "tls-san": [server.address],
        "token-file": "/etc/rancher/k3s/token",
        "write-kubeconfig-mode": "0600",
    }  # traefik is the default ingress controller: nothing is disabled
    assert server.ssh("k3s --version").stdout.startswith(f"k3s version {VERSION} (STAND-IN")
    for link in ["kubectl", "crictl", "ctr"]:
        assert server.ssh(f"readlink /usr/local/bin/{link}").stdout.strip() == "/usr/local/bin/k3s"
    for name in ["rpi-worker-1", "rpi-worker-2"]:
        agent = machines[name]
        assert agent.ssh("systemctl is-active k3s-agent.service").stdout.strip() == "active"
        assert not agent.file("/etc/systemd/system/k3s.service").exists()
        assert (
            "ExecStart=/usr/local/bin/k3s agent"
            in agent.file("/etc/systemd/system/k3s-agent.service").read_text()
        )
        assert yaml.safe_load(agent.file("/etc/rancher/k3s/config.yaml").read_text()) == {
            "server": f"https://{server.address}:6443",
            "node-name": name,
            "token-file": "/etc/rancher/k3s/token",
        }


def test_token_generated_once_on_the_server_and_handed_to_agents(converged: Converged) -> None:
    tokens = set()
    for machine in converged.cluster.machines.values():
        path = machine.file("/etc/rancher/k3s/token")
        assert mode(path) == 0o600
        tokens.add(path.read_text())
    assert len(tokens) == 1
    token = tokens.pop().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    for run in (converged.first, converged.second):
        assert token not in run.output
        assert DUCKDNS_TOKEN not in run.output


def test_kubeconfig_fetched_with_the_server_address(converged: Converged) -> None:
    kubeconfig = converged.cluster.workdir / "controller/kubeconfig"
    assert mode(kubeconfig) == 0o600
    document = yaml.safe_load(kubeconfig.read_text())
    server = converged.cluster.machines["rpi-master"].address
    assert [c["cluster"]["server"] for c in document["clusters"]] == [f"https://{server}:6443"]


def test_database_directory_only_on_the_database_node(converged: Converged) -> None:
    for name, machine in converged.cluster.machines.items():
        assert machine.file("/mnt/ssd/postgres").is_dir() == (name == "rpi-worker-1")


def test_platform_manifests_are_placed_for_k3s_auto_deploy(converged: Converged) -> None:
    manifests = converged.cluster.machines["rpi-master"].file(
        "/var/lib/rancher/k3s/server/manifests"
    )
    kinds = {}
    for path in sorted(manifests.glob("platform-*.yaml")):
        assert mode(path) == 0o600
        for document in yaml.safe_load_all(path.read_text()):
            kinds[(document["kind"], document["metadata"]["name"])] = document
    assert set(kinds) == {
        ("HelmChartConfig", "traefik"),
        ("Namespace", "cert-manager"),
        ("HelmChart", "cert-manager"),
        ("HelmChart", "sealed-secrets"),
        ("Namespace", "argocd"),
        ("HelmChart", "argo-cd"),
        ("ClusterIssuer", "letsencrypt-staging"),
        ("ClusterIssuer", "letsencrypt-prod"),
        ("Application", "household-task-manager"),
    }
    source = kinds[("Application", "household-task-manager")]["spec"]["source"]
    assert source["path"] == "gitops/production"
    for machine in converged.cluster.machines.values():
        if machine.name != "rpi-master":
            assert not machine.file("/var/lib/rancher/k3s/server/manifests").exists()


def test_duckdns_timer_keeps_its_token_root_only(converged: Converged) -> None:
    server = converged.cluster.machines["rpi-master"]
    assert server.ssh("systemctl is-enabled duckdns-update.timer").stdout.strip() == "enabled"
    assert server.ssh("systemctl is-active duckdns-update.timer").stdout.strip() == "active"
    request = server.file("/etc/duckdns/curl.conf")
    assert mode(request) == 0o600
    assert mode(request.parent) == 0o700
    assert f"domains=household-task-mgr&token={DUCKDNS_TOKEN}&ip=" in request.read_text()
    for unit in ["duckdns-update.service", "duckdns-update.timer"]:
        assert DUCKDNS_TOKEN not in server.file(f"/etc/systemd/system/{unit}").read_text()
    assert DUCKDNS_TOKEN not in server.file("/usr/local/sbin/duckdns-update").read_text()


def test_a_binary_that_fails_its_checksum_is_refused(converged: Converged) -> None:
    cluster = converged.cluster
    worker = cluster.machines["rpi-worker-2"]
    before = worker.ssh("sha256sum /usr/local/bin/k3s").stdout.split()[0]
    bad = standin_artifacts(cluster.workdir / "artifacts-bad", VERSION, corrupt=True)
    result = play(
        cluster,
        "site.yml",
        *converged.extra_vars,
        "-e",
        f"k3s_binary_airgap_dir={bad}",
        "--limit",
        "rpi-worker-2",
        "--tags",
        "k3s_binary",
    )
    assert result.returncode != 0
    assert "sha256 mismatch" in result.output
    assert recap(result.output)["rpi-worker-2"][2] == 1
    assert worker.ssh("sha256sum /usr/local/bin/k3s").stdout.split()[0] == before


def test_upgrade_playbook_moves_one_node_at_a_time_to_a_new_version(converged: Converged) -> None:
    cluster = converged.cluster
    artifacts = standin_artifacts(cluster.workdir / "artifacts-next", NEXT_VERSION)
    upgrade = play(
        cluster,
        "upgrade.yml",
        *converged.extra_vars,
        "-e",
        f"k3s_binary_airgap_dir={artifacts}",
        "-e",
        f"k3s_version={NEXT_VERSION}",
        "-e",
        "upgrade_drain=false",  # draining needs a real API server
    )
    assert upgrade.returncode == 0, upgrade.output[-6000:]
    assert all(count > 0 for count in upgrade.changed.values()), upgrade.changed
    restarted_at = []
    for name in ["rpi-master", "rpi-worker-1", "rpi-worker-2"]:
        machine = cluster.machines[name]
        assert machine.ssh("k3s --version").stdout.startswith(f"k3s version {NEXT_VERSION} ")
        role = "server" if name == "rpi-master" else "agent"
        version, _, started = machine.ssh(f"cat /run/k3s-standin/{role}").stdout.split()
        assert version == NEXT_VERSION  # the service was restarted onto the new binary
        restarted_at.append(float(started))
    assert restarted_at == sorted(restarted_at)  # server first, then the agents one by one


def test_reset_removes_k3s_and_keeps_the_database_directory(converged: Converged) -> None:
    cluster = converged.cluster
    result = play(cluster, "reset.yml")
    assert result.returncode == 0, result.output[-6000:]
    for machine in cluster.machines.values():
        for path in ["/usr/local/bin/k3s", "/etc/rancher", "/etc/systemd/system/k3s.service"]:
            assert not machine.file(path).exists(), (machine.name, path)
        states = machine.ssh("systemctl is-active k3s.service k3s-agent.service", check=False)
        assert states.stdout.split() == ["inactive", "inactive"]
    assert cluster.machines["rpi-worker-1"].file("/mnt/ssd/postgres").is_dir()
