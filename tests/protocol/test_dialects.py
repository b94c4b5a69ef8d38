"""The dialects' differences as one table, read by the room and the client (PR13)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tlsync_core.protocol.dialects import DIALECT_RULES, DialectRules, dialect_rules

ROOT = Path(__file__).resolve().parents[2]
READERS = [ROOT / "tlsync_client" / "sync_client.py", ROOT / "tlsync_core" / "room" / "room.py"]


@pytest.mark.spec("PR13", "PR1", "PR9", "CD1", "HS6", "RB1")
def test_the_table_says_what_each_dialect_does() -> None:
    """Protocol 3: instance ids, pushes split in two, no string appends, messages one by one,
    legacy rejection, incompatibility final, load errors reported, no probes; 8 the opposite
    of each.  Nothing else is a dialect."""
    assert dialect_rules(3) == DialectRules(
        dialect=3,
        protocol_version=3,
        connect_request_ids=False,
        split_pushes=True,
        string_appends=False,
        batched_data=False,
        legacy_rejection=True,
        incompatibility_is_final=True,
        load_errors_reported=True,
        probes=False,
    )
    assert dialect_rules(8) == DialectRules(
        dialect=8,
        protocol_version=8,
        connect_request_ids=True,
        split_pushes=False,
        string_appends=True,
        batched_data=True,
        legacy_rejection=False,
        incompatibility_is_final=False,
        load_errors_reported=False,
        probes=True,
    )
    assert set(DIALECT_RULES) == {3, 8}
    with pytest.raises(ValueError, match="unknown dialect 5"):
        dialect_rules(5)  # type: ignore[arg-type]


def dialect_comparisons(path: Path) -> list[int]:
    """The lines of ``path`` that compare a ``dialect`` with ``==`` or ``!=``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        named = any(
            (isinstance(o, ast.Attribute) and o.attr == "dialect")
            or (isinstance(o, ast.Name) and o.id == "dialect")
            for o in operands
        )
        if named and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            lines.append(node.lineno)
    return lines


@pytest.mark.spec("PR13")
@pytest.mark.parametrize("path", READERS, ids=lambda p: p.name)
def test_the_room_and_the_client_read_the_table(path: Path) -> None:
    """The room and the client never compare a dialect number: what differs comes from the
    table."""
    assert dialect_comparisons(path) == []


@pytest.mark.spec("PR13")
def test_the_scan_sees_a_dialect_comparison(tmp_path: Path) -> None:
    """A comparison of ``dialect`` or ``x.dialect`` with ``==`` or ``!=`` is found."""
    source = tmp_path / "module.py"
    source.write_text(
        "if self.dialect == 8:\n    pass\nif dialect != 3:\n    pass\n" + "x = dialect in {3}\n"
    )
    assert dialect_comparisons(source) == [1, 3]
