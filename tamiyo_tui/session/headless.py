"""Headless ``run`` and ``check``: a session driven to the end without a screen."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.policy.devices import use_one_cpu_thread
from tamiyo_tui.session.expectations import CheckFailure, count_checks, evaluate
from tamiyo_tui.session.jsonl import RecordWriter
from tamiyo_tui.session.loading import LoadedPolicies, load_policies
from tamiyo_tui.session.policy_spec import PolicySpec, open_scenario
from tamiyo_tui.session.recording import run_header, summarize_observation
from tamiyo_tui.session.records import DecisionRecord, FinalState, RunHeader
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.scenario import Scenario

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True, slots=True)
class OpenedRun:
    scenario: Scenario
    policies: LoadedPolicies
    session: InspectionSession
    header: RunHeader


def open_run(
    scenario_path: str,
    *,
    policy: str | None = None,
    device: str = "auto",
    seed: int | None = None,
    deterministic: bool = False,
    shadow: bool = True,
    keep_records: bool = True,
) -> OpenedRun:
    """Load a scenario and its policy and start a session on it; bad input raises an InputError."""
    scenario, spec = open_scenario(scenario_path, policy=policy, seed=seed)
    return start_run(
        scenario, spec, device=device, deterministic=deterministic, shadow=shadow, keep_records=keep_records
    )


def start_run(
    scenario: Scenario,
    spec: PolicySpec,
    *,
    device: str = "auto",
    deterministic: bool = False,
    shadow: bool = True,
    keep_records: bool = True,
) -> OpenedRun:
    """Load the policies ``spec`` names and start a session on ``scenario``, both already read.

    Sets torch to one CPU thread for the process (``use_one_cpu_thread``): a session decides one state at a time.
    """
    use_one_cpu_thread()
    policies = load_policies(spec, scenario, device)
    scenario = policies.scenario
    header = run_header(
        scenario,
        spec,
        device=str(policies.device),
        checkpoint_sha256=policies.checkpoint_sha256,
        telemetry_features=policies.runner.use_telemetry,
    )
    session = InspectionSession(
        scenario,
        policies.runner,
        active=policies.active,
        deterministic=deterministic,
        header=header,
        shadow=shadow,
        keep_records=keep_records,
    )
    return OpenedRun(scenario, policies, session, header)


def drive(session: InspectionSession, steps: int, on_record: Callable[[DecisionRecord], None]) -> None:
    for _ in range(steps):
        if session.done:
            break
        on_record(session.step())


# --- run ---------------------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    opened = open_run(
        args.scenario,
        policy=args.policy,
        device=args.device,
        seed=args.seed,
        deterministic=args.deterministic,
        shadow=False,  # nobody compares in a headless run: only the acting bundle decides
        keep_records=False,
    )
    session = opened.session
    total = opened.scenario.episode_length if args.steps is None else min(args.steps, opened.scenario.episode_length)
    tally = RunTally()
    writer = RecordWriter(args.out, opened.header) if args.out else None
    console = Console(stderr=True)
    try:
        with _progress(console, total, f"{opened.scenario.name} · {opened.header.policy_id}") as advance:

            def on_record(record: DecisionRecord) -> None:
                tally.add(record)
                if writer is not None:
                    writer.write(record)
                advance()

            drive(session, total, on_record)
        if writer is not None and session.done and session.position:
            last = session.entries[session.position - 1]
            writer.write(FinalState(last.step, last.branch, summarize_observation(session.final_observation())))
    finally:
        if writer is not None:
            writer.close()
    Console().print(tally.table(opened, session))
    if args.out:
        Console().print(f"[dim]{tally.decisions} decision records written to[/] {args.out}")
    return EXIT_OK


@contextmanager
def _progress(console: Console, total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal; silent when stderr is a file or a pipe."""
    if not console.is_terminal:
        yield lambda: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


class RunTally:
    """What the summary table shows, accumulated one record at a time (records are not kept)."""

    def __init__(self) -> None:
        self.decisions = 0
        self.by_op: Counter[str] = Counter()
        self.rejected_by_op: Counter[str] = Counter()
        self.rejections: list[DecisionRecord] = []
        self.quirks: Counter[str] = Counter()

    def add(self, record: DecisionRecord) -> None:
        self.decisions += 1
        self.by_op[record.op] += 1
        self.quirks.update(record.outcome.quirks)
        if not record.outcome.accepted:
            self.rejected_by_op[record.op] += 1
            if len(self.rejections) < 10:
                self.rejections.append(record)

    def table(self, opened: OpenedRun, session: InspectionSession) -> Group:
        header = opened.header
        ops = Table(title="decisions per op", title_justify="left")
        ops.add_column("op")
        ops.add_column("decisions", justify="right")
        ops.add_column("rejected", justify="right")
        for op in LifecycleOp:
            ops.add_row(op.name, str(self.by_op[op.name]), str(self.rejected_by_op[op.name]))
        slots = Table(title="final slot states", title_justify="left")
        for column in ("slot", "stage", "blueprint", "alpha"):
            slots.add_column(column, justify="right" if column == "alpha" else "left")
        for slot_id in opened.scenario.slot_config.slot_ids:
            seed = session.sim.seed_state(slot_id)
            if seed is None:
                slots.add_row(slot_id, "[dim]EMPTY[/]", "", "")
            else:
                slots.add_row(slot_id, seed.stage.name, seed.blueprint_id, f"{seed.alpha:.2f}")
        parts: list[RenderableType] = [
            f"[bold]{opened.scenario.name}[/]: {self.decisions} decisions by {header.policy_id} on {header.device}",
            Columns([ops, slots]),
        ]
        if self.rejections:
            rejected = Table(title="rejected actions (first 10)", title_justify="left")
            for column in ("epoch", "op", "slot", "reason"):
                rejected.add_column(column)
            for record in self.rejections:
                rejected.add_row(str(record.epoch), record.op, record.slot, record.outcome.reason)
            parts.append(rejected)
        if self.quirks:
            parts.append(
                "reference quirks triggered: " + ", ".join(f"{name} ×{n}" for name, n in sorted(self.quirks.items()))
            )
        return Group(*parts)


# --- check -------------------------------------------------------------------------------------------


def check_command(args: argparse.Namespace) -> int:
    failed = False
    out = Console(highlight=False, soft_wrap=True)  # one line per scenario, whatever the width
    for path in args.scenarios:
        failures, checks = check_scenario(path, device=args.device)
        for failure in failures:
            print(failure)
        failed = failed or bool(failures)
        mark = "[red]FAIL[/]" if failures else "[green]ok[/]  "
        out.print(f"{mark} {path} ({checks} checks, {len(failures)} failed)")
    return EXIT_FAILED if failed else EXIT_OK


def check_scenario(path: str, device: str = "cpu") -> tuple[list[CheckFailure], int]:
    """Run the scenario to its last expectation and evaluate every ``expect`` entry."""
    opened = open_run(path, device=device, shadow=False)
    scenario = opened.scenario
    last = max((e.at for e in scenario.expect), default=0)
    by_epoch: dict[int, DecisionRecord] = {}
    drive(opened.session, last, lambda record: by_epoch.__setitem__(record.epoch, record))
    failures = [failure for e in scenario.expect for failure in evaluate(e, by_epoch.get(e.at))]
    return failures, sum(count_checks(e) for e in scenario.expect)
