"""The original app's database, built from the facts of issue 17 and seeded like production.

3 users (bcrypt hashes as passlib wrote them), one project with mixed-case roles, 66 tasks in 8
categories every 1 to 30 days, 790 executions over the last year; naive timestamps in Tokyo time.
"""

import os
import random
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import bcrypt
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from tests.support import databases

TOKYO = ZoneInfo("Asia/Tokyo")

SCHEMA = """
CREATE TABLE users (
    id serial PRIMARY KEY,
    username varchar(50) NOT NULL,
    email varchar(100) NOT NULL UNIQUE,
    password_hash varchar(255) NOT NULL,
    created_at timestamp without time zone DEFAULT now(),
    updated_at timestamp without time zone DEFAULT now()
);
CREATE TABLE projects (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL,
    description text,
    owner_id integer {fk_users},
    created_at timestamp without time zone DEFAULT now(),
    updated_at timestamp without time zone DEFAULT now()
);
CREATE TABLE project_members (
    id serial PRIMARY KEY,
    project_id integer {fk_projects},
    user_id integer {fk_users},
    role varchar(20) NOT NULL,
    created_at timestamp without time zone DEFAULT now()
);
CREATE TABLE tasks (
    id serial PRIMARY KEY,
    project_id integer {fk_projects},
    category varchar(100),
    task_name varchar(200) NOT NULL,
    frequency integer NOT NULL,
    created_at timestamp without time zone DEFAULT now(),
    updated_at timestamp without time zone DEFAULT now()
);
CREATE TABLE task_executions (
    id serial PRIMARY KEY,
    task_id integer {fk_tasks},
    user_id integer {fk_users},
    execution_date timestamp without time zone NOT NULL,
    created_at timestamp without time zone DEFAULT now()
);
CREATE TABLE refresh_tokens (
    id serial PRIMARY KEY,
    user_id integer {fk_users},
    token varchar(500) NOT NULL,
    expires_at timestamp without time zone NOT NULL,
    created_at timestamp without time zone DEFAULT now()
);
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
INSERT INTO alembic_version VALUES ('4f2c1b7a9d10');
"""

CATEGORIES = ("キッチン", "風呂", "トイレ", "リビング", "洗濯", "寝室", "玄関", "ゴミ")
TASKS = ("掃除", "片付け", "拭き掃除", "洗う", "補充", "点検", "整理", "水やり")


@dataclass(frozen=True)
class OriginalUser:
    id: int
    username: str
    email: str
    password: str


# One e-mail in mixed case, as the original stored what people typed.
USERS = (
    OriginalUser(1, "たろう", "taro@example.jp", "taro-no-himitsu-2023"),
    OriginalUser(2, "Hanako", "Hanako.Yamada@Example.JP", "hanako\tpass word 🌸"),
    OriginalUser(3, "じろう", "jiro@example.jp", "x" * 80),  # longer than bcrypt's 72 bytes
)


def create_schema(connection: Connection, *, foreign_keys: bool = True) -> None:
    def fk(table: str) -> str:
        return f"REFERENCES {table}(id)" if foreign_keys else ""

    connection.execute(
        text(SCHEMA.format(fk_users=fk("users"), fk_projects=fk("projects"), fk_tasks=fk("tasks")))
    )


def bcrypt_hash(password: str, rounds: int = 4) -> str:
    # passlib's bcrypt handler: $2b$, and passwords cut at 72 bytes.
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds, prefix=b"2b")).decode()


def tokyo_now() -> datetime:
    return datetime.now(TOKYO).replace(tzinfo=None, microsecond=0)


def seed_production(connection: Connection, *, seed: int = 17, scale: int = 1) -> None:
    """The production household: 3 users, 66 tasks, 790 executions over the last 365 days.

    `scale` copies of it (for measuring): copy k > 0 has its own project, users (e-mails with a
    +k suffix), tasks and executions; copy 0 is the production household itself.
    """
    rng = random.Random(seed)
    now = tokyo_now()
    year_ago = now - timedelta(days=365)
    users, projects, members, tasks, executions = [], [], [], [], []
    for copy in range(scale):
        suffix = f"+{copy}" if copy else ""
        user_ids = [copy * len(USERS) + user.id for user in USERS]
        for user, user_id in zip(USERS, user_ids, strict=True):
            local, domain = user.email.split("@")
            users.append(
                {
                    "id": user_id,
                    "username": user.username,
                    "email": f"{local}{suffix}@{domain}",
                    # passlib's default cost for one account, a cheap one for the others.
                    "hash": bcrypt_hash(user.password, 12 if user_id == 1 else 4),
                    "at": year_ago - timedelta(days=10),
                }
            )
        project_id = copy + 1
        projects.append(
            {
                "id": project_id,
                "name": "山田家" if not copy else f"山田家 {copy}",
                "owner": user_ids[0],
                "at": year_ago - timedelta(days=9),
            }
        )
        for offset, role in enumerate(("Admin", "member", "Member")):
            members.append(
                {
                    "id": copy * 3 + offset + 1,
                    "project": project_id,
                    "user": user_ids[offset],
                    "role": role,
                    "at": year_ago - timedelta(days=8),
                }
            )
        first_task = copy * 66
        for number in range(1, 67):
            # One name with a backslash, so that the dumps' COPY escapes are exercised.
            name = f"{rng.choice(TASKS)} {number}" + (" C:\\tmp" if number == 5 else "")
            tasks.append(
                {
                    "id": first_task + number,
                    "project": project_id,
                    "category": CATEGORIES[number % len(CATEGORIES)],
                    "name": name,
                    "frequency": rng.randint(1, 30),
                    "at": year_ago - timedelta(days=7, minutes=number),
                }
            )
        # Tasks 61-66 were never done: due in every window.
        for number in range(1, 791):
            at = year_ago + timedelta(seconds=rng.randint(0, 365 * 86400 - 60))
            executions.append(
                {
                    "id": copy * 790 + number,
                    "task": first_task + rng.randint(1, 60),
                    "user": rng.choice(user_ids[:2] * 2 + user_ids[2:]),
                    "at": at,
                    "created": at + timedelta(seconds=rng.randint(0, 30)),
                }
            )
    statements = (
        (
            "INSERT INTO users (id, username, email, password_hash, created_at, updated_at)"
            " VALUES (:id, :username, :email, :hash, :at, :at)",
            users,
        ),
        (
            "INSERT INTO projects (id, name, description, owner_id, created_at, updated_at)"
            " VALUES (:id, :name, E'家族の\\n家事\\tぜんぶ', :owner, :at, :at)",
            projects,
        ),
        (
            "INSERT INTO project_members (id, project_id, user_id, role, created_at)"
            " VALUES (:id, :project, :user, :role, :at)",
            members,
        ),
        (
            "INSERT INTO tasks (id, project_id, category, task_name, frequency, created_at,"
            " updated_at) VALUES (:id, :project, :category, :name, :frequency, :at, :at)",
            tasks,
        ),
        (
            "INSERT INTO task_executions (id, task_id, user_id, execution_date, created_at)"
            " VALUES (:id, :task, :user, :at, :created)",
            executions,
        ),
    )
    for statement, rows in statements:
        connection.execute(text(statement), rows)
    connection.execute(
        text("INSERT INTO refresh_tokens (user_id, token, expires_at) VALUES (1, 'eyJ.old', :at)"),
        {"at": now + timedelta(days=7)},
    )
    for table in ("users", "projects", "project_members", "tasks", "task_executions"):
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )


def build(url: str, *, scale: int = 1) -> None:
    """The original's schema, seeded with `scale` production households."""
    engine = create_engine(url)
    with engine.begin() as connection:
        create_schema(connection)
        seed_production(connection, scale=scale)
    engine.dispose()


def original_due(url: str, end: date) -> set[str]:
    """The original's "not yet done" rule up to the end of day `end`: never done, or the last
    execution + frequency days on or before it (overdue included)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT t.task_name FROM tasks t LEFT JOIN (SELECT task_id,"
                " max(execution_date) AS last FROM task_executions GROUP BY task_id) e"
                " ON e.task_id = t.id"
                " WHERE e.last IS NULL OR e.last + t.frequency * interval '1 day'"
                " < CAST(:end AS date) + interval '1 day'"
            ),
            {"end": end},
        ).scalars()
        result = set(names)
    engine.dispose()
    return result


def who_did_what(url: str, start: date, end: date) -> dict[str, int]:
    """The original's chart: executions per member between two Tokyo days, both included."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT u.username, count(e.id) FROM users u JOIN project_members m"
                " ON m.user_id = u.id AND m.project_id = 1 LEFT JOIN task_executions e"
                " ON e.user_id = u.id AND e.execution_date >= :start"
                " AND e.execution_date < CAST(:end AS date) + interval '1 day'"
                " GROUP BY u.username"
            ),
            {"start": start, "end": end},
        ).all()
    engine.dispose()
    return dict(rows)  # type: ignore[arg-type]


def dump(url: str, path: Path, dump_format: str) -> Path:
    """`pg_dump -F<format>` of the database at `url` (a Unix socket or TCP server) into `path`,
    with the PostgreSQL 16 binaries of the pgserver wheel."""
    parsed = make_url(url)
    host = parsed.query.get("host", parsed.host)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    subprocess.run(
        [
            str(databases.postgres_binaries() / "pg_dump"),
            f"-F{dump_format}",
            "-f",
            str(path),
            "-h",
            str(host),
            *(["-p", str(parsed.port)] if parsed.port else []),
            "-U",
            str(parsed.username),
            str(parsed.database),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return path
