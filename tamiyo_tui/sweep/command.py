"""``tamiyo-tui sweep SCENARIO… [--seeds 0-1023] [--policy …]… [--device …] [--workers N] [--out FILE]``.

Runs every (scenario, policy, seed) episode with the batched stack, with a progress bar on a terminal,
then prints the decisions worth a look, ranked, each with the command that opens the inspector at it, and
writes them all to ``--out`` as a sweep file (``tamiyo-tui review FILE`` lists them).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from tamiyo_tui import __version__
from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.session.findings import FLAG_NAMES, Finding, SweepHeader, rank_key, write_sweep_file
from tamiyo_tui.sweep.episodes import EpisodeFactory, sweep_episodes
from tamiyo_tui.sweep.options import SweepPlan, sweep_plan
from tamiyo_tui.sweep.runner import SweepResult, SweepSettings
from tamiyo_tui.sweep.workers import run_sweep

EXIT_OK = 0


def sweep_command(args: argparse.Namespace) -> int:
    plan = sweep_plan(args)
    device = resolve_device(plan.device)  # a device this machine lacks is bad input, before anything runs
    if device.type == "cuda" and plan.workers > 1:  # --device auto found one
        raise InputError(f"--workers {plan.workers}: on cuda one process batches every episode on the device")
    specs = sweep_episodes(plan.scenarios, plan.seeds, plan.policies)
    # Every scenario and policy loads here first: a bad checkpoint is reported before any worker starts.
    factory = EpisodeFactory(device, plan.deterministic)
    total = sum(factory.scenario_of(spec).episode_length for spec in specs)
    settings = SweepSettings(device=str(device), deterministic=plan.deterministic, thresholds=plan.thresholds)
    started = time.perf_counter()
    with _progress(Console(stderr=True), total, f"sweep · {len(specs)} episodes") as advance:
        result = run_sweep(specs, settings, plan.workers, advance, factory=factory)
    elapsed = time.perf_counter() - started
    findings = sorted(result.findings, key=rank_key)
    header = _header(plan, str(device), result, findings)
    out = Console()
    if not out.is_terminal:  # a file or a pipe: wide enough that every command stays on one line
        out = Console(width=140)
    out.print(report(header, findings, plan.top, elapsed))
    if plan.out is not None:
        write_sweep_file(plan.out, header, findings)
        written = _count(len(findings), "finding")
        out.print(f"[dim]{written} written to[/] {plan.out} [dim](open them: tamiyo-tui review {plan.out})[/]")
    return EXIT_OK


def _header(plan: SweepPlan, device: str, result: SweepResult, findings: list[Finding]) -> SweepHeader:
    counts = Counter(name for finding in findings for name in finding.flag_names)
    return SweepHeader(
        tool_version=__version__,
        scenarios=tuple(given for given, _ in plan.scenarios),
        seeds=plan.seeds_text,
        policies=plan.policies,
        device=device,
        deterministic=plan.deterministic,
        thresholds=plan.thresholds,
        episodes=result.episodes,
        decisions=result.decisions,
        findings=len(findings),
        flag_counts={name: counts[name] for name in FLAG_NAMES},
    )


def report(header: SweepHeader, findings: list[Finding], top: int, elapsed: float | None = None) -> Group:
    """The summary line, the count per flag and the table of the top findings."""
    rate = "" if not elapsed else f" in {elapsed:.1f} s ({header.decisions / elapsed:,.0f} decisions/s)"
    summary = (
        f"[bold]sweep[/]: {_count(header.episodes, 'episode')}, {_count(header.decisions, 'decision')} on "
        f"{header.device}{rate}; {_count(header.findings, 'decision')} worth a look"
    )
    counts = " · ".join(f"{name} {header.flag_counts.get(name, 0)}" for name in FLAG_NAMES)
    parts: list[RenderableType] = [summary, f"[dim]flags:[/] {counts}"]
    if findings and top > 0:
        parts.append(findings_table(findings[:top], len(findings)))
    return Group(*parts)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def findings_table(findings: list[Finding], total: int) -> Table:
    """One row per finding: where it is, what was done, why it is worth a look, and the command that opens it."""
    table = Table(title=f"decisions worth a look (top {len(findings)} of {total})", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("decision · open it with")
    table.add_column("why")
    for rank, finding in enumerate(findings, start=1):
        decision = Text.assemble(
            f"{finding.scenario} · seed {finding.seed} · {finding.policy_id} · epoch {finding.epoch}: ",
            (finding.action, "bold"),
            "\n",
            (finding.command(), "cyan"),
        )
        why = Text("\n".join(f"{flag.name}: {flag.detail}" for flag in finding.flags))
        table.add_row(str(rank), f"{finding.score:.2f}", decision, why)
    return table


@contextmanager
def _progress(console: Console, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar over decisions on a terminal; silent when stderr is a file or a pipe."""
    if not console.is_terminal:
        yield lambda decisions: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda decisions: progress.advance(task, decisions)
