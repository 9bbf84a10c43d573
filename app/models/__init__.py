"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from app.models.accounts import (
    ApiToken,
    LoginAddress,
    LoginFailure,
    PasswordReset,
    User,
    UserSession,
)
from app.models.alerts import AlertDelivery
from app.models.chores import CalendarFeed, Chore, ChoreMember, Completion, TapReceipt
from app.models.households import Household, Invite, Membership, Role
from app.models.original_import import OriginalImportRow
from app.models.reminders import (
    HouseholdChannel,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
)

__all__ = [
    "AlertDelivery",
    "ApiToken",
    "CalendarFeed",
    "Chore",
    "ChoreMember",
    "Completion",
    "Household",
    "HouseholdChannel",
    "Invite",
    "LoginAddress",
    "LoginFailure",
    "Membership",
    "OriginalImportRow",
    "PasswordReset",
    "PushSubscription",
    "ReminderDelivery",
    "ReminderSettings",
    "Role",
    "TapReceipt",
    "User",
    "UserSession",
]
