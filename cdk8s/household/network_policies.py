"""NetworkPolicies: deny everything in the namespace, then allow exactly the network flow of the
deployment contract (ingress controller -> frontend -> backend -> postgres) plus DNS, the nightly
backup's and the reminder sender's connections to postgres, the notifications that the sender and
the backend send (HTTPS and SMTP submission to the internet, and the receivers at home named in
the settings), cert-manager's HTTP-01 solver for certificate renewals, and, with the
observability stack, its scraper to the backend, to nginx's exporter and to postgres_exporter
(which reads postgres), Alertmanager's alerts to the backend, and the backend's traces to
Tempo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cdk8s_plus_33 import k8s
from constructs import Construct

from .config import PRIVATE_NETWORKS, HomeDestination
from .observability import (
    ALERT_SENDER_LABELS,
    EXPORTER_LABELS,
    EXPORTER_PORT,
    NGINX_EXPORTER_PORT,
    SCRAPER_LABELS,
    TEMPO_OTLP_PORT,
    TRACE_STORE_LABELS,
)

NAMESPACE_LABEL = "kubernetes.io/metadata.name"
# cert-manager labels the temporary solver pod it starts in this namespace during an ACME
# HTTP-01 challenge; the ingress controller must reach it on 8089 or no certificate is issued.
ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089
# Pods that send notifications (the reminder sender, and the backend's "send a test"); the
# `notifications` policy lets them out.
NOTIFIER_LABELS = {"household-task-manager/egress": "notifications"}
# HTTPS (Web Push services, ntfy.sh, Telegram, Discord, LINE...) and SMTP submission.
NOTIFICATION_PORTS = (443, 465, 587)


@dataclass(frozen=True)
class Endpoint:
    """Pods (by labels) that listen on a TCP port."""

    labels: Mapping[str, str]
    port: int


def _pods(labels: Mapping[str, str]) -> k8s.LabelSelector:
    return k8s.LabelSelector(match_labels=dict(labels))


def _tcp(*ports: int) -> list[k8s.NetworkPolicyPort]:
    return [
        k8s.NetworkPolicyPort(protocol="TCP", port=k8s.IntOrString.from_number(port))
        for port in ports
    ]


def internet(*ports: int) -> k8s.NetworkPolicyEgressRule:
    """TCP to these ports anywhere outside the home network and the cluster."""
    return k8s.NetworkPolicyEgressRule(
        to=[
            k8s.NetworkPolicyPeer(
                ip_block=k8s.IpBlock(cidr="0.0.0.0/0", except_=list(PRIVATE_NETWORKS))
            )
        ],
        ports=_tcp(*ports),
    )


def _peer(labels: Mapping[str, str], namespace: str | None = None) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(
        pod_selector=_pods(labels),
        namespace_selector=_pods({NAMESPACE_LABEL: namespace}) if namespace else None,
    )


class NetworkPolicies(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        ingress_controller_namespace: str,
        ingress_controller_labels: Mapping[str, str],
        frontend: Endpoint,
        backend: Endpoint,
        database: Endpoint,
        backup_labels: Mapping[str, str],
        reminder_sender_labels: Mapping[str, str],
        home_destinations: Iterable[HomeDestination] = (),
        monitoring_namespace: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        controller = _peer(ingress_controller_labels, ingress_controller_namespace)
        scraper = _peer(SCRAPER_LABELS, monitoring_namespace) if monitoring_namespace else None
        exporter = _peer(EXPORTER_LABELS)

        self._policy("default-deny", {}, ingress=[], egress=[])
        self._policy(
            "allow-dns",
            {},
            egress=[
                k8s.NetworkPolicyEgressRule(
                    to=[_peer({"k8s-app": "kube-dns"}, "kube-system")],
                    ports=[
                        k8s.NetworkPolicyPort(protocol=proto, port=k8s.IntOrString.from_number(53))
                        for proto in ("UDP", "TCP")
                    ],
                )
            ],
        )
        frontend_in = [k8s.NetworkPolicyIngressRule(from_=[controller], ports=_tcp(frontend.port))]
        if scraper:
            frontend_in.append(
                k8s.NetworkPolicyIngressRule(from_=[scraper], ports=_tcp(NGINX_EXPORTER_PORT))
            )
        self._policy(
            "frontend",
            frontend.labels,
            ingress=frontend_in,
            egress=[
                k8s.NetworkPolicyEgressRule(to=[_peer(backend.labels)], ports=_tcp(backend.port))
            ],
        )
        # With the observability stack, its scraper and Alertmanager (alerts to tell the owner).
        backend_from = [_peer(frontend.labels)]
        if scraper:
            backend_from += [scraper, _peer(ALERT_SENDER_LABELS, monitoring_namespace)]
        backend_to = [
            k8s.NetworkPolicyEgressRule(to=[_peer(database.labels)], ports=_tcp(database.port))
        ]
        if monitoring_namespace:
            backend_to.append(
                k8s.NetworkPolicyEgressRule(
                    to=[_peer(TRACE_STORE_LABELS, monitoring_namespace)],
                    ports=_tcp(TEMPO_OTLP_PORT),
                )
            )
        self._policy(
            "backend",
            backend.labels,
            ingress=[k8s.NetworkPolicyIngressRule(from_=backend_from, ports=_tcp(backend.port))],
            egress=backend_to,
        )
        database_from = [_peer(backend.labels), _peer(backup_labels), _peer(reminder_sender_labels)]
        self._policy(
            "postgres",
            database.labels,
            ingress=[
                k8s.NetworkPolicyIngressRule(
                    from_=[*database_from, *([exporter] if scraper else [])],
                    ports=_tcp(database.port),
                )
            ],
        )
        if scraper:
            self._policy(
                "postgres-exporter",
                EXPORTER_LABELS,
                ingress=[k8s.NetworkPolicyIngressRule(from_=[scraper], ports=_tcp(EXPORTER_PORT))],
                egress=[
                    k8s.NetworkPolicyEgressRule(
                        to=[_peer(database.labels)], ports=_tcp(database.port)
                    )
                ],
            )
        self._policy(
            "postgres-backup",
            backup_labels,
            egress=[
                k8s.NetworkPolicyEgressRule(to=[_peer(database.labels)], ports=_tcp(database.port))
            ],
        )
        self._policy(
            "reminder-sender",
            reminder_sender_labels,
            egress=[
                k8s.NetworkPolicyEgressRule(to=[_peer(database.labels)], ports=_tcp(database.port))
            ],
        )
        # Policies add up: the pods selected here keep their own rules (postgres, DNS) as well.
        self._policy(
            "notifications",
            NOTIFIER_LABELS,
            egress=[
                internet(*NOTIFICATION_PORTS),
                *(
                    k8s.NetworkPolicyEgressRule(
                        to=[k8s.NetworkPolicyPeer(ip_block=k8s.IpBlock(cidr=home.cidr))],
                        ports=_tcp(home.port),
                    )
                    for home in home_destinations
                ),
            ],
        )
        self._policy(
            "acme-http01-solver",
            ACME_SOLVER_LABELS,
            ingress=[
                k8s.NetworkPolicyIngressRule(from_=[controller], ports=_tcp(ACME_SOLVER_PORT))
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
        types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
        k8s.KubeNetworkPolicy(
            self,
            name,
            metadata=k8s.ObjectMeta(name=name),
            spec=k8s.NetworkPolicySpec(
                pod_selector=_pods(pods),
                policy_types=types,
                ingress=ingress or None,
                egress=egress or None,
            ),
        )
