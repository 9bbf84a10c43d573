from datetime import date, time
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from app.domain.recurrence import Anchor, Kind, Rule, RuleError, Unit
from app.domain.rotation import Assignment
from app.schemas.common import MAX_ID, ClockTime, Id, Input, Instant, Model, Name, QueryInput

Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Notes = Annotated[str, StringConstraints(max_length=2000)]
Minutes = Annotated[int, Field(ge=1, le=1440)]
Points = Annotated[int, Field(ge=0, le=1000)]


class RecurrenceIn(Input):
    kind: Kind
    every: int = Field(default=1, ge=1, le=366)
    unit: Unit = "day"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=list, max_length=7)
    month_day: int | None = Field(default=None, ge=1, le=31)
    anchor: Anchor = "schedule"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        try:
            self.rule().validate()
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        return self

    def rule(self) -> Rule:
        return Rule(
            kind=self.kind,
            every=self.every,
            unit=self.unit,
            weekdays=tuple(sorted(set(self.weekdays))),
            month_day=self.month_day,
            anchor=self.anchor,
        )


class AssignmentIn(Input):
    mode: Assignment = "none"
    members: list[Id] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.members)) != len(self.members):
            raise ValueError("members must not repeat")
        if self.mode == "none" and self.members:
            raise ValueError("an unassigned chore lists no members")
        if self.mode == "fixed" and len(self.members) != 1:
            raise ValueError("a fixed assignment names exactly one member")
        if self.mode in ("round_robin", "least_done") and not self.members:
            raise ValueError("a rotation needs at least one member")
        return self


class ChoreCreateIn(Input):
    name: Name
    category: Category = ""
    notes: Notes = ""
    estimated_minutes: Minutes | None = None
    points: Points = 1
    recurrence: RecurrenceIn
    assignment: AssignmentIn = Field(default_factory=AssignmentIn)
    start_date: date | None = None
    due_time: ClockTime | None = None


class ImportedChoreIn(ChoreCreateIn):
    """A row of an imported export: a new chore, with where it stood."""

    next_due: date | None = None
    archived: bool = False


class ChoreUpdateIn(Input):
    name: Name | None = None
    category: Category | None = None
    notes: Notes | None = None
    estimated_minutes: Minutes | None = None
    points: Points | None = None
    archived: bool | None = None
    recurrence: RecurrenceIn | None = None
    assignment: AssignmentIn | None = None
    start_date: date | None = None
    next_due: date | None = None
    due_time: ClockTime | None = None  # null clears it


class RecurrenceOut(Model):
    kind: Kind
    every: int
    unit: Unit
    weekdays: list[int]
    month_day: int | None
    anchor: Anchor


class AssignmentOut(Model):
    mode: Assignment
    members: list[int]


class PersonRef(Model):
    user_id: int
    display_name: str


class ChoreOut(Model):
    id: int
    name: str
    category: str
    notes: str
    estimated_minutes: int | None
    points: int
    archived: bool
    recurrence: RecurrenceOut
    assignment: AssignmentOut
    assignee: PersonRef | None
    start_date: date
    next_due: date | None
    due_time: time | None
    last_done_at: Instant | None
    created_at: Instant


class DueItem(Model):
    chore: ChoreOut
    due_date: date
    days_overdue: int


DueWindow = Literal["overdue", "today", "tomorrow", "week", "month"]


class CalendarItem(Model):
    chore_id: int
    name: str
    category: str
    date: date
    due_time: time | None
    assignee: PersonRef | None


class ChoreListQuery(QueryInput):
    category: Annotated[str, StringConstraints(max_length=50)] | None = None
    assignee: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    archived: bool | None = False


class DueQuery(QueryInput):
    window: DueWindow = "today"
    assignee: Annotated[str, StringConstraints(pattern=r"^(me|[1-9][0-9]{0,9})$")] | None = None
