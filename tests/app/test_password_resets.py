"""Password reset without mail: an admin makes a single-use link for a member. It sets a new
password, ends every other session, and never reaches into a household the admin does not run."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, update

from app.core.db import utcnow
from app.models import PasswordReset
from app.services.password_resets import PAGE
from tests.support.people import PASSWORD, Person, household_with, new_client

Home = tuple[int, dict[str, Person]]
NEW_PASSWORD = "a new password for grandma"


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def make_link(admin: Person, household_id: int, user_id: int) -> str:
    link = admin.ok("POST", f"{base(household_id)}/members/{user_id}/password-reset", 201)
    assert link["url"].startswith(PAGE)
    token: str = link["url"].removeprefix(PAGE)
    return token


def redeem(app: FastAPI, token: str, password: str = NEW_PASSWORD) -> tuple[int, dict]:
    client = new_client(app)
    response = client.post(
        "/api/auth/password-reset", json={"token": token, "new_password": password}
    )
    body = response.json() if response.content else {}
    return response.status_code, {"body": body, "client": client}


def login(app: FastAPI, email: str, password: str) -> int:
    response = new_client(app).post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code


def test_a_link_sets_the_password_logs_in_ends_other_sessions_and_works_once(
    app: FastAPI, home: Home
) -> None:
    household_id, people = home
    member = people["member"]
    token = make_link(people["admin"], household_id, member.id)
    status, result = redeem(app, token)
    assert status == 204
    assert result["client"].get("/api/auth/me").json()["id"] == member.id  # logged in
    assert member.get("/api/auth/me").status_code == 401  # the old phone's session ended
    assert login(app, member.email, PASSWORD) == 401
    assert login(app, member.email, NEW_PASSWORD) == 200
    status, result = redeem(app, token, "yet another password")
    assert (status, result["body"]["code"]) == (401, "invalid_credentials")


def test_a_newer_link_replaces_the_older_and_an_expired_one_is_refused(
    app: FastAPI, home: Home, engine: Engine
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    older = make_link(admin, household_id, member.id)
    newer = make_link(admin, household_id, member.id)
    assert redeem(app, older)[0] == 401
    with engine.begin() as connection:
        connection.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert redeem(app, newer)[0] == 401
    assert login(app, member.email, PASSWORD) == 200


def test_only_an_admin_of_every_household_of_the_person_makes_a_link(
    app: FastAPI, home: Home
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    url = f"{base(household_id)}/members/{member.id}/password-reset"
    assert member.post(url).status_code == 403  # not an admin
    other_id, others = household_with(app)
    code = others["admin"].ok("POST", f"{base(other_id)}/invites", 201, json={})["code"]
    member.ok("POST", f"/api/invites/{code}/accept")
    response = admin.post(url)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    # Nor for someone outside the household.
    assert (
        admin.post(f"{base(household_id)}/members/{others['admin'].id}/password-reset").status_code
        == 404
    )


@pytest.mark.parametrize("change", ["demote the admin", "remove the admin", "remove the member"])
def test_a_link_dies_with_the_power_or_membership_behind_it(app: FastAPI, change: str) -> None:
    household_id, people = household_with(app, second="admin", member="member")
    first, second, member = people["admin"], people["second"], people["member"]
    token = make_link(second, household_id, member.id)
    target = {
        "demote the admin": ("PATCH", second.id, {"json": {"role": "member"}}, 200),
        "remove the admin": ("DELETE", second.id, {}, 204),
        "remove the member": ("DELETE", member.id, {}, 204),
    }[change]
    method, user_id, kwargs, status = target
    first.ok(method, f"{base(household_id)}/members/{user_id}", status, **kwargs)
    assert redeem(app, token)[0] == 401


@pytest.mark.parametrize(
    "body",
    [
        {"token": "short", "new_password": NEW_PASSWORD},
        {"token": "x" * 43, "new_password": "short"},
    ],
)
def test_bad_reset_input_is_422(app: FastAPI, body: dict) -> None:
    response = new_client(app).post("/api/auth/password-reset", json=body)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
