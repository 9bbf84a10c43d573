"""Shared by the cdk8s tests: loading main.py, reading synthesized output, walking pod specs.

The cdk8s/ folder goes on sys.path, so its `household` package imports as is. (No __init__.py in
tests/cdk8s on purpose: as a package named `cdk8s` it would shadow the cdk8s library.)
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK8S_DIR = REPO_ROOT / "cdk8s"
sys.path.insert(0, str(CDK8S_DIR))

import household  # noqa: E402,F401  (sets JSII_NODE before cdk8s loads)
from household.config import (  # noqa: E402
    EnvironmentConfig,
)


def load_cdk8s_main() -> ModuleType:
    spec = importlib.util.spec_from_file_location("household_cdk8s_main", CDK8S_DIR / "main.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Synthesized:
    """One environment's output: file name -> documents."""

    config: EnvironmentConfig
    files: dict[str, list[dict[str, Any]]]

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [doc for docs in self.files.values() for doc in docs]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.documents if d["kind"] == kind and d["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]


def read_tree(root: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
        for path in sorted(root.glob("*.yaml"))
    }


def containers(pod_spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in ("initContainers", "containers"):
        for container in pod_spec.get(field, []):
            yield field, container


def pod_specs(documents: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod template) for every Deployment, StatefulSet and CronJob."""
    for doc in documents:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            yield doc, doc["spec"]["template"]
        elif doc["kind"] == "CronJob":
            yield doc, doc["spec"]["jobTemplate"]["spec"]["template"]
