"""Validators described as JSON, built in Python; Hypothesis strategies for them and their values.

The description language is the one ``tests/node/ops/validate.mjs`` builds with
``@tldraw/validate``, so one description gives the same validator on both sides: a leaf name
(``"string"``, ``"indexKey"``…) or ``{"kind": ..., ...}`` (see that file's header).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tlsync_core.store import validators as V
from tlsync_core.store.jsvalue import UNDEFINED, same_value
from tlsync_core.store.validators import T, ValidationError, Validator

Description = str | dict[str, Any]

LEAVES: dict[str, Validator[Any]] = {
    "unknown": T.unknown,
    "any": T.any,
    "string": T.string,
    "boolean": T.boolean,
    "number": T.number,
    "positiveNumber": T.positive_number,
    "nonZeroNumber": T.non_zero_number,
    "nonZeroFiniteNumber": T.non_zero_finite_number,
    "unitInterval": T.unit_interval,
    "integer": T.integer,
    "positiveInteger": T.positive_integer,
    "nonZeroInteger": T.non_zero_integer,
    "array": T.array,
    "unknownObject": T.unknown_object,
    "jsonValue": T.json_value,
    "linkUrl": T.link_url,
    "srcUrl": T.src_url,
    "httpUrl": T.http_url,
    "indexKey": T.index_key,
}


def _shape(shape: dict[str, Description]) -> dict[str, Validator[Any]]:
    return {key: build_validator(d) for key, d in shape.items()}


def build_validator(description: Description) -> Validator[Any]:
    """The Python validator a description stands for."""
    if isinstance(description, str):
        return LEAVES[description]
    d = description
    kind = d["kind"]
    if kind == "literal":
        return T.literal(d["value"])
    if kind == "literalEnum":
        return T.literal_enum(*d["values"])
    if kind == "nullable":
        return build_validator(d["of"]).nullable()
    if kind == "optional":
        return build_validator(d["of"]).optional()
    if kind == "arrayOf":
        return T.array_of(build_validator(d["of"]))
    if kind == "nonEmpty":
        return T.array_of(build_validator(d["of"])).non_empty()
    if kind == "lengthGreaterThan1":
        return T.array_of(build_validator(d["of"])).length_greater_than_1()
    if kind == "object":
        obj = T.object(_shape(d["shape"]))
        return obj.allow_unknown_properties() if d.get("allowUnknown") else obj
    if kind == "extend":
        base = build_validator(d["of"])
        assert isinstance(base, V.ObjectValidator)
        return base.extend(_shape(d["shape"]))
    if kind == "dict":
        return T.dict(build_validator(d["key"]), build_validator(d["value"]))
    if kind == "jsonDict":
        return T.json_dict()
    if kind == "union":
        return T.union(d["key"], _shape(d["variants"]))
    if kind == "model":
        return T.model(d["name"], build_validator(d["of"]))
    if kind == "or":
        return T.or_(build_validator(d["first"]), build_validator(d["second"]))
    raise ValueError(f"unknown validator kind {kind!r}")


# ---------------------------------------------------------------------------------------------
# running a case the way ops/validate.mjs does
# ---------------------------------------------------------------------------------------------


def json_copy(value: object) -> object:
    """A fresh copy of ``value`` through JSON, as the node side receives it (``UNDEFINED``
    stays ``UNDEFINED``)."""
    if value is UNDEFINED:
        return UNDEFINED
    return json.loads(json.dumps(value))


def run_python(
    validator: Validator[Any], value: object, known_good: object = UNDEFINED
) -> dict[str, Any]:
    """One validation, reported like the node op: ``ok`` and ``message`` / the identities."""
    try:
        if known_good is UNDEFINED:
            result = validator.validate(value)
        else:
            result = validator.validate_using_known_good_version(known_good, value)
    except ValidationError as err:
        return {"ok": False, "message": err.message}
    except Exception as err:  # reported like node's non-validation errors, to show the bug
        return {"ok": False, "message": f"{type(err).__name__}: {err}"}
    return {
        "ok": True,
        "sameAsInput": same_value(result, value),
        "sameAsKnownGood": None if known_good is UNDEFINED else same_value(result, known_good),
    }


def comparable(node_result: dict[str, Any]) -> dict[str, Any]:
    """The parts of a node result that :func:`run_python` reports."""
    if node_result["ok"]:
        return {
            "ok": True,
            "sameAsInput": node_result["sameAsInput"],
            "sameAsKnownGood": node_result["sameAsKnownGood"],
        }
    if node_result["name"] != "ValidationError":  # a JavaScript error escaped the validator
        return {"ok": False, "message": f"{node_result['name']}: {node_result['message']}"}
    return {"ok": False, "message": node_result["message"]}


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------

# keys that exercise JavaScript's key order (integer-like first), path formatting ("(x", "") and
# inherited names that must not count as own properties
KEYS = [
    "a",
    "b",
    "type",
    "id",
    "props",
    "0",
    "1",
    "10",
    "01",
    "",
    "(x",
    "x y",
    "length",
    "toString",
]

STRINGS = st.one_of(
    st.sampled_from(["", "a", "geo", "id = x", "(type = y)", "line\nbreak", "é", "😀", "\ud800"]),
    st.text(max_size=6),
    st.text(
        st.characters(min_codepoint=0xD7FE, max_codepoint=0xE001, exclude_categories=()), max_size=3
    ),
)

NUMBERS = st.one_of(
    st.integers(-5, 5),
    st.sampled_from(
        [0.0, -0.0, 0.5, -1.5, 1.0, 3.0, 1e21, 1e-7, 1.5e-6, 5e-324, 2**53 + 1, 10**21]
    ),
    st.sampled_from([1.7976931348623157e308, -(10**400), 10**400, 123456789012345678901234567890]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)

JSON_LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)

JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(KEYS), children, max_size=3)
    ),
    max_leaves=6,
)

INDEX_KEYS = st.one_of(
    st.sampled_from(
        ["a0", "a1", "a0V", "Zz", "b0Z", "a", "a00", "A" + "0" * 26, "", "0", "zz", "a!"]
    ),
    st.from_regex(r"[a-dX-Z][0-9A-Za-z]{0,4}", fullmatch=True),
)

_HOST_PARTS = [
    *("a", "b", "1", "0", "9", ".", "..", "@", "[", "]", ":", "::", " ", "%", "%41", "%2e"),
    *("%00", "%zz", "%20", "0x", "0xff", "0X1", "256", "255", "4294967295", "4294967296"),
    *("é", "xn--", "xn--a", "xn--mnchen-3ya", "xn--abc-", "XN--", "ß", "中", "ＡＢ", "／"),
    *("<", ">", "^", "|", "_", "-", "~", "*", "'", "\x00", "\x7f", "\u200d", "\u0301"),
    *("\ufffd", "localhost", "c:", "c|", "1.2.3.4", "08", "09", "0x7f000001", "[::1]"),
    *("[1:2:3:4:5:6:7:8]", "[::ffff:1.2.3.4]", "[::1.2.3]", "[1::2::3]", "[::01.2.3.4]"),
    *("%ef%bc%8f", "%c3%a9", "%ff", "\ud800", "ǅ", "Ⅸ", "ﬁ", "\u00ad", "\u3002", "\\"),
    *("\u0661", "\u05d0", "\u0627", "\u06f0", "\u2024", "\u3164", "?", "#"),
]
_URL_HOSTS = st.builds("".join, st.lists(st.sampled_from(_HOST_PARTS), max_size=5))

URLS = st.one_of(
    st.sampled_from(
        [
            "",
            "https://tldraw.com",
            "http://example.com/a?b#c",
            "mailto:someone@example.com",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "asset:abc",
            "ftp://files.example.com",
            "/relative/path",
            "./here",
            "//example.com/x",
            "//",
            "not a url",
            "http://",
            "http://exa mple.com",
            "http://a:99999",
            "http://[::1]:80/",
            "http://1.2.3.256/",
            "HTTPS://EXAMPLE.COM",
            " https://x.y ",
            "file:///tmp/x",
        ]
    ),
    st.builds(
        lambda scheme, separator, user, host, port, path: (
            scheme + separator + user + host + port + path
        ),
        st.sampled_from(["http", "HTTPS", "ws", "ftp", "file", "mailto", "data", "asset", "x", ""]),
        st.sampled_from([":", "://", ":/", ":\\\\", ":///", "://\\"]),
        st.sampled_from(["", "u@", "u:p@", "@", "a@b@"]),
        _URL_HOSTS,
        st.sampled_from(["", ":", ":80", ":65536", ":0x1", ":8a"]),
        st.sampled_from(["", "/", "/p?q#f", "?q", "#f", "\\x"]),
    ),
    st.builds(
        lambda prefix, host, rest: prefix + host + rest,
        st.sampled_from(["/", "//", "./", "/\\", "///", "/ /"]),
        _URL_HOSTS,
        st.sampled_from(["", "/x", ":80", ":99999"]),
    ),
)

LEAF_NAMES = sorted(LEAVES)

LITERALS = st.one_of(
    st.sampled_from(["geo", "a", "", "0"]), st.sampled_from([0, 1, 1.5, -2]), st.booleans()
)


def _leaf_descriptions() -> st.SearchStrategy[Description]:
    return st.one_of(
        st.sampled_from(LEAF_NAMES),
        st.builds(lambda v: {"kind": "literal", "value": v}, LITERALS),
        st.builds(
            lambda vs: {"kind": "literalEnum", "values": vs},
            st.lists(st.one_of(LITERALS, st.none()), min_size=1, max_size=4),
        ),
    )


def _union(children: st.SearchStrategy[Description]) -> st.SearchStrategy[Description]:
    @st.composite
    def build(draw: st.DrawFn) -> Description:
        key = draw(st.sampled_from(["type", "kind", "0"]))
        names = draw(
            st.lists(
                st.sampled_from(["geo", "text", "1", "toString", ""]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        variants = {}
        for name in names:
            shape = draw(
                st.dictionaries(st.sampled_from(["a", "b", "props"]), children, max_size=2)
            )
            shape[key] = {"kind": "literal", "value": name}
            variants[name] = {"kind": "object", "shape": shape, "allowUnknown": draw(st.booleans())}
        return {"kind": "union", "key": key, "variants": variants}

    return build()


def descriptions() -> st.SearchStrategy[Description]:
    """Validator descriptions of every kind, nested a few levels."""
    return st.recursive(
        _leaf_descriptions(),
        lambda children: st.one_of(
            st.builds(lambda d: {"kind": "nullable", "of": d}, children),
            st.builds(lambda d: {"kind": "optional", "of": d}, children),
            st.builds(lambda d: {"kind": "arrayOf", "of": d}, children),
            st.builds(lambda d: {"kind": "nonEmpty", "of": d}, children),
            st.builds(
                lambda shape, allow: {"kind": "object", "shape": shape, "allowUnknown": allow},
                st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
                st.booleans(),
            ),
            st.builds(
                lambda base, ext: {
                    "kind": "extend",
                    "of": {"kind": "object", "shape": base, "allowUnknown": True},
                    "shape": ext,
                },
                st.dictionaries(st.sampled_from(KEYS), children, max_size=2),
                st.dictionaries(st.sampled_from(KEYS), children, max_size=2),
            ),
            st.builds(
                lambda k, v: {"kind": "dict", "key": k, "value": v},
                st.sampled_from(
                    ["string", "indexKey", {"kind": "literalEnum", "values": ["a", "0"]}]
                ),
                children,
            ),
            st.just({"kind": "jsonDict"}),
            _union(children),
            st.builds(
                lambda n, d: {"kind": "model", "name": n, "of": d},
                st.sampled_from(["shape", "page", "(x"]),
                children,
            ),
            st.builds(lambda a, b: {"kind": "or", "first": a, "second": b}, children, children),
        ),
        max_leaves=6,
    )


def _without_undefined(items: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in items.items() if value is not UNDEFINED}


def values_for(description: Description, noise: int = 8) -> st.SearchStrategy[object]:
    """Values for ``description``: valid-looking, but at each level with a one-in-``noise``
    chance of being arbitrary JSON, and objects sometimes missing or gaining keys (``noise=0``
    for no noise). ``UNDEFINED`` stands for a missing value."""
    exact = _shaped_values(description, noise)
    if not noise:
        return exact
    return st.integers(0, noise - 1).flatmap(lambda n: JSON_VALUES if n == 0 else exact)


def _shaped_values(description: Description, noise: int) -> st.SearchStrategy[object]:
    if isinstance(description, str):
        return _leaf_values(description)
    d = description
    kind = d["kind"]
    if kind == "literal":
        return st.just(d["value"])
    if kind == "literalEnum":
        return st.sampled_from(d["values"])
    if kind == "nullable":
        return st.one_of(st.none(), values_for(d["of"], noise))
    if kind == "optional":
        return st.one_of(st.just(UNDEFINED), values_for(d["of"], noise))
    if kind in ("arrayOf", "nonEmpty", "lengthGreaterThan1"):
        return st.lists(values_for(d["of"], noise), max_size=3).map(
            lambda items: [None if item is UNDEFINED else item for item in items]
        )
    if kind in ("object", "extend"):
        shape = dict(d["shape"])
        if kind == "extend":
            shape = {**d["of"]["shape"], **shape}
        return _object_values(shape, noise, bool(d.get("allowUnknown")))
    if kind == "dict":
        key_strategy = INDEX_KEYS if d["key"] == "indexKey" else st.sampled_from(KEYS)
        return st.dictionaries(key_strategy, values_for(d["value"], noise), max_size=3).map(
            _without_undefined
        )
    if kind == "jsonDict":
        return st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=3)
    if kind == "union":
        return st.one_of([values_for(v, noise) for _, v in sorted(d["variants"].items())])
    if kind == "model":
        return values_for(d["of"], noise)
    if kind == "or":
        return st.one_of(values_for(d["first"], noise), values_for(d["second"], noise))
    raise ValueError(f"unknown validator kind {kind!r}")


@st.composite
def _object_values(
    draw: st.DrawFn, shape: dict[str, Description], noise: int, allow_unknown: bool
) -> object:
    result = {key: draw(values_for(child, noise)) for key, child in shape.items()}
    if noise and result and draw(st.integers(0, noise - 1)) == 0:
        del result[draw(st.sampled_from(sorted(result)))]
    if (noise or allow_unknown) and draw(st.integers(0, noise or 4)) == 0:
        result[draw(st.sampled_from(KEYS))] = draw(JSON_VALUES)
    return _without_undefined(result)


def _leaf_values(name: str) -> st.SearchStrategy[object]:
    if name in ("string",):
        return STRINGS
    if name == "boolean":
        return st.booleans()
    if name in ("number", "nonZeroFiniteNumber"):
        return NUMBERS
    if name in ("positiveNumber", "nonZeroNumber"):
        return st.one_of(st.floats(0, 1e6), st.integers(0, 10), st.just(-0.0))
    if name == "unitInterval":
        return st.one_of(st.floats(0, 1), st.sampled_from([0, 1, 1.0000001, -0.0]))
    if name in ("integer", "positiveInteger", "nonZeroInteger"):
        return st.one_of(st.integers(-3, 10**22), st.sampled_from([3.0, -0.0, 1e21, 2.5]))
    if name == "indexKey":
        return INDEX_KEYS
    if name in ("linkUrl", "srcUrl", "httpUrl"):
        return URLS
    if name == "array":
        return st.lists(JSON_VALUES, max_size=3)
    if name == "unknownObject":
        return st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=3)
    return JSON_VALUES
