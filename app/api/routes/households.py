from fastapi import APIRouter, Response, status

from app.api.deps import Admin, CurrentUser, DbDep, Reader, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.models import Role
from app.schemas.households import HouseholdCreateIn, HouseholdOut, HouseholdUpdateIn
from app.services import households

router = APIRouter(prefix="/api/households", tags=["households"], responses=ERROR_RESPONSES)


@router.get("")
def list_households(user: CurrentUser, db: DbDep) -> list[HouseholdOut]:
    return [HouseholdOut.of(household, role) for household, role in households.list_for(db, user)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_household(
    data: HouseholdCreateIn, user: CurrentUser, db: DbDep, settings: SettingsDep
) -> HouseholdOut:
    return HouseholdOut.of(households.create(db, settings, user, data), Role.ADMIN)


@router.get("/{household_id}")
def get_household(member: Reader) -> HouseholdOut:
    return HouseholdOut.of(member.household, member.role)


@router.patch("/{household_id}")
def update_household(data: HouseholdUpdateIn, member: Admin, db: DbDep) -> HouseholdOut:
    return HouseholdOut.of(households.update_settings(db, member, data), member.role)


@router.delete("/{household_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_household(member: Admin, db: DbDep) -> Response:
    households.delete(db, member)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
