from collections.abc import Iterator

import pytest

from tests.support.databases import postgres_server


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A real PostgreSQL 16 for the whole session (pgserver, or TEST_DATABASE_URL)."""
    with postgres_server() as url:
        yield url
