"""The committed TypeScript client matches the backend's OpenAPI schema (contract 1)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
API = REPO / "frontend" / "src" / "api"
GENERATOR = REPO / "frontend" / "node_modules" / ".bin" / "openapi-typescript"


def test_committed_api_client_matches_the_backend_schema(tmp_path: Path) -> None:
    assert GENERATOR.exists(), "frontend/node_modules is missing: run `make frontend`"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "frontend" / "scripts" / "dump_openapi.py"),
            str(tmp_path / "openapi.json"),
        ],
        check=True,
        cwd=REPO,
    )
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            str(GENERATOR),
            str(tmp_path / "openapi.json"),
            "-o",
            str(tmp_path / "schema.d.ts"),
            "--silent",
        ],
        check=True,
        cwd=REPO / "frontend",
        env=env,
        capture_output=True,
    )
    for name in ("openapi.json", "schema.d.ts"):
        fresh = (tmp_path / name).read_text()
        committed = (API / name).read_text()
        assert fresh == committed, f"frontend/src/api/{name} is stale: run make api-client"
