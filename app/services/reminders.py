"""A member's reminders: their choices, their channels (an Apprise URL, their browsers' push
subscriptions) and whether those channels work. The sending is app.services.reminder_sender."""

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import REPO_ROOT, Settings
from app.core.security import seal, unseal
from app.domain.errors import (
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InvalidError,
    NotFoundError,
)
from app.domain.views import ReminderChannel, ReminderChoices, TestDelivery
from app.models import PushSubscription, ReminderDelivery, ReminderSettings
from app.services import notifier
from app.services.access import Member

DEVELOPMENT_VAPID_KEY = REPO_ROOT / "var" / "vapid-private-key"
# The fields a member chooses, besides the URL (which is sealed before it is stored).
CHOICES = ("scope", "before_minutes", "digest_hour", "nag_minutes", "quiet_start", "quiet_end")
# Recent deliveries looked at for each channel's state.
RECENT = 100


def vapid_keys(settings: Settings) -> notifier.VapidKeys | None:
    """The VAPID key pair; development makes one under var/ once, production needs its own."""
    if settings.vapid_private_key is not None:
        return notifier.VapidKeys(
            settings.vapid_private_key.get_secret_value(), settings.vapid_subject
        )
    if settings.is_production:
        return None
    return notifier.VapidKeys(_development_key(DEVELOPMENT_VAPID_KEY), settings.vapid_subject)


@lru_cache
def _development_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Exclusive create: two processes starting together keep one key, the first one's.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(notifier.new_vapid_private_key())
    return path.read_text().strip()


def _stored(db: Session, member: Member) -> ReminderSettings | None:
    return db.get(ReminderSettings, (member.household.id, member.user_id))


def apprise_url(settings: Settings, choices: ReminderSettings | None) -> str | None:
    if choices is None or choices.apprise_url is None:
        return None
    return unseal(settings.secret, choices.apprise_url)


def choices(db: Session, settings: Settings, member: Member) -> ReminderChoices:
    """The member's choices (the defaults until they save any) and their channels' state."""
    stored = _stored(db, member) or ReminderSettings(scope="mine_and_anyone")
    keys = vapid_keys(settings)
    return ReminderChoices(
        **{field: getattr(stored, field) for field in CHOICES},
        channels=_channels(db, settings, member, stored),
        push_public_key=keys.public_key if keys else None,
    )


def update(
    db: Session, settings: Settings, member: Member, changes: Mapping[str, Any]
) -> ReminderChoices:
    """Saves the fields present in `changes`; `apprise_url` None removes the URL."""
    _refuse_tokens(member)
    stored = _stored(db, member)
    if stored is None:
        stored = ReminderSettings(
            household_id=member.household.id, user_id=member.user_id, scope="mine_and_anyone"
        )
        db.add(stored)
    for field in CHOICES:
        if field in changes:
            setattr(stored, field, changes[field])
    if "apprise_url" in changes:
        url = changes["apprise_url"]
        if url:
            notifier.describe_apprise_url(url)  # 422 before anything is stored
            stored.apprise_url = seal(settings.secret, url.strip())
        else:
            stored.apprise_url = None
    db.commit()
    return choices(db, settings, member)


def _refuse_tokens(member: Member) -> None:
    # Where a person is reached is theirs to set, not a script's.
    if member.by_token:
        raise ForbiddenError("Reminders are set by a person logged in, not by a token")


def _channels(
    db: Session, settings: Settings, member: Member, stored: ReminderSettings
) -> list[ReminderChannel]:
    failures = _failures(db, member)
    channels = []
    if stored.apprise_url is not None:
        url = apprise_url(settings, stored)
        service, target = notifier.describe_apprise_url(url) if url else ("?", "")
        failure, failed_at = failures.get("apprise", (None, None))
        if url is None:
            failure, failed_at = "The server's key changed: enter the URL again", None
        channels.append(ReminderChannel("apprise", None, service, target, failure, failed_at))
    for subscription in _subscriptions(db, member.user_id):
        host = urlsplit(subscription.endpoint).hostname or "?"
        failure, failed_at = failures.get(f"push:{subscription.id}", (None, None))
        channels.append(ReminderChannel("push", subscription.id, host, host, failure, failed_at))
    return channels


def _failures(db: Session, member: Member) -> dict[str, tuple[str | None, Any]]:
    """Each channel's last failure, unless a delivery went through after it."""
    rows = db.execute(
        select(ReminderDelivery.channel, ReminderDelivery.status, ReminderDelivery.error)
        .add_columns(ReminderDelivery.next_attempt_at)
        .where(
            ReminderDelivery.household_id == member.household.id,
            ReminderDelivery.user_id == member.user_id,
            ReminderDelivery.status.in_(("sent", "failed")),
        )
        .order_by(ReminderDelivery.id.desc())
        .limit(RECENT)
    )
    states: dict[str, tuple[str | None, Any]] = {}
    for channel, status, error, at in rows:
        if channel not in states:
            states[channel] = (error, at) if status == "failed" else (None, None)
    return states


def _subscriptions(db: Session, user_id: int) -> list[PushSubscription]:
    return list(
        db.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(PushSubscription.id)
        )
    )


def subscribe(
    db: Session, settings: Settings, member: Member, endpoint: str, p256dh: str, auth: str
) -> int:
    """Keeps a browser's push subscription for the caller, and answers its id. A browser has
    one per server: when another account subscribed it before, it is the caller's now."""
    _refuse_tokens(member)
    if vapid_keys(settings) is None:
        raise ConflictError(
            ErrorCode.PUSH_UNAVAILABLE, "This server has no VAPID key: push is not offered"
        )
    if settings.is_production and not endpoint.startswith("https://"):
        # Browsers' push services are all HTTPS; plain HTTP is for a local test service.
        raise InvalidError(ErrorCode.VALIDATION_ERROR, "A push endpoint is an https:// URL")
    subscription = db.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.add(subscription)
    subscription.user_id = member.user_id
    subscription.p256dh = p256dh
    subscription.auth = auth
    db.commit()
    return subscription.id


def unsubscribe(db: Session, member: Member, subscription_id: int) -> None:
    subscription = db.get(PushSubscription, subscription_id)
    if subscription is None or subscription.user_id != member.user_id:
        raise NotFoundError("Push subscription")
    db.delete(subscription)
    db.commit()


def send_test(db: Session, settings: Settings, member: Member) -> list[TestDelivery]:
    """A test message to each of the member's channels, now; it is not kept in the ledger."""
    _refuse_tokens(member)
    japanese = member.household.language == "ja"
    title = "テスト通知" if japanese else "Test notification"
    body = (
        f"{member.household.name}のリマインダーはここに届きます。"
        if japanese
        else f"Reminders of {member.household.name} arrive here."
    )
    results = []
    url = apprise_url(settings, _stored(db, member))
    if url is not None:
        outcome = notifier.send_apprise(url, title, body)
        results.append(
            TestDelivery(
                "apprise", notifier.describe_apprise_url(url)[1], outcome.ok, outcome.error
            )
        )
    keys = vapid_keys(settings)
    for subscription in _subscriptions(db, member.user_id) if keys else []:
        assert keys is not None
        outcome = notifier.send_push(
            keys, _target(subscription), {"title": title, "body": body, "tag": "test"}
        )
        host = urlsplit(subscription.endpoint).hostname or "?"
        results.append(TestDelivery("push", host, outcome.ok, outcome.error))
        if outcome.gone:
            db.delete(subscription)
    db.commit()
    return results


def _target(subscription: PushSubscription) -> notifier.PushTarget:
    return notifier.PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth)
