"""`make bench-profile`: where a worker's time goes on the household's paths, sampled by py-spy.

The setting is `make bench`'s (PostgreSQL 16, the 1x and 100x households, one uvicorn worker on
CPU 0 with the response cache off, wrk on CPU 1). For each path, py-spy samples the worker while
wrk drives it, and this prints the functions with the largest share of the samples, on their own
(self) and with what they call (total). The raw stacks go to var/bench/profile-<path>.txt; open
them with any flame graph tool that reads collapsed stacks.
"""

import subprocess
import threading
from collections import Counter
from pathlib import Path

from bench.run import OUT, PAYLOADS, SIZES, app_env, bench_paths, seed, serve, token, wrk
from tests.support.databases import REPO_ROOT, create_postgres_database, local_postgres, migrate

SECONDS = 6
TOP = 14


def sample(pid: int, name: str, drive: threading.Thread) -> Path:
    out = OUT / f"profile-{name}.txt"
    spy = [str(REPO_ROOT / ".venv/bin/py-spy"), "record", "--pid", str(pid), "--format", "raw"]
    # --gil: only the thread running Python; the idle threadpool would drown the rest.
    spy += ["--gil", "--duration", str(SECONDS), "--rate", "250", "--output", str(out)]
    recording = subprocess.Popen(spy, stdout=subprocess.DEVNULL)
    drive.start()
    recording.wait()
    drive.join()
    return out


def function(frame: str) -> str:
    """ "name (path/to/module.py:line)" as "name module.py": a function, whatever its line."""
    name, _, where = frame.partition(" (")
    return f"{name} {where.rpartition('/')[2].partition(':')[0]}"


def summary(stacks: Path) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames:
            continue
        calls = [function(frame) for frame in frames.split(";")]
        samples += int(count)
        own[calls[-1]] += int(count)
        for call in set(calls):
            total[call] += int(count)
    lines = [f"{samples} samples holding the GIL", "  self  total  function"]
    for call, count in own.most_common(TOP):
        lines.append(f"{count / samples:6.1%} {total[call] / samples:6.1%}  {call}")
    return "\n".join(lines)


def main() -> None:
    PAYLOADS.mkdir(parents=True, exist_ok=True)
    with local_postgres(prefix="htm-pg-profile-") as postgres:
        url = create_postgres_database(postgres.admin_url)
        migrate(url)
        ids = seed(url)
        with serve("app.main:app", {**app_env(url), "RESPONSE_CACHE_MIB": "0"}) as cold:
            cookie = {size: token(cold.base, f"bench{size}-1@example.jp") for size in SIZES}
            for name, (size, method, paths) in bench_paths(cold.base, ids, cookie).items():
                drive = threading.Thread(
                    target=wrk,
                    args=(cold.base, paths, cookie[size], method),
                    kwargs={"seconds": SECONDS},
                )
                stacks = sample(cold.process.pid, name, drive)
                print(f"\n== {name} ({method} {paths[0]})\n{summary(stacks)}")


if __name__ == "__main__":
    main()
