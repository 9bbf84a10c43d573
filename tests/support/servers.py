"""Real processes for tests and the benchmark: uvicorn serving the app, PostgreSQL that can be
stopped and started again."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.support.databases import REPO_ROOT, to_sqlalchemy_url

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
    database_url: str, *, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Serves app.main:app on a free loopback port; yields its base URL."""
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
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health", process)
        yield base
    finally:
        stop(process)


@dataclass
class StoppablePostgres:
    """A PostgreSQL 16 of its own, for tests that take the database away and bring it back."""

    server: object
    pgdata: Path
    socket_dir: Path
    user: str | None

    @property
    def admin_url(self) -> str:
        return to_sqlalchemy_url(self.server.get_uri())  # type: ignore[attr-defined]

    def stop(self) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user)

    def start(self) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.pgdata / "log"),
                "start",
            ],
            pgdata=self.pgdata,
            user=self.user,
        )


@contextmanager
def stoppable_postgres() -> Iterator[StoppablePostgres]:
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="htm-pg-faults-", dir="/var/tmp"))
    server = pgserver.get_server(root / "data", cleanup_mode=None)
    info = server.get_postmaster_info()
    assert info.socket_dir is not None
    postgres = StoppablePostgres(server, root / "data", info.socket_dir, server.system_user)
    try:
        yield postgres
    finally:
        # pgserver only knows the first postmaster: stop whichever one runs now, ourselves.
        with suppress(subprocess.CalledProcessError):
            postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
