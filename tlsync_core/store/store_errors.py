"""The store's errors, in a module of their own: the store is compiled with mypyc, which cannot
compile subclasses of built-in exceptions (``KeyError``, ``RuntimeError``) as native classes."""

from __future__ import annotations


class RecordNotFoundError(KeyError):
    """``Store.update`` of an id that is not in the store."""


class StoreOperationError(RuntimeError):
    """Misuse of the store's operations (e.g. merging remote changes inside an atomic one)."""
