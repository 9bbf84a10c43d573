"""The NetworkPolicies, evaluated: exactly the contract's network flow is allowed.

A small evaluator of the NetworkPolicy semantics used here (matchLabels selectors, namespace
selectors by the kubernetes.io/metadata.name label, ipBlock with except, TCP/UDP ports) decides
for each pair of endpoints and port whether a connection is allowed, i.e. egress-allowed at the
source and ingress-allowed at the destination (a pod not selected by any policy of a type is not
isolated for that type; policies add up). Pods have addresses in k3s's pod network; the hosts
outside the cluster (namespace "") are selected by no policy.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from gitops_support import Synthesized, pod_specs

_POD_ADDRESSES = (f"10.42.0.{n}" for n in itertools.count(10))


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]
    address: str

    @classmethod
    def of(cls, namespace: str, **labels: str) -> Pod:
        return cls(namespace, tuple(sorted(labels.items())), next(_POD_ADDRESSES))

    @classmethod
    def host(cls, address: str) -> Pod:
        """A machine outside the cluster (at home or on the internet)."""
        return cls("", (), address)

    def matches(self, selector: dict[str, Any]) -> bool:
        return set(selector.get("matchLabels", {}).items()) <= set(self.labels)


def _peer_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(pod.address)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if not pod.namespace:
        return False  # selectors only ever match pods
    if "namespaceSelector" in peer:
        namespace = Pod.of("", **{"kubernetes.io/metadata.name": pod.namespace})
        if not namespace.matches(peer["namespaceSelector"]):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return pod.matches(peer.get("podSelector", {}))


def _rule_allows(
    rule: dict[str, Any], peer_key: str, peer: Pod, port: tuple[str, int], ns: str
) -> bool:
    ports = rule.get("ports")
    if ports and not any((p["protocol"], p["port"]) == port for p in ports):
        return False
    peers = rule.get(peer_key)
    return not peers or any(_peer_matches(p, peer, ns) for p in peers)


def allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, port: tuple[str, int]) -> bool:
    def side(pod: Pod, kind: str, field: str, peer_key: str, peer: Pod) -> bool:
        selecting = [
            p
            for p in policies
            if p["metadata"]["namespace"] == pod.namespace
            and kind in p["spec"]["policyTypes"]
            and pod.matches(p["spec"]["podSelector"])
        ]
        if not selecting:
            return True  # not isolated
        return any(
            _rule_allows(rule, peer_key, peer, port, pod.namespace)
            for p in selecting
            for rule in p["spec"].get(field, [])
        )

    return side(src, "Egress", "egress", "to", dst) and side(dst, "Ingress", "ingress", "from", src)


NS = "household-task-manager"
FRONTEND = Pod.of(NS, **{"app.kubernetes.io/name": "frontend"})
BACKEND = Pod.of(
    NS, **{"app.kubernetes.io/name": "backend", "household-task-manager/egress": "notifications"}
)
POSTGRES = Pod.of(NS, **{"app.kubernetes.io/name": "postgres"})
BACKUP = Pod.of(NS, **{"app.kubernetes.io/name": "postgres-backup"})
SENDER = Pod.of(
    NS,
    **{
        "app.kubernetes.io/name": "reminder-sender",
        "household-task-manager/egress": "notifications",
    },
)
ACME_SOLVER = Pod.of(NS, **{"acme.cert-manager.io/http01-solver": "true"})
OTHER_APP = Pod.of(NS, **{"app.kubernetes.io/name": "something-else"})
TRAEFIK = Pod.of("kube-system", **{"app.kubernetes.io/name": "traefik"})
NGINX = Pod.of(
    "ingress-nginx",
    **{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
)
COREDNS = Pod.of("kube-system", **{"k8s-app": "kube-dns"})
STRANGER = Pod.of("default", **{"app": "stranger"})
# The observability stack (ansible platform role): its scraper and Tempo in their namespace, an
# unlabelled pod beside them, and postgres_exporter in ours.
ROLE = "household-task-manager/role"
SCRAPER = Pod.of("monitoring", **{ROLE: "scraper"})
TEMPO = Pod.of("monitoring", **{ROLE: "trace-store"})
ALERTMANAGER = Pod.of("monitoring", **{ROLE: "alert-sender"})
GRAFANA = Pod.of("monitoring", **{"app.kubernetes.io/name": "grafana"})
EXPORTER = Pod.of(NS, **{ROLE: "postgres-exporter"})
# Outside the cluster: a push service (or ntfy.sh, a mail provider...) on the internet; Home
# Assistant, a local ntfy in a small subnet and the router at home; the cloud metadata address.
PUSH_SERVICE = Pod.host("142.250.196.106")
HOME_ASSISTANT = Pod.host("192.168.1.10")
LOCAL_NTFY = Pod.host("10.0.5.2")
ROUTER = Pod.host("192.168.1.1")
METADATA = Pod.host("169.254.169.254")
OURS = [FRONTEND, BACKEND, POSTGRES, BACKUP, SENDER, ACME_SOLVER, OTHER_APP, EXPORTER]
OUTSIDE = [PUSH_SERVICE, HOME_ASSISTANT, LOCAL_NTFY, ROUTER, METADATA]
EVERYONE = [
    *OURS,
    *(TRAEFIK, NGINX, COREDNS, STRANGER, SCRAPER, TEMPO, ALERTMANAGER, GRAFANA),
    *OUTSIDE,
]
PORTS = [
    ("TCP", 80),
    ("TCP", 8000),
    ("TCP", 5432),
    ("TCP", 8089),
    ("UDP", 53),
    ("TCP", 53),
    ("TCP", 443),
    ("TCP", 9187),
    ("TCP", 9113),
    ("TCP", 4318),
    ("TCP", 465),
    ("TCP", 587),
    ("TCP", 25),
    ("TCP", 8123),
    ("TCP", 8080),
]
NOTIFIERS = (BACKEND, SENDER)


def expected_flows(
    controller: Pod, observed: bool, home: bool = False
) -> set[tuple[Pod, Pod, tuple[str, int]]]:
    flows = {
        (controller, FRONTEND, ("TCP", 80)),
        (FRONTEND, BACKEND, ("TCP", 8000)),
        (BACKEND, POSTGRES, ("TCP", 5432)),
        (BACKUP, POSTGRES, ("TCP", 5432)),
        (SENDER, POSTGRES, ("TCP", 5432)),
        (controller, ACME_SOLVER, ("TCP", 8089)),
    }
    # Notifications: HTTPS and SMTP submission to the internet only, from their two senders.
    flows |= {(pod, PUSH_SERVICE, ("TCP", port)) for pod in NOTIFIERS for port in (443, 465, 587)}
    if home:
        flows |= {(pod, HOME_ASSISTANT, ("TCP", 8123)) for pod in NOTIFIERS}
        flows |= {(pod, LOCAL_NTFY, ("TCP", 8080)) for pod in NOTIFIERS}
    flows |= {(pod, COREDNS, ("UDP", 53)) for pod in OURS}
    flows |= {(pod, COREDNS, ("TCP", 53)) for pod in OURS}
    if observed:
        flows |= {
            (SCRAPER, BACKEND, ("TCP", 8000)),
            (SCRAPER, FRONTEND, ("TCP", 9113)),
            (SCRAPER, EXPORTER, ("TCP", 9187)),
            (EXPORTER, POSTGRES, ("TCP", 5432)),
            (BACKEND, TEMPO, ("TCP", 4318)),
            (ALERTMANAGER, BACKEND, ("TCP", 8000)),  # alerts, told to the owner by the app
        }
    return flows


@pytest.mark.parametrize(
    ("variant", "controller", "observed", "home"),
    [
        ("production", TRAEFIK, True, False),
        ("staging", TRAEFIK, False, False),
        ("production-ingress-nginx", NGINX, True, False),
        ("production-home-receivers", TRAEFIK, True, True),
    ],
)
def test_only_the_contract_network_flow_is_allowed(
    every_variant: dict[str, Synthesized], variant: str, controller: Pod, observed: bool, home: bool
) -> None:
    policies = every_variant[variant].of_kind("NetworkPolicy")
    actual = {
        (src, dst, port)
        for src in EVERYONE
        for dst in EVERYONE
        for port in PORTS
        if src != dst
        and (src in OURS or dst in OURS)  # traffic elsewhere is not ours to police
        and allowed(policies, src, dst, port)
    }
    assert actual == expected_flows(controller, observed, home)


def test_the_namespace_denies_by_default(production: Synthesized) -> None:
    deny = production.get("NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(
    ("src", "dst", "port"),
    [
        (TRAEFIK, BACKEND, ("TCP", 8000)),  # no Ingress reaches the backend directly
        (FRONTEND, POSTGRES, ("TCP", 5432)),
        (STRANGER, FRONTEND, ("TCP", 80)),
        (BACKEND, STRANGER, ("TCP", 443)),  # no egress to the world
        (GRAFANA, BACKEND, ("TCP", 8000)),  # only the scraper of the monitoring namespace
        (SCRAPER, POSTGRES, ("TCP", 5432)),  # the database only through its exporter
        (FRONTEND, PUSH_SERVICE, ("TCP", 443)),  # only the notifiers leave the cluster
        (BACKUP, PUSH_SERVICE, ("TCP", 443)),  # (without backup.offsite)
        (SENDER, PUSH_SERVICE, ("TCP", 25)),  # SMTP only as submission (465, 587)
        (SENDER, HOME_ASSISTANT, ("TCP", 8123)),  # home receivers only when named
        (BACKEND, ROUTER, ("TCP", 443)),  # the home network is not the internet
        (SENDER, METADATA, ("TCP", 443)),
        (SENDER, BACKEND, ("TCP", 8000)),
        (PUSH_SERVICE, SENDER, ("TCP", 443)),
    ],
)
def test_forbidden_paths(
    production: Synthesized, src: Pod, dst: Pod, port: tuple[str, int]
) -> None:
    assert not allowed(production.of_kind("NetworkPolicy"), src, dst, port)


INTERNET = {
    "ipBlock": {
        "cidr": "0.0.0.0/0",
        "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"],
    }
}
NOTIFICATION_PORTS = [{"protocol": "TCP", "port": port} for port in (443, 465, 587)]


def test_notifications_leave_only_on_https_and_smtp_submission(production: Synthesized) -> None:
    policy = production.get("NetworkPolicy", "notifications")["spec"]
    assert policy == {
        "podSelector": {"matchLabels": {"household-task-manager/egress": "notifications"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [INTERNET], "ports": NOTIFICATION_PORTS}],
    }


def test_the_home_receivers_named_in_the_settings_are_let_through(
    home_receivers: Synthesized,
) -> None:
    policy = home_receivers.get("NetworkPolicy", "notifications")["spec"]
    assert policy["egress"] == [
        {"to": [INTERNET], "ports": NOTIFICATION_PORTS},
        {
            "to": [{"ipBlock": {"cidr": "192.168.1.10/32"}}],
            "ports": [{"protocol": "TCP", "port": 8123}],
        },
        {
            "to": [{"ipBlock": {"cidr": "10.0.5.0/30"}}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        },
    ]


def test_the_notifiers_are_the_sender_and_the_backend(production: Synthesized) -> None:
    labelled = {
        workload["metadata"]["name"]
        for workload, template in pod_specs(production.documents)
        if template["metadata"]["labels"].get("household-task-manager/egress") == "notifications"
    }
    assert labelled == {"backend", "reminder-sender"}


def test_the_sender_reaches_postgres_and_postgres_accepts_it(production: Synthesized) -> None:
    sender = {"matchLabels": {"app.kubernetes.io/name": "reminder-sender"}}
    own = production.get("NetworkPolicy", "reminder-sender")["spec"]
    assert own == {
        "podSelector": sender,
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "postgres"}}}],
                "ports": [{"protocol": "TCP", "port": 5432}],
            }
        ],
    }
    [rule] = production.get("NetworkPolicy", "postgres")["spec"]["ingress"]
    assert {"podSelector": sender} in rule["from"]
