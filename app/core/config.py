"""Typed settings, read only from the environment (the container contract)."""

import base64
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "household-task-manager.db"
# Only for local development: production refuses to start without its own key.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    environment: Literal["development", "test", "staging", "production"] = "development"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    secret_key: SecretStr | None = None
    default_time_zone: str = "Asia/Tokyo"

    # Per process and per pool (the engine's, and on PostgreSQL the reads', which has no
    # overflow: app.core.reads); a request waits at most
    # db_pool_timeout seconds for a free connection (503).
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_pool_overflow: int = Field(default=5, ge=0, le=100)
    db_pool_timeout: float = Field(default=5, gt=0, le=60)

    # Household reads kept as JSON per process (app.core.cache); 0 turns the cache off.
    response_cache_mib: int = Field(default=16, ge=0, le=256)

    # Observability (app.core.logs, app.core.tracing). Traces are off unless a rate is set;
    # sampled spans go over OTLP/HTTP to trace_endpoint (Tempo's receiver in the cluster).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    trace_sample_rate: float = Field(default=0.0, ge=0, le=1)
    trace_endpoint: str = "http://localhost:4318"
    service_name: str = "household-backend"

    session_ttl_days: int = Field(default=30, ge=1, le=365)
    # Login throttling (app.services.throttle): failures count for login_window_seconds.
    login_window_seconds: int = Field(default=900, ge=1)
    login_free_failures_per_pair: int = Field(default=3, ge=1)
    login_backoff_seconds: int = Field(default=1, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_known_address_days: int = Field(default=90, ge=1)
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    password_reset_ttl_hours: int = Field(default=24, ge=1, le=24 * 7)

    # OWASP's argon2id baseline (19 MiB, 2 passes): affordable on a Raspberry Pi pod.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=1024)
    argon2_parallelism: int = Field(default=1, ge=1)

    # Reminders (app.services.reminder_sender). In the cluster a CronJob sends ("off" here);
    # under `make run` the app process does, one process at a time.
    reminder_sender: Literal["in-process", "off"] = "in-process"
    # Web Push's VAPID key: base64url of the raw P-256 private key. Without one, development
    # makes its own under var/, and production offers no push.
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = Field(
        default="mailto:owner@household.invalid", pattern=r"^(mailto|https):"
    )

    # Mail from the app (a password reset link to a person who asks): an Apprise mailto:// or
    # mailtos:// URL of an SMTP server, with from= and without to=. Unset: no mail; admins make
    # reset links instead. Links point at public_url (default: the address the request came to).
    mail_url: SecretStr | None = None
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/]+$")

    # Monitoring's alerts (app.services.alerts): Alertmanager posts them with this bearer token,
    # and the app tells the owner at these Apprise URLs (whitespace-separated). Unset: no alerts.
    alert_webhook_token: SecretStr | None = None
    alert_apprise_urls: SecretStr | None = None

    frontend_dist: Path = REPO_ROOT / "frontend" / "dist"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("vapid_private_key")
    @classmethod
    def _raw_p256_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            try:
                decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            except ValueError:
                decoded = b""
            if len(decoded) != 32:
                raise ValueError("VAPID_PRIVATE_KEY must be the base64url of 32 bytes")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> "Settings":
        if self.is_production:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError(
                    "SECRET_KEY must be set to at least 32 characters when "
                    f"ENVIRONMENT={self.environment}"
                )
        return self

    @model_validator(mode="after")
    def _mail_links_need_public_url(self) -> "Settings":
        # Else a link's host would come from the request's Host header, which anyone can set.
        if self.is_production and self.mail_url is not None and self.public_url is None:
            raise ValueError(
                f"PUBLIC_URL must be set with MAIL_URL when ENVIRONMENT={self.environment}"
            )
        return self

    @property
    def is_production(self) -> bool:
        """Staging runs exactly like production (secure cookies, its own key)."""
        return self.environment in ("staging", "production")

    @property
    def secret(self) -> bytes:
        if self.secret_key is None:
            return DEVELOPMENT_SECRET_KEY.encode()
        return self.secret_key.get_secret_value().encode()


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SystemExit(f"Invalid configuration: {problems}") from None
