"""Differential tests of the codec and the chunking against node (tests/node/ops/chunk.mjs).

* serialize_message(m) must be byte for byte what ``JSON.stringify(JSON.parse(ours))`` gives
  in node, for messages of every kind and dialect and for values chosen to make Python's and
  JavaScript's JSON differ;
* our parse must read JSON text as ``JSON.parse`` does: ``serialize_message(parse(t))`` equals
  ``JSON.stringify(JSON.parse(t))``, and a text is refused exactly when node throws;
* split_message must cut exactly like 5.4.2's ``chunk()`` wherever that keeps characters whole,
  and ChunkAssembler must answer each frame like ``JsonChunkAssembler``.

Each hypothesis example sends a batch to node in one round trip.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_peer import NodePeer
from protocol_strategies import (
    client_messages,
    js_json_values,
    server_messages,
    tricky_floats,
    tricky_text,
)

from tlsync_core.protocol import (
    MAX_SAFE_MESSAGE_SIZE,
    ChunkAssembler,
    ProtocolError,
    loads_frame,
    serialize_message,
    split_message,
)
from tlsync_core.store.jsvalue import utf16_length


def examples(n: int) -> settings:
    """Hypothesis settings for a differential test of ``n`` batches (each a node round trip)."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


any_message = st.one_of(
    st.sampled_from([3, 8]).flatmap(client_messages),
    st.sampled_from([3, 8]).flatmap(server_messages),
)
odd_values = st.dictionaries(
    st.one_of(tricky_text, st.sampled_from(["0", "1", "2", "10", "4294967294", "4294967295"])),
    st.one_of(
        tricky_floats,
        st.integers(-(2**64), 2**64),
        tricky_text,
        js_json_values(10),
        st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3),
    ),
    max_size=8,
).map(lambda d: {"type": "custom", "data": d})


@pytest.mark.spec("PR6")
@examples(120)
@given(st.lists(st.one_of(any_message, odd_values), min_size=1, max_size=25))
def test_serialization_is_json_stringify(node_peer: NodePeer, messages: list[Any]) -> None:
    """serialize_message(m) == JSON.stringify(JSON.parse(serialize_message(m))) in node."""
    ours = [serialize_message(m) for m in messages]
    theirs = node_peer.call("stringifyMany", texts=ours)
    for text, answer in zip(ours, theirs, strict=True):
        assert answer == {"json": text}


JSON_EDGE_TEXTS = [
    '{"a":1.0,"b":-0,"c":-0.0,"d":1E5,"e":1e-7,"f":0.000001,"g":1e21,"h":123456789012345678901}',
    '{"a":9007199254740993,"b":18446744073709551615,"c":18446744073709551616,"d":-9223372036854775809}',
    '{"a":1e400,"b":-1e400,"c":4.9e-325,"d":' + "1" * 400 + "}",
    '{"s":"\\ud800","t":"\\udc00\\ud800","u":"\\ud83d\\ude00","v":"\\u2028\\u00e9\\/"}',
    '{"b":1,"a":2,"b":3,"2":4,"1":5}',
    ' \t\n\r{"type" : "pong" , "x" : [ 1 , 2 ] }\r\n ',
    '{"__proto__":{"a":1},"constructor":1}',
    '{"n":[0,-1,1.5,1.25e+2,1.25E-2,100e-2]}',
]
JSON_INVALID_TEXTS = [
    "",
    "{",
    '{"a":01}',
    '{"a":.5}',
    '{"a":1.}',
    '{"a":+1}',
    '{"a":NaN}',
    '{"a":Infinity}',
    "{'a':1}",
    '{"a":1,}',
    '{"a":"\x01"}',
    '{"a":"\\x41"}',
    '{"a":"\\u12"}',
    "\ufeff{}",
    '{"a":1}}',
    '{"a":tru}',
    "{\u00a0}",
]


@pytest.mark.spec("PR7")
def test_parsing_is_json_parse_on_edge_cases(node_peer: NodePeer) -> None:
    """For JSON's edge cases (numbers beyond a double, -0, exponents, lone surrogate escapes,
    duplicate keys, whitespace), our parse then serialize equals JSON.stringify(JSON.parse());
    texts that JSON.parse refuses are refused."""
    answers = node_peer.call("stringifyMany", texts=JSON_EDGE_TEXTS + JSON_INVALID_TEXTS)
    for text, answer in zip(JSON_EDGE_TEXTS + JSON_INVALID_TEXTS, answers, strict=True):
        if "error" in answer:
            with pytest.raises(ProtocolError):
                loads_frame(text)
        else:
            assert serialize_message(loads_frame(text)) == answer["json"], text
    assert all("error" in a for a in answers[len(JSON_EDGE_TEXTS) :])


NUMBER_TEXTS = ["0", "-0", "1.0", "1e5", "1E-7", "2.5e+30", "9007199254740993", "1e400", "null"]
STRING_PIECES = ["a", "é", "\\n", "\\u00e9", "\\ud800", "\\udc00", "😀", '\\"', "\\ud83d\\ude00"]
json_texts = st.recursive(
    st.one_of(
        st.sampled_from(NUMBER_TEXTS),
        st.lists(st.sampled_from(STRING_PIECES), max_size=6).map(lambda s: '"' + "".join(s) + '"'),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(
            st.tuples(st.sampled_from(['"a"', '"1"', '"0"', '"b"', '"10"', '"\\ud800"']), children),
            max_size=4,
        ).map(lambda items: "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"),
    ),
    max_leaves=10,
).map(lambda value: '{"type":"custom","data":' + value + "}")


@pytest.mark.spec("PR7")
@examples(300)
@given(st.lists(json_texts, min_size=1, max_size=25))
def test_parsing_is_json_parse(node_peer: NodePeer, texts: list[str]) -> None:
    """Generated JSON texts (duplicate and integer-like keys, lone surrogate escapes, numbers
    out of range) read the same: serialize_message(our parse) == JSON.stringify(JSON.parse)."""
    theirs = node_peer.call("stringifyMany", texts=texts)
    for text, answer in zip(texts, theirs, strict=True):
        assert serialize_message(loads_frame(text)) == answer["json"], text


def _check_chunks(text: str, size: int | None, theirs: list[str]) -> None:
    ours = split_message(text) if size is None else split_message(text, size)
    limit = MAX_SAFE_MESSAGE_SIZE if size is None else size
    if not any("\ud800" <= c <= "\udfff" for chunk in theirs for c in chunk):
        assert ours == theirs
        return
    # tldraw cut a character in two; we keep it whole and otherwise cut the same way
    assert "".join(c[c.index("_") + 1 :] for c in ours) == text
    for index, chunk in enumerate(ours):
        assert chunk.startswith(f"{len(ours) - 1 - index}_")
        body = chunk[chunk.index("_") + 1 :]
        assert utf16_length(chunk) <= limit or len(body) == 1


chunk_texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.sampled_from(["a", "b", "😀", "𝄞", "é", "\u2028", "_", "1"]), max_size=120),
)


@pytest.mark.spec("CH1", "CH2", "CH3")
@examples(300)
@given(st.lists(st.tuples(chunk_texts, st.integers(1, 40)), min_size=1, max_size=40))
def test_split_message_is_chunk(node_peer: NodePeer, cases: list[tuple[str, int]]) -> None:
    """Our chunks are tldraw's chunk(text, size) whenever tldraw keeps characters whole; when
    it cuts an emoji in two, ours keep it whole and still respect the size and the counters."""
    theirs = node_peer.call("chunkMany", cases=[{"text": t, "max": m} for t, m in cases])
    for (text, size), chunks in zip(cases, theirs, strict=True):
        _check_chunks(text, size, chunks)


@pytest.mark.spec("CH1", "CH2", "CH3")
@pytest.mark.parametrize(
    "text",
    [
        "x" * (MAX_SAFE_MESSAGE_SIZE - 1),
        "x" * MAX_SAFE_MESSAGE_SIZE,
        "x" * (2 * MAX_SAFE_MESSAGE_SIZE + 7),
        "é" * (MAX_SAFE_MESSAGE_SIZE - 1),
        "😀" * (MAX_SAFE_MESSAGE_SIZE // 2),
        "x" * (MAX_SAFE_MESSAGE_SIZE - 3) + "😀",
        "x" * 262_142 + "😀y",
        "😀" + "x" * 300_000,
    ],
    ids=["below", "at", "twice", "bmp-below", "emoji-at", "emoji-below", "emoji-cut", "long"],
)
def test_split_message_at_the_real_threshold(node_peer: NodePeer, text: str) -> None:
    """At tldraw's default limit (262,144 UTF-16 units), around the boundary, ASCII and emoji."""
    (theirs,) = node_peer.call("chunkMany", cases=[{"text": text}])
    _check_chunks(text, None, theirs)


def _our_outcomes(frames: list[str]) -> list[Any]:
    asm = ChunkAssembler()
    outcomes: list[Any] = []
    for frame in frames:
        try:
            text = asm.handle_frame(frame)
        except ProtocolError:
            outcomes.append("error")
            continue
        if text is None:
            outcomes.append(None)
            continue
        try:
            loads_frame(text)
        except ProtocolError:
            outcomes.append("error")
        else:
            outcomes.append(text)
    return outcomes


def _their_outcomes(answers: list[Any]) -> list[Any]:
    return [None if a is None else a.get("stringified", "error") for a in answers]


@st.composite
def frame_sequences(draw: st.DrawFn) -> list[str]:
    """Chunks of one or two messages, sometimes damaged: a frame dropped, repeated, moved,
    renumbered or replaced, or a whole message slipped in."""
    frames: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        text = serialize_message(draw(st.one_of(client_messages(8), server_messages(8))))
        frames += split_message(text, draw(st.integers(3, 60)))
    damage = draw(st.sampled_from(["none", "drop", "repeat", "swap", "renumber", "insert"]))
    if damage != "none" and frames:
        i = draw(st.integers(0, len(frames) - 1))
        if damage == "drop":
            del frames[i]
        elif damage == "repeat":
            frames.insert(i, frames[i])
        elif damage == "swap" and len(frames) > 1:
            j = draw(st.integers(0, len(frames) - 1))
            frames[i], frames[j] = frames[j], frames[i]
        elif damage == "renumber":
            body = frames[i][frames[i].index("_") + 1 :] if "_" in frames[i] else frames[i]
            frames[i] = draw(st.sampled_from(["0", "1", "2", "01", "9", "", "x"])) + "_" + body
        else:
            frames.insert(i, draw(st.sampled_from(['{"type":"ping"}', "{oops", "nope", "0_{}"])))
    return frames


@pytest.mark.spec("CH4")
@examples(100)
@given(st.lists(frame_sequences(), min_size=1, max_size=20))
def test_assembler_is_json_chunk_assembler(node_peer: NodePeer, sequences: list[list[str]]) -> None:
    """Frame by frame, ChunkAssembler (followed by our parse) answers like JsonChunkAssembler:
    more to come, a message, or an error — for good and damaged sequences alike."""
    theirs = node_peer.call("assembleMany", sequences=sequences)
    for frames, answers in zip(sequences, theirs, strict=True):
        assert _our_outcomes(frames) == _their_outcomes(answers), frames
