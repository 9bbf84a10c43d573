"""Pieces of the end-to-end stack: paths, the nginx template rendering, process helpers, and
the whole site (PostgreSQL, uvicorn, nginx) started together."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import create_postgres_database, drop_postgres_database, migrate
from tests.support.servers import free_port, stop, uvicorn, wait_until_up

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
DIST = FRONTEND / "dist"
TEMPLATE = FRONTEND / "nginx.conf"
SCREENSHOTS = REPO / "var" / "screenshots"
NGINX = Path("/usr/sbin/nginx")
CHROMIUM = Path("/usr/bin/chromium")
IMAGE_ROOT = "root /usr/share/nginx/html;"
IMAGE_TEMP = "/var/cache/nginx/"
IMAGE_ACCESS_LOG = "/var/log/nginx/access.log"
IMAGE_STATUS_LISTEN = "listen 127.0.0.1:8081;"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def render_template(template: str, values: dict[str, str]) -> str:
    """envsubst restricted to the given names, as the nginx image does: only `${NAME}` of those
    names is replaced, so nginx's own `$host`, `$uri`, ... survive."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def render_site(directory: Path, port: int, backend: str, root: Path, status_port: int) -> Path:
    """The server template rendered for this machine, inside a minimal main configuration."""
    server = render_template(
        TEMPLATE.read_text(), {"NGINX_PORT": str(port), "BACKEND_ADDRESS": backend}
    )
    assert IMAGE_ROOT in server
    assert IMAGE_TEMP in server
    server = server.replace(IMAGE_ROOT, f"root {root};").replace(IMAGE_TEMP, f"{directory}/cache/")
    assert IMAGE_ACCESS_LOG in server
    server = server.replace(IMAGE_ACCESS_LOG, f"{directory}/access.log")
    # The counters' port is fixed in the pod; here a free one, beside other tests' nginx.
    assert IMAGE_STATUS_LISTEN in server
    server = server.replace(IMAGE_STATUS_LISTEN, f"listen 127.0.0.1:{status_port};")
    # Loopback only on the test machine.
    server = server.replace(f"listen {port};", f"listen 127.0.0.1:{port};")
    (directory / "conf.d").mkdir()
    (directory / "conf.d" / "default.conf").write_text(server)
    main = directory / "nginx.conf"
    main.write_text(
        f"""worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/access.log;
    sendfile on;
    include {directory}/conf.d/*.conf;
}}
"""
    )
    return main


@dataclass(frozen=True)
class Site:
    url: str
    backend_url: str
    access_log: Path
    status_url: str


@contextmanager
def serve_site(
    built_frontend: Path, postgres_admin_url: str, backend_env: dict[str, str] | None = None
) -> Iterator[Site]:
    """A fresh database, the backend (with `backend_env` besides; PUBLIC_URL is the site, as in
    production) and nginx in front of a copy of the build."""
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
    site_url = f"http://127.0.0.1:{site_port}"
    nginx: subprocess.Popen[bytes] | None = None
    try:
        # nginx serves the build here, not uvicorn.
        with uvicorn(
            database_url,
            extra_env={
                "FRONTEND_DIST": str(workdir / "no-frontend"),
                "PUBLIC_URL": site_url,
                **(backend_env or {}),
            },
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
            wait_until_up(f"{site_url}/", nginx)
            yield Site(
                url=site_url,
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
