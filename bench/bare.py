"""The benchmark's baseline: the least a Python web app can do for the same response.

A plain FastAPI app in a process of its own: no middleware, no database, no serialization. It
answers with the app's own body for a scenario, read once from BENCH_PAYLOADS and kept as bytes.
"""

import os
from pathlib import Path

from fastapi import FastAPI, Response

PAYLOADS = Path(os.environ.get("BENCH_PAYLOADS", "var/bench/payloads"))
BODIES: dict[str, bytes] = {}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.api_route("/bare/{name}", methods=["GET", "POST"])
async def bare(name: str) -> Response:
    body = BODIES.get(name)
    if body is None:
        body = BODIES[name] = (PAYLOADS / f"{name}.json").read_bytes()
    return Response(body, media_type="application/json")


@app.get("/health")
async def health() -> Response:
    return Response(b"{}", media_type="application/json")
