"""Chunked frames: split_message and ChunkAssembler (CH1–CH5).

The behaviours follow SPEC.md CH1–CH5 and the chunk tests of 5.4.2's ``chunk.test.ts``; the
differential test against the real ``chunk()`` and ``JsonChunkAssembler`` is in
``test_wire_differential.py``.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsync_core.protocol import (
    MAX_SAFE_MESSAGE_SIZE,
    ChunkAssembler,
    ChunkError,
    ProtocolError,
    parse_client_message,
    serialize_message,
    split_message,
)
from tlsync_core.store.jsvalue import utf16_length

EMOJI = "😀"


def assemble(frames: list[str], assembler: ChunkAssembler | None = None) -> list[str | None]:
    asm = ChunkAssembler() if assembler is None else assembler
    return [asm.handle_frame(frame) for frame in frames]


@pytest.mark.spec("CH1")
def test_threshold_is_a_quarter_mebibyte_of_utf16_units() -> None:
    """Text shorter than the limit goes as it is; at the limit it is chunked (strictly less);
    the length is counted in UTF-16 units, so an emoji counts twice."""
    assert MAX_SAFE_MESSAGE_SIZE == 262_144
    assert split_message("") == [""]
    assert split_message("x") == ["x"]
    assert split_message("x" * 9, 10) == ["x" * 9]
    assert split_message("x" * 10, 10) == ["1_xx", "0_xxxxxxxx"]
    assert split_message(EMOJI * 4, 9) == [EMOJI * 4]  # 8 units
    assert len(split_message(EMOJI * 5, 9)) == 2  # 10 units
    big = "x" * (MAX_SAFE_MESSAGE_SIZE - 1)
    assert split_message(big) == [big]
    assert len(split_message(big + "x")) == 2


@pytest.mark.spec("CH2")
@pytest.mark.parametrize(
    ("text", "size", "chunks"),
    [
        ('{"type":"ping"}', 8, ['2_{"t', '1_ype":"', '0_ping"}']),
        (
            "0123456789abcdefghijklmnopqrstuvwxyz",
            12,
            ["3_012345", "2_6789abcdef", "1_ghijklmnop", "0_qrstuvwxyz"],
        ),
        ("x" * 10, 10, ["1_xx", "0_xxxxxxxx"]),
        ("abc", 1, ["2_a", "1_b", "0_c"]),
        ("abc", 2, ["2_a", "1_b", "0_c"]),
        ("abcd", 3, ["3_a", "2_b", "1_c", "0_d"]),
    ],
)
def test_chunk_layout_examples(text: str, size: int, chunks: list[str]) -> None:
    """Worked examples of CH2's cuts, and tiny limits where every chunk holds one unit."""
    assert split_message(text, size) == chunks


@pytest.mark.spec("CH2")
@settings(max_examples=200)
@given(st.text(alphabet=string.printable, max_size=300), st.integers(1, 50))
def test_chunk_layout_properties(text: str, size: int) -> None:
    """Counters count down to 0, each chunk fits the limit unless it holds a single unit, and
    the bodies joined give the text back."""
    chunks = split_message(text, size)
    if len(text) < size:
        assert chunks == [text]
        return
    bodies = []
    for index, chunk in enumerate(chunks):
        prefix = f"{len(chunks) - 1 - index}_"
        assert chunk.startswith(prefix)
        body = chunk[len(prefix) :]
        assert body
        assert len(chunk) <= size or len(body) == 1
        bodies.append(body)
    assert "".join(bodies) == text
    assert all(len(c) == size or len(c[c.index("_") + 1 :]) == 1 for c in chunks[1:])


@pytest.mark.spec("CH3")
@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from(["a", "é", EMOJI, "𝄞", "中", "\u2028"]), max_size=80),
    st.integers(1, 20),
)
def test_surrogate_pairs_are_never_split(text: str, size: int) -> None:
    """Chunks of non-BMP text never hold half a character; each fits the limit (in UTF-16
    units) unless it is a single character; joined they give the text back."""
    chunks = split_message(text, size)
    if utf16_length(text) < size:
        assert chunks == [text]
        return
    bodies = []
    for index, chunk in enumerate(chunks):
        prefix = f"{len(chunks) - 1 - index}_"
        assert chunk.startswith(prefix)
        body = chunk[len(prefix) :]
        assert body and not any("\ud800" <= c <= "\udfff" for c in body)
        assert utf16_length(chunk) <= size or len(body) == 1
        bodies.append(body)
    assert "".join(bodies) == text


@pytest.mark.spec("CH3")
def test_a_pair_on_the_boundary_moves_to_the_earlier_chunk() -> None:
    """Where tldraw would cut an emoji in two, the later chunk ends one unit earlier; with room
    for one unit only, the chunk takes the whole pair."""
    # units: a b 😀(2) c d; size 5 -> tldraw: ["1_ab\ud83d", "0_\ude00cd"]
    assert split_message("ab😀cd", 5) == ["2_a", "1_b😀", "0_cd"]
    assert split_message("😀😀", 3) == ["1_😀", "0_😀"]
    text = "x" * 262_142 + EMOJI + "y"
    assert split_message(text) == ["1_" + "x" * 3, "0_" + "x" * 262_139 + EMOJI + "y"]


@pytest.mark.spec("CH4")
def test_assembler_passes_objects_and_joins_chunks() -> None:
    """A '{' frame comes back as it is; a chunk sequence comes back joined after its last
    chunk; a single 0_ chunk and empty bodies are fine; the assembler is reusable."""
    asm = ChunkAssembler()
    assert asm.idle and asm.pending == (0, 0)
    assert asm.handle_frame('{"type":"ping"}') == '{"type":"ping"}'
    assert asm.handle_frame("{not json") == "{not json"  # parsing is the caller's job
    text = serialize_message({"type": "push", "clientClock": 0, "diff": {}})
    for size in (5, 20, 200):
        frames = split_message(text, size)
        assert assemble(frames, asm) == [None] * (len(frames) - 1) + [text]
        assert asm.idle
    assert asm.handle_frame("0_" + text) == text
    assert assemble(["2_", "1_", "0_" + text]) == [None, None, text]
    assert assemble(["1_{}", "0_"]) == [None, "{}"]
    frames = split_message(serialize_message({"type": "ping", "s": "a\u2028b\u2029c\nd"}), 6)
    assert parse_client_message(assemble(frames)[-1] or "")["type"] == "ping"
    assert assemble(["1_x", "0_y"]) == [None, "xy"]
    asm.handle_frame("2_a")
    assert not asm.idle and asm.pending == (1, 3)
    asm.reset()
    assert asm.idle
    assert asm.handle_frame(b"\xef\xbb\xbf0_{}") == "{}"
    assert asm.handle_frame(bytearray(b"{}")) == "{}"
    assert asm.handle_frame("007_x") is None and asm.pending == (1, 8)


@pytest.mark.spec("CH4")
@pytest.mark.parametrize(
    ("frames", "problem"),
    [
        (["1_{", '{"type":"ping"}'], "unexpected non-chunk message after chunk 1 of 2"),
        (["hello"], "invalid chunk"),
        ([""], "invalid chunk"),
        ([" {}"], "invalid chunk"),
        (["_x"], "invalid chunk"),
        (["-1_x"], "invalid chunk"),
        (["1x"], "invalid chunk"),
        (["\u0661_x"], "invalid chunk"),  # ARABIC-INDIC DIGIT ONE is not [0-9]
        (["2_a", "0_b"], "wrong order: expected chunk 1, got 0"),
        (["2_a", "2_a"], "wrong order"),
        (["1_a", "1_a"], "wrong order"),
        (["2_a", "1_b", "1_c"], "wrong order"),
        (["2_a", "3_b"], "wrong order"),
    ],
)
def test_assembler_errors(frames: list[str], problem: str) -> None:
    """Malformed sequences raise ChunkError (a ProtocolError) and reset the assembler, which
    then takes a fresh message."""
    asm = ChunkAssembler()
    with pytest.raises(ChunkError, match=problem) as info:
        for frame in frames:
            asm.handle_frame(frame)
    assert isinstance(info.value, ProtocolError)
    assert asm.idle
    assert asm.handle_frame('{"type":"ping"}') == '{"type":"ping"}'


@pytest.mark.spec("CH5")
def test_assembler_limits() -> None:
    """Caps on the chunk count (checked on the first chunk), on the assembled size in UTF-8
    bytes and on the counter's digits; binary frames must be UTF-8."""
    with pytest.raises(ChunkError, match="10 chunks"):
        ChunkAssembler(max_chunks=9).handle_frame("9_x")
    assert ChunkAssembler(max_chunks=10).handle_frame("9_x") is None
    asm = ChunkAssembler(max_size=10)
    assert asm.handle_frame("1_" + "é" * 5) is None  # 10 bytes
    with pytest.raises(ChunkError, match="too large"):
        asm.handle_frame("0_x")
    with pytest.raises(ChunkError, match="too large"):
        ChunkAssembler(max_size=3).handle_frame("{1234}")
    with pytest.raises(ChunkError, match="too large"):
        ChunkAssembler().handle_frame("1" * 10 + "_x")
    assert ChunkAssembler(max_chunks=10**9).handle_frame("9" * 8 + "_x") is None
    with pytest.raises(ChunkError, match="not UTF-8"):
        ChunkAssembler().handle_frame(b"0_\xff")
    with pytest.raises(ChunkError, match="text"):
        ChunkAssembler().handle_frame(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        split_message("x", 0)


@pytest.mark.spec("CH2", "CH4")
@settings(max_examples=100)
@given(st.text(max_size=400), st.integers(3, 64))
def test_split_then_assemble_round_trips_messages(text: str, size: int) -> None:
    """Any message, split at any limit, assembles and parses back to itself."""
    message = {"type": "push", "clientClock": 1, "presence": ["patch", {"n": ["put", text]}]}
    frames = split_message(serialize_message(message), size)
    out = assemble(frames)
    assert out[:-1] == [None] * (len(frames) - 1)
    assert parse_client_message(out[-1] or "") == message
    assert json.loads(out[-1] or "") == message
