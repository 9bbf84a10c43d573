"""The household's own channel: an admin's Apprise URL that gets the household's daily digest
of every chore due (a family group chat, a tablet in the kitchen). The reminder sender sends
it; it ends when the admin who set it stops being one."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import seal, unseal
from app.domain.errors import NotFoundError
from app.domain.views import HouseholdChannelView, Person, TestDelivery
from app.models import HouseholdChannel, ReminderDelivery, User
from app.services import notifier
from app.services.access import Member

CHANNEL = "household"  # its ledger rows' channel


def url_of(settings: Settings, channel: HouseholdChannel | None) -> str | None:
    return unseal(settings.secret, channel.apprise_url) if channel is not None else None


def get(db: Session, settings: Settings, admin: Member) -> HouseholdChannelView | None:
    """The channel, or None when the household has none."""
    channel = db.get(HouseholdChannel, admin.household.id)
    if channel is None:
        return None
    url = url_of(settings, channel)
    name = db.scalar(select(User.display_name).where(User.id == channel.created_by))
    service, target = notifier.describe_apprise_url(url) if url else ("?", "")
    failure, failed_at = _last_failure(db, admin.household.id)
    if url is None:
        failure, failed_at = "The server's key changed: enter the URL again", None
    return HouseholdChannelView(
        service,
        target,
        channel.digest_hour,
        Person(channel.created_by, name or ""),
        failure,
        failed_at,
    )


def _last_failure(db: Session, household_id: int) -> tuple[str | None, datetime | None]:
    last = db.execute(
        select(ReminderDelivery.status, ReminderDelivery.error, ReminderDelivery.next_attempt_at)
        .where(
            ReminderDelivery.household_id == household_id,
            ReminderDelivery.channel == CHANNEL,
            ReminderDelivery.status.in_(("sent", "failed")),
        )
        .order_by(ReminderDelivery.id.desc())
        .limit(1)
    ).first()
    if last is None or last.status == "sent":
        return None, None
    return last.error, last.next_attempt_at


def put(
    db: Session, settings: Settings, admin: Member, url: str, digest_hour: int
) -> HouseholdChannelView:
    """Sets the channel (the caller becomes the admin it depends on)."""
    notifier.describe_apprise_url(url)  # 422 before anything is stored
    channel = db.get(HouseholdChannel, admin.household.id) or HouseholdChannel(
        household_id=admin.household.id
    )
    channel.created_by = admin.user_id
    channel.apprise_url = seal(settings.secret, url.strip())
    channel.digest_hour = digest_hour
    db.add(channel)
    db.commit()
    view = get(db, settings, admin)
    assert view is not None  # just saved
    return view


def remove(db: Session, admin: Member) -> None:
    db.execute(delete(HouseholdChannel).where(HouseholdChannel.household_id == admin.household.id))
    db.commit()


def send_test(db: Session, settings: Settings, admin: Member) -> TestDelivery:
    url = url_of(settings, db.get(HouseholdChannel, admin.household.id))
    if url is None:
        raise NotFoundError("Household channel")
    japanese = admin.household.language == "ja"
    outcome = notifier.send_apprise(
        url,
        "テスト通知" if japanese else "Test notification",
        f"{admin.household.name}のまとめ通知はここに届きます。"
        if japanese
        else f"The daily digest of {admin.household.name} arrives here.",
    )
    return TestDelivery(CHANNEL, notifier.describe_apprise_url(url)[1], outcome.ok, outcome.error)
