import gc
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.core.config import Settings, get_settings
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.people import new_client, sign_up

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_health_answers_without_a_database(tmp_path: Path) -> None:
    application = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = new_client(application)
    assert client.get("/health").json() == {"status": "ok"}
    readiness = client.get("/readiness")
    assert readiness.status_code == 503
    assert readiness.json() == {"status": "unavailable", "reason": "database unreachable"}


def test_what_the_app_built_at_start_is_frozen_while_it_serves(tmp_path: Path) -> None:
    """Full garbage collections skip it (they were the p99 of a tap); released at shutdown."""
    application = create_app(make_settings(f"sqlite:///{tmp_path / 'app.db'}"))
    assert gc.get_freeze_count() == 0
    with TestClient(application) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


def test_api_answers_503_fast_when_the_database_is_down() -> None:
    application = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    person = new_client(application)
    response = person.post(
        "/api/auth/login", json={"email": "a@example.jp", "password": "whatever it is"}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"


def test_readiness_needs_the_schema_at_head(tmp_path: Path) -> None:
    application = create_app(make_settings(f"sqlite:///{tmp_path / 'empty.db'}"))
    client = new_client(application)
    with application.state.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0000')"))
    response = client.get("/readiness")
    assert response.status_code == 503
    assert response.json()["reason"].startswith("schema at 0000, expected ")


def test_readiness_is_ready_at_head(app: FastAPI) -> None:
    response = new_client(app).get("/readiness")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema": app.state.migration_head}


def test_metrics_count_requests_by_route_template(app: FastAPI) -> None:
    person = sign_up(app)
    person.get("/api/households/12345")
    body = new_client(app).get("/metrics").text
    assert "# TYPE http_requests_total counter" in body
    assert 'route="/api/households/{household_id}",status="404"' in body
    assert "http_request_duration_seconds_bucket" in body


def test_openapi_docs_are_served(app: FastAPI) -> None:
    client = new_client(app)
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Household task manager"
    assert client.get("/api/docs").status_code == 200


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example/")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_production_without_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match="SECRET_KEY must be set"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_production_start_command_fails_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=REPO_ROOT,
        env={"ENVIRONMENT": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Invalid configuration" in result.stderr
    assert "SECRET_KEY must be set to at least 32 characters" in result.stderr


def test_unknown_default_time_zone_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_TIME_ZONE", "Tokyo")
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        Settings()


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_deployed_environments_need_a_key_and_secure_cookies(environment: str) -> None:
    with pytest.raises(ValueError, match=f"ENVIRONMENT={environment}"):
        Settings(environment=environment)  # type: ignore[arg-type]
    settings = Settings(environment=environment, secret_key="k" * 32)  # type: ignore[arg-type]
    assert settings.is_production


def test_metrics_count_sql_statements(app: FastAPI) -> None:
    person = sign_up(app)

    def statements() -> float:
        for line in new_client(app).get("/metrics").text.splitlines():
            if line.startswith("db_statements_total "):
                return float(line.split()[1])
        raise AssertionError("db_statements_total is missing")

    before = statements()
    person.get("/api/households")
    # The session lookup and the households query.
    assert statements() - before == 2


def test_exhausted_connection_pool_answers_503_not_500(app: FastAPI, database_url: str) -> None:
    """Found by the benchmark: a request that waited out the pool got a 500."""
    settings = make_settings(database_url, db_pool_size=1, db_pool_overflow=0, db_pool_timeout=0.2)
    application = create_app(settings)
    person = sign_up(application)
    held = application.state.engine.connect()
    try:
        response = person.get("/api/households")
    finally:
        held.close()
        application.state.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"detail": "The server is busy; try again shortly", "code": "busy"}
    assert response.headers["Retry-After"] == "1"


def test_in_memory_sqlite_needs_no_pool_settings() -> None:
    """The OpenAPI dump builds the app on sqlite:// (a regression once broke `make api-client`)."""
    application = create_app(make_settings("sqlite://"))
    assert application.openapi()["info"]["title"] == "Household task manager"
