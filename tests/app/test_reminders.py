"""Reminders end to end, against real receivers on loopback: Apprise's ntfy, JSON webhook and
Home Assistant formats to a local HTTP server, e-mail to an SMTP server (aiosmtpd), and Web
Push to a local push service, whose message is decrypted here as a browser would.

The sender runs as the CronJob runs it (`reminder_sender.run_once`), at chosen instants."""

import base64
import json
import threading
import time as clock
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.domain.reminders import local_moment
from app.models import Household, PushSubscription, ReminderSettings
from app.services import reminder_sender
from app.services.reminders import vapid_keys
from tests.app.chore_helpers import TOKYO, make_chore, tokyo_today
from tests.support.people import Person, sign_up
from tests.support.receivers import HttpReceiver, Inbox, http_receiver, smtp_inbox

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}/reminders"


def timed_chore(
    person: Person, household_id: int, name: str = "ゴミ出し", **extra: Any
) -> dict[str, Any]:
    return make_chore(
        person,
        household_id,
        name=name,
        recurrence={"kind": "interval", "every": 1, "unit": "day"},
        start_date=tokyo_today().isoformat(),
        due_time="08:00",
        **extra,
    )


def at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    return local_moment(day or tokyo_today(), time(hour, minute), TOKYO)


def remind_at_due_time(person: Person, household_id: int, receiver: HttpReceiver) -> None:
    person.ok(
        "PUT",
        base(household_id),
        json={"before_minutes": 0, "apprise_url": f"json://{receiver.base}/hook"},
    )


def send(app: FastAPI, now: datetime) -> reminder_sender.RunReport:
    return reminder_sender.run_once(app.state.session_factory, app.state.settings, now)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as server:
        yield server


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as server:
        yield server


# Settings and bad input


def test_reminders_start_off_and_save_what_the_member_chooses(app: FastAPI, home: Home) -> None:
    household_id, people = home
    member = people["member"]
    assert member.ok("GET", base(household_id)) == {
        "scope": "mine_and_anyone",
        "before_minutes": None,
        "digest_hour": None,
        "nag_minutes": None,
        "quiet_start": None,
        "quiet_end": None,
        "channels": [],
        "push_public_key": app_push_key(app),
    }
    saved = member.ok(
        "PUT",
        base(household_id),
        json={
            "scope": "mine",
            "before_minutes": 15,
            "digest_hour": 7,
            "nag_minutes": 30,
            "quiet_start": "22:00",
            "quiet_end": "06:30",
            "apprise_url": "ntfy://user:secret-password@ntfy.example.jp/chores",
        },
    )
    assert {k: saved[k] for k in ("scope", "before_minutes", "quiet_start", "quiet_end")} == {
        "scope": "mine",
        "before_minutes": 15,
        "quiet_start": "22:00:00",
        "quiet_end": "06:30:00",
    }
    [channel] = saved["channels"]
    assert (channel["kind"], channel["service"], channel["failure"]) == ("apprise", "ntfy", None)
    assert "secret-password" not in channel["target"]
    # Leaving the URL out keeps it; null removes it.
    kept = member.ok("PUT", base(household_id), json={"digest_hour": 8})
    assert (kept["digest_hour"], kept["before_minutes"], len(kept["channels"])) == (8, None, 1)
    removed = member.ok("PUT", base(household_id), json={"apprise_url": None})
    assert removed["channels"] == []


def test_the_url_is_stored_encrypted(app: FastAPI, home: Home, engine: Engine) -> None:
    household_id, people = home
    url = "tgram://123456:bot-token-secret/987654"
    people["member"].ok("PUT", base(household_id), json={"apprise_url": url})
    with Session(engine) as db:
        stored = db.scalars(select(ReminderSettings.apprise_url)).one()
    assert stored is not None
    assert "bot-token-secret" not in stored
    assert "tgram" not in stored


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"apprise_url": "not a url"}, "bad_notify_url", None),
        ({"apprise_url": "https://example.jp/hook"}, "bad_notify_url", None),
        ({"quiet_start": "25:00"}, "validation_error", "quiet_start"),
        ({"quiet_end": "07:00:30"}, "validation_error", "quiet_end"),
        ({"digest_hour": 24}, "validation_error", "digest_hour"),
        ({"nag_minutes": 1}, "validation_error", "nag_minutes"),
        ({"before_minutes": -5}, "validation_error", "before_minutes"),
        ({"scope": "nobody"}, "validation_error", "scope"),
    ],
)
def test_bad_reminder_input_is_a_clear_422_and_changes_nothing(
    app: FastAPI, home: Home, body: dict[str, Any], code: str, field: str | None
) -> None:
    household_id, people = home
    member = people["member"]
    member.ok("PUT", base(household_id), json={"digest_hour": 7})
    response = member.client.put(base(household_id), json=body)
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    if field:
        assert [e["loc"] for e in response.json()["errors"]] == [[field]]
    assert member.ok("GET", base(household_id))["digest_hour"] == 7


def test_tokens_cannot_set_reminders_and_outsiders_see_nothing(app: FastAPI, home: Home) -> None:
    household_id, people = home
    token = people["member"].ok(
        "POST", f"/api/households/{household_id}/tokens", 201, json={"name": "HA", "scope": "write"}
    )["token"]
    bot = people["member"].client
    refused = bot.put(
        base(household_id),
        json={"digest_hour": 7},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    stranger = sign_up(app, "stranger")
    assert stranger.get(base(household_id)).status_code == 404


def app_push_key(app: FastAPI) -> str:
    keys = vapid_keys(app.state.settings)
    assert keys is not None
    return keys.public_key


# Delivery through Apprise to real receivers


@pytest.mark.parametrize("service", ["ntfy", "json", "hassio"])
def test_a_reminder_reaches_an_http_service_once_at_its_time(
    app: FastAPI, home: Home, receiver: HttpReceiver, service: str
) -> None:
    household_id, people = home
    member = people["member"]
    timed_chore(people["admin"], household_id)
    url = {
        "ntfy": f"ntfy://{receiver.base}/chores",
        "json": f"json://{receiver.base}/hook",
        "hassio": f"hassio://{receiver.base}/long-lived-token",
    }[service]
    member.ok("PUT", base(household_id), json={"before_minutes": 30, "apprise_url": url})

    assert send(app, at(7, 29)).planned == 0
    first = send(app, at(7, 30))
    again = send(app, at(7, 31))  # the next minute's run, and a second sender, find it sent
    assert (first.planned, first.sent, again.planned, again.sent) == (1, 1, 0, 0)

    [request] = receiver.requests
    payload = json.loads(request.body)
    title = payload.get("title")
    message = payload.get("message")
    assert title == "ゴミ出し 08:00まで"
    assert message == "時間です。"
    if service == "hassio":
        assert request.path == "/api/services/persistent_notification/create"
        assert request.headers["authorization"] == "Bearer long-lived-token"
    if service == "ntfy":
        assert payload["topic"] == "chores"


def test_a_digest_reaches_an_smtp_server_once(
    app: FastAPI, home: Home, inbox: tuple[Inbox, int]
) -> None:
    household_id, people = home
    mails, port = inbox
    admin = people["admin"]
    for name in ("洗濯", "掃除機"):
        make_chore(admin, household_id, name=name, start_date=tokyo_today().isoformat())
    people["member"].ok(
        "PUT",
        base(household_id),
        json={
            "digest_hour": 7,
            "apprise_url": f"mailto://127.0.0.1:{port}?from=home@example.jp&to=member@example.jp",
        },
    )
    send(app, at(7))
    send(app, at(7, 1))
    [(envelope, message)] = mails.messages
    assert envelope.rcpt_tos == ["member@example.jp"]
    assert message["Subject"] == "今日の家事: 2件"
    assert "洗濯、掃除機" in message.get_body().get_content()  # type: ignore[union-attr]


def test_nagging_repeats_until_the_chore_is_done(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    member = people["member"]
    chore = timed_chore(people["admin"], household_id)
    member.ok(
        "PUT",
        base(household_id),
        json={"nag_minutes": 15, "apprise_url": f"json://{receiver.base}/hook"},
    )
    for minute in range(0, 50, 5):  # 08:00 to 08:45, a run every 5 minutes
        send(app, at(8, minute))
    titles = [json.loads(r.body)["title"] for r in receiver.requests]
    assert titles == ["ゴミ出し: まだ終わっていません"] * 3  # 08:15, 08:30, 08:45
    member.ok("POST", f"/api/households/{household_id}/chores/{chore['id']}/complete", 201)
    send(app, at(9))
    send(app, at(9, 15))
    assert len(receiver.requests) == 3


def test_archived_and_finished_chores_get_no_reminder_even_when_already_planned(
    app: FastAPI, home: Home, receiver: HttpReceiver, engine: Engine
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    archived = timed_chore(admin, household_id, name="archived")
    done = timed_chore(admin, household_id, name="done")
    remind_at_due_time(member, household_id, receiver)
    admin.ok(
        "PATCH", f"/api/households/{household_id}/chores/{archived['id']}", json={"archived": True}
    )
    # Planned while still due, then done before the sender got to it.
    with Session(engine) as db:
        assert reminder_sender._plan(db, app.state.settings, at(8)) == 1
        db.commit()
    member.ok("POST", f"/api/households/{household_id}/chores/{done['id']}/complete", 201)
    report = send(app, at(8))
    assert (report.sent, report.dropped, receiver.requests) == (0, 1, [])


def test_a_failing_service_is_retried_with_back_off_then_shown_as_failed(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    member = people["member"]
    timed_chore(people["admin"], household_id)
    remind_at_due_time(member, household_id, receiver)
    receiver.status = 500
    attempts_at = []
    for minute in range(0, 40):
        report = send(app, at(8, minute))
        if report.retrying or report.failed:
            attempts_at.append(minute)
    # Back-off of 1, 2, 4 and 8 minutes between the five attempts.
    assert attempts_at == [0, 1, 3, 7, 15]
    assert len(receiver.requests) == 5
    [channel] = member.ok("GET", base(household_id))["channels"]
    assert channel["failure"] is not None
    assert "500" in channel["failure"]
    # A delivery that goes through clears it.
    receiver.status = 200
    results = member.ok("POST", f"{base(household_id)}/test")
    assert [(r["kind"], r["ok"]) for r in results] == [("apprise", True)]


def test_an_unreachable_service_fails_visibly_without_affecting_other_members(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    timed_chore(people["admin"], household_id)
    people["member"].ok(
        "PUT",
        base(household_id),
        # Nothing listens on the discard port of loopback.
        json={"before_minutes": 0, "apprise_url": "json://127.0.0.1:9/hook?cto=1&rto=1"},
    )
    remind_at_due_time(people["admin"], household_id, receiver)
    report = send(app, at(8))
    assert (report.sent, report.retrying) == (1, 1)
    assert len(receiver.requests) == 1
    [result] = people["member"].ok("POST", f"{base(household_id)}/test")
    assert result["ok"] is False
    assert result["error"]


# Exactly once


def test_two_senders_at_once_deliver_every_message_once(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    for index in range(6):
        timed_chore(people["admin"], household_id, name=f"chore {index}")
    for person in people.values():
        person.ok(
            "PUT",
            base(household_id),
            json={
                "scope": "all",
                "before_minutes": 0,
                "nag_minutes": 5,
                "apprise_url": f"json://{receiver.base}/{person.id}",
            },
        )
    for minute in (0, 5, 10):
        barrier = threading.Barrier(2)
        reports: list[reminder_sender.RunReport] = []

        def run(
            now: datetime = at(8, minute),
            barrier: threading.Barrier = barrier,
            reports: list[reminder_sender.RunReport] = reports,
        ) -> None:
            barrier.wait()
            reports.append(send(app, now))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.sent for r in reports) == 3 * 6
    # Everyone gets each chore's reminder once and its two nags (08:05, 08:10) once each.
    received = Counter((r.path, json.loads(r.body)["title"]) for r in receiver.requests)
    expected: Counter[tuple[str, str]] = Counter()
    for person in people.values():
        for index in range(6):
            expected[(f"/{person.id}", f"chore {index} 08:00まで")] = 1
            expected[(f"/{person.id}", f"chore {index}: まだ終わっていません")] = 2
    assert received == expected


def test_a_sender_that_died_while_sending_sends_nothing_twice(
    app: FastAPI, home: Home, receiver: HttpReceiver, engine: Engine
) -> None:
    household_id, people = home
    timed_chore(people["admin"], household_id)
    remind_at_due_time(people["member"], household_id, receiver)
    # A sender plans and claims, then dies before it records what it sent.
    with Session(engine) as db:
        reminder_sender._plan(db, app.state.settings, at(8))
        db.commit()
        assert len(reminder_sender._claim(db, at(8))) == 1
        db.commit()
    assert send(app, at(8, 5)).sent == 0
    report = send(app, at(8, 11))
    assert (report.sent, report.interrupted) == (0, 1)
    assert receiver.requests == []
    [channel] = people["member"].ok("GET", base(household_id))["channels"]
    assert "stopped while sending" in channel["failure"]


def test_removing_a_member_ends_their_reminders(
    app: FastAPI, home: Home, receiver: HttpReceiver, engine: Engine
) -> None:
    household_id, people = home
    member = people["member"]
    timed_chore(people["admin"], household_id)
    remind_at_due_time(member, household_id, receiver)
    people["admin"].ok("DELETE", f"/api/households/{household_id}/members/{member.id}", 204)
    assert send(app, at(8)).planned == 0
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(ReminderSettings)) == 0


def test_the_sender_leaves_the_households_cached_reads_alone(
    app: FastAPI, home: Home, receiver: HttpReceiver, engine: Engine
) -> None:
    household_id, people = home
    timed_chore(people["admin"], household_id)
    remind_at_due_time(people["member"], household_id, receiver)
    revision = household_revision(engine, household_id)
    assert send(app, at(8)).sent == 1
    assert household_revision(engine, household_id) == revision


def household_revision(engine: Engine, household_id: int) -> int:
    with Session(engine) as db:
        return int(db.scalars(select(Household.revision).where(Household.id == household_id)).one())


# Web Push


class Browser:
    """What a browser keeps for a push subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"
        self.endpoint = endpoint

    def subscription(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(point), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_vapid(authorization: str, server_key: str, audience: str) -> dict[str, Any]:
    """RFC 8292: `vapid t=<JWT>, k=<key>`; the JWT is ES256-signed by the server's key."""
    scheme, _, params = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid"
    assert fields["k"] == server_key
    header, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(server_key))
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    decoded: dict[str, Any] = json.loads(unb64(claims))
    assert decoded["aud"] == audience
    return decoded


def test_a_push_reminder_arrives_encrypted_signed_and_carries_the_done_action(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    member = people["member"]
    chore = timed_chore(people["admin"], household_id)
    browser = Browser(f"http://{receiver.base}/push/abc")
    subscribed = member.ok("POST", f"{base(household_id)}/push", 201, json=browser.subscription())
    member.ok("PUT", base(household_id), json={"before_minutes": 10})
    [channel] = member.ok("GET", base(household_id))["channels"]
    assert (channel["kind"], channel["id"], channel["target"]) == (
        "push",
        subscribed["id"],
        "127.0.0.1",
    )

    started = clock.perf_counter()
    report = send(app, at(7, 50))
    [request] = receiver.requests
    message = browser.decrypt(request.body)
    latency = clock.perf_counter() - started
    print(f"scheduled time to decrypted push: {latency * 1000:.0f} ms")  # in the closing note
    assert report.sent == 1
    assert message == {
        "title": "ゴミ出し 08:00まで",
        "body": "時間です。",
        "tag": f"due:{chore['id']}:{tokyo_today().isoformat()}",
        "household_id": household_id,
        "chore_id": chore["id"],
        "due_date": tokyo_today().isoformat(),
    }
    assert request.headers["content-encoding"] == "aes128gcm"
    claims = verify_vapid(
        request.headers["authorization"], app_push_key(app), f"http://{receiver.base}"
    )
    assert claims["sub"] == app.state.settings.vapid_subject


def test_a_push_subscription_the_service_forgot_is_removed(
    app: FastAPI, home: Home, receiver: HttpReceiver, engine: Engine
) -> None:
    household_id, people = home
    member = people["member"]
    timed_chore(people["admin"], household_id)
    member.ok(
        "POST",
        f"{base(household_id)}/push",
        201,
        json=Browser(f"http://{receiver.base}/p").subscription(),
    )
    member.ok("PUT", base(household_id), json={"before_minutes": 0})
    receiver.status = 410
    report = send(app, at(8))
    assert report.failed == 1
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(PushSubscription)) == 0
    assert member.ok("GET", base(household_id))["channels"] == []


# The household's own channel


def channel_url(household_id: int) -> str:
    return f"/api/households/{household_id}/channel"


def test_the_household_channel_gets_the_digest_of_every_chore_once(
    app: FastAPI, home: Home, receiver: HttpReceiver
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    make_chore(admin, household_id, name="洗濯", start_date=tokyo_today().isoformat())
    make_chore(
        admin,
        household_id,
        name="風呂掃除",
        start_date=tokyo_today().isoformat(),
        assignment={"mode": "fixed", "members": [member.id]},
    )
    saved = admin.ok(
        "PUT",
        channel_url(household_id),
        json={"apprise_url": f"json://{receiver.base}/family", "digest_hour": 7},
    )
    assert (saved["service"], saved["digest_hour"], saved["set_by"]["user_id"]) == (
        "JSON",
        7,
        admin.id,
    )
    assert member.client.get(channel_url(household_id)).status_code == 403
    assert people["viewer"].client.get(channel_url(household_id)).status_code == 403

    send(app, at(7))
    send(app, at(7, 1))
    [request] = receiver.requests
    body = json.loads(request.body)
    assert (request.path, body["title"]) == ("/family", "今日の家事: 2件")
    assert set(body["message"].split("、")) == {"洗濯", "風呂掃除"}

    test = admin.ok("POST", f"{channel_url(household_id)}/test")
    assert (test["kind"], test["ok"]) == ("household", True)


def test_the_household_channel_ends_with_its_admins_power(app: FastAPI, home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    member_path = f"/api/households/{household_id}/members/{member.id}"
    admin.ok("PATCH", member_path, json={"role": "admin"})
    member.ok(
        "PUT",
        channel_url(household_id),
        json={"apprise_url": "ntfy://ntfy.example.jp/family", "digest_hour": 19},
    )
    assert admin.ok("GET", channel_url(household_id))["set_by"]["user_id"] == member.id
    admin.ok("PATCH", member_path, json={"role": "member"})
    assert admin.ok("GET", channel_url(household_id)) is None


def test_a_bad_household_channel_url_is_a_422(app: FastAPI, home: Home) -> None:
    household_id, people = home
    refused = people["admin"].client.put(
        channel_url(household_id), json={"apprise_url": "https://example.jp", "digest_hour": 7}
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "bad_notify_url")
    hour = people["admin"].client.put(
        channel_url(household_id), json={"apprise_url": "ntfy://h/t", "digest_hour": 24}
    )
    assert (hour.status_code, hour.json()["code"]) == (422, "validation_error")
