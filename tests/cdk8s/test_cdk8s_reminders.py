"""The reminder sender's CronJob, and the backend's settings that hand the sending to it: the
CronJob's fields, that the app reads the cluster's settings as meant, and the settings' checks."""

from __future__ import annotations

import base64
import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from gitops_support import REPO_ROOT, Synthesized
from household import sealing
from household.config import NotificationSettings
from kubernetes_validate import utils as kubernetes_validate
from pydantic import ValidationError
from test_cdk8s_schemas import kubernetes_version

from app.core.config import Settings
from app.services import notifier

ENVIRONMENTS = ["production", "staging"]


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest, synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized[request.param]


def _template(cronjob: dict[str, Any]) -> dict[str, Any]:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]  # type: ignore[no-any-return]


def test_the_sender_runs_every_minute_once_at_a_time(env: Synthesized) -> None:
    spec = copy.deepcopy(env.get("CronJob", "reminder-sender")["spec"])
    job = spec.pop("jobTemplate")["spec"]
    assert spec == {
        "schedule": "* * * * *",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 30,
        "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 3,
        "suspend": False,
    }
    job.pop("template")
    assert job == {"activeDeadlineSeconds": 240, "backoffLimit": 0, "ttlSecondsAfterFinished": 3600}


def test_the_sender_runs_the_backend_image_with_the_backends_settings(env: Synthesized) -> None:
    template = _template(env.get("CronJob", "reminder-sender"))
    assert template["metadata"]["labels"] == {
        "app.kubernetes.io/name": "reminder-sender",
        "app.kubernetes.io/component": "reminders",
        "household-task-manager/egress": "notifications",
    }
    pod = template["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["runAsGroup"] == 10001
    [container] = pod["containers"]
    assert "initContainers" not in pod
    assert container["name"] == "reminder-sender"
    assert container["command"] == ["python", "-m", "app.cli", "send-reminders"]
    assert container["image"] == env.config.backend_image
    backend = env.get("Deployment", "backend")["spec"]["template"]["spec"]["containers"][0]
    assert (
        container["envFrom"]
        == backend["envFrom"]
        == [
            {"configMapRef": {"name": "backend-config"}},
            {"secretRef": {"name": "backend-secret"}},
        ]
    )
    reminders = env.config.resources.reminders
    assert container["resources"] == {
        "requests": {"cpu": reminders.requests.cpu, "memory": reminders.requests.memory},
        "limits": {"cpu": reminders.limits.cpu, "memory": reminders.limits.memory},
    }
    assert container["volumeMounts"] == [{"mountPath": "/tmp", "name": "tmp"}]
    assert pod["volumes"] == [{"emptyDir": {"sizeLimit": "64Mi"}, "name": "tmp"}]


def test_the_sender_is_pi_sized(env: Synthesized) -> None:
    reminders = env.config.resources.reminders
    assert (reminders.requests.cpu, reminders.limits.cpu) == ("50m", "500m")
    # One Python process whose imports alone take some 105Mi.
    assert (reminders.requests.memory, reminders.limits.memory) == ("128Mi", "256Mi")


def test_the_cronjob_passes_strict_validation(env: Synthesized) -> None:
    cronjob = env.get("CronJob", "reminder-sender")
    version = kubernetes_version()
    assert kubernetes_validate.validate(cronjob, version, strict=True) == version


def test_only_the_cronjob_sends_and_push_names_the_site(env: Synthesized) -> None:
    data = env.get("ConfigMap", "backend-config")["data"]
    assert data["REMINDER_SENDER"] == "off"
    assert data["VAPID_SUBJECT"] == f"https://{env.config.domain}"


def test_the_app_reads_the_clusters_settings_as_meant(env: Synthesized) -> None:
    """The backend-config ConfigMap and the backend-secret's values (as `make seal` makes them),
    read by the app's own Settings; the VAPID key signs as the push services expect."""
    data = env.get("ConfigMap", "backend-config")["data"]
    secret = sealing.SecretValues.generate().by_secret(
        host="postgres", database="household_task_manager", user="postgres"
    )["backend-secret"]
    settings = Settings.model_validate({k.lower(): v for k, v in {**data, **secret}.items()})
    assert settings.reminder_sender == "off"
    assert settings.environment == env.config.name
    assert settings.vapid_subject == f"https://{env.config.domain}"
    assert settings.vapid_private_key is not None
    key = settings.vapid_private_key.get_secret_value()
    raw = base64.urlsafe_b64decode(key + "=")
    public = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1()).public_key()
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    # What browsers subscribe with (applicationServerKey), as the app derives it.
    vapid = notifier.VapidKeys(key, settings.vapid_subject)
    assert vapid.public_key == base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def test_the_sealed_backend_secret_holds_the_vapid_key(env: Synthesized) -> None:
    encrypted = env.get("SealedSecret", "backend-secret")["spec"]["encryptedData"]
    assert set(encrypted) == {"DATABASE_URL", "SECRET_KEY", "VAPID_PRIVATE_KEY"}


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ({"cidr": "8.8.8.8/32", "port": 53}, "not inside the home network"),
        ({"cidr": "0.0.0.0/0", "port": 8123}, "not inside the home network"),
        ({"cidr": "192.168.1.10/24", "port": 8123}, "not an IPv4 network"),  # host bits set
        ({"cidr": "homeassistant.local", "port": 8123}, "not an IPv4 network"),
        ({"cidr": "fd00::10/128", "port": 8123}, "not an IPv4 network"),
        ({"cidr": "192.168.1.10/32", "port": 0}, "greater than or equal to 1"),
        ({"cidr": "192.168.1.10/32", "port": 70000}, "less than or equal to 65535"),
        ({"cidr": "192.168.1.10/32"}, "Field required"),
        ({"cidr": "192.168.1.10/32", "port": 8123, "protocol": "UDP"}, "Extra inputs"),
    ],
)
def test_invalid_home_destinations_are_refused(destination: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NotificationSettings.model_validate({"home_destinations": [destination]})


def test_home_destinations_are_normalised_and_optional() -> None:
    settings = NotificationSettings.model_validate(
        {"home_destinations": [{"cidr": "192.168.1.10", "port": 8123}]}
    )
    assert [(d.cidr, d.port) for d in settings.home_destinations] == [("192.168.1.10/32", 8123)]
    assert NotificationSettings().home_destinations == ()


def test_the_cronjobs_command_runs_with_the_clusters_settings(
    production: Synthesized, tmp_path: Path
) -> None:
    """The container's command line, with backend-config and backend-secret's values as its
    environment, against a migrated database: one run, nothing due, exit 0."""
    [container] = _template(production.get("CronJob", "reminder-sender"))["spec"]["containers"]
    data = production.get("ConfigMap", "backend-config")["data"]
    database_url = f"sqlite:///{tmp_path / 'app.db'}"
    values = sealing.SecretValues.generate()
    environment = {
        "PATH": os.environ["PATH"],
        **data,
        "DATABASE_URL": database_url,
        "SECRET_KEY": values.secret_key,
        "VAPID_PRIVATE_KEY": values.vapid_private_key,
    }
    subprocess.run(
        [str(REPO_ROOT / ".venv/bin/alembic"), "upgrade", "head"],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    assert container["command"][0] == "python"
    run = subprocess.run(
        [sys.executable, *container["command"][1:]],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("send-reminders: planned 0, sent 0")
