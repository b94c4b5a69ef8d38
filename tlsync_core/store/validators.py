"""Composable runtime validators, as strict as ``@tldraw/validate`` 5.4.2.

A :class:`Validator` checks a JSON value (a record is a plain ``dict``) and either returns it
unchanged (the very same object) or raises :class:`ValidationError` with tldraw's message, for
example ``At shape(type = geo).props.w: Expected number, got a string``. What tldraw rejects is
rejected here, and what it accepts is accepted, with the same message; values are seen as
JavaScript sees them (see :mod:`tlsync_core.store.jsvalue`): ``True`` is not a number, ``1.0``
is an integer, a list is also an object, an absent key is ``undefined``.

Build validators with the :class:`T` namespace (``T.object({...})``, ``T.string``,
``T.union("type", {...})``) or the module-level names (``object_``, ``dict_`` and ``any_`` carry
an underscore where Python has a builtin of the same name; ``or_`` is tldraw's ``T.or``).
tldraw's ``T.bigint`` has no counterpart: JSON has no bigints. The implementation lives in
``validator_core`` (the base class and wrappers), ``validator_leaves`` and
``validator_containers``; this module is the public face.

Known-good validation
---------------------
``validate_using_known_good_version(known_good, new_value)`` validates ``new_value`` given a
value this validator accepted before, and returns ``known_good`` itself when nothing changed,
which is how the store detects no-op writes. As in tldraw, "nothing changed" is decided level by
level: leaves are compared with ``Object.is`` (see :func:`~.jsvalue.same_value`), and objects,
arrays, dicts, unions and ``json_value`` return the known-good container when every member came
back as the known-good member and no key was added or removed. So for those validators a deep,
structurally equal copy gives back ``known_good``; a validator with no known-good logic of its
own (``T.array``, ``T.unknown``, ``T.unknown_object``, ``T.any``) returns ``new_value`` unless it
*is* ``known_good``. Parts of ``new_value`` equal to ``known_good`` are not re-validated.
``known_good`` must be a value this validator accepted; otherwise the result is unspecified.

Optional values
---------------
``optional()`` mirrors tldraw: it accepts ``undefined``, which in a Python dict means the key is
absent (validators receive :data:`~.jsvalue.UNDEFINED` for it). ``None`` is JSON ``null`` and is
accepted only by ``nullable()``. tldraw runs with its development checks on, as it does under
node without ``NODE_ENV=production``: so ``T.literal(0)`` rejects ``-0.0`` ("Validator functions
must return the same value they were passed"), as do ``model``, ``union`` and ``or_`` whose
inner validator returns something other than its input.
"""

from __future__ import annotations

from .jsvalue import UNDEFINED, Undefined
from .validation_errors import ValidationError
from .validator_containers import (
    ArrayOfValidator,
    DictValidator,
    JsonValue,
    ObjectValidator,
    UnionValidator,
    array_of,
    dict_,
    json_dict,
    json_value,
    object_,
    union,
)
from .validator_core import FunctionValidator, Validator, model, nullable, optional, or_
from .validator_leaves import (
    any_,
    array,
    boolean,
    http_url,
    index_key,
    integer,
    link_url,
    literal,
    literal_enum,
    non_zero_finite_number,
    non_zero_integer,
    non_zero_number,
    number,
    positive_integer,
    positive_number,
    set_enum,
    src_url,
    string,
    unit_interval,
    unknown,
    unknown_object,
)

__all__ = [
    "UNDEFINED",
    "ArrayOfValidator",
    "DictValidator",
    "FunctionValidator",
    "JsonValue",
    "ObjectValidator",
    "T",
    "UnionValidator",
    "Undefined",
    "ValidationError",
    "Validator",
    "any_",
    "array",
    "array_of",
    "boolean",
    "dict_",
    "http_url",
    "index_key",
    "integer",
    "json_dict",
    "json_value",
    "link_url",
    "literal",
    "literal_enum",
    "model",
    "non_zero_finite_number",
    "non_zero_integer",
    "non_zero_number",
    "nullable",
    "number",
    "object_",
    "optional",
    "or_",
    "positive_integer",
    "positive_number",
    "set_enum",
    "src_url",
    "string",
    "union",
    "unit_interval",
    "unknown",
    "unknown_object",
]


class T:
    """The builders under tldraw's names, for ``T.object({...})``-style schemas.

    ``T.string``, ``T.number``, ``T.object(...)``, ``T.dict(...)``, ``T.any``… are the
    module-level validators and functions of the same (snake_case) name.
    """

    __slots__ = ()

    Validator = Validator
    ValidationError = ValidationError
    unknown = unknown
    string = string
    boolean = boolean
    number = number
    positive_number = positive_number
    non_zero_number = non_zero_number
    non_zero_finite_number = non_zero_finite_number
    unit_interval = unit_interval
    integer = integer
    positive_integer = positive_integer
    non_zero_integer = non_zero_integer
    array = array
    unknown_object = unknown_object
    json_value = json_value
    link_url = link_url
    src_url = src_url
    http_url = http_url
    index_key = index_key
    literal = staticmethod(literal)
    literal_enum = staticmethod(literal_enum)
    set_enum = staticmethod(set_enum)
    nullable = staticmethod(nullable)
    optional = staticmethod(optional)
    array_of = staticmethod(array_of)
    json_dict = staticmethod(json_dict)
    union = staticmethod(union)
    model = staticmethod(model)
    or_ = staticmethod(or_)
    any = any_
    dict = staticmethod(dict_)
    object = staticmethod(object_)
