"""An agreement report as Rich tables (the terminal) and as Markdown (docs): per head, per scenario, the
reliability table of B's op (and slot, blueprint) probabilities, close-call entropy, differing states."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table

from tamiyo_tui.training.agreement import (
    BLUEPRINT_ON_GERMINATE,
    CALIBRATED_HEADS,
    COUNTED_ON,
    REPORT_ORDER,
    AgreementReport,
    Difference,
    HeadTally,
    differing_states,
)
from tamiyo_tui.training.calibration import CLOSE_CALL_MARGIN, Reliability

SCENARIO_COLUMNS = ("op", "slot", BLUEPRINT_ON_GERMINATE)
SCENARIO_HEADERS = ("scenario", "op", "slot (op ≠ WAIT)", "blueprint (on GERMINATE)")
CALIBRATION_HEADERS = ("p (B's choice)", "decisions", "mean p", "agreement", "gap")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _label(report: AgreementReport) -> str:
    """What the report ran on: the files' seeds, the generated seeds, or both."""
    parts = [_seeds_label(report.seeds)] if report.by_files else []
    if report.generated:
        first, count = report.generated[0], len(report.generated)
        consecutive = list(report.generated) == list(range(first, first + count))
        parts.append(
            f"generated seeds {first}–{report.generated[-1]}"
            if consecutive and count > 1
            else f"generated seeds {list(report.generated)}"
        )
    return " + ".join(parts)


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
    """Rich tables: agreement per head, per scenario, reliability, then the first differing states."""
    summary = (
        f"agreement of [bold]{report.policy_b}[/] with [bold]{report.policy_a}[/] (acting): "
        f"{_count(report.episodes, 'episode')}, {_label(report)}, {_count(report.decisions, 'decision')}"
    )
    heads = Table(title="per head", title_justify="left")
    for column in ("head", "counted on", "agree", "decisions", "agreement"):
        heads.add_column(column, justify="left" if column in ("head", "counted on") else "right")
    for head in REPORT_ORDER:
        tally = report.head(head)
        heads.add_row(head, COUNTED_ON[head], str(tally.agree), str(tally.total), f"{tally.percent:.1f} %")
    scenarios = Table(title="per scenario", title_justify="left")
    for column in SCENARIO_HEADERS:
        scenarios.add_column(column, justify="left" if column == "scenario" else "right")
    for name, tallies in _scenario_rows(report):
        scenarios.add_row(name, *(_fraction(tallies.get(head, HeadTally())) for head in SCENARIO_COLUMNS))
    parts: list[Table | str] = [summary, heads, scenarios]
    for head in CALIBRATED_HEADS:
        rel = report.reliability(head)
        if not rel.count:
            continue
        table = Table(title=f"reliability of B's {head} probabilities · {_ece_text(rel)}", title_justify="left")
        for column in CALIBRATION_HEADERS:
            table.add_column(column, justify="left" if column == CALIBRATION_HEADERS[0] else "right")
        for row in _calibration_rows(rel):
            table.add_row(*row)
        parts.append(table)
    parts.append(_close_call_text(report))
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
        f"{_label(report)}, {_count(report.decisions, 'decision')}.",
        "",
        "| head | counted on | agree | decisions | agreement |",
        "|---|---|---:|---:|---:|",
    ]
    for head in REPORT_ORDER:
        tally = report.head(head)
        lines.append(f"| {head} | {COUNTED_ON[head]} | {tally.agree} | {tally.total} | {tally.percent:.1f} % |")
    lines += ["", _md_row(SCENARIO_HEADERS), "|---|---:|---:|---:|"]
    for name, tallies in _scenario_rows(report):
        lines.append(_md_row((name, *(_fraction(tallies.get(head, HeadTally())) for head in SCENARIO_COLUMNS))))
    for head in CALIBRATED_HEADS:
        rel = report.reliability(head)
        if not rel.count:
            continue
        lines += ["", f"Reliability of B's {head} probabilities ({_ece_text(rel)}):", ""]
        lines += [_md_row(CALIBRATION_HEADERS), "|---|---:|---:|---:|---:|"]
        lines += [_md_row(row) for row in _calibration_rows(rel)]
    lines += ["", _close_call_text(report)]
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


def _scenario_rows(report: AgreementReport) -> list[tuple[str, dict[str, HeadTally]]]:
    """Scenario files in their order, then the generated grids sorted by shape."""
    return sorted(
        report.by_scenario.items(),
        key=lambda item: (item[0] in report.generated_groups, item[0] if item[0] in report.generated_groups else ""),
    )


def _calibration_rows(rel: Reliability) -> list[tuple[str, ...]]:
    return [
        (f"{b.low:.2f}–{b.high:.2f}", str(b.count), f"{b.mean_confidence:.3f}", f"{b.agreement:.3f}", f"{b.gap:.3f}")
        for b in rel.bins
        if b.count
    ] + [("all", str(rel.count), f"{rel.mean_confidence:.3f}", f"{rel.agreement:.3f}", f"ECE {rel.ece:.3f}")]


def _ece_text(rel: Reliability) -> str:
    return f"ECE {rel.ece:.3f} over {_count(rel.count, 'decision')}"


def _close_call_text(report: AgreementReport) -> str:
    close, close_n = report.mean_entropy(True)
    other, other_n = report.mean_entropy(False)
    return (
        f"B's op entropy (normalized): mean {close:.3f} on {_count(close_n, 'close call')} (the heuristic's op "
        f"rests on a number within {CLOSE_CALL_MARGIN} points of its rule's threshold), "
        f"mean {other:.3f} on the other {_count(other_n, 'decision')}."
    )


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _fraction(tally: HeadTally) -> str:
    return f"{tally.percent:.1f} % ({tally.agree}/{tally.total})" if tally.total else "—"


def _seed_text(seed: int | None) -> str:
    return "as written" if seed is None else str(seed)


def _describe(differences: list[Difference]) -> str:
    ordered = sorted(differences, key=lambda d: REPORT_ORDER.index(d.head))
    return ", ".join(f"{d.head}: {d.a} → {d.b}" for d in ordered)
