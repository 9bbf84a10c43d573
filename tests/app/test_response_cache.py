"""Cached household reads: bounded in bytes, and never served after the data they show changed.

The data layer gives a household a new revision whenever its rows change (app.models.revisions).
The last test walks every write route of the OpenAPI schema and compares each cached read after
it with the same read served without a cache.
"""

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.core.cache import ResponseCache
from app.main import create_app
from app.models import Household
from tests.app.chore_helpers import chore_payload, make_chore, tokyo_today
from tests.app.conftest import make_settings
from tests.support.people import PASSWORD, Person, household_with, sign_up

Home = tuple[int, dict[str, Person]]


def K(name: str) -> tuple[int, int, str]:  # noqa: N802
    """A read of one household at one revision."""
    return (1, 1, name)


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def revision(engine: Engine, household_id: int) -> int:
    with engine.connect() as connection:
        value: int = connection.scalar(
            select(Household.revision).where(Household.id == household_id)
        )
        return value


def test_the_cache_keeps_the_most_recent_bodies_within_its_budget() -> None:
    cache = ResponseCache(max_bytes=100)
    cache.put(K("a"), b"a" * 20)
    cache.put(K("b"), b"b" * 20)
    cache.put(K("c"), b"c" * 20)
    assert cache.get(K("a")) == b"a" * 20  # now the most recent
    cache.put(K("d"), b"d" * 25)
    cache.put(K("e"), b"e" * 25)  # 110 bytes: the least recent ("b") goes
    assert cache.get(K("b")) is None
    assert [cache.get(K(name)) is not None for name in "acde"] == [True] * 4
    assert (len(cache), cache.size) == (4, 90)
    cache.put(K("a"), b"A" * 5)  # a replaced body counts once
    assert (cache.get(K("a")), cache.size) == (b"A" * 5, 75)
    cache.put(K("huge"), b"h" * 26)  # over a quarter of the budget: never kept
    assert (cache.get(K("huge")), cache.size) == (None, 75)


def test_a_new_revision_of_a_household_takes_the_place_of_its_old_one() -> None:
    cache = ResponseCache(max_bytes=1000)
    cache.put((1, 10, "due"), b"[1]")
    cache.put((1, 10, "chores"), b"[11]")
    cache.put((2, 20, "due"), b"[2]")
    cache.put((1, 11, "due"), b"[111]")  # household 1 changed: its old entries go at once
    assert [cache.get(key) for key in [(1, 10, "due"), (1, 10, "chores")]] == [None, None]
    assert (cache.get((1, 11, "due")), cache.get((2, 20, "due"))) == (b"[111]", b"[2]")
    assert (len(cache), cache.size) == (2, 8)
    cache.put((1, 11, "chores"), b"[1111]")  # the same revision: both kept
    assert (len(cache), cache.size) == (3, 14)


def test_the_cache_can_be_turned_off() -> None:
    cache = ResponseCache(max_bytes=0)
    cache.put(K("a"), b"[]")
    assert (cache.get(K("a")), len(cache), cache.size) == (None, 0, 0)


class Builds:
    """A build that counts its calls and finishes when the test says so."""

    def __init__(self, body: bytes = b"[1]", error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.body, self.error = body, error

    async def __call__(self) -> bytes:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.body


def test_concurrent_misses_on_one_key_build_once() -> None:
    async def scenario() -> None:
        cache, build = ResponseCache(max_bytes=1000), Builds()
        waiters = [asyncio.create_task(cache.fetch(K("due"), build)) for _ in range(10)]
        other = asyncio.create_task(cache.fetch(K("chores"), build))
        await asyncio.sleep(0)
        build.release.set()
        assert await asyncio.gather(*waiters, other) == [b"[1]"] * 11
        assert build.calls == 2  # one per key
        assert (await cache.fetch(K("due"), build), build.calls) == (b"[1]", 2)  # now a hit

    asyncio.run(scenario())


def test_a_failed_build_fails_its_waiters_and_is_not_kept() -> None:
    async def scenario() -> None:
        cache, build = ResponseCache(max_bytes=1000), Builds(error=TimeoutError("pool"))
        waiters = [asyncio.create_task(cache.fetch(K("due"), build)) for _ in range(3)]
        await asyncio.sleep(0)
        build.release.set()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert [type(result) for result in results] == [TimeoutError] * 3
        retry = Builds(b"[2]")
        retry.release.set()
        assert (await cache.fetch(K("due"), retry), build.calls, retry.calls) == (b"[2]", 1, 1)

    asyncio.run(scenario())


def test_a_waiter_that_goes_away_leaves_the_build_to_the_others() -> None:
    async def scenario() -> None:
        cache, build = ResponseCache(max_bytes=1000), Builds()
        first = asyncio.create_task(cache.fetch(K("due"), build))
        second = asyncio.create_task(cache.fetch(K("due"), build))
        await asyncio.sleep(0)
        first.cancel()  # its client disconnected
        await asyncio.sleep(0)
        build.release.set()
        assert (await second, build.calls, cache.get(K("due"))) == (b"[1]", 1, b"[1]")

    asyncio.run(scenario())


def test_with_the_cache_off_every_read_builds_its_own() -> None:
    async def scenario() -> None:
        cache, build = ResponseCache(max_bytes=0), Builds()
        build.release.set()
        bodies = await asyncio.gather(*(cache.fetch(K("due"), build) for _ in range(4)))
        assert (bodies, build.calls) == ([b"[1]"] * 4, 4)

    asyncio.run(scenario())


def test_writes_change_the_revision_only_when_they_commit(home: Home, engine: Engine) -> None:
    household_id, people = home
    admin, viewer = people["admin"], people["viewer"]
    before = revision(engine, household_id)
    refused = viewer.post(f"{base(household_id)}/chores", json={"name": "Dishes"})
    assert refused.status_code == 403
    invalid = admin.post(f"{base(household_id)}/chores", json={"name": ""})
    assert invalid.status_code == 422
    missing = admin.post(f"{base(household_id)}/chores/999999/complete")
    assert missing.status_code == 404
    assert revision(engine, household_id) == before
    make_chore(admin, household_id)
    assert revision(engine, household_id) != before


def test_a_completion_shows_at_once_in_every_cached_read(home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    chore = make_chore(admin, household_id, assignment={"mode": "fixed", "members": [member.id]})
    reads = ["/due?window=today", "/chores", "/completions", "/stats", "/calendar"]
    before = {path: member.ok("GET", base(household_id) + path) for path in reads}
    assert [item["chore"]["id"] for item in before["/due?window=today"]] == [chore["id"]]
    assert before["/completions"] == []

    member.ok("POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201)

    after = {path: member.ok("GET", base(household_id) + path) for path in reads}
    assert after["/due?window=today"] == []  # next due in 3 days
    assert after["/chores"][0]["last_done_at"] is not None
    assert [entry["chore_id"] for entry in after["/completions"]] == [chore["id"]]
    done = {m["display_name"]: m["completions"] for m in after["/stats"]["members"]}
    assert done["member"] == 1
    assert after["/calendar"] != before["/calendar"]


def test_a_new_display_name_shows_in_every_household_of_its_owner(app: FastAPI) -> None:
    first_id, first = household_with(app, member="member")
    member = first["member"]
    second = member.ok("POST", "/api/households", 201, json={"name": "Second home"})
    for household_id in (first_id, second["id"]):
        make_chore(member, household_id, assignment={"mode": "fixed", "members": [member.id]})
        due = member.ok("GET", f"{base(household_id)}/due?window=week")
        assert due[0]["chore"]["assignee"]["display_name"] == "member"

    member.ok("PATCH", "/api/auth/me", json={"display_name": "Hanako"})

    for household_id in (first_id, second["id"]):
        due = member.ok("GET", f"{base(household_id)}/due?window=week")
        assert due[0]["chore"]["assignee"]["display_name"] == "Hanako"
        names = [
            m["display_name"] for m in member.ok("GET", f"{base(household_id)}/stats")["members"]
        ]
        assert "Hanako" in names


def test_joining_and_leaving_show_in_cached_reads(home: Home, app: FastAPI) -> None:
    household_id, people = home
    admin, viewer = people["admin"], people["viewer"]
    rotation = {"mode": "round_robin", "members": [admin.id, viewer.id]}
    make_chore(admin, household_id, assignment=rotation)

    def stats_names() -> list[str]:
        stats = admin.ok("GET", f"{base(household_id)}/stats")
        return sorted(m["display_name"] for m in stats["members"])

    assert stats_names() == ["admin", "member", "viewer"]
    newcomer = sign_up(app, "newcomer")
    invite = admin.ok("POST", f"{base(household_id)}/invites", 201, json={"role": "member"})
    assert stats_names() == ["admin", "member", "viewer"]  # cached again
    newcomer.ok("POST", f"/api/invites/{invite['code']}/accept")
    assert stats_names() == ["admin", "member", "newcomer", "viewer"]

    assert admin.ok("GET", f"{base(household_id)}/chores")[0]["assignment"]["members"] == [
        admin.id,
        viewer.id,
    ]
    viewer.ok("DELETE", f"{base(household_id)}/members/{viewer.id}", 204)
    chores = admin.ok("GET", f"{base(household_id)}/chores")
    assert chores[0]["assignment"]["members"] == [admin.id]


def test_a_new_household_never_meets_the_cached_reads_of_a_deleted_one(app: FastAPI) -> None:
    # SQLite gives a deleted last row's id to the next one: a counter starting at 0 again would
    # serve the first household's members to the second.
    first, second = sign_up(app, "First"), sign_up(app, "Second")
    gone = first.ok("POST", "/api/households", 201, json={"name": "Gone"})
    stats = first.ok("GET", f"{base(gone['id'])}/stats")
    assert [m["display_name"] for m in stats["members"]] == ["First"]
    first.ok("DELETE", base(gone["id"]), 204)
    new = second.ok("POST", "/api/households", 201, json={"name": "New"})
    stats = second.ok("GET", f"{base(new['id'])}/stats")
    assert [m["display_name"] for m in stats["members"]] == ["Second"]


# Every write of the API, with a request that succeeds: (who, method, path, request, status).
# The ids come from the household `write_target` builds; a new write route fails the test below
# until it is listed here.
Write = tuple[str, dict[str, Any], int]
WRITES: dict[str, Callable[[dict[str, Any]], Write]] = {
    "POST /api/auth/register": lambda t: (
        "stranger",
        {"json": {"email": "new@example.jp", "password": PASSWORD, "display_name": "New"}},
        201,
    ),
    "POST /api/auth/login": lambda t: (
        "member",
        {"json": {"email": t["member"].email, "password": PASSWORD}},
        200,
    ),
    "POST /api/auth/logout": lambda t: ("member", {}, 204),
    "PATCH /api/auth/me": lambda t: ("member", {"json": {"display_name": "Hanako"}}, 200),
    "POST /api/auth/password": lambda t: (
        "member",
        {"json": {"current_password": PASSWORD, "new_password": "another long password"}},
        204,
    ),
    "POST /api/households": lambda t: ("member", {"json": {"name": "Second"}}, 201),
    "PATCH /api/households/{household_id}": lambda t: (
        "admin",
        {"json": {"time_zone": "Pacific/Kiritimati", "name": "Renamed"}},
        200,
    ),
    "DELETE /api/households/{household_id}": lambda t: ("admin", {}, 204),
    "POST /api/households/{household_id}/calendar-feed": lambda t: ("member", {}, 201),
    "DELETE /api/households/{household_id}/calendar-feed": lambda t: ("member", {}, 204),
    "POST /api/households/{household_id}/chores": lambda t: (
        "member",
        {"json": chore_payload(name="Laundry", category="Wash")},
        201,
    ),
    "POST /api/households/{household_id}/chores/import": lambda t: (
        "member",
        {"files": {"file": ("x.csv", b"category,task_name,frequency\nYard,Weeds,7\n", "text/csv")}},
        201,
    ),
    "PATCH /api/households/{household_id}/chores/{chore_id}": lambda t: (
        "member",
        {"json": {"name": "Plates", "category": "Sink", "start_date": t["tomorrow"]}},
        200,
    ),
    "DELETE /api/households/{household_id}/chores/{chore_id}": lambda t: ("member", {}, 204),
    "POST /api/households/{household_id}/chores/{chore_id}/complete": lambda t: ("member", {}, 201),
    "POST /api/households/{household_id}/chores/{chore_id}/skip": lambda t: ("member", {}, 201),
    "POST /api/households/{household_id}/chores/{chore_id}/undo": lambda t: ("member", {}, 200),
    "PATCH /api/households/{household_id}/completions/{completion_id}": lambda t: (
        "member",
        {"json": {"done_by": t["viewer"].id}},
        200,
    ),
    "DELETE /api/households/{household_id}/completions/{completion_id}": lambda t: (
        "member",
        {},
        204,
    ),
    "POST /api/households/{household_id}/invites": lambda t: ("admin", {"json": {}}, 201),
    "DELETE /api/households/{household_id}/invites/{invite_id}": lambda t: ("admin", {}, 204),
    "PATCH /api/households/{household_id}/members/{user_id}": lambda t: (
        "admin",
        {"json": {"role": "member"}},
        200,
    ),
    "DELETE /api/households/{household_id}/members/{user_id}": lambda t: ("admin", {}, 204),
    "POST /api/invites/{code}/accept": lambda t: ("stranger", {}, 200),
    "POST /api/households/{household_id}/tokens": lambda t: (
        "member",
        {"json": {"name": "Home Assistant", "scope": "write"}},
        201,
    ),
    "DELETE /api/households/{household_id}/tokens/{token_id}": lambda t: ("member", {}, 204),
    "POST /api/households/{household_id}/members/{user_id}/password-reset": lambda t: (
        "admin",
        {},
        201,
    ),
    "POST /api/auth/password-reset": lambda t: (
        "stranger",
        {"json": {"token": t["reset_token"], "new_password": "a new password, long"}},
        204,
    ),
    # This app sends no mail: refused, and nothing changes.
    "POST /api/auth/password-reset-request": lambda t: (
        "stranger",
        {"json": {"email": t["member"].email}},
        409,
    ),
    "PUT /api/households/{household_id}/reminders": lambda t: (
        "member",
        {"json": {"before_minutes": 10, "digest_hour": 7}},
        200,
    ),
    # By someone with no channel: nothing leaves the machine.
    "POST /api/households/{household_id}/reminders/test": lambda t: ("admin", {}, 200),
    "POST /api/households/{household_id}/reminders/push": lambda t: (
        "member",
        {"json": PUSH_SUBSCRIPTION | {"endpoint": "https://push.example.jp/another"}},
        201,
    ),
    "DELETE /api/households/{household_id}/reminders/push/{subscription_id}": lambda t: (
        "member",
        {},
        204,
    ),
    "PUT /api/households/{household_id}/channel": lambda t: (
        "admin",
        {"json": {"apprise_url": "ntfy://ntfy.example.jp/family", "digest_hour": 7}},
        200,
    ),
    "DELETE /api/households/{household_id}/channel": lambda t: ("admin", {}, 204),
    # No channel is set: nothing leaves the machine.
    "POST /api/households/{household_id}/channel/test": lambda t: ("admin", {}, 404),
    # Alertmanager's webhook: absent without alert settings (tests/app/test_alerts.py).
    "POST /api/alerts": lambda t: (
        "stranger",
        {"json": {"alerts": []}, "headers": {"Authorization": "Bearer t"}},
        404,
    ),
}
PUSH_SUBSCRIPTION = {
    "endpoint": "https://push.example.jp/subscription",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u",
        "auth": "tBHI",
    },
}

CACHED_READS = [
    "/due?window=month",
    "/chores",
    "/chores?archived=true",
    "/completions",
    "/stats",
    "/calendar",
]


def write_operations(app: FastAPI) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in {"post", "patch", "put", "delete"}
    ]


def write_target(app: FastAPI) -> dict[str, Any]:
    """A household with a completed chore the viewer is in, an open invite, a member's API
    token and a stranger."""
    household_id, people = household_with(app, member="member", viewer="viewer")
    admin, viewer = people["admin"], people["viewer"]
    rotation = {"mode": "round_robin", "members": [viewer.id, people["member"].id]}
    chore = make_chore(admin, household_id, assignment=rotation)
    done = admin.ok("POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201)
    invite = admin.ok("POST", f"{base(household_id)}/invites", 201, json={"role": "member"})
    token = people["member"].ok("POST", f"{base(household_id)}/tokens", 201, json={"name": "t"})
    reset = admin.ok("POST", f"{base(household_id)}/members/{viewer.id}/password-reset", 201)
    push = people["member"].ok(
        "POST", f"{base(household_id)}/reminders/push", 201, json=PUSH_SUBSCRIPTION
    )
    return {
        **people,
        "stranger": sign_up(app, "Stranger"),
        "household_id": household_id,
        "chore_id": chore["id"],
        "completion_id": done["id"],
        "invite_id": invite["id"],
        "code": invite["code"],
        "token_id": token["id"],
        "subscription_id": push["id"],
        "reset_token": reset["url"].partition("#")[2],
        "user_id": viewer.id,
        "tomorrow": (tokyo_today() + timedelta(days=1)).isoformat(),
    }


@pytest.fixture(scope="module")
def uncached_app(database_url: str) -> Iterator[FastAPI]:
    """The same database served without a response cache: what a read must show."""
    application = create_app(make_settings(database_url, response_cache_mib=0))
    yield application
    application.state.engine.dispose()


def test_no_write_route_leaves_a_cached_read_stale(app: FastAPI, uncached_app: FastAPI) -> None:
    assert sorted(WRITES) == sorted(write_operations(app))
    for operation, request in WRITES.items():
        target = write_target(app)
        household = base(target["household_id"])
        admin = target["admin"]
        reader = TestClient(uncached_app, cookies=dict(admin.client.cookies))
        before = {read: admin.ok("GET", household + read) for read in CACHED_READS}
        who, kwargs, status = request(target)
        method, path = operation.split(" ")
        url = path.format(**{name: target[name] for name in re.findall(r"\{(\w+)\}", path)})
        response = target[who].client.request(method, url, **kwargs)
        assert response.status_code == status, (operation, response.text)
        for read in CACHED_READS:
            cached, fresh = admin.get(household + read), reader.get(household + read)
            assert (cached.status_code, cached.json()) == (fresh.status_code, fresh.json()), (
                operation,
                read,
                before[read],
            )
