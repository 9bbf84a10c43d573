from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.api.deps import SESSION_COOKIE
from app.main import create_app
from app.models import LoginFailure
from tests.app.conftest import make_settings
from tests.support.databases import row_counts
from tests.support.people import CSRF_HEADERS, PASSWORD, Person, new_client, sign_up


def test_register_logs_in_with_an_httponly_lax_cookie(app: FastAPI) -> None:
    client = new_client(app)
    response = client.post(
        "/api/auth/register",
        json={"email": " Hanako@Example.JP ", "password": PASSWORD, "display_name": "Hanako"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "hanako@example.jp"
    assert body["display_name"] == "Hanako"
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/api/auth/me").json()["id"] == body["id"]


def test_production_cookie_is_secure(app: FastAPI, database_url: str) -> None:
    settings = make_settings(database_url, environment="production", secret_key="x" * 40)
    application = create_app(settings)
    response = new_client(application).post(
        "/api/auth/register",
        json={"email": "secure@example.jp", "password": PASSWORD, "display_name": "S"},
    )
    application.state.engine.dispose()
    assert response.status_code == 201
    assert "Secure" in response.headers["set-cookie"]


def test_register_twice_with_one_email_is_a_conflict(app: FastAPI, alice: Person) -> None:
    response = new_client(app).post(
        "/api/auth/register",
        json={"email": alice.email.upper(), "password": PASSWORD, "display_name": "Other"},
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "An account with this email already exists",
        "code": "email_taken",
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "x@example.jp", "password": "short", "display_name": "X"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "X"}, "email"),
        ({"email": "x@example.jp", "password": PASSWORD, "display_name": ""}, "display_name"),
        (
            {"email": "x@example.jp", "password": PASSWORD, "display_name": "X" * 101},
            "display_name",
        ),
        ({"email": "x@example.jp", "password": "p" * 257, "display_name": "X"}, "password"),
        ({"email": "x@example.jp", "password": PASSWORD}, "display_name"),
        ({"email": 42, "password": PASSWORD, "display_name": "X"}, "email"),
        (
            {"email": "x@example.jp", "password": PASSWORD, "display_name": "X", "language": "fr"},
            "language",
        ),
        (
            {"email": "x@example.jp", "password": PASSWORD, "display_name": "X", "admin": True},
            "admin",
        ),
    ],
)
def test_bad_registrations_get_422_naming_the_field_and_write_nothing(
    app: FastAPI, engine: Engine, payload: dict[str, object], field: str
) -> None:
    before = row_counts(engine)
    response = new_client(app).post("/api/auth/register", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"].startswith("Invalid input: ")
    assert field in body["detail"]
    assert any(error["loc"][-1] == field and error["msg"] for error in body["errors"]), body
    assert row_counts(engine) == before


def test_login_with_a_wrong_password_is_401(app: FastAPI, alice: Person) -> None:
    response = new_client(app).post(
        "/api/auth/login", json={"email": alice.email, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert SESSION_COOKIE not in response.cookies


def test_login_issues_a_fresh_session_and_kills_a_planted_one(app: FastAPI, alice: Person) -> None:
    planted = alice.client.cookies[SESSION_COOKIE]
    victim = new_client(app)
    response = victim.post(
        "/api/auth/login",
        json={"email": alice.email, "password": PASSWORD},
        headers={"Cookie": f"{SESSION_COOKIE}={planted}"},
    )
    assert response.status_code == 200
    fresh = victim.cookies[SESSION_COOKIE]
    assert fresh != planted
    assert victim.get("/api/auth/me").status_code == 200
    # The attacker's copy of the pre-login token opens nothing.
    assert alice.get("/api/auth/me").status_code == 401


def test_logout_revokes_the_session_server_side(app: FastAPI, alice: Person) -> None:
    token = alice.client.cookies[SESSION_COOKIE]
    assert alice.post("/api/auth/logout").status_code == 204
    response = new_client(app).get("/api/auth/me", headers={"Cookie": f"{SESSION_COOKIE}={token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_password_change_revokes_every_session_but_renews_the_callers(
    app: FastAPI, alice: Person
) -> None:
    laptop = new_client(app)
    laptop.post("/api/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert laptop.get("/api/auth/me").status_code == 200

    wrong = alice.post(
        "/api/auth/password",
        json={"current_password": "not it at all", "new_password": "a brand new secret"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "wrong_password"

    changed = alice.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert changed.status_code == 204
    assert alice.get("/api/auth/me").status_code == 200
    assert laptop.get("/api/auth/me").status_code == 401
    old = new_client(app).post("/api/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert old.status_code == 401
    new = new_client(app).post(
        "/api/auth/login", json={"email": alice.email, "password": "a brand new secret"}
    )
    assert new.status_code == 200


def test_profile_update_sets_name_and_language(alice: Person) -> None:
    me = alice.ok("PATCH", "/api/auth/me", json={"display_name": "Alice B", "language": "en"})
    assert (me["display_name"], me["language"]) == ("Alice B", "en")
    me = alice.ok("PATCH", "/api/auth/me", json={"language": None})
    assert (me["display_name"], me["language"]) == ("Alice B", None)


def login_from(app: FastAPI, address: str, email: str, password: str) -> Response:
    with TestClient(app, headers=CSRF_HEADERS, client=(address, 50000)) as client:
        return client.post("/api/auth/login", json={"email": email, "password": password})


def test_many_places_share_the_account_limit_even_for_the_right_password(
    app: FastAPI, alice: Person
) -> None:
    statuses = [
        login_from(app, f"198.51.100.{i}", alice.email, "guess guess guess").status_code
        for i in range(5)
    ]
    assert statuses == [401] * 5
    blocked = login_from(app, "198.51.100.99", alice.email, PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 900


def test_a_stranger_who_knows_the_email_cannot_lock_the_owner_out(
    app: FastAPI, alice: Person
) -> None:
    home = "192.0.2.10"
    assert login_from(app, home, alice.email, PASSWORD).status_code == 200
    strangers = [
        login_from(app, f"198.51.100.{i}", alice.email, "guess guess guess").status_code
        for i in range(8)
    ]
    assert strangers == [401] * 5 + [429] * 3
    back_home = login_from(app, home, alice.email, PASSWORD)
    assert back_home.status_code == 200, back_home.text
    # The owner's login does not reset the strangers' count.
    assert login_from(app, "198.51.100.50", alice.email, PASSWORD).status_code == 429


def test_guessing_from_one_place_backs_off_exponentially(
    app: FastAPI, alice: Person, engine: Engine
) -> None:
    home = "192.0.2.10"
    assert login_from(app, home, alice.email, PASSWORD).status_code == 200
    waits = []
    for _ in range(3):
        statuses = [login_from(app, home, alice.email, "guess guess").status_code]
        while statuses[-1] == 401:
            statuses.append(login_from(app, home, alice.email, "guess guess").status_code)
        blocked = login_from(app, home, alice.email, PASSWORD)  # the right one waits too
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
        with Session(engine) as db:  # as if the wait had passed
            for failure in db.scalars(select(LoginFailure)):
                failure.at -= timedelta(seconds=waits[-1])
            db.commit()
    assert waits == [1, 2, 4]
    assert login_from(app, home, alice.email, PASSWORD).status_code == 200


def test_address_throttle_holds_across_many_accounts(app: FastAPI) -> None:
    client = new_client(app)
    statuses = [
        client.post(
            "/api/auth/login", json={"email": f"nobody{i}@example.jp", "password": "guess guess"}
        ).status_code
        for i in range(21)
    ]
    assert statuses == [401] * 20 + [429]


def test_unauthenticated_requests_are_401(app: FastAPI) -> None:
    client = new_client(app)
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/households").status_code == 401
    assert client.post("/api/households", json={"name": "x"}).status_code == 401


def test_unsafe_requests_without_the_csrf_header_are_refused(
    app: FastAPI, engine: Engine, alice: Person
) -> None:
    before = row_counts(engine)
    response = alice.client.post(
        "/api/households", json={"name": "Forged"}, headers={"X-Requested-With": ""}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_rejected"
    assert row_counts(engine) == before


def test_cross_site_origin_is_refused_and_same_origin_allowed(alice: Person) -> None:
    forged = alice.post(
        "/api/households", json={"name": "Forged"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert forged.json()["detail"] == "Cross-site request refused"
    same = alice.post(
        "/api/households", json={"name": "Mine"}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 201


def test_configured_cors_origin_may_write(app: FastAPI, database_url: str) -> None:
    settings = make_settings(database_url, cors_origins="https://household-task-mgr.duckdns.org")
    application = create_app(settings)
    person = sign_up(application, "Cors")
    response = person.post(
        "/api/households",
        json={"name": "Home"},
        headers={"Origin": "https://household-task-mgr.duckdns.org"},
    )
    preflight = person.client.options(
        "/api/households",
        headers={
            "Origin": "https://household-task-mgr.duckdns.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-requested-with",
        },
    )
    application.state.engine.dispose()
    assert response.status_code == 201
    assert preflight.status_code == 200
    assert (
        preflight.headers["access-control-allow-origin"] == "https://household-task-mgr.duckdns.org"
    )
