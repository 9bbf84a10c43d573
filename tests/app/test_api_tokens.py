"""Personal API tokens: scripts and home automation read the due list and complete chores with
`Authorization: Bearer`, in one household only, within the token's scope and the owner's
membership, and never after the power behind the token ended."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.core.security import API_TOKEN_PREFIX, keyed_hash
from app.models import ApiToken
from tests.app.chore_helpers import make_chore
from tests.support.people import Person, household_with

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def make_token(person: Person, household_id: int, scope: str = "write") -> dict[str, Any]:
    token: dict[str, Any] = person.ok(
        "POST", f"{base(household_id)}/tokens", 201, json={"name": "Home Assistant", "scope": scope}
    )
    return token


def script(app: FastAPI, token: str) -> TestClient:
    """A client as a script is: no cookie, no X-Requested-With, only the bearer token."""
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_a_write_token_reads_the_due_list_and_completes_without_cookie_or_csrf_header(
    app: FastAPI, home: Home, engine: Engine
) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    created = make_token(member, household_id)
    assert created["token"].startswith(API_TOKEN_PREFIX)
    assert (created["name"], created["scope"]) == ("Home Assistant", "write")
    bot = script(app, created["token"])
    due = bot.get(f"{base(household_id)}/due")
    assert (due.status_code, [item["chore"]["id"] for item in due.json()]) == (200, [chore["id"]])
    done = bot.post(f"{base(household_id)}/chores/{chore['id']}/complete")
    assert done.status_code == 201, done.text
    assert done.json()["done_by"]["user_id"] == member.id
    # Listed without its secret, which is stored only as a keyed hash.
    listed = member.ok("GET", f"{base(household_id)}/tokens")
    assert listed == [{k: v for k, v in created.items() if k != "token"}]
    with engine.connect() as connection:
        stored = connection.scalar(select(ApiToken.token_hash))
    assert stored == keyed_hash(app.state.settings.secret, created["token"])


@pytest.mark.parametrize(
    ("scope", "method", "path", "status"),
    [
        ("read", "GET", "/due", 200),
        ("read", "POST", "/chores/{chore}/complete", 403),
        ("write", "DELETE", "", 403),  # no token administers, whatever its owner's role
        ("write", "POST", "/invites", 403),
        ("write", "POST", "/tokens", 403),  # tokens are made by a person logged in
    ],
)
def test_a_token_does_what_its_scope_allows_and_never_administers(
    app: FastAPI, home: Home, scope: str, method: str, path: str, status: int
) -> None:
    household_id, people = home
    chore = make_chore(people["admin"], household_id)
    bot = script(app, make_token(people["admin"], household_id, scope)["token"])
    url = base(household_id) + path.format(chore=chore["id"])
    response = bot.request(method, url, json={"name": "x", "scope": "read"})
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["code"] == "forbidden"


def test_a_token_opens_its_own_household_only(app: FastAPI, home: Home) -> None:
    household_id, people = home
    other_id, _ = household_with(app)
    bot = script(app, make_token(people["member"], household_id)["token"])
    assert bot.get(f"{base(other_id)}/due").status_code == 404
    # Nor the routes of the account: those take the session only.
    assert bot.get("/api/auth/me").status_code == 401


def test_a_viewer_makes_read_tokens_only(home: Home) -> None:
    household_id, people = home
    response = people["viewer"].post(
        f"{base(household_id)}/tokens", json={"name": "Wall display", "scope": "write"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert make_token(people["viewer"], household_id, "read")["scope"] == "read"


def test_revoked_unknown_and_malformed_tokens_are_401(app: FastAPI, home: Home) -> None:
    household_id, people = home
    member = people["member"]
    created = make_token(member, household_id)
    # Another person cannot revoke it; its owner can.
    assert people["admin"].delete(f"{base(household_id)}/tokens/{created['id']}").status_code == 404
    member.ok("DELETE", f"{base(household_id)}/tokens/{created['id']}", 204)
    for header in (f"Bearer {created['token']}", f"Bearer {API_TOKEN_PREFIX}nope", "Bearer "):
        client = TestClient(app, headers={"Authorization": header})
        response = client.get(f"{base(household_id)}/due")
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_a_bearer_token_never_falls_back_to_the_cookie(home: Home) -> None:
    """The CSRF defence passes bearer requests because the cookie is then never used."""
    household_id, people = home
    admin = people["admin"]
    response = admin.client.delete(
        base(household_id), headers={"Authorization": f"Bearer {API_TOKEN_PREFIX}forged"}
    )
    assert response.status_code == 401
    assert admin.get(base(household_id)).status_code == 200


def test_a_basic_authorization_header_changes_nothing(home: Home) -> None:
    """A browser replays a proxy's Basic credentials on its own, cross-site too: such a request
    must still pass the CSRF defence, and then the cookie decides."""
    household_id, people = home
    client = people["member"].client
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    no_csrf = TestClient(client.app, cookies=client.cookies, headers=basic)
    response = no_csrf.post(f"{base(household_id)}/invites", json={})
    assert (response.status_code, response.json()["code"]) == (403, "csrf_rejected")
    assert client.get(f"{base(household_id)}/due", headers=basic).status_code == 200


@pytest.mark.parametrize(("change", "read_works"), [("remove", False), ("viewer", True)])
def test_tokens_end_with_the_power_behind_them_and_do_not_come_back(
    app: FastAPI, home: Home, change: str, read_works: bool
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    write = make_token(member, household_id, "write")["token"]
    read = make_token(member, household_id, "read")["token"]
    if change == "remove":
        admin.ok("DELETE", f"{base(household_id)}/members/{member.id}", 204)
    else:
        admin.ok("PATCH", f"{base(household_id)}/members/{member.id}", json={"role": "viewer"})
        admin.ok("PATCH", f"{base(household_id)}/members/{member.id}", json={"role": "member"})
    assert script(app, write).get(f"{base(household_id)}/due").status_code == 401
    expected = 200 if read_works else 401
    assert script(app, read).get(f"{base(household_id)}/due").status_code == expected
