"""The dashboards' queries against real series: Debian's Prometheus and Debian's VictoriaMetrics
(the cluster's store) scrape the backend (served by uvicorn on PostgreSQL 16), Debian's
postgres_exporter on that database and node_exporter on this machine, while a family uses the
app; then every query of the provisioned dashboards must return data from both. Their memory
after the run is the measurement behind choosing VictoriaMetrics (README: Observability). Both
run in the shape of VictoriaMetrics' pod: it sets GOMAXPROCS from its CPU limit and sizes its
caches from its memory limit, and its memory grows with GOMAXPROCS (one buffer per P), so on a
machine with many cores an unshaped run measures that machine, not a Pi's pod.

Queries over what this machine cannot have are listed with the reason: kube-state-metrics (no
Kubernetes here) and, when the machine has none, thermal zones and ext4/xfs/btrfs file systems.
"""

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, make_url, text

from tests.support import databases
from tests.support.servers import free_port, stop, uvicorn, wait_until_up

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "ansible" / "roles" / "platform" / "files" / "observability" / "dashboards"
PROMETHEUS = Path("/usr/bin/prometheus")
VICTORIA_METRICS = Path("/usr/bin/victoria-metrics")
POSTGRES_EXPORTER = Path("/usr/bin/prometheus-postgres-exporter")
NODE_EXPORTER = Path("/usr/bin/prometheus-node-exporter")
PLATFORM_DEFAULTS = REPO / "ansible" / "roles" / "platform" / "defaults" / "main.yml"
# The production database's name, which the PostgreSQL dashboard selects.
DATABASE = "household_task_manager"
CSRF = {"X-Requested-With": "XMLHttpRequest"}


def machine_lacks(query: str) -> str | None:
    """Why this machine cannot give the query data, if it cannot."""
    if "kube_" in query:
        return "kube-state-metrics needs a Kubernetes API"
    if "node_thermal_zone_temp" in query and not list(
        Path("/sys/class/thermal").glob("thermal_zone*")
    ):
        return "no thermal zone on this machine"
    if "node_filesystem" in query:
        mounts = Path("/proc/mounts").read_text().split("\n")
        if not any(line.split(" ")[2:3] in (["ext4"], ["xfs"], ["btrfs"]) for line in mounts):
            return "no ext4, xfs or btrfs file system on this machine"
    return None


@pytest.fixture(scope="module")
def database(postgres_admin_url: str) -> Iterator[str]:
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    url = make_url(postgres_admin_url).set(database=DATABASE).render_as_string(False)
    databases.migrate(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def pod_shape() -> tuple[dict[str, str], int]:
    """GOMAXPROCS and the memory VictoriaMetrics allows itself in its pod (lib/cgroup: the CPU
    quota rounded, 60 % of the memory limit)."""
    defaults = yaml.safe_load(PLATFORM_DEFAULTS.read_text())
    limits = defaults["platform_observability_resources"]["victoria_metrics"]["limits"]
    cpu, memory = limits["cpu"], limits["memory"]
    assert cpu.endswith("m"), limits
    assert memory.endswith("Mi"), limits
    gomaxprocs = max(1, int(int(cpu[:-1]) / 1000 + 0.5))
    return {"GOMAXPROCS": str(gomaxprocs)}, int(memory[:-2]) * 2**20 * 60 // 100


def start(argv: list[str], url: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(url, process)
    return process


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def rss_mib(process: subprocess.Popen[bytes]) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def stores(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The base URL of each store, and its resident memory after the run (MiB)."""
    for program in (PROMETHEUS, VICTORIA_METRICS, POSTGRES_EXPORTER, NODE_EXPORTER):
        if not program.exists():
            pytest.fail(f"{program} is missing: run `make test-deps`")
    tmp = tmp_path_factory.mktemp("prometheus")
    socket_dir = make_url(database).query["host"]
    exporter_port, node_port, prometheus_port = free_port(), free_port(), free_port()
    victoria_port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with uvicorn(database, extra_env={"LOG_LEVEL": "WARNING"}) as backend:
        try:
            processes.append(
                start(
                    [str(POSTGRES_EXPORTER), f"--web.listen-address=127.0.0.1:{exporter_port}"],
                    f"http://127.0.0.1:{exporter_port}/metrics",
                    {
                        "DATA_SOURCE_NAME": (
                            f"host={socket_dir} user=postgres dbname={DATABASE} sslmode=disable"
                        )
                    },
                )
            )
            processes.append(
                start(
                    [str(NODE_EXPORTER), f"--web.listen-address=127.0.0.1:{node_port}"],
                    f"http://127.0.0.1:{node_port}/metrics",
                )
            )
            jobs = {
                "household-backend": backend.removeprefix("http://"),
                "postgres": f"127.0.0.1:{exporter_port}",
                "node": f"127.0.0.1:{node_port}",
            }
            config = {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                "scrape_configs": [
                    {"job_name": job, "static_configs": [{"targets": [target]}]}
                    for job, target in jobs.items()
                ],
            }
            (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
            shape, allowed_bytes = pod_shape()
            bases = {
                "prometheus": f"http://127.0.0.1:{prometheus_port}",
                "victoria-metrics": f"http://127.0.0.1:{victoria_port}",
            }
            prometheus = start(
                [
                    str(PROMETHEUS),
                    f"--config.file={tmp / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp / 'prometheus'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                f"{bases['prometheus']}/-/ready",
                shape,
            )
            processes.append(prometheus)
            victoria = start(
                [
                    str(VICTORIA_METRICS),
                    f"-promscrape.config={tmp / 'prometheus.yml'}",
                    f"-storageDataPath={tmp / 'victoria-metrics'}",
                    f"-httpListenAddr=127.0.0.1:{victoria_port}",
                    # Answer with the newest samples (by default it hides the last 30 s).
                    "-search.latencyOffset=0s",
                    f"-memory.allowedBytes={allowed_bytes}",
                ],
                f"{bases['victoria-metrics']}/health",
                shape,
            )
            processes.append(victoria)
            use_the_app(backend, seconds=6)
            time.sleep(2)  # the last requests scraped
            yield {
                "bases": bases,
                "rss_mib": {
                    "prometheus": rss_mib(prometheus),
                    "victoria-metrics": rss_mib(victoria),
                },
            }
        finally:
            for process in reversed(processes):
                stop(process)


def use_the_app(base: str, seconds: float) -> None:
    """A family for a few seconds: sign-ups, chores, completions, reads, one stranger."""
    with httpx.Client(base_url=base, headers=CSRF) as admin:
        body = {"email": "prometheus@example.jp", "password": "long enough passphrase"}
        assert admin.post("/api/auth/register", json={**body, "display_name": "P"}).is_success
        household = admin.post("/api/households", json={"name": "Home"}).json()["id"]
        chores = f"/api/households/{household}/chores"
        recurrence = {"kind": "interval", "every": 1, "unit": "day", "anchor": "completion"}
        chore = admin.post(chores, json={"name": "Dishes", "recurrence": recurrence}).json()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert admin.post(f"{chores}/{chore['id']}/complete", json={}).status_code == 201
            assert admin.get(chores).status_code == 200
            assert admin.get(chores).status_code == 200
            assert httpx.get(f"{base}/api/auth/me").status_code == 401
            time.sleep(0.2)


def dashboard_queries() -> list[tuple[str, str, str]]:
    return [
        (path.stem, panel["title"], target["expr"])
        for path in sorted(DASHBOARDS.glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]


@pytest.mark.parametrize("store", ["prometheus", "victoria-metrics"])
def test_every_dashboard_query_returns_data(stores: dict[str, Any], store: str) -> None:
    base = stores["bases"][store]
    checked, lacking = [], []
    for dashboard, title, expr in dashboard_queries():
        if reason := machine_lacks(expr):
            lacking.append((dashboard, title, reason))
            continue
        assert query(base, expr), f"{store}: {dashboard} / {title}: no data for {expr}"
        checked.append((dashboard, title))
    assert len(checked) + len(lacking) == 21
    assert all(dashboard == "pis" for dashboard, _, _ in lacking)
    assert {d for d, _ in checked} == {"household-app", "postgresql", "pis"}
    assert len([d for d, _ in checked if d != "pis"]) == 16


def test_victoria_metrics_holds_the_same_series_in_less_memory(stores: dict[str, Any]) -> None:
    rss = stores["rss_mib"]
    print(f"resident memory after the run: {rss}")  # the README quotes it
    assert rss["victoria-metrics"] < rss["prometheus"]


def test_the_app_series_carry_what_the_family_did(stores: dict[str, Any]) -> None:
    prometheus = stores["bases"]["prometheus"]

    def value(promql: str) -> float:
        [sample] = query(prometheus, promql)
        return float(sample["value"][1])

    completions = value('max(household_completions_total{job="household-backend"})')
    assert completions >= 10
    routes = {
        sample["metric"]["route"]
        for sample in query(
            prometheus, 'sum by (route) (http_requests_total{job="household-backend"})'
        )
    }
    assert {
        "/api/households/{household_id}/chores",
        "/api/households/{household_id}/chores/{chore_id}/complete",
        "/api/auth/me",
    } <= routes
    statuses = query(
        prometheus, 'sum by (status) (http_requests_total{job="household-backend", status="401"})'
    )
    assert float(statuses[0]["value"][1]) >= 10
    # Each read after a completion is built once and then served from the cache once.
    misses = value('max(response_cache_misses_total{job="household-backend"})')
    lookups = value('max(response_cache_lookups_total{job="household-backend"})')
    assert lookups == 2 * completions
    assert misses == pytest.approx(completions, abs=1)
    assert value('pg_up{job="postgres"}') == 1
    assert value('max(db_pool_connections_max{job="household-backend", pool="main"})') == 10
