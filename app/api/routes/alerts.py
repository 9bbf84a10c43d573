from typing import Annotated

from fastapi import APIRouter, Header

from app.api.deps import DbDep, SettingsDep, bearer
from app.core.errors import ERROR_RESPONSES
from app.schemas.alerts import AlertmanagerWebhookIn, AlertsToldOut
from app.services import alerts

router = APIRouter(prefix="/api/alerts", tags=["alerts"], responses=ERROR_RESPONSES)


@router.post("", response_model=AlertsToldOut)
def receive_alerts(
    data: AlertmanagerWebhookIn,
    db: DbDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> alerts.Told:
    """Alertmanager's webhook (bearer ALERT_WEBHOOK_TOKEN): each alert's firing and its
    resolution reach the owner's Apprise URLs once, however often they are posted."""
    alerts.check_token(settings, bearer(authorization))
    return alerts.tell_owner(db, settings, data.alerts)
