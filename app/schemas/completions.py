from datetime import date

from pydantic import AwareDatetime, Field

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


class FeedOut(Model):
    url: str
    created_at: Instant


class ImportRowError(Model):
    row: int
    errors: list[str]


class ImportResult(Model):
    created: int
    format: str


class HistoryQuery(DateRangeQuery):
    done_by: Id | None = Field(default=None, alias="member")
    limit: int = Field(default=1000, ge=1, le=5000)
