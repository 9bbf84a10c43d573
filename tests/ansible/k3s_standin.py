#!/usr/bin/python3
"""K3S STAND-IN FOR THE CLUSTER INTEGRATION TEST. THIS IS NOT K3S.

The real k3s binary cannot be downloaded where the test runs, so the test installs this script
through the playbook's air-gap path (with its own sha256sum file) to check the mechanics around
the binary: checksum verification, installation, systemd units, configuration, token and
kubeconfig handling, restarts on upgrade. It runs no Kubernetes at all.

`k3s server` writes a kubeconfig like k3s does, reports ready to systemd and sleeps;
`k3s agent` reports ready and sleeps; `k3s --version` prints the version below; everything
else (kubectl, crictl, ctr, ...) fails loudly.
"""

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


def serve(role: str) -> None:
    Path("/run/k3s-standin").mkdir(exist_ok=True)
    Path("/run/k3s-standin", role).write_text(f"{VERSION} {os.getpid()} {time.time()}\n")
    if role == "server":
        kubeconfig = Path("/etc/rancher/k3s/k3s.yaml")
        kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        kubeconfig.touch(mode=0o600)
        kubeconfig.write_text(KUBECONFIG)
    notify_ready()
    while True:
        time.sleep(3600)


def main(args: list[str]) -> int:
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
