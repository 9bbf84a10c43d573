"""`make run` serves the build itself, as nginx does in the cluster (try_files $uri $uri.html
/index.html): files, the pages of their own (/login is login.html), and the app at every other
path, never a file outside the build and never an unknown API route."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import make_settings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("the app")
    (dist / "login.html").write_text("the login page")
    (dist / "assets" / "index-1.js").write_text("code")
    (dist / "sw.js").write_text("worker")
    (tmp_path / "secret.html").write_text("outside the build")
    settings = make_settings(f"sqlite:///{tmp_path / 'app.db'}", frontend_dist=dist)
    return TestClient(create_app(settings))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", "the app"),
        ("/h/1/today", "the app"),
        ("/invite/ABCD", "the app"),
        ("/login", "the login page"),
        ("/login.html", "the login page"),
        ("/sw.js", "worker"),
        ("/assets/index-1.js", "code"),
        ("/../secret", "the app"),
        ("/%2e%2e/secret", "the app"),
    ],
)
def test_each_path_gets_the_document_nginx_gives(client: TestClient, path: str, body: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == body


def test_the_documents_are_revalidated_and_unknown_api_routes_are_404(client: TestClient) -> None:
    assert client.get("/login").headers["cache-control"] == "no-cache"
    assert client.get("/h/1/today").headers["cache-control"] == "no-cache"
    assert client.get("/api/nothing-here").status_code == 404
