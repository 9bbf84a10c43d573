"""Alembic environment: the URL comes from the settings; PostgreSQL runs take an advisory lock."""

from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text

from app.core.config import get_settings
from app.core.db import MIGRATION_LOCK_ID, Base, UTCDateTime, make_engine
from app.models import *  # noqa: F403  (registers every table on Base.metadata)

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(kind: str, obj: object, _context: AutogenContext) -> str | Literal[False]:
    # Migrations stay plain SQLAlchemy: the UTC handling lives in the model layer only.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            render_item=render_item,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Two pods starting at once: the second waits here, then finds the schema at head.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database")
run_migrations()
