"""Every synthesized manifest is valid for the Kubernetes version of the pinned k3s
(kubernetes-validate --strict); custom resources against their upstream CRD schemas, read from
CRD_SCHEMA_DIR (default ../shared/crds) and pinned by tests/crd_schemas.lock."""

from __future__ import annotations

import copy
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from gitops_support import REPO_ROOT, Synthesized
from kubernetes_validate import utils as kubernetes_validate

from tests.support.crd_schemas import (
    crd_schema_dir,
    load_crd,
    lock_mismatches,
    read_lock,
    sha256_of,
)

# The settings file: inventory/group_vars/all/main.yml, or the older single file all.yml.
INVENTORY = next(
    path
    for path in (
        REPO_ROOT / "inventory" / "group_vars" / "all" / "main.yml",
        REPO_ROOT / "inventory" / "group_vars" / "all.yml",
    )
    if path.exists()
)
CRD_FILES = {
    ("bitnami.com", "SealedSecret"): "bitnami.com_sealedsecrets.yaml",
    ("traefik.io", "Middleware"): "traefik.io_middlewares.yaml",
}


def kubernetes_version() -> str:
    """The minor version of `k3s_version` in the inventory (v1.36.3+k3s1 -> 1.36)."""
    k3s_version = yaml.safe_load(INVENTORY.read_text())["k3s_version"]
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+\+k3s\d+", k3s_version)
    assert match, f"unexpected k3s_version {k3s_version!r}"
    return f"{match[1]}.{match[2]}"


def test_validation_uses_the_pinned_k3s_minor_version() -> None:
    version = kubernetes_version()
    # kubernetes-validate falls back to the newest schemas not newer than the request; make sure
    # it has this exact minor version rather than silently validating against an older one.
    available = {kubernetes_validate.major_minor(v) for v in kubernetes_validate.all_versions()}
    assert version in available, f"kubernetes-validate has no schemas for {version}"


def test_every_builtin_manifest_passes_strict_validation(
    every_variant: dict[str, Synthesized],
) -> None:
    version = kubernetes_version()
    checked, errors = 0, []
    for variant, env in every_variant.items():
        for doc in env.documents:
            if _crd_key(doc) in CRD_FILES:
                continue
            try:
                assert kubernetes_validate.validate(doc, version, strict=True) == version
            except kubernetes_validate.ValidationError as error:
                errors.append(f"{variant} {doc['kind']}/{doc['metadata']['name']}: {error.message}")
            checked += 1
    assert not errors, "\n".join(errors)
    # 33 objects per environment (the backups' PV, the restore CronJob, the reminder sender's
    # CronJob and its two NetworkPolicies included), minus its custom resources, and
    # postgres_exporter's NetworkPolicy where the observability stack runs (production, three
    # times)
    assert checked == 4 * 29 + 3


def test_custom_resources_match_their_crd_schemas(every_variant: dict[str, Synthesized]) -> None:
    checked = 0
    for env in every_variant.values():
        for doc in env.documents:
            key = _crd_key(doc)
            if key in CRD_FILES:
                _validator(CRD_FILES[key], doc["apiVersion"].split("/")[1]).validate(doc)
                checked += 1
    # Three SealedSecrets per environment, a Middleware only with traefik (all but nginx's).
    assert checked == 4 * 3 + 3


def test_only_known_custom_resources_are_produced(every_variant: dict[str, Synthesized]) -> None:
    for env in every_variant.values():
        for doc in env.documents:
            group = _crd_key(doc)[0]
            assert group in {"", "apps", "batch", "policy", "networking.k8s.io"} or (
                _crd_key(doc) in CRD_FILES
            ), doc["apiVersion"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["spec"].pop("encryptedData"), "'encryptedData' is a required property"),
        (lambda d: d["spec"].update(encryptedDta={}), "Additional properties"),
        (lambda d: d["spec"]["encryptedData"].update(KEY=7), "is not of type 'string'"),
    ],
)
def test_the_crd_check_catches_broken_sealed_secrets(
    production: Synthesized, mutate: Any, message: str
) -> None:
    broken = copy.deepcopy(production.get("SealedSecret", "database-secret"))
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError, match=message):
        _validator(CRD_FILES[("bitnami.com", "SealedSecret")], "v1alpha1").validate(broken)


def test_the_strict_check_catches_misspelt_fields(production: Synthesized) -> None:
    broken = copy.deepcopy(production.get("Deployment", "backend"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_version(), strict=True)


def _crd_key(doc: dict[str, Any]) -> tuple[str, str]:
    api_version = doc["apiVersion"]
    group = api_version.split("/")[0] if "/" in api_version else ""
    return group, doc["kind"]


@cache
def _validator(file_name: str, version: str) -> jsonschema.protocols.Validator:
    crd = load_crd(file_name)
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    schema = _strict(copy.deepcopy(served["schema"]["openAPIV3Schema"]))
    return jsonschema.Draft202012Validator(schema)


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Refuse unknown fields where the CRD lists the properties, as the API server's pruning
    would silently drop them (strict, like kubernetes-validate --strict for built-ins)."""
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    for key in ("properties", "patternProperties"):
        for sub in schema.get(key, {}).values():
            _strict(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _strict(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            _strict(sub)
    return schema


def test_crd_files_are_where_the_readme_says() -> None:
    for name in CRD_FILES.values():
        assert (crd_schema_dir() / name).is_file()


# ---- the lock of the schemas ----


def test_the_schema_directory_holds_exactly_the_locked_files() -> None:
    directory = crd_schema_dir()
    assert directory.is_dir(), f"no CRD schemas in {directory} (set CRD_SCHEMA_DIR)"
    entries = read_lock()
    assert lock_mismatches(directory, entries) == []
    assert {entry.name for entry in entries} >= set(CRD_FILES.values())


def test_the_lock_pins_each_schema_to_an_upstream_commit() -> None:
    urls = {entry.name: entry.url for entry in read_lock()}
    assert urls["bitnami.com_sealedsecrets.yaml"] == (
        "https://raw.githubusercontent.com/bitnami-labs/sealed-secrets/"
        "e12ae8217687d110d01b27bff3072dc79a03422c/helm/sealed-secrets/crds/"
        "bitnami.com_sealedsecrets.yaml"
    )
    # Saved under another name than upstream's.
    assert urls["argoproj.io_applications.yaml"].endswith(
        "/argoproj/argo-cd/109ca7ca71139e514114499d294a492e7910a965/"
        "manifests/crds/application-crd.yaml"
    )
    assert len(urls) == len(read_lock()) == 7


def test_schemas_are_read_from_crd_schema_dir(tmp_path: Path) -> None:
    (tmp_path / "example.yaml").write_text("kind: CustomResourceDefinition\n")
    crd = load_crd("example.yaml", {"CRD_SCHEMA_DIR": str(tmp_path)})
    assert crd == {"kind": "CustomResourceDefinition"}
    with pytest.raises(AssertionError, match="set CRD_SCHEMA_DIR"):
        load_crd("example.yaml", {"CRD_SCHEMA_DIR": str(tmp_path / "absent")})


def test_drift_between_the_directory_and_the_lock_is_reported(tmp_path: Path) -> None:
    directory = tmp_path / "crds"
    # Contents only: the schemas may be read-only where they come from.
    shutil.copytree(crd_schema_dir(), directory, copy_function=shutil.copyfile)
    directory.chmod(0o755)
    entries = read_lock()
    changed = directory / "traefik.io_middlewares.yaml"
    changed.write_bytes(changed.read_bytes() + b"\n")
    (directory / "cert-manager.io_certificates.yaml").unlink()
    (directory / "example.org_widgets.yaml").write_text("kind: CustomResourceDefinition\n")
    (directory / "notes.txt").write_text("not a schema\n")
    locked = {entry.name: entry.sha256 for entry in entries}["traefik.io_middlewares.yaml"]
    assert lock_mismatches(directory, entries) == [
        f"cert-manager.io_certificates.yaml: in the lock, missing from {directory}",
        f"traefik.io_middlewares.yaml: sha256 {sha256_of(changed)}, the lock says {locked}",
        f"example.org_widgets.yaml: in {directory}, missing from the lock",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a.yaml 0123", "expected <file> <sha256> <url>"),
        ("", "expected <file> <sha256> <url>"),
        ("  # indented", "expected <file> <sha256> <url>"),
        (f"a.yaml {'A' * 64} https://raw.githubusercontent.com/o/r/{'0' * 40}/a.yaml", "sha256"),
        # A tag can be moved: only a commit pins the bytes.
        (f"a.yaml {'0' * 64} https://raw.githubusercontent.com/o/r/v1.2.3/a.yaml", "at a commit"),
        (f"a.yml {'0' * 64} https://raw.githubusercontent.com/o/r/{'0' * 40}/a.yml", "file name"),
    ],
)
def test_a_malformed_lock_line_is_refused(tmp_path: Path, line: str, message: str) -> None:
    lock = tmp_path / "crd_schemas.lock"
    lock.write_text(f"# comment\n{line}\n")
    with pytest.raises(ValueError, match=f"crd_schemas.lock:2: .*{message}"):
        read_lock(lock)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, REPO_ROOT / "../shared/crds"),
        ("", REPO_ROOT / "../shared/crds"),
        ("var/crds", REPO_ROOT / "var/crds"),
        ("/srv/crds", Path("/srv/crds")),
    ],
)
def test_the_schema_directory_comes_from_crd_schema_dir(value: str | None, expected: Path) -> None:
    environ = {} if value is None else {"CRD_SCHEMA_DIR": value}
    assert crd_schema_dir(environ) == expected
