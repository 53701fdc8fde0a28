"""Session benchmark: headless decisions per second, step-back latency, and the memory cost of keeping history.

    python bench/session_bench.py [--quick] [--json PATH] [--profile STEPS]

Speed: whole ``InspectionSession.step()`` calls (simulator, mask explanation, policy, record) on one CPU thread,
for the heuristic and the LSTM bundle, the way ``run`` drives a session (shadow off: only the acting bundle
decides; records not kept) and the way the TUI does (shadow on: every bundle decides; records cached).

Memory: resident-set growth of a long headless LSTM run, each case in a fresh interpreter, against a naive
history that snapshots every step (``checkpoint_every=1``). ``--profile`` prints where one headless LSTM step
spends its time. The exit status is 0 whatever the verdicts: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from common import SEED, Timing
from rich.console import Console
from rich.table import Table

from tamiyo_tui.domain.actions import BlueprintAction
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.session.session import DEFAULT_CHECKPOINT_EVERY, RECORD_CACHE_SIZE, InspectionSession
from tamiyo_tui.sim.scenario import AccuracyGenerator, BlueprintEffect, HostScript, Scenario

RUN_RATE_TARGET = 300.0  # decisions per second, headless (shadow off), one CPU thread, each bundle
MEMORY_TARGET_BYTES = 100e6
MEMORY_TARGET_STEPS = 100_000
MEMORY_WARMUP_STEPS = 200  # before the first RSS reading: torch's and the allocator's one-off costs
NAIVE_CHECKPOINT_EVERY = 1


@dataclass(frozen=True, slots=True)
class Plan:
    runs: int
    steps: int  # timed steps per run
    warmup: int  # untimed steps per run before the clock starts
    step_backs: int
    memory_steps: int
    memory_in_subprocess: bool  # a fresh interpreter per memory case; the quick plan measures in this one


FULL_PLAN = Plan(
    runs=5,
    steps=1_000,
    warmup=20,
    step_backs=2 * DEFAULT_CHECKPOINT_EVERY,
    memory_steps=MEMORY_TARGET_STEPS,
    memory_in_subprocess=True,
)
QUICK_PLAN = Plan(runs=3, steps=40, warmup=5, step_backs=8, memory_steps=300, memory_in_subprocess=False)


@dataclass(frozen=True, slots=True)
class SpeedCase:
    label: str
    bundle: str
    shadow: bool  # shadow on is also what the TUI does with records: it keeps them (bounded cache)


SPEED_CASES = (
    SpeedCase("run: shadow off, records not kept", "heuristic", shadow=False),
    SpeedCase("run: shadow off, records not kept", "lstm", shadow=False),
    SpeedCase("TUI: shadow on, records cached", "heuristic", shadow=True),
    SpeedCase("TUI: shadow on, records cached", "lstm", shadow=True),
)


@dataclass(frozen=True, slots=True)
class MemoryCase:
    label: str
    checkpoint_every: int
    keep_records: bool


MEMORY_CASES = (
    MemoryCase(f"run: records not kept, checkpoint every {DEFAULT_CHECKPOINT_EVERY}", DEFAULT_CHECKPOINT_EVERY, False),
    MemoryCase(
        f"TUI: {RECORD_CACHE_SIZE} records cached, checkpoint every {DEFAULT_CHECKPOINT_EVERY}",
        DEFAULT_CHECKPOINT_EVERY,
        True,
    ),
    MemoryCase("naive reference: snapshot every step", NAIVE_CHECKPOINT_EVERY, False),
)


@dataclass(frozen=True, slots=True)
class MemoryResult:
    case: MemoryCase
    steps: int
    rss_growth: int  # bytes, after gc, from the end of the warm-up to the end of the run
    seconds: float


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    goal: str
    measured: str
    passed: bool


def bench_scenario(episode_length: int) -> Scenario:
    """Three slots, a noisy host that plateaus, blueprints that help and one that hurts: an untrained LSTM
    germinates, prunes and gets rejected all along; the heuristic waits, then germinates on the plateau."""
    return Scenario(
        name="session bench",
        description="a long policy-driven run for the session benchmark",
        host=HostScript(val_accuracy=AccuracyGenerator(start=40.0, end=80.0, plateau_at=30, noise=0.5)),
        seed=SEED,
        episode_length=episode_length,
        blueprints={
            "default": BlueprintEffect(contribution=2.0, params=1_000),
            BlueprintAction.ATTENTION.to_blueprint_id(): BlueprintEffect(contribution=-1.0, params=20_000),
        },
    )


def make_runner(scenario: Scenario, bundle: str) -> PolicyRunner:
    return load_policies(resolve_policy(bundle), scenario, "cpu").runner


def new_session(scenario: Scenario, runner: PolicyRunner, bundle: str, shadow: bool) -> InspectionSession:
    """A session from the episode's start; with shadow on it also keeps records, as the TUI does."""
    runner.reset()
    return InspectionSession(scenario, runner, active=bundle, deterministic=False, shadow=shadow, keep_records=shadow)


# --- speed ---------------------------------------------------------------------------------------------


def bench_speed(case: SpeedCase, plan: Plan) -> Timing:
    """Seconds per decision, one sample per run of ``plan.steps`` steps (each run a fresh session)."""
    scenario = bench_scenario(plan.warmup + plan.steps)
    runner = make_runner(scenario, case.bundle)
    samples = []
    for _ in range(plan.runs):
        session = new_session(scenario, runner, case.bundle, case.shadow)
        for _ in range(plan.warmup):
            session.step()
        start = time.perf_counter()
        for _ in range(plan.steps):
            session.step()
        samples.append((time.perf_counter() - start) / plan.steps)
    return Timing(tuple(samples))


def bench_step_back(plan: Plan) -> Timing:
    """``step_back(1)`` from successive positions of a TUI-mode LSTM run: restore a checkpoint, replay the rest."""
    scenario = bench_scenario(plan.warmup + plan.steps)
    session = new_session(scenario, make_runner(scenario, "lstm"), "lstm", shadow=True)
    for _ in range(plan.warmup + plan.steps):
        session.step()
    samples = []
    for _ in range(plan.step_backs):
        start = time.perf_counter()
        session.step_back(1)
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


# --- memory --------------------------------------------------------------------------------------------


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(case: MemoryCase, steps: int) -> MemoryResult:
    """RSS growth of a headless LSTM run (shadow off, as ``run``) over ``steps`` steps after a warm-up.

    Shadow mode would change no history: every checkpoint's runner state holds both bundles either way.
    """
    scenario = bench_scenario(MEMORY_WARMUP_STEPS + steps)
    session = InspectionSession(
        scenario,
        make_runner(scenario, "lstm"),
        active="lstm",
        shadow=False,
        keep_records=case.keep_records,
        checkpoint_every=case.checkpoint_every,
    )
    for _ in range(MEMORY_WARMUP_STEPS):
        session.step()
    gc.collect()
    before, start = _resident_bytes(), time.perf_counter()
    for _ in range(steps):
        session.step()
    seconds = time.perf_counter() - start
    gc.collect()
    return MemoryResult(case, steps, _resident_bytes() - before, seconds)


def bench_memory(plan: Plan) -> list[MemoryResult]:
    """Every case in a fresh interpreter, all at once (RSS is per process; their clocks are not reported)."""
    if not plan.memory_in_subprocess:
        return [measure_memory(case, plan.memory_steps) for case in MEMORY_CASES]
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--memory-child", str(index), "--memory-steps", str(plan.memory_steps)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(len(MEMORY_CASES))
    ]
    results = []
    for case, child in zip(MEMORY_CASES, children, strict=True):
        out, _ = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"memory run {case.label!r} failed with exit code {child.returncode}")
        data = json.loads(out.splitlines()[-1])
        results.append(MemoryResult(case, plan.memory_steps, data["rss_growth"], data["seconds"]))
    return results


# --- profile -------------------------------------------------------------------------------------------


def profile(steps: int, console: Console) -> None:
    """The functions one headless LSTM step spends its time in, per step (cProfile inflates Python-heavy code)."""
    scenario = bench_scenario(steps + 20)
    session = new_session(scenario, make_runner(scenario, "lstm"), "lstm", shadow=False)
    for _ in range(20):
        session.step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        session.step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    table = Table(title=f"cProfile of {steps} headless LSTM steps (shadow off), top 25 by cumulative time")
    for header in ("function", "calls/step", "cumulative µs/step", "own µs/step"):
        table.add_column(header, justify="left" if header == "function" else "right")
    entries = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)  # type: ignore[attr-defined]
    for (file, line, name), (_, calls, own, cumulative, _) in entries[:25]:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
        table.add_row(
            f"{name} ({where})", f"{calls / steps:.1f}", f"{cumulative / steps * 1e6:.0f}", f"{own / steps * 1e6:.0f}"
        )
    console.print(table)


# --- output --------------------------------------------------------------------------------------------


def _rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}/s"


def _megabytes(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def verdicts(speed: dict[SpeedCase, Timing], memory: Sequence[MemoryResult]) -> list[Verdict]:
    headless = memory[0]
    scale = MEMORY_TARGET_STEPS / headless.steps
    growth = headless.rss_growth * scale
    over = f"{MEMORY_TARGET_STEPS:,} steps" + ("" if scale == 1 else f" (extrapolated from {headless.steps:,})")
    runs = [(case.bundle, timing) for case, timing in speed.items() if not case.shadow]
    return [
        *(
            Verdict(
                f"headless run, {bundle}: decisions per second on one CPU thread (shadow off), median",
                f"≥ {RUN_RATE_TARGET:,.0f}/s",
                _rate(timing.median),
                1 / timing.median >= RUN_RATE_TARGET,
            )
            for bundle, timing in runs
        ),
        Verdict(
            f"RSS growth over {over}, headless LSTM, records not kept",
            f"≤ {_megabytes(MEMORY_TARGET_BYTES)}",
            _megabytes(growth),
            growth <= MEMORY_TARGET_BYTES,
        ),
    ]


def render(
    console: Console,
    plan: Plan,
    speed: dict[SpeedCase, Timing],
    step_back: Timing,
    memory: Sequence[MemoryResult],
    checks: Sequence[Verdict],
) -> None:
    table = Table(
        title=f"Session: decisions per second — 1 CPU thread (torch.set_num_threads(1)), torch {torch.__version__}",
        caption=f"{plan.runs} runs of {plan.steps:,} steps after {plan.warmup} untimed steps, each a fresh session",
    )
    table.add_column("mode")
    table.add_column("bundle")
    for header in ("median", "min–max", "µs per decision"):
        table.add_column(header, justify="right")
    for case, timing in speed.items():
        table.add_row(
            case.label,
            case.bundle,
            _rate(timing.median),
            f"{1 / timing.maximum:,.0f} – {1 / timing.minimum:,.0f}/s",
            f"{timing.median * 1e6:,.0f}",
        )
    table.add_row(
        f"step back 1 (TUI, checkpoint every {DEFAULT_CHECKPOINT_EVERY})",
        "lstm",
        f"{step_back.median * 1e3:.2f} ms",
        f"{step_back.minimum * 1e3:.2f} – {step_back.maximum * 1e3:.2f} ms",
        "",
    )
    console.print(table)

    where = "a fresh interpreter each" if plan.memory_in_subprocess else "in this interpreter (quick)"
    mem = Table(
        title=f"Session: memory of keeping history — headless LSTM, {plan.memory_steps:,} steps, {where}",
        caption=f"resident set (/proc/self/statm) after gc, from step {MEMORY_WARMUP_STEPS} to the end",
    )
    mem.add_column("history")
    for header in ("RSS growth", "bytes per step", "naive ÷ this"):
        mem.add_column(header, justify="right")
    naive = memory[-1]
    for result in memory:
        mem.add_row(
            result.case.label,
            _megabytes(result.rss_growth),
            f"{result.rss_growth / result.steps:,.0f}",
            f"{naive.rss_growth / result.rss_growth:.1f}×" if result.rss_growth > 0 else "—",
        )
    console.print(mem)
    console.print("Targets:")
    for check in checks:
        status = "[green]PASS[/green]" if check.passed else "[red]MISS[/red]"
        console.print(f"  {status}  {check.name}: {check.goal}, measured {check.measured}", soft_wrap=True)


def to_json(
    plan: Plan,
    speed: dict[SpeedCase, Timing],
    step_back: Timing,
    memory: Sequence[MemoryResult],
    checks: Sequence[Verdict],
) -> dict[str, object]:
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "plan": asdict(plan),
        "speed": [
            {**asdict(case), "seconds_per_decision": timing.to_dict(), "decisions_per_s": 1 / timing.median}
            for case, timing in speed.items()
        ],
        "step_back": step_back.to_dict(),
        "memory": [
            {
                **asdict(result.case),
                "steps": result.steps,
                "rss_growth": result.rss_growth,
                "seconds": result.seconds,
            }
            for result in memory
        ],
        "targets": [asdict(check) for check in checks],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few and short runs (smoke test)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    parser.add_argument("--profile", type=int, metavar="STEPS", help="only profile STEPS headless LSTM steps")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)  # index into MEMORY_CASES
    parser.add_argument("--memory-steps", type=int, default=MEMORY_TARGET_STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    if args.memory_child is not None:
        result = measure_memory(MEMORY_CASES[args.memory_child], args.memory_steps)
        print(json.dumps({"rss_growth": result.rss_growth, "seconds": result.seconds}))
        return 0

    console = Console()
    # Off a terminal Rich assumes 80 columns, which would wrap the tables; they need about 110.
    console.width = max(console.width, 120)
    if args.profile is not None:
        profile(args.profile, console)
        return 0

    plan = QUICK_PLAN if args.quick else FULL_PLAN
    speed = {case: bench_speed(case, plan) for case in SPEED_CASES}
    step_back = bench_step_back(plan)
    memory = bench_memory(plan)
    checks = verdicts(speed, memory)
    render(console, plan, speed, step_back, memory, checks)
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(plan, speed, step_back, memory, checks), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
