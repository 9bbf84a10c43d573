"""How long `import-original` takes: the production-sized original and 100 times it.

    .venv/bin/python -m bench.import_original [--scales 1,100]

Builds the original's database (tests/import_original/original.py) on a throw-away local
PostgreSQL 16 (or TEST_DATABASE_URL), then imports it into a freshly migrated database of this app
twice per size: straight from the database URL, and from a `pg_dump -Fc` file through
pg_restore. Prints one line per run; the times include reading the source.
"""

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from app.core.db import make_session_factory
from app.services import original_import
from tests.import_original import original
from tests.support import databases


def _import(target: str, source: str, pg_restore: str) -> tuple[float, original_import.Report]:
    engine = create_engine(target)
    started = time.perf_counter()
    report = original_import.run(
        make_session_factory(engine),
        source,
        time_zone="Asia/Tokyo",
        dry_run=False,
        pg_restore=pg_restore,
    )
    elapsed = time.perf_counter() - started
    engine.dispose()
    if report.refused:
        raise SystemExit("\n".join(report.lines()))
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,100", help="comma-separated copies of production")
    scales = [int(scale) for scale in parser.parse_args().scales.split(",")]
    binaries = databases.postgres_binaries()
    with databases.postgres_server() as admin, tempfile.TemporaryDirectory() as scratch:
        for scale in scales:
            source = databases.create_postgres_database(admin)
            original.build(source, scale=scale)
            dump = original.dump(source, Path(scratch) / f"original-{scale}.dump", "c")
            for label, path in (("database URL", source), ("pg_dump -Fc", str(dump))):
                target = databases.create_postgres_database(admin)
                databases.migrate(target)
                elapsed, report = _import(target, path, str(binaries / "pg_restore"))
                rows = sum(report.imported.values())
                print(
                    f"{scale:>4}x  {label:<13} {report.counts['users']:>5} users "
                    f"{report.counts['tasks']:>6} chores {report.counts['task_executions']:>7} "
                    f"completions: {rows:>7} rows in {elapsed:6.2f} s "
                    f"(import transaction {report.seconds:6.2f} s)",
                    flush=True,
                )
                databases.drop_postgres_database(admin, target)
            databases.drop_postgres_database(admin, source)


if __name__ == "__main__":
    main()
