from datetime import time
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.schemas.chores import PersonRef
from app.schemas.common import ClockTime, Input, Instant, Model

Scope = Literal["mine", "mine_and_anyone", "all"]


class ReminderSettingsIn(Input):
    """A member's reminders in one household. Leaving `apprise_url` out keeps the one saved;
    null removes it."""

    scope: Scope = "mine_and_anyone"
    before_minutes: int | None = Field(default=None, ge=0, le=1440)
    digest_hour: int | None = Field(default=None, ge=0, le=23)
    nag_minutes: int | None = Field(default=None, ge=5, le=1440)
    quiet_start: ClockTime | None = None
    quiet_end: ClockTime | None = None
    apprise_url: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = None


class ReminderChannelOut(Model):
    kind: Literal["apprise", "push"]
    id: int | None
    service: str
    target: str
    failure: str | None
    failed_at: Instant | None


class ReminderSettingsOut(Model):
    scope: Scope
    before_minutes: int | None
    digest_hour: int | None
    nag_minutes: int | None
    quiet_start: time | None
    quiet_end: time | None
    channels: list[ReminderChannelOut]
    push_public_key: str | None


class PushKeysIn(Input):
    p256dh: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    auth: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PushSubscriptionIn(Input):
    """A browser's PushSubscription, as its toJSON() gives it."""

    endpoint: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")]
    keys: PushKeysIn
    expirationTime: int | None = None  # noqa: N815 (the browser's own field name)


class PushSubscriptionOut(Model):
    id: int  # the channel's id in the reminders' `channels`


class HouseholdChannelIn(Input):
    apprise_url: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]
    digest_hour: int = Field(ge=0, le=23)


class HouseholdChannelOut(Model):
    service: str
    target: str  # the URL with its secrets masked
    digest_hour: int
    set_by: PersonRef  # the admin it depends on
    failure: str | None
    failed_at: Instant | None


class TestDeliveryOut(Model):
    kind: Literal["apprise", "push", "household"]
    target: str
    ok: bool
    error: str | None
