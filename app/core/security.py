"""Password hashing (argon2id), opaque tokens stored only as keyed hashes, and small secrets
stored encrypted with the app's key."""

import base64
import hashlib
import hmac
import secrets

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from app.core.config import Settings

# Invite codes are read aloud and typed on phones: no 0/O or 1/I/L.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 10

# Accounts imported from the original app keep its passlib bcrypt hashes until their first login.
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# bcrypt reads at most 72 bytes; passlib cut longer passwords there silently, so the same cut
# keeps them working (the bcrypt package refuses them instead).
BCRYPT_MAX_BYTES = 72


def is_bcrypt(password_hash: str) -> bool:
    return password_hash.startswith(BCRYPT_PREFIXES)


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is not None and is_bcrypt(password_hash):
            try:
                return bcrypt.checkpw(
                    password.encode()[:BCRYPT_MAX_BYTES], password_hash.encode("ascii")
                )
            except (ValueError, UnicodeEncodeError):
                return False
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a hash that just verified should become argon2id: one of the original app."""
        return is_bcrypt(password_hash)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


# Recognisable in a leaked file or a secret scanner's rules.
API_TOKEN_PREFIX = "htm_"  # noqa: S105 (a prefix, not a secret)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def normalize_invite_code(code: str) -> str:
    return code.strip().replace("-", "").replace(" ", "").upper()


def keyed_hash(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def _fernet(secret: bytes) -> Fernet:
    # Its own key, derived: a leaked sealed value says nothing of the keyed hashes' key.
    return Fernet(base64.urlsafe_b64encode(hmac.new(secret, b"sealed-values", "sha256").digest()))


def seal(secret: bytes, value: str) -> str:
    """`value` encrypted and authenticated, e.g. a notification URL that carries a token."""
    return _fernet(secret).encrypt(value.encode()).decode()


def unseal(secret: bytes, sealed: str) -> str | None:
    """The sealed value, or None when another key sealed it (SECRET_KEY was changed)."""
    try:
        return _fernet(secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
