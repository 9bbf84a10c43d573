"""The backend's log, as uvicorn writes it in the cluster: one JSON object per line, one line per
request with the agreed fields, and no password, session token, invite code or e-mail in it,
after sign-ups, logins (one failed), an invite and its acceptance, and a CSV import."""

import json
import logging
import re
import sys
from typing import Any

import httpx
import pytest

from app.core.logs import JsonFormatter
from tests.support import databases
from tests.support.servers import uvicorn

CSRF = {"X-Requested-With": "XMLHttpRequest"}
REQUEST_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "user_id",
}
HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Drives the app through uvicorn; returns the log's lines and what must not be in them."""
    tmp = tmp_path_factory.mktemp("logs")
    url = f"sqlite:///{tmp / 'app.db'}"
    databases.migrate(url)
    log = tmp / "stderr.log"
    secrets: list[str] = []
    seen: dict[str, Any] = {}
    with log.open("wb") as sink, uvicorn(url, stderr=sink) as base:
        alice = httpx.Client(base_url=base, headers=CSRF)
        bob = httpx.Client(base_url=base, headers=CSRF)
        people = [
            (alice, "alice.logs@example.jp", "alice's secret passphrase"),
            (bob, "bob.logs@example.jp", "bob's other passphrase"),
        ]
        for client, email, password in people:
            body = {"email": email, "password": password, "display_name": email[:3]}
            assert client.post("/api/auth/register", json=body).status_code == 201
            wrong = {"email": email, "password": password + " typo"}
            assert client.post("/api/auth/login", json=wrong).status_code == 401
            login = client.post("/api/auth/login", json={"email": email, "password": password})
            assert login.status_code == 200
            secrets += [email, password, password + " typo", *client.cookies.values()]
        seen["alice_id"] = alice.get("/api/auth/me").json()["id"]
        household = alice.post("/api/households", json={"name": "Logs"}).json()["id"]
        invite = alice.post(f"/api/households/{household}/invites", json={"role": "member"})
        code = invite.json()["code"]
        secrets.append(code)
        assert bob.get(f"/api/invites/{code}").status_code == 200
        assert bob.post(f"/api/invites/{code}/accept").status_code == 200
        csv = "category,task_name,frequency\r\nキッチン,食器洗い,1\r\n"
        imported = alice.post(
            f"/api/households/{household}/chores/import",
            files={"file": ("chores.csv", csv.encode("cp932"), "text/csv")},
        )
        assert imported.status_code == 201
        # nginx's id is taken and echoed; without one the backend makes its own.
        given = bob.get("/api/auth/me", headers={"X-Request-ID": "f" * 32})
        seen["given"] = given.headers["x-request-id"]
        made = bob.get("/api/auth/me")
        seen["made"] = made.headers["x-request-id"]
        # A header that is not an id is replaced, not logged.
        forged = bob.get("/api/auth/me", headers={"X-Request-ID": 'x", "forged": "yes'})
        seen["forged"] = forged.headers["x-request-id"]
        secrets.append("forged")
    text = log.read_text()
    return {"text": text, "lines": text.splitlines(), "secrets": secrets, **seen}


def test_every_line_is_a_json_object(logged: dict[str, Any]) -> None:
    lines = logged["lines"]
    assert len(lines) > 15
    for line in lines:
        assert isinstance(json.loads(line), dict), line
    loggers = {json.loads(line)["logger"] for line in lines}
    # uvicorn's own lines come through the same formatter; its access log is off.
    assert "uvicorn.error" in loggers
    assert "uvicorn.access" not in loggers
    assert "\x1b" not in logged["text"]  # no terminal colours


def requests_of(logged: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in map(json.loads, logged["lines"]) if entry["logger"] == "app.request"]


def test_one_line_per_request_with_route_template_status_and_user(
    logged: dict[str, Any],
) -> None:
    lines = requests_of(logged)
    # twice (register, failed login, login), me, household, invite, preview, accept, import,
    # three times me; the health polls of the start are not logged.
    assert len(lines) == 15
    for line in lines:
        assert set(line) >= REQUEST_FIELDS, line
        assert line["level"] == "INFO"
        assert line["message"] == "request"
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] > 0
    routes = [(line["method"], line["route"], line["status"]) for line in lines]
    assert routes[:3] == [
        ("POST", "/api/auth/register", 201),
        ("POST", "/api/auth/login", 401),
        ("POST", "/api/auth/login", 200),
    ]
    invite = next(line for line in lines if line["route"].endswith("/invites"))
    assert invite["route"] == "/api/households/{household_id}/invites"
    assert (invite["status"], invite["user_id"]) == (201, logged["alice_id"])
    accept = next(line for line in lines if line["route"].endswith("/accept"))
    assert accept["route"] == "/api/invites/{code}/accept"
    assert isinstance(accept["user_id"], int)
    assert accept["user_id"] != logged["alice_id"]
    imported = next(line for line in lines if line["route"].endswith("/import"))
    assert (imported["status"], imported["user_id"]) == (201, logged["alice_id"])
    # Nobody is signed in at registration and login.
    assert [line["user_id"] for line in lines[:3]] == [None, None, None]


def test_the_request_id_comes_from_nginx_or_is_made_and_is_echoed(
    logged: dict[str, Any],
) -> None:
    ids = [line["request_id"] for line in requests_of(logged)]
    assert len(set(ids)) == len(ids)
    assert logged["given"] == "f" * 32
    assert HEX32.fullmatch(logged["made"])
    assert HEX32.fullmatch(logged["forged"])
    assert ids[-3:] == [logged["given"], logged["made"], logged["forged"]]


def test_no_password_token_invite_code_or_email_is_logged(logged: dict[str, Any]) -> None:
    assert len(logged["secrets"]) == 4 * 2 + 2
    for secret in logged["secrets"]:
        assert secret not in logged["text"]
    assert "@" not in logged["text"]


def test_a_traceback_stays_inside_its_line() -> None:
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["message"], entry["level"]) == ("failed here", "ERROR")
    assert "ValueError: broken\nacross lines" in entry["exception"]


def test_an_address_inside_an_error_is_masked() -> None:
    try:
        raise ValueError("Key (email)=(taken.name+tag@example.co.jp) already exists.")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "insert failed", (), exc_info=sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "example.co.jp" not in line
    assert "Key (email)=(<e-mail>) already exists." in json.loads(line)["exception"]
