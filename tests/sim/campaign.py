"""The long seeded campaign: many simulations, a progress line, and a summary.

``python -m tests.sim --seeds 1000 --steps 1000 --clients 5`` (from the repository root) runs
seeds 0-999; ``--jobs`` runs them in parallel processes.  The exit status is 1 if any seed
failed (its anomalies are printed), else 0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TextIO

import attrs

from .simulator import DEFAULT_FAULTS, SimConfig, run_simulation


@attrs.frozen
class SeedOutcome:
    """What a worker sends back about one seed (small and picklable)."""

    seed: int
    stats: dict[str, int]
    log: dict[str, int]
    failure: str | None


def run_seed(config: SimConfig) -> SeedOutcome:
    result = run_simulation(config)
    return SeedOutcome(
        config.seed,
        dict(result.stats),
        dict(result.log),
        None if result.ok else result.describe(limit=20),
    )


def _outcomes(configs: Sequence[SimConfig], jobs: int) -> Iterator[SeedOutcome]:
    if jobs <= 1:
        for config in configs:
            yield run_seed(config)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        yield from pool.imap_unordered(run_seed, configs, chunksize=1)


@attrs.define
class CampaignSummary:
    seeds: int = 0
    failed: list[SeedOutcome] = attrs.Factory(list)
    stats: Counter[str] = attrs.Factory(Counter)
    log: Counter[str] = attrs.Factory(Counter)
    seconds: float = 0.0

    def add(self, outcome: SeedOutcome) -> None:
        self.seeds += 1
        self.stats.update(outcome.stats)
        self.log.update(outcome.log)
        if outcome.failure is not None:
            self.failed.append(outcome)

    def render(self, config: SimConfig, jobs: int) -> str:
        s = self.stats
        faults = {
            "disconnect": s["fault_disconnect"],
            "crash": s["fault_crash"],
            "graceful restart": s["fault_graceful_restart"],
            "duplicate": s["fault_duplicate"],
            "stall": s["fault_hold"],
            "drop": s["fault_drop"],
        }
        kinds = sorted(k[5:] for k in s if k.startswith("edit_") and k != "edit_presence")
        edits = ", ".join(f"{k} {s['edit_' + k]:,}" for k in kinds)
        lines = [
            f"tlsync simulation campaign: {self.seeds} seeds x {config.steps} steps x"
            f" {config.clients} clients, {config.schema} schema, {jobs} job(s),"
            f" {self.seconds:.1f} s",
            f"seeds: {self.seeds:,} (failed {len(self.failed)})",
            f"steps: {s['steps']:,}",
            f"messages: sent {s['messages_sent']:,}, delivered {s['messages_delivered']:,},"
            f" lost with their connection {s['lost_in_flight']:,}; connections {s['connects']:,}",
            "faults injected: "
            + ", ".join(f"{k} {v:,}" for k, v in faults.items())
            + f" (total {sum(faults.values()):,}); reconnects {s['reconnect']:,};"
            f" commits lost in crashes {s['commits_lost_in_crash']:,}",
            f"edits: {s['edits']:,} ({edits}); presence updates {s['edit_presence']:,};"
            f" server edits {s['server_edits']:,}",
            f"room commits: {s['commits']:,}, group commits {s['group_commits']:,}",
            f"writes: {s['writes']:,}, acknowledged {s['acknowledged']:,},"
            f" never acknowledged {s['unacknowledged']:,}",
            f"checker: lost = {s['lost']}, phantom = {s['phantom']},"
            f" foreign = {s['foreign']}, durability = {s['durability']},"
            f" divergent seeds = {len(self.failed)}",
            f"final documents: {s['final_records']:,} records ({s['final_shapes']:,} shapes,"
            f" {s['final_bindings']:,} bindings, {s['final_pages']:,} pages)",
            f"clients on an older schema: {s['old_schema_clients']:,};"
            f" in the v3 dialect: {s['v3_dialect_clients']:,};"
            f" rooms pruning tombstones early: {s['small_tombstone_rooms']:,}",
        ]
        if self.log:
            lines.append("library warnings and errors:")
            lines += [f"  {n:,} x {message}" for message, n in self.log.most_common(10)]
        for outcome in sorted(self.failed, key=lambda o: o.seed)[:10]:
            lines.append(outcome.failure or "")
        return "\n".join(lines)


def run_campaign(
    config: SimConfig,
    seeds: Sequence[int],
    *,
    jobs: int = 1,
    progress: TextIO | None = None,
    fail_fast: bool = False,
) -> CampaignSummary:
    summary = CampaignSummary()
    start = time.monotonic()
    configs = [attrs.evolve(config, seed=seed) for seed in seeds]
    for outcome in _outcomes(configs, jobs):
        summary.add(outcome)
        if progress is not None:
            done = summary.seeds
            width = 30
            filled = width * done // max(1, len(configs))
            bar = "#" * filled + "." * (width - filled)
            progress.write(
                f"\r[{bar}] {done}/{len(configs)} seeds, {len(summary.failed)} failed,"
                f" {time.monotonic() - start:.0f} s "
            )
            progress.flush()
        if fail_fast and summary.failed:
            break
    if progress is not None:
        progress.write("\n")
    summary.seconds = time.monotonic() - start
    return summary


_DEFAULT = SimConfig()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sim", description=__doc__)
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds (default 100)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--p-restart", type=float, default=_DEFAULT.p_restart)
    parser.add_argument("--commit-delay-ms", type=float, default=_DEFAULT.commit_delay_ms[1])
    parser.add_argument("--duplicate", type=float, default=DEFAULT_FAULTS.duplicate)
    parser.add_argument(
        "--drop",
        type=float,
        default=0.0,
        help="drop messages on live connections (TCP never does; clients resync, CR10-CR12)",
    )
    parser.add_argument("--p-old-schema", type=float, default=_DEFAULT.p_old_schema)
    parser.add_argument("--p-v3-dialect", type=float, default=_DEFAULT.p_v3_dialect)
    parser.add_argument(
        "--schema", choices=("sim", "tldraw"), default="sim", help="the documents' schema"
    )
    parser.add_argument("--fail-fast", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    config = SimConfig(
        steps=args.steps,
        clients=args.clients,
        p_restart=args.p_restart,
        commit_delay_ms=(0.0, args.commit_delay_ms),
        faults=attrs.evolve(DEFAULT_FAULTS, duplicate=args.duplicate, drop=args.drop),
        p_old_schema=args.p_old_schema,
        p_v3_dialect=args.p_v3_dialect,
        schema=args.schema,
    )
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    summary = run_campaign(
        config,
        seeds,
        jobs=args.jobs,
        progress=None if args.quiet else sys.stderr,
        fail_fast=args.fail_fast,
    )
    out.write(summary.render(config, args.jobs) + "\n")
    return 1 if summary.failed else 0
