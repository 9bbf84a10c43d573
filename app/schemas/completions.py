from datetime import date, datetime
from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from app.schemas.chores import PersonRef
from app.schemas.common import DateRangeQuery, Id, Input, Instant, Model


class CompleteIn(Input):
    done_by: Id | None = None
    done_at: AwareDatetime | None = None


class CompletionUpdateIn(Input):
    done_by: Id | None = None
    done_at: AwareDatetime | None = None


class CompletionOut(Model):
    id: int
    chore_id: int
    chore_name: str
    category: str
    due_date: date
    kind: str
    done_by: PersonRef | None
    done_at: Instant
    recorded_by: PersonRef | None
    points: int
    minutes: int


class MemberStats(Model):
    user_id: int
    display_name: str
    completions: int
    skips: int
    minutes: int
    points: int


class CategoryStats(Model):
    category: str
    completions: int
    minutes: int
    points: int


class StatsOut(Model):
    from_date: date
    to_date: date
    members: list[MemberStats]
    categories: list[CategoryStats]


class FeedCreateIn(Input):
    include_unassigned: bool = False


class FeedOut(Model):
    url: str
    created_at: Instant
    include_unassigned: bool


class ImportRowError(Model):
    row: int
    errors: list[str]


class ImportResult(Model):
    created: int
    format: str
    # What an undo of this import deletes: only these, not a chore added meanwhile.
    chore_ids: list[int]


class HistoryQuery(DateRangeQuery):
    """A page of the history, newest first. The next page starts after the last entry of this
    one: its `done_at` and `id` as `before_at` and `before_id`. A page shorter than `limit` is
    the last."""

    done_by: Id | None = Field(default=None, alias="member")
    limit: int = Field(default=200, ge=1, le=1000)
    before_at: AwareDatetime | None = None
    before_id: Id | None = None

    @model_validator(mode="after")
    def _whole_cursor(self) -> Self:
        if (self.before_at is None) != (self.before_id is None):
            raise ValueError("before_at and before_id come together (the last entry of a page)")
        return self

    def cursor(self) -> "tuple[datetime, int] | None":
        if self.before_at is None or self.before_id is None:
            return None
        return self.before_at, self.before_id
