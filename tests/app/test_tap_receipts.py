"""A tap queued offline is resent with its Idempotency-Key until an answer arrives: whatever
reached the server before, the tap is recorded once and answered as the first time."""

import threading

import pytest
from fastapi import FastAPI

from tests.app.chore_helpers import make_chore
from tests.support.people import Person

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


@pytest.mark.parametrize("action", ["complete", "skip"])
def test_a_resent_tap_is_recorded_once_and_answered_alike(home: Home, action: str) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    url = f"{base(household_id)}/chores/{chore['id']}/{action}"
    key = {"Idempotency-Key": "tap-0f8e1c2d"}
    first = member.ok("POST", url, 201, headers=key, json={"done_at": "2026-01-05T09:00:00+09:00"})
    again = member.ok("POST", url, 201, headers=key, json={"done_at": "2026-01-05T09:00:00+09:00"})
    assert again == first
    history = member.ok("GET", f"{base(household_id)}/completions?from=2026-01-01")
    assert [entry["id"] for entry in history] == [first["id"]]
    # Without the key, or with another, a tap is a new one.
    member.ok("POST", url, 201)
    member.ok("POST", url, 201, headers={"Idempotency-Key": "tap-11111111"})
    assert len(member.ok("GET", f"{base(household_id)}/completions?from=2026-01-01")) == 3


def test_a_resent_undo_takes_back_one_entry_only(home: Home) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    chore_url = f"{base(household_id)}/chores/{chore['id']}"
    member.ok("POST", f"{chore_url}/complete", 201)
    member.ok("POST", f"{chore_url}/complete", 201)
    key = {"Idempotency-Key": "undo-2b7c9a01"}
    first = member.ok("POST", f"{chore_url}/undo", headers=key)
    again = member.ok("POST", f"{chore_url}/undo", headers=key)
    assert again == first
    assert len(member.ok("GET", f"{base(household_id)}/completions")) == 1


def test_a_key_reused_for_another_tap_is_409(home: Home) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    other = make_chore(people["admin"], household_id, name="Other")
    key = {"Idempotency-Key": "tap-dup-0001"}
    member.ok("POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201, headers=key)
    response = member.post(f"{base(household_id)}/chores/{other['id']}/complete", headers=key)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    response = member.post(f"{base(household_id)}/chores/{chore['id']}/undo", headers=key)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


@pytest.mark.parametrize("key", ["short", "has space", "x" * 65, "slash/in/key"])
def test_a_malformed_key_is_422(home: Home, key: str) -> None:
    household_id, people = home
    chore = make_chore(people["admin"], household_id)
    response = people["member"].post(
        f"{base(household_id)}/chores/{chore['id']}/complete", headers={"Idempotency-Key": key}
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_the_same_tap_sent_twice_at_once_is_recorded_once(app: FastAPI, home: Home) -> None:
    household_id, people = home
    member = people["member"]
    chore = make_chore(people["admin"], household_id)
    url = f"{base(household_id)}/chores/{chore['id']}/complete"
    answers: list[dict] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        answers.append(member.ok("POST", url, 201, headers={"Idempotency-Key": "race-7d3f0a9b"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every sender gets the one entry's answer (a failed thread would leave its answer out).
    assert len(answers) == 4
    assert len({answer["id"] for answer in answers}) == 1
    assert len(member.ok("GET", f"{base(household_id)}/completions")) == 1
