"""Under `make run` the app process sends the reminders itself. Two processes on the same SQLite
file (a second `make run`, or uvicorn with two workers) never both send: one holds the sender's
lock, and the message arrives once."""

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.core.config import DEVELOPMENT_SECRET_KEY
from app.core.security import seal
from app.models import Chore, Household, Membership, ReminderSettings, Role, User
from tests.support import databases
from tests.support.receivers import HttpReceiver, http_receiver
from tests.support.servers import uvicorn

TOKYO = ZoneInfo("Asia/Tokyo")


def seed_due_now(url: str, receiver: HttpReceiver) -> None:
    """A chore due a minute ago, and a member reminded at its due time at the receiver."""
    due = datetime.now(TOKYO) - timedelta(minutes=1)
    engine = create_engine(url)
    with Session(engine) as db:
        user = User(email="a@example.jp", display_name="A", password_hash="-", language="ja")
        household = Household(name="Home", time_zone="Asia/Tokyo", language="ja")
        db.add_all([user, household])
        db.flush()
        db.add(Membership(household_id=household.id, user_id=user.id, role=Role.ADMIN))
        db.add(
            Chore(
                household_id=household.id,
                name="ゴミ出し",
                recurrence="interval",
                start_date=due.date(),
                next_due=due.date(),
                due_time=due.time().replace(second=0, microsecond=0),
            )
        )
        db.add(
            ReminderSettings(
                household_id=household.id,
                user_id=user.id,
                scope="all",
                before_minutes=0,
                apprise_url=seal(DEVELOPMENT_SECRET_KEY.encode(), f"json://{receiver.base}/h"),
            )
        )
        db.commit()
    engine.dispose()


@pytest.mark.slow
def test_two_app_processes_on_one_sqlite_file_send_a_reminder_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'household.db'}"
    databases.migrate(url)
    # As `make run` starts it: development, the sender in the process.
    development = {"ENVIRONMENT": "development", "REMINDER_SENDER": "in-process"}
    with http_receiver() as receiver:
        seed_due_now(url, receiver)
        logs = [tmp_path / "first.log", tmp_path / "second.log"]
        with (
            logs[0].open("wb") as first_log,
            logs[1].open("wb") as second_log,
            uvicorn(url, extra_env=development, stderr=first_log),
            uvicorn(url, extra_env=development, stderr=second_log),
        ):
            deadline = time.monotonic() + 20
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2)  # the other process had as long
        [request] = receiver.requests
        assert json.loads(request.body)["title"].startswith("ゴミ出し ")
        said = "".join(log.read_text() for log in logs)
        assert said.count("another process sends them") == 1
