"""Households, their members and roles. Every rule about who may do what lives here."""

from datetime import timedelta

from sqlalchemy import delete as delete_rows
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import begin_changes, utcnow
from app.core.security import keyed_hash, new_invite_code, normalize_invite_code
from app.domain.errors import ConflictError, ErrorCode, ForbiddenError, GoneError, NotFoundError
from app.models import (
    ApiToken,
    CalendarFeed,
    Chore,
    Household,
    HouseholdChannel,
    Invite,
    Membership,
    PasswordReset,
    Role,
    User,
)
from app.schemas.households import HouseholdCreateIn, HouseholdUpdateIn, InviteCreateIn
from app.services import chores
from app.services.access import Member


def list_for(db: Session, user: User) -> list[tuple[Household, str]]:
    rows = db.execute(
        select(Household, Membership.role)
        .join(Membership, Membership.household_id == Household.id)
        .where(Membership.user_id == user.id)
        .order_by(Household.name, Household.id)
    ).all()
    return [(household, role) for household, role in rows]


def create(db: Session, settings: Settings, user: User, data: HouseholdCreateIn) -> Household:
    household = Household(
        name=data.name,
        time_zone=data.time_zone or settings.default_time_zone,
        language=data.language,
    )
    db.add(household)
    db.flush()
    db.add(Membership(household_id=household.id, user_id=user.id, role=Role.ADMIN))
    db.commit()
    return household


def update_settings(db: Session, member: Member, data: HouseholdUpdateIn) -> Household:
    household = db.get_one(Household, member.household.id)
    for field in ("name", "time_zone", "language"):
        value = getattr(data, field)
        if value is not None:
            setattr(household, field, value)
    db.commit()
    return household


def delete(db: Session, member: Member) -> None:
    # The lock order of every write (app.models.revisions): memberships, chores, the household
    # row last. Deleting the row first would lock it before the rows its deletion cascades to.
    _lock_memberships(db, member.household.id)
    db.execute(
        select(Chore.id)
        .where(Chore.household_id == member.household.id)
        .order_by(Chore.id)
        .with_for_update()
    )
    db.delete(db.get_one(Household, member.household.id))
    db.commit()


def members(db: Session, household_id: int) -> list[tuple[Membership, User]]:
    rows = db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.household_id == household_id)
        .order_by(User.display_name, User.id)
    ).all()
    return [(membership, user) for membership, user in rows]


def _lock_memberships(db: Session, household_id: int) -> None:
    begin_changes(db)
    db.execute(
        select(Membership.user_id)
        .where(Membership.household_id == household_id)
        .order_by(Membership.user_id)
        .with_for_update()
    )


def _membership_for_change(db: Session, household_id: int, user_id: int) -> Membership:
    # Concurrent demotions must not leave the household without an admin: each waits for the
    # other's commit here, and then counts the admins anew.
    _lock_memberships(db, household_id)
    membership = db.get(Membership, (household_id, user_id))
    if membership is None:
        raise NotFoundError("Member")
    return membership


def _ensure_an_admin_remains(db: Session, household_id: int, leaving: Membership) -> None:
    if leaving.role != Role.ADMIN:
        return
    admins = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.household_id == household_id, Membership.role == Role.ADMIN)
    )
    if admins == 1:
        raise ConflictError(
            ErrorCode.LAST_ADMIN,
            "A household must keep at least one admin: make another member admin first",
        )


def _revoke_beyond(db: Session, household_id: int, user_id: int, role: Role | None) -> None:
    """When a member is demoted to `role` (None: removed), what they created with a power they
    no longer have stops working: their pending invites (admins create them; an admin invite
    would make them admin again), their calendar feed (members create it; it would go on
    serving the household, and serve them again if they rejoined), their API tokens (a
    viewer keeps read ones), the password reset links they made as admins, or that were made
    for them there, and the household channel they set as admins. Sessions are per account
    and the membership is checked on every request: no session is bound to a household."""
    rank = role.rank if role is not None else -1
    if rank < Role.VIEWER.rank:  # a link into an account through a household they left
        db.execute(
            delete_rows(PasswordReset).where(
                PasswordReset.household_id == household_id, PasswordReset.user_id == user_id
            )
        )
    if rank < Role.ADMIN.rank:
        db.execute(
            delete_rows(Invite).where(
                Invite.household_id == household_id,
                Invite.created_by == user_id,
                Invite.used_at.is_(None),
            )
        )
        db.execute(
            delete_rows(PasswordReset).where(
                PasswordReset.household_id == household_id, PasswordReset.created_by == user_id
            )
        )
        db.execute(
            delete_rows(HouseholdChannel).where(
                HouseholdChannel.household_id == household_id,
                HouseholdChannel.created_by == user_id,
            )
        )
    if rank < Role.MEMBER.rank:
        db.execute(
            delete_rows(CalendarFeed).where(
                CalendarFeed.household_id == household_id, CalendarFeed.user_id == user_id
            )
        )
        # A write token must not write again if the member's power comes back.
        tokens = delete_rows(ApiToken).where(
            ApiToken.household_id == household_id, ApiToken.user_id == user_id
        )
        db.execute(tokens if rank < Role.VIEWER.rank else tokens.where(ApiToken.scope == "write"))


def change_role(db: Session, member: Member, user_id: int, role: Role) -> tuple[Membership, User]:
    membership = _membership_for_change(db, member.household.id, user_id)
    if role != Role.ADMIN:
        _ensure_an_admin_remains(db, member.household.id, membership)
    membership.role = role
    _revoke_beyond(db, member.household.id, user_id, role)
    db.commit()
    user = db.get_one(User, user_id)
    return membership, user


def remove(db: Session, member: Member, user_id: int) -> None:
    """Admins remove anyone; every member may remove themselves (leave)."""
    if user_id != member.user_id and member.role is not Role.ADMIN:
        raise ForbiddenError("Only admins can remove other members")
    membership = _membership_for_change(db, member.household.id, user_id)
    _ensure_an_admin_remains(db, member.household.id, membership)
    chores.forget_member(db, member.household.id, user_id)
    _revoke_beyond(db, member.household.id, user_id, None)
    db.delete(membership)
    db.commit()


def create_invite(
    db: Session, settings: Settings, member: Member, data: InviteCreateIn
) -> tuple[Invite, str]:
    code = new_invite_code()
    hours = data.expires_in_hours or settings.invite_ttl_hours
    invite = Invite(
        household_id=member.household.id,
        code_hash=keyed_hash(settings.secret, code),
        role=data.role,
        created_by=member.user_id,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.add(invite)
    db.commit()
    return invite, code


def invites(db: Session, household_id: int) -> list[Invite]:
    return list(
        db.scalars(
            select(Invite).where(Invite.household_id == household_id).order_by(Invite.id.desc())
        )
    )


def revoke_invite(db: Session, member: Member, invite_id: int) -> None:
    invite = db.get(Invite, invite_id)
    if invite is None or invite.household_id != member.household.id:
        raise NotFoundError("Invite")
    db.delete(invite)
    db.commit()


def _usable_invite(db: Session, settings: Settings, code: str) -> Invite:
    invite = db.scalar(
        select(Invite).where(
            Invite.code_hash == keyed_hash(settings.secret, normalize_invite_code(code))
        )
    )
    if invite is None:
        raise NotFoundError("Invite")
    if invite.used_at is not None:
        raise GoneError(ErrorCode.INVITE_USED, "This invite has already been used")
    if invite.expires_at <= utcnow():
        raise GoneError(ErrorCode.INVITE_EXPIRED, "This invite has expired")
    return invite


def preview_invite(
    db: Session, settings: Settings, code: str, user: User | None
) -> tuple[Invite, Household, bool]:
    """The invite's household and role, for anyone holding the code (logged in or not: the
    code is the secret), and whether `user` is already a member there. A member is told so
    even when the invite is used or expired: they are on their way to the household."""
    invite = db.scalar(
        select(Invite).where(
            Invite.code_hash == keyed_hash(settings.secret, normalize_invite_code(code))
        )
    )
    member = (
        invite is not None
        and user is not None
        and db.get(Membership, (invite.household_id, user.id)) is not None
    )
    if not member:
        invite = _usable_invite(db, settings, code)
    assert invite is not None
    return invite, db.get_one(Household, invite.household_id), member


def accept_invite(db: Session, settings: Settings, user: User, code: str) -> tuple[Household, str]:
    invite = _usable_invite(db, settings, code)
    if db.get(Membership, (invite.household_id, user.id)) is not None:
        raise ConflictError(ErrorCode.ALREADY_MEMBER, "You are already a member of this household")
    # Conditional update: of two concurrent accepts, exactly one wins the code.
    claimed = db.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=utcnow(), used_by=user.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise GoneError(ErrorCode.INVITE_USED, "This invite has already been used")
    db.add(Membership(household_id=invite.household_id, user_id=user.id, role=invite.role))
    db.commit()
    return db.get_one(Household, invite.household_id), invite.role
