"""Moving in from the original app: its production-shaped database imported, nothing lost.

Everything on a real PostgreSQL 16: the original's schema built from the issue's facts and
seeded like production, this app's database migrated by Alembic, logins through the HTTP API.
"""

import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, func, select, text

from app.core.db import make_session_factory
from app.main import create_app
from app.models import Chore, Completion, Household, Membership, OriginalImportRow, User
from app.services import chores as chore_service
from app.services import original_import
from app.services.original_import import Report
from tests.import_original import original
from tests.import_original.conftest import make_settings
from tests.support import databases
from tests.support.people import new_client

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_COUNTS = {
    "users": 3,
    "projects": 1,
    "project_members": 3,
    "tasks": 66,
    "task_executions": 790,
}


def run_import(target: str, source: str, **options: Any) -> Report:
    engine = create_engine(target)
    try:
        return original_import.run(
            make_session_factory(engine),
            source,
            time_zone="Asia/Tokyo",
            dry_run=options.pop("dry_run", False),
            **options,
        )
    finally:
        engine.dispose()


def import_tables(target: str, tables: dict[str, list[dict[str, Any]]], **options: Any) -> Report:
    engine = create_engine(target)
    try:
        with make_session_factory(engine)() as db:
            return original_import.import_original(db, tables, source="test", **options)
    finally:
        engine.dispose()


VOLATILE = {"households": {"revision"}, "original_import_rows": {"imported_at"}}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of this app, ordered, without columns that change by design."""
    engine = create_engine(url)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name in databases.app_tables():
            rows = connection.execute(text(f'SELECT * FROM "{name}" ORDER BY 1, 2')).mappings()
            tables[name] = [
                tuple(value for key, value in row.items() if key not in VOLATILE.get(name, ()))
                for row in rows
            ]
    engine.dispose()
    return tables


def counts(url: str) -> dict[str, int]:
    return databases.row_counts(create_engine(url))


@pytest.fixture(scope="module")
def imported(postgres_admin_url: str, original_url: str) -> Iterator[tuple[str, Report]]:
    """This app's database with the original imported once (shared by the read-only checks)."""
    url = databases.create_postgres_database(postgres_admin_url)
    databases.migrate(url)
    report = run_import(url, original_url)
    yield url, report
    databases.drop_postgres_database(postgres_admin_url, url)


@pytest.fixture(scope="module")
def app(imported: tuple[str, Report]) -> Iterator[FastAPI]:
    application = create_app(make_settings(imported[0]))
    yield application
    application.state.engine.dispose()


def login(app: FastAPI, email: str, password: str) -> Any:
    client = new_client(app)
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return client, response


def household_id(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(Household.id)).scalar_one()
    engine.dispose()
    return int(value)


def test_everything_is_imported_with_the_same_counts(imported: tuple[str, Report]) -> None:
    url, report = imported
    assert not report.refused, report.lines()
    assert report.counts == SOURCE_COUNTS
    assert report.imported == SOURCE_COUNTS
    assert report.already == dict.fromkeys(SOURCE_COUNTS, 0)
    assert report.notes == []
    assert counts(url) == {
        "users": 3,
        "user_sessions": 0,
        "login_failures": 0,
        "login_addresses": 0,
        "households": 1,
        "memberships": 3,
        "invites": 0,
        "chores": 66,
        "chore_members": 0,
        "completions": 790,
        "calendar_feeds": 0,
        "api_tokens": 0,
        "password_resets": 0,
        "tap_receipts": 0,
        "reminder_settings": 0,
        "push_subscriptions": 0,
        "reminder_deliveries": 0,
        "household_channels": 0,
        "alert_deliveries": 0,
        "original_import_rows": 3 + 1 + 3 + 66 + 790,
    }
    text_report = "\n".join(report.lines())
    assert "task_executions         790       790        0  completions" in text_report


def test_people_households_and_chores_keep_their_facts(
    imported: tuple[str, Report], original_url: str
) -> None:
    url, _ = imported
    engine = create_engine(url)
    source = create_engine(original_url)
    with engine.connect() as here, source.connect() as there:
        users = here.execute(select(User.email, User.display_name).order_by(User.id)).all()
        assert users == [
            ("taro@example.jp", "たろう"),
            ("hanako.yamada@example.jp", "Hanako"),
            ("jiro@example.jp", "じろう"),
        ]
        household = here.execute(select(Household.name, Household.time_zone)).one()
        assert tuple(household) == ("山田家", "Asia/Tokyo")
        roles = here.execute(
            select(User.display_name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .order_by(User.id)
        ).all()
        assert roles == [("たろう", "admin"), ("Hanako", "member"), ("じろう", "member")]
        # The description has no column here; the import record keeps it verbatim.
        kept = here.execute(
            select(OriginalImportRow.source).where(OriginalImportRow.source_table == "projects")
        ).scalar_one()
        assert kept["description"] == "家族の\n家事\tぜんぶ"
        # No copy of a bcrypt hash is kept beside the account.
        kept_user = here.execute(
            select(OriginalImportRow.source).where(OriginalImportRow.source_table == "users")
        ).first()
        assert kept_user is not None
        assert "password_hash" not in kept_user[0]

        chores_here = {
            name: (category, recurrence, every, unit, anchor, next_due)
            for name, category, recurrence, every, unit, anchor, next_due in here.execute(
                select(
                    Chore.name,
                    Chore.category,
                    Chore.recurrence,
                    Chore.every,
                    Chore.unit,
                    Chore.anchor,
                    Chore.next_due,
                )
            )
        }
        today = datetime.now(original.TOKYO).date()
        tasks = there.execute(
            text(
                "SELECT t.task_name, t.category, t.frequency, max(e.execution_date) FROM tasks t"
                " LEFT JOIN task_executions e ON e.task_id = t.id"
                " GROUP BY t.id ORDER BY t.id"
            )
        ).all()
        assert len(chores_here) == len(tasks) == 66
        for name, category, frequency, last in tasks:
            expected_due = last.date() + timedelta(days=frequency) if last else today
            assert chores_here[name] == (
                category,
                "interval",
                frequency,
                "day",
                "completion",
                expected_due,
            ), name
        # A backslash in a name survives (the dumps' COPY escapes it).
        assert [name for name in chores_here if name.endswith(" C:\\tmp")] != []

        # Each completion: the same person at the same instant (naive Tokyo time -> UTC).
        done_here = sorted(
            (email, done_at)
            for email, done_at in here.execute(
                select(User.email, Completion.done_at).join(User, User.id == Completion.done_by)
            )
        )
        done_there = sorted(
            (email.lower(), at.replace(tzinfo=original.TOKYO).astimezone(UTC))
            for email, at in there.execute(
                text(
                    "SELECT u.email, e.execution_date FROM task_executions e"
                    " JOIN users u ON u.id = e.user_id"
                )
            )
        )
        assert done_here == done_there
        assert len(done_here) == 790
    engine.dispose()
    source.dispose()


@pytest.mark.parametrize("user", original.USERS, ids=lambda user: f"user{user.id}")
def test_users_log_in_with_their_old_passwords_then_hold_argon2id(
    app: FastAPI, user: original.OriginalUser
) -> None:
    _, wrong = login(app, user.email, "not the password at all")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"

    client, response = login(app, user.email, user.password)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == user.email.lower()
    me = client.get("/api/auth/me").json()
    assert me["display_name"] == user.username
    with app.state.engine.connect() as connection:
        stored = connection.execute(
            select(User.password_hash).where(User.email == user.email.lower())
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    # The same password again, now against argon2id.
    _, again = login(app, user.email, user.password)
    assert again.status_code == 200


def test_who_did_what_over_ranges_equals_the_original(
    app: FastAPI, imported: tuple[str, Report], original_url: str
) -> None:
    user = original.USERS[0]
    client, response = login(app, user.email, user.password)
    assert response.status_code == 200
    home = household_id(imported[0])
    today = datetime.now(original.TOKYO).date()
    ranges = [
        (today - timedelta(days=6), today),  # the chart's default: the last 7 days
        (today - timedelta(days=29), today),
        (today - timedelta(days=364), today),
        (today - timedelta(days=200), today - timedelta(days=100)),
        (today - timedelta(days=45), today - timedelta(days=45)),
        (date(2000, 1, 1), date(2000, 12, 31)),
    ]
    # And 20 more anywhere in the year of history, of any length.
    rng = random.Random(7)
    for _ in range(20):
        first, last = sorted(rng.sample(range(0, 370), 2))
        ranges.append((today - timedelta(days=last), today - timedelta(days=first)))
    totals = 0
    for start, end in ranges:
        stats = client.get(
            f"/api/households/{home}/stats",
            params={"from": start.isoformat(), "to": end.isoformat()},
        )
        assert stats.status_code == 200, stats.text
        here = {m["display_name"]: m["completions"] for m in stats.json()["members"]}
        assert here == original.who_did_what(original_url, start, end), (start, end)
        totals += sum(here.values())
    assert totals > 790  # the ranges overlap and are not empty


@pytest.mark.parametrize("window", ["today", "tomorrow", "week", "month"])
def test_due_lists_equal_the_original_rule(
    app: FastAPI, imported: tuple[str, Report], original_url: str, window: str
) -> None:
    user = original.USERS[1]
    client, response = login(app, user.email, user.password)
    assert response.status_code == 200
    home = household_id(imported[0])
    today = datetime.now(original.TOKYO).date()
    # The window's last day as this app defines it; the original's rule is evaluated up to the
    # same day (its week ends at today + 7, the window definitions' own issue).
    end = chore_service.window_end(window, today)  # type: ignore[arg-type]
    due = client.get(f"/api/households/{home}/due", params={"window": window})
    assert due.status_code == 200, due.text
    names = {item["chore"]["name"] for item in due.json()}
    assert names == original.original_due(original_url, end)
    assert len(names) >= 6  # the six never-done chores are due in every window


def test_the_original_week_rule_holds_for_every_day_up_to_a_month(
    imported: tuple[str, Report], original_url: str
) -> None:
    """Due dates here answer the original's rule for any window end, today + 7 included."""
    engine = create_engine(imported[0])
    today = datetime.now(original.TOKYO).date()
    with engine.connect() as connection:
        for days in range(31):
            end = today + timedelta(days=days)
            here = set(
                connection.execute(select(Chore.name).where(Chore.next_due <= end)).scalars()
            )
            assert here == original.original_due(original_url, end), days
    engine.dispose()


def test_a_second_import_changes_nothing(target_url: str, original_url: str) -> None:
    first = run_import(target_url, original_url)
    assert first.imported == SOURCE_COUNTS
    before = snapshot(target_url)
    second = run_import(target_url, original_url)
    assert not second.refused
    assert second.imported == dict.fromkeys(SOURCE_COUNTS, 0)
    assert second.already == SOURCE_COUNTS
    assert "nothing new: every row was imported before" in second.lines()[0]
    assert snapshot(target_url) == before


def revision(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(Household.revision)).scalar_one()
    engine.dispose()
    return int(value)


def test_rows_added_to_the_original_later_are_imported_once(
    target_url: str, original_url: str
) -> None:
    tables = original_import.read_source(original_url)
    assert not import_tables(target_url, tables).refused
    task = tables["tasks"][0]
    done = original.tokyo_now() - timedelta(hours=1)
    tables["task_executions"].append(
        {"id": 791, "task_id": task["id"], "user_id": 3, "execution_date": done, "created_at": done}
    )
    first_revision = revision(target_url)
    report = import_tables(target_url, tables)
    assert report.imported == {**dict.fromkeys(SOURCE_COUNTS, 0), "task_executions": 1}
    # The household changed: no cached read of it may survive.
    second_revision = revision(target_url)
    assert second_revision != first_revision
    again = import_tables(target_url, tables)
    assert again.imported == dict.fromkeys(SOURCE_COUNTS, 0)
    assert revision(target_url) == second_revision
    engine = create_engine(target_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Completion)).scalar() == 791
        next_due = connection.execute(
            select(Chore.next_due).where(Chore.name == task["task_name"].strip())
        ).scalar_one()
    engine.dispose()
    assert next_due == done.date() + timedelta(days=task["frequency"])


def test_a_dry_run_reports_and_writes_nothing(target_url: str, original_url: str) -> None:
    before = snapshot(target_url)
    report = run_import(target_url, original_url, dry_run=True)
    assert report.imported == SOURCE_COUNTS
    assert "dry run: nothing was written" in report.lines()[0]
    assert snapshot(target_url) == before


def test_a_household_without_an_admin_gets_its_owner_as_admin(target_url: str) -> None:
    at = datetime(2025, 4, 1, 9, 0)
    hashed = original.bcrypt_hash("owner password 1")
    tables: dict[str, list[dict[str, Any]]] = {
        "users": [
            {
                "id": 7,
                "username": "owner",
                "email": "owner@example.jp",
                "password_hash": hashed,
                "created_at": at,
                "updated_at": at,
            },
            {
                "id": 8,
                "username": "guest",
                "email": "guest@example.jp",
                "password_hash": hashed,
                # The original's timestamps may be NULL: the import's time stands in.
                "created_at": None,
                "updated_at": None,
            },
        ],
        "projects": [
            {
                "id": 3,
                "name": "別荘",
                "description": None,
                "owner_id": 7,
                "created_at": at,
                "updated_at": at,
            }
        ],
        "project_members": [
            {"id": 5, "project_id": 3, "user_id": 7, "role": "MEMBER", "created_at": at},
            {"id": 6, "project_id": 3, "user_id": 8, "role": "Viewer", "created_at": None},
        ],
        "tasks": [],
        "task_executions": [],
    }
    report = import_tables(target_url, tables)
    assert not report.refused
    assert report.notes == [
        "projects.id=3 (別荘) had no admin: its owner users.id=7 became admin (was member)"
    ]
    engine = create_engine(target_url)
    with engine.connect() as connection:
        roles = connection.execute(
            select(User.email, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .order_by(User.email)
        ).all()
    engine.dispose()
    assert roles == [("guest@example.jp", "viewer"), ("owner@example.jp", "admin")]


CORRUPT = """
INSERT INTO users (id, username, email, password_hash) VALUES
    (1, 'taro', 'taro@example.jp', :hash),
    (2, 'Taro again', 'TARO@example.jp', :hash),
    (3, 'hanako', 'hanako@example.jp', :hash);
INSERT INTO projects (id, name, owner_id) VALUES (1, 'home', 1);
INSERT INTO project_members (id, project_id, user_id, role) VALUES
    (1, 1, 1, 'Admin'), (2, 1, 3, 'member');
INSERT INTO tasks (id, project_id, category, task_name, frequency) VALUES
    (1, 1, 'キッチン', '皿洗い', 1), (2, 1, '風呂', '風呂掃除', -3);
INSERT INTO task_executions (id, task_id, user_id, execution_date) VALUES
    (1, 1, 3, '2026-11-01 20:00'), (2, 1, 42, '2026-11-02 20:00');
"""


def test_a_corrupt_source_is_refused_with_a_report_and_nothing_imported(
    make_database: Any, target_url: str
) -> None:
    source = make_database(False)
    engine = create_engine(source)
    with engine.begin() as connection:
        original.create_schema(connection, foreign_keys=False)
        for statement in CORRUPT.strip().split(";\n"):
            connection.execute(text(statement), {"hash": original.bcrypt_hash("secret pass 1")})
    engine.dispose()
    before = snapshot(target_url)

    result = cli(target_url, "import-original", "--source", source)
    assert result.returncode == 1, result.stderr
    assert "REFUSED: nothing was imported" in result.stdout
    for line in (
        "users.id=1: e-mail taro@example.jp is also the e-mail of users.id=2",
        "users.id=2: e-mail taro@example.jp is also the e-mail of users.id=1",
        "tasks.id=2: frequency -3 is not a number of days from 1 to 366",
        "task_executions.id=2: user_id 42 is not in users",
        "4 rows cannot be mapped",
    ):
        assert line in result.stdout, result.stdout
    assert snapshot(target_url) == before
    assert counts(target_url)["original_import_rows"] == 0

    report = run_import(target_url, source)
    assert [(problem.table, problem.id) for problem in report.problems] == [
        ("users", 1),
        ("users", 2),
        ("tasks", 2),
        ("task_executions", 2),
    ]


def test_an_email_already_here_is_refused_not_merged(target_url: str, original_url: str) -> None:
    app = create_app(make_settings(target_url))
    client = new_client(app)
    registered = client.post(
        "/api/auth/register",
        json={
            "email": "hanako.yamada@example.jp",
            "password": "somebody else's password",
            "display_name": "not Hanako",
        },
    )
    assert registered.status_code == 201
    app.state.engine.dispose()
    before = snapshot(target_url)
    report = run_import(target_url, original_url)
    assert report.refused
    assert [str(problem) for problem in report.problems] == [
        "users.id=2: an account with the e-mail hanako.yamada@example.jp already exists here; "
        "the import never merges accounts (see README): delete or rename that account, "
        "then run again"
    ]
    assert snapshot(target_url) == before


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("dump_format", ["c", "p"])
def test_pg_dump_files_import_like_the_database_itself(
    dump_format: str,
    original_url: str,
    target_url: str,
    make_database: Any,
    tmp_path: Path,
) -> None:
    binaries = databases.postgres_binaries()
    dump = original.dump(original_url, tmp_path / f"original.{dump_format}.dump", dump_format)
    # Through the CLI, as the runbook does it.
    result = cli(
        target_url,
        "import-original",
        "--source",
        str(dump),
        "--pg-restore",
        str(binaries / "pg_restore"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "task_executions         790       790        0  completions" in result.stdout

    from_database = make_database(True)
    assert not run_import(from_database, original_url).refused
    assert snapshot(target_url) == snapshot(from_database)


def test_an_archive_dump_without_pg_restore_says_what_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "original.dump"
    dump.write_bytes(b"PGDMP\x01\x10\x00")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(original_import.SourceError, match="needs pg_restore 16"):
        original_import.read_source(str(dump))


def test_a_dump_checks_and_imports_on_the_sqlite_of_make_run(
    original_url: str, tmp_path: Path
) -> None:
    """The runbook's check of a fresh backup on the owner's machine: make run's SQLite."""
    dump = original.dump(original_url, tmp_path / "original.sql", "p")
    sqlite = f"sqlite:///{tmp_path / 'check.db'}"
    databases.migrate(sqlite)
    dry = cli(sqlite, "import-original", "--source", str(dump), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run: nothing was written" in dry.stdout
    assert databases.row_counts(create_engine(sqlite))["users"] == 0
    done = cli(sqlite, "import-original", "--source", str(dump))
    assert done.returncode == 0, done.stdout + done.stderr
    engine = create_engine(sqlite)
    counts = databases.row_counts(engine)
    assert (counts["users"], counts["chores"], counts["completions"]) == (3, 66, 790)
    with engine.connect() as connection:
        done_at = connection.execute(
            select(Completion.done_at).order_by(Completion.done_at).limit(1)
        ).scalar_one()
    engine.dispose()
    first = create_engine(original_url)
    with first.connect() as connection:
        naive = connection.execute(text("SELECT min(execution_date) FROM task_executions")).scalar()
    first.dispose()
    assert done_at == naive.replace(tzinfo=original.TOKYO).astimezone(UTC)


def plain_dump(tables: dict[str, tuple[str, list[str]]]) -> str:
    """A plain pg_dump script with a COPY block per table: (columns, data lines)."""
    blocks = [
        f"COPY public.{table} ({columns}) FROM stdin;\n"
        + "".join(f"{line}\n" for line in lines)
        + "\\.\n"
        for table, (columns, lines) in tables.items()
    ]
    return "SET client_encoding = 'UTF8';\n" + "\n".join(blocks)


GOOD_TABLES = {
    "users": ("id, username, email, password_hash, created_at, updated_at", []),
    "projects": ("id, name, description, owner_id, created_at, updated_at", []),
    "project_members": ("id, project_id, user_id, role, created_at", []),
    "tasks": ("id, project_id, category, task_name, frequency, created_at, updated_at", []),
    "task_executions": ("id, task_id, user_id, execution_date, created_at", []),
}


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (
            {k: v for k, v in GOOD_TABLES.items() if k != "tasks"},
            "no data for tasks",
        ),
        (
            {**GOOD_TABLES, "tasks": ("id, project_id, task_name, frequency, created_at", [])},
            "table tasks has no column category, updated_at",
        ),
        (
            {
                **GOOD_TABLES,
                "tasks": (
                    GOOD_TABLES["tasks"][0],
                    ["1\t1\tキッチン\t皿洗い\tweekly\t2025-01-01 00:00:00\t\\N"],
                ),
            },
            "tasks (id 1): frequency 'weekly' is not an integer",
        ),
    ],
    ids=["missing table", "missing columns", "not a number"],
)
def test_an_unreadable_dump_is_named_with_its_reason(
    tmp_path: Path, tables: dict[str, tuple[str, list[str]]], message: str
) -> None:
    dump = tmp_path / "original.sql"
    dump.write_text(plain_dump(tables))
    with pytest.raises(original_import.SourceError, match=re.escape(message)):
        original_import.read_source(str(dump))


def test_copy_escapes_are_read_back() -> None:
    dump_line = "7\tA\\tB\\\\C\\nD\\011E\\x41\t\\N"
    assert original_import._copy_fields(dump_line) == ["7", "A\tB\\C\nD\tEA", None]


def test_another_original_reusing_the_ids_is_refused(target_url: str, original_url: str) -> None:
    tables = original_import.read_source(original_url)
    assert not import_tables(target_url, tables).refused
    before = snapshot(target_url)
    tables["users"][2] = {**tables["users"][2], "email": "someone.else@example.jp"}
    report = import_tables(target_url, tables)
    assert [str(problem) for problem in report.problems] == [
        "users.id=3: was imported before with the e-mail jiro@example.jp, and is "
        "someone.else@example.jp now: is this the same original database as the last import?"
    ]
    assert snapshot(target_url) == before
