from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import Instant

Text = Annotated[str, StringConstraints(max_length=4000)]


class _Alertmanager(BaseModel):
    # Alertmanager's webhook carries more than the app reads; the rest is ignored.
    model_config = ConfigDict(extra="ignore")


class AlertIn(_Alertmanager):
    status: Literal["firing", "resolved"]
    labels: dict[str, Text] = Field(default_factory=dict, max_length=100)
    annotations: dict[str, Text] = Field(default_factory=dict, max_length=100)
    startsAt: Instant  # noqa: N815 (Alertmanager's field names)
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AlertmanagerWebhookIn(_Alertmanager):
    """Alertmanager's webhook payload (version 4)."""

    alerts: list[AlertIn] = Field(max_length=1000)


class AlertsToldOut(BaseModel):
    told: int  # alerts sent to the owner now
    known: int  # alerts already told (another replica, or a retry)
