from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, utcnow


class OriginalImportRow(Base):
    """A row of the original app's database that has been imported, and what it became here.

    How a second import recognises what it already brought in, whatever happened to it since:
    no foreign key, so a chore or completion deleted here is not imported again. ``source`` keeps
    the row as it was (minus the password hash), including what has no column here (a
    project's description, a username's original spelling, every updated_at).
    """

    __tablename__ = "original_import_rows"

    source_table: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The id here (users, households, chores, completions); None for project_members, whose
    # membership is the pair of the mapped project and user.
    target_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
