"""Before/after hooks that run when records are created, changed or deleted.

A schema or an application registers handlers per record type to keep invariants: a
``before`` handler may replace the record about to be written (or, for deletes, veto it by
returning ``False``); an ``after`` handler sees what was written and may write more, in the same
atomic operation.  Handlers receive the change's source, ``"user"`` or ``"remote"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

Record = dict[str, Any]
ChangeSource = Literal["user", "remote"]

BeforeCreateHandler = Callable[[Record, ChangeSource], Record]
AfterCreateHandler = Callable[[Record, ChangeSource], None]
BeforeChangeHandler = Callable[[Record, Record, ChangeSource], Record]
AfterChangeHandler = Callable[[Record, Record, ChangeSource], None]
BeforeDeleteHandler = Callable[[Record, ChangeSource], "bool | None"]
AfterDeleteHandler = Callable[[Record, ChangeSource], None]
OperationCompleteHandler = Callable[[ChangeSource], None]

Unsubscribe = Callable[[], None]


def _register(table: dict[str, list[Any]], type_name: str, handler: Any) -> Unsubscribe:
    handlers = table.setdefault(type_name, [])
    handlers.append(handler)

    def unsubscribe() -> None:
        if handler in handlers:
            handlers.remove(handler)
        if not handlers and table.get(type_name) is handlers:
            del table[type_name]

    return unsubscribe


class StoreSideEffects:
    """The registry of a store's side-effect handlers; ``enabled`` switches them all off."""

    def __init__(self) -> None:
        self.enabled = True
        self._before_create: dict[str, list[BeforeCreateHandler]] = {}
        self._after_create: dict[str, list[AfterCreateHandler]] = {}
        self._before_change: dict[str, list[BeforeChangeHandler]] = {}
        self._after_change: dict[str, list[AfterChangeHandler]] = {}
        self._before_delete: dict[str, list[BeforeDeleteHandler]] = {}
        self._after_delete: dict[str, list[AfterDeleteHandler]] = {}
        self._operation_complete: list[OperationCompleteHandler] = []

    # registration ---------------------------------------------------------------------------

    def register_before_create_handler(
        self, type_name: str, handler: BeforeCreateHandler
    ) -> Unsubscribe:
        return _register(self._before_create, type_name, handler)

    def register_after_create_handler(
        self, type_name: str, handler: AfterCreateHandler
    ) -> Unsubscribe:
        return _register(self._after_create, type_name, handler)

    def register_before_change_handler(
        self, type_name: str, handler: BeforeChangeHandler
    ) -> Unsubscribe:
        return _register(self._before_change, type_name, handler)

    def register_after_change_handler(
        self, type_name: str, handler: AfterChangeHandler
    ) -> Unsubscribe:
        return _register(self._after_change, type_name, handler)

    def register_before_delete_handler(
        self, type_name: str, handler: BeforeDeleteHandler
    ) -> Unsubscribe:
        return _register(self._before_delete, type_name, handler)

    def register_after_delete_handler(
        self, type_name: str, handler: AfterDeleteHandler
    ) -> Unsubscribe:
        return _register(self._after_delete, type_name, handler)

    def register_operation_complete_handler(self, handler: OperationCompleteHandler) -> Unsubscribe:
        handlers = self._operation_complete
        handlers.append(handler)
        return lambda: handlers.remove(handler) if handler in handlers else None

    # dispatch (used by the Store) -------------------------------------------------------------

    def before_create(self, record: Record, source: ChangeSource) -> Record:
        if self.enabled:
            for handler in self._before_create.get(record["typeName"], ()):
                record = handler(record, source)
        return record

    def after_create(self, record: Record, source: ChangeSource) -> None:
        if self.enabled:
            for handler in self._after_create.get(record["typeName"], ()):
                handler(record, source)

    def before_change(self, prev: Record, nxt: Record, source: ChangeSource) -> Record:
        if self.enabled:
            for handler in self._before_change.get(nxt["typeName"], ()):
                nxt = handler(prev, nxt, source)
        return nxt

    def after_change(self, prev: Record, nxt: Record, source: ChangeSource) -> None:
        if self.enabled:
            for handler in self._after_change.get(nxt["typeName"], ()):
                handler(prev, nxt, source)

    def has_after_change_handlers(self, type_name: str) -> bool:
        """Whether :meth:`after_change` would now call a handler for records of ``type_name``."""
        return self.enabled and bool(self._after_change.get(type_name))

    def before_delete(self, record: Record, source: ChangeSource) -> bool:
        """False if a handler vetoed the deletion."""
        if self.enabled:
            for handler in self._before_delete.get(record["typeName"], ()):
                if handler(record, source) is False:
                    return False
        return True

    def after_delete(self, record: Record, source: ChangeSource) -> None:
        if self.enabled:
            for handler in self._after_delete.get(record["typeName"], ()):
                handler(record, source)

    def operation_complete(self, source: ChangeSource) -> None:
        if self.enabled and self._operation_complete:  # (no copy of an empty list per write)
            for handler in list(self._operation_complete):
                handler(source)
