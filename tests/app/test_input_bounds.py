"""Inputs the databases or a spreadsheet would mishandle: NUL characters, far-off dates, formulas.

Each is refused (or neutralized) the same way on PostgreSQL and SQLite.
"""

import csv
import io
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.app.chore_helpers import chore_payload, make_chore
from tests.support.databases import row_counts
from tests.support.people import PASSWORD, Person, new_client

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def assert_invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["loc"][0] for error in body["errors"]] == [field]


def test_nul_in_any_text_is_422_and_writes_nothing(app: FastAPI, engine: Engine) -> None:
    stranger = new_client(app)
    counts = row_counts(engine)
    for field, value in (
        ("email", "a\x00@example.jp"),
        ("display_name", "Ha\x00nako"),
        ("password", PASSWORD + "\x00"),
    ):
        payload = {"email": "nul@example.jp", "password": PASSWORD, "display_name": "Hanako"}
        response = stranger.post("/api/auth/register", json={**payload, field: value})
        assert_invalid(response, field)
    login = stranger.post("/api/auth/login", json={"email": "a\x00@b.jp", "password": PASSWORD})
    assert_invalid(login, "email")
    assert row_counts(engine) == counts


def test_nul_in_household_chore_profile_and_query_is_422(home: Home, engine: Engine) -> None:
    household_id, people = home
    admin = people["admin"]
    chore = make_chore(admin, household_id)
    counts = row_counts(engine)
    requests: list[tuple[str, str, dict[str, Any], str]] = [
        ("PATCH", base(household_id), {"json": {"name": "Ho\x00me"}}, "name"),
        ("POST", "/api/households", {"json": {"name": "\x00"}}, "name"),
        ("POST", f"{base(household_id)}/chores", {"json": chore_payload(name="D\x00")}, "name"),
        ("POST", f"{base(household_id)}/chores", {"json": chore_payload(notes="\x00")}, "notes"),
        (
            "PATCH",
            f"{base(household_id)}/chores/{chore['id']}",
            {"json": {"category": "K\x00"}},
            "category",
        ),
        ("PATCH", "/api/auth/me", {"json": {"display_name": "\x00"}}, "display_name"),
        ("GET", f"{base(household_id)}/chores?category=%00", {}, "category"),
        ("GET", f"{base(household_id)}/due?assignee=%00", {}, "assignee"),
    ]
    for method, url, kwargs, field in requests:
        assert_invalid(admin.client.request(method, url, **kwargs), field)
    assert row_counts(engine) == counts


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("calendar?from=9999-12-31", "from"),
        ("calendar?from=2026-01-01&to=9999-12-31", "to"),
        ("stats?to=0001-01-01", "to"),
        ("completions?from=0001-01-01&to=0001-01-01", "from"),
        ("completions/export.csv?from=0001-01-01&to=0001-01-01", "from"),
        ("completions/export.csv?from=9999-12-30&to=9999-12-31", "from"),
    ],
)
def test_far_off_dates_in_queries_are_422(home: Home, path: str, field: str) -> None:
    household_id, people = home
    response = people["viewer"].get(f"{base(household_id)}/{path}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == [field]


def test_far_off_dates_in_bodies_are_422_and_change_nothing(home: Home, engine: Engine) -> None:
    household_id, people = home
    admin = people["admin"]
    admin.ok("PATCH", base(household_id), json={"time_zone": "America/New_York"})
    chore = make_chore(admin, household_id)
    counts = row_counts(engine)
    chores = f"{base(household_id)}/chores"
    requests: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", chores, chore_payload(start_date="9999-12-31"), "start_date"),
        ("POST", chores, chore_payload(start_date="0001-01-01"), "start_date"),
        ("PATCH", f"{chores}/{chore['id']}", {"next_due": "9999-12-31"}, "next_due"),
        ("PATCH", f"{chores}/{chore['id']}", {"start_date": "9999-12-31"}, "start_date"),
        (
            "POST",
            f"{chores}/{chore['id']}/complete",
            {"done_at": "0001-01-01T00:00:00Z"},
            "done_at",
        ),
        ("POST", f"{chores}/{chore['id']}/skip", {"done_at": "0001-01-01T00:00-05:00"}, "done_at"),
    ]
    for method, url, payload, field in requests:
        assert_invalid(admin.client.request(method, url, json=payload), field)
    assert row_counts(engine) == counts
    assert admin.ok("GET", f"{chores}/{chore['id']}") == chore


def test_an_import_with_a_far_off_due_date_is_refused(home: Home, engine: Engine) -> None:
    household_id, people = home
    content = "name,recurrence,every,unit,next_due\nDishes,interval,1,day,9999-12-31\n"
    counts = row_counts(engine)
    response = people["admin"].post(
        f"{base(household_id)}/chores/import",
        files={"file": ("x.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import_invalid"
    [row] = response.json()["rows"]
    assert row["row"] == 2
    assert [error.split(":")[0] for error in row["errors"]] == ["next_due"]
    assert row_counts(engine) == counts


FORMULAS = ['=HYPERLINK("http://x")', "@SUM(1+1)", "+1", "-1", "'=quoted", "'plain"]


def test_exports_neutralize_formulas_and_the_import_restores_them(app: FastAPI, home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    admin.ok("PATCH", "/api/auth/me", json={"display_name": "@admin"})
    for name in FORMULAS:
        chore = make_chore(admin, household_id, name=name, category="=cmd", notes="\tnote")
        admin.ok("POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201)

    exported = admin.client.get(f"{base(household_id)}/chores/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert sorted(row["name"] for row in rows) == sorted(
        ['\'=HYPERLINK("http://x")', "'@SUM(1+1)", "'+1", "'-1", "''=quoted", "''plain"]
    )
    assert {(row["category"], row["notes"]) for row in rows} == {("'=cmd", "'\tnote")}
    history = admin.client.get(f"{base(household_id)}/completions/export.csv")
    entries = list(csv.DictReader(io.StringIO(history.content.decode("utf-8-sig"))))
    assert sorted(row["chore"] for row in entries) == sorted(row["name"] for row in rows)
    assert {(row["category"], row["done_by"], row["recorded_by"]) for row in entries} == {
        ("'=cmd", "'@admin", "'@admin")
    }

    other = admin.ok("POST", "/api/households", 201, json={"name": "Other"})
    imported = admin.client.post(
        f"{base(other['id'])}/chores/import",
        files={"file": ("chores.csv", exported.content, "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    again = admin.ok("GET", f"{base(other['id'])}/chores")
    assert sorted(chore["name"] for chore in again) == sorted(FORMULAS)
    assert {(chore["category"], chore["notes"]) for chore in again} == {("=cmd", "\tnote")}


BAD_VALUES = {"string": "x\x00", "date": "0001-01-01", "date-time": "9999-12-31T00:00:00Z"}


def bad_inputs(schema: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(method, path, where, name, kind) of every query parameter and top-level JSON body field that
    takes text, a date or a datetime, read from the OpenAPI schema."""

    def kinds(field: dict[str, Any]) -> set[str]:
        options = field.get("anyOf", [field])
        return {
            option.get("format", "string") if option.get("type") == "string" else "other"
            for option in options
        }

    found = []
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    found += [
                        (method, path, "query", parameter["name"], kind)
                        for kind in kinds(parameter["schema"]) & set(BAD_VALUES)
                    ]
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref:
                fields = components[ref.rsplit("/", 1)[1]]["properties"]
                found += [
                    (method, path, "json", name, kind)
                    for name, field in fields.items()
                    for kind in kinds(field) & set(BAD_VALUES)
                ]
    return found


def test_every_text_and_date_input_in_the_schema_is_bounded(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    inputs = bad_inputs(admin.ok("GET", "/api/openapi.json"))
    # Every query string and date, and the body fields (names, notes, e-mails, passwords...).
    assert len(inputs) >= 30
    refused = []
    for method, path, where, name, kind in inputs:
        url = path.replace("{household_id}", str(household_id))
        url = url.replace("{code}", "ABCDEFGHJK").replace("{token}", "t" * 43)
        for parameter in ("chore_id", "completion_id", "invite_id", "user_id"):
            url = url.replace(f"{{{parameter}}}", "1")
        value = BAD_VALUES[kind]
        kwargs = {"params": {name: value}} if where == "query" else {"json": {name: value}}
        response = admin.client.request(method.upper(), url, **kwargs)
        errors = response.json().get("errors") or [] if response.status_code == 422 else []
        if [name] in [error["loc"] for error in errors]:
            refused.append((method, path, name))
    assert refused == [(method, path, name) for method, path, _, name, _ in inputs]
