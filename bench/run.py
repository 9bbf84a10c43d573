"""`make bench`: throughput and latency of the hot endpoints against a bare baseline.

Seeds PostgreSQL with a household shaped like the real one (3 members, 66 chores, 790
completions) and a large set (10 households of 10 members, 5,000 chores, 500,000 completions),
serves the app with one uvicorn worker pinned to CPU 0, drives it with wrk pinned to CPU 1 (where
PostgreSQL runs too), and prints each endpoint's requests/s as a ratio of a bare endpoint of the
same app stack returning a JSON document of the same size, with the response cache on (as
deployed) and off (every read built afresh). Writes var/bench/latest.json.
"""

import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import Passwords
from tests.support.databases import REPO_ROOT, create_postgres_database, local_postgres, migrate
from tests.support.people import CSRF_HEADERS, PASSWORD
from tests.support.seed import seed_household
from tests.support.servers import free_port, stop, wait_until_up

OUT = REPO_ROOT / "var" / "bench"
DURATION = int(os.environ.get("BENCH_SECONDS", "3"))
# Rounds of (endpoint, bare) back to back; the median ratio stands. On a shared VM the speed of
# the whole machine drifts by a third within a minute: only ratios taken side by side hold.
ROUNDS = 3
CONNECTIONS = 8
PACED_RATE = 50  # requests/s for the latency target
PACED_SECONDS = 8
TARGETS = {"due_real": 0.5, "due_large": 0.3}


@dataclass
class Result:
    scenario: str
    requests_per_s: float
    bare_requests_per_s: float
    ratio: float  # the median of the rounds
    round_ratios: list[float]
    uncached_ratio: float | None  # the same reads with the response cache off
    p50_ms: float  # under wrk's closed-loop load (queueing included)
    p99_ms: float
    paced_p99_ms: float | None  # at PACED_RATE requests/s, for the due lists
    paced_errors: int
    statements_per_request: float
    response_bytes: int


def seed(url: str) -> dict[str, int]:
    engine = create_engine(url)
    password_hash = Passwords(Settings()).hash(PASSWORD)
    with Session(engine) as db:
        started = time.monotonic()
        real = seed_household(db, password_hash=password_hash, label="real")
        large = [
            seed_household(
                db,
                password_hash=password_hash,
                label=f"large{i}",
                members=10,
                chores=500,
                completions=50_000,
                seed=100 + i,
            )
            for i in range(10)
        ]
        print(f"seeded 11 households in {time.monotonic() - started:.0f}s", flush=True)
    engine.dispose()
    return {"real": real.household_id, "large": large[0].household_id}


def token(base: str, email: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/login",
        json={"email": email, "password": PASSWORD},
        headers=CSRF_HEADERS,
    )
    response.raise_for_status()
    match = re.search(r"htm_session=([^;]+)", response.headers["set-cookie"])
    assert match
    return match.group(1)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    base: str, paths: list[str], cookie: str, method: str = "GET"
) -> tuple[float, int, float, float]:
    """Requests/s, total requests, p50 and p99 in ms: wrk on CPU 1 cycling through `paths`."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua_paths = ", ".join(json.dumps(p) for p in paths)
    script.write_text(
        f"""
paths = {{{lua_paths}}}
i = 0
wrk.method = "{method}"
wrk.headers["Cookie"] = "htm_session={cookie}"
wrk.headers["X-Requested-With"] = "XMLHttpRequest"
request = function()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
"""
    )
    output = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "--latency",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{DURATION}s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    return parse_wrk(output, paths[0])


def parse_wrk(output: str, path: str) -> tuple[float, int, float, float]:
    """Requests/s, total requests, p50 and p99 in ms, from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} failed requests on {path}:\n{output}")
    # Line starts only: "95.50%" in the thread stats also ends in "50%".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    return rps, total, p50, p99


async def paced(base: str, path: str, cookie: str) -> tuple[float, int]:
    """p99 latency in ms and the failed requests at a steady PACED_RATE requests/s (open loop)."""
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(
        base_url=base, cookies={"htm_session": cookie}, headers=CSRF_HEADERS, timeout=10
    ) as client:

        async def one() -> None:
            nonlocal errors
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200

        tasks = []
        for _ in range(PACED_RATE * PACED_SECONDS):
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(1 / PACED_RATE)
        await asyncio.gather(*tasks)
    latencies.sort()
    return latencies[int(len(latencies) * 0.99) - 1], errors


def statements(base: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith("db_statements_total "):
            return float(line.split()[1])
    raise RuntimeError("db_statements_total missing from /metrics")


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert match
    return int(match.group(1)) / 1024


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main() -> None:
    if not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("wrk and taskset are needed: apt-get install wrk (make bench does it as root)")
    payloads = OUT / "payloads"
    shutil.rmtree(payloads, ignore_errors=True)
    payloads.mkdir(parents=True)
    with local_postgres(prefix="htm-pg-bench-") as postgres:
        # CPU 0 is the app's alone: PostgreSQL (and every backend it forks) shares CPU 1 with wrk.
        postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
        os.sched_setaffinity(postmaster, {1})
        url = create_postgres_database(postgres.admin_url)
        migrate(url)
        ids = seed(url)
        # One key for both: a session cookie from either server is valid on the other.
        key = secrets.token_urlsafe(32)
        # The bare baseline has a process of its own: its memory is not the app's.
        with (
            serve(url, payloads, key) as cached,
            serve(url, payloads, key, cache_mib=0) as uncached,
            serve(url, payloads, key) as bare,
        ):
            results = run_scenarios(cached.base, uncached.base, bare.base, ids)
            rss = peak_rss_mib(cached.process.pid)
            print(f"peak RSS with the cache off: {peak_rss_mib(uncached.process.pid):.0f} MiB")
    report(results, rss)


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def serve(
    url: str, payloads: Path, secret_key: str, cache_mib: int | None = None
) -> Iterator[Server]:
    """The app as deployed (production settings), one uvicorn worker pinned to CPU 0."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret_key,
        "FRONTEND_DIST": str(OUT / "no-frontend"),
        "BENCH_PAYLOADS": str(payloads),
    }
    if cache_mib is not None:
        env["RESPONSE_CACHE_MIB"] = str(cache_mib)
    process = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            str(REPO_ROOT / ".venv/bin/uvicorn"),
            "bench.app:app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_up(f"{server.base}/health", process)
        yield server
    finally:
        stop(process)


def run_scenarios(
    base: str, uncached_base: str, bare_base: str, ids: dict[str, int]
) -> list[Result]:
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    month_ago = (today - timedelta(days=29)).isoformat()
    cookies = {
        "real": token(base, "real-1@example.jp"),
        "large": token(base, "large0-1@example.jp"),
    }
    scenarios: list[tuple[str, str, str, list[str]]] = []
    for size in ("real", "large"):
        api = f"/api/households/{ids[size]}"
        listed = httpx.get(f"{base}{api}/chores", cookies={"htm_session": cookies[size]})
        # One-off chores are finished by their first completion: only recurring ones cycle.
        chores = [c["id"] for c in listed.json() if c["recurrence"]["kind"] != "once"]
        scenarios += [
            (f"due_{size}", size, "GET", [f"{api}/due?window=month"]),
            (f"history_month_{size}", size, "GET", [f"{api}/completions?from={month_ago}"]),
            (f"stats_month_{size}", size, "GET", [f"{api}/stats?from={month_ago}"]),
            (f"complete_{size}", size, "POST", [f"{api}/chores/{c}/complete" for c in chores]),
        ]
    results = []
    for name, size, method, paths in scenarios:
        cookie = cookies[size]
        sample = httpx.request(
            method, f"{base}{paths[0]}", cookies={"htm_session": cookie}, headers=CSRF_HEADERS
        )
        sample.raise_for_status()
        (OUT / "payloads" / f"{name}.json").write_bytes(sample.content)
        before = statements(base)
        rounds = []  # (ratio, app run, bare requests/s)
        for _ in range(ROUNDS):
            run = wrk(base, paths, cookie, method)
            bare_rps = wrk(bare_base, [f"/bench/bare/{name}"], cookie)[0]
            rounds.append((run[0] / bare_rps, run, bare_rps))
        per_request = (statements(base) - before) / sum(run[1] for _, run, _ in rounds)
        ratio, (rps, _, p50, p99), bare_rps = sorted(rounds)[ROUNDS // 2]
        uncached_ratio = None
        if method == "GET":
            # Every read built afresh: what the first read after each change costs.
            uncached_rps = wrk(uncached_base, paths, cookie)[0]
            uncached_ratio = uncached_rps / wrk(bare_base, [f"/bench/bare/{name}"], cookie)[0]
        paced_p99, errors = (
            asyncio.run(paced(base, paths[0], cookie)) if name in TARGETS else (None, 0)
        )
        result = Result(
            name,
            rps,
            bare_rps,
            ratio,
            [round(r, 3) for r, _, _ in rounds],
            uncached_ratio,
            p50,
            p99,
            paced_p99,
            errors,
            per_request,
            len(sample.content),
        )
        spread = ", ".join(f"{r:.2f}" for r in result.round_ratios)
        print(f"  {name}: {rps:.0f} req/s, {ratio:.2f} of bare (rounds: {spread})", flush=True)
        results.append(result)
    return results


def report(results: list[Result], rss: float) -> None:
    header = (
        f"{'scenario':<22}{'req/s':>8}{'bare':>8}{'ratio':>7}{'uncached':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'SQL/req':>8}{'bytes':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.scenario:<22}{r.requests_per_s:>8.0f}{r.bare_requests_per_s:>8.0f}{r.ratio:>7.2f}"
            f"{'' if r.uncached_ratio is None else f'{r.uncached_ratio:.2f}':>9}"
            f"{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.statements_per_request:>8.1f}{r.response_bytes:>9}"
        )
    lines.append(f"backend peak RSS: {rss:.0f} MiB (target < 150)")
    by_name = {r.scenario: r for r in results}
    for name, target in TARGETS.items():
        verdict = "met" if by_name[name].ratio >= target else "MISSED"
        lines.append(f"target {name} >= {target} of bare: {by_name[name].ratio:.2f} {verdict}")
    for name in TARGETS:
        p99 = by_name[name].paced_p99_ms or 0.0
        verdict = "met" if p99 < 50 else "MISSED"
        lines.append(
            f"target {name} p99 < 50 ms at {PACED_RATE} req/s: {p99:.1f} ms {verdict}"
            f" ({by_name[name].paced_errors} failed)"
        )
    print("\n".join(lines))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.json").write_text(
        json.dumps(
            {"machine": machine(), "peak_rss_mib": rss, "results": [asdict(r) for r in results]},
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {OUT / 'latest.json'}")


if __name__ == "__main__":
    main()
