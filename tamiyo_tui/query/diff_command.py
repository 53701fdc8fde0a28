"""``tamiyo-tui diff A B``: the comparison of ``query/diff.py`` printed (Rich tables, or ``--json``); exit 0
when the runs decide alike at every epoch, 1 when they diverge (as ``diff`` does), 2 on bad input."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tamiyo_tui.errors import InputError
from tamiyo_tui.query.diff import HEADS, Comparison, Side, compare, read_side

EXIT_IDENTICAL, EXIT_DIVERGED = 0, 1


def diff_command(args: argparse.Namespace) -> int:
    shared = (args.env, args.episode)
    a = read_side("A", args.a, shared, (args.env_a, args.episode_a))
    b = read_side("B", args.b, shared, (args.env_b, args.episode_b))
    if shared != (None, None) and a.kind == b.kind == "record":
        raise InputError("--env / --episode: both sides are record files; the options select telemetry")
    comparison = compare(a, b)
    if args.json:
        print(json.dumps(as_json(comparison), indent=2))
    else:
        _print(comparison, Console())
    return EXIT_IDENTICAL if comparison.identical else EXIT_DIVERGED


def as_json(comparison: Comparison) -> dict:
    first = comparison.first
    return {
        "identical": comparison.identical,
        "a": _side_json(comparison.a),
        "b": _side_json(comparison.b),
        "heads": {head: {"agree": comparison.agree[head], "compared": comparison.compared[head]} for head in HEADS},
        "only_a": list(comparison.only_a),
        "only_b": list(comparison.only_b),
        "first_divergence": None
        if first is None
        else {
            "epoch": first,
            "a": _choices(comparison.a, first),
            "b": _choices(comparison.b, first),
            "open": _commands(comparison, first),
        },
    }


def _side_json(side: Side) -> dict:
    return {
        "path": side.path,
        "kind": side.kind,
        "env": side.env,
        "episode": side.episode,
        "epochs": len(side.decisions),
    }


def _choices(side: Side, epoch: int) -> dict | None:
    decision = side.decisions.get(epoch)
    return None if decision is None else {"action": decision.label(), "choices": decision.choices}


def _commands(comparison: Comparison, epoch: int) -> list[str]:
    """One per side that has a decision at ``epoch`` (a side without one has nothing to open there)."""
    return [side.open_command(epoch) for side in (comparison.a, comparison.b) if epoch in side.decisions]


def _print(comparison: Comparison, console: Console) -> None:
    a, b, first = comparison.a, comparison.b, comparison.first
    console.print(f"[bold]A[/bold] {escape(a.describe())}")
    console.print(f"[bold]B[/bold] {escape(b.describe())}")
    if first is None:
        epochs = len(a.decisions)
        console.print(f"[green]Identical:[/green] the same decision at each of the {epochs} epoch(s)")
    else:
        console.print(f"[red]First divergence at epoch {first}[/red]")
        for side in (a, b):
            decision = side.decisions.get(first)
            console.print(
                f"  {side.name}  "
                + ("[dim](no decision at this epoch)[/dim]" if decision is None else escape(decision.label()))
            )
    table = Table(caption="compared: the epochs where both sides' ops read the head")
    for column, justify in (("head", "left"), ("agree", "right"), ("compared", "right"), ("%", "right")):
        table.add_column(column, justify=justify)
    for head in HEADS:
        agree, compared = comparison.agree[head], comparison.compared[head]
        share = f"{100 * agree / compared:.0f}" if compared else "—"
        style = "red" if agree < compared else None
        table.add_row(head, str(agree), str(compared), share, style=style)
    console.print(table)
    for side, only in ((a, comparison.only_a), (b, comparison.only_b)):
        if only:
            console.print(f"epochs only {side.name} has: {', '.join(map(str, only))}")
    if first is not None:
        console.print("open the divergence:")
        for command in _commands(comparison, first):
            console.print(f"  {escape(command)}", soft_wrap=True)
