import pytest

from app.domain.rotation import next_assignee, projected_assignees


@pytest.mark.parametrize(
    ("mode", "members", "current", "counts", "expected"),
    [
        ("none", [], None, None, None),
        ("fixed", [7], 7, None, 7),
        ("round_robin", [1, 2, 3], 1, None, 2),
        ("round_robin", [1, 2, 3], 3, None, 1),
        ("round_robin", [1, 2, 3], 9, None, 1),
        ("round_robin", [1, 2, 3], None, None, 1),
        ("least_done", [1, 2, 3], 1, {1: 5, 2: 3, 3: 1}, 3),
        ("least_done", [1, 2, 3], 1, {1: 2, 2: 2, 3: 2}, 2),
        ("least_done", [1, 2, 3], 2, {}, 3),
        ("least_done", [1, 2], 1, {1: 1}, 2),
    ],
    ids=lambda v: str(v),
)
def test_next_assignee(
    mode: str,
    members: list[int],
    current: int | None,
    counts: dict[int, int] | None,
    expected: int | None,
) -> None:
    assert next_assignee(mode, members, current, counts) == expected  # type: ignore[arg-type]


def test_projection_cycles_round_robin_and_leaves_least_done_open() -> None:
    assert projected_assignees("round_robin", [1, 2, 3], 2, 5) == [2, 3, 1, 2, 3]
    assert projected_assignees("fixed", [4], 4, 3) == [4, 4, 4]
    assert projected_assignees("least_done", [1, 2], 1, 3) == [1, None, None]
    assert projected_assignees("none", [], None, 2) == [None, None]
    assert projected_assignees("round_robin", [1, 2], 1, 0) == []
