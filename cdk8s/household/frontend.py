"""The React frontend served by nginx: ConfigMap, Deployment, Service, PodDisruptionBudget."""

from __future__ import annotations

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import EnvironmentConfig
from .disruption import disruption_budget
from .observability import NGINX_EXPORTER_IMAGE, NGINX_EXPORTER_PORT, NGINX_STATUS_URL
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

PORT = 80
# The `nginx` user of the official nginx image.
UID = 101


class Frontend(Construct):
    """Exposes ``service_name``/``port`` (the Ingress backend) and ``pod_labels``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EnvironmentConfig,
        backend_address: str,
    ) -> None:
        super().__init__(scope, id)
        self.service_name = "frontend"
        self.port = PORT
        self.pod_labels = {"app.kubernetes.io/name": "frontend"}

        # Read by the nginx image's entrypoint, which renders
        # /etc/nginx/templates/default.conf.template into /etc/nginx/conf.d/.
        settings = kplus.ConfigMap(
            self,
            "config",
            metadata=cdk8s.ApiObjectMetadata(name="frontend-config"),
            data={"NGINX_PORT": str(PORT), "BACKEND_ADDRESS": backend_address},
        )
        deployment = kplus.Deployment(
            self,
            "deployment",
            metadata=cdk8s.ApiObjectMetadata(name="frontend"),
            replicas=config.replicas.frontend,
            select=False,
            pod_metadata=pod_metadata("frontend", "web"),
            strategy=kplus.DeploymentStrategy.rolling_update(
                max_surge=kplus.PercentOrAbsolute.absolute(1),
                max_unavailable=kplus.PercentOrAbsolute.absolute(0),
            ),
            revision_history_limit=5,
            # Port 80 as non-root with no capabilities at all (not even NET_BIND_SERVICE): the
            # namespaced, "safe" sysctl lets unprivileged processes in this pod bind low ports.
            security_context=pod_security(
                user=UID,
                group=UID,
                fs_group=UID,
                sysctls={"net.ipv4.ip_unprivileged_port_start": "0"},
            ),
        )
        select_pods(deployment, "frontend")
        spread_across_nodes(deployment, "frontend")
        nginx = deployment.add_container(
            name="frontend",
            image=config.frontend_image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            ports=[kplus.ContainerPort(number=PORT, name="http")],
            env_from=[kplus.Env.from_config_map(settings)],
            resources=resources(config.resources.frontend),
            security_context=container_security(),
            liveness=kplus.Probe.from_http_get(
                "/",
                port=PORT,
                initial_delay_seconds=seconds(10),
                period_seconds=seconds(10),
                timeout_seconds=seconds(5),
            ),
            readiness=kplus.Probe.from_http_get(
                "/",
                port=PORT,
                initial_delay_seconds=seconds(5),
                period_seconds=seconds(5),
                timeout_seconds=seconds(5),
            ),
        )
        # Everything nginx and its entrypoint write, with a read-only root filesystem.
        mount_all(
            nginx,
            scratch_volumes(
                self,
                {
                    "tmp": TMP,
                    "cache": "/var/cache/nginx",  # proxy and client-body buffers
                    "run": "/var/run",
                    "conf": "/etc/nginx/conf.d",
                },
            ),
        )
        if config.observability:
            # nginx's counters (requests, connections) as Prometheus metrics, for the scraper.
            deployment.add_container(
                name="nginx-exporter",
                image=NGINX_EXPORTER_IMAGE,
                image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
                args=[
                    f"--nginx.scrape-uri={NGINX_STATUS_URL}",
                    f"--web.listen-address=:{NGINX_EXPORTER_PORT}",
                ],
                ports=[kplus.ContainerPort(number=NGINX_EXPORTER_PORT, name="metrics")],
                resources=resources(config.observability.nginx_exporter),
                security_context=container_security(),
                liveness=kplus.Probe.from_tcp_socket(
                    port=NGINX_EXPORTER_PORT, period_seconds=seconds(30)
                ),
                readiness=kplus.Probe.from_tcp_socket(
                    port=NGINX_EXPORTER_PORT, period_seconds=seconds(10)
                ),
            )
        self.service = cluster_ip_service(
            self, self.service_name, PORT, port_name="http", selects="frontend"
        )
        disruption_budget(self, "frontend")
