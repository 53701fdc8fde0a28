"""Sweep benchmark: decisions per second of ``tamiyo-tui sweep`` against the same episodes run one after
another on ``tamiyo-tui run``'s path, at 1, 64 and 1,024 episodes.

    python bench/sweep_bench.py [--quick] [--json PATH]

Episodes: every shipped lesson in turn with the behaviour-cloned LSTM (``lstm-bc``), sampling, seeds
0, 1, 2, … (episode i plays lesson i mod 15 with seed i div 15). Three rows per size:

- ``run`` path: each episode's ``InspectionSession`` (as ``open_run`` builds it for ``tamiyo-tui run``)
  stepped to its end, one episode after another, on one CPU thread. At 1,024 episodes the rate is that of
  the first 64 (stepping them all would take minutes and give the same rate: each episode is alone);
- sweep, one thread: ``BatchedSweep.run``, one process, one CPU thread;
- sweep, ``--workers 2``: ``run_sweep`` with two worker processes, wall time, their start-up included
  (a single episode cannot be split, so at 1 episode it runs in this process).

Sessions are opened (and policies loaded) before the clock starts on the first two rows, the same work for
both; a worker process opens its own, inside the clock. Prints the table (median and min–max of the
samples) and a PASS/MISS line for the target: the one-thread sweep at 1,024 episodes ≥ 10× the ``run``
path's rate. The exit status is 0 whatever the verdict: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from common import Timing, format_duration, format_range
from rich.console import Console
from rich.table import Table

from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.session.headless import open_run
from tamiyo_tui.shipped import lessons
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import ESPER_60205274_LIFECYCLE as FIRST_GENERATION
from tamiyo_tui.sweep.episodes import EpisodeFactory, EpisodeSpec
from tamiyo_tui.sweep.runner import BatchedSweep, SweepSettings
from tamiyo_tui.sweep.workers import run_sweep

POLICY = "lstm-bc"
TARGET_SPEEDUP = 10.0
RUN_PATH, SWEEP_ONE, SWEEP_TWO = "run path, one after another", "sweep, 1 thread", "sweep, --workers 2"


@dataclass(frozen=True, slots=True)
class Plan:
    sizes: tuple[int, ...]
    sequential_limit: int  # the run path steps at most this many of a size's episodes
    repeats: int  # samples per row


FULL_PLAN = Plan(sizes=(1, 64, 1024), sequential_limit=64, repeats=3)
QUICK_PLAN = Plan(sizes=(1, 4, 16), sequential_limit=4, repeats=1)


@dataclass(frozen=True, slots=True)
class Row:
    episodes: int
    path: str
    measured_episodes: int  # the episodes each sample ran (fewer than ``episodes`` on a capped run path)
    decisions: int  # per sample
    timing: Timing

    @property
    def rate(self) -> float:
        return self.decisions / self.timing.median


def bench_specs(count: int) -> list[EpisodeSpec]:
    """Episode i plays lesson i mod 15 with seed i div 15: every size plays a mix of the lessons. Only the 15
    lessons of the 60205274 generation: the sweep batches that one, and lstm-bc was trained in it."""
    shipped = [lesson for lesson in lessons() if load_scenario(lesson.path).lifecycle_in_force == FIRST_GENERATION]
    return [
        EpisodeSpec(
            scenario=shipped[index % len(shipped)].label,
            scenario_path=str(shipped[index % len(shipped)].path),
            seed=index // len(shipped),
            policy=POLICY,
            index=index,
        )
        for index in range(count)
    ]


def time_run_path(specs: Sequence[EpisodeSpec]) -> tuple[float, int]:
    sessions = [
        open_run(s.scenario_path, policy=s.policy, device="cpu", seed=s.seed, shadow=False, keep_records=False).session
        for s in specs
    ]
    decisions = 0
    start = time.perf_counter()
    for session in sessions:
        while not session.done:
            session.step()
            decisions += 1
    return time.perf_counter() - start, decisions


def time_sweep(specs: Sequence[EpisodeSpec], factory: EpisodeFactory) -> tuple[float, int]:
    sweep = BatchedSweep(specs, SweepSettings(device="cpu"), factory=factory)
    start = time.perf_counter()
    result = sweep.run()
    return time.perf_counter() - start, result.decisions


def time_workers(specs: Sequence[EpisodeSpec]) -> tuple[float, int]:
    start = time.perf_counter()
    result = run_sweep(specs, SweepSettings(device="cpu"), workers=2)
    return time.perf_counter() - start, result.decisions


def sample(call: Callable[[], tuple[float, int]], repeats: int) -> tuple[Timing, int]:
    call()  # warm-up: the first run pays for imports, caches and page faults
    seconds, counts = zip(*(call() for _ in range(repeats)), strict=True)
    assert len(set(counts)) == 1, counts
    return Timing(tuple(seconds)), counts[0]


def measure(plan: Plan, console: Console) -> list[Row]:
    factory = EpisodeFactory(resolve_device("cpu"), deterministic=False)
    rows = []
    for size in plan.sizes:
        specs = bench_specs(size)
        subset = specs[: plan.sequential_limit]
        console.print(f"[dim]measuring {size} episodes…[/]", highlight=False)
        calls: tuple[tuple[str, Callable[[], tuple[float, int]], int], ...] = (
            (RUN_PATH, functools.partial(time_run_path, subset), len(subset)),
            (SWEEP_ONE, functools.partial(time_sweep, specs, factory), size),
            (SWEEP_TWO, functools.partial(time_workers, specs), size),
        )
        for path, call, episodes in calls:
            timing, decisions = sample(call, plan.repeats)
            rows.append(Row(size, path, episodes, decisions, timing))
    return rows


def speedup(rows: Sequence[Row], row: Row) -> float:
    (reference,) = (other for other in rows if other.episodes == row.episodes and other.path == RUN_PATH)
    return row.rate / reference.rate


def render(console: Console, rows: Sequence[Row], plan: Plan) -> bool:
    table = Table(
        title=f"decisions per second, {POLICY} on every lesson in turn, sampling",
        caption=f"{plan.repeats} samples per row after one warm-up; median and min–max seconds per sample",
    )
    for column in ("episodes", "path", "decisions", "median", "min–max", "decisions/s", "× run path"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for row in rows:
        path = row.path if row.measured_episodes == row.episodes else f"{row.path} (first {row.measured_episodes})"
        table.add_row(
            str(row.episodes),
            path,
            f"{row.decisions:,}",
            format_duration(row.timing.median),
            format_range(row.timing),
            f"{row.rate:,.0f}",
            f"{speedup(rows, row):.1f}×",
        )
    console.print(table)
    largest = max(plan.sizes)
    (one_thread,) = (row for row in rows if row.episodes == largest and row.path == SWEEP_ONE)
    measured = speedup(rows, one_thread)
    passed = measured >= TARGET_SPEEDUP
    status = "[green]PASS[/green]" if passed else "[red]MISS[/red]"
    console.print(
        f"  {status}  sweep at {largest} episodes, 1 thread: ≥ {TARGET_SPEEDUP:g}× the run path's rate, "
        f"measured {measured:.1f}× ({one_thread.rate:,.0f} against "
        f"{one_thread.rate / measured:,.0f} decisions/s)"
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one sample each (smoke test)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    torch.set_num_threads(1)
    console = Console()
    console.width = max(console.width, 120)  # off a terminal Rich assumes 80 columns
    console.print(
        f"torch {torch.__version__}; 1 CPU thread per process (torch.set_num_threads(1)); "
        f"{os.cpu_count()} CPU cores; sizes {', '.join(map(str, plan.sizes))}",
        highlight=False,
    )
    rows = measure(plan, console)
    passed = render(console, rows, plan)
    if args.json is not None:
        report = {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cores": os.cpu_count(),
            "rows": [
                {
                    "episodes": row.episodes,
                    "path": row.path,
                    "measured_episodes": row.measured_episodes,
                    "decisions": row.decisions,
                    "timing": row.timing.to_dict(),
                    "decisions_per_s": row.rate,
                    "speedup": speedup(rows, row),
                }
                for row in rows
            ],
            "target": {"speedup": TARGET_SPEEDUP, "episodes": max(plan.sizes), "passed": passed},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
