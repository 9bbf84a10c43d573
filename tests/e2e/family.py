"""A household set up through the API (fast), for tests that look at screens rather than at
the flows that fill them: an admin, a member and a viewer with a long name, and chores with a
40-character name, done by some of them."""

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import APIRequestContext, BrowserContext

PASSWORD = "correct horse battery"
XHR = {"X-Requested-With": "XMLHttpRequest"}
LONG_CHORE = "リビングとダイニングの床に掃除機をかけてから水拭きして窓のサッシとベランダも拭く"
VIEWER_NAME = "おばあちゃん(閲覧)"
assert len(LONG_CHORE) == 40


def api(request: APIRequestContext, method: str, path: str, body: Any = None) -> Any:
    response = request.fetch(path, method=method, headers=XHR, data=body)
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


@dataclass
class Family:
    household: int
    base: str
    contexts: dict[str, BrowserContext]
    users: dict[str, int]
    chores: dict[str, int]


def register(context: BrowserContext, name: str, email: str) -> int:
    user = api(
        context.request,
        "POST",
        "/api/auth/register",
        {"email": email, "password": PASSWORD, "display_name": name},
    )
    return int(user["id"])


def set_language(context: BrowserContext, language: str | None) -> None:
    api(context.request, "PATCH", "/api/auth/me", {"language": language})


def make_family(contexts: dict[str, BrowserContext], tag: str) -> Family:
    """`contexts` has "admin", "member" and "viewer"; `tag` keeps the emails unique."""
    names = {"admin": "お母さん", "member": "たろう", "viewer": VIEWER_NAME}
    users = {
        role: register(context, names[role], f"{role}-{tag}@example.jp")
        for role, context in contexts.items()
    }
    admin = contexts["admin"].request
    household = api(admin, "POST", "/api/households", {"name": "みどり家", "language": "ja"})
    hid = household["id"]
    for role in ("member", "viewer"):
        invite = api(admin, "POST", f"/api/households/{hid}/invites", {"role": role})
        api(contexts[role].request, "POST", f"/api/invites/{invite['code']}/accept")
    writers = [users["admin"], users["member"]]
    specs = {
        "long": (
            LONG_CHORE,
            "キッチン",
            {"kind": "interval", "every": 1, "unit": "day"},
            {"mode": "round_robin", "members": writers},
        ),
        "trash": (
            "ゴミ出し",
            "玄関",
            {"kind": "interval", "every": 1, "unit": "week"},
            {"mode": "fixed", "members": [users["member"]]},
        ),
        "bath": (
            "お風呂掃除",
            "",
            {"kind": "interval", "every": 2, "unit": "day"},
            {"mode": "none", "members": []},
        ),
    }
    chores = {
        key: api(
            admin,
            "POST",
            f"/api/households/{hid}/chores",
            {"name": name, "category": category, "recurrence": rule, "assignment": assignment},
        )["id"]
        for key, (name, category, rule, assignment) in specs.items()
    }
    # History and stats have something to show: the trash done by the member, and the bath
    # recorded by the admin for the member.
    api(
        admin,
        "POST",
        f"/api/households/{hid}/chores/{chores['bath']}/complete",
        {"done_by": users["member"]},
    )
    api(
        contexts["member"].request,
        "POST",
        f"/api/households/{hid}/chores/{chores['trash']}/complete",
        {},
    )
    return Family(hid, f"/h/{hid}", contexts, users, chores)
