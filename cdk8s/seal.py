"""Seal database-secret and backend-secret for one environment (what `make seal` runs).

    python cdk8s/seal.py --env production [--certificate PEM] [--throwaway]

The values come from the environment variables POSTGRES_PASSWORD and SECRET_KEY when set (to
re-seal the values a running database already uses), otherwise strong random ones are generated.
DATABASE_URL is derived from the same password, so both secrets always agree. Only ciphertext
is written, to cdk8s/environments/<env>.sealed.yaml; plaintext stays in this process.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from household.config import EnvironmentConfig, load_environment
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


def secret_values(environ: dict[str, str]) -> SecretValues:
    generated = SecretValues.generate()
    return SecretValues(
        postgres_password=environ.get("POSTGRES_PASSWORD") or generated.postgres_password,
        secret_key=environ.get("SECRET_KEY") or generated.secret_key,
    )


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
    given = [name for name in ("POSTGRES_PASSWORD", "SECRET_KEY") if os.environ.get(name)]
    sealed = seal_environment(
        config, pem, secret_values(dict(os.environ)), throwaway=args.throwaway
    )
    source = f"{' and '.join(given)} from the environment" if given else "new random values"
    print(
        f"{config.name}: sealed {sum(len(v) for v in sealed.encrypted.values())} values "
        f"({source}) for namespace {config.namespace} into "
        f"{config.sealed_secrets.values}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
