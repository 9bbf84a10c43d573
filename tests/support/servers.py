"""Real processes for tests and the benchmark: uvicorn serving the app, PostgreSQL that can be
stopped and started again."""

import functools
import http.server
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.support.databases import REPO_ROOT

UVICORN = REPO_ROOT / ".venv" / "bin" / "uvicorn"
# Cheap argon2id parameters for tests: the algorithm is the real one, only the cost is lower.
TEST_ENV = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def uvicorn(
    database_url: str,
    *,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    stderr: IO[bytes] | None = None,
) -> Iterator[str]:
    """Serves app.main:app on a free loopback port; yields its base URL. Its log goes to
    `stderr` when given (a file), else to the test's."""
    port = free_port()
    env = {
        **os.environ,
        **TEST_ENV,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [str(UVICORN), "app.main:app", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health", process)
        yield base
    finally:
        stop(process)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_files(directory: Path, host: str = "127.0.0.1") -> Iterator[int]:
    """An HTTP server for the files of `directory` on `host`, in a thread; yields its port."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
