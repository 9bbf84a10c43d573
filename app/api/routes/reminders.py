from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.deps import DbDep, Reader, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.domain.views import ReminderChoices, TestDelivery
from app.schemas.common import MAX_ID
from app.schemas.reminders import (
    PushSubscriptionIn,
    PushSubscriptionOut,
    ReminderSettingsIn,
    ReminderSettingsOut,
    TestDeliveryOut,
)
from app.services import reminders

router = APIRouter(
    prefix="/api/households/{household_id}/reminders",
    tags=["reminders"],
    responses=ERROR_RESPONSES,
)


@router.get("", response_model=ReminderSettingsOut)
def get_reminders(member: Reader, db: DbDep, settings: SettingsDep) -> ReminderChoices:
    """The caller's reminders in this household, their channels, and each channel's last
    failure when nothing has gone through since."""
    return reminders.choices(db, settings, member)


@router.put("", response_model=ReminderSettingsOut)
def save_reminders(
    data: ReminderSettingsIn, member: Reader, db: DbDep, settings: SettingsDep
) -> ReminderChoices:
    """Replaces the caller's choices: which chores (`scope`), when (`before_minutes` before a
    due time, a daily digest at `digest_hour`, nagging every `nag_minutes` until done), quiet
    hours, and an Apprise URL."""
    changes = data.model_dump(exclude={"apprise_url"})
    if "apprise_url" in data.model_fields_set:
        changes["apprise_url"] = data.apprise_url
    return reminders.update(db, settings, member, changes)


@router.post("/test", response_model=list[TestDeliveryOut])
def send_test(member: Reader, db: DbDep, settings: SettingsDep) -> list[TestDelivery]:
    """A test message to each of the caller's channels now, with each one's outcome."""
    return reminders.send_test(db, settings, member)


@router.post("/push", status_code=status.HTTP_201_CREATED)
def subscribe_push(
    data: PushSubscriptionIn, member: Reader, db: DbDep, settings: SettingsDep
) -> PushSubscriptionOut:
    """Keeps this browser's push subscription (made with the `push_public_key`); its id is
    this browser's channel."""
    return PushSubscriptionOut(
        id=reminders.subscribe(
            db, settings, member, data.endpoint, data.keys.p256dh, data.keys.auth
        )
    )


@router.delete("/push/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe_push(
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID)], member: Reader, db: DbDep
) -> Response:
    reminders.unsubscribe(db, member, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
