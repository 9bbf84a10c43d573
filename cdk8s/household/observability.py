"""The platform's observability stack as the app's manifests meet it (the stack itself is the
ansible platform role's, platform-observability.yaml): the labels it gives its pods and the ports
they use, which the NetworkPolicies let through and the backend's settings point at."""

from __future__ import annotations

# The role label the platform role sets on these pods (its charts' podLabels).
ROLE_LABEL = "household-task-manager/role"
SCRAPER_LABELS = {ROLE_LABEL: "scraper"}
TRACE_STORE_LABELS = {ROLE_LABEL: "trace-store"}
# Alertmanager, which posts alerts to the backend (its chart's alertmanager.podMetadata).
ALERT_SENDER_LABELS = {ROLE_LABEL: "alert-sender"}
# postgres_exporter runs in the app's namespace, beside the database whose Secret it reads.
EXPORTER_LABELS = {ROLE_LABEL: "postgres-exporter"}
EXPORTER_PORT = 9187
# nginx's stub_status on loopback (frontend/nginx.conf), exported beside it for the scraper.
NGINX_STATUS_URL = "http://127.0.0.1:8081/stub_status"
NGINX_EXPORTER_IMAGE = "nginx/nginx-prometheus-exporter:1.4.1"
NGINX_EXPORTER_PORT = 9113
# Tempo's OTLP over HTTP receiver (release `tempo`).
TEMPO_SERVICE = "tempo"
TEMPO_OTLP_PORT = 4318
