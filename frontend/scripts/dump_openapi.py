"""Writes the backend's OpenAPI schema to a file, from the app object (no server, no database).

Usage: python frontend/scripts/dump_openapi.py <output.json>   (run from the repository root)
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.config import Settings
from app.main import create_app


def schema() -> dict[str, object]:
    settings = Settings.model_validate(
        {"database_url": "sqlite://", "environment": "test", "frontend_dist": Path("/nonexistent")}
    )
    return create_app(settings).openapi()


def main() -> None:
    target = Path(sys.argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
