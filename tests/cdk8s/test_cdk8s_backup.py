"""The backup CronJob's and the restore Job's scripts, run against a real PostgreSQL 16 (pgserver,
with the PostgreSQL 16 client tools it bundles) and the real restic binary; and their manifests:
the repository on a node other than the database's, the pinned images, the retention."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pgserver
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from gitops_support import REPO_ROOT, Synthesized
from household import backup, database, sealing
from household.config import OffsiteSettings, load_environment
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from tests.support.restic import restic_env, snapshots

PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
DB_PREFIX = "household_task_manager"


@pytest.fixture
def database_url(pg16_server_url: str) -> Iterator[URL]:
    """A fresh database named like the real one plus a suffix."""
    admin = make_url(pg16_server_url).set(drivername="postgresql+psycopg")
    name = f"{DB_PREFIX}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.set(database=name)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def libpq_env(url: URL) -> dict[str, str]:
    host = url.host or url.query.get("host")
    assert isinstance(host, str)
    return {
        "PATH": f"{PG_BIN}:{os.environ['PATH']}",
        "PGHOST": host,
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }


class Pods:
    """The environment of the backup's and the restore's containers, with local directories in
    place of the pod's scratch emptyDir and the repository's volume."""

    def __init__(self, url: URL, tmp_path: Path) -> None:
        self.repository = tmp_path / "repository"
        self.restic = restic_env(self.repository, tmp_path / "cache")
        self.base = {
            **libpq_env(url),
            **self.restic,
            "RESTIC_HOST": backup.RESTIC_HOST,
            "RESTIC_TAG": backup.RESTIC_TAG,
            "PATH": f"{PG_BIN}:{os.environ['PATH']}",
        }
        self.tmp_path = tmp_path
        self.runs = 0

    def scratch(self) -> Path:
        """A new pod's empty scratch directory."""
        self.runs += 1
        path = self.tmp_path / f"pod-{self.runs}"
        path.mkdir()
        return path

    def run(self, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", script],
            env={**self.base, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    def back_up(self, last: int = 3, daily: int = 14, weekly: int = 8, monthly: int = 6) -> Path:
        scratch = self.scratch()
        dumped = self.run(backup.DUMP_SCRIPT, DUMP_DIR=str(scratch))
        assert dumped.returncode == 0, dumped.stderr
        uploaded = self.run(
            backup.UPLOAD_SCRIPT,
            DUMP_DIR=str(scratch),
            KEEP_LAST=str(last),
            KEEP_DAILY=str(daily),
            KEEP_WEEKLY=str(weekly),
            KEEP_MONTHLY=str(monthly),
        )
        assert uploaded.returncode == 0, uploaded.stderr
        assert "no errors were found" in uploaded.stdout  # restic check
        return scratch

    def restore(self, snapshot: str = "latest") -> subprocess.CompletedProcess[str]:
        scratch = self.scratch()
        fetched = self.run(backup.FETCH_SCRIPT, DUMP_DIR=str(scratch), SNAPSHOT=snapshot)
        if fetched.returncode != 0:
            return fetched
        return self.run(backup.RESTORE_SCRIPT, DUMP_DIR=str(scratch), SNAPSHOT=snapshot)


def titles(url: URL) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(text("SELECT title FROM chores ORDER BY id")).scalars())
    engine.dispose()
    return found


def execute(url: URL, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def test_backup_then_restore_of_a_chosen_snapshot(database_url: URL, tmp_path: Path) -> None:
    execute(
        database_url,
        "CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL)",
        "INSERT INTO chores (title) VALUES ('dishes'), ('laundry'), ('bins')",
    )
    pods = Pods(database_url, tmp_path)
    first = pods.back_up()
    dump = first / f"{database_url.database}.dump"
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert not list(first.glob("*.partial"))
    digest = hashlib.sha256(dump.read_bytes()).hexdigest()
    [snapshot] = snapshots(pods.restic)
    assert snapshot["hostname"] == "postgres-backup"
    assert snapshot["tags"] == ["postgres", f"sha256-{digest}"]
    assert snapshot["paths"] == [f"/{database_url.database}.dump"]
    # Encrypted: the dump's table names appear nowhere in the repository's files.
    assert not any(
        b"chores" in path.read_bytes() for path in pods.repository.rglob("*") if path.is_file()
    )

    execute(database_url, "INSERT INTO chores (title) VALUES ('windows')")
    pods.back_up()
    execute(
        database_url,
        "DELETE FROM chores WHERE title <> 'dishes'",
        "ALTER TABLE chores ADD COLUMN broken int",
    )

    latest = pods.restore()
    assert latest.returncode == 0, latest.stderr
    assert titles(database_url) == ["dishes", "laundry", "bins", "windows"]
    chosen = pods.restore(snapshot["short_id"])
    assert chosen.returncode == 0, chosen.stderr
    assert f"restored {database_url.database} from snapshot {snapshot['short_id']}" in (
        chosen.stdout
    )
    assert titles(database_url) == ["dishes", "laundry", "bins"]


def test_a_dump_that_does_not_match_its_checksum_is_not_restored(
    database_url: URL, tmp_path: Path
) -> None:
    execute(database_url, "CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL)")
    pods = Pods(database_url, tmp_path)
    pods.back_up()
    [snapshot] = snapshots(pods.restic)
    # A snapshot whose content is not the dump its tag names (as a bit flip would leave it).
    forged = tmp_path / "forged.dump"
    forged.write_bytes(b"PGDMP not the dump")
    tag = next(t for t in snapshot["tags"] if t.startswith("sha256-"))
    with forged.open("rb") as stdin:
        subprocess.run(
            [
                "restic",
                "backup",
                "--host",
                backup.RESTIC_HOST,
                "--tag",
                f"{backup.RESTIC_TAG},{tag}",
                "--stdin",
                "--stdin-filename",
                f"{database_url.database}.dump",
            ],
            env=pods.restic,
            stdin=stdin,
            check=True,
            capture_output=True,
        )
    execute(database_url, "INSERT INTO chores (title) VALUES ('kept')")
    refused = pods.restore()
    assert refused.returncode != 0
    assert "FAILED" in refused.stdout + refused.stderr
    assert titles(database_url) == ["kept"]


def test_a_failed_dump_stores_no_snapshot(database_url: URL, tmp_path: Path) -> None:
    pods = Pods(database_url, tmp_path)
    scratch = pods.scratch()
    dumped = pods.run(backup.DUMP_SCRIPT, DUMP_DIR=str(scratch), PGDATABASE="no_such_database")
    assert dumped.returncode != 0
    assert not list(scratch.glob("*.dump"))
    uploaded = pods.run(
        backup.UPLOAD_SCRIPT,
        DUMP_DIR=str(scratch),
        PGDATABASE="no_such_database",
        KEEP_LAST="1",
        KEEP_DAILY="1",
        KEEP_WEEKLY="0",
        KEEP_MONTHLY="0",
    )
    assert uploaded.returncode != 0
    assert snapshots(pods.restic) == []


def test_retention_forgets_older_snapshots_of_the_backup_only(
    database_url: URL, tmp_path: Path
) -> None:
    execute(database_url, "CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL)")
    pods = Pods(database_url, tmp_path)
    pods.back_up()
    # restic reads --time, and writes snapshot times, in local time.
    now = datetime.now()
    for days, host in ((1, backup.RESTIC_HOST), (2, backup.RESTIC_HOST), (3, "elsewhere")):
        stamp = (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
        subprocess.run(
            [
                "restic",
                "backup",
                "--host",
                host,
                "--tag",
                backup.RESTIC_TAG,
                "--time",
                stamp,
                "--stdin",
                "--stdin-filename",
                f"{database_url.database}.dump",
            ],
            env=pods.restic,
            input=f"the night {days} days ago".encode(),
            check=True,
            capture_output=True,
        )
    assert len(snapshots(pods.restic)) == 4
    pods.back_up(last=1, daily=2, weekly=0, monthly=0)
    kept = snapshots(pods.restic)
    ages = sorted(
        round((now - datetime.fromisoformat(s["time"][:19])).total_seconds() / 86400)
        for s in kept
        if s["hostname"] == backup.RESTIC_HOST
    )
    # Two days kept (tonight's newest and yesterday's); the day before, and tonight's earlier
    # run, forgotten and pruned.
    assert ages == [0, 1]
    assert [s["hostname"] for s in kept].count("elsewhere") == 1


def _containers(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_the_cronjob_runs_the_tested_scripts_with_pinned_images(production: Synthesized) -> None:
    job = production.get("CronJob", "postgres-backup")
    spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["pg-dump"]
    assert [c["name"] for c in spec["containers"]] == ["restic"]
    containers = _containers(job)
    assert containers["pg-dump"]["command"] == ["sh", "-c", backup.DUMP_SCRIPT]
    assert containers["restic"]["command"] == ["sh", "-c", backup.UPLOAD_SCRIPT]
    assert containers["pg-dump"]["image"] == database.IMAGE
    assert containers["restic"]["image"] == "restic/restic:0.18.0"
    restic_env_ = _env(containers["restic"])
    assert restic_env_["RESTIC_REPOSITORY"] == "/backups"
    assert restic_env_["RESTIC_PASSWORD"] == {
        "secretKeyRef": {"name": "backup-secret", "key": "RESTIC_PASSWORD"}
    }
    keep = [restic_env_[f"KEEP_{n}"] for n in ("LAST", "DAILY", "WEEKLY", "MONTHLY")]
    assert keep == ["3", "14", "8", "6"]
    assert "PGPASSWORD" not in restic_env_
    assert _env(containers["pg-dump"])["PGPASSWORD"] == {
        "secretKeyRef": {"name": "database-secret", "key": "POSTGRES_PASSWORD"}
    }
    assert "RESTIC_PASSWORD" not in _env(containers["pg-dump"])
    assert {"mountPath": "/backups", "name": "repository"} in containers["restic"]["volumeMounts"]
    assert all(m["mountPath"] != "/backups" for m in containers["pg-dump"]["volumeMounts"])
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    assert job["spec"]["schedule"] == "30 3 * * *"
    assert job["spec"]["timeZone"] == "Asia/Tokyo"
    assert "nodeSelector" not in spec  # the repository's PV places the pod


def test_the_repository_lives_on_another_node_than_the_database(
    synthesized: dict[str, Synthesized],
) -> None:
    for env in synthesized.values():
        settings = env.config
        volume = env.get("PersistentVolume", settings.backup.persistent_volume)["spec"]
        [term] = volume["nodeAffinity"]["required"]["nodeSelectorTerms"]
        assert term["matchExpressions"] == [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [settings.backup.node]}
        ]
        assert settings.backup.node != settings.database.node
        assert volume["local"] == {"path": "/var/lib/household-task-manager/backups"}
        assert volume["persistentVolumeReclaimPolicy"] == "Retain"
        assert volume["claimRef"]["name"] == "postgres-backups"
        claim = env.get("PersistentVolumeClaim", "postgres-backups")["spec"]
        assert claim["volumeName"] == settings.backup.persistent_volume
        # The database no longer mounts the backups (they are on another node now).
        postgres = env.get("StatefulSet", "postgres")["spec"]["template"]["spec"]
        claims = {
            v["persistentVolumeClaim"]["claimName"]
            for v in postgres["volumes"]
            if "persistentVolumeClaim" in v
        }
        assert claims == {"postgres-pvc"}


def test_the_restore_job_template_is_suspended_and_restores_the_chosen_snapshot(
    production: Synthesized,
) -> None:
    job = production.get("CronJob", "postgres-restore")
    assert job["spec"]["suspend"] is True
    containers = _containers(job)
    assert list(containers) == ["restic-dump", "pg-restore"]
    assert containers["restic-dump"]["command"] == ["sh", "-c", backup.FETCH_SCRIPT]
    assert containers["pg-restore"]["command"] == ["sh", "-c", backup.RESTORE_SCRIPT]
    assert _env(containers["restic-dump"])["SNAPSHOT"] == "latest"
    labels = job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    # The backup's network policy (postgres:5432, DNS) applies to the restore's pods too.
    assert labels["app.kubernetes.io/name"] == "postgres-backup"
    assert labels["app.kubernetes.io/component"] == "restore"


def test_the_runbooks_make_targets_exist_and_drive_the_two_cronjobs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    runbook = readme[readme.index("\n## Runbook\n") :]
    makefile = (REPO_ROOT / "Makefile").read_text()
    defined = {
        target
        for line in re.findall(r"^([a-z][a-z0-9 -]*):(?!=)", makefile, re.M)
        for target in line.split()
    }
    used = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", runbook))
    assert used >= {"restore", "backup-now", "backup-status", "cluster-escrow", "cluster-reset"}
    assert used <= defined
    recipes = {
        name: makefile[makefile.index(f"\n{name}:\n") :].split("\n\n")[0]
        for name in ("backup-now", "restore")
    }
    assert "create job --from=cronjob/postgres-backup" in recipes["backup-now"]
    assert "create job --from=cronjob/postgres-restore" in recipes["restore"]
    assert "set env --local -f - SNAPSHOT='$(SNAPSHOT)'" in recipes["restore"]


def test_an_offsite_repository_gets_a_copy_that_restores(database_url: URL, tmp_path: Path) -> None:
    """backup.offsite: the snapshots are copied to a second repository (a directory here; in
    the cluster an S3 URL, which is restic's own backend) from which the restore works alone."""
    execute(
        database_url,
        "CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL)",
        "INSERT INTO chores (title) VALUES ('dishes')",
    )
    pods = Pods(database_url, tmp_path)
    offsite = tmp_path / "offsite"
    pods.base["OFFSITE_REPOSITORY"] = str(offsite)
    pods.back_up()
    execute(database_url, "INSERT INTO chores (title) VALUES ('laundry')")
    pods.back_up()
    offsite_env = restic_env(offsite, tmp_path / "offsite-cache")
    local, copied = snapshots(pods.restic), snapshots(offsite_env)
    assert len(copied) == 2  # the second night copied only its own snapshot
    assert [s["tags"] for s in copied] == [s["tags"] for s in local]

    # The backup node is gone: restore from the off-site copy.
    del pods.base["OFFSITE_REPOSITORY"]
    pods.base.update(RESTIC_REPOSITORY=str(offsite), RESTIC_CACHE_DIR=str(tmp_path / "c2"))
    execute(database_url, "DELETE FROM chores")
    restored = pods.restore()
    assert restored.returncode == 0, restored.stderr
    assert titles(database_url) == ["dishes", "laundry"]


OFFSITE = "s3:https://s3.eu-central-003.backblazeb2.com/household-backups/production"


def _with_offsite(cdk8s_main: ModuleType, keys: bool) -> Synthesized:
    base = load_environment("production")
    config = base.model_copy(
        update={
            "backup": base.backup.model_copy(
                update={"offsite": OffsiteSettings(repository=OFFSITE)}
            )
        }
    )
    pem = throwaway_certificate()
    values = sealing.SecretValues(
        "db-password",
        "secret-key",
        "restic-password",
        sealing.generate_vapid_private_key(),
        *(("AKIAOFFSITE", "offsite-secret") if keys else ()),
    )
    plaintext = values.by_secret(host="postgres", database=DB_PREFIX, user="postgres")
    sealed = sealing.SealedValues(
        namespace=config.namespace,
        certificate="sha256:test",
        encrypted=sealing.seal_all(sealing.load_public_key(pem), config.namespace, plaintext),
    )
    charts = cdk8s_main.build(config, sealed)
    return Synthesized(config, {f"{c.node.id}.yaml": list(c.to_json()) for c in charts})


def throwaway_certificate() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offsite-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_the_offsite_setting_adds_its_repository_keys_and_https_egress(
    cdk8s_main: ModuleType,
) -> None:
    env = _with_offsite(cdk8s_main, keys=True)
    restic_container = _containers(env.get("CronJob", "postgres-backup"))["restic"]
    variables = _env(restic_container)
    assert variables["OFFSITE_REPOSITORY"] == OFFSITE
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert variables[key] == {"secretKeyRef": {"name": "backup-secret", "key": key}}
    assert set(env.get("SealedSecret", "backup-secret")["spec"]["encryptedData"]) == {
        "RESTIC_PASSWORD",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }
    policy = env.get("NetworkPolicy", "postgres-backup-offsite")["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "postgres-backup"}}
    assert policy["egress"] == [
        {
            "to": [
                {
                    "ipBlock": {
                        "cidr": "0.0.0.0/0",
                        "except": [
                            "10.0.0.0/8",
                            "172.16.0.0/12",
                            "192.168.0.0/16",
                            "169.254.0.0/16",
                        ],
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 443}],
        }
    ]


def test_an_offsite_repository_without_its_keys_is_refused(cdk8s_main: ModuleType) -> None:
    with pytest.raises(ValueError, match="backup-secret lacks AWS_ACCESS_KEY_ID, AWS_SECRET"):
        _with_offsite(cdk8s_main, keys=False)


def test_without_offsite_there_is_no_copy_and_no_egress(production: Synthesized) -> None:
    variables = _env(_containers(production.get("CronJob", "postgres-backup"))["restic"])
    assert "OFFSITE_REPOSITORY" not in variables
    assert not any(
        p["metadata"]["name"] == "postgres-backup-offsite"
        for p in production.of_kind("NetworkPolicy")
    )
