"""The SealedSecret custom resource (bitnami.com/v1alpha1), from committed ciphertext."""

from __future__ import annotations

from collections.abc import Mapping

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s


class SealedSecret(Construct):
    """A SealedSecret whose controller-made Secret has the same name (strict scope)."""

    def __init__(
        self, scope: Construct, id: str, *, name: str, encrypted_data: Mapping[str, str]
    ) -> None:
        super().__init__(scope, id)
        namespace = cdk8s.Chart.of(self).namespace
        resource = cdk8s.ApiObject(
            self,
            "resource",
            api_version="bitnami.com/v1alpha1",
            kind="SealedSecret",
            metadata=cdk8s.ApiObjectMetadata(name=name),
        )
        resource.add_json_patch(
            cdk8s.JsonPatch.add(
                "/spec",
                {
                    "encryptedData": dict(sorted(encrypted_data.items())),
                    "template": {
                        "metadata": {"name": name, "namespace": namespace},
                        "type": "Opaque",
                    },
                },
            )
        )
        self.name = name
        # What pods reference: the Secret that the controller creates in the cluster.
        self.secret = kplus.Secret.from_secret_name(self, "secret", name)
