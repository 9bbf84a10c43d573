"""Reminders: each member's choices, their browsers' push subscriptions, and the ledger of
every message, which is what makes each one go out exactly once."""

from datetime import date, datetime, time
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow

SCOPES = ("mine", "mine_and_anyone", "all")
STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class ReminderSettings(Base):
    """One member's reminders in one household. Ends with the membership (cascade)."""

    __tablename__ = "reminder_settings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "user_id"],
            ["memberships.household_id", "memberships.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("scope IN ('mine', 'mine_and_anyone', 'all')", name="scope"),
    )
    # In no cached household read: changing it keeps the household's revision.
    household_reads: ClassVar[bool] = False

    household_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True, index=True)
    scope: Mapped[str] = mapped_column(String(16), default="mine_and_anyone")
    # Minutes before a timed chore's due time (None: no such reminder).
    before_minutes: Mapped[int | None] = mapped_column(Integer)
    # The local hour of the daily digest of today's and overdue chores (None: no digest).
    digest_hour: Mapped[int | None] = mapped_column(Integer)
    # Repeat every so many minutes after the due time until done or skipped (None: never).
    nag_minutes: Mapped[int | None] = mapped_column(Integer)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    # Encrypted with the app's key (it usually carries a service's token); see core.security.
    apprise_url: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PushSubscription(Base):
    """A browser's Web Push subscription (one per installed app or browser profile)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderDelivery(Base):
    """One message to one channel of one member: planned, claimed by one sender, then sent,
    failed or dropped. The unique key is the exactly-once guarantee: two senders planning the
    same message insert one row, and only the sender whose claim moved it out of `pending`
    sends it. A claim that never finished (a crashed sender) is not sent again."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "user_id"],
            ["memberships.household_id", "memberships.user_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint(
            "household_id",
            "user_id",
            "key",
            "channel",
            name="uq_reminder_deliveries_message_channel",
        ),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dropped')", name="status"
        ),
        Index("ix_reminder_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_reminder_deliveries_user_id_created_at", "user_id", "created_at"),
    )
    household_reads: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    # What the message is about, e.g. "due:12:2026-11-30", "nag:12:2026-11-30:3", "digest:…".
    key: Mapped[str] = mapped_column(String(80))
    # "apprise", or "push:<subscription id>".
    channel: Mapped[str] = mapped_column(String(32))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    chore_id: Mapped[int | None] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"))
    # The occurrence a chore's message is about: dropped unsent once it is no longer due.
    due_date: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HouseholdChannel(Base):
    """The household's own channel (a family group chat, a kitchen display): an Apprise URL an
    admin set, which gets the daily digest of every chore due. It ends when that admin stops
    being one (app.services.households) or leaves (cascade)."""

    __tablename__ = "household_channels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "created_by"],
            ["memberships.household_id", "memberships.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour"),
    )
    household_reads: ClassVar[bool] = False

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    created_by: Mapped[int] = mapped_column()
    apprise_url: Mapped[str] = mapped_column(Text)  # sealed, as a member's
    digest_hour: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
