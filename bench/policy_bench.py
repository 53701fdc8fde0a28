"""Policy-stack benchmark: what one inspector decision costs on the readable path, on one CPU thread.

    python bench/policy_bench.py [--quick] [--json PATH]

The inspector and ``run`` decide one state at a time through the readable path: ``observation_features``,
the rule masks as tensors, ``FactoredRecurrentActorCritic.get_action`` and one host copy. This prints each
part and the whole decision (median and spread), the same decision read back with per-head ``.tolist()``
calls instead of the one host copy (on a CPU they cost alike; on a GPU each read is a synchronisation),
then PASS/MISS for the issue's target. Rows ``2016337e: …`` time esper-lite's later generation at its
default sizes (512 wide), at batch 1, at batch 1,024 and as a sweep of 1,024 episodes, beside the
reference's own ``get_action`` when ``ESPER_LITE_2016337E`` names its checkout (``bench/cases_2016337e.py``).
The 60205274 sweep against ``run``'s path is ``bench/sweep_bench.py``'s. The exit status is 0 whatever the
verdicts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from cases_2016337e import cases_2016337e
from common import (
    SEED,
    InspectorDecision,
    PolicyDecision,
    Timing,
    cycling,
    format_duration,
    format_range,
    measure,
    observation_pool,
)
from rich.console import Console
from rich.table import Table

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.features import observation_features
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.rules.masks import MaskInputs, explain_masks

# Headless `run` must make at least this many decisions per second on one CPU thread (issue 13); the
# policy's share of a step has to fit well inside 1/300 s, since the simulator and the record share it.
RUN_DECISIONS_PER_S = 300


@dataclass(frozen=True, slots=True)
class Plan:
    repeats: int
    min_repeat_s: float


FULL_PLAN = Plan(repeats=15, min_repeat_s=0.05)
QUICK_PLAN = Plan(repeats=3, min_repeat_s=0.0)


@dataclass(frozen=True, slots=True)
class Row:
    case: str
    timing: Timing  # seconds per call
    rows: int = 1  # decisions per call (a batch's rows)

    @property
    def per_second(self) -> float:
        return self.rows / self.timing.median


def per_tensor_reads(bundle: LSTMPolicyBundle) -> Callable[[Observation], object]:
    """The decision read back value by value, as code without the single host copy would."""
    decide = PolicyDecision(bundle)

    def call(obs: Observation) -> object:
        result = decide(obs)
        heads = result.heads
        assert heads is not None
        return [
            (int(result.action[h]), heads.raw_logits[h].tolist(), heads.probs[h].tolist(), float(heads.entropy[h]))
            for h in HEAD_NAMES
        ]

    return call


def bench(pool: Sequence[Observation], plan: Plan, quick: bool) -> list[Row]:
    lstm = LSTMPolicyBundle()
    heuristic = HeuristicPolicyBundle()
    batch = build_policy_batch(pool[:1])
    hidden = lstm.initial_hidden(1)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("features (observation_features)", cycling(observation_features, pool)),
        ("masks (explain_masks)", cycling(lambda obs: explain_masks(MaskInputs.from_observation(obs)), pool)),
        ("batch (features + masks as tensors)", cycling(lambda obs: build_policy_batch([obs]), pool)),
        ("LSTM get_action on a built batch", lambda: lstm.get_action(batch, hidden)),
        ("decision: LSTM, batch + get_action", cycling(PolicyDecision(lstm), pool)),
        ("decision + host copy: LSTM", cycling(InspectorDecision(lstm), pool)),
        ("decision + per-tensor reads: LSTM", cycling(per_tensor_reads(lstm), pool)),
        ("decision: heuristic", cycling(lambda obs: heuristic.get_action(build_policy_batch([obs])), pool)),
    ]
    rows = [Row(name, measure(call, plan.repeats, warmup=3, min_repeat_s=plan.min_repeat_s)) for name, call in cases]
    for case in cases_2016337e(pool, repeats=min(plan.repeats, 3), quick=quick):
        timing = case.timing
        if timing is None:
            assert case.call is not None
            timing = measure(case.call, plan.repeats, warmup=3, min_repeat_s=plan.min_repeat_s)
        rows.append(Row(case.name, timing, case.rows))
    return rows


def verdicts(rows: Sequence[Row]) -> list[dict[str, object]]:
    by_case = {row.case: row.timing for row in rows}
    decision = by_case["decision + host copy: LSTM"].median
    return [
        {
            "name": "decision + host copy, batch 1",
            "goal": f"≥ {RUN_DECISIONS_PER_S} decisions/s (headless run's rate, policy share only)",
            "measured": f"{1 / decision:.0f} decisions/s",
            "passed": 1 / decision >= RUN_DECISIONS_PER_S,
        },
    ]


def render(console: Console, rows: Sequence[Row], checks: Sequence[dict[str, object]], plan: Plan) -> None:
    table = Table(
        title=f"Readable decision path — 1 CPU thread (torch.set_num_threads(1)), torch {torch.__version__}",
        caption=(
            f"median of {plan.repeats} repeats (the sweep: 3); inputs cycle through scripted simulator observations "
            "(3 slots); per second: decisions (a batch's rows) per second"
        ),
    )
    table.add_column("case")
    table.add_column("median", justify="right")
    table.add_column("min–max", justify="right")
    table.add_column("per second", justify="right")
    for row in rows:
        median = row.timing.median
        table.add_row(row.case, format_duration(median), format_range(row.timing), f"{row.per_second:,.0f}")
    console.print(table)
    console.print("Targets:")
    for check in checks:
        status = "[green]PASS[/green]" if check["passed"] else "[red]MISS[/red]"
        console.print(f"  {status}  {check['name']}: {check['goal']}, measured {check['measured']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few repeats only (smoke test)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    rows = bench(observation_pool(), plan, args.quick)
    checks = verdicts(rows)
    console = Console()
    console.width = max(console.width, 100)
    render(console, rows, checks, plan)
    if args.json is not None:
        report = {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "rows": [{"case": row.case, "rows_per_call": row.rows, **row.timing.to_dict()} for row in rows],
            "targets": checks,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
