"""The environment config is typed and validated, and nothing is hard-wired to production."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from gitops_support import CDK8S_DIR, Synthesized
from household.config import EnvironmentConfig, environment_names, load_environment
from pydantic import ValidationError

PRODUCTION_YAML = CDK8S_DIR / "environments" / "production.yaml"


def _production() -> dict[str, Any]:
    return yaml.safe_load(PRODUCTION_YAML.read_text())


def test_there_are_two_environments() -> None:
    assert environment_names() == ["production", "staging"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["ingress"].update(controller="haproxy"), "'traefik' or 'ingress-nginx'"),
        (lambda c: c.update(backend_tag="latest"), "moves"),
        (lambda c: c.update(frontend_tag="main"), "moves"),
        (lambda c: c.update(image_owner="Has Spaces"), "String should match pattern"),
        (lambda c: c["replicas"].update(backend=0), "greater than or equal to 1"),
        (lambda c: c["resources"]["backend"]["limits"].update(cpu="lots"), "String should match"),
        (lambda c: c["backup"]["retention"].update(daily=0), "greater than or equal to 1"),
        (lambda c: c["backup"].update(node="rpi-worker-1"), "is the database node"),
        (lambda c: c["backup"].update(schedule="nightly"), "String should match"),
        (lambda c: c["database"].update(host_path="relative/path"), "String should match"),
        (lambda c: c.update(replica_count=3), "Extra inputs are not permitted"),
        (lambda c: c["resources"].pop("wait_for_db"), "Field required"),
        (lambda c: c["resources"].pop("reminders"), "Field required"),
        (
            lambda c: c.update(notifications={"home_destinations": [{"cidr": "1.1.1.1/32"}]}),
            "Field required",
        ),
        (lambda c: c.update(notifications={"receivers": []}), "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_are_refused(change: Any, message: str) -> None:
    data = _production()
    change(data)
    with pytest.raises(ValidationError, match=message):
        EnvironmentConfig.model_validate(data)


def test_the_ci_can_bump_a_tag_with_a_one_line_rewrite() -> None:
    text = PRODUCTION_YAML.read_text()
    assert len(re.findall(r"(?m)^backend_tag: sha-[0-9a-f]+$", text)) == 1
    assert len(re.findall(r"(?m)^frontend_tag: sha-[0-9a-f]+$", text)) == 1
    bumped = re.sub(r"(?m)^backend_tag: .*$", "backend_tag: sha-abc1234", text)
    config = EnvironmentConfig.model_validate(yaml.safe_load(bumped))
    assert config.backend_image.endswith("-backend:sha-abc1234")
    assert config.frontend_image.endswith("-frontend:sha-5bf665f")


def test_ingress_controller_defaults_to_traefik() -> None:
    data = _production()
    del data["ingress"]["controller"]
    assert EnvironmentConfig.model_validate(data).ingress.controller == "traefik"


def test_environment_name_must_match_its_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="not an environment name"):
        load_environment("../production")


@pytest.mark.parametrize(
    ("kind", "name", "path", "production_value", "staging_value"),
    [
        ("Deployment", "backend", ("spec", "replicas"), 2, 1),
        ("Deployment", "frontend", ("spec", "replicas"), 2, 1),
        ("ConfigMap", "backend-config", ("data", "ENVIRONMENT"), "production", "staging"),
        (
            "ConfigMap",
            "backend-config",
            ("data", "CORS_ORIGINS"),
            "https://household-task-mgr.duckdns.org",
            "https://household-task-mgr-staging.duckdns.org",
        ),
        (
            "ConfigMap",
            "backend-config",
            ("data", "VAPID_SUBJECT"),
            "https://household-task-mgr.duckdns.org",
            "https://household-task-mgr-staging.duckdns.org",
        ),
        (
            "PersistentVolume",
            "postgres-pvc",
            ("spec", "local", "path"),
            "/mnt/ssd/postgres",
            "/srv/household-task-manager/postgres",
        ),
        (
            "PersistentVolume",
            "postgres-backups",
            ("spec", "nodeAffinity", "required", "nodeSelectorTerms", 0, "matchExpressions", 0),
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["rpi-worker-2"]},
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["rpi-staging-2"]},
        ),
        (
            "StatefulSet",
            "postgres",
            ("spec", "template", "spec", "nodeSelector", "kubernetes.io/hostname"),
            "rpi-worker-1",
            "rpi-staging-1",
        ),
        ("CronJob", "postgres-backup", ("spec", "schedule"), "30 3 * * *", "0 4 * * *"),
        (
            "Ingress",
            "household-task-manager-frontend",
            ("spec", "rules", 0, "host"),
            "household-task-mgr.duckdns.org",
            "household-task-mgr-staging.duckdns.org",
        ),
    ],
)
def test_staging_output_follows_its_own_settings(
    production: Synthesized,
    staging: Synthesized,
    kind: str,
    name: str | None,
    path: tuple[Any, ...],
    production_value: Any,
    staging_value: Any,
) -> None:
    for env, expected in ((production, production_value), (staging, staging_value)):
        # A PersistentVolume's name differs per cluster: it is found by the claim it is bound to.
        (doc,) = [
            d
            for d in env.of_kind(kind)
            if name is None
            or name in (d["metadata"]["name"], d.get("spec", {}).get("claimRef", {}).get("name"))
        ]
        for key in path:
            doc = doc[key]
        assert doc == expected


def test_backup_retention_follows_the_setting(
    production: Synthesized, staging: Synthesized
) -> None:
    for env, keep in ((production, ("3", "14", "8", "6")), (staging, ("1", "3", "2", "0"))):
        container = env.get("CronJob", "postgres-backup")["spec"]["jobTemplate"]["spec"][
            "template"
        ]["spec"]["containers"][0]
        for name, value in zip(
            ("KEEP_LAST", "KEEP_DAILY", "KEEP_WEEKLY", "KEEP_MONTHLY"), keep, strict=True
        ):
            assert {"name": name, "value": value} in container["env"]
