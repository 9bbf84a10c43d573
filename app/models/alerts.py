from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow


class AlertDelivery(Base):
    """One occurrence of a monitoring alert's state (firing, or resolved) told to the owner.
    Its unique key is what makes Alertmanager's replicas and retries tell it once."""

    __tablename__ = "alert_deliveries"

    # "<fingerprint>:<startsAt>:<status>"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    alert_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
