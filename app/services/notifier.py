"""The app's one way of reaching people: Apprise URLs (ntfy, Telegram, Discord, e-mail, Home
Assistant, LINE...) and Web Push. The household's reminders and the owner's alerts both send
through here; nothing else in the app talks to a notification service."""

import base64
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from app.domain.errors import ErrorCode, InvalidError

# Seconds a receiver may take: a sender runs every minute, and one slow service must not hold
# the others up for long.
TIMEOUT = 10
# A push that cannot be delivered within a day is no longer worth showing.
PUSH_TTL = 24 * 3600

# Apprise and pywebpush (with the aiohttp it brings) are imported when a message is sent: the
# backend, which seldom sends (the CronJob does), keeps 25 MiB and 0.2 s of start-up fewer.


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str | None = None
    gone: bool = False  # the push subscription no longer exists: forget it


def describe_apprise_url(url: str) -> tuple[str, str]:
    """The service's name and the URL with its secrets masked, or 422 for a URL that no
    Apprise service understands."""
    import apprise

    plugin = apprise.Apprise.instantiate(url.strip())
    if plugin is None:
        raise InvalidError(
            ErrorCode.BAD_NOTIFY_URL,
            "Not a notification URL that Apprise understands (e.g. ntfy://host/topic, "
            "tgram://bot-token/chat-id, mailto://user:password@example.com)",
        )
    return str(plugin.service_name), str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]


def send_apprise(url: str, title: str, body: str) -> Outcome:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Outcome(ok=False, error="The notification URL is not valid")
    # Apprise reports why a service refused only in its log: keep it for the member to see.
    with apprise.LogCapture(level=logging.WARNING) as log:  # type: ignore[no-untyped-call]
        ok = bool(notifier.notify(title=title, body=body))
    if ok:
        return Outcome(ok=True)
    return Outcome(ok=False, error=_last_line(log.getvalue()) or "The service did not accept it")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


@dataclass(frozen=True, slots=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class VapidKeys:
    """The app server's identity at the browsers' push services (RFC 8292)."""

    private_key: str  # base64url of the raw P-256 private number, as `vapid --gen` prints
    subject: str  # mailto: or https: contact the push services may use

    @property
    def public_key(self) -> str:
        """What a browser subscribes with (`applicationServerKey`)."""
        return _public_key(self.private_key)


@lru_cache
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_raw(private_key.encode())


@lru_cache
def _public_key(private_key: str) -> str:
    point = _vapid(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def new_vapid_private_key() -> str:
    number = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


def send_push(keys: VapidKeys, target: PushTarget, payload: dict[str, Any]) -> Outcome:
    from pywebpush import WebPushException, webpush

    try:
        webpush(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            json.dumps(payload, ensure_ascii=False),
            vapid_private_key=_vapid(keys.private_key),
            vapid_claims={"sub": keys.subject},
            timeout=TIMEOUT,
            ttl=PUSH_TTL,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        return Outcome(ok=False, error=f"Push service answered {status}", gone=status in (404, 410))
    except (OSError, ValueError) as error:  # requests' connection errors are OSErrors
        return Outcome(ok=False, error=f"Push service unreachable: {type(error).__name__}")
    return Outcome(ok=True)
