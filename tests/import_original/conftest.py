"""A real PostgreSQL 16 for the original's database and for this app's, migrated by Alembic."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.import_original import original
from tests.support import databases


def make_settings(database_url: str) -> Settings:
    return Settings.model_validate(
        {
            "database_url": database_url,
            "environment": "test",
            # Cheap argon2id parameters: the algorithm is the real one, only the cost is lower.
            "argon2_time_cost": 1,
            "argon2_memory_kib": 1024,
            "frontend_dist": Path("/nonexistent"),
        }
    )


@pytest.fixture(scope="module")
def original_url(postgres_admin_url: str) -> Iterator[str]:
    """The original's production-shaped database (read only by the tests)."""
    url = databases.create_postgres_database(postgres_admin_url)
    original.build(url)
    yield url
    databases.drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
def make_database(postgres_admin_url: str) -> Iterator[Callable[[bool], str]]:
    """New empty databases: migrated to head (this app's) or not (another original)."""
    made: list[str] = []

    def make(migrated: bool = True) -> str:
        url = databases.create_postgres_database(postgres_admin_url)
        made.append(url)
        if migrated:
            databases.migrate(url)
        return url

    yield make
    for url in made:
        databases.drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
def target_url(make_database: Callable[[bool], str]) -> str:
    """This app's database, empty and at head."""
    return make_database(True)
