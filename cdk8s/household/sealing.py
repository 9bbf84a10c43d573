"""Sealed Secrets encryption, byte-compatible with the controller (kubeseal's HybridEncrypt).

Per value: a random 32-byte AES-256-GCM session key seals the plaintext with a 12-byte zero nonce
(safe because every key is used once); the session key is wrapped with RSA-OAEP (SHA-256,
MGF1-SHA-256) for the controller's public key, with the OAEP label ``<namespace>/<name>`` (strict
scope: the value only decrypts into a Secret of that name in that namespace). The result is
``uint16 big-endian len(wrapped key) || wrapped key || AES-GCM ciphertext+tag``, base64-encoded.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_KEY_BYTES = 32
NONCE = bytes(12)

DATABASE_SECRET = "database-secret"  # noqa: S105 (a Secret name, not a password)
BACKEND_SECRET = "backend-secret"  # noqa: S105
BACKUP_SECRET = "backup-secret"  # noqa: S105
# The keys each SealedSecret must hold; `make seal` writes exactly these.
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    DATABASE_SECRET: ("POSTGRES_PASSWORD",),
    BACKEND_SECRET: ("DATABASE_URL", "SECRET_KEY", "VAPID_PRIVATE_KEY"),
    BACKUP_SECRET: ("RESTIC_PASSWORD",),
}
# backup-secret's keys for the off-site repository (backup.offsite), sealed only when it is set.
OFFSITE_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# backend-secret's keys for monitoring's alerts (README: Alerts to the owner): the token
# Alertmanager posts with and the owner's Apprise URLs, sealed only when the vault has both.
ALERT_KEYS = ("ALERT_WEBHOOK_TOKEN", "ALERT_APPRISE_URLS")
THROWAWAY = "throw-away"


class SealedValuesError(RuntimeError):
    """The committed ciphertext is missing, incomplete or sealed for another namespace."""


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def scope_label(namespace: str, name: str) -> bytes:
    """The OAEP label of the strict scope."""
    return f"{namespace}/{name}".encode()


def seal_value(public_key: rsa.RSAPublicKey, namespace: str, name: str, plaintext: bytes) -> str:
    session_key = os.urandom(SESSION_KEY_BYTES)
    wrapped = public_key.encrypt(session_key, _oaep(scope_label(namespace, name)))
    sealed = AESGCM(session_key).encrypt(NONCE, plaintext, None)
    return base64.b64encode(struct.pack(">H", len(wrapped)) + wrapped + sealed).decode()


def unseal_value(private_key: rsa.RSAPrivateKey, namespace: str, name: str, value: str) -> bytes:
    """What the controller does; used by the tests (this repo never has the real private key)."""
    raw = base64.b64decode(value, validate=True)
    (length,) = struct.unpack(">H", raw[:2])
    wrapped, sealed = raw[2 : 2 + length], raw[2 + length :]
    session_key = private_key.decrypt(wrapped, _oaep(scope_label(namespace, name)))
    return AESGCM(session_key).decrypt(NONCE, sealed, None)


def load_public_key(certificate_pem: bytes) -> rsa.RSAPublicKey:
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Sealed Secrets certificate does not hold an RSA public key")
    return key


def certificate_fingerprint(certificate_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem)
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def generate_vapid_private_key() -> str:
    """What the app reads as VAPID_PRIVATE_KEY: base64url (unpadded) of a fresh P-256 key's
    32-byte big-endian private value."""
    value = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def check_vapid_private_key(value: str) -> None:
    """Refuse what the app or the push services would: not base64url of 32 bytes, or not a
    P-256 private value (zero, or not below the curve's order)."""
    if re.fullmatch(r"[A-Za-z0-9_-]{43}=?", value):
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=")
        try:
            ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            return
        except ValueError:
            pass
    raise ValueError("the VAPID private key is not the base64url of a 32-byte P-256 private value")


@dataclass(frozen=True)
class SecretValues:
    """The plaintext values; their source of truth is the owner's vault (seal.py)."""

    postgres_password: str
    secret_key: str
    # Encrypts the restic repository of the backups: without it no backup can be read.
    backup_password: str
    # Signs Web Push messages: browsers' subscriptions are bound to its public key, so a
    # rebuilt cluster must keep it.
    vapid_private_key: str
    # The S3 keys of the off-site repository (backup.offsite), given by the owner.
    offsite_access_key_id: str | None = None
    offsite_secret_access_key: str | None = None
    # Shared with the platform role's Alertmanager, given by the owner (vault_alert_*).
    alert_webhook_token: str | None = None
    alert_apprise_urls: str | None = None

    def __post_init__(self) -> None:
        check_vapid_private_key(self.vapid_private_key)

    @classmethod
    def generate(cls) -> SecretValues:
        # token_urlsafe: 256 bits each, and only URL-safe characters in DATABASE_URL.
        return cls(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(48),
            secrets.token_urlsafe(32),
            generate_vapid_private_key(),
        )

    def database_url(self, *, host: str, database: str, user: str) -> str:
        password = quote(self.postgres_password, safe="")
        return f"postgresql+psycopg://{user}:{password}@{host}:5432/{database}"

    def by_secret(self, *, host: str, database: str, user: str) -> dict[str, dict[str, str]]:
        """database-secret, backend-secret (derived from the same password), backup-secret."""
        return {
            DATABASE_SECRET: {"POSTGRES_PASSWORD": self.postgres_password},
            BACKEND_SECRET: {
                "DATABASE_URL": self.database_url(host=host, database=database, user=user),
                "SECRET_KEY": self.secret_key,
                "VAPID_PRIVATE_KEY": self.vapid_private_key,
                **self._alerts(),
            },
            BACKUP_SECRET: {"RESTIC_PASSWORD": self.backup_password, **self._offsite()},
        }

    def _alerts(self) -> dict[str, str]:
        if self.alert_webhook_token and self.alert_apprise_urls:
            return dict(
                zip(ALERT_KEYS, (self.alert_webhook_token, self.alert_apprise_urls), strict=True)
            )
        return {}

    def _offsite(self) -> dict[str, str]:
        if self.offsite_access_key_id and self.offsite_secret_access_key:
            return dict(
                zip(
                    OFFSITE_KEYS,
                    (self.offsite_access_key_id, self.offsite_secret_access_key),
                    strict=True,
                )
            )
        return {}


def seal_all(
    public_key: rsa.RSAPublicKey, namespace: str, plaintext: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    return {
        name: {
            key: seal_value(public_key, namespace, name, value.encode())
            for key, value in kv.items()
        }
        for name, kv in sorted(plaintext.items())
    }


@dataclass(frozen=True)
class SealedValues:
    """The committed file: ciphertext per SealedSecret and key, and whom it was sealed for."""

    namespace: str
    certificate: str
    encrypted: dict[str, dict[str, str]]

    @property
    def throwaway(self) -> bool:
        return self.certificate == THROWAWAY

    def for_secret(self, name: str) -> dict[str, str]:
        return self.encrypted[name]

    def dump(self, path: Path, environment: str) -> None:
        header = (
            f"# Sealed Secrets ciphertext for the {environment} environment, written by\n"
            f"# `make seal CDK8S_ENV={environment}`.\n"
            "# Only the cluster's Sealed Secrets controller can decrypt it.\n"
        )
        if self.throwaway:
            header += (
                "# Sealed for a throw-away key pair whose private key was discarded:\n"
                "# no cluster can decrypt these.\n"
                "# Run `make seal` once the cluster is up, before the first sync.\n"
            )
        body: dict[str, Any] = {
            "namespace": self.namespace,
            "certificate": self.certificate,
            "encryptedData": self.encrypted,
        }
        path.write_text(header + yaml.safe_dump(body, sort_keys=False, width=100_000))


def load_sealed_values(path: Path, namespace: str, environment: str) -> SealedValues:
    """Read the committed ciphertext, refusing anything synth could not use."""
    hint = f"run `make seal CDK8S_ENV={environment}` to write them"
    if not path.is_file():
        raise SealedValuesError(f"no sealed secret values for {environment} ({path}): {hint}")
    data = yaml.safe_load(path.read_text()) or {}
    if data.get("namespace") != namespace:
        raise SealedValuesError(
            f"{path} was sealed for namespace {data.get('namespace')!r}, not {namespace!r}: {hint}"
        )
    encrypted = data.get("encryptedData") or {}
    for name, keys in SECRET_KEYS.items():
        missing = [k for k in keys if not (encrypted.get(name) or {}).get(k)]
        if missing:
            raise SealedValuesError(f"{path} lacks {name} {', '.join(missing)}: {hint}")
    return SealedValues(
        namespace=namespace,
        certificate=str(data.get("certificate", "")),
        encrypted={name: dict(encrypted[name]) for name in SECRET_KEYS},
    )
