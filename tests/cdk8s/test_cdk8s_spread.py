"""The app Deployments spread their replicas across nodes: the constraint as synthesized, and
what it does during rollouts on the three Pis, replayed with a model of the scheduler's
PodTopologySpread filter (resources left out: only the spreading is under test)."""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from gitops_support import Synthesized, pod_specs

APP_DEPLOYMENTS = ("backend", "frontend")
# inventory/hosts.example.yml: one server and two agents, none of them tainted.
NODES = ("rpi-master", "rpi-worker-1", "rpi-worker-2")
HOSTNAME = "kubernetes.io/hostname"
# Set on every pod by the Deployment controller, one value per ReplicaSet (revision).
REVISION = "pod-template-hash"
STUCK = None


def spread_constraint(deployment: dict[str, Any]) -> dict[str, Any]:
    constraints = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert len(constraints) == 1
    constraint: dict[str, Any] = constraints[0]
    return constraint


@pytest.mark.parametrize("environment", ["production", "staging"])
@pytest.mark.parametrize("name", APP_DEPLOYMENTS)
def test_each_app_deployment_spreads_its_own_pods_across_nodes(
    synthesized: dict[str, Synthesized], environment: str, name: str
) -> None:
    deployment = synthesized[environment].get("Deployment", name)
    selector = deployment["spec"]["selector"]
    assert spread_constraint(deployment) == {
        "maxSkew": 1,
        "topologyKey": HOSTNAME,
        "whenUnsatisfiable": "DoNotSchedule",
        # Exactly the Deployment's own selector, narrowed to the incoming pod's revision.
        "labelSelector": selector,
        "matchLabelKeys": [REVISION],
        "nodeTaintsPolicy": "Honor",
    }
    assert selector == {"matchLabels": {"app.kubernetes.io/name": name}}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector["matchLabels"].items() <= labels.items()


def test_the_spread_counts_no_other_workloads_pods(
    synthesized: dict[str, Synthesized],
) -> None:
    for env in synthesized.values():
        spreading = {}
        for workload, template in pod_specs(env.documents):
            constraints = template["spec"].get("topologySpreadConstraints")
            if constraints:
                spreading[workload["metadata"]["name"]] = constraints
        # postgres is pinned to the SSD's node, the backup jobs to their volume's node.
        assert sorted(spreading) == list(APP_DEPLOYMENTS)
        for name, [constraint] in spreading.items():
            selects = constraint["labelSelector"]["matchLabels"].items()
            matched = [
                workload["metadata"]["name"]
                for workload, template in pod_specs(env.documents)
                if selects <= template["metadata"]["labels"].items()
            ]
            assert matched == [name]


# ---- the model ----


@dataclass(frozen=True, order=True)
class Pod:
    node: str
    revision: str


def allowed_nodes(
    constraint: dict[str, Any] | None,
    template_labels: dict[str, str],
    pods: tuple[Pod, ...],
    revision: str,
    tainted: frozenset[str],
) -> list[str]:
    """The nodes the scheduler may bind an incoming pod of ``revision`` to: not tainted (the
    pods tolerate no NoSchedule taint) and, with DoNotSchedule, within maxSkew of the global
    minimum over the eligible nodes. Terminating pods are gone from ``pods``, as the scheduler
    skips them."""
    up = [node for node in NODES if node not in tainted]
    if constraint is None or constraint["whenUnsatisfiable"] == "ScheduleAnyway":
        return up
    assert constraint["topologyKey"] == HOSTNAME  # one domain per node
    assert set(constraint["labelSelector"]) == {"matchLabels"}
    incoming = {**template_labels, REVISION: revision}
    selector = dict(constraint["labelSelector"]["matchLabels"])
    for key in constraint.get("matchLabelKeys", []):
        selector[key] = incoming[key]
    assert selector.items() <= incoming.items()  # the incoming pod counts itself

    def matches(pod: Pod) -> bool:
        return selector.items() <= {**template_labels, REVISION: pod.revision}.items()

    eligible = up if constraint.get("nodeTaintsPolicy") == "Honor" else list(NODES)
    counts = {node: sum(1 for p in pods if p.node == node and matches(p)) for node in eligible}
    minimum = min(counts.values())
    return [node for node in up if counts[node] + 1 - minimum <= constraint["maxSkew"]]


def rollout_outcomes(
    constraint: dict[str, Any] | None,
    template_labels: dict[str, str],
    replicas: int,
    tainted: frozenset[str],
) -> set[tuple[str, ...] | None]:
    """Every end of a rollout (maxSurge 1, maxUnavailable 0) from any placement of the old
    pods on the nodes that are up: the new pods' nodes, or STUCK when a new pod fits nowhere.
    The scheduler may take any node the filter allows and the old ReplicaSet may delete any of
    its pods, so a lucky choice proves nothing."""
    up = [node for node in NODES if node not in tainted]
    starts = {
        tuple(sorted(Pod(node, "old") for node in nodes))
        for nodes in itertools.product(up, repeat=replicas)
    }
    outcomes: set[tuple[str, ...] | None] = set()
    seen: set[tuple[Pod, ...]] = set()
    pending = list(starts)
    while pending:
        pods = pending.pop()
        if pods in seen:
            continue
        seen.add(pods)
        new = [p for p in pods if p.revision == "new"]
        if len(new) == replicas:
            outcomes.add(tuple(sorted(p.node for p in new)))
            continue
        nodes = allowed_nodes(constraint, template_labels, pods, "new", tainted)
        if not nodes:
            outcomes.add(STUCK)
            continue
        for node in nodes:
            surged = [*pods, Pod(node, "new")]
            old = sorted({p for p in surged if p.revision == "old"})
            if not old:
                pending.append(tuple(sorted(surged)))
            for victim in old:
                remaining = list(surged)
                remaining.remove(victim)
                pending.append(tuple(sorted(remaining)))
    return outcomes


def balanced(nodes: tuple[str, ...], tainted: frozenset[str]) -> bool:
    counts = Counter({node: 0 for node in NODES if node not in tainted})
    counts.update(nodes)
    return max(counts.values()) - min(counts.values()) <= 1


SCENARIOS = [
    (replicas, frozenset(NODES[len(NODES) - down :]))
    for replicas in (1, 2, 3)  # staging, production, one more
    for down in (0, 1, 2)  # Pis dead (unreachable taint) or drained (unschedulable taint)
]


def scenario_id(scenario: tuple[int, frozenset[str]]) -> str:
    return f"{scenario[0]}-replicas-{len(scenario[1])}-down"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
@pytest.mark.parametrize("name", APP_DEPLOYMENTS)
def test_no_rollout_stalls_and_every_one_ends_spread_over_the_pis_that_are_up(
    production: Synthesized, name: str, scenario: tuple[int, frozenset[str]]
) -> None:
    replicas, tainted = scenario
    deployment = production.get("Deployment", name)
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    outcomes = rollout_outcomes(
        spread_constraint(deployment),
        deployment["spec"]["template"]["metadata"]["labels"],
        replicas,
        tainted,
    )
    assert STUCK not in outcomes
    ends = [nodes for nodes in outcomes if nodes is not None]
    assert ends
    for nodes in ends:
        assert balanced(nodes, tainted), nodes
        if replicas <= len(NODES) - len(tainted):
            assert len(set(nodes)) == replicas, nodes  # never two replicas on one Pi


def _weakened(change: str, constraint: dict[str, Any]) -> dict[str, Any] | None:
    weaker = copy.deepcopy(constraint)
    if change == "no constraint":
        return None
    if change == "every revision counted":
        del weaker["matchLabelKeys"]
    elif change == "tainted nodes counted":
        del weaker["nodeTaintsPolicy"]  # the default, Ignore
    elif change == "ScheduleAnyway":
        weaker["whenUnsatisfiable"] = "ScheduleAnyway"
    elif change == "maxSkew 2":
        weaker["maxSkew"] = 2
    return weaker


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        ("no constraint", "doubled up"),
        ("every revision counted", "doubled up"),  # two Pis up: the old pods steer the new ones
        ("tainted nodes counted", "stuck"),  # a dead Pi's zero blocks the others
        ("ScheduleAnyway", "doubled up"),
        ("maxSkew 2", "doubled up"),
    ],
)
def test_each_setting_of_the_constraint_is_needed(
    production: Synthesized, change: str, failure: str
) -> None:
    deployment = production.get("Deployment", "backend")
    constraint = _weakened(change, spread_constraint(deployment))
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    stuck = doubled = False
    for replicas, tainted in SCENARIOS:
        outcomes = rollout_outcomes(constraint, labels, replicas, tainted)
        stuck |= STUCK in outcomes
        doubled |= any(nodes is not None and not balanced(nodes, tainted) for nodes in outcomes)
    assert (stuck, doubled) == (failure == "stuck", failure == "doubled up")
