"""The cdk8s app: one environment's settings in, one manifest file per component out.

    python cdk8s/main.py [--env NAME ...] [--outdir DIR]     (what `make synth` runs)

Reads like the architecture: the namespace, the database, the backend that
migrates and serves the API, the reminder sender that runs its image every minute, the frontend
that proxies to it, the public ingress, the network policies between them, and the nightly backup
off the database node with its restore Job.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import household  # noqa: F401  (sets JSII_NODE before cdk8s is imported)
from household import database as db
from household.backend import UID as BACKEND_UID
from household.backend import Backend
from household.backup import Backup
from household.config import (
    GITOPS_DIR,
    EnvironmentConfig,
    environment_names,
    load_environment,
)
from household.database import Database
from household.frontend import Frontend
from household.ingress import CONTROLLER_PODS, PublicIngress
from household.namespace import AppNamespace
from household.network_policies import Endpoint, NetworkPolicies
from household.output import write_charts
from household.reminders import ReminderSender
from household.sealing import (
    BACKEND_SECRET,
    BACKUP_SECRET,
    DATABASE_SECRET,
    SealedValues,
    SealedValuesError,
    load_sealed_values,
)

import cdk8s

# One chart per component, in this order; each becomes gitops/<env>/<name>.yaml.
COMPONENTS = (
    "namespace",
    "database",
    "backend",
    "reminders",
    "frontend",
    "ingress",
    "network-policies",
    "backup",
)


def build(config: EnvironmentConfig, sealed: SealedValues) -> list[cdk8s.Chart]:
    app = cdk8s.App()
    charts = {
        name: cdk8s.Chart(
            app,
            name,
            namespace=None if name == "namespace" else config.namespace,
            disable_resource_name_hashes=True,
            labels={
                "app.kubernetes.io/part-of": "household-task-manager",
                "app.kubernetes.io/managed-by": "cdk8s",
            },
        )
        for name in COMPONENTS
    }

    AppNamespace(charts["namespace"], "namespace", name=config.namespace)
    database = Database(
        charts["database"],
        "database",
        settings=config.database,
        resources_main=config.resources.postgres,
        resources_prepare=config.resources.postgres_prepare,
        encrypted_data=sealed.for_secret(DATABASE_SECRET),
    )
    backup = Backup(
        charts["backup"],
        "backup",
        settings=config.backup,
        storage_class=config.database.storage_class,
        encrypted_data=sealed.for_secret(BACKUP_SECRET),
        resources_job=config.resources.backup,
        database_host=database.service_name,
        database_port=database.port,
        database=database.database,
        user=database.user,
        password=database.secret,
        image=db.IMAGE,
        uid=db.POSTGRES_UID,
    )
    backend = Backend(
        charts["backend"],
        "backend",
        config=config,
        encrypted_data=sealed.for_secret(BACKEND_SECRET),
        database_host=database.service_name,
        database_port=database.port,
    )
    reminders = ReminderSender(
        charts["reminders"],
        "reminder-sender",
        image=backend.image,
        env=backend.env,
        resources_job=config.resources.reminders,
        uid=BACKEND_UID,
    )
    frontend = Frontend(
        charts["frontend"],
        "frontend",
        config=config,
        backend_address=f"{backend.service_name}:{backend.port}",
    )
    PublicIngress(
        charts["ingress"],
        "ingress",
        settings=config.ingress,
        host=config.domain,
        frontend=frontend.service,
        frontend_port=frontend.port,
    )
    controller_namespace, controller_labels = CONTROLLER_PODS[config.ingress.controller]
    NetworkPolicies(
        charts["network-policies"],
        "network-policies",
        ingress_controller_namespace=controller_namespace,
        ingress_controller_labels=controller_labels,
        frontend=Endpoint(frontend.pod_labels, frontend.port),
        backend=Endpoint(backend.pod_labels, backend.port),
        database=Endpoint(database.pod_labels, database.port),
        backup_labels=backup.pod_labels,
        reminder_sender_labels=reminders.pod_labels,
        home_destinations=config.notifications.home_destinations,
        monitoring_namespace=config.observability.namespace if config.observability else None,
    )
    return list(charts.values())


def synth(config: EnvironmentConfig, outdir: Path) -> list[Path]:
    sealed = load_sealed_values(config.sealed_values_path, config.namespace, config.name)
    if sealed.throwaway:
        print(
            f"warning: {config.name}: the sealed secrets are placeholders (sealed for a "
            f"throw-away key); run `make seal CDK8S_ENV={config.name}` before the first sync",
            file=sys.stderr,
        )
    return write_charts(build(config, sealed), outdir, config.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env", action="append", dest="envs", help="environment (default: every one)"
    )
    parser.add_argument(
        "--outdir",
        type=Path,
        default=Path(os.environ.get("CDK8S_OUTDIR", GITOPS_DIR)),
        help="parent of the <environment>/ directories (default: gitops/)",
    )
    args = parser.parse_args(argv)
    for name in args.envs or environment_names():
        try:
            written = synth(load_environment(name), args.outdir / name)
        except (ValueError, OSError, SealedValuesError) as error:  # one line, no traceback
            print(f"synth {name}: {error}", file=sys.stderr)
            return 1
        print(f"{name}: wrote {len(written)} files to {args.outdir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
