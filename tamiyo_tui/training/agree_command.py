"""``tamiyo-tui agree``: run the comparison with a progress bar, print the report, write it as Markdown.

Its own module so that the comparison (``agreement``) and its rendering (``agreement_render``) never
import each other: this one imports both.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from tamiyo_tui.errors import InputError
from tamiyo_tui.training.agreement import compare_policies, parse_seeds
from tamiyo_tui.training.agreement_render import render_markdown, render_table
from tamiyo_tui.training.progress import PhaseDisplay

EXIT_OK = 0


def agree_command(args: argparse.Namespace) -> int:
    if not args.scenarios and args.generated is None:
        raise InputError("agree: give at least one SCENARIO or --generated RANGE")
    seeds: list[int | None] = [None] if args.seeds is None else list(parse_seeds(args.seeds))
    generated = [] if args.generated is None else parse_seeds(args.generated, "--generated")
    # Transient: the bar leaves the terminal once the report is there; on a pipe it draws nothing.
    with PhaseDisplay(Console(stderr=True), transient=True) as display:
        advance = display.task("episodes", len(args.scenarios) * len(seeds) + len(generated))
        report = compare_policies(
            args.policy_a, args.policy_b, args.scenarios, seeds, args.device, lambda: advance(""), generated
        )
    Console().print(render_table(report, args.show))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(render_markdown(report, args.show))
    return EXIT_OK
