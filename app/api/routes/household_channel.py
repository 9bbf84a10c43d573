from fastapi import APIRouter, Response, status

from app.api.deps import Admin, DbDep, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.domain.views import HouseholdChannelView, TestDelivery
from app.schemas.reminders import HouseholdChannelIn, HouseholdChannelOut, TestDeliveryOut
from app.services import household_channel

router = APIRouter(
    prefix="/api/households/{household_id}/channel",
    tags=["reminders"],
    responses=ERROR_RESPONSES,
)


@router.get("", response_model=HouseholdChannelOut | None)
def get_channel(admin: Admin, db: DbDep, settings: SettingsDep) -> HouseholdChannelView | None:
    """The household's channel (null when none is set)."""
    return household_channel.get(db, settings, admin)


@router.put("", response_model=HouseholdChannelOut)
def set_channel(
    data: HouseholdChannelIn, admin: Admin, db: DbDep, settings: SettingsDep
) -> HouseholdChannelView:
    """An Apprise URL that gets the daily digest of every chore due at `digest_hour`; it
    lasts while the admin who sets it stays one."""
    return household_channel.put(db, settings, admin, data.apprise_url, data.digest_hour)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def remove_channel(admin: Admin, db: DbDep) -> Response:
    household_channel.remove(db, admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/test", response_model=TestDeliveryOut)
def test_channel(admin: Admin, db: DbDep, settings: SettingsDep) -> TestDelivery:
    """A test message to the household's channel now, with its outcome."""
    return household_channel.send_test(db, settings, admin)
