"""Generating fractional index keys: the same keys as @tldraw/utils, and jitter that stays in
its slot."""

from __future__ import annotations

import random
from typing import Any

import pytest
from node_peer import NodePeer

from tlsync_core.store.index_keys import (
    get_index_above,
    get_index_below,
    get_index_between,
    get_indices,
    get_indices_between,
    is_valid_index_key,
)


def _random_bounds(rng: random.Random) -> tuple[str | None, str | None]:
    """Two keys (or None) in order, reached by a random walk of deterministic generation."""
    keys = get_indices_between(None, None, rng.randrange(1, 6), jitter=False)
    for _ in range(rng.randrange(12)):
        i = rng.randrange(len(keys) + 1)
        below = keys[i - 1] if i > 0 else None
        above = keys[i] if i < len(keys) else None
        keys.insert(i, get_index_between(below, above, jitter=False))
    i = rng.randrange(len(keys))
    below = None if rng.random() < 0.2 else keys[i]
    above = None if rng.random() < 0.2 or i + 1 >= len(keys) else keys[i + 1]
    return below, above


@pytest.mark.spec("IDX1")
def test_deterministic_keys_equal_tldraws(node_peer: NodePeer) -> None:
    """Without jitter, keys between random bounds (and at the ends, and after long runs of
    inserts) are exactly @tldraw/utils' keys; invalid or reversed bounds fail on both."""
    rng = random.Random(7)
    cases: list[list[Any]] = [[*_random_bounds(rng), rng.randrange(1, 8)] for _ in range(400)]
    cases += [[None, None, 3], ["a0", None, 70], [None, "a0", 70], ["Zz", "a0", 2]]
    cases += [["a1", "a0", 1], ["a0", "a0", 1], ["a10", None, 1], ["!", None, 1]]
    expected = node_peer.call("indicesBetween", cases=cases)
    for (below, above, n), theirs in zip(cases, expected, strict=True):
        try:
            ours: Any = get_indices_between(below, above, n, jitter=False)
        except ValueError:
            ours = "error"
        assert ours == ("error" if isinstance(theirs, dict) else theirs), (below, above, n)


@pytest.mark.spec("IDX2")
@pytest.mark.parametrize("seed", range(20))
def test_jittered_keys_are_valid_ordered_and_inside_the_bounds(seed: int) -> None:
    """Jittered keys are valid, strictly increasing, strictly between the bounds, and the
    same for the same random generator."""
    rng = random.Random(seed)
    below, above = _random_bounds(rng)
    n = rng.randrange(1, 10)
    keys = get_indices_between(below, above, n, jitter=random.Random(seed))
    assert keys == get_indices_between(below, above, n, jitter=random.Random(seed))
    assert len(keys) == n and all(is_valid_index_key(k) for k in keys)
    assert keys == sorted(set(keys))
    assert below is None or below < keys[0]
    assert above is None or keys[-1] < above


@pytest.mark.spec("IDX2")
def test_concurrent_inserts_at_the_same_place_rarely_collide() -> None:
    """Ten clients inserting between the same two keys get ten different keys."""
    keys = {get_index_between("a1", "a2") for _ in range(10)}
    assert len(keys) == 10


@pytest.mark.spec("IDX1")
def test_convenience_functions() -> None:
    """get_indices starts at its start key; above/below respect their bound; n=0 is empty and
    a negative n is an error."""
    assert get_indices(3, jitter=False) == ["a1", "a2", "a3", "a4"]
    assert get_index_above("a1") > "a1"
    assert get_index_below("a1") < "a1"
    assert get_index_above(jitter=False) == "a0"
    assert get_indices_between("a1", "a2", 0) == []
    with pytest.raises(ValueError, match="n must be"):
        get_indices_between("a1", "a2", -1)
