"""Moving in from the original app: its database (or a pg_dump of it) imported with nothing lost.

The original's schema: users, projects (households), project_members (free-string roles),
tasks (every `frequency` days from the last completion) and task_executions (completions), all
timestamps naive in the household's time zone. `read_source` reads those five tables from a
live PostgreSQL or from a dump; `import_original` writes them here in one transaction.

- **All or nothing.** Every row is checked before anything is written; a row that cannot be
  mapped refuses the whole import, and the report names it (table, id, reason).
- **Idempotent.** Every imported row is recorded in `original_import_rows` (table, original id,
  id here, the row itself). A second run skips those and imports only rows added to the original
  since, so running it again after a late change in the old app is safe.
- **The same e-mail already here is refused**, never merged: this app proves an account by its
  password, not by mail, so whoever registered the address here first would otherwise be handed
  the original's household.
- **Due dates** follow the original's rule: a chore is due on its last completion's date plus its
  frequency; a chore never done is due on the day of the import.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, create_engine, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.domain.recurrence import MAX_EVERY, local_date
from app.models import (
    Chore,
    Completion,
    Household,
    Membership,
    OriginalImportRow,
    Role,
    User,
)
from app.models.households import new_revision
from app.schemas.common import Email

# Serializes imports on PostgreSQL: two Jobs at once must not both find a row "not yet imported".
IMPORT_LOCK_ID = 0x48544D49  # "HTMI"

# The columns read from each table of the original, and their types.
INT, TEXT, OPTIONAL_TEXT, TIMESTAMP = "int", "text", "optional text", "timestamp"
TABLES: dict[str, dict[str, str]] = {
    "users": {
        "id": INT,
        "username": TEXT,
        "email": TEXT,
        "password_hash": TEXT,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "projects": {
        "id": INT,
        "name": TEXT,
        "description": OPTIONAL_TEXT,
        "owner_id": INT,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "project_members": {
        "id": INT,
        "project_id": INT,
        "user_id": INT,
        "role": TEXT,
        "created_at": TIMESTAMP,
    },
    "tasks": {
        "id": INT,
        "project_id": INT,
        "category": OPTIONAL_TEXT,
        "task_name": TEXT,
        "frequency": INT,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "task_executions": {
        "id": INT,
        "task_id": INT,
        "user_id": INT,
        "execution_date": TIMESTAMP,
        "created_at": TIMESTAMP,
    },
}
# What each table becomes here, for the report.
TARGETS = {
    "users": "accounts",
    "projects": "households",
    "project_members": "memberships",
    "tasks": "chores",
    "task_executions": "completions",
}
# Never copied into original_import_rows: after the first login the hash here is argon2id, and a
# bcrypt copy kept beside it would be the weaker target for anyone who reads the database.
NOT_KEPT = {"password_hash"}

NAME_MAX, CATEGORY_MAX = 100, 50
PASSWORD_HASH = re.compile(r"^(\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}|\$argon2id\$\S+)$")
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)

Row = dict[str, Any]


class SourceError(Exception):
    """The source cannot be read at all (unreachable, not the original's schema, bad dump)."""


@dataclass(frozen=True)
class Problem:
    """A source row that cannot be mapped; one is enough to refuse the whole import."""

    table: str
    id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.table}.id={self.id}" if self.id is not None else self.table
        return f"{where}: {self.reason}"


@dataclass
class Report:
    source: str
    time_zone: str
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    already: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    def lines(self) -> list[str]:
        if self.refused:
            outcome = "REFUSED: nothing was imported"
        elif self.dry_run:
            outcome = "dry run: nothing was written (the counts are what an import would do)"
        elif any(self.imported.values()):
            outcome = "imported"
        else:
            outcome = "nothing new: every row was imported before"
        out = [
            f"Import of the original app from {self.source} (times in {self.time_zone}): "
            f"{outcome} ({self.seconds:.2f} s)",
            f"{'original table':<18} {'rows':>8} {'imported':>9} {'already':>8}  here",
        ]
        for table in TABLES:
            out.append(
                f"{table:<18} {self.counts.get(table, 0):>8} {self.imported[table]:>9} "
                f"{self.already[table]:>8}  {TARGETS[table]}"
            )
        out.append("refresh_tokens, alembic_version: not imported (sessions start anew here)")
        if self.notes:
            out.append("Notes:")
            out += [f"  - {note}" for note in self.notes]
        if self.problems:
            out.append(f"{len(self.problems)} rows cannot be mapped; fix them in the original:")
            out += [f"  - {problem}" for problem in self.problems]
        return out


# --- reading the source -----------------------------------------------------------------------


def read_source(source: str, *, pg_restore: str | None = None) -> dict[str, list[Row]]:
    """The five tables of the original from a PostgreSQL URL or a pg_dump file (-Fc, -Ft, -Fd
    through pg_restore; -Fp read as is), rows ordered by id, values typed per TABLES."""
    if re.match(r"^postgres(ql)?(\+\w+)?://", source):
        raw = _read_database(source)
    else:
        raw = _read_dump(Path(source), pg_restore)
    return {table: sorted((_typed(table, row) for row in rows), key=_id) for table, rows in raw}


def _id(row: Row) -> int:
    value: int = row["id"]
    return value


def describe(source: str) -> str:
    """The source for the report, without a password."""
    if re.match(r"^postgres(ql)?(\+\w+)?://", source):
        try:
            return make_url(source).render_as_string(hide_password=True)
        except ArgumentError:
            return "a PostgreSQL URL"
    return source


def _read_database(url: str) -> Iterator[tuple[str, list[Row]]]:
    try:
        engine = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"),
            connect_args={"connect_timeout": 10},
        )
    except ArgumentError as error:
        raise SourceError(f"not a PostgreSQL URL: {error}") from None
    tables: list[tuple[str, list[Row]]] = []
    try:
        # One snapshot for all five tables: the old app may still be writing.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            for table, columns in TABLES.items():
                names = ", ".join(f'"{name}"' for name in columns)
                result = connection.execute(text(f'SELECT {names} FROM "{table}"'))  # noqa: S608
                tables.append((table, [dict(row) for row in result.mappings()]))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise SourceError(f"cannot read the original database: {reason}") from None
    finally:
        engine.dispose()
    return iter(tables)


def _pg_restore(explicit: str | None) -> str:
    found = explicit or shutil.which("pg_restore")
    if not found:
        raise SourceError(
            "this dump is in pg_dump's archive format (-Fc, -Ft or -Fd), which needs pg_restore "
            "16 or newer: put it on PATH or pass --pg-restore, or use a plain (-Fp) dump"
        )
    return found


def _is_archive(path: Path) -> bool:
    if path.is_dir():
        return True
    with path.open("rb") as stream:
        head = stream.read(512)
    return head.startswith(b"PGDMP") or head[257:262] == b"ustar"


def _read_dump(path: Path, pg_restore: str | None) -> Iterator[tuple[str, list[Row]]]:
    if not path.exists():
        raise SourceError(f"{path}: no such file (expected a PostgreSQL URL or a pg_dump file)")
    if _is_archive(path):
        # pg_restore turns an archive into the plain script without any server.
        result = subprocess.run(  # noqa: S603
            [_pg_restore(pg_restore), "--data-only", "--file=-", str(path)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise SourceError(f"pg_restore could not read {path}: {message}")
        script = result.stdout.decode()
    else:
        try:
            script = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"{path}: neither a pg_dump archive nor a plain SQL dump") from None
    # COPY escapes newlines in values, but not the other characters splitlines() would split on.
    found = _copy_blocks(script.split("\n"))
    missing = [table for table in TABLES if table not in found]
    if missing:
        raise SourceError(
            f"{path}: no data for {', '.join(missing)} (a dump of the original's database, "
            "made by pg_dump without --inserts, is expected)"
        )
    for table, (columns, lines) in found.items():
        absent = [name for name in TABLES[table] if name not in columns]
        if absent:
            raise SourceError(f"{path}: table {table} has no column {', '.join(absent)}")
        yield table, [dict(zip(columns, _copy_fields(line), strict=True)) for line in lines]


_COPY = re.compile(r'^COPY (?:"?public"?\.)?"?(\w+)"? \((.*)\) FROM stdin;$')


def _copy_blocks(lines: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The COPY ... FROM stdin blocks of the tables we read: columns and raw data lines."""
    blocks: dict[str, tuple[list[str], list[str]]] = {}
    index = 0
    while index < len(lines):
        match = _COPY.match(lines[index])
        index += 1
        if not match:
            continue
        table = match.group(1)
        columns = [name.strip().strip('"') for name in match.group(2).split(",")]
        data: list[str] = []
        while index < len(lines) and lines[index] != "\\.":
            data.append(lines[index])
            index += 1
        index += 1
        if table in TABLES:
            blocks[table] = (columns, data)
    return blocks


_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567":
        return chr(int(code, 8))
    return _ESCAPES.get(code, code)


def _copy_fields(line: str) -> list[str | None]:
    """One line of COPY's text format: tab-separated, \\N for NULL, backslash escapes."""
    return [None if raw == "\\N" else _ESCAPE.sub(_unescape, raw) for raw in line.split("\t")]


KIND_NAMES = {INT: "an integer", TIMESTAMP: "a timestamp"}


def _typed(table: str, row: Row) -> Row:
    typed: Row = {}
    for name, kind in TABLES[table].items():
        value = row.get(name)
        try:
            if isinstance(value, str) and kind == INT:
                value = int(value)
            elif isinstance(value, str) and kind == TIMESTAMP:
                value = datetime.fromisoformat(value)
        except ValueError:
            raise SourceError(
                f"{table} (id {row.get('id')}): {name} {value!r} is not {KIND_NAMES[kind]}"
            ) from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time())
        typed[name] = value
    return typed


# --- checking and importing -------------------------------------------------------------------


@dataclass
class _Plan:
    """What one run writes, checked before anything is: new rows per table, and what is here."""

    tables: dict[str, list[Row]]
    mapped: dict[str, dict[int, int | None]]
    zone: ZoneInfo
    today: date
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    emails: dict[int, str] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    ids: dict[str, set[int]] = field(default_factory=dict)

    def new(self, table: str) -> list[Row]:
        return [row for row in self.tables[table] if row["id"] not in self.mapped[table]]

    def refuse(self, table: str, row_id: int | None, reason: str) -> None:
        self.problems.append(Problem(table, row_id, reason))

    def aware(self, naive: datetime | None) -> datetime:
        """An instant of the original (naive, in its zone); an empty timestamp (the original's
        columns allow NULL) becomes the time of the import."""
        if naive is None:
            return utcnow()
        return naive.replace(tzinfo=self.zone) if naive.tzinfo is None else naive

    def known(self, table: str, row_id: int | None) -> bool:
        if table not in self.ids:
            self.ids[table] = {row["id"] for row in self.tables[table]}
        return row_id in self.ids[table]

    def target(self, table: str, row_id: int) -> int:
        """The id here of a row imported now or before (users, projects, tasks)."""
        target = self.mapped[table][row_id]
        assert target is not None
        return target


def import_original(
    db: Session,
    tables: dict[str, list[Row]],
    *,
    source: str,
    time_zone: str = "Asia/Tokyo",
    dry_run: bool = False,
    today: date | None = None,
) -> Report:
    """Imports the original's rows (from `read_source`) in one transaction of `db`: commits
    them, or rolls everything back when any row cannot be mapped or `dry_run` is set."""
    started = clock.perf_counter()
    report = Report(source=source, time_zone=time_zone, dry_run=dry_run)
    report.counts = {table: len(rows) for table, rows in tables.items()}
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        report.problems.append(Problem("--time-zone", None, f"unknown time zone {time_zone!r}"))
        return report
    try:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": IMPORT_LOCK_ID})
        mapped: dict[str, dict[int, int | None]] = {table: {} for table in TABLES}
        for table, source_id, target_id in db.execute(
            select(
                OriginalImportRow.source_table,
                OriginalImportRow.source_id,
                OriginalImportRow.target_id,
            )
        ):
            mapped.setdefault(table, {})[source_id] = target_id
        plan = _Plan(tables, mapped, zone, today or utcnow().astimezone(zone).date())
        _check(db, plan)
        report.notes, report.problems = plan.notes, plan.problems
        for table in TABLES:
            report.already[table] = sum(1 for row in tables[table] if row["id"] in mapped[table])
        if not plan.problems:
            report.imported = _write(db, plan)
        if plan.problems or dry_run:
            db.rollback()
        else:
            db.commit()
    except BaseException:
        db.rollback()
        raise
    report.seconds = clock.perf_counter() - started
    return report


def _check(db: Session, plan: _Plan) -> None:
    """Every reason a new row cannot be mapped, into plan.problems (nothing is written)."""
    _check_users(db, plan)
    for row in plan.new("projects"):
        if not plan.known("users", row["owner_id"]):
            plan.refuse("projects", row["id"], f"owner_id {row['owner_id']} is not in users")
        _check_text(plan, "projects", row, "name", NAME_MAX)
    _check_members(plan)
    for row in plan.new("tasks"):
        if not plan.known("projects", row["project_id"]):
            plan.refuse("tasks", row["id"], f"project_id {row['project_id']} is not in projects")
        frequency = row["frequency"]
        if frequency is None or not 1 <= frequency <= MAX_EVERY:
            plan.refuse(
                "tasks",
                row["id"],
                f"frequency {frequency} is not a number of days from 1 to {MAX_EVERY}",
            )
        _check_text(plan, "tasks", row, "task_name", NAME_MAX)
        if len((row["category"] or "").strip()) > CATEGORY_MAX:
            plan.refuse("tasks", row["id"], f"category is longer than {CATEGORY_MAX} characters")
    members = {(row["project_id"], row["user_id"]) for row in plan.tables["project_members"]}
    project_of = {row["id"]: row["project_id"] for row in plan.tables["tasks"]}
    outsiders: dict[int, int] = defaultdict(int)
    for row in plan.new("task_executions"):
        if not plan.known("tasks", row["task_id"]):
            plan.refuse("task_executions", row["id"], f"task_id {row['task_id']} is not in tasks")
        if not plan.known("users", row["user_id"]):
            plan.refuse("task_executions", row["id"], f"user_id {row['user_id']} is not in users")
        elif (
            plan.known("tasks", row["task_id"])
            and (project_of[row["task_id"]], row["user_id"]) not in members
        ):
            outsiders[row["user_id"]] += 1
        if row["execution_date"] is None:
            plan.refuse("task_executions", row["id"], "execution_date is empty")
    for user_id, count in sorted(outsiders.items()):
        plan.notes.append(
            f"users.id={user_id} did {count} completions in a project they are not a member of;"
            " imported as theirs"
        )
    _check_parents_still_here(db, plan)


def _check_text(plan: _Plan, table: str, row: Row, column: str, limit: int) -> None:
    value = (row[column] or "").strip()
    if not value:
        plan.refuse(table, row["id"], f"{column} is empty")
    elif len(value) > limit:
        plan.refuse(table, row["id"], f"{column} is longer than {limit} characters")


def _check_users(db: Session, plan: _Plan) -> None:
    by_email: dict[str, list[int]] = defaultdict(list)
    for row in plan.tables["users"]:
        try:
            email = _EMAIL.validate_python(row["email"] or "")
        except ValidationError:
            plan.refuse("users", row["id"], f"email {row['email']!r} is not an e-mail address")
            continue
        by_email[email].append(row["id"])
        plan.emails[row["id"]] = email
    for email, ids in by_email.items():
        if len(ids) > 1:
            for user_id in ids:
                others = ", ".join(str(other) for other in ids if other != user_id)
                plan.refuse(
                    "users",
                    user_id,
                    f"e-mail {email} is also the e-mail of users.id={others} (compared without "
                    "case, as logins are); keep one account in the original",
                )
    new = plan.new("users")
    for row in new:
        _check_text(plan, "users", row, "username", NAME_MAX)
        if not PASSWORD_HASH.match(row["password_hash"] or ""):
            plan.refuse("users", row["id"], "password_hash is not a bcrypt ($2b$) hash")
    wanted = {plan.emails[row["id"]]: row["id"] for row in new if row["id"] in plan.emails}
    for email in db.scalars(select(User.email).where(User.email.in_(list(wanted)))):
        plan.refuse(
            "users",
            wanted[email],
            f"an account with the e-mail {email} already exists here; the import never merges "
            "accounts (see README): delete or rename that account, then run again",
        )
    # Rows are recognised by their original ids: another database (a re-created original, a
    # copy of another household) would reuse them for other people. Its users tell.
    kept = db.execute(
        select(OriginalImportRow.source_id, OriginalImportRow.source).where(
            OriginalImportRow.source_table == "users"
        )
    )
    for user_id, source in kept:
        earlier = str(source.get("email", "")).strip().lower()
        if user_id in plan.emails and plan.emails[user_id] != earlier:
            plan.refuse(
                "users",
                user_id,
                f"was imported before with the e-mail {earlier}, and is {plan.emails[user_id]} "
                "now: is this the same original database as the last import?",
            )


def _check_members(plan: _Plan) -> None:
    best: dict[tuple[int, int], Role] = {}
    for row in plan.new("project_members"):
        problems = len(plan.problems)
        if not plan.known("projects", row["project_id"]):
            plan.refuse(
                "project_members", row["id"], f"project_id {row['project_id']} is not in projects"
            )
        if not plan.known("users", row["user_id"]):
            plan.refuse("project_members", row["id"], f"user_id {row['user_id']} is not in users")
        try:
            role = Role((row["role"] or "").strip().lower())
        except ValueError:
            plan.refuse(
                "project_members",
                row["id"],
                f"role {row['role']!r} is none of Admin, Member, Viewer (in any case)",
            )
            continue
        plan.roles[row["id"]] = role
        if len(plan.problems) > problems:
            continue
        pair = (row["project_id"], row["user_id"])
        if pair in best:
            kept = max(best[pair], role, key=lambda r: r.rank)
            plan.notes.append(
                f"project_members.id={row['id']}: users.id={row['user_id']} is listed twice in "
                f"projects.id={row['project_id']}; kept the higher role, {kept.value}"
            )
            best[pair] = kept
        else:
            best[pair] = role


def _check_parents_still_here(db: Session, plan: _Plan) -> None:
    """New rows of an earlier import's parents: the parent must still be here."""
    parents = (
        ("project_members", "project_id", "projects", Household),
        ("tasks", "project_id", "projects", Household),
        ("task_executions", "task_id", "tasks", Chore),
    )
    for table, column, parent_table, model in parents:
        wanted = {
            plan.mapped[parent_table][row[column]]
            for row in plan.new(table)
            if row[column] in plan.mapped[parent_table]
        }
        present = set(db.scalars(select(model.id).where(model.id.in_(wanted))))
        for row in plan.new(table):
            target = plan.mapped[parent_table].get(row[column])
            if row[column] in plan.mapped[parent_table] and target not in present:
                plan.refuse(
                    table,
                    row["id"],
                    f"its {parent_table}.id={row[column]} was imported before and has since been "
                    "deleted here",
                )


def _kept(row: Row) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in row.items()
        if name not in NOT_KEPT
    }


def _insert_returning_ids(db: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    return list(db.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _record(db: Session, table: str, pairs: Iterable[tuple[Row, int | None]]) -> None:
    now = utcnow()
    rows = [
        {
            "source_table": table,
            "source_id": row["id"],
            "target_id": target,
            "source": _kept(row),
            "imported_at": now,
        }
        for row, target in pairs
    ]
    if rows:
        db.execute(insert(OriginalImportRow), rows)


def _write(db: Session, plan: _Plan) -> dict[str, int]:
    """Inserts the new rows in bulk, records them, and recomputes the affected due dates."""
    created: dict[str, int] = {}
    ids = plan.mapped

    users = plan.new("users")
    user_ids = _insert_returning_ids(
        db,
        User,
        [
            {
                "email": plan.emails[row["id"]],
                "display_name": row["username"].strip(),
                "password_hash": row["password_hash"],
                "language": None,
                "created_at": plan.aware(row["created_at"]),
            }
            for row in users
        ],
    )
    _record(db, "users", zip(users, user_ids, strict=True))
    ids["users"].update({row["id"]: new for row, new in zip(users, user_ids, strict=True)})
    created["users"] = len(users)

    projects = plan.new("projects")
    household_ids = _insert_returning_ids(
        db,
        Household,
        [
            {
                "name": row["name"].strip(),
                "time_zone": plan.zone.key,
                "language": "ja",
                "created_at": plan.aware(row["created_at"]),
                "revision": new_revision(),
            }
            for row in projects
        ],
    )
    _record(db, "projects", zip(projects, household_ids, strict=True))
    ids["projects"].update(
        {row["id"]: new for row, new in zip(projects, household_ids, strict=True)}
    )
    created["projects"] = len(projects)
    new_households = set(household_ids)

    # Households imported before that get new rows now: a new revision, so that no cached read
    # of them survives (taken first, as every write of the app does: see models.revisions).
    touched = {
        plan.target("projects", row["project_id"])
        for row in [*plan.new("project_members"), *plan.new("tasks")]
    }
    earlier_tasks = {
        plan.target("tasks", row["task_id"])
        for row in plan.new("task_executions")
        if row["task_id"] in ids["tasks"]
    }
    touched |= set(db.scalars(select(Chore.household_id).where(Chore.id.in_(earlier_tasks))))
    touched -= new_households
    if touched:
        db.execute(
            update(Household)
            .where(Household.id.in_(sorted(touched)))
            .values(revision=new_revision())
        )

    created["project_members"] = _write_members(db, plan, projects, new_households)
    created["tasks"], created["task_executions"] = _write_chores(db, plan)
    return created


def _write_members(db: Session, plan: _Plan, projects: list[Row], new_households: set[int]) -> int:
    members = plan.new("project_members")
    wanted: dict[tuple[int, int], tuple[Role, datetime]] = {}
    for row in members:
        pair = (plan.target("projects", row["project_id"]), plan.target("users", row["user_id"]))
        role = plan.roles[row["id"]]
        if pair in wanted:
            role = max(role, wanted[pair][0], key=lambda r: r.rank)
        wanted[pair] = (role, plan.aware(row["created_at"]))
    # A household without an admin would have no one to manage it: its owner becomes one.
    for row in projects:
        household = plan.target("projects", row["id"])
        if not any(h == household and r == Role.ADMIN for (h, _), (r, _) in wanted.items()):
            owner = plan.target("users", row["owner_id"])
            was = wanted.get((household, owner))
            wanted[(household, owner)] = (Role.ADMIN, plan.aware(row["created_at"]))
            plan.notes.append(
                f"projects.id={row['id']} ({row['name'].strip()}) had no admin: its owner "
                f"users.id={row['owner_id']} became admin"
                + (f" (was {was[0].value})" if was else " (was not a member)")
            )
    existing = {
        (household, user)
        for household, user in db.execute(
            select(Membership.household_id, Membership.user_id).where(
                Membership.household_id.in_({h for h, _ in wanted} - new_households)
            )
        )
    }
    for household, user in sorted(existing & set(wanted)):
        plan.notes.append(
            f"users.id={user} here is already a member of household {household}: role kept"
        )
    rows = [
        {"household_id": h, "user_id": u, "role": role.value, "joined_at": joined}
        for (h, u), (role, joined) in wanted.items()
        if (h, u) not in existing
    ]
    if rows:
        db.execute(insert(Membership), rows)
    _record(db, "project_members", ((row, None) for row in members))
    return len(members)


def _write_chores(db: Session, plan: _Plan) -> tuple[int, int]:
    ids = plan.mapped
    tasks = plan.new("tasks")
    chore_rows = []
    for row in tasks:
        created = plan.aware(row["created_at"])
        chore_rows.append(
            {
                "household_id": plan.target("projects", row["project_id"]),
                "name": row["task_name"].strip(),
                "category": (row["category"] or "").strip(),
                "notes": "",
                "estimated_minutes": None,
                "points": 1,
                "archived": False,
                "recurrence": "interval",
                "every": row["frequency"],
                "unit": "day",
                "weekdays": "",
                "month_day": None,
                "anchor": "completion",
                "start_date": created.date(),
                "next_due": plan.today,
                "assignment": "none",
                "assignee_id": None,
                "created_at": created,
                "updated_at": plan.aware(row["updated_at"] or row["created_at"]),
            }
        )
    chore_ids = _insert_returning_ids(db, Chore, chore_rows)
    _record(db, "tasks", zip(tasks, chore_ids, strict=True))
    ids["tasks"].update({row["id"]: new for row, new in zip(tasks, chore_ids, strict=True)})

    executions = plan.new("task_executions")
    by_chore: dict[int, list[Row]] = defaultdict(list)
    for row in executions:
        by_chore[plan.target("tasks", row["task_id"])].append(row)
    chores = {
        chore.id: chore
        for chore in db.execute(
            select(Chore.id, Chore.household_id, Chore.every, Chore.start_date).where(
                Chore.id.in_(list(by_chore))
            )
        )
    }
    # Completions already here (an earlier import, or done in this app since): the due date
    # chain runs through them too.
    earlier: dict[int, list[datetime]] = defaultdict(list)
    for chore_id, done_at in db.execute(
        select(Completion.chore_id, Completion.done_at).where(
            Completion.chore_id.in_(list(by_chore)), Completion.kind == "done"
        )
    ):
        earlier[chore_id].append(done_at)

    completion_rows: list[dict[str, Any]] = []
    ordered: list[Row] = []
    next_due: dict[int, date] = {}
    for chore_id, rows in by_chore.items():
        chore = chores[chore_id]
        timeline: list[tuple[datetime, Row | None]] = [(at, None) for at in earlier[chore_id]]
        timeline += [(plan.aware(row["execution_date"]), row) for row in rows]
        timeline.sort(key=lambda item: (item[0], item[1]["id"] if item[1] else 0))
        due = chore.start_date
        for done_at, entry in timeline:
            done_on = local_date(done_at, plan.zone.key)
            if entry is not None:
                doer = plan.target("users", entry["user_id"])
                ordered.append(entry)
                completion_rows.append(
                    {
                        "household_id": chore.household_id,
                        "chore_id": chore_id,
                        "due_date": due,
                        "kind": "done",
                        "done_by": doer,
                        "done_at": done_at,
                        "recorded_by": doer,
                        "points": 1,
                        "minutes": 0,
                        "assignee_before": None,
                        "created_at": plan.aware(entry["created_at"] or entry["execution_date"]),
                    }
                )
            due = done_on + timedelta(days=chore.every)
        next_due[chore_id] = due
    completion_ids = _insert_returning_ids(db, Completion, completion_rows)
    _record(db, "task_executions", zip(ordered, completion_ids, strict=True))
    if next_due:
        # The plain table: one UPDATE by primary key per chore, no ORM bookkeeping. updated_at
        # stays the original's: a due date follows from the history, the chore did not change.
        chores_table = Chore.__table__
        db.execute(
            update(chores_table)  # type: ignore[arg-type]
            .where(chores_table.c.id == bindparam("chore_id"))
            .values(next_due=bindparam("due"), updated_at=chores_table.c.updated_at),
            [{"chore_id": chore_id, "due": due} for chore_id, due in next_due.items()],
        )
    return len(tasks), len(executions)


def run(
    db_factory: Callable[[], Session],
    source: str,
    *,
    time_zone: str,
    dry_run: bool,
    pg_restore: str | None = None,
) -> Report:
    """Reads the source and imports it: what the CLI does."""
    tables = read_source(source, pg_restore=pg_restore)
    with db_factory() as db:
        return import_original(
            db, tables, source=describe(source), time_zone=time_zone, dry_run=dry_run
        )
