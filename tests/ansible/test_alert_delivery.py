"""Alerts reach the owner once per occurrence, through the app's one notifier: Debian's
Alertmanager, with the configuration the platform role renders, posts its webhook to the app
(served here by uvicorn), which sends to the owner's Apprise URL: e-mail to a real SMTP server
started here (aiosmtpd). The same firing alert posted again and again, as two vmalert replicas
and their retries do, gives one message; its resolution gives one more.

Only the timings of the rendered route are shortened (30 s wait, 5 min interval) and the
webhook's address is the local app's, so the test takes seconds; receivers, grouping and
repetition are as rendered."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.ansible.test_platform_manifests import render, values
from tests.support import databases
from tests.support.receivers import Inbox, smtp_inbox
from tests.support.servers import free_port, stop, uvicorn, wait_until_up

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
OWNER = "owner@example.jp"
TOKEN = "alertmanager-token-for-the-test-0123456789"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as receiver:
        yield receiver


@pytest.fixture
def app(inbox: tuple[Inbox, int], tmp_path: Path) -> Iterator[str]:
    """The backend with the alert settings `make seal` gives it."""
    _, smtp_port = inbox
    url = f"sqlite:///{tmp_path / 'app.db'}"
    databases.migrate(url)
    owner = f"mailto://127.0.0.1:{smtp_port}?from=alerts@example.jp&to={OWNER}"
    with uvicorn(
        url, extra_env={"ALERT_WEBHOOK_TOKEN": TOKEN, "ALERT_APPRISE_URLS": owner}
    ) as base:
        yield base


@pytest.fixture
def alertmanager(app: str, tmp_path: Path) -> Iterator[str]:
    if not ALERTMANAGER.exists():
        pytest.fail(f"{ALERTMANAGER} is missing: run `make test-deps`")
    manifests = render(
        tmp_path / "rendered",
        "-e",
        f"vault_alert_webhook_token={TOKEN}",
        "-e",
        "vault_alert_apprise_urls=mailto://owner-relay.example.jp",
    )
    config: dict[str, Any] = values(manifests, "HelmChart", "victoria-metrics-alert")[
        "alertmanager"
    ]["config"]
    assert config["route"]["group_by"] == ["alertname"]
    assert config["route"]["repeat_interval"] == "24h"
    [webhook] = config["receivers"][0]["webhook_configs"]
    assert webhook == {
        "url": "http://backend.household-task-manager.svc:8000/api/alerts",
        "http_config": {"authorization": {"credentials": TOKEN}},
        "send_resolved": True,
    }
    webhook["url"] = f"{app}/api/alerts"
    config["route"] |= {"group_wait": "1s", "group_interval": "2s"}
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            str(ALERTMANAGER),
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/-/ready", process)
        yield base
    finally:
        stop(process)


def post(base: str, alert: dict[str, Any]) -> None:
    response = httpx.post(f"{base}/api/v2/alerts", json=[alert], timeout=5)
    assert response.status_code == 200, response.text


def wait_for(inbox: Inbox, count: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(inbox.messages) >= count, f"{len(inbox.messages)} messages, expected {count}"


def test_a_firing_alert_reaches_the_owner_once_and_its_resolution_once(
    alertmanager: str, inbox: tuple[Inbox, int]
) -> None:
    messages, _ = inbox
    started = datetime.now(UTC) - timedelta(minutes=3)
    alert = {
        "labels": {"alertname": "BackendDown", "severity": "critical"},
        "annotations": {
            "summary": "No backend pod is answering",
            "description": "Prometheus cannot scrape any backend pod; the app is down.",
        },
        "startsAt": started.isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
    }
    # Two vmalert replicas send each firing alert, and resend it at every evaluation.
    for _ in range(2):
        post(alertmanager, alert)
    wait_for(messages, 1)
    for _ in range(3):
        post(alertmanager, alert)
        time.sleep(1)
    time.sleep(3)  # beyond the group interval: nothing more was due
    assert len(messages.messages) == 1
    envelope, message = messages.messages[0]
    assert envelope.rcpt_tos == [OWNER]
    assert message["Subject"] == "[FIRING] BackendDown (critical)"
    body = message.get_body(("plain", "html"))
    assert body is not None
    assert "No backend pod is answering" in body.get_content()

    post(alertmanager, {**alert, "endsAt": datetime.now(UTC).isoformat()})
    wait_for(messages, 2)
    time.sleep(3)
    assert len(messages.messages) == 2
    assert messages.messages[1][1]["Subject"] == "[RESOLVED] BackendDown (critical)"


def test_without_the_owners_urls_alertmanager_has_no_receiver(tmp_path: Path) -> None:
    manifests = render(tmp_path / "rendered")
    config = values(manifests, "HelmChart", "victoria-metrics-alert")["alertmanager"]["config"]
    assert config["receivers"] == [{"name": "owner"}]
