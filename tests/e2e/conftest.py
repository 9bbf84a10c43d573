"""The whole app as a phone sees it: PostgreSQL, uvicorn, nginx with the project's own server
template in front of the built frontend, and Debian's chromium driven by Playwright.

`make test` builds the frontend (`make frontend`) and installs chromium and nginx
(`make test-deps`) before pytest runs; these fixtures fail with that advice when they are missing.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, DIST, NGINX, SCREENSHOTS, Site, render_site
from tests.support.databases import create_postgres_database, drop_postgres_database, migrate
from tests.support.servers import free_port, stop, uvicorn, wait_until_up


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist is missing: run `make frontend` (make test does it)")
    return DIST


@pytest.fixture(scope="session")
def site(built_frontend: Path, postgres_admin_url: str) -> Iterator[Site]:
    for program, package in ((NGINX, "nginx"), (CHROMIUM, "chromium")):
        if not program.exists():
            pytest.fail(f"{program} is missing: run `make test-deps` or apt-get install {package}")
    database_url = create_postgres_database(postgres_admin_url)
    migrate(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="htm-e2e-"))
    # nginx's workers drop root to "nobody": let them reach their temp and cache paths.
    workdir.chmod(0o755)
    (workdir / "cache").mkdir(mode=0o777)
    (workdir / "cache").chmod(0o777)
    site_port = free_port()
    nginx: subprocess.Popen[bytes] | None = None
    try:
        # nginx serves the build here, not uvicorn.
        with uvicorn(
            database_url,
            extra_env={"FRONTEND_DIST": str(workdir / "no-frontend")},
            args=("--log-level", "warning"),
        ) as backend_url:
            backend = backend_url.removeprefix("http://")
            # A copy the workers can read wherever the checkout is (a home of mode 0700).
            served = shutil.copytree(built_frontend, workdir / "dist")
            status_port = free_port()
            config = render_site(workdir, site_port, backend, served, status_port)
            nginx = subprocess.Popen(
                [
                    str(NGINX),
                    "-p",
                    str(workdir),
                    "-e",
                    str(workdir / "error.log"),
                    "-c",
                    str(config),
                    "-g",
                    "daemon off;",
                ],
            )
            wait_until_up(f"http://127.0.0.1:{site_port}/", nginx)
            yield Site(
                url=f"http://127.0.0.1:{site_port}",
                backend_url=backend_url,
                access_log=workdir / "access.log",
                status_url=f"http://127.0.0.1:{status_port}/stub_status",
            )
    finally:
        if nginx is not None:
            stop(nginx)
        errors = (workdir / "error.log").read_text() if (workdir / "error.log").exists() else ""
        shutil.rmtree(workdir, ignore_errors=True)
        drop_postgres_database(postgres_admin_url, database_url)
        if "[emerg]" in errors or "[crit]" in errors:
            pytest.fail(f"nginx reported errors:\n{errors}")


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
