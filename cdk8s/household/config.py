"""Typed, validated environment settings: one YAML file per environment in ``environments/``.

Everything that differs between clusters lives here (domain, image owner and tags, replicas,
resources, the database node and host path, ingress controller, backup schedule and retention,
the notification receivers at home, where the Sealed Secrets certificate is). The constructs
receive only the parts they need.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CDK8S_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = CDK8S_DIR.parent
ENVIRONMENTS_DIR = CDK8S_DIR / "environments"
GITOPS_DIR = REPO_ROOT / "gitops"

APP_NAME = "household-task-manager"

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DnsLabel = Annotated[str, Field(pattern=rf"^{_DNS_LABEL}$", max_length=63)]
Hostname = Annotated[str, Field(pattern=rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$", max_length=253)]
# Image tags are pinned commits (`sha-<short>`) or releases; a moving tag such as `latest` or
# `main` never tells Argo CD that anything changed, so it is refused here.
ImageTag = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
CpuQuantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?m?$")]
MemoryQuantity = Annotated[str, Field(pattern=r"^[0-9]+(Ki|Mi|Gi)$")]
StorageQuantity = Annotated[str, Field(pattern=r"^[0-9]+(Mi|Gi|Ti)$")]
MOVING_TAGS = frozenset({"latest", "main", "master", "stable", "edge"})
# The home network and the cluster (pods 10.42/16, services 10.43/16 are inside 10/8): egress to
# the internet excludes them, and only the destinations named in the settings are let in.
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngressController(StrEnum):
    TRAEFIK = "traefik"
    INGRESS_NGINX = "ingress-nginx"


class Quantities(_Settings):
    cpu: CpuQuantity
    memory: MemoryQuantity


class Resources(_Settings):
    requests: Quantities
    limits: Quantities


class ResourceSettings(_Settings):
    """Requests and limits of every container, init containers included."""

    postgres: Resources
    postgres_prepare: Resources
    backend: Resources
    migrations: Resources
    wait_for_db: Resources
    frontend: Resources
    backup: Resources
    # The reminder sender's CronJob (one Python process a minute).
    reminders: Resources


class Replicas(_Settings):
    backend: Annotated[int, Field(ge=1, le=10)]
    frontend: Annotated[int, Field(ge=1, le=10)]


class DatabaseSettings(_Settings):
    node: Hostname
    host_path: Annotated[str, Field(pattern=r"^/[^\s]*[^/\s]$")]
    storage: StorageQuantity
    persistent_volume: DnsLabel
    storage_class: DnsLabel


class IngressSettings(_Settings):
    controller: IngressController = IngressController.TRAEFIK
    cluster_issuer: DnsLabel
    tls_secret: DnsLabel


class BackupRetention(_Settings):
    """restic forget: the `last` newest snapshots (a run by hand before an upgrade is not
    replaced by that night's), and the newest of each of the last N days, weeks and months."""

    last: Annotated[int, Field(ge=1, le=100)]
    daily: Annotated[int, Field(ge=1, le=366)]
    weekly: Annotated[int, Field(ge=0, le=520)]
    monthly: Annotated[int, Field(ge=0, le=120)]


class OffsiteSettings(_Settings):
    """An S3-compatible restic repository (Backblaze B2, MinIO, AWS...) that each night's
    snapshots are copied to, e.g. s3:https://s3.eu-central-003.backblazeb2.com/bucket/household.
    Its keys come from the vault (vault_<env>_offsite_access_key_id, ..._secret_access_key)."""

    repository: Annotated[str, Field(pattern=r"^s3:https://[^\s/]+/\S+$")]


class BackupSettings(_Settings):
    schedule: Annotated[str, Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")]
    time_zone: str
    retention: BackupRetention
    # The restic repository: a local PV on this node's disk, which must not be the database's.
    node: Hostname
    host_path: Annotated[str, Field(pattern=r"^/[^\s]*[^/\s]$")]
    storage: StorageQuantity
    persistent_volume: DnsLabel
    # Off-site copy of the repository; none by default.
    offsite: OffsiteSettings | None = None


class HomeDestination(_Settings):
    """A receiver at home that reminders are sent to over TCP (Home Assistant, a local ntfy or
    mail relay), e.g. {cidr: 192.168.1.10/32, port: 8123}."""

    cidr: str
    port: Annotated[int, Field(ge=1, le=65535)]

    @field_validator("cidr")
    @classmethod
    def _inside_the_home_network(cls, cidr: str) -> str:
        try:
            network = ipaddress.IPv4Network(cidr)  # strict: no host bits beside the prefix
        except ValueError as error:
            raise ValueError(f"{cidr!r} is not an IPv4 network such as 192.168.1.10/32") from error
        if not any(network.subnet_of(ipaddress.IPv4Network(p)) for p in PRIVATE_NETWORKS):
            # The internet is reached on the notification ports already; anything else here
            # would open the pods to the world on another port.
            ranges = ", ".join(PRIVATE_NETWORKS)
            raise ValueError(f"{cidr} is not inside the home network ({ranges})")
        return str(network)


class NotificationSettings(_Settings):
    """Where the reminder sender and the backend (its "send a test") may send: the internet on
    HTTPS and SMTP submission always, and these receivers at home."""

    home_destinations: tuple[HomeDestination, ...] = ()


class SealedSecretsSettings(_Settings):
    # Repo-relative paths: the cluster's Sealed Secrets certificate (the playbooks fetch it, it
    # is not committed) and the committed ciphertext that `make seal` writes for it.
    certificate: str
    values: str


class ObservabilitySettings(_Settings):
    """The platform's observability stack (ansible, platform role) as the app meets it: the
    namespace it runs in, whose scraper may reach the backend and postgres_exporter and whose
    Tempo receives the backend's traces, and the share of requests traced."""

    namespace: DnsLabel = "monitoring"
    trace_sample_rate: float = Field(default=0.1, ge=0, le=1)
    # The exporter of nginx's counters beside each frontend pod.
    nginx_exporter: Resources = Resources(
        requests=Quantities(cpu="5m", memory="16Mi"), limits=Quantities(cpu="50m", memory="32Mi")
    )


class EnvironmentConfig(_Settings):
    name: DnsLabel
    namespace: DnsLabel
    domain: Hostname
    image_owner: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")]
    backend_tag: ImageTag
    frontend_tag: ImageTag
    replicas: Replicas
    resources: ResourceSettings
    database: DatabaseSettings
    ingress: IngressSettings
    backup: BackupSettings
    sealed_secrets: SealedSecretsSettings
    # None: the cluster runs no observability stack (platform_observability_enabled: false).
    observability: ObservabilitySettings | None = None
    notifications: NotificationSettings = NotificationSettings()

    @field_validator("backend_tag", "frontend_tag")
    @classmethod
    def _pinned(cls, tag: str) -> str:
        if tag in MOVING_TAGS:
            raise ValueError(f"image tag {tag!r} moves; pin a commit tag such as sha-<short>")
        return tag

    @model_validator(mode="after")
    def _backups_off_the_database_node(self) -> EnvironmentConfig:
        if self.backup.node == self.database.node:
            raise ValueError(
                f"backup.node is the database node {self.database.node}: losing that node "
                "would lose the database and its backups together; choose another node"
            )
        if self.backup.persistent_volume == self.database.persistent_volume:
            raise ValueError("backup.persistent_volume must differ from database.persistent_volume")
        return self

    @property
    def backend_image(self) -> str:
        return f"ghcr.io/{self.image_owner}/{APP_NAME}-backend:{self.backend_tag}"

    @property
    def frontend_image(self) -> str:
        return f"ghcr.io/{self.image_owner}/{APP_NAME}-frontend:{self.frontend_tag}"

    @property
    def public_url(self) -> str:
        return f"https://{self.domain}"

    @property
    def sealed_values_path(self) -> Path:
        """The committed ciphertext that ``make seal`` writes for this environment."""
        return REPO_ROOT / self.sealed_secrets.values

    @property
    def certificate_path(self) -> Path:
        return REPO_ROOT / self.sealed_secrets.certificate


def environment_names() -> list[str]:
    """Every environment with a settings file, in a stable order."""
    return sorted(
        p.stem for p in ENVIRONMENTS_DIR.glob("*.yaml") if not p.name.endswith(".sealed.yaml")
    )


def load_environment(name: str) -> EnvironmentConfig:
    if not re.fullmatch(_DNS_LABEL, name):
        raise ValueError(f"not an environment name: {name!r}")
    path = ENVIRONMENTS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no environment {name!r}: {path} does not exist")
    config = EnvironmentConfig.model_validate(yaml.safe_load(path.read_text()))
    if config.name != name:
        raise ValueError(f"{path}: name is {config.name!r}, expected {name!r}")
    return config
