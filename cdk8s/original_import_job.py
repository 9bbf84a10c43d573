"""Renders the one-off Job that imports the original app's database (never synced by Argo CD).

    python cdk8s/original_import_job.py [--env production] [--dry-run] [--time-zone ZONE]
                                        [--out FILE]        (what `make import-original-job` runs)

Writes var/original-import/<environment>[-dry-run].yaml: the Job `import-original` (or
`import-original-dry-run`) and its two NetworkPolicies, for `kubectl apply -f` (README, "Moving
from the original deployment"). The Job uses the backend image and Secrets of that environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import household  # noqa: F401  (sets JSII_NODE before cdk8s is imported)
import yaml
from household import backend, database
from household.config import REPO_ROOT, EnvironmentConfig, load_environment
from household.original_import import OriginalImport
from household.pods import selector_labels
from household.sealing import BACKEND_SECRET, DATABASE_SECRET

import cdk8s

OUT_DIR = REPO_ROOT / "var" / "original-import"
HEADER = (
    "# Rendered by `make import-original-job` from cdk8s/ (environment: {environment}).\n"
    "# Not in gitops/: apply it by hand, once (README, Moving from the original deployment).\n"
)


def build(config: EnvironmentConfig, *, time_zone: str, dry_run: bool) -> cdk8s.Chart:
    app = cdk8s.App()
    chart = cdk8s.Chart(
        app,
        "original-import",
        namespace=config.namespace,
        disable_resource_name_hashes=True,
        labels={
            "app.kubernetes.io/part-of": "household-task-manager",
            "app.kubernetes.io/managed-by": "cdk8s",
        },
    )
    OriginalImport(
        chart,
        "original-import",
        image=config.backend_image,
        uid=backend.UID,
        resources_job=config.resources.migrations,
        time_zone=time_zone,
        dry_run=dry_run,
        backend_config="backend-config",
        backend_secret=BACKEND_SECRET,
        database_host="postgres",
        database_port=database.PORT,
        database_user=database.USER,
        database_secret=DATABASE_SECRET,
        database_labels=selector_labels("postgres"),
    )
    return chart


def render(config: EnvironmentConfig, *, time_zone: str, dry_run: bool) -> str:
    documents = build(config, time_zone=time_zone, dry_run=dry_run).to_json()
    body: str = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=100_000)
    return HEADER.format(environment=config.name) + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="production", help="environment (default: production)")
    parser.add_argument("--dry-run", action="store_true", help="a Job that checks and reports")
    parser.add_argument("--time-zone", default="Asia/Tokyo", help="the original's time zone")
    parser.add_argument("--out", type=Path, help="output file (default: var/original-import/)")
    args = parser.parse_args(argv)
    try:
        config = load_environment(args.env)
    except (ValueError, OSError) as error:
        print(f"import-original-job: {error}", file=sys.stderr)
        return 1
    suffix = "-dry-run" if args.dry_run else ""
    out: Path = args.out or OUT_DIR / f"{config.name}{suffix}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(config, time_zone=args.time_zone, dry_run=args.dry_run))
    print(f"wrote {out}: kubectl apply -f {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
