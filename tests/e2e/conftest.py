"""The whole app as a phone sees it: PostgreSQL, uvicorn, nginx with the project's own server
template in front of the built frontend, and Debian's chromium driven by Playwright.

`make test` builds the frontend (`make frontend`) and installs chromium and nginx
(`make test-deps`) before pytest runs; these fixtures fail with that advice when they are missing.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, DIST, SCREENSHOTS, Site, serve_site


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist is missing: run `make frontend` (make test does it)")
    return DIST


@pytest.fixture(scope="session")
def site(built_frontend: Path, postgres_admin_url: str) -> Iterator[Site]:
    with serve_site(built_frontend, postgres_admin_url) as served:
        yield served


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
