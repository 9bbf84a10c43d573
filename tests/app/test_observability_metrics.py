"""The metrics the dashboards read beyond the request ones: completions recorded, response cache
lookups and misses, and the database pools, as /metrics serves them (PostgreSQL and SQLite)."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from tests.app.chore_helpers import make_chore
from tests.app.conftest import make_settings
from tests.support.people import Person

Home = tuple[int, dict[str, Person]]


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by name and labels, as Prometheus would read them."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return samples.get((name, ()), 0.0)


def test_completions_are_counted_when_committed(app: FastAPI, home: Home) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    before = value(scrape(member.client), "household_completions_total")
    url = f"/api/households/{household_id}/chores/{chore['id']}/complete"
    member.ok("POST", url, 201, json={})
    member.ok("POST", url, 201, json={})
    # Refused: a viewer may not write, and a chore that does not exist records nothing.
    assert people["viewer"].post(url, json={}).status_code == 403
    missing = f"/api/households/{household_id}/chores/999999/complete"
    assert member.post(missing, json={}).status_code == 404
    assert value(scrape(member.client), "household_completions_total") == before + 2


def test_cache_lookups_and_misses(app: FastAPI, home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    chores = f"/api/households/{household_id}/chores"
    first = scrape(admin.client)
    admin.ok("GET", chores)
    admin.ok("GET", chores)  # the same revision: a hit
    make_chore(admin, household_id)  # a new revision
    admin.ok("GET", chores)
    last = scrape(admin.client)
    lookups = "response_cache_lookups_total"
    misses = "response_cache_misses_total"
    assert value(last, lookups) - value(first, lookups) == 3
    assert value(last, misses) - value(first, misses) == 2


def test_pool_use_and_capacity(database_url: str) -> None:
    app = create_app(make_settings(database_url, db_pool_size=3, db_pool_overflow=2))
    try:
        client = TestClient(app)
        in_use = ("db_pool_connections_in_use", (("pool", "main"),))
        limit = ("db_pool_connections_max", (("pool", "main"),))
        at_rest = scrape(client)
        assert (at_rest[in_use], at_rest[limit]) == (0, 5)
        with app.state.engine.connect(), app.state.engine.connect():
            assert scrape(client)[in_use] == 2
        assert scrape(client)[in_use] == 0
    finally:
        app.state.engine.dispose()
