"""What the reminder sender costs each minute with a large household (`make bench-reminders`).

    .venv/bin/python -m bench.reminders [--members 100] [--chores 5000]

Seeds PostgreSQL 16 (a throw-away local one, or TEST_DATABASE_URL) with one household of that
size, half of its chores with a due time, and every member's reminders on (15 minutes before,
nagging every 30 minutes, a digest at 07:00, quiet hours 22:00-06:00) to a JSON webhook on a
local HTTP receiver. Then runs the sender as the CronJob does, once for each minute from 06:55
to 09:05 of today (the digest and the morning's due times), and prints per run: the wall and CPU
time, the SQL statements and the messages sent. Last, one `python -m app.cli send-reminders`,
as the CronJob starts it, for the start-up's wall time and peak RSS.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.security import seal
from app.domain.reminders import local_moment
from app.models import Chore, Membership, ReminderSettings
from app.services import reminder_sender
from tests.support import databases
from tests.support.receivers import http_receiver
from tests.support.seed import seed_household

ZONE = "Asia/Tokyo"


def _seed(url: str, members: int, chores: int, receiver: str, settings: Settings) -> None:
    engine = create_engine(url)
    rng = random.Random(7)  # noqa: S311 (test data)
    with Session(engine) as db:
        seeded = seed_household(
            db,
            password_hash="-",  # noqa: S106 (nobody logs in)
            members=members,
            chores=chores,
            completions=0,
            time_zone=ZONE,
        )
        db.flush()
        ids = list(db.scalars(select(Chore.id).where(Chore.household_id == seeded.household_id)))
        today = datetime.now(ZoneInfo(ZONE)).date()
        # Half with a due time; a tenth of those due today, as on a busy morning.
        for index, chore_id in enumerate(rng.sample(ids, k=len(ids) // 2)):
            at = datetime.min.replace(hour=rng.choice((7, 8, 9, 18, 21))).time()
            values = {"due_time": at, **({"next_due": today} if index % 10 == 0 else {})}
            db.execute(update(Chore).where(Chore.id == chore_id).values(**values))
        user_ids = db.scalars(
            select(Membership.user_id).where(Membership.household_id == seeded.household_id)
        )
        db.add_all(
            ReminderSettings(
                household_id=seeded.household_id,
                user_id=user_id,
                scope="mine_and_anyone",
                before_minutes=15,
                nag_minutes=30,
                digest_hour=7,
                quiet_start=datetime.min.replace(hour=22).time(),
                quiet_end=datetime.min.replace(hour=6).time(),
                apprise_url=seal(settings.secret, f"json://{receiver}/hook"),
            )
            for user_id in user_ids
        )
        db.commit()
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--chores", type=int, default=5000)
    args = parser.parse_args()
    with databases.postgres_server() as admin_url, http_receiver() as receiver:
        url = databases.create_postgres_database(admin_url)
        databases.migrate(url)
        settings = Settings(database_url=url, environment="test", reminder_sender="off")
        _seed(url, args.members, args.chores, receiver.base, settings)
        engine = create_engine(url, pool_size=2)
        statements = [0]
        event.listen(
            engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
        )
        factory = sessionmaker(engine)
        today = datetime.now(ZoneInfo(ZONE)).date()
        start = local_moment(today, datetime.min.replace(hour=6, minute=55).time(), ZoneInfo(ZONE))
        runs = []
        for minute in range(131):
            now = start + timedelta(minutes=minute)
            statements[0] = 0
            wall, cpu = time.perf_counter(), time.process_time()
            report = reminder_sender.run_once(factory, settings, now)
            runs.append(
                (
                    now,
                    time.perf_counter() - wall,
                    time.process_time() - cpu,
                    statements[0],
                    report.sent,
                )
            )
        engine.dispose()
        busiest = sorted(runs, key=lambda run: run[1], reverse=True)[:3]
        print(f"{args.members} members, {args.chores} chores, {len(runs)} runs (06:55-09:05):")
        print(
            f"  wall per run: median {statistics.median(r[1] for r in runs) * 1000:.0f} ms, "
            f"max {max(r[1] for r in runs) * 1000:.0f} ms; CPU median "
            f"{statistics.median(r[2] for r in runs) * 1000:.0f} ms; statements median "
            f"{statistics.median(r[3] for r in runs):.0f}, max {max(r[3] for r in runs)}"
        )
        print(f"  messages: {sum(r[4] for r in runs)} sent, {len(receiver.requests)} received")
        for now, wall, cpu, count, sent in busiest:
            local = now.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")
            print(
                f"  busiest {local}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU, "
                f"{count} statements, {sent} sent"
            )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app.cli", "send-reminders"],
            env={**os.environ, "DATABASE_URL": url, "REMINDER_SENDER": "off"},
            check=False,
            capture_output=True,
        )
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"  one CronJob run (Python's start-up included): "
            f"{time.perf_counter() - started:.2f} s wall, peak RSS {rss:.0f} MiB"
        )
        databases.drop_postgres_database(admin_url, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
