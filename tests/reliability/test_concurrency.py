"""20 clients completing and undoing the same chores at once: nothing lost, nothing doubled.

After the storm, each chore's history is replayed serially through the recurrence and rotation
rules; every entry must chain from the one before it, and the chore must end exactly where the
replay ends. The responses tell how many completions and undos succeeded; the history must hold
exactly their difference.
"""

import random
import threading
from collections import Counter
from datetime import datetime

import httpx

from app.domain.recurrence import Rule, local_date, next_due
from app.domain.rotation import next_assignee
from tests.reliability.conftest import login, register
from tests.support.servers import uvicorn

CLIENTS = 20
OPERATIONS = 12
RULES = [
    {"kind": "interval", "every": 1, "unit": "day", "anchor": "completion"},
    {"kind": "interval", "every": 3, "unit": "day", "anchor": "schedule"},
    {"kind": "weekly", "weekdays": [2, 5], "anchor": "schedule"},
    {"kind": "monthly", "month_day": 31, "anchor": "completion"},
]
MODES = ["round_robin", "least_done", "fixed", "none"]


def test_concurrent_completions_and_undos_match_a_serial_replay(postgres_url: str) -> None:
    with uvicorn(postgres_url, args=("--workers", "2")) as base:
        admin = register(base, "admin@example.jp", "Admin")
        household = admin.post("/api/households", json={"name": "Busy"}).json()
        url = f"/api/households/{household['id']}"
        emails = ["admin@example.jp"]
        for i in range(2):
            email = f"m{i}@example.jp"
            person = register(base, email, f"M{i}")
            code = admin.post(f"{url}/invites", json={}).json()["code"]
            assert person.post(f"/api/invites/{code}/accept").status_code == 200
            emails.append(email)
        ids = [m["user_id"] for m in admin.get(f"{url}/members").json()]
        chores = []
        for rule, mode in zip(RULES, MODES, strict=True):
            members = [] if mode == "none" else ids[:1] if mode == "fixed" else ids
            response = admin.post(
                f"{url}/chores",
                json={
                    "name": f"{rule['kind']} {mode}",
                    "recurrence": rule,
                    "assignment": {"mode": mode, "members": members},
                },
            )
            assert response.status_code == 201, response.text
            chores.append(response.json())
        initial = {chore["id"]: chore for chore in chores}

        clients = [login(base, emails[i % len(emails)]) for i in range(CLIENTS)]
        outcomes: Counter[tuple[int, str, int]] = Counter()
        lock = threading.Lock()
        barrier = threading.Barrier(CLIENTS)

        def storm(person: httpx.Client, seed: int) -> None:
            rng = random.Random(seed)
            barrier.wait()
            for _ in range(OPERATIONS):
                chore_id = rng.choice(list(initial))
                action = "complete" if rng.random() < 0.65 else "undo"
                status = person.post(f"{url}/chores/{chore_id}/{action}").status_code
                with lock:
                    outcomes[(chore_id, action, status)] += 1

        threads = [
            threading.Thread(target=storm, args=(person, seed))
            for seed, person in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert sum(outcomes.values()) == CLIENTS * OPERATIONS
        statuses = {status for (_, _, status) in outcomes}
        assert statuses <= {200, 201, 409}, outcomes
        history = admin.get(f"{url}/completions?limit=1000").json()
        assert isinstance(history, list), history
        final = {chore["id"]: chore for chore in admin.get(f"{url}/chores").json()}

    for chore_id, chore in initial.items():
        completed = outcomes[(chore_id, "complete", 201)]
        undone = outcomes[(chore_id, "undo", 200)]
        entries = sorted((e for e in history if e["chore_id"] == chore_id), key=lambda e: e["id"])
        assert len(entries) == completed - undone, (chore["name"], completed, undone)
        replay_due, replay_assignee = replay(chore, entries)
        assert final[chore_id]["next_due"] == replay_due, chore["name"]
        current = final[chore_id]["assignee"]
        assert (current["user_id"] if current else None) == replay_assignee, chore["name"]
    assert sum(count for (_, action, s), count in outcomes.items() if s == 201) > CLIENTS


def replay(chore: dict, entries: list[dict]) -> tuple[str, int | None]:
    """Applies the entries one by one, checking each was recorded against the state before it."""
    recurrence = chore["recurrence"]
    rule = Rule(
        kind=recurrence["kind"],
        every=recurrence["every"],
        unit=recurrence["unit"],
        weekdays=tuple(recurrence["weekdays"]),
        month_day=recurrence["month_day"],
        anchor=recurrence["anchor"],
    )
    start = datetime.fromisoformat(chore["start_date"]).date()
    due = datetime.fromisoformat(chore["next_due"]).date()
    assignee = chore["assignee"]["user_id"] if chore["assignee"] else None
    counts: Counter[int] = Counter()
    members = chore["assignment"]["members"]
    for entry in entries:
        assert entry["due_date"] == due.isoformat(), (chore["name"], entry)
        counts[entry["done_by"]["user_id"]] += 1
        done_on = local_date(datetime.fromisoformat(entry["done_at"]), "Asia/Tokyo")
        due = next_due(rule, start=start, scheduled=due, done_on=done_on)  # type: ignore[assignment]
        assignee = next_assignee(chore["assignment"]["mode"], members, assignee, counts)
    return due.isoformat(), assignee


def test_membership_changes_and_deleting_the_household_never_deadlock_with_completions(
    postgres_url: str,
) -> None:
    """Every write locks a household's memberships, then its chores, then its row last (at the
    commit, with the revision). Member removals, role changes and finally the household's
    deletion race completions and undos; PostgreSQL would abort one side of a lock cycle with
    an error (a 5xx here) after its deadlock timeout."""
    with uvicorn(postgres_url, args=("--workers", "2")) as base:
        admin = register(base, "owner@example.jp", "Owner")
        household = admin.post("/api/households", json={"name": "Racing"}).json()
        url = f"/api/households/{household['id']}"
        emails = []
        for i in range(4):
            email = f"r{i}@example.jp"
            person = register(base, email, f"R{i}")
            code = admin.post(f"{url}/invites", json={"role": "admin"}).json()["code"]
            assert person.post(f"/api/invites/{code}/accept").status_code == 200
            emails.append(email)
        ids = {m["display_name"]: m["user_id"] for m in admin.get(f"{url}/members").json()}
        rotation = {"mode": "round_robin", "members": list(ids.values())}
        chores = [
            admin.post(
                f"{url}/chores",
                json={
                    "name": f"c{i}",
                    "recurrence": {"kind": "interval", "every": 1, "anchor": "completion"},
                    "assignment": rotation,
                },
            ).json()["id"]
            for i in range(4)
        ]
        clients = [login(base, emails[i % 2]) for i in range(8)]
        statuses: Counter[tuple[str, int]] = Counter()
        lock = threading.Lock()
        barrier = threading.Barrier(len(clients) + 1)

        def tap(person: httpx.Client, seed: int) -> None:
            rng = random.Random(seed)
            barrier.wait()
            for _ in range(25):
                action = "complete" if rng.random() < 0.7 else "undo"
                status = person.post(f"{url}/chores/{rng.choice(chores)}/{action}").status_code
                with lock:
                    statuses[(action, status)] += 1

        def govern() -> None:
            barrier.wait()
            changes = [
                admin.patch(f"{url}/members/{ids['R2']}", json={"role": "viewer"}),
                admin.delete(f"{url}/members/{ids['R3']}"),
                admin.patch(f"{url}/members/{ids['R2']}", json={"role": "member"}),
                admin.delete(f"{url}/members/{ids['R2']}"),
                admin.delete(url),
            ]
            with lock:
                for response in changes:
                    statuses[(response.request.method, response.status_code)] += 1

        threads = [threading.Thread(target=tap, args=(p, s)) for s, p in enumerate(clients)]
        threads.append(threading.Thread(target=govern))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert admin.get(url).status_code == 404

    assert {key for key in statuses if key[1] >= 500} == set(), statuses
    assert (statuses[("PATCH", 200)], statuses[("DELETE", 204)]) == (2, 3), statuses
    # The taps ran while the household still existed, and after it was gone got 404.
    assert statuses[("complete", 201)] > 0
    assert {status for _, status in statuses} <= {200, 201, 204, 404, 409}, statuses
