"""Who is up next for a chore: pure functions, no I/O."""

from collections.abc import Mapping, Sequence
from typing import Literal

Assignment = Literal["none", "fixed", "round_robin", "least_done"]


def next_assignee(
    mode: Assignment,
    members: Sequence[int],
    current: int | None,
    done_counts: Mapping[int, int] | None = None,
) -> int | None:
    """The assignee after an occurrence was completed or skipped.

    `members` is the chore's member list in rotation order. Round robin moves to the member
    after `current`; least done picks the member with the fewest completions of the chore, ties
    broken by rotation order starting after `current`, so equal counts still rotate.
    """
    if mode == "none" or not members:
        return None
    if mode == "fixed":
        return members[0]
    start = members.index(current) + 1 if current in members else 0
    order = [members[(start + i) % len(members)] for i in range(len(members))]
    if mode == "round_robin":
        return order[0]
    counts = done_counts or {}
    return min(order, key=lambda member: counts.get(member, 0))


def projected_assignees(
    mode: Assignment, members: Sequence[int], current: int | None, count: int
) -> list[int | None]:
    """Assignees of the next `count` occurrences, as far as they are predictable.

    Least-done rotations depend on who actually does what, so only the current one is known.
    """
    if count <= 0:
        return []
    result: list[int | None] = [current]
    predictable = mode in ("fixed", "round_robin")
    for _ in range(count - 1):
        result.append(next_assignee(mode, members, result[-1]) if predictable else None)
    return result
