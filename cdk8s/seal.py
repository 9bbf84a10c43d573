"""Seal database-secret, backend-secret and backup-secret for one environment (`make seal`).

    python cdk8s/seal.py --env production [--certificate PEM] [--vault FILE] [--throwaway]

The values come from the owner's ansible-vault file (inventory/group_vars/all/vault.yml, opened
with $ANSIBLE_VAULT_PASSWORD_FILE): vault_<env>_postgres_password, vault_<env>_secret_key,
vault_<env>_backup_password and vault_<env>_vapid_private_key (Web Push's key: base64url of a
P-256 private value). Those still missing are generated (256 bits or more, the VAPID key from a
fresh P-256 key) and added to the vault first, so a rebuilt cluster is re-sealed with the
password its kept database expects, the backups' restic password survives the cluster, and the
browsers' push subscriptions (bound to the VAPID key) keep working. DATABASE_URL is derived from
the same password, so the secrets always agree. An environment with observability also gets
the owner's vault_alert_webhook_token and vault_alert_apprise_urls when the vault has them (the
platform's Alertmanager reads the same two). Only ciphertext is written, to
cdk8s/environments/<env>.sealed.yaml.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, get_file_vault_secret

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from household.config import REPO_ROOT, EnvironmentConfig, load_environment
from household.database import DATABASE, USER
from household.sealing import (
    THROWAWAY,
    SealedValues,
    SecretValues,
    certificate_fingerprint,
    load_public_key,
    seal_all,
)


def throwaway_certificate() -> bytes:
    """A self-signed certificate whose private key is dropped on return: what it seals, nobody
    can open. Used for the committed placeholders, since no cluster exists at commit time."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "throw-away")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


DEFAULT_VAULT = REPO_ROOT / "inventory/group_vars/all/vault.yml"
# SecretValues fields, each in the vault as vault_<env>_<field>. Generated when missing:
GENERATED_FIELDS = ("postgres_password", "secret_key", "backup_password", "vapid_private_key")
# Given by the owner, needed only with backup.offsite:
OFFSITE_FIELDS = ("offsite_access_key_id", "offsite_secret_access_key")
# Given by the owner for the whole cluster (the platform role's Alertmanager reads them too),
# sealed for an environment with observability: alerts then reach the owner through the app.
ALERT_FIELDS = ("alert_webhook_token", "alert_apprise_urls")


class VaultError(RuntimeError):
    """The vault cannot be opened: no password file, or no vault file."""


def vault_variable(environment: str, field: str) -> str:
    return f"vault_{environment.replace('-', '_')}_{field}"


def open_vault(password_file: str | None) -> VaultLib:
    if not password_file:
        raise VaultError(
            "ANSIBLE_VAULT_PASSWORD_FILE is not set: export it as in the README "
            "(Cluster, step 4); the secret values live in the vault"
        )
    secret = get_file_vault_secret(filename=password_file, vault_id="default", loader=DataLoader())
    secret.load()
    return VaultLib([("default", secret)])


def vault_values(
    path: Path, environment: str, vault: VaultLib, *, offsite: bool = False, alerts: bool = False
) -> tuple[SecretValues, list[str]]:
    """The environment's values from the vault file; the missing ones are generated and
    appended to it (re-encrypted) before anything is sealed. With an off-site repository, its
    S3 keys too, which only the owner can give; with `alerts`, the owner's alert values when
    the vault has them (both or neither). Returns the values and the names of the variables
    added."""
    if not path.is_file():
        raise VaultError(
            f"no vault at {path}: create it with `ansible-vault create` (README, Cluster step 4)"
        )
    text = vault.decrypt(path.read_bytes()).decode()
    stored = yaml.safe_load(text) or {}
    values = {}
    if offsite:
        names = {field: vault_variable(environment, field) for field in OFFSITE_FIELDS}
        missing = [name for name in names.values() if not stored.get(name)]
        if missing:
            raise VaultError(
                f"backup.offsite is set: add {' and '.join(missing)} (the S3 keys of the "
                f"off-site repository) to {path} with `ansible-vault edit`"
            )
        values = {field: str(stored[name]) for field, name in names.items()}
    if alerts:
        values.update(_alert_values(stored, path))
    generated = SecretValues.generate()
    added = []
    for field in GENERATED_FIELDS:
        name = vault_variable(environment, field)
        if not stored.get(name):
            stored[name] = getattr(generated, field)
            added.append(name)
        values[field] = str(stored[name])
    try:
        secret_values = SecretValues(**values)
    except ValueError as error:  # an owner's own VAPID key, mistyped: nothing sealed or added
        raise VaultError(f"{vault_variable(environment, 'vapid_private_key')}: {error}") from None
    if added:
        lines = "".join(yaml.safe_dump({name: stored[name]}, width=1000) for name in added)
        header = "" if text.endswith("\n") or not text else "\n"
        path.write_bytes(vault.encrypt(text + header + lines, vault.secrets[0][1]))
    return secret_values, added


def _alert_values(stored: dict[str, object], path: Path) -> dict[str, str]:
    names = {field: f"vault_{field}" for field in ALERT_FIELDS}
    present = [name for name in names.values() if stored.get(name)]
    if not present:
        return {}
    if len(present) < len(names):
        missing = next(name for name in names.values() if name not in present)
        raise VaultError(
            f"{present[0]} is set but {missing} is not: add it to {path} with "
            "`ansible-vault edit` (README: Observability, Alerts), or remove both"
        )
    return {field: str(stored[name]) for field, name in names.items()}


def seal_environment(
    config: EnvironmentConfig, certificate_pem: bytes, values: SecretValues, *, throwaway: bool
) -> SealedValues:
    """Seal both secrets and write them to the environment's committed values file."""
    plaintext = values.by_secret(host="postgres", database=DATABASE, user=USER)
    sealed = SealedValues(
        namespace=config.namespace,
        certificate=THROWAWAY if throwaway else certificate_fingerprint(certificate_pem),
        encrypted=seal_all(load_public_key(certificate_pem), config.namespace, plaintext),
    )
    sealed.dump(config.sealed_values_path, config.name)
    return sealed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="production")
    parser.add_argument(
        "--certificate",
        type=Path,
        help="PEM certificate of the controller (default: the environment's setting)",
    )
    parser.add_argument(
        "--vault",
        type=Path,
        default=DEFAULT_VAULT,
        help="the ansible-vault file holding the values (default: %(default)s)",
    )
    parser.add_argument(
        "--throwaway",
        action="store_true",
        help="seal placeholders for a throw-away key nobody holds (no cluster can decrypt them)",
    )
    args = parser.parse_args(argv)
    config = load_environment(args.env)
    if args.throwaway:
        pem = throwaway_certificate()
    else:
        path = args.certificate or config.certificate_path
        if not path.is_file():
            print(
                f"seal {config.name}: no certificate at {path}. Fetch it from the cluster "
                "(the playbooks do: make cluster) or pass --certificate PEM.",
                file=sys.stderr,
            )
            return 1
        pem = path.read_bytes()
    if args.throwaway:
        values, source = SecretValues.generate(), "random values nobody keeps"
    else:
        try:
            vault = open_vault(os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE"))
            values, added = vault_values(
                args.vault,
                config.name,
                vault,
                offsite=config.backup.offsite is not None,
                alerts=config.observability is not None,
            )
        except VaultError as error:
            print(f"seal {config.name}: {error}", file=sys.stderr)
            return 1
        source = f"the values of {args.vault.name}" + (
            f" (generated and added to it: {', '.join(added)})" if added else ""
        )
    sealed = seal_environment(config, pem, values, throwaway=args.throwaway)
    print(
        f"{config.name}: sealed {sum(len(v) for v in sealed.encrypted.values())} values "
        f"({source}) for namespace {config.namespace} into "
        f"{config.sealed_secrets.values}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
