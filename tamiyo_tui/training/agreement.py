"""How often two policies choose the same option on the same states, head by head.

Policy A acts; policy B decides in shadow on every state A's episode passes through (the session's
shadow mode), both deterministically (the LSTM takes each head's argmax). Every decision counts for
every head, except the slot head: it only counts where A's op targets a slot (A's op is not WAIT), since a
WAIT's slot carries no meaning. Steps where a scenario's scripted action was carried out count too: both
policies still decided on that state.

Scenarios run as written, or with ``seeds``: seed N is the scenario varied by seed N, exactly as the
behaviour-cloning rollouts vary it (``rollouts.vary_scenario``), so seeds outside the training range are
held-out states. A scenario whose slots are a subset of an LSTM checkpoint's layout is widened to that
layout (``Scenario.widened_to``), so a checkpoint for the default three slots covers the one- and
two-slot lessons too.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.checkpoint import load_checkpoint
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import PolicySpec, resolve_policy
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import Scenario
from tamiyo_tui.training.rollouts import training_variant

EXIT_OK = 0
WAIT = LifecycleOp.WAIT.name
# Which decisions each head's agreement is measured on (the table's "counted on" column).
COUNTED_ON = {head: "all decisions" for head in HEAD_NAMES} | {"slot": "A's op ≠ WAIT"}
# Heads listed first: the ones that say what happens; the others only shape how.
REPORT_ORDER = ("op", "slot", *(head for head in HEAD_NAMES if head not in ("op", "slot")))


@dataclass
class HeadTally:
    agree: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.agree / self.total if self.total else 0.0

    def add(self, same: bool) -> None:
        self.agree += same
        self.total += 1

    def __iadd__(self, other: HeadTally) -> HeadTally:
        self.agree += other.agree
        self.total += other.total
        return self


@dataclass(frozen=True, slots=True)
class Difference:
    """One head on one state where A and B chose differently."""

    scenario: str
    seed: int | None  # None: the scenario as written
    epoch: int
    head: str
    a: str  # A's option
    b: str  # B's option


@dataclass
class AgreementReport:
    policy_a: str
    policy_b: str
    seeds: tuple[int | None, ...]
    episodes: int = 0
    decisions: int = 0
    by_scenario: dict[str, dict[str, HeadTally]] = field(default_factory=dict)  # scenario -> head -> tally
    differences: list[Difference] = field(default_factory=list)

    def head(self, head: str) -> HeadTally:
        """``head``'s tally over every scenario."""
        total = HeadTally()
        for tallies in self.by_scenario.values():
            total += tallies[head]
        return total

    def add_decision(self, scenario: str, seed: int | None, epoch: int, a: dict[str, str], b: dict[str, str]) -> None:
        tallies = self.by_scenario.setdefault(scenario, {head: HeadTally() for head in HEAD_NAMES})
        self.decisions += 1
        for head in HEAD_NAMES:
            if head == "slot" and a["op"] == WAIT:
                continue
            same = a[head] == b[head]
            tallies[head].add(same)
            if not same:
                self.differences.append(Difference(scenario, seed, epoch, head, a[head], b[head]))


def compare_policies(
    policy_a: str,
    policy_b: str,
    scenario_paths: Sequence[str],
    seeds: Sequence[int | None] = (None,),
    device: str | torch.device = "cpu",
    on_episode: Callable[[], None] | None = None,
) -> AgreementReport:
    """Run every (scenario, seed) with A acting and B in shadow; bad input raises an InputError."""
    target = resolve_device(device) if isinstance(device, str) else device
    specs = (resolve_policy(policy_a), resolve_policy(policy_b))
    layout = _checkpoint_layout(specs)
    report = AgreementReport(specs[0].policy_id, specs[1].policy_id, tuple(seeds))
    bundles = _BundleCache(target)
    for path in scenario_paths:
        scenario = load_scenario(path)
        for seed in seeds:
            try:
                variant = training_variant(scenario, seed, layout or scenario.slot_config)
            except ValueError as err:
                raise InputError(str(err)) from None
            runner = PolicyRunner({"a": bundles.get(specs[0], variant), "b": bundles.get(specs[1], variant)}, target)
            session = InspectionSession(variant, runner, active="a", deterministic=True, keep_records=False)
            while not session.done:
                decisions = session.pending_decisions()
                report.add_decision(scenario.name, seed, session.epoch, decisions["a"].chosen, decisions["b"].chosen)
                session.step()
            report.episodes += 1
            if on_episode is not None:
                on_episode()
    return report


def _checkpoint_layout(specs: tuple[PolicySpec, PolicySpec]) -> SlotConfig | None:
    """The slot layout the policies' checkpoints were saved for (None: no checkpoint, any layout goes)."""
    layouts = {
        spec.checkpoint: load_checkpoint(spec.checkpoint).bundle.slot_config for spec in specs if spec.checkpoint
    }
    distinct = set(layouts.values())
    if len(distinct) > 1:
        described = ", ".join(f"{path}: {list(config.slot_ids)}" for path, config in layouts.items())
        raise InputError(f"the two checkpoints are for different slot layouts ({described})")
    return distinct.pop() if distinct else None


class _BundleCache:
    """One bundle per (policy, topology, slots): loading a checkpoint per episode would dominate the run."""

    def __init__(self, device: torch.device) -> None:
        self._device = device
        self._bundles: dict[tuple[str, str, tuple[str, ...]], PolicyBundle] = {}

    def get(self, spec: PolicySpec, scenario: Scenario) -> PolicyBundle:
        key = (spec.policy_id, scenario.topology, scenario.slot_config.slot_ids)
        if key not in self._bundles:
            self._bundles[key] = load_policies(spec, scenario, self._device).runner.bundles[spec.bundle]
        return self._bundles[key]


# --- rendering -----------------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _seeds_label(seeds: Sequence[int | None]) -> str:
    if tuple(seeds) == (None,):
        return "as written"
    numbers = [seed for seed in seeds if seed is not None]
    consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False
    if len(numbers) == 1:
        label = f"seed {numbers[0]}"
    else:
        label = f"seeds {numbers[0]}–{numbers[-1]}" if consecutive else f"seeds {numbers}"
    return ("as written + " if None in seeds else "") + label


def render_table(report: AgreementReport, max_differences: int = 15) -> Group:
    """Rich tables: agreement per head, per scenario (op and slot), then the first differing states."""
    summary = (
        f"agreement of [bold]{report.policy_b}[/] with [bold]{report.policy_a}[/] (acting): "
        f"{_count(report.episodes, 'episode')}, {_seeds_label(report.seeds)}, {_count(report.decisions, 'decision')}"
    )
    heads = Table(title="per head", title_justify="left")
    for column in ("head", "counted on", "agree", "decisions", "agreement"):
        heads.add_column(column, justify="left" if column in ("head", "counted on") else "right")
    for head in REPORT_ORDER:
        tally = report.head(head)
        heads.add_row(head, COUNTED_ON[head], str(tally.agree), str(tally.total), f"{tally.percent:.1f} %")
    scenarios = Table(title="per scenario", title_justify="left")
    for column in ("scenario", "op", "slot (op ≠ WAIT)"):
        scenarios.add_column(column, justify="left" if column == "scenario" else "right")
    for name, tallies in report.by_scenario.items():
        scenarios.add_row(name, *(_fraction(tallies[head]) for head in ("op", "slot")))
    parts: list[Table | str] = [summary, heads, scenarios]
    states = differing_states(report)
    if states:
        listed = Table(title=f"differing states (first {min(max_differences, len(states))} of {len(states)})")
        for column in ("scenario", "seed", "epoch", "head: A → B"):
            listed.add_column(column)
        for (scenario, seed, epoch), differences in list(states.items())[:max_differences]:
            listed.add_row(scenario, _seed_text(seed), str(epoch), _describe(differences))
        parts.append(listed)
    return Group(*parts)


def render_markdown(report: AgreementReport, max_differences: int = 15) -> str:
    """The same report as Markdown tables (for docs)."""
    lines = [
        f"Agreement of `{report.policy_b}` with `{report.policy_a}` (acting): {_count(report.episodes, 'episode')}, "
        f"{_seeds_label(report.seeds)}, {_count(report.decisions, 'decision')}.",
        "",
        "| head | counted on | agree | decisions | agreement |",
        "|---|---|---:|---:|---:|",
    ]
    for head in REPORT_ORDER:
        tally = report.head(head)
        lines.append(f"| {head} | {COUNTED_ON[head]} | {tally.agree} | {tally.total} | {tally.percent:.1f} % |")
    lines += ["", "| scenario | op | slot (op ≠ WAIT) |", "|---|---:|---:|"]
    for name, tallies in report.by_scenario.items():
        lines.append(f"| {name} | {_fraction(tallies['op'])} | {_fraction(tallies['slot'])} |")
    states = differing_states(report)
    if states:
        lines += [
            "",
            f"Differing states (first {min(max_differences, len(states))} of {len(states)}):",
            "",
            "| scenario | seed | epoch | head: A → B |",
            "|---|---:|---:|---|",
        ]
        for (scenario, seed, epoch), differences in list(states.items())[:max_differences]:
            lines.append(f"| {scenario} | {_seed_text(seed)} | {epoch} | {_describe(differences)} |")
    return "\n".join(lines) + "\n"


def differing_states(report: AgreementReport) -> dict[tuple[str, int | None, int], list[Difference]]:
    """Differences grouped by state (scenario, seed, epoch), in the order they happened."""
    states: dict[tuple[str, int | None, int], list[Difference]] = {}
    for difference in report.differences:
        states.setdefault((difference.scenario, difference.seed, difference.epoch), []).append(difference)
    return states


def _fraction(tally: HeadTally) -> str:
    return f"{tally.percent:.1f} % ({tally.agree}/{tally.total})" if tally.total else "—"


def _seed_text(seed: int | None) -> str:
    return "as written" if seed is None else str(seed)


def _describe(differences: list[Difference]) -> str:
    ordered = sorted(differences, key=lambda d: REPORT_ORDER.index(d.head))
    return ", ".join(f"{d.head}: {d.a} → {d.b}" for d in ordered)


# --- command line --------------------------------------------------------------------------------------

_SEED_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_seeds(text: str) -> list[int]:
    """``1000-1019``, ``3,7,9`` or a mix (``0-3,7``) → the seeds, in order; malformed text → InputError."""
    seeds: list[int] = []
    for item in text.split(","):
        match = _SEED_ITEM.match(item.strip())
        if match is None:
            raise InputError(f"--seeds: {item.strip()!r} is not a seed or a range like 1000-1019")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise InputError(f"--seeds: the range {item.strip()} runs backwards")
        seeds.extend(range(first, last + 1))
    return seeds


def agree_command(args: argparse.Namespace) -> int:
    seeds: list[int | None] = [None] if args.seeds is None else list(parse_seeds(args.seeds))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Transient: the bar leaves the terminal once the report is there; on a pipe it draws nothing.
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("episodes", total=len(args.scenarios) * len(seeds))
        report = compare_policies(
            args.policy_a, args.policy_b, args.scenarios, seeds, args.device, lambda: progress.advance(task)
        )
    Console().print(render_table(report, args.show))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(render_markdown(report, args.show))
    return EXIT_OK
