"""How long `import-original` takes: the production-sized original and 100 times it.

    .venv/bin/python -m bench.import_original [--scales 1,100]

Builds the original's database (tests/import_original/original.py) on a throw-away local
PostgreSQL 16 (or TEST_DATABASE_URL), then runs `python -m app.cli import-original`, as the
Job does, into a freshly migrated database of this app twice per size: straight from the
database URL, and from a `pg_dump -Fc` file through pg_restore. Prints one line per run: the
command's wall time (start-up and reading the source included), the import transaction's time
from its report, and the command's peak RSS (what the Job's memory limit must allow).
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.import_original import original
from tests.support import databases

REPO_ROOT = Path(__file__).resolve().parents[1]


def _import(target: str, source: str, pg_restore: str) -> tuple[float, float, str]:
    """Wall seconds, the report's seconds, and the report's first line."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "import-original",
            "--source",
            source,
            "--pg-restore",
            pg_restore,
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": target, "ENVIRONMENT": "test"},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    first = result.stdout.splitlines()[0]
    seconds = re.search(r"\(([0-9.]+) s\)$", first)
    assert seconds, first
    return elapsed, float(seconds[1]), result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,100", help="comma-separated copies of production")
    scales = sorted(int(scale) for scale in parser.parse_args().scales.split(","))
    pg_restore = str(databases.postgres_binaries() / "pg_restore")
    with databases.postgres_server() as admin, tempfile.TemporaryDirectory() as scratch:
        for scale in scales:
            source = databases.create_postgres_database(admin)
            original.build(source, scale=scale)
            dump = original.dump(source, Path(scratch) / f"original-{scale}.dump", "c")
            for label, path in (("database URL", source), ("pg_dump -Fc", str(dump))):
                target = databases.create_postgres_database(admin)
                databases.migrate(target)
                elapsed, seconds, report = _import(target, path, pg_restore)
                rows = re.search(r"task_executions\s+(\d+)\s+(\d+)", report)
                assert rows, report
                # The children's peak so far: the scales run smallest first, so it is this one's.
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
                print(
                    f"{scale:>4}x  {label:<13} {rows[1]:>6} completions imported: "
                    f"{elapsed:6.2f} s (import transaction {seconds:6.2f} s), "
                    f"peak RSS {rss} MiB",
                    flush=True,
                )
                databases.drop_postgres_database(admin, target)
            databases.drop_postgres_database(admin, source)


if __name__ == "__main__":
    main()
