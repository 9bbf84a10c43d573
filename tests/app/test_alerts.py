"""Monitoring's alerts reach the owner through the app's one notifier, once per occurrence and
state, however many Alertmanager replicas post them and however often they retry. The owner's
channel here is a real local HTTP receiver (Apprise's JSON format) and a real SMTP server."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import make_settings
from tests.support import databases
from tests.support.receivers import HttpReceiver, http_receiver, smtp_inbox

TOKEN = "alertmanager-shared-token-0123456789"


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as server:
        yield server


def alerting_app(database_url: str, urls: str) -> FastAPI:
    return create_app(
        make_settings(database_url, alert_webhook_token=TOKEN, alert_apprise_urls=urls)
    )


@pytest.fixture
def app_for(database_url: str) -> Iterator[Any]:
    made: list[FastAPI] = []

    def build(urls: str) -> TestClient:
        application = alerting_app(database_url, urls)
        made.append(application)
        return TestClient(application, headers={"Authorization": f"Bearer {TOKEN}"})

    yield build
    for application in made:
        databases.reset(application.state.engine)
        application.state.engine.dispose()


def webhook(status: str = "firing", fingerprint: str = "a1b2c3d4e5f60718") -> dict[str, Any]:
    """Alertmanager's webhook body (version 4), as it posts it."""
    started = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="BackendDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "owner",
        "groupLabels": {"alertname": "BackendDown"},
        "commonLabels": {"alertname": "BackendDown", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "BackendDown", "severity": "critical"},
                "annotations": {
                    "summary": "No backend pod is answering",
                    "description": "The scraper reaches no backend pod; the app is down.",
                },
                "startsAt": started.isoformat(),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://vmalert/alert",
                "fingerprint": fingerprint,
            }
        ],
    }


def test_an_alert_is_told_once_however_often_it_is_posted_and_its_resolution_once(
    app_for: Any, receiver: HttpReceiver
) -> None:
    alertmanager = app_for(f"json://{receiver.base}/owner")
    firing = webhook()
    first = alertmanager.post("/api/alerts", json=firing)
    assert (first.status_code, first.json()) == (200, {"told": 1, "known": 0})
    # The second replica, and retries.
    for _ in range(3):
        assert alertmanager.post("/api/alerts", json=firing).json() == {"told": 0, "known": 1}
    resolved = webhook("resolved")
    resolved["alerts"][0]["startsAt"] = firing["alerts"][0]["startsAt"]
    assert alertmanager.post("/api/alerts", json=resolved).json() == {"told": 1, "known": 0}
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [(b["title"], b["message"].splitlines()[0]) for b in bodies] == [
        ("[FIRING] BackendDown (critical)", "No backend pod is answering"),
        ("[RESOLVED] BackendDown (critical)", "No backend pod is answering"),
    ]


def test_replicas_posting_at_the_same_moment_tell_it_once(
    app_for: Any, receiver: HttpReceiver
) -> None:
    replicas = [app_for(f"json://{receiver.base}/owner") for _ in range(2)]
    barrier = threading.Barrier(2)
    answers: list[dict[str, int]] = []

    def post(client: TestClient) -> None:
        barrier.wait()
        answers.append(client.post("/api/alerts", json=webhook()).json())

    threads = [threading.Thread(target=post, args=(client,)) for client in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["told"] for a in answers) == [0, 1]
    assert len(receiver.requests) == 1


def test_a_channel_that_fails_gets_a_502_and_the_retry_tells_it_once(
    app_for: Any, receiver: HttpReceiver
) -> None:
    alertmanager = app_for(f"json://{receiver.base}/owner")
    receiver.status = 503
    refused = alertmanager.post("/api/alerts", json=webhook())
    assert (refused.status_code, refused.json()["code"]) == (502, "notify_failed")
    receiver.status = 200
    assert alertmanager.post("/api/alerts", json=webhook()).json() == {"told": 1, "known": 0}
    assert alertmanager.post("/api/alerts", json=webhook()).json() == {"told": 0, "known": 1}
    assert len(receiver.requests) == 2  # the refused attempt, then the one told


def test_an_alert_reaches_the_owner_by_e_mail(app_for: Any) -> None:
    with smtp_inbox() as (inbox, port):
        alertmanager = app_for(
            f"mailto://127.0.0.1:{port}?from=alerts@example.jp&to=owner@example.jp"
        )
        assert alertmanager.post("/api/alerts", json=webhook()).status_code == 200
    [(envelope, message)] = inbox.messages
    assert envelope.rcpt_tos == ["owner@example.jp"]
    assert message["Subject"] == "[FIRING] BackendDown (critical)"


def test_only_alertmanager_with_the_token_may_post(app_for: Any, receiver: HttpReceiver) -> None:
    alertmanager = app_for(f"json://{receiver.base}/owner")
    stranger = TestClient(alertmanager.app, headers={"Authorization": "Bearer wrong"})
    assert stranger.post("/api/alerts", json=webhook()).status_code == 401
    # Without a bearer token it is a cookie request without the CSRF header: refused first.
    nobody = TestClient(alertmanager.app)
    assert nobody.post("/api/alerts", json=webhook()).json()["code"] == "csrf_rejected"
    assert receiver.requests == []


def test_without_alert_settings_the_route_is_absent(app: FastAPI) -> None:
    client = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    response = client.post("/api/alerts", json=webhook())
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_malformed_webhook_is_a_422(app_for: Any, receiver: HttpReceiver) -> None:
    alertmanager = app_for(f"json://{receiver.base}/owner")
    broken = webhook()
    broken["alerts"][0]["status"] = "exploded"
    response = alertmanager.post("/api/alerts", json=broken)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert receiver.requests == []
