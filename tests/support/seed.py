"""Seeded households shaped like the real one (3 members, 66 chores, 790 completions in a year).

Rows are written in bulk so the benchmark can reuse this for 5,000 chores and 500,000
completions; every chore's next due date and assignee are then what the app itself would have
computed from its latest history entry.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.domain.recurrence import Rule, first_due, next_due
from app.domain.rotation import next_assignee
from app.models import Chore, ChoreMember, Completion, Household, Membership, Role, User

CATEGORIES = (
    "キッチン",
    "風呂",
    "トイレ",
    "リビング",
    "洗濯",
    "寝室",
    "玄関",
    "庭",
    "ゴミ",
    "買い物",
)
TASKS = ("掃除", "片付け", "拭き掃除", "洗う", "補充", "点検", "整理", "ゴミ出し", "水やり", "換気")
# (rule, weight): the original app's "every N days" chores dominate, as in the real data.
RULES: tuple[tuple[Rule, int], ...] = (
    (Rule("interval", every=1, anchor="completion"), 3),
    (Rule("interval", every=2, anchor="completion"), 3),
    (Rule("interval", every=3, anchor="completion"), 4),
    (Rule("interval", every=7, anchor="completion"), 6),
    (Rule("interval", every=14, anchor="completion"), 3),
    (Rule("interval", every=30, anchor="completion"), 3),
    (Rule("interval", every=1, unit="month", anchor="schedule"), 1),
    (Rule("weekly", weekdays=(1, 4)), 2),
    (Rule("weekly", weekdays=(6,)), 2),
    (Rule("monthly", month_day=31), 1),
    (Rule("once"), 1),
)
ASSIGNMENTS = ("none", "fixed", "round_robin", "least_done")


@dataclass
class Seeded:
    household_id: int
    user_ids: list[int]
    emails: list[str]
    chore_ids: list[int] = field(default_factory=list)
    completions: int = 0


def seed_household(
    db: Session,
    *,
    password_hash: str,
    members: int = 3,
    chores: int = 66,
    completions: int = 790,
    days: int = 365,
    seed: int = 1,
    time_zone: str = "Asia/Tokyo",
    label: str = "seed",
) -> Seeded:
    rng = random.Random(seed)
    zone = ZoneInfo(time_zone)
    now = utcnow()
    today = now.astimezone(zone).date()
    household = Household(name=f"{label} household", time_zone=time_zone, language="ja")
    db.add(household)
    db.flush()
    emails = [f"{label}-{i}@example.jp" for i in range(members)]
    user_ids = list(
        db.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "email": email,
                    "display_name": f"{label} member {i + 1}",
                    "password_hash": password_hash,
                    "language": "ja",
                    "created_at": now,
                }
                for i, email in enumerate(emails)
            ],
        )
    )
    db.execute(
        insert(Membership),
        [
            {
                "household_id": household.id,
                "user_id": user_id,
                "role": Role.ADMIN if i == 0 else Role.MEMBER,
                "joined_at": now,
            }
            for i, user_id in enumerate(user_ids)
        ],
    )
    rules = [rule for rule, _ in RULES]
    weights = [weight for _, weight in RULES]
    start = today - timedelta(days=days)
    chore_rows = []
    for i in range(chores):
        rule = rng.choices(rules, weights)[0]
        mode = rng.choice(ASSIGNMENTS)
        rotation = (
            []
            if mode == "none"
            else [rng.choice(user_ids)]
            if mode == "fixed"
            else rng.sample(user_ids, k=min(len(user_ids), rng.randint(2, 3)))
        )
        chore_rows.append(
            {
                "household_id": household.id,
                "name": f"{rng.choice(TASKS)} {i + 1}",
                "category": rng.choice(CATEGORIES),
                "notes": "",
                "estimated_minutes": rng.choice((None, 5, 10, 15, 30, 60)),
                "points": rng.randint(1, 5),
                "archived": False,
                "recurrence": rule.kind,
                "every": rule.every,
                "unit": rule.unit,
                "weekdays": ",".join(map(str, rule.weekdays)),
                "month_day": rule.month_day,
                "anchor": rule.anchor,
                "start_date": first_due(rule, start),
                "next_due": first_due(rule, start),
                "assignment": mode,
                "assignee_id": rotation[0] if rotation else None,
                "created_at": now - timedelta(days=days),
                "updated_at": now,
                "_rule": rule,
                "_rotation": rotation,
            }
        )
    chore_ids = list(
        db.scalars(
            insert(Chore).returning(Chore.id, sort_by_parameter_order=True),
            [{k: v for k, v in row.items() if not k.startswith("_")} for row in chore_rows],
        )
    )
    rotation_rows = [
        {"chore_id": chore_id, "user_id": user_id, "position": position}
        for chore_id, row in zip(chore_ids, chore_rows, strict=True)
        for position, user_id in enumerate(row["_rotation"])
    ]
    if rotation_rows:
        db.execute(insert(ChoreMember), rotation_rows)

    # Completions: replay each chore's history in time order, as the app would have recorded it.
    instants = sorted(
        now - timedelta(seconds=rng.uniform(60, days * 86400)) for _ in range(completions)
    )
    state = {
        chore_id: {"due": row["next_due"], "assignee": row["assignee_id"], "counts": {}}
        for chore_id, row in zip(chore_ids, chore_rows, strict=True)
    }
    recurring = [
        (chore_id, row)
        for chore_id, row in zip(chore_ids, chore_rows, strict=True)
        if row["recurrence"] != "once"
    ]
    batch: list[dict[str, object]] = []
    for done_at in instants:
        chore_id, row = rng.choice(recurring)
        current = state[chore_id]
        rule: Rule = row["_rule"]
        kind = "skipped" if rng.random() < 0.05 else "done"
        doer = current["assignee"] or rng.choice(user_ids)
        if rng.random() < 0.2:
            doer = rng.choice(user_ids)
        done_on = done_at.astimezone(zone).date()
        batch.append(
            {
                "household_id": household.id,
                "chore_id": chore_id,
                "due_date": current["due"],
                "kind": kind,
                "done_by": doer,
                "done_at": done_at,
                "recorded_by": doer,
                "points": row["points"] if kind == "done" else 0,
                "minutes": (row["estimated_minutes"] or 0) if kind == "done" else 0,
                "assignee_before": current["assignee"],
                "created_at": done_at,
            }
        )
        if kind == "done":
            current["counts"][doer] = current["counts"].get(doer, 0) + 1
        current["due"] = next_due(
            rule, start=row["start_date"], scheduled=current["due"], done_on=done_on
        )
        current["assignee"] = next_assignee(
            row["assignment"], row["_rotation"], current["assignee"], current["counts"]
        )
        if len(batch) >= 10_000:
            db.execute(insert(Completion), batch)
            batch = []
    if batch:
        db.execute(insert(Completion), batch)
    chores_table = Chore.__table__
    db.execute(
        update(chores_table)
        .where(chores_table.c.id == bindparam("chore_id"))
        .values(next_due=bindparam("due"), assignee_id=bindparam("assignee")),
        [
            {"chore_id": chore_id, "due": current["due"], "assignee": current["assignee"]}
            for chore_id, current in state.items()
        ],
    )
    db.commit()
    return Seeded(
        household_id=household.id,
        user_ids=user_ids,
        emails=emails,
        chore_ids=chore_ids,
        completions=completions,
    )


def local_noon(day: date, time_zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
