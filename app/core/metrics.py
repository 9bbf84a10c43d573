"""Metrics for the dashboards beyond the request ones (app.core.middleware): the database pools,
the response cache and the completions recorded."""

import weakref
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.models import Completion

CACHE_LOOKUPS = Counter("response_cache_lookups_total", "Household reads asked of the cache")
# Hits are lookups less misses: a read waiting on another request's build counts as a hit.
CACHE_MISSES = Counter("response_cache_misses_total", "Household reads built because not cached")
COMPLETIONS = Counter("household_completions_total", "Completions recorded (committed)")

_PENDING_COMPLETIONS = "pending_completions"


@runtime_checkable
class CheckedOut(Protocol):
    def checkedout(self) -> int: ...


class PoolCollector(Collector):
    """Connections in use and the most a pool may open, read from the pools at scrape time.
    Weak references: the tests build many apps, and a disposed engine leaves the metrics."""

    def __init__(self) -> None:
        self._pools: dict[str, tuple[weakref.ref[Engine | CheckedOut], int]] = {}

    def track(self, name: str, pool: "Engine | CheckedOut", capacity: int) -> None:
        """`pool`: an engine (whose pool a dispose replaces), or a pool of its own."""
        self._pools[name] = (weakref.ref(pool), capacity)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "db_pool_connections_in_use", "Connections checked out of the pool", labels=["pool"]
        )
        limit = GaugeMetricFamily(
            "db_pool_connections_max", "Pool size plus overflow", labels=["pool"]
        )
        for name, (ref, capacity) in self._pools.items():
            tracked = ref()
            pool = tracked.pool if isinstance(tracked, Engine) else tracked
            # An in-memory SQLite database has a single connection and no queue to watch.
            if isinstance(pool, CheckedOut):
                in_use.add_metric([name], pool.checkedout())
                limit.add_metric([name], capacity)
        yield in_use
        yield limit


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def note_completions(session: Session, added: int) -> None:
    """Completions the session added other than as objects (a Core INSERT), to be counted
    when it commits."""
    if added:
        session.info[_PENDING_COMPLETIONS] = session.info.get(_PENDING_COMPLETIONS, 0) + added


def count_completions(factory: sessionmaker[Session]) -> None:
    """Counts completions when their transaction commits, whichever route records them (one
    completion, or a whole import), and never those of a rolled-back transaction."""

    @event.listens_for(factory, "after_flush")
    def _flushed(session: Session, _context: Any) -> None:
        note_completions(session, sum(isinstance(obj, Completion) for obj in session.new))

    @event.listens_for(factory, "after_commit")
    def _committed(session: Session) -> None:
        added = session.info.pop(_PENDING_COMPLETIONS, 0)
        if added:
            COMPLETIONS.inc(added)

    @event.listens_for(factory, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING_COMPLETIONS, None)
