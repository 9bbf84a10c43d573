"""Login throttling holds under a burst of parallel attempts, across worker processes: from one
address, the free failures of the account and address pair, then the back-off."""

from concurrent.futures import ThreadPoolExecutor

from tests.reliability.conftest import client, register
from tests.support.people import PASSWORD
from tests.support.servers import uvicorn


def test_parallel_guesses_get_exactly_the_allowed_failures(postgres_url: str) -> None:
    with uvicorn(postgres_url, args=("--workers", "2")) as base:
        register(base, "target@example.jp", "Target")

        def guess(i: int) -> int:
            with client(base) as attacker:
                body = {"email": "target@example.jp", "password": f"wrong guess {i}"}
                return attacker.post("/api/auth/login", json=body).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = sorted(pool.map(guess, range(30)))
        with client(base) as owner:
            rightful = owner.post(
                "/api/auth/login", json={"email": "target@example.jp", "password": PASSWORD}
            )
    assert statuses == [401] * 3 + [429] * 27
    assert rightful.status_code == 429
    assert int(rightful.headers["Retry-After"]) > 0
