"""The seeded generator behind clouds' bumps is tldraw's ``rng``, number for number."""

from __future__ import annotations

import pytest
from node_peer import NodePeer

from tlsync_core.tldraw.helpers.geo_paths import seeded_random

SEEDS = ["", "shape:abc", "shape:ćłöüd", "shape:☁🎈", "\ud800 lone", "x" * 300]


@pytest.mark.spec("ED2")
def test_seeded_random_is_tldraws_rng(node_peer: NodePeer) -> None:
    """``seeded_random(seed)`` gives the numbers of tldraw's ``rng(seed)`` for ids of ASCII,
    of the BMP beyond it, outside the BMP (seeded by UTF-16 code units, as ``charCodeAt``
    reads them), with a lone surrogate, empty and long."""
    count = 40
    expected = node_peer.call("tldrawRng", seeds=SEEDS, count=count)
    for seed, numbers in zip(SEEDS, expected, strict=True):
        generate = seeded_random(seed)
        assert [generate() for _ in range(count)] == numbers, seed
