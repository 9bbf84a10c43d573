"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from app.models.accounts import LoginFailure, User, UserSession
from app.models.households import Household, Invite, Membership, Role

__all__ = ["Household", "Invite", "LoginFailure", "Membership", "Role", "User", "UserSession"]
