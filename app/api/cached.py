"""Household reads answered from the response cache (app.core.cache) when nothing changed."""

from collections.abc import Awaitable, Callable, Hashable
from functools import cache
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter

from app.core.cache import ResponseCache
from app.core.metrics import CACHE_LOOKUPS, CACHE_MISSES
from app.core.reads import Reads
from app.services.access import Member
from app.services.chores import today


@cache
def _serializer(read_model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(read_model)


def read_model_json(read_model: Any, value: Any, status_code: int = 200) -> Response:
    """`value`, of the read model `read_model`, written out as household_json writes them."""
    body = _serializer(read_model).dump_json(value)
    return Response(body, status_code=status_code, media_type="application/json")


async def household_json(
    request: Request,
    member: Member,
    key: tuple[Hashable, ...],
    read_model: Any,
    build: Callable[[Reads], Awaitable[Any]],
) -> Response:
    """The JSON of `await build(reads)`, a service's read model (`read_model`,
    app.domain.views), built once per household revision. A build reads through the app's
    `Reads` (app.core.reads), as the authorization check does: on PostgreSQL on the event loop,
    statements compiled once and prepared, each outside any transaction. A build of several
    statements may see a change between them; that change has a new revision, so what it built
    is asked for only by the requests that raced the change.

    The read models carry the field names of the route's `response_model`, so they are written
    out as they are, in one pass of pydantic-core, with no validation into the API schema first:
    that step cost more than the query on a large household. tests/app/test_read_models.py
    proves every body equal to its schema's own rendering.

    `key` names the read and every parameter it depends on. Household-local "today" is always
    part of the key: due lists, default ranges and days overdue turn over at midnight.
    """
    household = member.household
    full_key = (household.id, household.revision, today(household), *key)
    responses: ResponseCache = request.app.state.response_cache
    serializer = _serializer(read_model)

    async def build_json() -> bytes:
        CACHE_MISSES.inc()
        return serializer.dump_json(await build(request.app.state.reads))

    CACHE_LOOKUPS.inc()
    return Response(await responses.fetch(full_key, build_json), media_type="application/json")
