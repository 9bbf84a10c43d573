"""The NetworkPolicies, evaluated: exactly the contract's network flow is allowed.

A small evaluator of the NetworkPolicy semantics used here (matchLabels selectors, namespace
selectors by the kubernetes.io/metadata.name label, TCP/UDP ports) decides for each pair of pods
and port whether a connection is allowed, i.e. egress-allowed at the source and ingress-allowed at
the destination (a pod not selected by any policy of a type is not isolated for that type).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from gitops_support import Synthesized


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, namespace: str, **labels: str) -> Pod:
        return cls(namespace, tuple(sorted(labels.items())))

    def matches(self, selector: dict[str, Any]) -> bool:
        return set(selector.get("matchLabels", {}).items()) <= set(self.labels)


def _peer_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
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
BACKEND = Pod.of(NS, **{"app.kubernetes.io/name": "backend"})
POSTGRES = Pod.of(NS, **{"app.kubernetes.io/name": "postgres"})
BACKUP = Pod.of(NS, **{"app.kubernetes.io/name": "postgres-backup"})
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
GRAFANA = Pod.of("monitoring", **{"app.kubernetes.io/name": "grafana"})
EXPORTER = Pod.of(NS, **{ROLE: "postgres-exporter"})
OURS = [FRONTEND, BACKEND, POSTGRES, BACKUP, ACME_SOLVER, OTHER_APP, EXPORTER]
EVERYONE = [*OURS, TRAEFIK, NGINX, COREDNS, STRANGER, SCRAPER, TEMPO, GRAFANA]
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
]


def expected_flows(controller: Pod, observed: bool) -> set[tuple[Pod, Pod, tuple[str, int]]]:
    flows = {
        (controller, FRONTEND, ("TCP", 80)),
        (FRONTEND, BACKEND, ("TCP", 8000)),
        (BACKEND, POSTGRES, ("TCP", 5432)),
        (BACKUP, POSTGRES, ("TCP", 5432)),
        (controller, ACME_SOLVER, ("TCP", 8089)),
    }
    flows |= {(pod, COREDNS, ("UDP", 53)) for pod in OURS}
    flows |= {(pod, COREDNS, ("TCP", 53)) for pod in OURS}
    if observed:
        flows |= {
            (SCRAPER, BACKEND, ("TCP", 8000)),
            (SCRAPER, FRONTEND, ("TCP", 9113)),
            (SCRAPER, EXPORTER, ("TCP", 9187)),
            (EXPORTER, POSTGRES, ("TCP", 5432)),
            (BACKEND, TEMPO, ("TCP", 4318)),
        }
    return flows


@pytest.mark.parametrize(
    ("variant", "controller", "observed"),
    [
        ("production", TRAEFIK, True),
        ("staging", TRAEFIK, False),
        ("production-ingress-nginx", NGINX, True),
    ],
)
def test_only_the_contract_network_flow_is_allowed(
    every_variant: dict[str, Synthesized], variant: str, controller: Pod, observed: bool
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
    assert actual == expected_flows(controller, observed)


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
    ],
)
def test_forbidden_paths(
    production: Synthesized, src: Pod, dst: Pod, port: tuple[str, int]
) -> None:
    assert not allowed(production.of_kind("NetworkPolicy"), src, dst, port)
