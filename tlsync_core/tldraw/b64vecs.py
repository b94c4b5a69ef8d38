"""The base64 point encoding of draw and highlight shapes (``misc/b64Vecs.ts``).

Points are ``{"x", "y", "z"}`` dicts (``z`` is the pen pressure, 0.5 when absent). The current
format stores the first point as little-endian float32s (12 bytes, or 8 in 2D) and every later
point as float16 deltas from the previous one (6 bytes, or 4 in 2D); the legacy format stores
every point as three absolute float16s. The float16 conversion is tldraw's own fallback (the one
node 20 runs), which rounds halves up rather than to even; base64 decoding is its lenient
fallback too (unknown characters count as ``A``). Truncated data raises ``ValueError``, where
JavaScript's ``DataView`` throws a ``RangeError``.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Final

__all__ = ["DIM_2D", "DIM_3D", "B64Vecs", "float16_bits_to_number", "number_to_float16_bits"]

DIM_2D: Final = 2
DIM_3D: Final = 3

_DEFAULT_PRESSURE: Final = 0.5
_FIRST_POINT_B64_LENGTH: Final = 16
_FIRST_POINT_2D_B64_LENGTH: Final = 12
_BASE64_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_LOOKUP: Final = {char: i for i, char in enumerate(_BASE64_CHARS)}

Point = dict[str, Any]


def float16_bits_to_number(bits: int) -> float:
    """The number a float16 bit pattern stands for."""
    sign = bits >> 15
    exp = (bits >> 10) & 0x1F
    frac = bits & 0x3FF
    if exp == 0:
        magnitude = frac * (2.0**-14 / 1024)
    elif exp == 31:
        return math.nan if frac else (-math.inf if sign else math.inf)
    else:
        magnitude = 2.0 ** (exp - 15) * (1 + frac / 1024)
    return -magnitude if sign else magnitude


def _js_round(value: float) -> int:
    """JavaScript's ``Math.round`` for the finite, non-negative values used here."""
    return math.floor(value + 0.5)


def number_to_float16_bits(value: float) -> int:
    """The float16 bit pattern of ``value`` as tldraw's fallback computes it."""
    if value == 0:
        return 0x8000 if math.copysign(1.0, value) < 0 else 0
    if not math.isfinite(value):
        if math.isnan(value):
            return 0x7E00
        return 0x7C00 if value > 0 else 0xFC00
    sign = 1 if value < 0 else 0
    value = abs(value)
    exp = math.floor(math.log2(value))
    exp_biased = exp + 15
    if exp_biased >= 31:
        return (sign << 15) | 0x7C00
    if exp_biased <= 0:
        return (sign << 15) | (_js_round(value * 2.0**14 * 1024) & 0x3FF)
    frac = _js_round((value / 2.0**exp - 1) * 1024)
    if frac >= 1024:
        frac = 0
        exp_biased += 1
        if exp_biased >= 31:
            return (sign << 15) | 0x7C00
    return (sign << 15) | (exp_biased << 10) | frac


def _bytes_to_base64(data: bytes) -> str:
    result = []
    for i in range(0, len(data), 3):
        chunk = data[i : i + 3]
        bitmap = int.from_bytes(chunk.ljust(3, b"\0"), "big")
        chars = [_BASE64_CHARS[(bitmap >> shift) & 0x3F] for shift in (18, 12, 6, 0)]
        result.append("".join(chars[: len(chunk) + 1]) + "=" * (3 - len(chunk)))
    return "".join(result)


def _base64_to_bytes(text: str) -> bytes:
    """tldraw's lenient fallback decoder (invalid characters decode as 0)."""
    padding = 0
    if text.endswith("="):
        padding = 2 if len(text) > 1 and text[-2] == "=" else 1
    num_bytes = (len(text) * 3) // 4 - padding
    if num_bytes < 0:
        raise ValueError("Invalid typed array length")
    full_groups = (len(text) - padding) // 4 * 4
    out = bytearray()
    for i in range(0, full_groups, 4):
        bitmap = 0
        for char in text[i : i + 4].ljust(4, "A"):
            bitmap = (bitmap << 6) | _B64_LOOKUP.get(char, 0)
        out += bitmap.to_bytes(3, "big")
    if padding:
        bitmap = 0
        for char in text[full_groups : full_groups + 4 - padding].ljust(4 - padding, "A"):
            bitmap = (bitmap << 6) | _B64_LOOKUP.get(char, 0)
        bitmap <<= 6 * padding
        out += bitmap.to_bytes(3, "big")[: 3 - padding]
    return bytes(out[:num_bytes]).ljust(num_bytes, b"\0")


def _float32(value: float) -> bytes:
    try:
        return struct.pack("<f", value)
    except OverflowError:
        return struct.pack("<f", math.copysign(math.inf, value))


def _float16(value: float) -> bytes:
    return number_to_float16_bits(value).to_bytes(2, "little")


class _Reader:
    """Little-endian reads that fail like ``DataView`` past the end."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def float32(self, offset: int) -> float:
        if offset + 4 > len(self.data):
            raise ValueError("Offset is outside the bounds of the DataView")
        return float(struct.unpack_from("<f", self.data, offset)[0])

    def float16(self, offset: int) -> float:
        if offset + 2 > len(self.data):
            raise ValueError("Offset is outside the bounds of the DataView")
        return float16_bits_to_number(int.from_bytes(self.data[offset : offset + 2], "little"))


def _first_point(reader: _Reader, two_d: bool) -> tuple[float, float, float]:
    """The absolute first point of the delta encoding."""
    z = _DEFAULT_PRESSURE if two_d else reader.float32(8)
    return reader.float32(0), reader.float32(4), z


def _pressure(point: Point) -> Any:
    z = point.get("z")
    return _DEFAULT_PRESSURE if z is None else z


class B64Vecs:
    """tldraw's ``b64Vecs``: encode and decode point lists (``dim`` 2 or 3, default 3)."""

    @staticmethod
    def legacy_encode_point(x: float, y: float, z: float) -> str:
        return _bytes_to_base64(_float16(x) + _float16(y) + _float16(z))

    @staticmethod
    def legacy_encode_points(points: list[Point]) -> str:
        return _bytes_to_base64(
            b"".join(_float16(p["x"]) + _float16(p["y"]) + _float16(_pressure(p)) for p in points)
        )

    @staticmethod
    def legacy_decode_points(base64: str) -> list[Point]:
        reader = _Reader(_base64_to_bytes(base64))
        return [
            {"x": reader.float16(o), "y": reader.float16(o + 2), "z": reader.float16(o + 4)}
            for o in range(0, len(reader.data), 6)
        ]

    @staticmethod
    def encode_points(points: list[Point], dim: int | None = None) -> str:
        """The delta encoding of ``points``."""
        if not points:
            return ""
        two_d = dim == DIM_2D
        first = points[0]
        parts = [_float32(first["x"]), _float32(first["y"])]
        if not two_d:
            parts.append(_float32(_pressure(first)))
        prev_x, prev_y, prev_z = first["x"], first["y"], _pressure(first)
        for p in points[1:]:
            parts += [_float16(p["x"] - prev_x), _float16(p["y"] - prev_y)]
            if not two_d:
                z = _pressure(p)
                parts.append(_float16(z - prev_z))
                prev_z = z
            prev_x, prev_y = p["x"], p["y"]
        return _bytes_to_base64(b"".join(parts))

    @staticmethod
    def decode_points(base64: str, dim: int | None = None) -> list[Point]:
        """The points of a delta encoding."""
        if not base64:
            return []
        return B64Vecs._decode(_base64_to_bytes(base64), dim, everything=True)

    @staticmethod
    def decode_first_point(b64_points: str, dim: int | None = None) -> Point | None:
        """The first point, or None when there is not enough data."""
        length = _FIRST_POINT_2D_B64_LENGTH if dim == DIM_2D else _FIRST_POINT_B64_LENGTH
        if len(b64_points) < length:
            return None
        reader = _Reader(_base64_to_bytes(b64_points[:length]))
        x, y, z = _first_point(reader, dim == DIM_2D)
        return {"x": x, "y": y, "z": z}

    @staticmethod
    def decode_last_point(b64_points: str, dim: int | None = None) -> Point | None:
        """The last point, or None when there is not enough data."""
        length = _FIRST_POINT_2D_B64_LENGTH if dim == DIM_2D else _FIRST_POINT_B64_LENGTH
        if len(b64_points) < length:
            return None
        return B64Vecs._decode(_base64_to_bytes(b64_points), dim, everything=False)[-1]

    @staticmethod
    def is_single_point(b64_points: str, dim: int | None = None) -> bool:
        limit = _FIRST_POINT_2D_B64_LENGTH if dim == DIM_2D else _FIRST_POINT_B64_LENGTH
        return len(b64_points) <= limit

    @staticmethod
    def _decode(data: bytes, dim: int | None, *, everything: bool) -> list[Point]:
        """The points (or, unless ``everything``, just the last one) of decoded bytes."""
        reader = _Reader(data)
        two_d = dim == DIM_2D
        x, y, z = _first_point(reader, two_d)
        first_bytes, step = (8, 4) if two_d else (12, 6)
        result = [{"x": x, "y": y, "z": z}]
        for offset in range(first_bytes, len(data), step):
            x += reader.float16(offset)
            y += reader.float16(offset + 2)
            if not two_d:
                z += reader.float16(offset + 4)
            point = {"x": x, "y": y, "z": z}
            if everything:
                result.append(point)
            else:
                result[0] = point
        return result
