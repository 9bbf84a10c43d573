from datetime import date, datetime, time
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from app.core.db import Base, UTCDateTime, utcnow


class Chore(Base):
    """A chore with its recurrence rule, its assignment and the date it is next due."""

    __tablename__ = "chores"
    __table_args__ = (
        CheckConstraint(
            "recurrence IN ('once', 'interval', 'weekly', 'monthly')", name="recurrence"
        ),
        CheckConstraint("unit IN ('day', 'week', 'month')", name="unit"),
        CheckConstraint("anchor IN ('schedule', 'completion')", name="anchor"),
        CheckConstraint(
            "assignment IN ('none', 'fixed', 'round_robin', 'least_done')", name="assignment"
        ),
        Index("ix_chores_household_id_next_due", "household_id", "next_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    recurrence: Mapped[str] = mapped_column(String(10))
    every: Mapped[int] = mapped_column(Integer, default=1)
    unit: Mapped[str] = mapped_column(String(5), default="day")
    weekdays: Mapped[str] = mapped_column(String(20), default="")  # ISO weekdays, "1,4"
    month_day: Mapped[int | None] = mapped_column(Integer)
    anchor: Mapped[str] = mapped_column(String(10), default="schedule")
    start_date: Mapped[date] = mapped_column(Date)
    # None once a one-off chore is done: it stays in the history but is never due again.
    next_due: Mapped[date | None] = mapped_column(Date)
    # Optional time of day it is due by, in the household's zone (None: any time that day).
    due_time: Mapped[time | None] = mapped_column(Time)

    assignment: Mapped[str] = mapped_column(String(12), default="none")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rotation: Mapped[list["ChoreMember"]] = relationship(
        order_by="ChoreMember.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class ChoreMember(Base):
    """The members a chore is assigned to: one for a fixed assignee, several for a rotation."""

    __tablename__ = "chore_members"

    chore_id: Mapped[int] = mapped_column(
        ForeignKey("chores.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class Completion(Base):
    """One entry of the history: an occurrence done or skipped, by whom, when, recorded by whom."""

    __tablename__ = "completions"
    __table_args__ = (
        CheckConstraint("kind IN ('done', 'skipped')", name="kind"),
        Index("ix_completions_household_id_done_at", "household_id", "done_at"),
        Index("ix_completions_chore_id_id", "chore_id", "id"),
        # A chore's last time done, and least-done counts, read from the index alone.
        Index("ix_completions_chore_id_kind_done_at", "chore_id", "kind", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    chore_id: Mapped[int] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"))
    due_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(7))
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    points: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    # What undo restores: the chore's assignee before this entry moved the rotation on.
    assignee_before: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(Base):
    """A member's secret iCal feed URL for one household; only a keyed hash of it is stored."""

    __tablename__ = "calendar_feeds"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Also the chores anyone may do (no assignee), not only the member's own.
    include_unassigned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TapReceipt(Base):
    """A tap (complete, skip, undo) already carried out, by its Idempotency-Key: a phone that
    resends a tap whose answer it never got is answered again instead of recording twice.
    Written in the tap's own transaction, so a tap and its receipt exist together or not."""

    __tablename__ = "tap_receipts"
    # In no cached household read: writing one keeps the household's revision.
    household_reads: ClassVar[bool] = False

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    chore_id: Mapped[int] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(8))
    # The first answer's body (complete and skip); undo answers with the chore as it is now.
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
