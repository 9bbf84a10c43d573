"""Services speak the domain: they raise domain errors, and one map at the edge gives each its
HTTP status. Every code an error body can carry is in the OpenAPI schema, for the frontend."""

import ast
import importlib
import inspect
from pathlib import Path
from typing import get_args, get_type_hints

from fastapi import FastAPI

from app.core.errors import status_of
from app.domain import errors
from app.schemas.common import Model

SERVICES = Path(__file__).resolve().parents[2] / "app" / "services"
HTTP_MODULES = ("fastapi", "starlette", "app.core.errors", "app.api")


def domain_errors() -> list[type[errors.DomainError]]:
    found, todo = [], [errors.DomainError]
    while todo:
        kind = todo.pop()
        found += kind.__subclasses__()
        todo += kind.__subclasses__()
    return found


def test_every_domain_error_has_one_http_status() -> None:
    kinds = domain_errors()
    assert len(kinds) == 10
    statuses = {kind.__name__: status_of(kind.__new__(kind)) for kind in kinds}
    assert statuses == {
        "RefusedError": 400,
        "UnauthenticatedError": 401,
        "ForbiddenError": 403,
        "NotFoundError": 404,
        "ConflictError": 409,
        "GoneError": 410,
        "TooLargeError": 413,
        "InvalidError": 422,
        "ThrottledError": 429,
        "UpstreamError": 502,
    }


def test_services_do_not_speak_http() -> None:
    imports = {}
    for path in sorted(SERVICES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imports.setdefault(path.name, []).append(node.module)
            elif isinstance(node, ast.Import):
                imports.setdefault(path.name, []).extend(alias.name for alias in node.names)
    speaking = {
        name: [m for m in modules if m.startswith(HTTP_MODULES)]
        for name, modules in imports.items()
    }
    assert {name: modules for name, modules in speaking.items() if modules} == {}


def test_the_schema_lists_every_error_code(app: FastAPI) -> None:
    schema = app.openapi()["components"]["schemas"]
    assert schema["ErrorBody"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert schema["ErrorCode"]["enum"] == [code.value for code in errors.ErrorCode]
    assert {"busy", "http_error", "csrf_rejected"} <= set(schema["ErrorCode"]["enum"])


def _schemas_in(hint: object) -> set[str]:
    if isinstance(hint, type) and issubclass(hint, Model):
        return {hint.__name__}
    return {name for arg in get_args(hint) for name in _schemas_in(arg)}


def test_services_answer_with_domain_values_not_api_schemas() -> None:
    """The edge maps read models to schemas (response_model, app.api.cached); a service that
    built the response itself would tie the rules to the wire format again."""
    answers = {}
    for path in sorted(SERVICES.glob("*.py")):
        module = importlib.import_module(f"app.services.{path.stem}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__:
                returned = get_type_hints(function).get("return")
                answers[f"{path.stem}.{name}"] = _schemas_in(returned)
    assert len(answers) > 80
    assert {name: schemas for name, schemas in answers.items() if schemas} == {}
