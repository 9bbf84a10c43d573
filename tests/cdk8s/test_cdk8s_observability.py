"""The app's side of the observability stack: the backend's tracing settings (read by the
app's own Settings), and the labels and ports the NetworkPolicies let through, which are the
ones the platform role gives its pods."""

from __future__ import annotations

from pathlib import Path

import yaml
from gitops_support import Synthesized
from household import observability

from app.core.config import Settings

REPO = Path(__file__).resolve().parents[2]


def test_the_backend_traces_to_tempo_in_production_only(
    synthesized: dict[str, Synthesized],
) -> None:
    data = synthesized["production"].get("ConfigMap", "backend-config")["data"]
    assert (data["TRACE_SAMPLE_RATE"], data["TRACE_ENDPOINT"]) == (
        "0.1",
        "http://tempo.monitoring.svc:4318",
    )
    # The key comes from the sealed Secret beside the ConfigMap.
    secret = {"secret_key": "k" * 32}
    settings = Settings.model_validate({**{k.lower(): v for k, v in data.items()}, **secret})
    assert settings.trace_sample_rate == 0.1
    staging = synthesized["staging"].get("ConfigMap", "backend-config")["data"]
    assert "TRACE_SAMPLE_RATE" not in staging


def test_the_labels_are_the_ones_the_platform_role_sets() -> None:
    template = (
        REPO / "ansible/roles/platform/templates/platform-observability.yaml.j2"
    ).read_text()
    for labels in (
        observability.SCRAPER_LABELS,
        observability.TRACE_STORE_LABELS,
        observability.EXPORTER_LABELS,
    ):
        [(key, value)] = labels.items()
        assert f"'podLabels': {{'{key}': '{value}'}}" in template
    [(key, value)] = observability.ALERT_SENDER_LABELS.items()
    assert f"'podMetadata': {{'labels': {{'{key}': '{value}'}}}}" in template
    defaults = yaml.safe_load((REPO / "ansible/roles/platform/defaults/main.yml").read_text())
    assert defaults["platform_observability_namespace"] == "monitoring"
    assert "'service': {'port': 9187}" in template
    assert observability.EXPORTER_PORT == 9187


def test_nginx_counters_are_exported_beside_each_frontend_in_production(
    synthesized: dict[str, Synthesized],
) -> None:
    def containers(env: str) -> dict[str, dict[str, object]]:
        pod = synthesized[env].get("Deployment", "frontend")["spec"]["template"]["spec"]
        return {c["name"]: c for c in pod["containers"]}

    exporter = containers("production")["nginx-exporter"]
    assert exporter["image"] == "nginx/nginx-prometheus-exporter:1.4.1"
    assert exporter["args"] == [
        "--nginx.scrape-uri=http://127.0.0.1:8081/stub_status",
        "--web.listen-address=:9113",
    ]
    assert exporter["ports"] == [{"containerPort": 9113, "name": "metrics"}]
    assert set(containers("staging")) == {"frontend"}
    # The address nginx serves its counters on (loopback, in the pod).
    nginx = (REPO / "frontend" / "nginx.conf").read_text()
    assert "listen 127.0.0.1:8081;" in nginx
    assert "location = /stub_status {\n        stub_status;" in nginx
