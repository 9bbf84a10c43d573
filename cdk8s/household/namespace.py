"""The namespace, with Pod Security Admission labels."""

from __future__ import annotations

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s


class AppNamespace(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str) -> None:
        super().__init__(scope, id)
        # Enforce the `baseline` Pod Security Standard. `restricted` is audited and warned about
        # only: the postgres data-directory init container must start as root to chown the
        # directory (see database.py); everything else meets `restricted`.
        kplus.Namespace(
            self,
            "namespace",
            metadata=cdk8s.ApiObjectMetadata(
                name=name,
                labels={
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            ),
        )
        self.name = name
