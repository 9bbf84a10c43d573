"""The nginx server template in front of the build: probes, caching, headers, SPA fallback and
the /api proxy (with the Host the backend's same-origin check needs)."""

import gzip
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.stack import Site

pytestmark = pytest.mark.slow


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_root_answers_200_with_the_uncached_index_and_security_headers(site: Site) -> None:
    status, headers, body = fetch(site.url + "/")
    assert status == 200
    assert b'<div id="root">' in body
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp)
    assert script_src is not None
    assert script_src.group(1).strip() == "'self'"


def test_client_routes_fall_back_to_the_index(site: Site) -> None:
    status, headers, body = fetch(site.url + "/h/1/today")
    assert (status, headers["cache-control"]) == (200, "no-cache")
    assert b'<div id="root">' in body


def test_hashed_assets_are_immutable_and_gzipped(site: Site, built_frontend: Path) -> None:
    script = next((built_frontend / "assets").glob("index-*.js")).name
    status, headers, body = fetch(
        site.url + f"/assets/{script}", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (built_frontend / "assets" / script).read_bytes()
    assert fetch(site.url + "/assets/missing-0000.js")[0] == 404


def test_manifest_is_served_as_a_web_manifest(site: Site) -> None:
    status, headers, body = fetch(site.url + "/manifest.webmanifest")
    assert status == 200
    assert headers["content-type"].startswith("application/manifest+json")
    assert json.loads(body)["theme_color"] == "#2f6f4e"


def test_api_is_proxied_unchanged_and_keeps_the_site_origin(site: Site) -> None:
    status, _, body = fetch(site.url + "/api/auth/me")
    assert (status, json.loads(body)["code"]) == (401, "not_authenticated")
    payload = json.dumps(
        {"email": "origin@example.jp", "password": "correct horse battery", "display_name": "O"}
    ).encode()
    headers = {"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"}
    foreign = fetch(
        site.url + "/api/auth/register",
        "POST",
        {**headers, "Origin": "http://evil.example"},
        payload,
    )
    assert (foreign[0], json.loads(foreign[2])["code"]) == (403, "csrf_rejected")
    own = fetch(site.url + "/api/auth/register", "POST", {**headers, "Origin": site.url}, payload)
    assert own[0] == 201, own[2]


def test_request_bodies_above_the_limit_are_refused_by_nginx(site: Site) -> None:
    status, _, _ = fetch(
        site.url + "/api/households/1/chores/import",
        "POST",
        {"Content-Type": "text/csv"},
        b"x" * (4 * 1024 * 1024),
    )
    assert status == 413
