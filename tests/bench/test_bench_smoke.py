"""Smoke tests for the signals benchmark harness (bench/): the cases run correctly on tlsync.

No timing is asserted: these prove that the benchmark cases, their checks and the runner work, so
that every number the benchmark reports comes from a correct run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest
from bench_harness import run_main

from bench import signals as runner
from bench.adapters import TlsyncAdapter
from bench.signals_cases import (
    CELLX_1000,
    CELLX_2500,
    CELLX_CASES,
    KAIRO_CASES,
    CaseFailed,
    CellxCase,
    KairoCase,
    cellx_expected,
    deep_propagation,
    run_cellx_once,
)

needs_tlsync = pytest.mark.skipif(
    importlib.util.find_spec("tlsync_core.signals") is None,
    reason="tlsync_core.signals is not written yet",
)


@pytest.fixture
def fw() -> TlsyncAdapter:
    """A fresh tlsync adapter (its effects are stopped by the test)."""
    return TlsyncAdapter()


@needs_tlsync
@pytest.mark.parametrize("case", KAIRO_CASES, ids=lambda c: c.name)
def test_kairo_case_passes_its_checks_on_tlsync(fw: TlsyncAdapter, case: KairoCase) -> None:
    """Each kairo case (small sizes) runs three iterations on tlsync without a failed check.

    The iterations check the values and the effect-run counts, including the steady state after
    the first iteration; stopping the effects afterwards works too.
    """
    iterate = case.build(fw, **case.smoke_sizes)
    try:
        for _ in range(3):
            iterate()
    finally:
        fw.cleanup()


@needs_tlsync
@pytest.mark.parametrize("case", CELLX_CASES, ids=lambda c: c.name)
def test_cellx_passes_its_checks_on_tlsync(fw: TlsyncAdapter, case: CellxCase) -> None:
    """A small cellx graph (same layer count mod 12 as the real one) gives the expected values."""
    try:
        run_cellx_once(fw, case.smoke_layers)
    finally:
        fw.cleanup()


def test_cellx_expected_values_match_the_spec() -> None:
    """The recurrence that computes cellx's expected values gives the published cellx numbers.

    (before == [-3, -6, -2, 2], after == [-2, -4, 2, 3] for 1000 and 2500 layers; the smoke layer
    counts give the same values, so the small runs check the same thing.)
    """
    assert cellx_expected(1000) == CELLX_1000
    assert cellx_expected(2500) == CELLX_2500
    for case in CELLX_CASES:
        assert cellx_expected(case.smoke_layers) == cellx_expected(case.layers)


class _DoubleEffects(TlsyncAdapter):
    """A deliberately wrong library: every effect is registered twice."""

    def effect(self, fn: Callable[[], object]) -> None:
        super().effect(fn)
        super().effect(fn)


@needs_tlsync
def test_checks_catch_a_wrong_effect_count() -> None:
    """The effect-count checks bite: an adapter that runs each effect twice fails the case."""
    fw = _DoubleEffects()
    iterate = deep_propagation(fw, length=5, writes=5)
    try:
        with pytest.raises(CaseFailed, match="effect runs"):
            iterate()
    finally:
        fw.cleanup()


@needs_tlsync
def test_runner_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.signals --quick`` runs end to end (tlsync only, one case, no Node)."""
    argv = ["--quick", "--impls", "tlsync", "--cases", "triangle", "--markdown"]
    assert "| triangle |" in run_main(runner.main, argv, capsys)
