"""The FastAPI backend: ConfigMap, SealedSecret, Deployment (wait-for-db, run-migrations),
Service and PodDisruptionBudget. Its ConfigMap and Secret are also the reminder sender's."""

from __future__ import annotations

from collections.abc import Mapping

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import EnvironmentConfig, ObservabilitySettings
from .disruption import disruption_budget
from .network_policies import NOTIFIER_LABELS
from .observability import TEMPO_OTLP_PORT, TEMPO_SERVICE
from .pods import (
    TMP,
    cluster_ip_service,
    container_security,
    mount_all,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
    seconds,
    select_pods,
    spread_across_nodes,
)
from .sealed_secret import SealedSecret
from .sealing import BACKEND_SECRET

PORT = 8000
# The image's non-root user (the backend image contract).
UID = 10001
WAIT_FOR_DB_IMAGE = "busybox:1.36"


class Backend(Construct):
    """Exposes ``service_name``/``port`` (what the frontend proxies to), ``pod_labels``, and
    ``image``/``env`` (the app's image and settings, which the reminder sender runs with)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EnvironmentConfig,
        encrypted_data: Mapping[str, str],
        database_host: str,
        database_port: int,
    ) -> None:
        super().__init__(scope, id)
        self.service_name = "backend"
        self.port = PORT
        self.pod_labels = {"app.kubernetes.io/name": "backend"}
        self.image = image = config.backend_image

        settings = kplus.ConfigMap(
            self,
            "config",
            metadata=cdk8s.ApiObjectMetadata(name="backend-config"),
            data={
                "ENVIRONMENT": config.name,
                "CORS_ORIGINS": config.public_url,
                # The reminder-sender CronJob sends; the backend's pods must never send on their
                # own (their "send a test" still goes out).
                "REMINDER_SENDER": "off",
                # Web Push services contact the sender of a message (VAPID) at this address.
                "VAPID_SUBJECT": config.public_url,
                **_tracing(config.observability),
            },
        )
        secret = SealedSecret(
            self, "secret", name=BACKEND_SECRET, encrypted_data=encrypted_data
        ).secret
        self.env = env = [kplus.Env.from_config_map(settings), kplus.Env.from_secret(secret)]

        deployment = kplus.Deployment(
            self,
            "deployment",
            metadata=cdk8s.ApiObjectMetadata(name="backend"),
            replicas=config.replicas.backend,
            select=False,
            # Its "send a test" reaches the members' notification channels.
            pod_metadata=pod_metadata("backend", "api", NOTIFIER_LABELS),
            strategy=kplus.DeploymentStrategy.rolling_update(
                max_surge=kplus.PercentOrAbsolute.absolute(1),
                max_unavailable=kplus.PercentOrAbsolute.absolute(0),
            ),
            revision_history_limit=5,
            security_context=pod_security(user=UID, group=UID, fs_group=UID),
        )
        select_pods(deployment, "backend")
        spread_across_nodes(deployment, "backend")
        scratch = scratch_volumes(self, {"tmp": TMP})

        # 1. Wait until postgres accepts connections.
        deployment.add_init_container(
            name="wait-for-db",
            image=WAIT_FOR_DB_IMAGE,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=[
                "sh",
                "-c",
                f"until nc -z {database_host} {database_port}; do "
                f"echo waiting for {database_host}:{database_port}; sleep 2; done",
            ],
            resources=resources(config.resources.wait_for_db),
            security_context=container_security(),
        )
        # 2. Migrate (the migrations take an advisory lock, so replicas starting together
        #    serialize and the second run is a no-op).
        migrations = deployment.add_init_container(
            name="run-migrations",
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=["alembic", "upgrade", "head"],
            env_from=env,
            resources=resources(config.resources.migrations),
            security_context=container_security(),
        )
        mount_all(migrations, scratch)

        # The image's default command serves app.main:app on port 8000.
        backend = deployment.add_container(
            name="backend",
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            ports=[kplus.ContainerPort(number=PORT, name="http")],
            env_from=env,
            resources=resources(config.resources.backend),
            security_context=container_security(),
            liveness=kplus.Probe.from_http_get(
                "/health",
                port=PORT,
                initial_delay_seconds=seconds(30),
                period_seconds=seconds(10),
                timeout_seconds=seconds(5),
            ),
            readiness=kplus.Probe.from_http_get(
                "/readiness",
                port=PORT,
                initial_delay_seconds=seconds(10),
                period_seconds=seconds(5),
                timeout_seconds=seconds(5),
            ),
            startup=kplus.Probe.from_http_get(
                "/health", port=PORT, period_seconds=seconds(5), failure_threshold=36
            ),
        )
        mount_all(backend, scratch)

        self.service = cluster_ip_service(
            self, self.service_name, PORT, port_name="http", selects="backend"
        )
        disruption_budget(self, "backend")


def _tracing(observability: ObservabilitySettings | None) -> dict[str, str]:
    """Traces go to Tempo's OTLP/HTTP receiver (the platform role's release `tempo`)."""
    if observability is None:
        return {}
    return {
        "TRACE_SAMPLE_RATE": str(observability.trace_sample_rate),
        "TRACE_ENDPOINT": f"http://{TEMPO_SERVICE}.{observability.namespace}.svc:{TEMPO_OTLP_PORT}",
    }
