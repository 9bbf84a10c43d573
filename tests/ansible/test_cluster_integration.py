"""The README's cluster steps, as written, against three throw-away Debian machines.

The machines are `systemd-nspawn --boot` containers (systemd as PID 1, each in its own network
namespace, reached over SSH), prepared like freshly flashed Pis: a Raspberry Pi OS kernel command
line in /boot/firmware/cmdline.txt, the hostname "raspberrypi", and each release's swap: the
server rpi-master runs trixie (rpi-swap's configuration and systemd-zram-generator's zram0), the
agents run bookworm (dphys-swapfile and a swap line in /etc/fstab). The database node has its
"SSD" mounted at /mnt/ssd.

The owner's side is a copy of this repository with a home directory of its own. Every command of
the README's Cluster section runs there literally, in order, in one shell session: `cp` of the
example inventory, the vault password and `ansible-vault create` (the editor writes the README's
vault example with this test's token), `make cluster ARGS="--check --diff"` on the fresh
machines, `make cluster` (which reboots them once), `make cluster` again (changed=0), the check
again on the converged cluster (changed=0), `make cluster-upgrade` with nothing to upgrade and
after a version bump, `make cluster-reset` (which must keep the database, the backups and a last
datastore snapshot, and say where) and `make cluster` once more on the kept data. Between them
the test edits what the README tells the owner to edit, and nothing else. The README commands
it cannot run here are listed in NOT_RUN with the reason; a README command that is neither run
nor listed fails the test.

What this does NOT cover, and why:
- k3s itself. The real binary cannot be downloaded here; a clearly named stand-in
  (k3s_standin.py, "not k3s") goes through the air-gap path instead (the owner's setting
  `k3s_binary_airgap_dir`). It writes a CA file and the secure server token as k3s does, and
  answers the node calls of upgrade.yml (get, drain, uncordon) by logging them. No Kubernetes
  runs, so the platform role's readiness waits (tag `platform_ready`, skipped through
  ANSIBLE_SKIP_TAGS) are not exercised; its manifests are rendered and placed, and
  test_platform_manifests.py validates them against the schemas.
- Kernel effects. Containers share the host kernel: the cmdline flags, module loading, sysctls
  and zram are checked as files and units, not as kernel state; the reboot is a restart.
- arm64. The machines are amd64; the arm64 asset name is only exercised in the checksum file.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import (
    DATABASE_NODE,
    PI_CMDLINE,
    SSD_MOUNT,
    Cluster,
    Machine,
    OwnerCheckout,
    Run,
    readme_cluster_commands,
    readme_yaml_block,
)

pytestmark = [pytest.mark.slow, pytest.mark.cluster, pytest.mark.timeout(1500)]

VERSION = "v1.36.3+k3s1"
NEXT_VERSION = "v1.36.4+k3s1"
DUCKDNS_TOKEN = "0f1e2d3c-4b5a-4697-8877-a5b4c3d2e1f0"
STANDIN = Path(__file__).with_name("k3s_standin.py")
MARKER = ".household-task-manager-disk"
# README commands this test does not run, and why.
NOT_RUN = {
    "make seal": "needs the cluster's Sealed Secrets certificate (tests/cdk8s test the sealing)",
    "git ": "publishes to the owner's own repository",
    "export KUBECONFIG=": "for kubectl against the real API server",
    "kubectl ": "needs a real API server; k3s is a stand-in here",
}


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


class ReadmeSteps:
    """The README's cluster commands, handed out in order; each must be taken exactly once."""

    def __init__(self) -> None:
        self.remaining = readme_cluster_commands()

    def take(self, step: str) -> str:
        assert self.remaining, f"the README has no more commands; expected one of {step!r}"
        found_step, command = self.remaining.pop(0)
        while any(command.startswith(prefix) for prefix in NOT_RUN):
            found_step, command = self.remaining.pop(0)
        assert found_step == step, (found_step, command)
        return command


@dataclass
class Converged:
    cluster: Cluster
    owner: OwnerCheckout
    readme: ReadmeSteps
    check_fresh: Run
    first: Run
    second: Run
    check_converged: Run
    after_check: dict[str, tuple[str, bool]]  # node -> (cmdline.txt, /etc/rancher exists)


def play(owner: OwnerCheckout, command: str) -> Run:
    return owner.sh(command, env={"ANSIBLE_SKIP_TAGS": "platform_ready"})


def owner_edits_settings(owner: OwnerCheckout, cluster: Cluster) -> None:
    """README step 3: the addresses and login of the Pis, the e-mail and repository URL, and
    (as the image workflow would) the image owner; air-gap mode for the stand-in binary."""
    hosts = yaml.safe_load(owner.file("inventory/hosts.yml").read_text())
    for group in hosts["all"]["children"].values():
        for name in group["hosts"]:
            group["hosts"][name] = {"ansible_host": cluster.machines[name].address}
    hosts["all"]["vars"] = {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(cluster.key),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    owner.file("inventory/hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    artifacts = cluster.workdir / "artifacts"
    standin_artifacts(artifacts, VERSION)
    standin_artifacts(artifacts, NEXT_VERSION)
    owner.edit_yaml(
        "inventory/group_vars/all/main.yml",
        {
            "platform_acme_email": "household@home-lab.jp",
            "platform_gitops_repo_url": "https://github.com/home-lab-jp/household-task-manager.git",
            "k3s_binary_airgap_dir": str(artifacts),
        },
    )
    owner.edit_yaml("cdk8s/environments/production.yaml", {"image_owner": "home-lab-jp"})


@pytest.fixture(scope="module")
def converged(nspawn_cluster: Cluster) -> Converged:
    cluster = nspawn_cluster
    vault = readme_yaml_block("ansible-vault create")
    assert set(vault) == {"vault_duckdns_token"}
    owner = OwnerCheckout(
        cluster.workdir / "owner",
        editor_writes=yaml.safe_dump({**vault, "vault_duckdns_token": DUCKDNS_TOKEN}),
    )
    readme = ReadmeSteps()

    copied = owner.sh(readme.take("Inventory and settings"))
    assert copied.returncode == 0, copied.output
    owner_edits_settings(owner, cluster)
    for _ in range(6):
        command = readme.take("Secrets")
        result = owner.sh(command)
        assert result.returncode == 0, result.output
    assert (
        owner.file("inventory/group_vars/all/vault.yml")
        .read_text()
        .startswith("$ANSIBLE_VAULT;1.1;AES256")
    )

    check_command, build_command = (
        readme.take("Build the cluster"),
        readme.take("Build the cluster"),
    )
    assert "--check" in check_command
    assert build_command == "make cluster"
    check_fresh = play(owner, check_command)
    assert check_fresh.returncode == 0, check_fresh.output[-6000:]
    after_check = {
        name: (
            machine.file("/boot/firmware/cmdline.txt").read_text(),
            machine.file("/etc/rancher").exists(),
        )
        for name, machine in cluster.machines.items()
    }
    first = play(owner, build_command)
    assert first.returncode == 0, first.output[-6000:]
    second = play(owner, build_command)
    assert second.returncode == 0, second.output[-6000:]
    check_converged = play(owner, check_command)
    assert check_converged.returncode == 0, check_converged.output[-6000:]
    for name, run in [
        ("check (fresh)", check_fresh),
        ("first", first),
        ("second", second),
        ("check (converged)", check_converged),
    ]:
        print(f"\n{name}: changed={run.changed} in {run.seconds:.0f}s")
    return Converged(
        cluster, owner, readme, check_fresh, first, second, check_converged, after_check
    )


NODES = {"rpi-master", "rpi-worker-1", "rpi-worker-2"}


def test_check_mode_on_fresh_nodes_reports_changes_and_touches_nothing(
    converged: Converged,
) -> None:
    check = converged.check_fresh
    assert set(check.changed) == NODES | {"localhost"}
    assert all(counts[1:] == (0, 0) for counts in check.recap.values())
    assert all(check.changed[name] > 0 for name in NODES)
    # Nothing was applied: no boot flag, no k3s configuration, and no reboot by it.
    assert converged.after_check == dict.fromkeys(NODES, (PI_CMDLINE, False))


def test_first_run_applies_and_second_run_and_check_change_nothing(converged: Converged) -> None:
    assert converged.second.changed == dict.fromkeys(NODES | {"localhost"}, 0), (
        converged.second.output[-4000:]
    )
    assert converged.check_converged.changed == dict.fromkeys(NODES | {"localhost"}, 0), (
        converged.check_converged.output[-4000:]
    )
    for run in (converged.second, converged.check_converged):
        assert all(counts[1:] == (0, 0) for counts in run.recap.values())


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


def test_the_cluster_mixes_trixie_and_bookworm(converged: Converged) -> None:
    codenames = {
        name: machine.ssh(". /etc/os-release && echo $VERSION_CODENAME").stdout.strip()
        for name, machine in converged.cluster.machines.items()
    }
    assert codenames == {
        "rpi-master": "trixie",
        "rpi-worker-1": "bookworm",
        "rpi-worker-2": "bookworm",
    }


def test_swap_is_off_and_stays_off_on_bookworm_and_trixie(converged: Converged) -> None:
    for machine in converged.cluster.machines.values():
        swaps = machine.ssh("cat /proc/swaps").stdout.strip().splitlines()
        assert len(swaps) == 1  # the header only
        zram = machine.ssh("systemctl is-enabled dev-zram0.swap", check=False)
        assert zram.stdout.strip() == "masked", machine.name
        if machine.suite == "bookworm":
            enabled = machine.ssh("systemctl is-enabled dphys-swapfile.service", check=False)
            assert enabled.stdout.strip() == "masked"
            fstab = machine.file("/etc/fstab").read_text().splitlines()
            assert "proc /proc proc defaults 0 0" in fstab
            swap_lines = [line for line in fstab if " swap " in line]
            assert swap_lines == ["# /var/swap none swap sw 0 0  # disabled for kubernetes"]
            assert "CONF_SWAPSIZE=0" in machine.file("/etc/dphys-swapfile").read_text().splitlines()
        else:
            dropin = machine.file("/etc/rpi/swap.conf.d/90-k3s.conf").read_text()
            assert "[Main]\nMechanism=none\n" in dropin
            # systemd-zram-generator's own unit for zram0 is masked too.
            setup = machine.ssh(
                "systemctl is-enabled systemd-zram-setup@zram0.service", check=False
            )
            assert setup.stdout.strip() == "masked"


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


def test_agents_join_with_the_secure_token_that_pins_the_servers_ca(converged: Converged) -> None:
    machines = converged.cluster.machines
    server = machines["rpi-master"]
    secret_path = server.file("/etc/rancher/k3s/token")
    assert mode(secret_path) == 0o600
    secret = secret_path.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    ca = server.file("/var/lib/rancher/k3s/server/tls/server-ca.crt").read_bytes()
    expected = f"K10{hashlib.sha256(ca).hexdigest()}::server:{secret}"
    for name in ["rpi-worker-1", "rpi-worker-2"]:
        path = machines[name].file("/etc/rancher/k3s/token")
        assert mode(path) == 0o600
        assert path.read_text() == expected + "\n"
    runs = (converged.check_fresh, converged.first, converged.second, converged.check_converged)
    for run in runs:
        assert secret not in run.output
        assert DUCKDNS_TOKEN not in run.output


def test_kubeconfig_fetched_with_the_server_address(converged: Converged) -> None:
    kubeconfig = converged.owner.file("var/cluster/kubeconfig")
    assert mode(kubeconfig) == 0o600
    document = yaml.safe_load(kubeconfig.read_text())
    server = converged.cluster.machines["rpi-master"].address
    assert [c["cluster"]["server"] for c in document["clusters"]] == [f"https://{server}:6443"]


def test_database_directory_is_on_the_ssd_with_its_marker(converged: Converged) -> None:
    for name, machine in converged.cluster.machines.items():
        assert machine.file("/mnt/ssd/postgres").is_dir() == (name == DATABASE_NODE)
    database = converged.cluster.machines[DATABASE_NODE]
    # The directory and its marker are on the mounted "SSD" itself (the host directory behind
    # the bind mount), not on the machine's root file system below it.
    on_disk = database.binds[SSD_MOUNT] / "postgres" / MARKER
    assert "refuses to create a new, empty database" in on_disk.read_text()
    assert not (database.root / "mnt/ssd/postgres").exists()


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
        # The observability stack (platform-observability.yaml).
        ("Namespace", "monitoring"),
        ("ConfigMap", "household-alert-rules"),
        *(
            ("HelmChart", name)
            for name in (
                "victoria-metrics-single",
                "victoria-metrics-alert",
                "victoria-logs-single",
                "fluent-bit",
                "tempo",
                "grafana",
                "node-exporter",
                "kube-state-metrics",
                "postgres-exporter",
            )
        ),
    }
    source = kinds[("Application", "household-task-manager")]["spec"]["source"]
    assert source == {
        "repoURL": "https://github.com/home-lab-jp/household-task-manager.git",
        "targetRevision": "main",
        "path": "gitops/production",
    }
    issuer = kinds[("ClusterIssuer", "letsencrypt-prod")]["spec"]["acme"]
    assert issuer["email"] == "household@home-lab.jp"
    for machine in converged.cluster.machines.values():
        if machine.name != "rpi-master":
            assert not machine.file("/var/lib/rancher/k3s/server/manifests").exists()


def test_duckdns_token_from_the_vault_stays_root_only(converged: Converged) -> None:
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
        converged.owner,
        'make cluster ARGS="--limit rpi-worker-2 --tags k3s_binary'
        f' -e k3s_binary_airgap_dir={bad}"',
    )
    assert result.returncode != 0
    assert "sha256 mismatch" in result.output
    assert result.recap["rpi-worker-2"][2] == 1
    assert worker.ssh("sha256sum /usr/local/bin/k3s").stdout.split()[0] == before


def test_the_database_directory_is_refused_on_an_unmounted_disk(converged: Converged) -> None:
    database = converged.cluster.machines[DATABASE_NODE]
    result = play(
        converged.owner,
        'make cluster ARGS="--limit rpi-worker-1 --tags database_disk'
        ' -e database_disk_mount_point=/mnt/usb -e database_disk_path=/mnt/usb/postgres"',
    )
    assert result.returncode != 0
    assert "/mnt/usb is not a mount point on rpi-worker-1: the SSD is not mounted" in result.output
    assert not database.file("/mnt/usb").exists()


def kubectl_calls(server: Machine) -> list[tuple[str, str, float]]:
    """The stand-in's log of node calls (in the machine's /run, a tmpfs of its own)."""
    log = server.ssh("cat /run/k3s-standin/kubectl.log 2>/dev/null || true").stdout
    return [
        (verb, node, float(when))
        for verb, node, when in (line.split() for line in log.splitlines())
    ]


def test_an_upgrade_with_nothing_to_do_drains_nothing(converged: Converged) -> None:
    server = converged.cluster.machines["rpi-master"]
    before = kubectl_calls(server)
    upgrade = play(converged.owner, converged.readme.take("Upgrading k3s"))
    assert upgrade.returncode == 0, upgrade.output[-6000:]
    assert upgrade.changed == dict.fromkeys(NODES, 0), upgrade.output[-4000:]
    assert kubectl_calls(server) == before == []
    assert "app answers 503" not in upgrade.output


def test_a_version_bump_upgrades_one_node_at_a_time_database_node_last(
    converged: Converged,
) -> None:
    cluster, owner = converged.cluster, converged.owner
    owner.edit_yaml("inventory/group_vars/all/main.yml", {"k3s_version": NEXT_VERSION})
    upgrade = play(owner, "make cluster-upgrade")
    assert upgrade.returncode == 0, upgrade.output[-6000:]
    assert all(upgrade.changed[name] > 0 for name in NODES), upgrade.changed
    calls = kubectl_calls(cluster.machines["rpi-master"])
    assert [(verb, node) for verb, node, _ in calls] == [
        ("drain", "rpi-master"),
        ("uncordon", "rpi-master"),
        ("drain", "rpi-worker-2"),
        ("uncordon", "rpi-worker-2"),
        ("drain", "rpi-worker-1"),
        ("uncordon", "rpi-worker-1"),
    ]
    assert "rpi-worker-1 carries the database: draining it stops postgres-0" in upgrade.output
    restarted_at = {}
    for name, machine in cluster.machines.items():
        assert machine.ssh("k3s --version").stdout.startswith(f"k3s version {NEXT_VERSION} ")
        role = "server" if name == "rpi-master" else "agent"
        version, _, started = machine.ssh(f"cat /run/k3s-standin/{role}").stdout.split()
        assert version == NEXT_VERSION  # the service was restarted onto the new binary
        restarted_at[name] = float(started)
    drained_at = {node: when for verb, node, when in calls if verb == "drain"}
    uncordoned_at = {node: when for verb, node, when in calls if verb == "uncordon"}
    for name in NODES:  # each restart happened while its node was drained
        assert drained_at[name] < restarted_at[name] < uncordoned_at[name]


def test_reset_removes_k3s_and_keeps_the_database_directory(converged: Converged) -> None:
    cluster = converged.cluster
    # Data the reset must keep: a datastore (the stand-in keeps none; the snapshot script only
    # needs a SQLite file and the token), a database and a backup repository's file.
    server = cluster.machines["rpi-master"]
    server.file("/var/lib/rancher/k3s/server/db").mkdir(exist_ok=True)
    datastore = sqlite3.connect(server.file("/var/lib/rancher/k3s/server/db/state.db"))
    with datastore:
        datastore.execute("CREATE TABLE kine (id INTEGER PRIMARY KEY, name TEXT)")
        datastore.execute("INSERT INTO kine (name) VALUES ('/registry/secrets/kube-system/key')")
    datastore.close()
    kept = {
        DATABASE_NODE: "/mnt/ssd/postgres/postgres/PG_VERSION",
        "rpi-worker-2": "/var/lib/household-task-manager/backups/config",
    }
    for name, path in kept.items():
        cluster.machines[name].file(path).parent.mkdir(parents=True, exist_ok=True)
        cluster.machines[name].file(path).write_text(f"kept by the reset on {name}\n")

    result = converged.owner.sh(converged.readme.take("Removing k3s"))
    assert result.returncode == 0, result.output[-6000:]
    for machine in cluster.machines.values():
        for path in ["/usr/local/bin/k3s", "/etc/rancher", "/etc/systemd/system/k3s.service"]:
            assert not machine.file(path).exists(), (machine.name, path)
        states = machine.ssh("systemctl is-active k3s.service k3s-agent.service", check=False)
        assert states.stdout.split() == ["inactive", "inactive"]
    assert cluster.machines[DATABASE_NODE].file(f"/mnt/ssd/postgres/{MARKER}").is_file()
    # The backups and the datastore snapshots are kept too, and the reset says where.
    backups = cluster.machines["rpi-worker-2"].file("/var/lib/household-task-manager/backups")
    assert backups.is_dir()
    assert (backups.stat().st_uid, stat.S_IMODE(backups.stat().st_mode)) == (70, 0o700)
    snapshots = "/var/lib/household-task-manager/k3s-snapshots"
    assert cluster.machines["rpi-master"].file(snapshots).is_dir()
    assert f"Kept on rpi-master: {snapshots}" in result.output
    assert "Kept on rpi-worker-2: /var/lib/household-task-manager/backups" in result.output
    [archive] = server.file(snapshots).glob("k3s-datastore-*.tar.gz")
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["db/state.db", "token"]
    for name, path in kept.items():
        assert cluster.machines[name].file(path).read_text() == f"kept by the reset on {name}\n"


def test_the_cluster_comes_back_after_a_reset_with_the_kept_data(converged: Converged) -> None:
    """Reset then site (the Runbook's rebuild): k3s runs again, and the database, the backups
    and the datastore snapshot the reset kept are still there, untouched."""
    cluster = converged.cluster
    rebuilt = play(converged.owner, "make cluster")
    assert rebuilt.returncode == 0, rebuilt.output[-6000:]
    states = cluster.machines["rpi-master"].ssh(
        "systemctl is-active k3s.service k3s-datastore-snapshot.timer", check=False
    )
    assert states.stdout.split() == ["active", "active"]
    for name in ("rpi-worker-1", "rpi-worker-2"):
        agent = cluster.machines[name].ssh("systemctl is-active k3s-agent.service", check=False)
        assert agent.stdout.strip() == "active", name
    database = cluster.machines[DATABASE_NODE]
    assert database.file("/mnt/ssd/postgres/postgres/PG_VERSION").read_text() == (
        f"kept by the reset on {DATABASE_NODE}\n"
    )
    assert database.file(f"/mnt/ssd/postgres/{MARKER}").is_file()
    backups = cluster.machines["rpi-worker-2"].file("/var/lib/household-task-manager/backups")
    assert (backups / "config").read_text() == "kept by the reset on rpi-worker-2\n"
    assert (backups.stat().st_uid, stat.S_IMODE(backups.stat().st_mode)) == (70, 0o700)
    snapshots = cluster.machines["rpi-master"].file("/var/lib/household-task-manager/k3s-snapshots")
    assert len(list(snapshots.glob("k3s-datastore-*.tar.gz"))) == 1


def test_every_readme_cluster_command_was_run_or_is_listed_as_not_run(
    converged: Converged,
) -> None:
    left = [command for _, command in converged.readme.remaining]
    assert all(any(command.startswith(prefix) for prefix in NOT_RUN) for command in left), left
