"""Pod and container settings shared by every component: hardening, resources, scratch space.

cdk8s-plus defaults are meant for big nodes (1-1.5 CPU and 0.5-2 GiB per container, image pull
policy Always, a TCP startup probe on the port); every container here overrides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import Resources

# cdk8s-plus labels every pod template with a `cdk8s.io/metadata.addr` label that carries a hash
# of the construct path. Selectors here use app.kubernetes.io/name instead, so the label is
# dropped: renaming a construct must not roll the pods.
_ADDRESS_LABEL_PATH = "/spec/template/metadata/labels/cdk8s.io~1metadata.addr"
_CRONJOB_ADDRESS_LABEL_PATH = "/spec/jobTemplate" + _ADDRESS_LABEL_PATH


# Scratch space inside containers (an emptyDir), not a temporary file of this program.
TMP = "/tmp"  # noqa: S108


def seconds(value: int) -> cdk8s.Duration:
    return cdk8s.Duration.seconds(value)


def _cpu(quantity: str) -> kplus.Cpu:
    if quantity.endswith("m"):
        return kplus.Cpu.millis(int(quantity[:-1]))
    return kplus.Cpu.units(float(quantity))


def _memory(quantity: str) -> cdk8s.Size:
    amount, unit = int(quantity[:-2]), quantity[-2:]
    return {"Ki": cdk8s.Size.kibibytes, "Mi": cdk8s.Size.mebibytes, "Gi": cdk8s.Size.gibibytes}[
        unit
    ](amount)


def resources(settings: Resources) -> kplus.ContainerResources:
    return kplus.ContainerResources(
        cpu=kplus.CpuResources(
            request=_cpu(settings.requests.cpu), limit=_cpu(settings.limits.cpu)
        ),
        memory=kplus.MemoryResources(
            request=_memory(settings.requests.memory), limit=_memory(settings.limits.memory)
        ),
    )


def container_security(
    *, read_only_root: bool = True, root: bool = False, add: Iterable[kplus.Capability] = ()
) -> kplus.ContainerSecurityContextProps:
    """No privilege escalation, every capability dropped (bar the few named), RuntimeDefault
    seccomp, a read-only root filesystem. `root` only for a container that must start as root."""
    return kplus.ContainerSecurityContextProps(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=read_only_root,
        capabilities=kplus.ContainerSecutiryContextCapabilities(
            drop=[kplus.Capability.ALL], add=list(add) or None
        ),
        seccomp_profile=kplus.SeccompProfile(type=kplus.SeccompProfileType.RUNTIME_DEFAULT),
        # Unset (None) inherits the pod's non-root user; root sets uid/gid 0 explicitly.
        ensure_non_root=False if root else None,
        user=0 if root else None,
        group=0 if root else None,
    )


def pod_security(
    *, user: int, group: int, fs_group: int | None = None, sysctls: Mapping[str, str] | None = None
) -> kplus.PodSecurityContextProps:
    return kplus.PodSecurityContextProps(
        ensure_non_root=True,
        user=user,
        group=group,
        fs_group=fs_group,
        fs_group_change_policy=kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
        sysctls=[kplus.Sysctl(name=k, value=v) for k, v in (sysctls or {}).items()] or None,
    )


def scratch_volumes(
    scope: Construct, paths: Mapping[str, str], size: str = "64Mi"
) -> dict[str, kplus.Volume]:
    """Writable emptyDirs (name -> path) for containers with a read-only root filesystem."""
    return {
        path: kplus.Volume.from_empty_dir(scope, f"{name}-volume", name, size_limit=_memory(size))
        for name, path in paths.items()
    }


def mount_all(container: kplus.Container, volumes: Mapping[str, kplus.Volume]) -> None:
    for path, volume in volumes.items():
        container.mount(path, volume)


def selector_labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def select_pods(workload: kplus.Workload, name: str) -> None:
    """Select pods by app.kubernetes.io/name (the pod template gets the label too)."""
    workload.select(kplus.LabelSelector.of(labels=selector_labels(name)))
    cdk8s.ApiObject.of(workload).add_json_patch(
        cdk8s.JsonPatch.remove(
            _CRONJOB_ADDRESS_LABEL_PATH
            if isinstance(workload, kplus.CronJob)
            else _ADDRESS_LABEL_PATH
        )
    )


def spread_across_nodes(deployment: kplus.Deployment, name: str) -> None:
    """At most one more replica per node than on the emptiest node, so two replicas never share
    a Pi while another is up (cdk8s-plus only offers pod anti-affinity)."""
    # DoNotSchedule cannot deadlock a rollout: with maxSkew 1 the eligible node holding the
    # fewest counted pods always passes. nodeTaintsPolicy Honor keeps a node the pods cannot use
    # (unreachable, cordoned, a tainted server) out of that minimum, where its zero would block
    # every other node. Only pods of the incoming pod's revision count (pod-template-hash): the
    # surge pod ignores the old ReplicaSet, and each revision ends on distinct nodes even with
    # two Pis up. A second constraint over all revisions could conflict with this one and stall
    # a rollout. A pod without room stays Pending while the old ones serve (maxUnavailable 0);
    # one replica (staging) always fits.
    cdk8s.ApiObject.of(deployment).add_json_patch(
        cdk8s.JsonPatch.add(
            "/spec/template/spec/topologySpreadConstraints",
            [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": selector_labels(name)},
                    "matchLabelKeys": ["pod-template-hash"],
                    "nodeTaintsPolicy": "Honor",
                }
            ],
        )
    )


def node_selector(workload: kplus.Workload, labels: Mapping[str, str]) -> None:
    """A plain nodeSelector (cdk8s-plus only offers node affinity)."""
    path = "/spec/template/spec/nodeSelector"
    if isinstance(workload, kplus.CronJob):
        path = "/spec/jobTemplate" + path
    cdk8s.ApiObject.of(workload).add_json_patch(cdk8s.JsonPatch.add(path, dict(labels)))


def pod_metadata(
    name: str, component: str, extra_labels: Mapping[str, str] | None = None
) -> cdk8s.ApiObjectMetadata:
    return cdk8s.ApiObjectMetadata(
        labels={
            **selector_labels(name),
            "app.kubernetes.io/component": component,
            **(extra_labels or {}),
        }
    )


def cluster_ip_service(
    scope: Construct, name: str, port: int, *, port_name: str, selects: str
) -> kplus.Service:
    """A ClusterIP Service for the pods labelled app.kubernetes.io/name=<selects>."""
    service = kplus.Service(
        scope,
        "service",
        metadata=cdk8s.ApiObjectMetadata(name=name),
        type=kplus.ServiceType.CLUSTER_IP,
        ports=[kplus.ServicePort(name=port_name, port=port, target_port=port)],
    )
    for key, value in selector_labels(selects).items():
        service.select_label(key, value)
    return service
