"""The reminder sender: each run plans the messages whose time has come, claims them, sends
them and records the outcome. In the cluster a CronJob runs it every minute
(`python -m app.cli send-reminders`); under `make run` a thread of the app does.

Exactly once, whoever runs it and however often:
- planning inserts one ledger row per (household, member, message, channel): the unique
  constraint makes a second sender's insert of the same row a no-op;
- a claim moves rows from `pending` to `sending` in one UPDATE ... RETURNING, and only the
  sender whose UPDATE changed a row sends it (PostgreSQL re-checks the WHERE of a row another
  transaction changed first);
- a row left in `sending` (its sender crashed while sending) is never sent again: it becomes
  `failed`, which the member sees, rather than risk a duplicate.
A failed delivery is retried with back-off, MAX_ATTEMPTS times, and then shown as failed.
"""

import fcntl
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import utcnow
from app.domain import reminders as rules
from app.models import (
    Chore,
    Household,
    HouseholdChannel,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from app.services import household_channel, notifier
from app.services.reminders import apprise_url, vapid_keys

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim older than this whose sender never recorded the outcome: that sender is gone.
INTERRUPTED_AFTER = timedelta(minutes=10)
# Receivers are slow one by one (a mail server's greeting, a push service's round trip).
SENDING_THREADS = 8
# The ledger's rows are kept this long (the member's recent failures are read from them).
KEEP_FOR = timedelta(days=14)


@dataclass
class RunReport:
    planned: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    dropped: int = 0
    interrupted: int = 0

    def line(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


@dataclass(frozen=True, slots=True)
class _Member:
    household_id: int
    preferences: rules.Preferences
    zone: ZoneInfo
    language: str
    channels: list[tuple[str, int | None]] = field(default_factory=list)


def run_once(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> RunReport:
    now = now or utcnow()
    report = RunReport()
    with session_factory() as db:
        report.planned = _plan(db, settings, now)
        report.interrupted = _give_up_interrupted(db, now)
        _forget_old(db, now)
        db.commit()
    with session_factory() as db:
        claimed = _claim(db, now)
        db.commit()
        if claimed:
            _send_claimed(db, settings, claimed, now, report)
    return report


def _plan(db: Session, settings: Settings, now: datetime) -> int:
    members = _members(db, settings)
    if not members:
        return 0
    household_ids = {member.household_id for member in members}
    latest_today = max((now.astimezone(m.zone).date() for m in members), default=now.date())
    chores: dict[int, list[rules.DueChore]] = defaultdict(list)
    for row in db.execute(
        select(
            Chore.household_id,
            Chore.id,
            Chore.name,
            Chore.next_due,
            Chore.due_time,
            Chore.assignee_id,
        ).where(
            Chore.household_id.in_(household_ids),
            Chore.archived.is_(False),
            Chore.next_due.is_not(None),
            # A reminder may come a day ahead of a chore due early tomorrow.
            Chore.next_due <= latest_today + timedelta(days=1),
        )
    ):
        chores[row.household_id].append(
            rules.DueChore(row.id, row.name, row.next_due, row.due_time, row.assignee_id)
        )
    existing = set(
        db.execute(
            select(
                ReminderDelivery.household_id,
                ReminderDelivery.user_id,
                ReminderDelivery.key,
                ReminderDelivery.channel,
            ).where(
                ReminderDelivery.household_id.in_(household_ids),
                ReminderDelivery.created_at >= now - rules.CATCH_UP - timedelta(days=1),
            )
        ).tuples()
    )
    rows = []
    for member in members:
        user_id = member.preferences.user_id
        for planned in rules.plan(
            member.preferences, chores[member.household_id], member.zone, now
        ):
            message = rules.render(planned, member.language)
            for channel, subscription_id in member.channels:
                if (member.household_id, user_id, planned.key, channel) in existing:
                    continue
                rows.append(
                    {
                        "household_id": member.household_id,
                        "user_id": user_id,
                        "key": planned.key,
                        "channel": channel,
                        "subscription_id": subscription_id,
                        "chore_id": planned.chore.id if planned.chore else None,
                        "due_date": planned.chore.next_due if planned.chore else None,
                        "title": message.title[:200],
                        "body": message.body,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    if rows:
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.execute(
            insert(ReminderDelivery).on_conflict_do_nothing(
                index_elements=["household_id", "user_id", "key", "channel"]
            ),
            rows,
        )
    return len(rows)


def _members(db: Session, settings: Settings) -> list[_Member]:
    """Everyone with a reminder chosen and somewhere to send it."""
    rows = db.execute(
        select(ReminderSettings, Household.time_zone, Household.language, User.language)
        .join(Household, Household.id == ReminderSettings.household_id)
        .join(User, User.id == ReminderSettings.user_id)
        .where(
            or_(
                ReminderSettings.before_minutes.is_not(None),
                ReminderSettings.digest_hour.is_not(None),
                ReminderSettings.nag_minutes.is_not(None),
            )
        )
    ).all()
    pushes: dict[int, list[int]] = defaultdict(list)
    if rows and vapid_keys(settings) is not None:
        for subscription_id, user_id in db.execute(
            select(PushSubscription.id, PushSubscription.user_id).where(
                PushSubscription.user_id.in_({row[0].user_id for row in rows})
            )
        ):
            pushes[user_id].append(subscription_id)
    members = _household_channels(db)
    for choices, time_zone, household_language, user_language in rows:
        channels: list[tuple[str, int | None]] = [
            (f"push:{subscription_id}", subscription_id)
            for subscription_id in pushes[choices.user_id]
        ]
        if choices.apprise_url is not None:
            channels.append(("apprise", None))
        if channels:
            members.append(
                _Member(
                    choices.household_id,
                    rules.Preferences(
                        choices.user_id,
                        choices.scope,
                        choices.before_minutes,
                        choices.digest_hour,
                        choices.nag_minutes,
                        choices.quiet_start,
                        choices.quiet_end,
                    ),
                    ZoneInfo(time_zone),
                    user_language or household_language,
                    channels,
                )
            )
    return members


def _household_channels(db: Session) -> list[_Member]:
    """Each household channel, as a member who chose only the digest of every chore."""
    return [
        _Member(
            channel.household_id,
            rules.Preferences(
                channel.created_by, "all", None, channel.digest_hour, None, None, None
            ),
            ZoneInfo(time_zone),
            language,
            [(household_channel.CHANNEL, None)],
        )
        for channel, time_zone, language in db.execute(
            select(HouseholdChannel, Household.time_zone, Household.language).join(
                Household, Household.id == HouseholdChannel.household_id
            )
        )
    ]


def _give_up_interrupted(db: Session, now: datetime) -> int:
    result = db.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.status == "sending",
            ReminderDelivery.claimed_at < now - INTERRUPTED_AFTER,
        )
        .values(status="failed", error="The sender stopped while sending; not sent again")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _forget_old(db: Session, now: datetime) -> None:
    db.execute(
        delete(ReminderDelivery)
        .where(ReminderDelivery.created_at < now - KEEP_FOR)
        .execution_options(synchronize_session=False)
    )


def _claim(db: Session, now: datetime) -> list[Any]:
    return list(
        db.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.status == "pending", ReminderDelivery.next_attempt_at <= now)
            .values(status="sending", claimed_at=now, attempts=ReminderDelivery.attempts + 1)
            .returning(
                ReminderDelivery.id,
                ReminderDelivery.household_id,
                ReminderDelivery.user_id,
                ReminderDelivery.key,
                ReminderDelivery.channel,
                ReminderDelivery.subscription_id,
                ReminderDelivery.chore_id,
                ReminderDelivery.due_date,
                ReminderDelivery.title,
                ReminderDelivery.body,
                ReminderDelivery.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    )


def _send_claimed(
    db: Session, settings: Settings, claimed: list[Any], now: datetime, report: RunReport
) -> None:
    still_due = _still_due(db, claimed)
    outbox = [row for row in claimed if row.chore_id is None or row.id in still_due]
    dropped = [row.id for row in claimed if row not in outbox]
    if dropped:
        db.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id.in_(dropped))
            .values(status="dropped", error=None)
            .execution_options(synchronize_session=False)
        )
        report.dropped = len(dropped)
    senders = _senders(db, settings, outbox)
    with ThreadPoolExecutor(SENDING_THREADS) as pool:
        outcomes = list(pool.map(lambda row: senders(row), outbox))
    gone: set[int] = set()
    changes: list[dict[str, Any]] = []
    for row, outcome in zip(outbox, outcomes, strict=True):
        if outcome.ok:
            changes.append({"id": row.id, "status": "sent", "sent_at": utcnow(), "error": None})
            report.sent += 1
        elif row.attempts < MAX_ATTEMPTS and not outcome.gone:
            backoff = timedelta(minutes=2 ** (row.attempts - 1))
            changes.append(
                {
                    "id": row.id,
                    "status": "pending",
                    "next_attempt_at": now + backoff,
                    "error": outcome.error,
                }
            )
            report.retrying += 1
        else:
            changes.append({"id": row.id, "status": "failed", "error": outcome.error})
            report.failed += 1
        if outcome.gone and row.subscription_id is not None:
            gone.add(row.subscription_id)
    # By primary key, one executemany per set of columns (not a statement per message).
    for columns in {tuple(change) for change in changes}:
        db.execute(update(ReminderDelivery), [c for c in changes if tuple(c) == columns])
    if gone:
        # The browser unsubscribed or the push service forgot it: nothing will reach it again.
        db.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
    db.commit()


def _still_due(db: Session, claimed: list[Any]) -> set[int]:
    """The claimed chore messages whose occurrence is still the chore's next, unarchived: a
    chore done, skipped or archived since it was planned gets no reminder."""
    chore_rows = {row.chore_id for row in claimed if row.chore_id is not None}
    if not chore_rows:
        return set()
    current = dict(
        db.execute(
            select(Chore.id, Chore.next_due).where(
                Chore.id.in_(chore_rows), Chore.archived.is_(False)
            )
        ).all()
    )
    return {
        row.id
        for row in claimed
        if row.chore_id is not None and current.get(row.chore_id) == row.due_date
    }


def _senders(
    db: Session, settings: Settings, outbox: list[Any]
) -> Callable[[Any], notifier.Outcome]:
    """One function sending any row of the outbox, with its channel's address read once."""
    pairs = {(row.household_id, row.user_id) for row in outbox if row.channel == "apprise"}
    urls = (
        {
            (choices.household_id, choices.user_id): apprise_url(settings, choices)
            for choices in db.scalars(
                select(ReminderSettings).where(
                    tuple_(ReminderSettings.household_id, ReminderSettings.user_id).in_(pairs)
                )
            )
        }
        if pairs
        else {}
    )
    households = {row.household_id for row in outbox if row.channel == household_channel.CHANNEL}
    household_urls = (
        {
            channel.household_id: household_channel.url_of(settings, channel)
            for channel in db.scalars(
                select(HouseholdChannel).where(HouseholdChannel.household_id.in_(households))
            )
        }
        if households
        else {}
    )
    wanted = {row.subscription_id for row in outbox if row.subscription_id is not None}
    subscriptions = (
        {
            subscription.id: notifier.PushTarget(
                subscription.endpoint, subscription.p256dh, subscription.auth
            )
            for subscription in db.scalars(
                select(PushSubscription).where(PushSubscription.id.in_(wanted))
            )
        }
        if wanted
        else {}
    )
    keys = vapid_keys(settings)

    def send(row: Any) -> notifier.Outcome:
        if row.channel == household_channel.CHANNEL:
            url = household_urls.get(row.household_id)
            if url is None:
                return notifier.Outcome(ok=False, error="No household channel (removed)")
            return notifier.send_apprise(url, row.title, row.body)
        if row.channel == "apprise":
            url = urls.get((row.household_id, row.user_id))
            if url is None:
                return notifier.Outcome(
                    ok=False, error="No notification URL (removed, or the server's key changed)"
                )
            return notifier.send_apprise(url, row.title, row.body)
        target = subscriptions.get(row.subscription_id)
        if target is None or keys is None:
            return notifier.Outcome(ok=False, error="The browser's subscription is gone", gone=True)
        return notifier.send_push(keys, target, _push_payload(row))

    return send


def _push_payload(row: Any) -> dict[str, Any]:
    """What the service worker shows; for a chore it adds a 完了 action, which completes it."""
    payload: dict[str, Any] = {"title": row.title, "body": row.body, "tag": row.key}
    if row.chore_id is not None:
        payload |= {
            "household_id": row.household_id,
            "chore_id": row.chore_id,
            "due_date": date.isoformat(row.due_date),
        }
    return payload


# Under `make run`: a thread of the app sends, in one process at a time.


@contextmanager
def _only_process(engine: Engine) -> Iterator[bool]:
    """Whether this process is the one that sends: an advisory lock on PostgreSQL (held by a
    connection of its own), a file lock beside SQLite's file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            mine = connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": SENDER_LOCK_ID}
            )
            connection.commit()
            yield bool(mine)
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True  # a database no other process can open
        return
    with open(f"{database}.reminder-sender.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


SENDER_LOCK_ID = 0x48544D52  # "HTMR"


def start_in_process(
    session_factory: sessionmaker[Session], settings: Settings, engine: Engine
) -> threading.Event:
    """Runs the sender every minute in a daemon thread until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        with _only_process(engine) as mine:
            if not mine:
                log.info("reminders: another process sends them")
                return
            while not stop.is_set():
                try:
                    report = run_once(session_factory, settings)
                    if report.planned or report.sent or report.failed:
                        log.info("reminders: %s", report.line())
                except Exception:  # a bad minute must not end the reminders for good
                    log.exception("reminders: the run failed")
                stop.wait(60 - utcnow().second)

    threading.Thread(target=loop, name="reminder-sender", daemon=True).start()
    return stop
