"""People using the API through their own cookie jar, as phones would."""

import itertools
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from anyio.from_thread import BlockingPortal
from fastapi import FastAPI
from fastapi.testclient import TestClient

CSRF_HEADERS = {"X-Requested-With": "XMLHttpRequest"}
PASSWORD = "correct horse battery"
_serial = itertools.count(1)


# The event loop of an app served for the whole test session (tests.app.conftest), as uvicorn
# serves it: its lifespan ran, so its requests take the production path (app.core.reads).
# Without one, TestClient runs each request on a loop of its own, outside any lifespan.
SERVED: "weakref.WeakKeyDictionary[FastAPI, BlockingPortal]" = weakref.WeakKeyDictionary()


def new_client(app: FastAPI) -> TestClient:
    client = TestClient(app, headers=CSRF_HEADERS)
    client.portal = SERVED.get(app)
    return client


@contextmanager
def served(app: FastAPI) -> Iterator[None]:
    """Runs the app's lifespan on one loop, on which every `new_client` then sends."""
    with TestClient(app) as server:
        SERVED[app] = server.portal
        try:
            yield
        finally:
            del SERVED[app]


@dataclass
class Person:
    client: TestClient
    user: dict[str, Any]
    email: str

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.client.patch(url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, **kwargs)

    def ok(self, method: str, url: str, expected: int = 200, **kwargs: Any) -> Any:
        """Sends a request that must succeed with `expected`; returns the decoded JSON, if any."""
        response = self.client.request(method, url, **kwargs)
        assert response.status_code == expected, (method, url, response.status_code, response.text)
        return response.json() if response.content else None


def sign_up(app: FastAPI, name: str | None = None, language: str | None = None) -> Person:
    serial = next(_serial)
    name = name or f"Person {serial}"
    email = f"person{serial}@example.jp"
    client = new_client(app)
    response = client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": name, "language": language},
    )
    assert response.status_code == 201, response.text
    return Person(client=client, user=response.json(), email=email)


def household_with(app: FastAPI, **roles: str) -> tuple[int, dict[str, Person]]:
    """A household whose admin is `admin`, plus one person per keyword (name=role) invited in."""
    admin = sign_up(app, "admin")
    household = admin.ok("POST", "/api/households", 201, json={"name": "Home"})
    people = {"admin": admin}
    for name, role in roles.items():
        person = sign_up(app, name)
        invite = admin.ok(
            "POST", f"/api/households/{household['id']}/invites", 201, json={"role": role}
        )
        person.ok("POST", f"/api/invites/{invite['code']}/accept")
        people[name] = person
    return int(household["id"]), people
