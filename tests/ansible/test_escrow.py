"""Drill: the server is lost. `escrow.yml` (make cluster-escrow) fetches the Sealed Secrets
controller's keys and the newest k3s datastore snapshot to var/escrow/ on the owner's machine,
encrypted with the real ansible-vault; on a rebuilt server the platform role puts the keys back
before the controller starts, and with them the SealedSecrets sealed in the controller's real
format (as `make seal` writes them) decrypt again.

The playbooks run for real on this machine (local connections). Kubernetes does not: the k3s
binary is replaced by a clearly named stand-in (its path through `k3s_binary_path`) that answers
the only two kubectl calls involved, `get secret` with the controller's key Secrets in the
controller's format, and `apply`, whose input it keeps for the test to read.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO / "cdk8s"))

from household import sealing  # noqa: E402
from test_platform_manifests import render  # noqa: E402

NAMESPACE = "household-task-manager"
KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
STANDIN = '''#!{python}
"""K3S STAND-IN FOR THE ESCROW TEST. THIS IS NOT K3S: it answers two kubectl calls."""
import sys
from pathlib import Path

here = Path(__file__).parent
args = sys.argv[1:]
if args == ["kubectl", "--namespace=kube-system", "get", "secret",
            "--selector={label}", "--output=json"]:
    print((here / "controller-keys.json").read_text())
elif args == ["kubectl", "apply", "--filename=-"]:
    (here / "applied.yaml").write_text(sys.stdin.read())
    print("secret/sealed-secrets-keyq7x2p created")
elif args == ["kubectl", "--namespace=kube-system", "rollout", "restart",
              "deployment/sealed-secrets"]:
    (here / "restarted").write_text("yes")
    print("deployment.apps/sealed-secrets restarted")
else:
    sys.exit(f"k3s stand-in: not supported: {{args}}")
'''


def controller_key() -> tuple[rsa.RSAPrivateKey, bytes]:
    """A key pair and self-signed certificate like the controller makes (its own is 4096-bit)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def key_secret(key: rsa.RSAPrivateKey, pem: bytes) -> dict[str, object]:
    """The controller's key Secret, as `kubectl get -o json` returns it."""
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": "sealed-secrets-keyq7x2p",
            "namespace": "kube-system",
            "labels": {KEY_LABEL: "active"},
            "uid": "1c8e9a52-5d2e-4d7b-8f0e-0c1a2b3c4d5e",
            "resourceVersion": "4711",
            "creationTimestamp": "2026-11-01T03:00:00Z",
        },
        "data": {
            "tls.crt": base64.b64encode(pem).decode(),
            "tls.key": base64.b64encode(private).decode(),
        },
    }


class Owner:
    """The owner's machine: a vault password file, an inventory whose server is this machine,
    and the stand-in k3s."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.password_file = tmp_path / "vault-pass"
        self.password_file.write_text("owner's vault password\n")
        self.inventory = tmp_path / "inventory"
        (self.inventory / "group_vars").mkdir(parents=True)
        (self.inventory / "group_vars/all").symlink_to(REPO / "inventory/group_vars/all")
        local = {"ansible_connection": "local", "ansible_python_interpreter": str(BIN / "python")}
        hosts = {"all": {"children": {"server": {"hosts": {"rpi-master": local}}}}}
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
        self.standin_dir = tmp_path / "k3s-standin"
        self.standin_dir.mkdir()
        self.k3s = self.standin_dir / "k3s"
        self.k3s.write_text(STANDIN.format(python=sys.executable, label=KEY_LABEL))
        self.k3s.chmod(0o755)
        self.escrow = tmp_path / "escrow"
        self.snapshots = tmp_path / "k3s-snapshots"
        self.snapshots.mkdir()
        self.env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "ANSIBLE_VAULT_PASSWORD_FILE": str(self.password_file),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
        }

    def playbook(self, playbook: Path, *extra: str) -> str:
        result = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(self.inventory),
                str(playbook),
                "-e",
                f"k3s_binary_path={self.k3s}",
                "-e",
                "ansible_become=false",
                *extra,
            ],
            cwd=ANSIBLE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr
        return result.stdout

    def escrow_now(self) -> str:
        return self.playbook(
            ANSIBLE_DIR / "escrow.yml",
            "-e",
            f"escrow_dir={self.escrow}",
            "-e",
            f"k3s_snapshot_dir={self.snapshots}",
        )

    def put_back(self, escrowed: Path) -> str:
        """The platform role's first step on a rebuilt server, on its own."""
        playbook = self.tmp / "put-back.yml"
        playbook.write_text(
            textwrap.dedent(
                """\
                - name: The platform role's key restore
                  hosts: server[0]
                  gather_facts: false
                  tasks:
                    - name: Put back the escrowed keys
                      ansible.builtin.include_role:
                        name: platform
                        tasks_from: escrow.yml
                """
            )
        )
        return self.playbook(playbook, "-e", f"platform_sealed_secrets_escrow={escrowed}")

    def decrypt(self, path: Path) -> bytes:
        """As the README's restore does: ansible-vault decrypt into a file (binary-safe)."""
        out = self.tmp / f"{path.name}.decrypted"
        subprocess.run(
            [str(BIN / "ansible-vault"), "decrypt", "--output", str(out), str(path)],
            env=self.env,
            capture_output=True,
            check=True,
        )
        return out.read_bytes()


@pytest.fixture
def owner(tmp_path: Path) -> Owner:
    return Owner(tmp_path)


def snapshot_archive(path: Path, content: bytes) -> None:
    source = path.with_suffix(".db")
    source.write_bytes(content)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(source, arcname="db/state.db")
    source.unlink()


def test_server_lost_the_escrowed_key_decrypts_the_committed_sealed_secrets(
    owner: Owner,
) -> None:
    key, pem = controller_key()
    secret = key_secret(key, pem)
    (owner.standin_dir / "controller-keys.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [secret]})
    )
    older, newest = (owner.snapshots / f"k3s-datastore-2026113{d}T030000Z.tar.gz" for d in (0, 1))
    snapshot_archive(older, b"older datastore")
    snapshot_archive(newest, b"newest datastore")
    # What `make seal` committed for this cluster, in the controller's format.
    values = sealing.SecretValues.generate()
    plaintext = values.by_secret(
        host="postgres", database="household_task_manager", user="postgres"
    )
    committed = sealing.seal_all(sealing.load_public_key(pem), NAMESPACE, plaintext)

    output = owner.escrow_now()
    keys_file = owner.escrow / "sealed-secrets-keys.yaml"
    assert keys_file.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    private_b64 = secret["data"]["tls.key"]  # type: ignore[index]
    assert private_b64[40:80] not in keys_file.read_text()
    assert "BEGIN RSA PRIVATE KEY" not in keys_file.read_text()
    copied = owner.escrow / "k3s-datastore" / newest.name
    assert copied.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert owner.decrypt(copied) == newest.read_bytes()
    assert sorted(p.name for p in (owner.escrow / "k3s-datastore").iterdir()) == [newest.name]
    assert "Escrowed 1 Sealed Secrets key(s)" in output
    assert oct(owner.escrow.stat().st_mode & 0o777) == "0o700"
    escrowed = yaml.safe_load(owner.decrypt(keys_file))
    assert escrowed == {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {
                    "name": "sealed-secrets-keyq7x2p",
                    "namespace": "kube-system",
                    "labels": {KEY_LABEL: "active"},
                },
                "data": secret["data"],
            }
        ],
    }

    # The server's SD card is gone; on the rebuilt server the platform role puts the keys back.
    owner.put_back(keys_file)
    applied = yaml.safe_load((owner.standin_dir / "applied.yaml").read_text())
    assert applied == escrowed
    assert (owner.standin_dir / "restarted").read_text() == "yes"
    [restored] = applied["items"]
    private = serialization.load_pem_private_key(
        base64.b64decode(restored["data"]["tls.key"]), password=None
    )
    assert isinstance(private, rsa.RSAPrivateKey)
    opened = {
        name: {k: sealing.unseal_value(private, NAMESPACE, name, v).decode() for k, v in kv.items()}
        for name, kv in committed.items()
    }
    assert opened == plaintext


def test_without_an_escrow_file_nothing_is_put_back(owner: Owner) -> None:
    output = owner.put_back(owner.tmp / "no-escrow.yaml")
    assert "skipping: [rpi-master]" in output
    assert not (owner.standin_dir / "applied.yaml").exists()


def test_an_empty_key_list_is_refused(owner: Owner) -> None:
    (owner.standin_dir / "controller-keys.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": []})
    )
    result = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(owner.inventory),
            "escrow.yml",
            "-e",
            f"k3s_binary_path={owner.k3s}",
            "-e",
            "ansible_become=false",
            "-e",
            f"escrow_dir={owner.escrow}",
        ],
        cwd=ANSIBLE_DIR,
        env=owner.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert result.returncode != 0
    assert "No Sealed Secrets key in kube-system" in result.stdout
    assert not owner.escrow.exists()


def test_the_keys_go_back_before_the_controller_is_installed() -> None:
    tasks = yaml.safe_load((ANSIBLE_DIR / "roles/platform/tasks/manifests.yml").read_text())
    names = [task["name"] for task in tasks]
    assert names.index("Put back the escrowed Sealed Secrets keys before the controller starts") < (
        names.index(
            "Write the Helm chart manifests (ingress, cert-manager, Sealed Secrets, Argo CD)"
        )
    )


def test_the_controller_keeps_the_escrowed_keys_sealing(tmp_path: Path) -> None:
    """Key renewal (a new sealing key every 30 days by default) is off: a SealedSecret sealed
    after the escrow would otherwise need a key the escrow does not hold."""
    manifests = render(tmp_path)
    chart = manifests[("HelmChart", "sealed-secrets")]
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    assert values["keyrenewperiod"] == "0"
