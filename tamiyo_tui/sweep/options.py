"""The sweep command's options, checked without torch so that bad input is reported at once.

The CLI calls ``sweep_plan`` before it imports anything heavy: an unknown scenario, a backwards seed range
or a bad threshold is one line and exit code 2, not a traceback after torch has loaded.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass

from tamiyo_tui.device_spec import parse_device_spec
from tamiyo_tui.domain.constants import MAX_SEED
from tamiyo_tui.errors import InputError
from tamiyo_tui.session.findings import Thresholds
from tamiyo_tui.shipped import scenario_path

_SEED_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")
DEFAULT_TOP = 20


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What the command line asks for, checked."""

    scenarios: tuple[tuple[str, str], ...]  # (as given, the file it names)
    seeds: tuple[int | None, ...]  # None: the scenario's own seed
    seeds_text: str  # as given, for the sweep file's header
    policies: tuple[str | None, ...]  # None: the scenario's own policy key
    device: str
    deterministic: bool
    workers: int
    thresholds: Thresholds
    out: str | None
    top: int


def parse_seeds(text: str) -> list[int]:
    """``0-1023``, ``3,7,9`` or a mix (``0-3,7``) → the seeds, in order; anything else is an InputError."""
    seeds: list[int] = []
    for item in text.split(","):
        match = _SEED_ITEM.match(item.strip())
        if match is None:
            raise InputError(f"--seeds: {item.strip()!r} is not a seed or a range like 0-1023")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise InputError(f"--seeds: the range {item.strip()} runs backwards (did you mean {last}-{first}?)")
        if last > MAX_SEED:
            raise InputError(f"--seeds: {last}: a seed must be below 2**63")
        seeds.extend(range(first, last + 1))
    return seeds


def sweep_plan(args: argparse.Namespace) -> SweepPlan:
    """The checked plan; every problem the command line can have raises an InputError here."""
    kind, _ = parse_device_spec(args.device)
    if kind == "cuda" and args.workers > 1:
        raise InputError(f"--workers {args.workers}: on cuda one process batches every episode on the device")
    if args.out is not None:
        folder = os.path.dirname(args.out) or "."
        if not os.path.isdir(folder):  # found now, not after the sweep has run
            raise InputError(f"--out {args.out}: the folder {folder} does not exist")
    thresholds = Thresholds(
        high_entropy=args.entropy_above, low_probability=args.probability_below, value_drop=args.value_drop
    )
    return SweepPlan(
        scenarios=tuple((text, scenario_path(text)) for text in args.sweep_scenarios),
        seeds=(None,) if args.seeds is None else tuple(parse_seeds(args.seeds)),
        seeds_text=args.seeds or "each scenario's own",
        policies=tuple(args.policy) if args.policy else (None,),
        device=args.device,
        deterministic=args.deterministic,
        workers=args.workers,
        thresholds=thresholds,
        out=args.out,
        top=args.top,
    )
