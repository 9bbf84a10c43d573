"""The reliability suite runs the app as it runs in a pod: uvicorn over HTTP on PostgreSQL."""

from collections.abc import Iterator

import httpx
import pytest

from tests.support.databases import create_postgres_database, drop_postgres_database, migrate
from tests.support.people import CSRF_HEADERS, PASSWORD


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    url = create_postgres_database(postgres_admin_url)
    migrate(url)
    yield url
    drop_postgres_database(postgres_admin_url, url)


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers=CSRF_HEADERS, timeout=30)


def register(base: str, email: str, name: str) -> httpx.Client:
    person = client(base)
    response = person.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert response.status_code == 201, response.text
    return person


def login(base: str, email: str) -> httpx.Client:
    person = client(base)
    response = person.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return person
