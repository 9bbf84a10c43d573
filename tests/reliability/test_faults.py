"""PostgreSQL stops under load and comes back: the app fails fast with 503, keeps its liveness,
loses no committed write, and recovers by itself without a restart."""

import threading
import time
from collections import Counter

import httpx

from tests.reliability.conftest import client, register
from tests.support.databases import create_postgres_database, local_postgres, migrate
from tests.support.servers import uvicorn


def test_database_outage_fails_fast_and_recovers_without_restart() -> None:
    with local_postgres() as postgres:
        url = create_postgres_database(postgres.admin_url)
        migrate(url)
        with uvicorn(url) as base:
            person = register(base, "outage@example.jp", "Outage")
            household = person.post("/api/households", json={"name": "Home"}).json()
            api = f"/api/households/{household['id']}"
            chore = person.post(
                f"{api}/chores",
                json={"name": "Daily", "recurrence": {"kind": "interval", "every": 1}},
            ).json()
            committed: list[int] = []
            statuses: Counter[int] = Counter()
            slowest_failure = 0.0
            stop = threading.Event()
            lock = threading.Lock()

            def load() -> None:
                nonlocal slowest_failure
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        response = person.post(f"{api}/chores/{chore['id']}/complete")
                    except httpx.HTTPError:
                        status = 0
                    else:
                        status = response.status_code
                    elapsed = time.monotonic() - started
                    with lock:
                        statuses[status] += 1
                        if status == 201:
                            committed.append(response.json()["id"])
                        elif status == 503:
                            slowest_failure = max(slowest_failure, elapsed)
                    time.sleep(0.02)

            worker = threading.Thread(target=load)
            worker.start()
            probe = client(base)
            try:
                time.sleep(1.0)
                postgres.stop()
                time.sleep(1.5)
                down_health = probe.get("/health")
                down_ready = probe.get("/readiness")
                down_api = person.get(f"{api}/due")
                postgres.start()
                restarted = time.monotonic()
                recovered_after = None
                while time.monotonic() - restarted < 15:
                    if probe.get("/readiness").status_code == 200:
                        recovered_after = time.monotonic() - restarted
                        break
                    time.sleep(0.2)
                time.sleep(1.0)
            finally:
                stop.set()
                worker.join(timeout=30)
            history = person.get(f"{api}/completions?limit=1000").json()

    assert down_health.status_code == 200
    assert down_ready.status_code == 503
    assert down_ready.json()["reason"] == "database unreachable"
    assert down_api.status_code == 503
    assert down_api.json()["code"] == "database_unavailable"
    assert recovered_after is not None, "the app did not become ready again within 15s"
    assert statuses[503] > 0, statuses
    assert slowest_failure < 3.5, slowest_failure
    assert set(statuses) <= {201, 503}, statuses
    # Every completion the client saw committed is in the history, once.
    assert sorted(entry["id"] for entry in history) == sorted(committed)
    assert statuses[201] == len(committed) > 0
