"""In-process cache of household reads, as the JSON bodies sent.

A key is (household id, revision, the read and its parameters). Every change to a household's
data bumps its revision in the same transaction, so an entry is never served after the data it
was built from changed, on any pod. Entries of a household's other revisions are never asked for
again: they go when one of a new revision is kept, rather than taking the space of live ones
until they age out (a large household's due list is 3 MB). The size is bounded in bytes: a Pi
pod has 512 MiB.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

Key = tuple[Hashable, ...]


class ResponseCache:
    """Least recently used JSON bodies, at most `max_bytes` in total. Used from the event loop
    only, so it needs no lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._building: dict[Key, asyncio.Future[bytes]] = {}
        # Per household: the revision of its entries, and their keys.
        self._households: dict[Hashable, tuple[Hashable, set[Key]]] = {}

    def __len__(self) -> int:
        return len(self._bodies)

    def get(self, key: Key) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Key, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return  # one huge body would evict everything else
        self._drop(key)  # a replaced body counts once
        household, revision = key[0], key[1]
        kept = self._households.get(household)
        if kept is not None and kept[0] != revision:
            for old in list(kept[1]):
                self._drop(old)
            kept = None
        if kept is None:
            kept = self._households[household] = (revision, set())
        kept[1].add(key)
        self._bodies[key] = body
        self.size += len(body)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._bodies)))

    def _drop(self, key: Key) -> None:
        body = self._bodies.pop(key, None)
        if body is None:
            return
        self.size -= len(body)
        keys = self._households[key[0]][1]
        keys.discard(key)
        if not keys:
            del self._households[key[0]]

    async def fetch(self, key: Key, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body for `key`, built by `build` on a miss. Concurrent misses on one key share one
        build (single flight): after a change, a household's phones all ask for the same lists
        at once, and each build of a large one costs CPU and memory the Pi does not have.
        With the cache off (0 bytes) every request builds its own, as if first after a change."""
        body = self.get(key)
        if body is not None:
            return body
        if not self.max_bytes:
            return await build()
        building = self._building.get(key)
        if building is None:
            building = self._building[key] = asyncio.ensure_future(build())
            building.add_done_callback(lambda done: self._built(key, done))
        # A waiter that goes away (the client disconnected) leaves the build to the others.
        return await asyncio.shield(building)

    def _built(self, key: Key, done: asyncio.Future[bytes]) -> None:
        del self._building[key]
        if not done.cancelled() and done.exception() is None:
            self.put(key, done.result())
