"""Field types shared by request and response models."""

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

Language = Literal["ja", "en"]
# Ids are PostgreSQL integers: anything larger cannot name a row, and must not reach the driver.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# Just enough syntax to catch typos; ownership is proven by the password, not by mail.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address such as name@example.com")
    return value.lower()


def _time_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError("must be an IANA time zone name such as Asia/Tokyo")
    return value


_ZONES = available_timezones()

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]
# Instants are stored in UTC and leave the API as ISO 8601 in UTC ("Z"), serialized by
# pydantic-core itself: no Python call per value on the list endpoints.
Instant = AwareDatetime


def _whole_minute(value: time) -> time:
    if value.second or value.microsecond or value.tzinfo is not None:
        raise ValueError("must be a time of day in whole minutes, such as 08:00, without a zone")
    return value


# A time of day in the household's zone.
ClockTime = Annotated[time, AfterValidator(_whole_minute)]


# Dates a household can mean. Far beyond them, date arithmetic (a due date's next occurrence,
# a local day's bounds in UTC) leaves the range Python and the databases can represent.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def sane(value: Any) -> Any:
    """The rule every input value passes, whatever its field: no NUL (PostgreSQL's text refuses
    it) and dates within [MIN_DATE, MAX_DATE]."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain the NUL character")
    # A datetime is a date too: its own calendar day is checked (no conversion to overflow).
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Input(Model):
    """Base of every request body and query: its fields all pass `sane`, checked here once."""

    @field_validator("*", mode="after")
    @classmethod
    def _sane(cls, value: Any) -> Any:
        return sane(value)


class QueryInput(Input):
    """The query parameters of one route. Unknown ones are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")


class DateRangeQuery(QueryInput):
    """`from` and `to`, household-local days (routes default them)."""

    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
