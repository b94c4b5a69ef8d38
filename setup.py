"""Build hook: compiles the hot paths with mypyc (pure Python stays the fallback).

The signals graph is the hot path of every store and sync operation; compiled by mypyc it runs
about 3x faster (bench/README.md). The wire protocol's message checks run on every message a
room or client receives; compiled they run about 4x faster. The diffs (and the JavaScript
equality they rest on) run on every change a peer sends or receives; compiled, about 2x faster.
Record validation (the validators, ``tlsync_core/store/validator_*.py``) runs on every record a
store takes in; compiled, about 6x faster. Their error, ``validation_errors.py``, stays plain
Python so that it can be subclassed (compiled and open to subclasses, its ``str()`` crashed).
The store itself (``tlsync_core/store/store.py``: puts, history, listeners) runs on every local
edit and every record a client hydrates; compiled, a 10,000-shape hydration takes ~10% less CPU
and a local edit up to its push ~20% less (bench/README.md, "Client benchmark"). Its errors live
in ``store_errors.py``, plain Python, since mypyc cannot compile subclasses of ``KeyError``.
Around it, ``diff.py`` (RecordsDiff, folded twice per local edit by the client),
``records.py`` (each record type's validate call) and ``side_effects.py`` (the hooks called
around every write) are compiled too, so a write stays in compiled code from the store call to
the validators (issue 19). So is the client's state machine (``tlsync_client/sync_client.py``):
a local edit turns into its push in compiled code (issue 19, third pass).
In compiled modules, test several types with ``isinstance(v, (A, B))``, not ``A | B``, which
builds a union object on every call.
Set TLSYNC_PURE_PYTHON=1 to skip compilation; the package is the same either way.
"""

import os

from setuptools import setup

COMPILED = [
    "tlsync_core/signals/core.py",
    "tlsync_core/signals/history.py",
    "tlsync_core/protocol/validation.py",
    "tlsync_core/protocol/diff.py",
    "tlsync_core/store/jsvalue.py",
    "tlsync_core/store/validator_core.py",
    "tlsync_core/store/validator_leaves.py",
    "tlsync_core/store/validator_containers.py",
    "tlsync_core/store/store.py",
    "tlsync_core/store/diff.py",
    "tlsync_core/store/records.py",
    "tlsync_core/store/side_effects.py",
    "tlsync_client/sync_client.py",
]


def ext_modules() -> list[object]:
    if os.environ.get("TLSYNC_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify  # noqa: PLC0415 - only needed when compiling

    # The build environment has only the build requirements: the rest of the package (which
    # imports reactivex) is type-checked by scripts/test, not here.
    return list(mypycify(["--ignore-missing-imports", *COMPILED], opt_level="3"))


setup(ext_modules=ext_modules())
