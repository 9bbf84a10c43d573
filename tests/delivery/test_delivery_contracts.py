"""Contracts between the images, the manifests Argo CD applies and the image workflow.

No Docker engine here: the Dockerfiles are parsed (tests/delivery/images.py) and compared with
gitops/production/, cdk8s/environments/production.yaml, the app and the workflows.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from uvicorn.main import main as uvicorn_cli
from uvicorn.middleware.proxy_headers import _TrustedHosts

from tests.delivery.images import (
    BACKEND_DOCKERFILE,
    COMPONENT_DOCKERFILES,
    FRONTEND_DOCKERFILE,
    IMAGE_PREFIX,
    PRODUCTION_CONFIG,
    REPO,
    WORKFLOWS,
    Stage,
    backend_stages,
    container,
    frontend_stages,
    in_context,
    makefile_variable,
    pod_spec,
    production_config,
    resource,
    stage,
    step,
    workflow,
)

sys.path.insert(0, str(REPO / "cdk8s"))
from household.config import EnvironmentConfig

EXACT_VERSION = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")
OCI_LABELS = {
    "org.opencontainers.image.source": "${SOURCE}",
    "org.opencontainers.image.revision": "${REVISION}",
    "org.opencontainers.image.version": "${VERSION}",
}


def final(stages: tuple[Stage, ...]) -> Stage:
    return stages[-1]


def uvicorn_params(cmd: list[str]) -> dict[str, Any]:
    """The CMD's options as uvicorn's own command line parses them (an unknown or misspelt
    option fails here)."""
    assert cmd[0] == "uvicorn"
    context = uvicorn_cli.make_context("uvicorn", cmd[1:])
    return dict(context.params)


# ---- base images ----


@pytest.mark.parametrize("dockerfile", [BACKEND_DOCKERFILE, FRONTEND_DOCKERFILE], ids=str)
def test_every_base_image_is_pinned_to_an_exact_version(dockerfile: Path) -> None:
    stages = backend_stages() if dockerfile == BACKEND_DOCKERFILE else frontend_stages()
    assert len(stages) >= 2, "multi-stage: build tools stay out of the final image"
    for s in stages:
        assert EXACT_VERSION.match(s.image), f"{s.image} is not pinned to x.y.z"


def test_backend_builds_its_venv_on_the_same_python_it_runs_on() -> None:
    builder, runtime = stage(backend_stages(), "builder"), final(backend_stages())
    # A venv is not relocatable: same base image, same venv path in both stages.
    assert builder.image == runtime.image
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", runtime.image)
    venv = builder.env["UV_PROJECT_ENVIRONMENT"]
    [copy] = [c for c in runtime.copies() if c.from_stage == "builder"]
    assert copy.sources == [venv]
    assert copy.dest == venv
    assert runtime.env["PATH"].split(":")[0] == f"{venv}/bin"


def test_backend_installs_only_the_locked_runtime_dependencies_with_the_makefiles_uv() -> None:
    builder = stage(backend_stages(), "builder")
    installs = [shlex.split(i.args) for i in builder.all("RUN")]
    assert ["pip", "install", f"uv=={makefile_variable('UV_VERSION')}"] in installs
    [sync] = [words for words in installs if words[:2] == ["uv", "sync"]]
    for flag in ("--frozen", "--no-dev", "--no-default-groups", "--no-install-project"):
        assert flag in sync
    # The final stage gets the venv and the code only: no uv, no pip installs, no apt.
    runtime_runs = " ".join(i.args for i in final(backend_stages()).all("RUN"))
    assert not re.search(r"\b(uv|pip|apt-get|apk)\b", runtime_runs)


def test_frontend_builds_with_npm_ci_once_for_all_platforms() -> None:
    build = stage(frontend_stages(), "build")
    assert build.platform == "$BUILDPLATFORM"  # static files: built natively, not under QEMU
    assert re.fullmatch(r"node:24\.\d+\.\d+-bookworm-slim", build.image)
    runs = [shlex.split(i.args) for i in build.all("RUN")]
    assert runs[0][:2] == ["npm", "ci"]
    assert runs[-1] == ["npm", "run", "build"]
    scripts = yaml.safe_load((REPO / "frontend" / "package.json").read_text())["scripts"]
    assert scripts["build"].startswith("vite build")
    assert re.fullmatch(r"nginx:1\.\d+\.\d+-alpine", final(frontend_stages()).image)


# ---- backend image <-> gitops/production/backend.yaml ----


def test_backend_runs_as_the_pods_user() -> None:
    pod = pod_spec("backend.yaml", "backend")
    user = final(backend_stages()).one("USER").args
    assert user == f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    assert user == "10001:10001"
    # The user exists in the image (created with the same ids).
    created = " ".join(i.args for i in final(backend_stages()).all("RUN"))
    assert "--gid 10001" in created
    assert "--uid 10001" in created


def test_the_migrations_init_container_runs_alembic_in_the_images_workdir() -> None:
    pod = pod_spec("backend.yaml", "backend")
    init = container(pod, "run-migrations", init=True)
    main = container(pod, "backend")
    assert init["image"] == main["image"], "migrations run from the backend image"
    assert init["command"] == ["alembic", "upgrade", "head"]
    assert "args" not in init
    assert "workingDir" not in init, "the image's WORKDIR is where alembic.ini is"
    runtime = final(backend_stages())
    assert runtime.workdir == "/app"
    copies = {c.dest: c.sources for c in runtime.copies() if c.from_stage is None}
    assert copies["/app/"] == ["alembic.ini"]
    assert copies["/app/app/"] == ["app/"]
    # alembic.ini finds the migrations relative to itself: /app/app/migrations.
    ini = (REPO / "alembic.ini").read_text()
    assert re.search(r"^script_location = %\(here\)s/app/migrations$", ini, re.M)
    assert (REPO / "app" / "migrations" / "env.py").is_file()
    # `alembic` resolves on PATH: the venv's bin directory comes first.
    assert runtime.env["PATH"].startswith("/opt/venv/bin:")


def test_the_cmd_serves_the_app_on_the_port_the_manifests_probe() -> None:
    pod = pod_spec("backend.yaml", "backend")
    main = container(pod, "backend")
    assert "command" not in main
    assert "args" not in main, "the image's CMD is the contract"
    params = uvicorn_params(final(backend_stages()).cmd)
    assert params["app"] == "app.main:app"
    assert params["host"] == "0.0.0.0"  # noqa: S104 (inside the pod)
    port = params["port"]
    assert port == 8000
    assert [p["containerPort"] for p in main["ports"]] == [port]
    service = resource("backend.yaml", "Service", "backend")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(port, port)]
    assert str(port) in final(backend_stages()).one("EXPOSE").args.split()

    from app.core.health import router

    routes = {getattr(r, "path", None) for r in router.routes}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        get = main[probe]["httpGet"]
        assert get["port"] == port
        assert get["path"] in routes, f"{probe} {get['path']} is not a route of the app"


def test_the_cmd_uses_one_worker_and_shuts_down_within_the_grace_period() -> None:
    params = uvicorn_params(final(backend_stages()).cmd)
    assert params["workers"] is None  # uvicorn's default: one process
    assert "WEB_CONCURRENCY" not in final(backend_stages()).env
    grace = pod_spec("backend.yaml", "backend")["terminationGracePeriodSeconds"]
    assert params["timeout_graceful_shutdown"] is not None
    assert 0 < params["timeout_graceful_shutdown"] < grace


def test_proxy_headers_are_trusted_only_from_the_pod_network_and_overridable() -> None:
    params = uvicorn_params(final(backend_stages()).cmd)
    assert params["proxy_headers"] is True
    # Not on the command line, so uvicorn reads FORWARDED_ALLOW_IPS from the environment.
    assert params["forwarded_allow_ips"] is None
    allowed = final(backend_stages()).env["FORWARDED_ALLOW_IPS"]
    assert allowed == "10.42.0.0/16"  # k3s's default cluster CIDR
    script = (
        "import sys\n"
        "from uvicorn.config import Config\n"
        "config = Config('app.main:app', forwarded_allow_ips=None)\n"
        "sys.stdout.write(config.forwarded_allow_ips)\n"
    )
    for env_value in (allowed, "10.0.0.0/8"):
        read = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "FORWARDED_ALLOW_IPS": env_value},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert read == env_value
    trusted = _TrustedHosts(allowed)
    assert "10.42.1.17" in trusted  # a frontend pod
    assert "192.168.0.202" not in trusted  # the LAN, e.g. a NodePort client
    assert "127.0.0.1" not in trusted


def test_the_backend_image_only_needs_the_settings_the_manifests_give() -> None:
    pod = pod_spec("backend.yaml", "backend")
    main = container(pod, "backend")
    sources = {(s.get("configMapRef") or s.get("secretRef"))["name"] for s in main["envFrom"]}
    assert sources == {"backend-config", "backend-secret"}
    config = resource("backend.yaml", "ConfigMap", "backend-config")["data"]
    secret = resource("backend.yaml", "SealedSecret", "backend-secret")["spec"]["encryptedData"]
    assert set(config) | set(secret) >= {"DATABASE_URL", "SECRET_KEY", "ENVIRONMENT"}
    assert "CORS_ORIGINS" in config
    env = final(backend_stages()).env
    assert not {"DATABASE_URL", "SECRET_KEY"} & set(env), "no secrets in the image"
    # The root file system is read-only; bytecode is compiled at build time.
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert any("compileall" in i.args for i in final(backend_stages()).all("RUN"))
    assert {"mountPath": "/tmp", "name": "tmp"} in main["volumeMounts"]


# ---- frontend image <-> gitops/production/frontend.yaml ----


def template_variables() -> set[str]:
    return set(
        re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", (REPO / "frontend" / "nginx.conf").read_text())
    )


def test_frontend_template_variables_are_the_configmap_keys_and_the_envsubst_filter() -> None:
    runtime = final(frontend_stages())
    copies = {c.dest: c.sources for c in runtime.copies() if c.from_stage is None}
    assert copies["/etc/nginx/templates/default.conf.template"] == ["frontend/nginx.conf"]
    keys = set(resource("frontend.yaml", "ConfigMap", "frontend-config")["data"])
    assert template_variables() == keys == {"NGINX_PORT", "BACKEND_ADDRESS"}
    # The entrypoint substitutes the environment variables whose name matches the filter (awk's
    # `name ~ /filter/`): exactly the template's, never the pod's other variables.
    pattern = re.compile(runtime.env["NGINX_ENVSUBST_FILTER"])
    others = [
        "HOSTNAME",
        "HOME",
        "PATH",
        "NGINX_VERSION",
        "NGINX_PORT_2",
        "BACKEND_PORT",
        "BACKEND_SERVICE_HOST",
        "BACKEND_PORT_8000_TCP_ADDR",
        "KUBERNETES_SERVICE_HOST",
        "FRONTEND_SERVICE_PORT",
    ]
    assert {k for k in keys | set(others) if pattern.search(k)} == keys
    # Defaults for `docker run` equal the cluster's values.
    config = resource("frontend.yaml", "ConfigMap", "frontend-config")["data"]
    assert {k: runtime.env[k] for k in keys} == config


def test_frontend_listens_on_the_port_the_manifests_use_as_the_pods_user() -> None:
    pod = pod_spec("frontend.yaml", "frontend")
    main = container(pod, "frontend")
    port = int(resource("frontend.yaml", "ConfigMap", "frontend-config")["data"]["NGINX_PORT"])
    assert port == 80
    assert [p["containerPort"] for p in main["ports"]] == [port]
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["httpGet"] == {"path": "/", "port": port, "scheme": "HTTP"}
    service = resource("frontend.yaml", "Service", "frontend")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(port, port)]
    runtime = final(frontend_stages())
    assert str(port) in runtime.one("EXPOSE").args.split()
    security = pod["securityContext"]
    assert runtime.one("USER").args == f"{security['runAsUser']}:{security['runAsGroup']}"
    assert runtime.one("USER").args == "101:101"  # the nginx user of the official image
    # Port 80 as non-root without capabilities: the pod lowers the unprivileged port start.
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"} in security["sysctls"]
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_frontend_writes_only_to_the_pods_writable_mounts() -> None:
    main = container(pod_spec("frontend.yaml", "frontend"), "frontend")
    mounts = {m["mountPath"] for m in main["volumeMounts"]}
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    runtime = final(frontend_stages())
    setup = " ".join(i.args for i in runtime.all("RUN"))
    pid = re.search(r"s\|\^pid \.\*\|pid (\S+);\|", setup)
    assert pid, "the main nginx.conf's pid line is rewritten"
    writable = [
        Path(pid.group(1)).parent.as_posix(),  # the pid file
        "/etc/nginx/conf.d",  # the entrypoint's rendered templates
        *re.findall(
            r"_temp_path (/var/cache/nginx)/", (REPO / "frontend" / "nginx.conf").read_text()
        ),
    ]
    assert len(writable) > 2, "nginx.conf keeps its temp paths under /var/cache/nginx"
    for path in writable:
        assert path in mounts, f"{path} is written at run time but not a writable mount"
    assert "/etc/nginx/conf.d/default.conf" in setup, "the stock server block is removed"
    assert "/^user /d" in setup, "no `user` directive for a non-root master"


def test_frontend_serves_the_build_from_the_root_the_template_names() -> None:
    runtime = final(frontend_stages())
    [dist] = [c for c in runtime.copies() if c.from_stage == "build"]
    root = re.search(r"^\s*root (\S+);", (REPO / "frontend" / "nginx.conf").read_text(), re.M)
    assert root
    assert dist.dest.rstrip("/") == root.group(1)
    assert dist.sources == [f"{stage(frontend_stages(), 'build').workdir}/dist/"]


# ---- build context ----


CONTEXT_PROBES = [
    ".git/config",
    ".venv/bin/python",
    "var/cluster/sealed-secrets-cert.pem",
    "var/household-task-manager.db",
    "frontend/node_modules/vite/package.json",
    "frontend/dist/index.html",
    "app/__pycache__/main.cpython-311.pyc",
    "inventory/group_vars/all.yml",
    "cdk8s/environments/production.sealed.yaml",
    "tests/conftest.py",
    ".env",
    "frontend/.env.local",
]


@pytest.mark.parametrize("component", ["backend", "frontend"])
def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_secret(
    component: str,
) -> None:
    dockerfile = COMPONENT_DOCKERFILES[component]
    stages = backend_stages() if component == "backend" else frontend_stages()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    sent = {path for path in tracked if in_context(dockerfile, path)}
    for s in stages:
        for copy in s.copies():
            if copy.from_stage is not None:
                continue
            for source in copy.sources:
                prefix = source.rstrip("/")
                assert any(p == prefix or p.startswith(prefix + "/") for p in sent), source
    top_levels = {p.split("/")[0] for p in sent}
    expected = {"backend": {"pyproject.toml", "uv.lock", "alembic.ini", "app"}}
    assert top_levels == expected.get(component, {"frontend"})
    for probe in CONTEXT_PROBES:
        assert not in_context(dockerfile, probe), f"{probe} would be sent to the builder"


# ---- workflows ----


def all_uses() -> list[tuple[str, str]]:
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            if match := re.match(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", line):
                found.append((match.group(1), match.group(2)))
    return found


def test_every_action_is_pinned_to_a_commit_with_its_version_noted() -> None:
    uses = all_uses()
    assert len(uses) >= 6
    for ref, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), f"{ref}: version comment"
    # One version per action across the workflows.
    versions: dict[str, set[str]] = {}
    for ref, _ in uses:
        action, sha = ref.split("@")
        versions.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in versions.values()), versions


@pytest.mark.parametrize("name", ["ci.yml", "images.yml"])
def test_permissions_are_granted_per_job_only(name: str) -> None:
    flow = workflow(name)
    assert flow["permissions"] == {}
    for job_name, job in flow["jobs"].items():
        assert "permissions" in job, f"{name}: job {job_name} states its permissions"
        for scope, level in job["permissions"].items():
            assert (job_name, scope, level) in {
                ("lint-and-test", "contents", "read"),
                ("cluster", "contents", "read"),
                ("fresh-machine", "contents", "read"),
                ("build", "contents", "read"),
                ("build", "packages", "write"),
                ("deploy", "contents", "write"),
            }, f"{name}: {job_name} has {scope}: {level}"


def test_ci_runs_what_the_ci_script_runs() -> None:
    flow = workflow("ci.yml")
    assert set(flow["on"]) >= {"pull_request", "push"}
    assert set(flow["jobs"]) == {"lint-and-test", "cluster", "fresh-machine"}
    job = flow["jobs"]["lint-and-test"]
    assert step(job, "make test and make lint")["run"].strip() == "bash .ci/run"
    ci_script = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci_script
    assert "make lint" in ci_script
    # Debian bookworm as root, like the project's machines: make test can apt-get nginx/chromium.
    assert job["container"]["image"] == final(backend_stages()).image


def makefile_recipe(target: str) -> str:
    makefile = (REPO / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"{target} in the Makefile"
    return match.group(1)


def test_every_ci_job_runs_with_ci_true_so_a_skip_fails() -> None:
    for name, job in workflow("ci.yml")["jobs"].items():
        assert job["env"]["CI"] == "true", name


def test_the_cluster_tests_run_as_root_on_the_runner_vm_and_not_in_the_container() -> None:
    jobs = workflow("ci.yml")["jobs"]
    # The container cannot create network namespaces: the cluster tests are deselected there.
    assert shlex.split(jobs["lint-and-test"]["env"]["PYTEST_ADDOPTS"]) == ["-m", "not cluster"]
    cluster = jobs["cluster"]
    assert cluster["runs-on"] == "ubuntu-24.04"
    assert "container" not in cluster
    assert "PYTEST_ADDOPTS" not in cluster.get("env", {})
    names = [s.get("name", "") for s in cluster["steps"]]
    install = step(cluster, "Install debootstrap")
    update, install_line = install["run"].replace("\\\n", " ").splitlines()
    assert update.split() == ["sudo", "apt-get", "update", "-qq"]
    words = install_line.split()
    assert words[:4] == ["sudo", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install"]
    packages = {w for w in words[4:] if not w.startswith(("-", ">"))}
    # What make cluster-test-deps would apt-get, Debian's keyring for debootstrap on Ubuntu, and
    # what the Makefile needs to bootstrap uv and the venv with Ubuntu's python3.
    command = shlex.split(makefile_recipe("cluster-test-deps").replace("\\\n", " ").strip("\t\n @"))
    assert command[:3] == ["scripts/ensure-debian-packages", "--optional", command[2]]
    deps = set(command[3:])
    assert deps == {"debootstrap", "systemd-container", "openssh-client", "iproute2"}
    assert packages == deps | {"debian-archive-keyring", "make", "python3-venv"}
    # As root (network namespaces, mounts, nspawn), with CI=true kept through sudo.
    test = step(cluster, "make cluster-test")
    assert test["run"].strip() == "sudo --preserve-env=CI make cluster-test"
    assert names == ["Check out", install["name"], test["name"]]
    assert makefile_recipe("cluster-test").split() == ["$(BIN)/pytest", "-m", "cluster"]
    prerequisites = re.search(r"^cluster-test:(.*)$", (REPO / "Makefile").read_text(), re.M)
    assert prerequisites
    assert prerequisites.group(1).split() == ["venv", "cluster-test-deps"]


def run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A workflow step's `run:` as the runner runs it (bash -e)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )


def pushed_references(owner: str, tag: str) -> dict[str, set[str]]:
    """What images.yml pushes, per component, for a given owner and tag."""
    flow = workflow("images.yml")
    build = flow["jobs"]["build"]
    push = step(build, "Build and push")["with"]
    assert push["push"] is True
    assert push["context"] == "."
    assert set(push["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    refs: dict[str, set[str]] = {}
    for entry in build["strategy"]["matrix"]["include"]:
        component = entry["component"]
        assert REPO / entry["dockerfile"] == COMPONENT_DOCKERFILES[component]
        values = {
            "env.REGISTRY": flow["env"]["REGISTRY"],
            "env.IMAGE_PREFIX": flow["env"]["IMAGE_PREFIX"],
            "needs.meta.outputs.owner": owner,
            "needs.meta.outputs.tag": tag,
            "matrix.component": component,
        }

        def expand(match: re.Match[str], values: dict[str, str] = values) -> str:
            return values[match.group(1)]

        refs[component] = {
            re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", expand, line.strip())
            for line in push["tags"].splitlines()
            if line.strip()
        }
        assert push["file"] == "${{ matrix.dockerfile }}"
    return refs


# Under workflow_run, github.sha is the head of main when the image workflow starts; the commit
# the ci run tested is the event's head_sha.
TESTED_SHA = "${{ github.event.workflow_run.head_sha }}"


def meta_outputs(owner: str, sha: str, tmp_path: Path) -> dict[str, str]:
    meta = step(workflow("images.yml")["jobs"]["meta"], "Image owner and tag")
    output = tmp_path / "github_output"
    output.write_text("")
    assert meta["env"] == {
        "OWNER": "${{ github.repository_owner }}",
        "SHA": TESTED_SHA,
    }
    result = run_step(
        meta["run"], {"OWNER": owner, "SHA": sha, "GITHUB_OUTPUT": str(output)}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def test_the_workflow_tags_images_with_the_lowercased_owner_and_short_sha(tmp_path: Path) -> None:
    sha = "5bf665f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6"
    assert meta_outputs("Some-Family", sha, tmp_path) == {
        "owner": "some-family",
        "tag": "sha-5bf665f",
    }
    assert pushed_references("some-family", "sha-5bf665f") == {
        component: {
            f"ghcr.io/some-family/{IMAGE_PREFIX}-{component}:sha-5bf665f",
            f"ghcr.io/some-family/{IMAGE_PREFIX}-{component}:main",
        }
        for component in ("backend", "frontend")
    }


def test_the_oci_labels_come_from_the_build_args_the_workflow_sets() -> None:
    push = step(workflow("images.yml")["jobs"]["build"], "Build and push")["with"]
    build_args = dict(line.strip().split("=", 1) for line in push["build-args"].splitlines())
    assert build_args == {
        "SOURCE": "${{ github.server_url }}/${{ github.repository }}",
        "REVISION": TESTED_SHA,
        "VERSION": "${{ needs.meta.outputs.tag }}",
    }
    for stages in (backend_stages(), frontend_stages()):
        runtime = final(stages)
        assert set(build_args) <= set(runtime.args)
        labels = runtime.labels
        assert {k: labels[k] for k in OCI_LABELS} == OCI_LABELS


def test_gitops_runs_the_images_the_workflow_pushed_for_the_configured_tags() -> None:
    config = production_config()
    pushed = pushed_references(config["image_owner"], "TAG")
    owner = config["image_owner"]
    expected = {
        component: f"ghcr.io/{owner}/{IMAGE_PREFIX}-{component}:{config[f'{component}_tag']}"
        for component in ("backend", "frontend")
    }
    for component, image in expected.items():
        repository, tag = image.rsplit(":", 1)
        assert f"{repository}:TAG" in pushed[component]
        assert re.fullmatch(r"sha-[0-9a-f]{7}", tag)
    backend = pod_spec("backend.yaml", "backend")
    assert container(backend, "backend")["image"] == expected["backend"]
    assert container(backend, "run-migrations", init=True)["image"] == expected["backend"]
    frontend = pod_spec("frontend.yaml", "frontend")
    assert container(frontend, "frontend")["image"] == expected["frontend"]


def test_the_deploy_step_rewrites_only_owner_and_tags_into_a_valid_config(tmp_path: Path) -> None:
    deploy = workflow("images.yml")["jobs"]["deploy"]
    bump = step(deploy, "Set the image owner and tags")
    assert bump["env"] == {
        "OWNER": "${{ needs.meta.outputs.owner }}",
        "TAG": "${{ needs.meta.outputs.tag }}",
    }
    outputs = meta_outputs("Some-Family", "abcdef0123456789abcdef0123456789abcdef01", tmp_path)
    work = tmp_path / "checkout"
    (work / "cdk8s" / "environments").mkdir(parents=True)
    copy = work / "cdk8s" / "environments" / "production.yaml"
    original = PRODUCTION_CONFIG.read_text()
    copy.write_text(original)
    result = run_step(bump["run"], {"OWNER": outputs["owner"], "TAG": outputs["tag"]}, work)
    assert result.returncode == 0, result.stderr
    changed = [
        (before, after)
        for before, after in zip(original.splitlines(), copy.read_text().splitlines(), strict=True)
        if before != after or before.startswith(("image_owner:", "backend_tag:", "frontend_tag:"))
    ]
    assert [after for _, after in changed] == [
        "image_owner: some-family",
        "backend_tag: sha-abcdef0",
        "frontend_tag: sha-abcdef0",
    ]
    config = EnvironmentConfig.model_validate(yaml.safe_load(copy.read_text()))
    pushed = pushed_references(outputs["owner"], outputs["tag"])
    assert config.backend_image in pushed["backend"]
    assert config.frontend_image in pushed["frontend"]


def test_the_deploy_job_commits_config_and_gitops_without_starting_another_build() -> None:
    flow = workflow("images.yml")
    deploy = flow["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"meta", "build"}
    checkout = step(deploy, "Check out main")["with"]
    # The default GITHUB_TOKEN: its pushes never start workflows (a PAT here would loop).
    assert "token" not in checkout
    assert checkout["ref"] == "main"
    assert step(deploy, "make synth")["run"].strip() == "make synth"
    commit = step(deploy, "Commit and push")["run"]
    assert "git add cdk8s/environments/production.yaml gitops/" in commit
    assert "[skip ci]" in commit
    assert "git push origin HEAD:main" in commit
    names = [s.get("name", "") for s in deploy["steps"]]
    assert (
        names.index("Set the image owner and tags in the production environment")
        < names.index("make synth")
        < names.index("Commit and push gitops/")
    )


# ---- images.yml runs only for commits CI passed, and builds exactly those ----


def condition_holds(condition: str, context: dict[str, str]) -> bool:
    """A job's `if:` for the one form images.yml uses: `<context> == '<string>'` terms joined by
    &&, compared as GitHub compares strings (ignoring case). Anything else (status functions such
    as always(), ||, !=) is refused, so a gate cannot be loosened without this test noticing."""
    expression = condition.strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2].strip()
    holds = True
    for term in expression.split("&&"):
        match = re.fullmatch(r"\s*([\w.]+)\s*==\s*'([^']*)'\s*", term)
        assert match, f"unsupported condition term {term!r} in {condition!r}"
        holds = holds and context[match.group(1)].lower() == match.group(2).lower()
    return holds


def jobs_that_run(flow: dict[str, Any], context: dict[str, str]) -> set[str]:
    """The jobs GitHub runs for an event: a job's `if:` holds (default success()) and every job
    it needs ran and succeeded; a job whose need was skipped is skipped."""
    ran: dict[str, bool] = {}

    def runs(name: str) -> bool:
        if name not in ran:
            job = flow["jobs"][name]
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            condition = job.get("if")
            ran[name] = all(runs(n) for n in needs) and (
                condition is None or condition_holds(str(condition), context)
            )
        return ran[name]

    return {name for name in flow["jobs"] if runs(name)}


def workflow_run_event(conclusion: str, event: str) -> dict[str, str]:
    return {
        "github.event.workflow_run.conclusion": conclusion,
        "github.event.workflow_run.event": event,
        "github.event.workflow_run.head_branch": "main",
    }


def test_the_image_workflow_starts_when_ci_completes_on_main() -> None:
    flow = workflow("images.yml")
    assert flow["on"] == {
        "workflow_run": {
            "workflows": [workflow("ci.yml")["name"]],
            "types": ["completed"],
            "branches": ["main"],
        }
    }


@pytest.mark.parametrize(
    "conclusion",
    ["failure", "cancelled", "timed_out", "skipped", "neutral", "action_required", "stale"],
)
@pytest.mark.parametrize("event", ["push", "pull_request", "workflow_dispatch"])
def test_no_image_job_runs_for_a_commit_whose_ci_did_not_pass(conclusion: str, event: str) -> None:
    flow = workflow("images.yml")
    assert jobs_that_run(flow, workflow_run_event(conclusion, event)) == set()


def test_every_image_job_runs_once_ci_passed_for_a_push_to_main() -> None:
    flow = workflow("images.yml")
    assert jobs_that_run(flow, workflow_run_event("success", "push")) == {
        "meta",
        "build",
        "deploy",
    }
    # A pull request from a branch named main, or a manual run, passes CI but deploys nothing.
    for event in ("pull_request", "workflow_dispatch"):
        assert jobs_that_run(flow, workflow_run_event("success", event)) == set()


def expressions(node: Any) -> list[str]:
    """Every ${{ }} expression (and every job `if:`) anywhere in a workflow."""
    if isinstance(node, dict):
        found = [str(node["if"])] if "if" in node else []
        return found + [e for value in node.values() for e in expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in expressions(value)]
    if isinstance(node, str):
        return re.findall(r"\$\{\{(.*?)\}\}", node, re.S)
    return []


def test_the_images_are_built_from_the_commit_ci_tested() -> None:
    flow = workflow("images.yml")
    used = expressions(flow)
    assert used
    # github.sha/github.ref name the head of main when this run starts, not the tested commit.
    for expression in used:
        assert not re.search(r"\bgithub\.(sha|ref|head_ref)\b", expression), expression
    build = flow["jobs"]["build"]
    checkout = step(build, "Check out")
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["ref"] == TESTED_SHA
    names = [s.get("name", "") for s in build["steps"]]
    assert names.index(checkout["name"]) < names.index(step(build, "Build and push")["name"])
    # The build context is that checkout (a path context), not BuildKit's Git context.
    assert step(build, "Build and push")["with"]["context"] == "."
    assert step(flow["jobs"]["meta"], "Image owner and tag")["env"]["SHA"] == TESTED_SHA
    deploy = flow["jobs"]["deploy"]
    assert step(deploy, "Is this commit still the head of main")["env"] == {"SHA": TESTED_SHA}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_deploy_step_skips_a_tested_commit_that_main_has_moved_past(tmp_path: Path) -> None:
    head_check = step(workflow("images.yml")["jobs"]["deploy"], "Is this commit still the head")
    checkout = tmp_path / "main"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    git(checkout, *identity, "commit", "-q", "--allow-empty", "-m", "tested")
    tested = git(checkout, "rev-parse", "HEAD")
    outcomes = []
    for _ in range(2):
        output = tmp_path / "github_output"
        output.write_text("")
        result = run_step(
            head_check["run"], {"SHA": tested, "GITHUB_OUTPUT": str(output)}, checkout
        )
        assert result.returncode == 0, result.stderr
        outcomes.append(output.read_text())
        git(checkout, *identity, "commit", "-q", "--allow-empty", "-m", "newer")
    assert outcomes == ["current=true\n", "current=false\n"]
    later = [s for s in workflow("images.yml")["jobs"]["deploy"]["steps"] if "if" in s]
    assert {s["if"] for s in later} == {"steps.head.outputs.current == 'true'"}
    assert {s["name"] for s in later} >= {
        "Set the image owner and tags in the production environment",
        "make synth",
        "Commit and push gitops/",
    }


def readme_two_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text[text.index("\n## Two commands\n") :], re.S)
    assert block
    return [line.split("#", 1)[0].strip() for line in block[1].splitlines() if line.strip()]


def test_the_fresh_machine_job_runs_the_readmes_two_commands_with_its_prerequisites_only() -> None:
    job = workflow("ci.yml")["jobs"]["fresh-machine"]
    assert job["container"]["image"] == "debian:bookworm"
    assert job["env"]["CI"] == "true"
    install = step(job, "Install the README's prerequisites")["run"].replace("\\\n", " ")
    packages = {w for w in install.splitlines()[1].split()[4:] if not w.startswith(("-", ">"))}
    assert packages == {"python3", "make", "git", "ca-certificates", "curl"}
    make_run, make_test = readme_two_commands()
    serve = step(job, "make run serves")["run"].splitlines()
    assert serve[0].startswith(f"setsid {make_run} > ")
    assert step(job, "make test")["run"].strip() == make_test
