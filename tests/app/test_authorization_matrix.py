"""Walks every route of the OpenAPI schema, so a new route without an authorization check fails."""

import re

import pytest
from fastapi import FastAPI

from tests.support.people import Person, sign_up

HOUSEHOLD_PREFIX = "/api/households/{household_id}"
# Routes outside any household: each is deliberately open to any logged-in user (or to anyone).
UNSCOPED = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/me"),
    ("PATCH", "/api/auth/me"),
    ("POST", "/api/auth/password"),
    # An admin's reset link: its secret token is the credential.
    ("POST", "/api/auth/password-reset"),
    ("POST", "/api/auth/password-reset-request"),
    ("GET", "/api/auth/options"),
    ("GET", "/api/households"),
    ("POST", "/api/households"),
    ("GET", "/api/invites/{code}"),
    ("POST", "/api/invites/{code}/accept"),
    # The iCal feed: its secret token is the credential (calendar apps send no cookie).
    ("GET", "/api/calendar/{token}.ics"),
    # Alertmanager's webhook: its bearer token is the credential (tests/app/test_alerts.py).
    ("POST", "/api/alerts"),
}
SAFE = {"GET", "HEAD", "OPTIONS"}
# Writes a viewer may make, with what an empty body or a stranger's id gets: their own
# read-only API tokens (tests/app/test_api_tokens.py) and their own reminders
# (tests/app/test_reminders.py; an empty body saves the defaults, a test goes nowhere).
VIEWER_WRITES = {
    ("POST", "/api/households/{household_id}/tokens"): 422,
    ("DELETE", "/api/households/{household_id}/tokens/{token_id}"): 404,
    ("PUT", "/api/households/{household_id}/reminders"): 200,
    ("POST", "/api/households/{household_id}/reminders/test"): 200,
    ("POST", "/api/households/{household_id}/reminders/push"): 422,
    ("DELETE", "/api/households/{household_id}/reminders/push/{subscription_id}"): 404,
}
# Placeholder ids that belong to nobody the caller may touch.
PLACEHOLDER_ID = "999999"


def operations(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    )


def household_operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p in operations(app) if p.startswith(HOUSEHOLD_PREFIX)]


def concrete(path: str, household_id: int) -> str:
    path = path.replace("{household_id}", str(household_id))
    return re.sub(r"\{[^}]+\}", PLACEHOLDER_ID, path)


def test_every_route_is_household_scoped_or_deliberately_open(app: FastAPI) -> None:
    unscoped = {op for op in operations(app) if not op[1].startswith(HOUSEHOLD_PREFIX)}
    assert unscoped <= UNSCOPED
    assert len(household_operations(app)) >= 25


def test_outsiders_get_404_on_every_household_route(
    app: FastAPI, home: tuple[int, dict[str, Person]]
) -> None:
    household_id, _ = home
    outsider = sign_up(app, "Outsider")
    for method, path in household_operations(app):
        response = outsider.client.request(method, concrete(path, household_id), json={})
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == "Household not found", (method, path)


def test_viewers_get_403_on_every_household_write(
    app: FastAPI, home: tuple[int, dict[str, Person]]
) -> None:
    household_id, people = home
    writes = [(m, p) for m, p in household_operations(app) if m not in SAFE]
    assert set(writes) > set(VIEWER_WRITES)
    for method, path in writes:
        response = people["viewer"].client.request(method, concrete(path, household_id), json={})
        expected = VIEWER_WRITES.get((method, path), 403)
        assert response.status_code == expected, (method, path, response.text)


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
def test_members_of_any_role_can_read_every_household_route(
    app: FastAPI, home: tuple[int, dict[str, Person]], role: str
) -> None:
    household_id, people = home
    admin_only = {f"{HOUSEHOLD_PREFIX}/invites", f"{HOUSEHOLD_PREFIX}/channel"}
    for method, path in household_operations(app):
        if method != "GET" or "{" in path.removeprefix(HOUSEHOLD_PREFIX):
            continue
        response = people[role].get(concrete(path, household_id))
        expected = 403 if path in admin_only and role != "admin" else 200
        assert response.status_code == expected, (role, path, response.text)
