"""Operations commands of the backend, run where the app runs (a pod, or `make run`'s venv).

    python -m app.cli import-original --source URL-or-DUMP [--time-zone Asia/Tokyo] [--dry-run]
    python -m app.cli send-reminders


The database written to is the app's own (DATABASE_URL). Exit status: 0 imported (or a clean
dry run), 1 refused (rows that cannot be mapped; nothing written), 2 unusable source or target.
send-reminders sends what is due now, once (the CronJob runs it every minute): 0 when the run
completed, even if a member's channel refused (the member sees that in the app; monitoring
alerts only on runs that did not complete).
"""

import argparse
import sys

from app.core.config import get_settings
from app.core.db import make_engine, make_session_factory
from app.services import original_import, reminder_sender


def _import_original(args: argparse.Namespace) -> int:
    # Here, not at the top: send-reminders runs every minute and needs none of alembic.
    from alembic.runtime.migration import MigrationContext

    from app.core.health import migration_head

    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=1, overflow=0)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != migration_head():
            print(
                f"import-original: the app's database is at {current}, not {migration_head()}: "
                "run `alembic upgrade head` first",
                file=sys.stderr,
            )
            return 2
        report = original_import.run(
            make_session_factory(engine),
            args.source,
            time_zone=args.time_zone,
            dry_run=args.dry_run,
            pg_restore=args.pg_restore,
        )
    except original_import.SourceError as error:
        print(f"import-original: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("\n".join(report.lines()))
    return 1 if report.refused else 0


def _send_reminders() -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=1, overflow=0)
    try:
        report = reminder_sender.run_once(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    print(f"send-reminders: {report.line()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser(
        "import-original",
        help="import the original app's database, all or nothing, skipping rows already imported",
    )
    importer.add_argument(
        "--source",
        required=True,
        help="postgresql://user@host:5432/db (the password may come from PGPASSWORD) or a "
        "pg_dump file (-Fc through pg_restore, or plain -Fp)",
    )
    importer.add_argument(
        "--time-zone",
        default="Asia/Tokyo",
        help="the zone the original's naive timestamps are in; also the households' zone",
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="check and report, then roll everything back"
    )
    importer.add_argument(
        "--pg-restore", help="the pg_restore (16 or newer) for archive dumps (default: on PATH)"
    )
    commands.add_parser("send-reminders", help="send the reminders that are due now, once")
    args = parser.parse_args(argv)
    if args.command == "import-original":
        return _import_original(args)
    if args.command == "send-reminders":
        return _send_reminders()
    parser.error(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
