"""Field types shared by request and response models."""

import re
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
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


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)
