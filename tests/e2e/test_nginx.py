"""The nginx server template in front of the build: probes, caching, headers, SPA fallback and
the /api proxy (with the Host the backend's same-origin check needs)."""

import gzip
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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


Line = dict[str, object]


def access_log_lines(site: Site, until: Callable[[list[Line]], bool]) -> list[Line]:
    """The access log's lines once `until` holds of them (or after 5 s): nginx writes a
    request's line after it has sent the answer, so a client may read the log before it."""
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in site.access_log.read_text().splitlines()]
        if until(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_the_request_id_runs_from_nginx_through_the_backend_and_back(site: Site) -> None:
    # A client cannot choose the id: nginx sends its own, which the backend echoes.
    status, headers, _ = fetch(site.url + "/api/auth/me", headers={"X-Request-ID": "mine-1234"})
    assert status == 401
    request_id = headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    def ours(lines: list[Line]) -> list[Line]:
        return [line for line in lines if line["request_id"] == request_id]

    logged = ours(access_log_lines(site, lambda lines: bool(ours(lines))))
    assert len(logged) == 1
    assert {k: logged[0][k] for k in ("method", "path", "status")} == {
        "method": "GET",
        "path": "/api/auth/me",
        "status": 401,
    }
    assert isinstance(logged[0]["duration_s"], float)


def test_the_access_log_keeps_invite_codes_and_feed_tokens_out(site: Site) -> None:
    code = "SecretInviteCode4321"
    token = "SecretFeedToken0123456789"
    assert fetch(site.url + f"/api/invites/{code}")[0] == 404  # public: the code is the secret
    assert fetch(site.url + f"/api/invites/{code}/accept", method="POST")[0] == 403
    assert fetch(site.url + f"/api/calendar/{token}.ics")[0] == 404
    # The invite link's page: logged as what answered it (the SPA's index), without the code.
    assert fetch(site.url + f"/invite/{code}")[0] == 200
    lines = access_log_lines(site, lambda ls: bool(ls) and ls[-1]["path"] == "/index.html")
    text = site.access_log.read_text()
    assert code not in text
    assert token not in text
    paths = [line["path"] for line in lines][-4:]
    assert paths == [
        "/api/invites/{code}",
        "/api/invites/{code}/accept",
        "/api/calendar/{token}.ics",
        "/index.html",
    ]


def test_the_counters_answer_on_loopback_for_the_exporter(site: Site) -> None:
    fetch(site.url + "/")
    status, _, body = fetch(site.status_url)
    assert status == 200
    lines = body.decode().splitlines()
    assert lines[0].startswith("Active connections: ")
    assert lines[1].split() == ["server", "accepts", "handled", "requests"]
    assert int(lines[2].split()[2]) >= 1  # requests handled so far
    # Not on the site's own port.
    assert fetch(site.url + "/stub_status")[1]["cache-control"] == "no-cache"  # the SPA's index
