"""Chunked client → server frames (v8; SPEC.md CH1–CH5).

A v8 client sends a serialized message as it is when it is shorter than
:data:`MAX_SAFE_MESSAGE_SIZE` (262,144) **UTF-16 code units**, and otherwise as several text
frames ``"<n>_<slice>"``: the slices are cut from the end of the text, each frame at most the
limit long (prefix included, but at least one unit of text), and ``n`` counts down to ``0``, so
the first frame sent carries the start of the text and the highest number.

:func:`split_message` cuts exactly where ``chunk()`` of 5.4.2 cuts, measuring in UTF-16 units,
with one deliberate difference: where 5.4.2 would cut a surrogate pair in two (a character
beyond U+FFFF, such as an emoji, which the browser then sends as two U+FFFD), we end that chunk
one unit earlier, so the character stays whole in the chunk before (when the limit leaves room
for a single unit only, the chunk takes the whole pair instead).

:class:`ChunkAssembler` is the receiving side, one per connection: it passes through a frame
that starts with ``{``, collects chunk frames, and returns the joined text once the last one
has arrived. It enforces 5.4.2's rules (the counter must count down by one; a ``{`` frame in the
middle of a sequence is an error and is dropped) plus limits of our own on the number of chunks
and the assembled size. Each error raises :class:`~tlsync_core.protocol.errors.ChunkError` and
resets the assembler. 5.4.2 answers such errors by closing the socket without a code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from tlsync_core.protocol.codec import DEFAULT_MAX_MESSAGE_SIZE
from tlsync_core.protocol.errors import ChunkError

__all__ = [
    "DEFAULT_MAX_CHUNKS",
    "MAX_SAFE_MESSAGE_SIZE",
    "ChunkAssembler",
    "split_message",
]

#: 1 MiB (Cloudflare's frame limit) / 4 (the most UTF-8 bytes per unit): the chunk threshold,
#: in UTF-16 code units.
MAX_SAFE_MESSAGE_SIZE: Final = 1024 * 1024 // 4
#: Default cap on the chunks of one message (4,096 full chunks would be 1 GiB of text).
DEFAULT_MAX_CHUNKS: Final = 4096

_CHUNK: Final = re.compile(r"([0-9]+)_(.*)", re.DOTALL)
_MAX_COUNTER_DIGITS: Final = 9
_BOM: Final = b"\xef\xbb\xbf"


def split_message(text: str, max_chunk: int = MAX_SAFE_MESSAGE_SIZE) -> list[str]:
    """The frames to send for the serialized message ``text``: ``[text]`` when it is shorter
    than ``max_chunk`` UTF-16 units, else the ``"<n>_<slice>"`` chunks (see the module)."""
    if max_chunk < 1:
        raise ValueError(f"max_chunk must be at least 1, got {max_chunk}")
    if text.isascii():
        if len(text) < max_chunk:
            return [text]
        return _split_units(len(text), max_chunk, text.__getitem__, None)
    units = text.encode("utf-16-le", "surrogatepass")
    total = len(units) // 2
    if total < max_chunk:
        return [text]

    def piece(span: slice) -> str:
        return units[2 * span.start : 2 * span.stop].decode("utf-16-le", "surrogatepass")

    def splits_pair(at: int) -> bool:
        high = units[2 * at - 1]  # the high byte of the unit before ``at`` (little endian)
        low = units[2 * at + 1]
        return 0xD8 <= high <= 0xDB and 0xDC <= low <= 0xDF

    return _split_units(total, max_chunk, piece, splits_pair)


def _split_units(
    total: int,
    max_chunk: int,
    piece: Callable[[slice], str],
    splits_pair: Callable[[int], bool] | None,
) -> list[str]:
    chunks: list[str] = []
    offset = total
    number = 0
    while offset > 0:
        prefix = f"{number}_"
        size = max(min(max_chunk - len(prefix), offset), 1)
        start = offset - size
        if splits_pair is not None and start > 0 and splits_pair(start):
            start = start + 1 if size > 1 else start - 1
        chunks.append(prefix + piece(slice(start, offset)))
        offset = start
        number += 1
    chunks.reverse()
    return chunks


class ChunkAssembler:
    """Reassembles one connection's frames into message texts (see the module docstring).

    ``handle_frame(frame)`` returns the text of a complete message, or ``None`` while a chunked
    message is incomplete; parse the text with
    :func:`~tlsync_core.protocol.codec.parse_client_message`.

    ``max_chunks`` caps the chunks of one message and ``max_size`` the UTF-8 bytes of one
    message (chunked or not), so a hostile sender cannot make us hold more than that.
    """

    __slots__ = ("_chunks", "_size", "_total", "max_chunks", "max_size")

    def __init__(
        self, *, max_chunks: int = DEFAULT_MAX_CHUNKS, max_size: int = DEFAULT_MAX_MESSAGE_SIZE
    ) -> None:
        self.max_chunks = max_chunks
        self.max_size = max_size
        self._chunks: list[str] = []
        self._total = 0
        self._size = 0

    @property
    def idle(self) -> bool:
        """Whether no chunked message is in progress."""
        return self._total == 0

    @property
    def pending(self) -> tuple[int, int]:
        """``(chunks received, chunks expected)`` of the message in progress (``(0, 0)`` idle)."""
        return len(self._chunks), self._total

    @property
    def buffered(self) -> int:
        """Bytes of the partial message held (0 idle)."""
        return self._size

    def reset(self) -> None:
        """Drop any partial message."""
        self._chunks = []
        self._total = 0
        self._size = 0

    def _fail(self, problem: str) -> ChunkError:
        self.reset()
        return ChunkError(problem)

    def handle_frame(self, frame: str | bytes | bytearray | memoryview) -> str | None:
        """Take one received frame (a text frame, or a binary one in UTF-8)."""
        if isinstance(frame, str):
            text = frame
            size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        elif isinstance(frame, bytes | bytearray | memoryview):
            data = bytes(frame)
            if data.startswith(_BOM):
                data = data[3:]
            size = len(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise self._fail(
                    f"binary frame is not UTF-8 ({bad.reason} at byte {bad.start})"
                ) from None
        else:
            raise self._fail(f"a frame is text (str) or binary (bytes), got {type(frame).__name__}")
        if text.startswith("{"):
            if self._total:
                received, total = len(self._chunks), self._total
                raise self._fail(
                    f"unexpected non-chunk message after chunk {received} of {total} "
                    "(the message is dropped)"
                )
            if size > self.max_size:
                raise self._fail(f"message too large: {size} bytes (limit {self.max_size})")
            return text
        match = _CHUNK.fullmatch(text)
        if match is None:
            raise self._fail(f"invalid chunk: expected '<n>_' or '{{', got {text[:20]!r}")
        digits, body = match.groups()
        if len(digits) > _MAX_COUNTER_DIGITS:
            raise self._fail(f"invalid chunk: counter {digits[:20]} is too large")
        remaining = int(digits)
        if not self._total:
            if remaining + 1 > self.max_chunks:
                raise self._fail(
                    f"chunked message of {remaining + 1} chunks (limit {self.max_chunks})"
                )
            self._total = remaining + 1
        else:
            expected = self._total - len(self._chunks) - 1
            if remaining != expected:
                raise self._fail(
                    f"chunks received in wrong order: expected chunk {expected}, got {remaining}"
                )
        self._size += size - len(digits) - 1
        if self._size > self.max_size:
            raise self._fail(f"chunked message too large: over {self.max_size} bytes")
        self._chunks.append(body)
        if len(self._chunks) < self._total:
            return None
        text = "".join(self._chunks)
        self.reset()
        return text
