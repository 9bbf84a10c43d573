"""Household reads answered from the response cache (app.core.cache) when nothing changed."""

from collections.abc import Callable, Hashable
from functools import cache
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.core.cache import ResponseCache
from app.core.metrics import CACHE_LOOKUPS, CACHE_MISSES
from app.services.access import Member
from app.services.chores import today


@cache
def _serializer(read_model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(read_model)


async def household_json(
    request: Request,
    member: Member,
    key: tuple[Hashable, ...],
    read_model: Any,
    build: Callable[[Session], Any],
) -> Response:
    """The JSON of `build(db)`, a service's read model (`read_model`, app.domain.views), built
    once per household revision. The database session exists only for a build: a hit needs
    none (its setup and teardown were a tenth of a hit's time). A build reads only, on the
    autocommit engine: each statement sees the latest commit, and there is no transaction to
    open and close on the server. A build of several statements may see a change between them;
    that change has a new revision, so what it built is asked for only by the requests that
    raced the change.

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
        # The database work runs on the threadpool, like any sync route.
        return await run_in_threadpool(built)

    def built() -> bytes:
        with request.app.state.read_session_factory() as db:
            return serializer.dump_json(build(db))

    CACHE_LOOKUPS.inc()
    return Response(await responses.fetch(full_key, build_json), media_type="application/json")
