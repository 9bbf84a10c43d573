"""Nightly `pg_dump -Fc` of the database into its own PVC, keeping ``retention_days`` days.

The dump script below is what the CronJob runs, and the restore command is the one the README
documents; tests/cdk8s run both against a real PostgreSQL 16.
"""

from __future__ import annotations

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import BackupSettings, Resources
from .pods import (
    TMP,
    container_security,
    mount_all,
    node_selector,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
    select_pods,
)

BACKUP_DIR = "/backups"
CLAIM_NAME = "postgres-backups"
# Settings come from the environment (PGHOST, PGUSER, PGPASSWORD, PGDATABASE, BACKUP_DIR,
# RETENTION_DAYS). A dump is written under a temporary name and renamed when complete, so a
# failed run never leaves a truncated *.dump behind; only then are dumps older than
# RETENTION_DAYS days deleted.
DUMP_SCRIPT = """\
set -eu
file="$BACKUP_DIR/$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump -Fc -f "$file.partial"
mv "$file.partial" "$file"
echo "wrote $file ($(wc -c < "$file") bytes)"
find "$BACKUP_DIR" -name "$PGDATABASE-*.dump" -type f -mmin +$((RETENTION_DAYS * 1440)) \
-print -delete
"""
# Restores the newest dump into the running database, in one transaction (the app sees either
# the old or the restored data). Run it inside postgres-0, which mounts the dumps read-only.
RESTORE_COMMAND = (
    "pg_restore --clean --if-exists --no-owner --single-transaction -U postgres "
    '-d household_task_manager "$(ls -1 /backups/household_task_manager-*.dump | tail -n 1)"'
)


def restore_command_line(namespace: str) -> str:
    """The documented one-liner (cdk8s/README.md)."""
    return f"kubectl -n {namespace} exec postgres-0 -- sh -c '{RESTORE_COMMAND}'"


class Backup(Construct):
    """Creates the backups claim first (the Database mounts it read-only for restores); call
    ``schedule`` once the database exists."""

    def __init__(
        self, scope: Construct, id: str, *, settings: BackupSettings, storage_class: str
    ) -> None:
        super().__init__(scope, id)
        self.settings = settings
        self.pod_labels = {"app.kubernetes.io/name": "postgres-backup"}
        self.claim = kplus.PersistentVolumeClaim(
            self,
            "claim",
            metadata=cdk8s.ApiObjectMetadata(name=CLAIM_NAME),
            storage=cdk8s.Size.gibibytes(int(settings.storage.removesuffix("Gi"))),
            storage_class_name=storage_class,
            access_modes=[kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        )

    def schedule(
        self,
        *,
        resources_job: Resources,
        database_host: str,
        database_port: int,
        database: str,
        user: str,
        password: kplus.ISecret,
        node: str,
        image: str,
        uid: int,
    ) -> None:
        job = kplus.CronJob(
            self,
            "cronjob",
            metadata=cdk8s.ApiObjectMetadata(name="postgres-backup"),
            schedule=cdk8s.Cron.schedule(**_cron_fields(self.settings.schedule)),
            time_zone=self.settings.time_zone,
            concurrency_policy=kplus.ConcurrencyPolicy.FORBID,
            starting_deadline=cdk8s.Duration.hours(1),
            successful_jobs_retained=3,
            failed_jobs_retained=3,
            backoff_limit=2,
            active_deadline=cdk8s.Duration.hours(1),
            select=False,
            pod_metadata=pod_metadata("postgres-backup", "backup"),
            restart_policy=kplus.RestartPolicy.NEVER,
            security_context=pod_security(user=uid, group=uid),
        )
        select_pods(job, "postgres-backup")
        # The backups claim is also mounted by postgres-0, so both must share its node.
        node_selector(job, {"kubernetes.io/hostname": node})
        container = job.add_container(
            name="pg-dump",
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=["sh", "-c", DUMP_SCRIPT],
            env_variables={
                "PGHOST": kplus.EnvValue.from_value(database_host),
                "PGPORT": kplus.EnvValue.from_value(str(database_port)),
                "PGDATABASE": kplus.EnvValue.from_value(database),
                "PGUSER": kplus.EnvValue.from_value(user),
                "PGPASSWORD": kplus.EnvValue.from_secret_value(
                    kplus.SecretValue(secret=password, key="POSTGRES_PASSWORD")
                ),
                "BACKUP_DIR": kplus.EnvValue.from_value(BACKUP_DIR),
                "RETENTION_DAYS": kplus.EnvValue.from_value(str(self.settings.retention_days)),
            },
            resources=resources(resources_job),
            security_context=container_security(),
        )
        backups = kplus.Volume.from_persistent_volume_claim(self, "backups", self.claim)
        container.mount(BACKUP_DIR, backups)
        mount_all(container, scratch_volumes(self, {"tmp": TMP}))


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, week_day = expression.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month, "week_day": week_day}
