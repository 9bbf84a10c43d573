"""The one-off Job that imports the original app's database: rendered by
`make import-original-job`, valid, hardened, wired to this environment's backend and database,
never part of gitops/, and its command line imports a real original on PostgreSQL 16."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from gitops_support import CDK8S_DIR, REPO_ROOT, Synthesized
from household.config import load_environment
from household.original_import import SOURCE_DATABASE, command
from kubernetes_validate import utils as kubernetes_validate
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.import_original import original
from tests.support import databases


def _load_renderer() -> ModuleType:
    path = CDK8S_DIR / "original_import_job.py"
    spec = importlib.util.spec_from_file_location("household_original_import_job", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def renderer() -> ModuleType:
    return _load_renderer()


def rendered(renderer: ModuleType, env: str = "production", dry_run: bool = False) -> list[Any]:
    text_ = renderer.render(load_environment(env), time_zone="Asia/Tokyo", dry_run=dry_run)
    return [doc for doc in yaml.safe_load_all(text_) if doc]


def by_kind(documents: list[Any], kind: str) -> list[Any]:
    return [doc for doc in documents if doc["kind"] == kind]


def k3s_minor_version() -> str:
    inventory = REPO_ROOT / "inventory" / "group_vars" / "all" / "main.yml"
    version = yaml.safe_load(inventory.read_text())["k3s_version"]
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+\+k3s\d+", version)
    assert match, version
    return f"{match[1]}.{match[2]}"


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_job_and_its_policies_pass_strict_validation(
    renderer: ModuleType, dry_run: bool
) -> None:
    documents = rendered(renderer, dry_run=dry_run)
    assert [(doc["kind"], doc["metadata"]["name"]) for doc in documents] == [
        ("Job", "import-original-dry-run" if dry_run else "import-original"),
        ("NetworkPolicy", "import-original"),
        ("NetworkPolicy", "postgres-from-import-original"),
    ]
    version = k3s_minor_version()
    for doc in documents:
        assert doc["metadata"]["namespace"] == "household-task-manager"
        assert kubernetes_validate.validate(doc, version, strict=True) == version


def test_the_job_runs_the_importer_with_this_environments_backend_and_database(
    renderer: ModuleType, production: Synthesized
) -> None:
    job = by_kind(rendered(renderer), "Job")[0]
    assert job["spec"]["backoffLimit"] == 0
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["image"] == production.config.backend_image
    assert container["command"] == [
        "python",
        "-m",
        "app.cli",
        "import-original",
        "--source",
        "postgresql:///household_task_manager_original",
        "--time-zone",
        "Asia/Tokyo",
    ]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]) == {"requests", "limits"}

    # Everything it refers to is what gitops/ deploys.
    refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
    assert refs == {"backend-config", "backend-secret"}
    production.get("ConfigMap", "backend-config")
    production.get("SealedSecret", "backend-secret")
    production.get("SealedSecret", "database-secret")
    env = {item["name"]: item for item in container["env"]}
    service = production.get("Service", "postgres")
    assert env["PGHOST"]["value"] == service["metadata"]["name"]
    assert env["PGPORT"]["value"] == str(service["spec"]["ports"][0]["port"])
    assert env["PGUSER"]["value"] == "postgres"
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "database-secret",
        "key": "POSTGRES_PASSWORD",
    }
    # The dry run differs only by its name and flag.
    dry = by_kind(rendered(renderer, dry_run=True), "Job")[0]
    assert dry["spec"]["template"]["spec"]["containers"][0]["command"] == [
        *container["command"],
        "--dry-run",
    ]


def test_the_policies_open_exactly_import_to_postgres(
    renderer: ModuleType, production: Synthesized
) -> None:
    policies = {
        doc["metadata"]["name"]: doc["spec"] for doc in by_kind(rendered(renderer), "NetworkPolicy")
    }
    job_pods = {"app.kubernetes.io/name": "import-original"}
    postgres_pods = production.get("StatefulSet", "postgres")["spec"]["selector"]["matchLabels"]
    port = [{"port": 5432, "protocol": "TCP"}]
    assert policies["import-original"] == {
        "egress": [{"ports": port, "to": [{"podSelector": {"matchLabels": postgres_pods}}]}],
        "podSelector": {"matchLabels": job_pods},
        "policyTypes": ["Egress"],
    }
    assert policies["postgres-from-import-original"] == {
        "ingress": [{"from": [{"podSelector": {"matchLabels": job_pods}}], "ports": port}],
        "podSelector": {"matchLabels": postgres_pods},
        "policyTypes": ["Ingress"],
    }
    # Name resolution comes from the namespace's DNS policy, which selects every pod.
    every_pod = production.get("NetworkPolicy", "allow-dns")["spec"]["podSelector"]
    assert every_pod.get("matchLabels", {}) == {}
    assert "matchExpressions" not in every_pod


def test_the_job_is_never_part_of_what_argo_cd_syncs(synth_dir: Path) -> None:
    for path in [*synth_dir.rglob("*.yaml"), *(REPO_ROOT / "gitops").rglob("*.yaml")]:
        assert "import-original" not in path.read_text(), path


def test_the_renderer_writes_one_file_per_environment(renderer: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "staging.yaml"
    assert renderer.main(["--env", "staging", "--out", str(out)]) == 0
    content = out.read_text()
    assert content.startswith("# Rendered by `make import-original-job`")
    documents = [doc for doc in yaml.safe_load_all(content) if doc]
    assert {doc["metadata"]["namespace"] for doc in documents} == {
        load_environment("staging").namespace
    }
    assert renderer.main(["--env", "no-such-env", "--out", str(out)]) == 1


@pytest.fixture
def renamed_original(postgres_admin_url: str) -> Iterator[str]:
    """The original, renamed aside on the same server as the runbook does."""
    url = make_url(postgres_admin_url).set(database=SOURCE_DATABASE)
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{SOURCE_DATABASE}"'))
        connection.execute(text(f'CREATE DATABASE "{SOURCE_DATABASE}"'))
    original.build(url.render_as_string(hide_password=False))
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{SOURCE_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def test_the_jobs_command_imports_the_renamed_original(
    postgres_admin_url: str, renamed_original: str
) -> None:
    """The container's exact command line, with the Job's variables pointed at a local server."""
    target = databases.create_postgres_database(postgres_admin_url)
    databases.migrate(target)
    server = make_url(postgres_admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": target,
        "ENVIRONMENT": "test",
        "PGHOST": str(server.query["host"]) if "host" in server.query else str(server.host),
        "PGUSER": str(server.username),
    }
    if server.port:
        env["PGPORT"] = str(server.port)
    if server.password:
        env["PGPASSWORD"] = server.password

    def run(dry_run: bool) -> subprocess.CompletedProcess[str]:
        _, *args = command("Asia/Tokyo", dry_run=dry_run)
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    try:
        dry = run(True)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "dry run: nothing was written" in dry.stdout
        assert databases.row_counts(create_engine(target))["completions"] == 0
        done = run(False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "task_executions         790       790        0  completions" in done.stdout
        assert "postgresql:///household_task_manager_original" in done.stdout
        counts = databases.row_counts(create_engine(target))
        assert (counts["users"], counts["chores"], counts["completions"]) == (3, 66, 790)
    finally:
        databases.drop_postgres_database(postgres_admin_url, target)
