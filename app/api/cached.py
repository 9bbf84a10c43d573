"""Household reads answered from the response cache (app.core.cache) when nothing changed."""

from collections.abc import Callable, Hashable
from functools import cache
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from app.core.cache import ResponseCache
from app.services.access import Member
from app.services.chores import today


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _json(adapter: TypeAdapter[Any], value: Any) -> bytes:
    return adapter.dump_json(adapter.validate_python(value, from_attributes=True))


async def household_json(
    request: Request,
    member: Member,
    key: tuple[Hashable, ...],
    kind: Any,
    build: Callable[[], Any],
) -> Response:
    """The JSON of `build()`, a service's read model mapped to the API schema `kind` by
    attribute name, built once per household revision.

    `key` names the read and every parameter it depends on. Household-local "today" is always
    part of the key: due lists, default ranges and days overdue turn over at midnight.
    """
    household = member.household
    full_key = (household.id, household.revision, today(household), *key)
    responses: ResponseCache = request.app.state.response_cache
    body = responses.get(full_key)
    if body is None:
        # The database work runs on the threadpool, like any sync route.
        body = await run_in_threadpool(lambda: _json(_adapter(kind), build()))
        responses.put(full_key, body)
    return Response(body, media_type="application/json")
