#!/usr/bin/python3
"""K3S STAND-IN FOR THE CLUSTER INTEGRATION TEST. THIS IS NOT K3S.

The real k3s binary cannot be downloaded where the test runs, so the test installs this script
through the playbook's air-gap path (with its own sha256sum file) to check the mechanics around
the binary: checksum verification, installation, systemd units, configuration, token and
kubeconfig handling, restarts on upgrade. It runs no Kubernetes at all.

`k3s server` writes a kubeconfig like k3s does and, like k3s at a first start, a cluster CA
certificate and the server token in its secure form (K10<sha256 of the CA file>::server:<the
secret from token-file>), then reports ready to systemd and sleeps; `k3s agent` reports ready
and sleeps; `k3s --version` prints the version below. `kubectl get node NAME`, `kubectl drain
NAME` and `kubectl uncordon NAME` answer as an API server would and log the call in
/run/k3s-standin/kubectl.log, so the test can see which nodes upgrade.yml drains, and in which
order. Everything else (other kubectl calls, crictl, ctr, ...) fails loudly.
"""

import hashlib
import os
import socket
import sys
import time
from pathlib import Path

VERSION = "@VERSION@"

KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: U1RBTkQtSU4gKG5vdCBhIGNlcnRpZmljYXRlKQ==
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
users:
- user:
    client-certificate-data: U1RBTkQtSU4gKG5vdCBhIGNlcnRpZmljYXRlKQ==
    client-key-data: U1RBTkQtSU4gKG5vdCBhIGtleSk=
"""


def notify_ready() -> None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", address)


STATE = Path("/run/k3s-standin")
SERVER_DIR = Path("/var/lib/rancher/k3s/server")


def token_file() -> Path:
    """The token-file setting of /etc/rancher/k3s/config.yaml (one `key: value` line)."""
    for line in Path("/etc/rancher/k3s/config.yaml").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "token-file":
            return Path(value.strip())
    raise SystemExit("k3s stand-in: no token-file in /etc/rancher/k3s/config.yaml")


def write_server_state() -> None:
    """What a first k3s server start leaves behind: the CA and the secure server token."""
    ca = SERVER_DIR / "tls" / "server-ca.crt"
    if not ca.exists():
        ca.parent.mkdir(parents=True, exist_ok=True)
        ca.write_text(
            "-----BEGIN CERTIFICATE-----\n"
            f"U1RBTkQtSU4gQ0EgKG5vdCBhIGNlcnRpZmljYXRlKQ== {os.urandom(16).hex()}\n"
            "-----END CERTIFICATE-----\n"
        )
    secret = token_file().read_text().strip()
    if not secret.startswith("K10"):  # the first server holds the short secret
        digest = hashlib.sha256(ca.read_bytes()).hexdigest()
        token = SERVER_DIR / "token"
        token.touch(mode=0o600)
        token.write_text(f"K10{digest}::server:{secret}\n")


def serve(role: str) -> None:
    STATE.mkdir(exist_ok=True)
    (STATE / role).write_text(f"{VERSION} {os.getpid()} {time.time()}\n")
    if role == "server":
        kubeconfig = Path("/etc/rancher/k3s/k3s.yaml")
        kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        kubeconfig.touch(mode=0o600)
        kubeconfig.write_text(KUBECONFIG)
        write_server_state()
    notify_ready()
    while True:
        time.sleep(3600)


def kubectl(args: list[str]) -> int | None:
    """The node calls of upgrade.yml, logged; None for anything else."""
    if args[:2] == ["get", "node"] and len(args) >= 3:
        print(f"node/{args[2]}")
        return 0
    if args[:1] in (["drain"], ["uncordon"]) and len(args) >= 2:
        with (STATE / "kubectl.log").open("a") as log:
            log.write(f"{args[0]} {args[1]} {time.time()}\n")
        print(f"node/{args[1]} {args[0]}ed")
        return 0
    return None


def main(args: list[str]) -> int:
    if args[:1] == ["kubectl"] or Path(sys.argv[0]).name == "kubectl":
        answered = kubectl(args[1:] if args[:1] == ["kubectl"] else args)
        if answered is not None:
            return answered
    if args[:1] in (["--version"], ["-v"], ["version"]):
        print(f"k3s version {VERSION} (STAND-IN, not k3s)")
        return 0
    if args[:1] in (["server"], ["agent"]):
        serve(args[0])
        return 0
    name = Path(sys.argv[0]).name
    print(f"{name} {' '.join(args)}: this is the test's k3s STAND-IN, not k3s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
