"""Public HTTPS: the Ingress to the frontend, TLS from cert-manager, an HTTP->HTTPS redirect."""

from __future__ import annotations

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import IngressController, IngressSettings

INGRESS_NAME = "household-task-manager-frontend"
REDIRECT_MIDDLEWARE = "redirect-https"

# Where each controller runs and how its pods are labelled (for the network policies).
CONTROLLER_PODS: dict[IngressController, tuple[str, dict[str, str]]] = {
    IngressController.TRAEFIK: ("kube-system", {"app.kubernetes.io/name": "traefik"}),
    IngressController.INGRESS_NGINX: (
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    ),
}


class PublicIngress(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: IngressSettings,
        host: str,
        frontend: kplus.Service,
        frontend_port: int,
    ) -> None:
        super().__init__(scope, id)
        namespace = cdk8s.Chart.of(self).namespace
        annotations = {"cert-manager.io/cluster-issuer": settings.cluster_issuer}
        if settings.controller is IngressController.TRAEFIK:
            class_name = "traefik"
            # Traefik serves the Ingress on both entry points; the middleware sends plain HTTP
            # to HTTPS (and passes HTTPS requests through unchanged).
            middleware = cdk8s.ApiObject(
                self,
                "redirect-https",
                api_version="traefik.io/v1alpha1",
                kind="Middleware",
                metadata=cdk8s.ApiObjectMetadata(name=REDIRECT_MIDDLEWARE),
            )
            middleware.add_json_patch(
                cdk8s.JsonPatch.add(
                    "/spec", {"redirectScheme": {"scheme": "https", "permanent": True}}
                )
            )
            annotations["traefik.ingress.kubernetes.io/router.middlewares"] = (
                f"{namespace}-{REDIRECT_MIDDLEWARE}@kubernetescrd"
            )
        else:
            class_name = "nginx"
            annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = "true"
            annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true"

        ingress = kplus.Ingress(
            self,
            "ingress",
            metadata=cdk8s.ApiObjectMetadata(name=INGRESS_NAME, annotations=annotations),
            class_name=class_name,
        )
        ingress.add_host_rule(
            host,
            "/",
            kplus.IngressBackend.from_service(frontend, port=frontend_port),
            kplus.HttpIngressPathType.PREFIX,
        )
        ingress.add_tls(
            [
                kplus.IngressTls(
                    hosts=[host],
                    secret=kplus.Secret.from_secret_name(self, "tls", settings.tls_secret),
                )
            ]
        )
