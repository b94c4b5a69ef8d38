"""What each dialect of the protocol does differently, as one table (SPEC.md PR13).

A session or a client speaks dialect 3 or 8 (SPEC.md PR1).  Everything that depends on which is
a field of :class:`DialectRules`; the room and the client read the rules of their dialect here
instead of comparing dialect numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tlsync_core.protocol.versions import (
    CURRENT_PROTOCOL_VERSION,
    TLSYNC_PROTOCOL_VERSION,
    Dialect,
)

__all__ = ["DIALECT_RULES", "DialectRules", "dialect_rules"]


@dataclass(frozen=True, slots=True)
class DialectRules:
    """The behaviours that differ between the dialects.

    * ``protocol_version``: announced in a client's ``connect`` and echoed in the answer;
    * ``connect_request_ids``: a ``connect`` carries ``connectRequestId`` (v3: ``instanceId``),
      and its answer echoes it with ``isReadonly`` and ``objectAccess``;
    * ``split_pushes``: a push carries a diff or a presence op, never both;
    * ``string_appends``: string appends may be sent (else changed strings are put whole);
    * ``batched_data``: the room batches data messages into ``data`` (else sends each alone);
    * ``legacy_rejection``: fatal errors go as ``incompatibility_error`` and a close without
      code (else as a 4099 close);
    * ``incompatibility_is_final``: an ``incompatibility_error`` ends the client (v8 clients
      only fall back on ``serverTooOld``, and log anything else);
    * ``load_errors_reported``: a socket error before the first load reaches ``on_load_error``;
    * ``probes``: a quiet client may send an empty push to learn the room's clock (v3 pushes
      must carry something).
    """

    dialect: Dialect
    protocol_version: int
    connect_request_ids: bool
    split_pushes: bool
    string_appends: bool
    batched_data: bool
    legacy_rejection: bool
    incompatibility_is_final: bool
    load_errors_reported: bool
    probes: bool


#: The rules of each dialect.
DIALECT_RULES: Final[dict[Dialect, DialectRules]] = {
    3: DialectRules(
        dialect=3,
        protocol_version=TLSYNC_PROTOCOL_VERSION,
        connect_request_ids=False,
        split_pushes=True,
        string_appends=False,
        batched_data=False,
        legacy_rejection=True,
        incompatibility_is_final=True,
        load_errors_reported=True,
        probes=False,
    ),
    8: DialectRules(
        dialect=8,
        protocol_version=CURRENT_PROTOCOL_VERSION,
        connect_request_ids=True,
        split_pushes=False,
        string_appends=True,
        batched_data=True,
        legacy_rejection=False,
        incompatibility_is_final=False,
        load_errors_reported=False,
        probes=True,
    ),
}


def dialect_rules(dialect: Dialect) -> DialectRules:
    """The rules of ``dialect`` (3 or 8); ``ValueError`` for anything else."""
    try:
        return DIALECT_RULES[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}: 3 or 8") from None
