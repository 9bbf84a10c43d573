"""PostgreSQL: ConfigMap, SealedSecret, local PersistentVolume + claim, StatefulSet, Service."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

import cdk8s_plus_33 as kplus
from cdk8s_plus_33 import k8s
from constructs import Construct

import cdk8s

from .config import DatabaseSettings, Resources
from .pods import (
    TMP,
    cluster_ip_service,
    container_security,
    mount_all,
    node_selector,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
    seconds,
    select_pods,
)
from .sealed_secret import SealedSecret
from .sealing import DATABASE_SECRET

IMAGE = "postgres:16-alpine"
PORT = 5432
DATABASE = "household_task_manager"
USER = "postgres"
DATA_DIR = "/var/lib/postgresql/data"
DATA_SUB_PATH = "postgres"
# The postgres user of the alpine image (uid and gid 70).
POSTGRES_UID = 70
PG_ISREADY = ["pg_isready", "-U", USER]
# Where prepare-data-dir mounts the whole PV (postgres mounts only its DATA_SUB_PATH).
VOLUME_ROOT = "/pv"
# Written at the root of the PV's host path by the playbook (ansible/roles/database_disk,
# `database_disk_marker`) only once it has checked that the SSD is mounted there.
DISK_MARKER = ".household-task-manager-disk"


def prepare_data_dir_script(host_path: str, node: str) -> str:
    """prepare-data-dir's shell script; the PV's mount path comes from $VOLUME_ROOT.

    A data directory without PG_VERSION makes postgres run initdb. If the SSD was not mounted at
    boot, the host path is a directory on the SD card: without the playbook's marker the script
    stops there, creating nothing, rather than let postgres serve an empty household. An existing
    database (PG_VERSION) starts as before, marker or not.
    """
    refusal = (
        f"prepare-data-dir: the volume is not on the expected disk: {host_path} on {node} holds"
        f" no database and no {DISK_MARKER} marker; mount the SSD and run the playbook"
        " (make cluster), then delete this pod"
    )
    return (
        "set -eu\n"
        f'data="$VOLUME_ROOT/{DATA_SUB_PATH}"\n'
        f'if [ ! -f "$data/PG_VERSION" ] && [ ! -e "$VOLUME_ROOT/{DISK_MARKER}" ]; then\n'
        f"  echo {shlex.quote(refusal)} >&2\n"
        "  exit 1\n"
        "fi\n"
        'mkdir -p "$data"\n'
        f'chown {POSTGRES_UID}:{POSTGRES_UID} "$data"\n'
        'chmod 0700 "$data"\n'
    )


class Database(Construct):
    """Exposes ``service_name``/``port`` (what clients connect to), ``database``, ``user``,
    ``secret`` (the password) and ``pod_labels`` (for network policies)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: DatabaseSettings,
        resources_main: Resources,
        resources_prepare: Resources,
        encrypted_data: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        namespace = cdk8s.Chart.of(self).namespace
        self.service_name = "postgres"
        self.port = PORT
        self.database = DATABASE
        self.user = USER
        self.pod_labels = {"app.kubernetes.io/name": "postgres"}

        config = kplus.ConfigMap(
            self,
            "config",
            metadata=cdk8s.ApiObjectMetadata(name="postgres-config"),
            data={"POSTGRES_DB": DATABASE, "POSTGRES_USER": USER},
        )
        sealed = SealedSecret(self, "secret", name=DATABASE_SECRET, encrypted_data=encrypted_data)
        self.secret = sealed.secret

        # The data lives on the node's SSD: a `local` PV pinned to that node, pre-bound to the
        # claim, kept when the claim goes away.
        volume = k8s.KubePersistentVolume(
            self,
            "volume",
            metadata=k8s.ObjectMeta(name=settings.persistent_volume),
            spec=k8s.PersistentVolumeSpec(
                capacity={"storage": k8s.Quantity.from_string(settings.storage)},
                access_modes=["ReadWriteOnce"],
                persistent_volume_reclaim_policy="Retain",
                storage_class_name=settings.storage_class,
                volume_mode="Filesystem",
                local=k8s.LocalVolumeSource(path=settings.host_path),
                claim_ref=k8s.ObjectReference(namespace=namespace, name="postgres-pvc"),
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
        # PersistentVolumes are cluster-scoped: drop the namespace the chart gives everything.
        volume.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
        claim = kplus.PersistentVolumeClaim(
            self,
            "claim",
            metadata=cdk8s.ApiObjectMetadata(name="postgres-pvc"),
            storage=cdk8s.Size.gibibytes(int(settings.storage.removesuffix("Gi"))),
            storage_class_name=settings.storage_class,
            access_modes=[kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
            volume=kplus.PersistentVolume.from_persistent_volume_name(
                self, "bound-volume", settings.persistent_volume
            ),
        )

        service = self.service = cluster_ip_service(
            self, self.service_name, PORT, port_name="postgres", selects="postgres"
        )

        # Non-root where the image allows: the postgres server itself runs as the image's
        # postgres user (uid 70) with every capability dropped. Its entrypoint would otherwise
        # start as root only to chown the data directory, and fsGroup cannot replace that: on a
        # local PV it would make PGDATA group-writable, which postgres refuses to start with. So
        # a short init container, root with just CHOWN/FOWNER/DAC_OVERRIDE, creates the `postgres`
        # sub-directory of the PV and hands it to uid 70 with mode 0700 (not recursive: it only
        # touches that one directory, a no-op after the first start). It creates it only on the
        # disk the playbook marked (see prepare_data_dir_script).
        statefulset = kplus.StatefulSet(
            self,
            "statefulset",
            metadata=cdk8s.ApiObjectMetadata(name="postgres"),
            replicas=1,
            service=service,
            select=False,
            pod_metadata=pod_metadata("postgres", "database"),
            # Managed by hand: a template change waits until someone deletes postgres-0.
            strategy=kplus.StatefulSetUpdateStrategy.on_delete(),
            security_context=pod_security(user=POSTGRES_UID, group=POSTGRES_UID),
            termination_grace_period=seconds(60),
        )
        select_pods(statefulset, "postgres")
        # Passing the Service made the StatefulSet add its (dropped) address label to the
        # Service's selector; app.kubernetes.io/name alone selects the pod.
        cdk8s.ApiObject.of(service).add_json_patch(
            cdk8s.JsonPatch.remove("/spec/selector/cdk8s.io~1metadata.addr")
        )
        # The PV is on one node's disk, so the pod can only run there.
        node_selector(statefulset, {"kubernetes.io/hostname": settings.node})

        data = kplus.Volume.from_persistent_volume_claim(self, "data", claim, name="data")
        statefulset.add_init_container(
            name="prepare-data-dir",
            image=IMAGE,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=["sh", "-c", prepare_data_dir_script(settings.host_path, settings.node)],
            env_variables={"VOLUME_ROOT": kplus.EnvValue.from_value(VOLUME_ROOT)},
            resources=resources(resources_prepare),
            security_context=container_security(
                root=True,
                add=[
                    kplus.Capability.CHOWN,
                    kplus.Capability.FOWNER,
                    kplus.Capability.DAC_OVERRIDE,
                ],
            ),
            volume_mounts=[kplus.VolumeMount(path=VOLUME_ROOT, volume=data)],
        )
        postgres = statefulset.add_container(
            name="postgres",
            image=IMAGE,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            ports=[kplus.ContainerPort(number=PORT, name="postgres")],
            env_from=[kplus.Env.from_config_map(config), kplus.Env.from_secret(self.secret)],
            resources=resources(resources_main),
            security_context=container_security(),
            liveness=kplus.Probe.from_command(
                PG_ISREADY,
                initial_delay_seconds=seconds(30),
                period_seconds=seconds(10),
                timeout_seconds=seconds(5),
            ),
            readiness=kplus.Probe.from_command(
                PG_ISREADY,
                initial_delay_seconds=seconds(5),
                period_seconds=seconds(5),
                timeout_seconds=seconds(5),
            ),
            # The first start runs initdb, slow on a Pi: allow it 5 minutes before liveness.
            startup=kplus.Probe.from_command(
                PG_ISREADY,
                period_seconds=seconds(10),
                failure_threshold=30,
                timeout_seconds=seconds(5),
            ),
        )
        postgres.mount(DATA_DIR, data, sub_path=DATA_SUB_PATH)
        # Unix socket and temp files; the root filesystem stays read-only.
        mount_all(postgres, scratch_volumes(self, {"run": "/var/run/postgresql", "tmp": TMP}))
