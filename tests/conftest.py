"""Session fixtures for the whole suite, and the rule that CI runs every test.

Under CI (`CI=true`, which GitHub Actions sets) a test that skips did not run: a missing tool
or privilege would otherwise leave the job green without the test. So every skip, whether
raised in a test, a fixture, a `skipif` marker or at module level, is reported as a failure
that carries the skip's reason. Expected failures (xfail) are not skips and stay as they are;
tests a CI job does not want are deselected (`-m "not cluster"`), which is not a skip.
"""

import os
from collections.abc import Generator, Iterator

import pytest

# The fresh-machine test runs `make test` itself: only `make fresh-machine-test` collects it.
collect_ignore = [] if os.environ.get("HTM_FRESH_MACHINE") == "1" else ["fresh_machine"]


def skips_fail() -> bool:
    """Whether a skip counts as a failure: in CI, where every test must run."""
    return os.environ.get("CI") == "true"


def skip_as_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skipped report into a failed one whose message names the skip's reason."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, lineno, message = longrepr
        where = f"{path}:{lineno}: "
        reason = str(message).removeprefix("Skipped: ")
    else:
        where, reason = "", str(longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true, where a skip is a failure (every test must run here): "
        f"{where}{reason}"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and skips_fail():
        skip_as_failure(report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped and skips_fail():
        skip_as_failure(report)
    return report


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A real PostgreSQL 16 for the whole session (pgserver, or TEST_DATABASE_URL)."""
    # Imported here: the skip rule above is also loaded on its own (`-p tests.conftest`), and
    # this import pulls in the app and alembic.
    from tests.support.databases import postgres_server

    with postgres_server() as url:
        yield url
