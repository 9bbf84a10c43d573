"""PodDisruptionBudgets for the stateless workloads."""

from __future__ import annotations

from cdk8s_plus_33 import k8s
from constructs import Construct

from .pods import selector_labels


def disruption_budget(scope: Construct, name: str) -> k8s.KubePodDisruptionBudget:
    # maxUnavailable 1 rather than minAvailable 1: with two replicas a drain evicts one pod at a
    # time, and with one replica (staging) the budget does not block node drains forever.
    return k8s.KubePodDisruptionBudget(
        scope,
        "disruption-budget",
        metadata=k8s.ObjectMeta(name=name),
        spec=k8s.PodDisruptionBudgetSpec(
            max_unavailable=k8s.IntOrString.from_number(1),
            selector=k8s.LabelSelector(match_labels=selector_labels(name)),
        ),
    )
