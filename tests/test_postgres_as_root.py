"""The suite's own PostgreSQL, started as root, loosens no permission outside the project.

pgserver's way of running as root opened up every directory above the venv (g+rx,o+rx), so a
checkout under /root (mode 0700) left /root world-listable. Here the project directory is made
0700 for the duration, as /root is; the server must still start, as another user, and every
directory above the wheel must keep its mode."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pgserver
import pytest
from sqlalchemy import create_engine, text

from tests.support.databases import POSTGRES_USER_AS_ROOT, REPO_ROOT, local_postgres

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="about running the suite as root")


def modes(path: Path) -> dict[Path, int]:
    return {parent: stat.S_IMODE(parent.stat().st_mode) for parent in path.parents}


def test_a_server_started_as_root_loosens_no_directory_above_the_venv() -> None:
    wheel = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"
    before_project = stat.S_IMODE(REPO_ROOT.stat().st_mode)
    REPO_ROOT.chmod(0o700)
    try:
        before = modes(wheel)
        with local_postgres() as server:
            engine = create_engine(server.admin_url)
            with engine.connect() as connection:
                data = connection.execute(text("SHOW data_directory")).scalar()
                version = connection.execute(text("SHOW server_version")).scalar()
            engine.dispose()
            owner = Path(str(data)).stat().st_uid
        assert str(version).startswith("16.")
        assert owner == pwd.getpwnam(POSTGRES_USER_AS_ROOT).pw_uid
        assert modes(wheel) == before
        assert stat.S_IMODE(REPO_ROOT.stat().st_mode) == 0o700
    finally:
        REPO_ROOT.chmod(before_project)
