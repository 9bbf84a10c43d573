"""The app exactly as deployed, plus the benchmark's baseline: a bare endpoint in the same stack
(same middleware, same serialization) returning a fixed JSON document, with no database."""

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from app.main import create_app

PAYLOADS = Path(os.environ.get("BENCH_PAYLOADS", "var/bench/payloads"))

app = create_app()


@cache
def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@app.get("/bench/bare/{name}", include_in_schema=False)
def bare(name: str) -> Any:
    return payload(name)
