"""Monitoring's alerts, told to the homelab owner through the app's notifier (the same Apprise
path as the household's reminders). Alertmanager posts its webhook here.

Each alert's occurrence and state (firing, then resolved) is told once: its key is claimed in
`alert_deliveries` first, committed, and only the request whose insert claimed it sends. Two
Alertmanager replicas, or a retry after a lost answer, find it claimed. When no channel takes
the message, the claim is released and the answer is 502, so Alertmanager retries it.
"""

import hmac
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.domain.errors import ErrorCode, NotFoundError, UnauthenticatedError, UpstreamError
from app.models import AlertDelivery
from app.schemas.alerts import AlertIn
from app.services import notifier


@dataclass(frozen=True, slots=True)
class Told:
    told: int
    known: int


def check_token(settings: Settings, token: str | None) -> None:
    """Only Alertmanager, with the shared token; without one configured the route is absent."""
    expected = settings.alert_webhook_token
    if expected is None or settings.alert_apprise_urls is None:
        raise NotFoundError("Route")
    if token is None or not _same(token, expected.get_secret_value()):
        raise UnauthenticatedError()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def message(alert: AlertIn) -> tuple[str, str]:
    """Alertmanager's usual subject, and the annotations people write for it."""
    name = alert.labels.get("alertname", "alert")
    severity = alert.labels.get("severity")
    title = f"[{alert.status.upper()}] {name}" + (f" ({severity})" if severity else "")
    lines = [alert.annotations.get("summary", ""), alert.annotations.get("description", "")]
    return title, "\n".join(line for line in lines if line) or name


def tell_owner(db: Session, settings: Settings, alerts: list[AlertIn]) -> Told:
    assert settings.alert_apprise_urls is not None  # check_token made sure
    urls = settings.alert_apprise_urls.get_secret_value().split()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    told = known = 0
    failures: list[str] = []
    for alert in alerts:
        key = f"{alert.fingerprint}:{alert.startsAt.isoformat()}:{alert.status}"
        claimed = db.scalar(
            insert(AlertDelivery)
            .values(key=key, alert_name=alert.labels.get("alertname", "")[:200])
            .on_conflict_do_nothing()
            .returning(AlertDelivery.key)
        )
        db.commit()
        if claimed is None:
            known += 1
            continue
        title, body = message(alert)
        outcomes = [notifier.send_apprise(url, title, body) for url in urls]
        if any(outcome.ok for outcome in outcomes):
            told += 1
            continue
        db.execute(delete(AlertDelivery).where(AlertDelivery.key == key))
        db.commit()
        failures.extend(outcome.error or "refused" for outcome in outcomes)
    if failures:
        raise UpstreamError(
            ErrorCode.NOTIFY_FAILED, f"No channel took the alert: {'; '.join(failures)[:500]}"
        )
    return Told(told, known)
