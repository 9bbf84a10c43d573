"""Password reset by mail, when the server can send mail: a person asks with their address and a
single-use link reaches it through the app's notifier (a real SMTP server here, aiosmtpd). The
answer never tells whether the address has an account, and a link's host is never taken from
the request when a public URL is set."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.core.config import Settings
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support import databases
from tests.support.people import CSRF_HEADERS, PASSWORD, sign_up
from tests.support.receivers import Inbox, smtp_inbox

NEW_PASSWORD = "remembered at last, for sure"


@pytest.fixture
def mailing(database_url: str) -> Iterator[tuple[FastAPI, Inbox]]:
    with smtp_inbox() as (inbox, port):
        application = create_app(
            make_settings(
                database_url,
                mail_url=f"mailto://127.0.0.1:{port}?from=home@example.jp",
                public_url="https://home.example.jp",
            )
        )
        yield application, inbox
        databases.reset(application.state.engine)
        application.state.engine.dispose()


def ask(application: FastAPI, email: str, host: str = "testserver") -> int:
    client = TestClient(application, headers={**CSRF_HEADERS, "Host": host})
    response = client.post("/api/auth/password-reset-request", json={"email": email})
    return response.status_code


def link_in(inbox: Inbox, index: int = -1) -> str:
    body = inbox.messages[index][1].get_body(("plain", "html"))
    assert body is not None
    found = re.search(r"https://\S+", body.get_content())
    assert found is not None
    return found.group(0)


def test_a_mailed_link_resets_the_password_once(mailing: tuple[FastAPI, Inbox]) -> None:
    application, inbox = mailing
    person = sign_up(application, "Grandma", language="ja")
    # An evil Host header does not make the link: the public URL does.
    assert ask(application, person.email, host="evil.example.com") == 202
    [(envelope, message)] = inbox.messages
    assert envelope.rcpt_tos == [person.email]
    assert message["Subject"] == "パスワードの再設定"
    link = link_in(inbox)
    assert link.startswith("https://home.example.jp/reset-password#")
    token = link.split("#", 1)[1]
    client = TestClient(application, headers=CSRF_HEADERS)
    reset: Any = client.post(
        "/api/auth/password-reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    again = client.post(
        "/api/auth/password-reset", json={"token": token, "new_password": NEW_PASSWORD + "!"}
    )
    assert again.status_code == 401
    login = TestClient(application, headers=CSRF_HEADERS).post(
        "/api/auth/login", json={"email": person.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 200
    old = TestClient(application, headers=CSRF_HEADERS).post(
        "/api/auth/login", json={"email": person.email, "password": PASSWORD}
    )
    assert old.status_code == 401


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mailing: tuple[FastAPI, Inbox],
) -> None:
    application, inbox = mailing
    assert ask(application, "nobody@example.jp") == 202
    assert inbox.messages == []


def test_asking_again_at_once_sends_no_second_mail(mailing: tuple[FastAPI, Inbox]) -> None:
    application, inbox = mailing
    person = sign_up(application, "Someone", language="en")
    assert [ask(application, person.email) for _ in range(3)] == [202, 202, 202]
    [(_, message)] = inbox.messages
    assert message["Subject"] == "Reset your password"


def test_the_login_page_learns_whether_mail_reset_is_offered(
    mailing: tuple[FastAPI, Inbox], app: FastAPI
) -> None:
    application, _ = mailing
    assert TestClient(application).get("/api/auth/options").json() == {
        "password_reset_by_mail": True
    }
    assert TestClient(app).get("/api/auth/options").json() == {"password_reset_by_mail": False}
    refused = TestClient(app, headers=CSRF_HEADERS).post(
        "/api/auth/password-reset-request", json={"email": "a@example.jp"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "mail_unavailable")


def test_production_mail_needs_a_public_url() -> None:
    with pytest.raises(ValidationError, match="PUBLIC_URL must be set with MAIL_URL"):
        Settings(
            environment="production",
            secret_key="x" * 40,
            mail_url="mailtos://user:pw@smtp.example.jp?from=home@example.jp",
        )
