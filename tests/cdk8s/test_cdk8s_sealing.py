"""`make seal`: the controller's format, strict scope, one password for both secrets, and only
ciphertext on disk. Decryption here is written from the format description, independently of
cdk8s/household/sealing.py, with a test key pair."""

from __future__ import annotations

import base64
import datetime
import re
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from gitops_support import CDK8S_DIR, REPO_ROOT
from household import sealing
from household.config import EnvironmentConfig, OffsiteSettings, load_environment
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.support.databases import local_postgres

BIN = REPO_ROOT / ".venv" / "bin"


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secrets-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key_pair() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, _certificate(key)


def controller_decrypt(key: rsa.RSAPrivateKey, namespace: str, name: str, value: str) -> bytes:
    raw = base64.b64decode(value)
    (length,) = struct.unpack(">H", raw[:2])
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=f"{namespace}/{name}".encode(),
    )
    session_key = key.decrypt(raw[2 : 2 + length], oaep)
    assert len(session_key) == 32
    return AESGCM(session_key).decrypt(b"\x00" * 12, raw[2 + length :], None)


def test_a_sealed_value_decrypts_with_the_controller_algorithm(key_pair) -> None:
    key, pem = key_pair
    value = sealing.seal_value(
        sealing.load_public_key(pem), "household-task-manager", "backend-secret", b"s3cret"
    )
    assert controller_decrypt(key, "household-task-manager", "backend-secret", value) == b"s3cret"


def test_the_layout_is_length_wrapped_key_then_ciphertext_and_tag(key_pair) -> None:
    _, pem = key_pair
    plaintext = b"x" * 37
    raw = base64.b64decode(
        sealing.seal_value(sealing.load_public_key(pem), "ns", "name", plaintext), validate=True
    )
    (length,) = struct.unpack(">H", raw[:2])
    assert length == 256  # a 2048-bit RSA key wraps to 256 bytes
    assert len(raw) == 2 + length + len(plaintext) + 16  # GCM tag


def test_every_seal_uses_a_fresh_session_key(key_pair) -> None:
    public = sealing.load_public_key(key_pair[1])
    assert sealing.seal_value(public, "ns", "n", b"v") != sealing.seal_value(
        public, "ns", "n", b"v"
    )


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("household-task-manager", "database-secret"),  # another name
        ("default", "backend-secret"),  # another namespace
        ("household-task-manager/backend-secret", ""),  # label must be exact
    ],
)
def test_a_value_only_opens_for_its_namespace_and_name(key_pair, namespace: str, name: str) -> None:
    key, pem = key_pair
    value = sealing.seal_value(
        sealing.load_public_key(pem), "household-task-manager", "backend-secret", b"v"
    )
    with pytest.raises(ValueError, match="Decryption failed"):
        controller_decrypt(key, namespace, name, value)


def test_the_module_unseal_agrees_with_the_independent_one(key_pair) -> None:
    key, pem = key_pair
    value = sealing.seal_value(sealing.load_public_key(pem), "ns", "name", "päss".encode())
    assert sealing.unseal_value(key, "ns", "name", value) == controller_decrypt(
        key, "ns", "name", value
    )


VAULT_PASSWORD = "owner's vault password"
# A valid VAPID key kept in the vault: RFC 6979's P-256 test key (A.2.5).
KEPT_VAPID_KEY = (
    base64.urlsafe_b64encode(
        bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
    )
    .rstrip(b"=")
    .decode()
)


def p256_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """What VAPID_PRIVATE_KEY must be, checked apart from sealing.py: base64url without padding
    of 32 bytes, a P-256 private value (cryptography refuses zero and values past the order)."""
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), value
    raw = base64.urlsafe_b64decode(value + "=")
    assert len(raw) == 32
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


@dataclass
class Vault:
    """The owner's vault.yml, made and read with the real ansible-vault command."""

    path: Path

    def ansible_vault(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            # The password comes from ANSIBLE_VAULT_PASSWORD_FILE, as for the owner.
            [str(BIN / "ansible-vault"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def write(self, content: str) -> None:
        self.ansible_vault("encrypt", "--output", str(self.path), "-", stdin=content)

    def read(self) -> dict[str, str]:
        return yaml.safe_load(self.ansible_vault("view", str(self.path)))  # type: ignore[no-any-return]


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    password_file = tmp_path / "vault-pass"
    password_file.write_text(VAULT_PASSWORD + "\n")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(password_file))
    made = Vault(tmp_path / "vault.yml")
    made.write("vault_duckdns_token: 0f1e2d3c-4b5a-4697-8877-a5b4c3d2e1f0\n")
    return made


def _open_all(key: rsa.RSAPrivateKey, values_file: Path) -> dict[str, dict[str, str]]:
    data = yaml.safe_load(values_file.read_text())
    return {
        name: {
            k: controller_decrypt(key, data["namespace"], name, v).decode() for k, v in kv.items()
        }
        for name, kv in data["encryptedData"].items()
    }


def test_make_seal_stores_new_values_in_the_vault_and_seals_only_ciphertext(
    key_pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seal_module: ModuleType, vault: Vault
) -> None:
    key, pem = key_pair
    cert = tmp_path / "cert.pem"
    cert.write_bytes(pem)
    values_file = tmp_path / "production.sealed.yaml"
    config = _with_values_file(load_environment("production"), values_file)
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    arguments = ["--env", "production", "--certificate", str(cert), "--vault", str(vault.path)]
    assert seal_module.main(arguments) == 0

    data = yaml.safe_load(values_file.read_text())
    assert data["namespace"] == "household-task-manager"
    assert data["certificate"] == sealing.certificate_fingerprint(pem)
    opened = _open_all(key, values_file)
    stored = vault.read()
    password = opened["database-secret"]["POSTGRES_PASSWORD"]
    secret_key = opened["backend-secret"]["SECRET_KEY"]
    restic_password = opened["backup-secret"]["RESTIC_PASSWORD"]
    vapid_key = opened["backend-secret"]["VAPID_PRIVATE_KEY"]
    # The vault is the source: the generated values were added to it, next to what it held.
    assert stored == {
        "vault_duckdns_token": "0f1e2d3c-4b5a-4697-8877-a5b4c3d2e1f0",
        "vault_production_postgres_password": password,
        "vault_production_secret_key": secret_key,
        "vault_production_backup_password": restic_password,
        "vault_production_vapid_private_key": vapid_key,
    }
    assert opened["backend-secret"]["DATABASE_URL"] == (
        f"postgresql+psycopg://postgres:{password}@postgres:5432/household_task_manager"
    )
    assert len(password) >= 43
    assert len(secret_key) >= 64
    assert len(restic_password) >= 43
    assert urlsplit(opened["backend-secret"]["DATABASE_URL"]).password == password
    p256_private_key(vapid_key)
    for written in (values_file.read_text(), vault.path.read_text()):
        for plaintext in (password, secret_key, restic_password, vapid_key):
            assert plaintext not in written
    assert vault.path.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")


def test_a_rebuilt_cluster_is_resealed_with_the_vaults_values(
    key_pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seal_module: ModuleType, vault: Vault
) -> None:
    """A new cluster has a new controller key; `make seal` then seals the same password (the one
    the database on the SSD expects), quoted in DATABASE_URL, and leaves the vault untouched."""
    vault.write(
        "vault_staging_postgres_password: 'p@ss:w/rd'\n"
        "vault_staging_secret_key: kept-secret-key\n"
        "vault_staging_backup_password: kept-restic-password\n"
        f"vault_staging_vapid_private_key: {KEPT_VAPID_KEY}\n"
    )
    before = vault.path.read_bytes()
    values_file = tmp_path / "staging.sealed.yaml"
    config = _with_values_file(load_environment("staging"), values_file)
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    old_key, old_pem = key_pair
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new_pem = _certificate(new_key)
    for key, pem in ((old_key, old_pem), (new_key, new_pem)):
        cert = tmp_path / "cert.pem"
        cert.write_bytes(pem)
        arguments = ["--env", "staging", "--certificate", str(cert), "--vault", str(vault.path)]
        assert seal_module.main(arguments) == 0
        opened = _open_all(key, values_file)
        assert opened["database-secret"]["POSTGRES_PASSWORD"] == "p@ss:w/rd"
        assert opened["backend-secret"]["SECRET_KEY"] == "kept-secret-key"
        assert opened["backup-secret"]["RESTIC_PASSWORD"] == "kept-restic-password"
        # The browsers' push subscriptions are bound to this key's public half.
        assert opened["backend-secret"]["VAPID_PRIVATE_KEY"] == KEPT_VAPID_KEY
        assert opened["backend-secret"]["DATABASE_URL"] == (
            "postgresql+psycopg://postgres:p%40ss%3Aw%2Frd@postgres:5432/household_task_manager"
        )
    assert vault.path.read_bytes() == before


def test_make_seal_without_the_vault_password_says_how_to_set_it(
    key_pair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, pem = key_pair
    cert = tmp_path / "cert.pem"
    cert.write_bytes(pem)
    config = _with_values_file(load_environment("production"), tmp_path / "x.yaml")
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    assert seal_module.main(["--env", "production", "--certificate", str(cert)]) == 1
    assert "ANSIBLE_VAULT_PASSWORD_FILE is not set" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_make_seal_without_a_certificate_says_where_to_get_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _with_values_file(load_environment("production"), tmp_path / "x.yaml")
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    assert (
        seal_module.main(["--env", "production", "--certificate", str(tmp_path / "none.pem")]) == 1
    )
    assert "no certificate" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no sealed secret values"),
        ({"namespace": "elsewhere", "encryptedData": {}}, "sealed for namespace 'elsewhere'"),
        (
            {
                "namespace": "household-task-manager",
                "encryptedData": {
                    "database-secret": {"POSTGRES_PASSWORD": "AgA="},
                    "backend-secret": {"DATABASE_URL": "AgA="},
                },
            },
            "lacks backend-secret SECRET_KEY, VAPID_PRIVATE_KEY",
        ),
    ],
)
def test_synth_without_sealed_values_says_to_run_make_seal(
    tmp_path: Path, cdk8s_main: ModuleType, content: dict | None, problem: str
) -> None:
    values_file = tmp_path / "production.sealed.yaml"
    if content is not None:
        values_file.write_text(yaml.safe_dump(content))
    config = _with_values_file(load_environment("production"), values_file)
    with pytest.raises(sealing.SealedValuesError, match=problem) as error:
        cdk8s_main.synth(config, tmp_path / "out")
    assert "run `make seal" in str(error.value)
    assert not (tmp_path / "out").exists()


def test_committed_values_are_placeholders_sealed_for_a_discarded_key() -> None:
    for env in ("production", "staging"):
        config = load_environment(env)
        values = sealing.load_sealed_values(config.sealed_values_path, config.namespace, env)
        assert values.throwaway
        assert "Run `make seal` once the cluster is up" in config.sealed_values_path.read_text()


def test_the_certificate_setting_points_where_the_playbooks_fetch_it() -> None:
    config = load_environment("production")
    assert config.sealed_secrets.certificate == "var/cluster/sealed-secrets-cert.pem"
    assert "/var/" in (REPO_ROOT / ".gitignore").read_text()  # var/ is never committed


@pytest.fixture(scope="module")
def seal_module() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("household_cdk8s_seal", CDK8S_DIR / "seal.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _with_values_file(config, path: Path):
    settings = config.sealed_secrets.model_copy(update={"values": str(path)})
    return config.model_copy(update={"sealed_secrets": settings})


def test_server_lost_the_resealed_password_opens_the_kept_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seal_module: ModuleType, vault: Vault
) -> None:
    """The database on the SSD was initialized with the vault's password; after the server is
    rebuilt with a new controller key, `make seal` seals the same password, and the DATABASE_URL
    the new controller decrypts logs in to that database, with password authentication on."""
    values_file = tmp_path / "production.sealed.yaml"
    config = _with_values_file(load_environment("production"), values_file)
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    old_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = tmp_path / "cert.pem"
    cert.write_bytes(_certificate(old_key))
    arguments = ["--env", "production", "--certificate", str(cert), "--vault", str(vault.path)]
    assert seal_module.main(arguments) == 0
    password = vault.read()["vault_production_postgres_password"]

    with local_postgres(prefix="htm-kept-ssd-") as kept:
        # What the postgres image does on its first start with POSTGRES_PASSWORD.
        admin = create_engine(kept.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"ALTER USER postgres PASSWORD '{password}'"))
        admin.dispose()
        (kept.data / "pg_hba.conf").write_text("local all all scram-sha-256\n")
        kept.run("pg_ctl", "-D", str(kept.data), "reload")

        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert.write_bytes(_certificate(new_key))
        assert seal_module.main(arguments) == 0
        url = _open_all(new_key, values_file)["backend-secret"]["DATABASE_URL"]
        on_this_machine = make_url(url).set(
            host=None, database="postgres", query={"host": str(kept.socket_dir)}
        )
        engine = create_engine(on_this_machine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() == "postgres"
        engine.dispose()
        wrong = create_engine(on_this_machine.set(password="not-the-password"))
        with pytest.raises(OperationalError, match="password authentication failed"):
            wrong.connect()
        wrong.dispose()


def _production_sealing(
    tmp_path: Path,
    pem: bytes,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    change: Callable[[EnvironmentConfig], EnvironmentConfig],
) -> tuple[Path, list[str]]:
    """`make seal` for production, as `change` makes its settings: the values file it writes
    and its arguments."""
    cert = tmp_path / "cert.pem"
    cert.write_bytes(pem)
    values_file = tmp_path / "production.sealed.yaml"
    config = change(_with_values_file(load_environment("production"), values_file))
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    arguments = ["--env", "production", "--certificate", str(cert), "--vault", str(vault.path)]
    return values_file, arguments


def test_an_offsite_repository_seals_the_owners_s3_keys_from_the_vault(
    key_pair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    vault: Vault,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, pem = key_pair
    offsite = OffsiteSettings(repository="s3:https://minio.home-lab.jp/backups/household")
    values_file, arguments = _production_sealing(
        tmp_path,
        pem,
        vault,
        monkeypatch,
        seal_module,
        lambda base: base.model_copy(
            update={"backup": base.backup.model_copy(update={"offsite": offsite})}
        ),
    )
    # The S3 keys cannot be generated: without them nothing is sealed, and the vault is as it was.
    before = vault.path.read_bytes()
    assert seal_module.main(arguments) == 1
    assert (
        "backup.offsite is set: add vault_production_offsite_access_key_id and "
        "vault_production_offsite_secret_access_key" in capsys.readouterr().err
    )
    assert vault.path.read_bytes() == before
    assert not values_file.exists()

    vault.write(
        "vault_production_offsite_access_key_id: AKIAHOMELAB\n"
        "vault_production_offsite_secret_access_key: s3-secret\n"
    )
    assert seal_module.main(arguments) == 0
    backup_secret = _open_all(key, values_file)["backup-secret"]
    assert backup_secret["AWS_ACCESS_KEY_ID"] == "AKIAHOMELAB"
    assert backup_secret["AWS_SECRET_ACCESS_KEY"] == "s3-secret"
    assert backup_secret["RESTIC_PASSWORD"] == vault.read()["vault_production_backup_password"]


def test_the_owners_alert_values_are_sealed_into_the_backends_secret(
    key_pair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    vault: Vault,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, pem = key_pair
    # Production has observability: the environment that monitoring alerts about.
    assert load_environment("production").observability is not None
    values_file, arguments = _production_sealing(
        tmp_path, pem, vault, monkeypatch, seal_module, lambda base: base
    )
    assert seal_module.main(arguments) == 0
    assert not set(sealing.ALERT_KEYS) & set(_open_all(key, values_file)["backend-secret"])

    vault.write("vault_alert_apprise_urls: ntfy://ntfy.sh/household-owner\n")
    before = vault.path.read_bytes()
    assert seal_module.main(arguments) == 1
    assert (
        "vault_alert_apprise_urls is set but vault_alert_webhook_token is not"
        in capsys.readouterr().err
    )
    assert vault.path.read_bytes() == before

    vault.write(
        "vault_alert_apprise_urls: ntfy://ntfy.sh/household-owner\n"
        "vault_alert_webhook_token: a-long-random-token-for-alertmanager\n"
    )
    assert seal_module.main(arguments) == 0
    backend = _open_all(key, values_file)["backend-secret"]
    assert backend["ALERT_WEBHOOK_TOKEN"] == "a-long-random-token-for-alertmanager"
    assert backend["ALERT_APPRISE_URLS"] == "ntfy://ntfy.sh/household-owner"


def test_generated_vapid_keys_are_fresh_p256_keys() -> None:
    first, second = sealing.generate_vapid_private_key(), sealing.generate_vapid_private_key()
    assert first != second
    for value in (first, second):
        p256_private_key(value)
        sealing.check_vapid_private_key(value)
    sealing.check_vapid_private_key(KEPT_VAPID_KEY + "=")  # the padded spelling means the same


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "value",
    [
        _b64url(bytes(32)),  # zero
        _b64url(P256_ORDER.to_bytes(32, "big")),  # the curve's order
        _b64url(b"\xff" * 32),  # past it
        _b64url(b"\x01" * 31),  # 31 bytes
        _b64url(b"\x01" * 33),
        KEPT_VAPID_KEY[:-2] + "+/",  # standard base64, not base64url
    ],
)
def test_a_malformed_vapid_key_in_the_vault_is_refused_before_anything_is_sealed(
    key_pair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    vault: Vault,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    """An owner's own key (e.g. from `vapid --gen`) mistyped into the vault would stop the backend
    (the app refuses it) or the push services would."""
    cert = tmp_path / "cert.pem"
    cert.write_bytes(key_pair[1])
    values_file = tmp_path / "production.sealed.yaml"
    config = _with_values_file(load_environment("production"), values_file)
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    vault.write(f"vault_production_vapid_private_key: '{value}'\n")
    before = vault.path.read_bytes()
    arguments = ["--env", "production", "--certificate", str(cert), "--vault", str(vault.path)]
    assert seal_module.main(arguments) == 1
    assert "vault_production_vapid_private_key: the VAPID private key is not" in (
        capsys.readouterr().err
    )
    assert vault.path.read_bytes() == before  # nothing generated was added either
    assert not values_file.exists()


def test_the_synthesized_backend_secret_unseals_to_a_vapid_key(
    key_pair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seal_module: ModuleType,
    vault: Vault,
    cdk8s_main: ModuleType,
) -> None:
    """`make seal` then synth: what the controller decrypts out of backend-secret's manifest is
    the vault's VAPID key, a P-256 key the app can sign with."""
    key, pem = key_pair
    cert = tmp_path / "cert.pem"
    cert.write_bytes(pem)
    values_file = tmp_path / "production.sealed.yaml"
    config = _with_values_file(load_environment("production"), values_file)
    monkeypatch.setattr(seal_module, "load_environment", lambda name: config)
    arguments = ["--env", "production", "--certificate", str(cert), "--vault", str(vault.path)]
    assert seal_module.main(arguments) == 0

    sealed = cdk8s_main.load_sealed_values(values_file, config.namespace, "production")
    (manifest,) = [
        doc
        for chart in cdk8s_main.build(config, sealed)
        for doc in chart.to_json()
        if doc["kind"] == "SealedSecret" and doc["metadata"]["name"] == "backend-secret"
    ]
    namespace = manifest["spec"]["template"]["metadata"]["namespace"]
    value = manifest["spec"]["encryptedData"]["VAPID_PRIVATE_KEY"]
    opened = controller_decrypt(key, namespace, "backend-secret", value).decode()
    assert opened == vault.read()["vault_production_vapid_private_key"]
    p256_private_key(opened)
