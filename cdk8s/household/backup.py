"""Nightly backups that survive losing the database node, and the Job that restores one.

Each night `pg_dump -Fc` (postgres image) writes the dump into the pod's scratch space, then
restic (a pinned field tool: encrypted, deduplicated, SHA-256 content addressed) adds it to a
repository on a local PersistentVolume pinned to ``backup.node``, a node other than the database
node, forgets snapshots beyond the retention policy and checks the repository. The suspended
CronJob ``postgres-restore`` is the restore Job's template: `make restore SNAPSHOT=<id|latest>`
starts a Job from it. tests/cdk8s and tests/reliability run these scripts, with the real restic
and PostgreSQL 16 binaries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import cdk8s_plus_33 as kplus
from cdk8s_plus_33 import k8s
from constructs import Construct

import cdk8s

from .config import BackupSettings, Resources
from .network_policies import internet
from .pods import (
    TMP,
    container_security,
    mount_all,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
    select_pods,
)
from .sealed_secret import SealedSecret
from .sealing import BACKUP_SECRET, OFFSITE_KEYS

# Pinned like the other images: an exact release tag.
RESTIC_IMAGE = "restic/restic:0.18.0"
# The PV is the restic repository; the dump passes through the pod's scratch emptyDir.
REPOSITORY = "/backups"
DUMP_DIR = TMP
CLAIM_NAME = "postgres-backups"
# Every snapshot is filed under one host name and tag (a pod's own host name changes each
# night, and restic's retention groups snapshots by host).
RESTIC_HOST = "postgres-backup"
RESTIC_TAG = "postgres"
# Room in the scratch emptyDir for the dump (and restic's cache).
SCRATCH_SIZE = "1Gi"

# pg-dump (init container). The dump is written under a temporary name and renamed only once
# pg_dump succeeded and pg_restore can read its table of contents; its sha256 goes beside it.
DUMP_SCRIPT = """\
set -eu
file="$DUMP_DIR/$PGDATABASE.dump"
pg_dump -Fc -f "$file.partial"
pg_restore --list "$file.partial" > /dev/null
mv "$file.partial" "$file"
sha256sum "$file" | cut -d ' ' -f 1 > "$file.sha256"
echo "dumped $PGDATABASE: $(wc -c < "$file") bytes, sha256 $(cat "$file.sha256")"
"""
# restic (main container): the dump's sha256 is a tag of its snapshot, which the restore
# checks end to end. Retention: restic forget --keep-last/daily/weekly/monthly, then prune.
# With backup.offsite, the new snapshots are then copied to that S3 repository (same password,
# same chunker parameters, so the copy deduplicates), which gets the same retention.
UPLOAD_SCRIPT = """\
set -eu
file="$DUMP_DIR/$PGDATABASE.dump"
restic cat config > /dev/null 2>&1 || restic init
restic backup --host "$RESTIC_HOST" --tag "$RESTIC_TAG" --tag "sha256-$(cat "$file.sha256")" \
--stdin --stdin-filename "$PGDATABASE.dump" < "$file"
restic forget --host "$RESTIC_HOST" --tag "$RESTIC_TAG" --keep-last "$KEEP_LAST" \
--keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune
restic check
if [ -n "${OFFSITE_REPOSITORY:-}" ]; then
  export RESTIC_FROM_REPOSITORY="$RESTIC_REPOSITORY"
  export RESTIC_FROM_PASSWORD_COMMAND="printenv RESTIC_PASSWORD"
  export RESTIC_REPOSITORY="$OFFSITE_REPOSITORY"
  restic cat config > /dev/null 2>&1 || restic init --copy-chunker-params
  restic copy --host "$RESTIC_HOST" --tag "$RESTIC_TAG"
  restic forget --host "$RESTIC_HOST" --tag "$RESTIC_TAG" --keep-last "$KEEP_LAST" \
--keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune
  restic check
fi
"""
# restic-dump (init container of the restore): lists the snapshots (the Job's log then shows
# what could be chosen), writes the chosen one's dump and checks it against its sha256 tag.
FETCH_SCRIPT = """\
set -eu
file="$DUMP_DIR/$PGDATABASE.dump"
restic snapshots --host "$RESTIC_HOST" --tag "$RESTIC_TAG"
sum=$(restic snapshots --json --host "$RESTIC_HOST" --tag "$RESTIC_TAG" "$SNAPSHOT" \
| grep -o 'sha256-[0-9a-f]*' | head -n 1 | cut -d - -f 2)
restic dump --host "$RESTIC_HOST" --tag "$RESTIC_TAG" "$SNAPSHOT" "/$PGDATABASE.dump" > "$file"
echo "$sum  $file" | sha256sum -c -
"""
# pg-restore (main container): one transaction, so the app sees either the old or the
# restored data, and an error leaves the database as it was.
RESTORE_SCRIPT = """\
set -eu
file="$DUMP_DIR/$PGDATABASE.dump"
pg_restore --clean --if-exists --no-owner --single-transaction -d "$PGDATABASE" "$file"
echo "restored $PGDATABASE from snapshot $SNAPSHOT"
"""


class Backup(Construct):
    """The repository's volume and claim, the nightly CronJob ``postgres-backup`` and the
    suspended CronJob ``postgres-restore``; exposes ``pod_labels`` for the network policies."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: BackupSettings,
        storage_class: str,
        encrypted_data: Mapping[str, str],
        resources_job: Resources,
        database_host: str,
        database_port: int,
        database: str,
        user: str,
        password: kplus.ISecret,
        image: str,
        uid: int,
    ) -> None:
        super().__init__(scope, id)
        self.settings = settings
        self.pod_labels = {"app.kubernetes.io/name": "postgres-backup"}
        namespace = cdk8s.Chart.of(self).namespace
        claim = self._claim(storage_class, namespace)
        backup_secret = SealedSecret(
            self, "secret", name=BACKUP_SECRET, encrypted_data=encrypted_data
        ).secret
        self.common_env = {
            "PGHOST": kplus.EnvValue.from_value(database_host),
            "PGPORT": kplus.EnvValue.from_value(str(database_port)),
            "PGDATABASE": kplus.EnvValue.from_value(database),
            "PGUSER": kplus.EnvValue.from_value(user),
            "DUMP_DIR": kplus.EnvValue.from_value(DUMP_DIR),
            "RESTIC_HOST": kplus.EnvValue.from_value(RESTIC_HOST),
            "RESTIC_TAG": kplus.EnvValue.from_value(RESTIC_TAG),
        }
        self.pg_env = {
            "PGPASSWORD": kplus.EnvValue.from_secret_value(
                kplus.SecretValue(secret=password, key="POSTGRES_PASSWORD")
            )
        }
        self.restic_env = {
            "RESTIC_REPOSITORY": kplus.EnvValue.from_value(REPOSITORY),
            "RESTIC_PASSWORD": kplus.EnvValue.from_secret_value(
                kplus.SecretValue(secret=backup_secret, key="RESTIC_PASSWORD")
            ),
            "RESTIC_CACHE_DIR": kplus.EnvValue.from_value(f"{TMP}/restic-cache"),
        }
        self.resources_job = resources_job
        retention = settings.retention
        offsite: dict[str, kplus.EnvValue] = {}
        if settings.offsite is not None:
            missing = [key for key in OFFSITE_KEYS if key not in encrypted_data]
            if missing:
                raise ValueError(
                    f"backup.offsite is set but {BACKUP_SECRET} lacks {', '.join(missing)}: add "
                    "the S3 keys to the vault and run `make seal`"
                )
            offsite = {
                "OFFSITE_REPOSITORY": kplus.EnvValue.from_value(settings.offsite.repository),
                **{
                    key: kplus.EnvValue.from_secret_value(
                        kplus.SecretValue(secret=backup_secret, key=key)
                    )
                    for key in OFFSITE_KEYS
                },
            }
            self._offsite_egress()
        backup = self._cron_job(
            "cronjob",
            "postgres-backup",
            component="backup",
            schedule=settings.schedule,
            suspend=False,
            uid=uid,
        )
        dump = self._add(backup.add_init_container, "pg-dump", image, DUMP_SCRIPT, self.pg_env)
        upload = self._add(
            backup.add_container,
            "restic",
            RESTIC_IMAGE,
            UPLOAD_SCRIPT,
            {
                **self.restic_env,
                "KEEP_LAST": kplus.EnvValue.from_value(str(retention.last)),
                "KEEP_DAILY": kplus.EnvValue.from_value(str(retention.daily)),
                "KEEP_WEEKLY": kplus.EnvValue.from_value(str(retention.weekly)),
                "KEEP_MONTHLY": kplus.EnvValue.from_value(str(retention.monthly)),
                **offsite,
            },
        )
        self._mount("backup", claim, pg=dump, restic=upload)

        restore = self._cron_job(
            "restore",
            "postgres-restore",
            component="restore",
            # Never runs on its own: `make restore` creates a Job from it.
            schedule="0 0 1 1 *",
            suspend=True,
            uid=uid,
        )
        snapshot = {"SNAPSHOT": kplus.EnvValue.from_value("latest")}
        fetch = self._add(
            restore.add_init_container,
            "restic-dump",
            RESTIC_IMAGE,
            FETCH_SCRIPT,
            {**self.restic_env, **snapshot},
        )
        load = self._add(
            restore.add_container, "pg-restore", image, RESTORE_SCRIPT, {**self.pg_env, **snapshot}
        )
        self._mount("restore", claim, pg=load, restic=fetch)

    def _offsite_egress(self) -> None:
        """HTTPS from the backup's pods to addresses outside the home network, for the off-site
        repository; the namespace's other policies allow them only DNS and postgres."""
        k8s.KubeNetworkPolicy(
            self,
            "offsite-egress",
            metadata=k8s.ObjectMeta(name="postgres-backup-offsite"),
            spec=k8s.NetworkPolicySpec(
                pod_selector=k8s.LabelSelector(match_labels=self.pod_labels),
                policy_types=["Egress"],
                # The off-site repository is on the internet, never at home or in the cluster.
                egress=[internet(443)],
            ),
        )

    def _claim(self, storage_class: str, namespace: str | None) -> kplus.PersistentVolumeClaim:
        """A `local` PV on the backup node, pre-bound to the claim and kept (Retain) when the
        claim goes away: the local-path provisioner would place it on whichever node a pod
        first ran on, under /var/lib/rancher (which reset.yml removes), and delete it with the
        claim."""
        settings = self.settings
        volume = k8s.KubePersistentVolume(
            self,
            "volume",
            metadata=k8s.ObjectMeta(name=settings.persistent_volume),
            spec=k8s.PersistentVolumeSpec(
                capacity={"storage": k8s.Quantity.from_string(settings.storage)},
                access_modes=["ReadWriteOnce"],
                persistent_volume_reclaim_policy="Retain",
                storage_class_name=storage_class,
                volume_mode="Filesystem",
                local=k8s.LocalVolumeSource(path=settings.host_path),
                claim_ref=k8s.ObjectReference(namespace=namespace, name=CLAIM_NAME),
                node_affinity=k8s.VolumeNodeAffinity(
                    required=k8s.NodeSelector(
                        node_selector_terms=[
                            k8s.NodeSelectorTerm(
                                match_expressions=[
                                    k8s.NodeSelectorRequirement(
                                        key="kubernetes.io/hostname",
                                        operator="In",
                                        values=[settings.node],
                                    )
                                ]
                            )
                        ]
                    )
                ),
            ),
        )
        volume.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
        return kplus.PersistentVolumeClaim(
            self,
            "claim",
            metadata=cdk8s.ApiObjectMetadata(name=CLAIM_NAME),
            storage=cdk8s.Size.gibibytes(int(settings.storage.removesuffix("Gi"))),
            storage_class_name=storage_class,
            access_modes=[kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
            volume=kplus.PersistentVolume.from_persistent_volume_name(
                self, "bound-volume", settings.persistent_volume
            ),
        )

    def _cron_job(
        self, id: str, name: str, *, component: str, schedule: str, suspend: bool, uid: int
    ) -> kplus.CronJob:
        job = kplus.CronJob(
            self,
            id,
            metadata=cdk8s.ApiObjectMetadata(name=name),
            schedule=cdk8s.Cron.schedule(**_cron_fields(schedule)),
            time_zone=self.settings.time_zone,
            suspend=suspend,
            concurrency_policy=kplus.ConcurrencyPolicy.FORBID,
            starting_deadline=cdk8s.Duration.hours(1),
            successful_jobs_retained=3,
            failed_jobs_retained=3,
            backoff_limit=2,
            active_deadline=cdk8s.Duration.hours(1),
            select=False,
            # The restore's pods carry the backup's name label too: the same network policy
            # (postgres:5432 and DNS only) applies to both.
            pod_metadata=pod_metadata("postgres-backup", component),
            restart_policy=kplus.RestartPolicy.NEVER,
            security_context=pod_security(user=uid, group=uid),
        )
        select_pods(job, "postgres-backup")
        # No node selector: the claim's PV is pinned to the backup node, so the pods run there.
        return job

    def _add(
        self,
        add: Callable[..., kplus.Container],
        name: str,
        image: str,
        script: str,
        env: Mapping[str, kplus.EnvValue],
    ) -> kplus.Container:
        return add(
            name=name,
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=["sh", "-c", script],
            env_variables={**self.common_env, **env},
            resources=resources(self.resources_job),
            security_context=container_security(),
        )

    def _mount(
        self,
        prefix: str,
        claim: kplus.PersistentVolumeClaim,
        *,
        pg: kplus.Container,
        restic: kplus.Container,
    ) -> None:
        """The scratch space (the dump) in both containers, the repository in restic's only."""
        scratch = scratch_volumes(self, {f"{prefix}-tmp": TMP}, size=SCRATCH_SIZE)
        mount_all(pg, scratch)
        mount_all(restic, scratch)
        restic.mount(
            REPOSITORY,
            kplus.Volume.from_persistent_volume_claim(
                self, f"{prefix}-repository", claim, name="repository"
            ),
        )


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, week_day = expression.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month, "week_day": week_day}
