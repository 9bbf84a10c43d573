"""The one-off Job that imports the original app's database, and the two NetworkPolicies it needs.

Not part of gitops/ (Argo CD must never run it): ``make import-original-job`` renders it to
``var/original-import/<environment>.yaml`` for ``kubectl apply`` (README, "Moving from the
original deployment"). It runs the backend image's ``python -m app.cli import-original`` with
the backend's own settings (the database it writes) and reads the original's database, renamed
``household_task_manager_original`` on the same PostgreSQL, through libpq's PG* variables, so
the password never appears in a URL.
"""

from __future__ import annotations

from collections.abc import Mapping

import cdk8s_plus_33 as kplus
from cdk8s_plus_33 import k8s
from constructs import Construct

import cdk8s

from .config import Resources
from .pods import (
    TMP,
    container_security,
    mount_all,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
)

NAME = "import-original"
SOURCE_DATABASE = "household_task_manager_original"
# No host in the URL: libpq takes PGHOST, PGPORT, PGUSER and PGPASSWORD from the environment.
SOURCE_URL = f"postgresql:///{SOURCE_DATABASE}"


def command(time_zone: str, *, dry_run: bool) -> list[str]:
    """The container's command line (tests/cdk8s runs it against a real PostgreSQL)."""
    line = ["python", "-m", "app.cli", "import-original", "--source", SOURCE_URL]
    return [*line, "--time-zone", time_zone, *(["--dry-run"] if dry_run else [])]


class OriginalImport(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: str,
        uid: int,
        resources_job: Resources,
        time_zone: str,
        dry_run: bool,
        backend_config: str,
        backend_secret: str,
        database_host: str,
        database_port: int,
        database_user: str,
        database_secret: str,
        database_labels: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        name = f"{NAME}-dry-run" if dry_run else NAME
        self.pod_labels = {"app.kubernetes.io/name": NAME}
        job = kplus.Job(
            self,
            "job",
            metadata=cdk8s.ApiObjectMetadata(name=name),
            # The import is all or nothing and idempotent, but a refusal is final until the
            # original is fixed: one attempt, whose log is the report.
            backoff_limit=0,
            active_deadline=cdk8s.Duration.minutes(30),
            ttl_after_finished=cdk8s.Duration.days(7),
            pod_metadata=pod_metadata(NAME, "import"),
            restart_policy=kplus.RestartPolicy.NEVER,
            security_context=pod_security(user=uid, group=uid),
        )
        # cdk8s-plus labels the pod with its construct address; the policies use the name.
        cdk8s.ApiObject.of(job).add_json_patch(
            cdk8s.JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr")
        )
        password = kplus.Secret.from_secret_name(self, "database-secret", database_secret)
        container = job.add_container(
            name=NAME,
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=command(time_zone, dry_run=dry_run),
            env_from=[
                kplus.Env.from_config_map(
                    kplus.ConfigMap.from_config_map_name(self, "backend-config", backend_config)
                ),
                kplus.Env.from_secret(
                    kplus.Secret.from_secret_name(self, "backend-secret", backend_secret)
                ),
            ],
            env_variables={
                "PGHOST": kplus.EnvValue.from_value(database_host),
                "PGPORT": kplus.EnvValue.from_value(str(database_port)),
                "PGUSER": kplus.EnvValue.from_value(database_user),
                "PGPASSWORD": kplus.EnvValue.from_secret_value(
                    kplus.SecretValue(secret=password, key="POSTGRES_PASSWORD")
                ),
            },
            resources=resources(resources_job),
            security_context=container_security(),
        )
        mount_all(container, scratch_volumes(self, {"tmp": TMP}))

        # The namespace denies by default: this pod may reach postgres, and postgres accepts it.
        port = [
            k8s.NetworkPolicyPort(protocol="TCP", port=k8s.IntOrString.from_number(database_port))
        ]
        self._policy(
            NAME,
            self.pod_labels,
            egress=[
                k8s.NetworkPolicyEgressRule(
                    to=[k8s.NetworkPolicyPeer(pod_selector=_pods(database_labels))], ports=port
                )
            ],
        )
        self._policy(
            f"postgres-from-{NAME}",
            database_labels,
            ingress=[
                k8s.NetworkPolicyIngressRule(
                    from_=[k8s.NetworkPolicyPeer(pod_selector=_pods(self.pod_labels))],
                    ports=port,
                )
            ],
        )

    def _policy(
        self,
        name: str,
        pods: Mapping[str, str],
        *,
        ingress: list[k8s.NetworkPolicyIngressRule] | None = None,
        egress: list[k8s.NetworkPolicyEgressRule] | None = None,
    ) -> None:
        k8s.KubeNetworkPolicy(
            self,
            name,
            metadata=k8s.ObjectMeta(name=name),
            spec=k8s.NetworkPolicySpec(
                pod_selector=_pods(pods),
                policy_types=["Ingress"] if ingress else ["Egress"],
                ingress=ingress,
                egress=egress,
            ),
        )


def _pods(labels: Mapping[str, str]) -> k8s.LabelSelector:
    return k8s.LabelSelector(match_labels=dict(labels))
