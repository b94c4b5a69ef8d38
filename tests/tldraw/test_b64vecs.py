"""The b64 point encoding of draw and highlight shapes is tldraw's, bit for bit (TLS13)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from node_peer import NodePeer

from tlsync_core.tldraw.b64vecs import B64Vecs, number_to_float16_bits

# node's b64Vecs method -> ours
METHODS: dict[str, Callable[..., Any]] = {
    "encodePoints": B64Vecs.encode_points,
    "decodePoints": B64Vecs.decode_points,
    "decodeFirstPoint": B64Vecs.decode_first_point,
    "decodeLastPoint": B64Vecs.decode_last_point,
    "isSinglePoint": B64Vecs.is_single_point,
    "_legacyEncodePoints": B64Vecs.legacy_encode_points,
    "_legacyDecodePoints": B64Vecs.legacy_decode_points,
    "numberToFloat16Bits": number_to_float16_bits,
}

FLOAT16_EDGES = [0, -0.0, 1, -3.5, 0.1, 1 / 3, 65504, 65519, 65520, 1e10, 1e-8, 2**-24, 3e-5]
FLOAT16_EDGES += [1024.5, 2049, 2051, 0.000061, 1e-300, 4095.9, -(2**-14)]


def _points(rng: random.Random, count: int) -> list[dict[str, Any]]:
    scale = rng.choice([1, 100, 1e5])
    x, y = rng.uniform(-scale, scale), rng.randint(-1000, 1000)
    points = []
    for _ in range(count):
        point: dict[str, Any] = {"x": x, "y": y}
        if rng.random() < 0.7:
            point["z"] = rng.choice([0.5, rng.random()])
        points.append(point)
        x += rng.choice([0, 1, rng.uniform(-50, 50), rng.uniform(-1e-3, 1e-3)])
        y += rng.randint(-3, 3)
    return points


def _calls() -> list[list[Any]]:
    rng = random.Random(7)
    calls: list[list[Any]] = [["numberToFloat16Bits", v] for v in FLOAT16_EDGES]
    for n in range(60):
        points = _points(rng, n % 7)
        dim = [None, 2, 3][n % 3]
        calls += [["encodePoints", points, dim], ["_legacyEncodePoints", points]]
    calls += [["decodePoints", "AAAA"], ["decodeFirstPoint", "AAAA"], ["isSinglePoint", "abc", 2]]
    calls += [["decodePoints", "AAAAAAAAAAAAAAAAAB=="], ["_legacyDecodePoints", "A*B_C-D"]]
    return calls


def _as_json(value: Any) -> Any:
    """``value`` as it crosses JSON from node (non-finite numbers become null), with numbers as
    floats (node writes large integral doubles as integers, rounded)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


def _ours(name: str, *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", _as_json(METHODS[name](*(a for a in args if a is not None))))
    except Exception:
        return ("error", None)


def _theirs(answer: dict[str, Any]) -> tuple[str, Any]:
    return ("ok", _as_json(answer["ok"])) if "ok" in answer else ("error", None)


@pytest.mark.spec("TLS13")
def test_b64vecs_matches_tldraw(node_peer: NodePeer) -> None:
    """Encoding random strokes (2D, 3D, legacy) gives tldraw's strings; decoding tldraw's
    strings gives its points (first, last, all); float16 rounding, overflow and subnormals
    follow tldraw's fallback; malformed input fails in both."""
    calls = _calls()
    answers = node_peer.call("tldrawB64Vecs", calls=calls)
    encoded = [
        (call, answer["ok"]) for call, answer in zip(calls, answers, strict=True) if "ok" in answer
    ]
    for (name, *args), text in encoded:
        if name in ("encodePoints", "_legacyEncodePoints") and text:
            dim = args[1] if name == "encodePoints" else None
            decoder = "decodePoints" if name == "encodePoints" else "_legacyDecodePoints"
            calls += [[decoder, text, dim], ["decodeFirstPoint", text, dim]]
            calls += [["decodeLastPoint", text, dim], ["isSinglePoint", text, dim]]
    answers = node_peer.call("tldrawB64Vecs", calls=calls)
    assert len(calls) > 400
    for call, answer in zip(calls, answers, strict=True):
        assert _ours(*call) == _theirs(answer), call
