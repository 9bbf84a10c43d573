from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from app.core.config import Settings
from app.main import create_app
from tests.support import databases
from tests.support.people import Person, household_with, served, sign_up


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        # Cheap argon2id parameters: the algorithm is the real one, only the cost is lower.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "frontend_dist": Path("/nonexistent"),
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Every API test runs once on PostgreSQL 16 and once on SQLite, migrated by Alembic."""
    if request.param == "postgresql":
        admin_url = request.getfixturevalue("postgres_admin_url")
        url = databases.create_postgres_database(admin_url)
        databases.migrate(url)
        yield url
        databases.drop_postgres_database(admin_url, url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        databases.migrate(url)
        yield url


@pytest.fixture(scope="session")
def session_app(database_url: str) -> Iterator[FastAPI]:
    application = create_app(make_settings(database_url))
    with served(application):
        yield application
    application.state.engine.dispose()


@pytest.fixture
def app(session_app: FastAPI) -> Iterator[FastAPI]:
    yield session_app
    databases.reset(session_app.state.engine)


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


@pytest.fixture
def alice(app: FastAPI) -> Person:
    return sign_up(app, "Alice")


@pytest.fixture
def home(app: FastAPI) -> tuple[int, dict[str, Person]]:
    """A household with an admin, a member and a viewer."""
    return household_with(app, member="member", viewer="viewer")
