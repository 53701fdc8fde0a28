"""Policy-stack benchmark: the fast paths against their readable reference paths, on one CPU thread.

    python bench/policy_bench.py [--quick] [--json PATH]

Prints one table (case, batch size, fast and reference timings, speed-up), then the targets with a
PASS/MISS computed from the measurements. Inputs are observations of scripted simulator episodes on the
default 3-slot config (``common.observation_pool``), cycled so that consecutive calls see different
states. The exit status is 0 whatever the verdicts: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from common import (
    SEED,
    InspectorDecision,
    PolicyDecision,
    Timing,
    batches,
    cycling,
    format_duration,
    format_range,
    measure_pair,
    observation_pool,
)
from rich.console import Console
from rich.table import Table

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.features import batch_features, batch_features_reference
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.masks import compute_batch_masks, compute_batch_masks_reference
from tamiyo_tui.policy.network import FactoredRecurrentActorCritic
from tamiyo_tui.policy.types import ActionResult, Hidden
from tamiyo_tui.rules.masks import MaskInputs

ENV_BATCH_SIZES = (1, 16, 128, 1024)
NETWORK_BATCH_SIZES = (1, 256)
INPUT_BATCHES = 4  # distinct input batches cycled per case (batch size 1 cycles through the whole pool)
HIDDEN_WARMUP_STEPS = 8  # LSTM steps run over real features to get a realistic, non-zero hidden state

CASE_MASKS = "batch masks"
CASE_FEATURES = "batch features"
CASE_DECISION = "decision"  # the "full decision": features + masks + forward + sample
CASE_DECISION_HOST = "decision + host copy"  # what the inspector pays per step: the displayed values too
CASE_FORWARD = "network forward"
CASE_GET_ACTION = "network get_action"

# The reference implementation on this machine kind, one CPU thread (per env for masks and features).
REFERENCE_MASKS_PER_ENV_S = 100e-6
REFERENCE_FEATURES_PER_ENV_S = 360e-6
REFERENCE_GET_ACTION_S = 4.8e-3
REFERENCE_FORWARD_S = 1.25e-3

MASKS_SPEEDUP_TARGET = 20.0
FEATURES_SPEEDUP_TARGET = 10.0
DECISION_MEDIAN_TARGET_S = 0.6e-3


@dataclass(frozen=True, slots=True)
class Plan:
    """How hard to measure. ``slow_repeats`` applies to the reference path at the largest env batch."""

    repeats: int
    slow_repeats: int
    warmup: int
    min_repeat_s: float


# Samples of 50 ms: each path's sample starts right after the other's, with cold caches. Measured: after a
# 32 MB sweep the first decision took 1.6 ms and the next five were still slow; alternating 5 ms samples
# with the reference added 100–200 µs per decision. Over 50 ms the cold start costs a few µs per call.
FULL_PLAN = Plan(repeats=15, slow_repeats=7, warmup=3, min_repeat_s=50e-3)
QUICK_PLAN = Plan(repeats=3, slow_repeats=1, warmup=1, min_repeat_s=5e-4)


@dataclass(frozen=True, slots=True)
class Row:
    case: str
    batch: int
    fast: Timing
    reference: Timing

    @property
    def speedup(self) -> float:
        return self.reference.median / self.fast.median


@dataclass(frozen=True, slots=True)
class Verdict:
    """One target: what it asks, what was measured, and whether the measurement meets it."""

    name: str
    goal: str
    measured: str
    passed: bool


# --- cases ---------------------------------------------------------------------------------------------


def bench_masks(pool: Sequence[Observation], plan: Plan) -> list[Row]:
    """``compute_batch_masks`` against the per-env ``compute_batch_masks_reference`` (MaskInputs prebuilt)."""
    inputs = [MaskInputs.from_observation(obs) for obs in pool]
    return [
        _env_row(CASE_MASKS, size, inputs, compute_batch_masks, compute_batch_masks_reference, plan)
        for size in ENV_BATCH_SIZES
    ]


def bench_features(pool: Sequence[Observation], plan: Plan) -> list[Row]:
    """``batch_features`` against the per-env ``batch_features_reference``."""
    return [
        _env_row(CASE_FEATURES, size, pool, batch_features, batch_features_reference, plan) for size in ENV_BATCH_SIZES
    ]


def _env_row(
    case: str,
    size: int,
    pool: Sequence,
    fast: Callable[[list], object],
    reference: Callable[[list], object],
    plan: Plan,
) -> Row:
    inputs = batches(pool, size, len(pool) if size == 1 else INPUT_BATCHES)
    reference_repeats = plan.slow_repeats if size == max(ENV_BATCH_SIZES) else plan.repeats
    return Row(
        case,
        size,
        *measure_pair(
            cycling(fast, inputs),
            cycling(reference, inputs),
            plan.repeats,
            reference_repeats,
            plan.warmup,
            plan.min_repeat_s,
        ),
    )


class ReferenceDecision:
    """The same decision on the readable paths: per-env features and masks, and the per-module network with
    one ``MaskedCategorical`` per head."""

    def __init__(self, network: FactoredRecurrentActorCritic) -> None:
        self._network = network
        self._hidden = network.initial_hidden(1)
        self._generator = torch.Generator().manual_seed(SEED)

    def __call__(self, obs: Observation) -> ActionResult:
        features = batch_features_reference([obs])
        masks = compute_batch_masks_reference([MaskInputs.from_observation(obs)])
        result = self._network.get_action(features, self._hidden, masks, generator=self._generator)
        self._hidden = result.hidden
        return result


class ReferenceInspectorDecision:
    """A ``ReferenceDecision``, then every displayed tensor read with its own ``.tolist()``."""

    def __init__(self, network: FactoredRecurrentActorCritic) -> None:
        self._decide = ReferenceDecision(network)

    def __call__(self, obs: Observation) -> dict[str, object]:
        return _read_tensor_by_tensor(self._decide(obs))


def _read_tensor_by_tensor(result: ActionResult) -> dict[str, object]:
    assert result.heads is not None and result.hidden is not None
    per_head = {
        "action": result.action,
        "log_prob": result.log_prob,
        "raw_logits": result.heads.raw_logits,
        "masked_logits": result.heads.masked_logits,
        "probs": result.heads.probs,
        "entropy": result.heads.entropy,
    }
    values: dict[str, object] = {
        field: {head: tensor.tolist() for head, tensor in tensors.items()} for field, tensors in per_head.items()
    }
    values["value"] = result.value.tolist()
    values["hidden_norm"] = torch.linalg.vector_norm(result.hidden[0], dim=(0, 2)).tolist()
    return values


def bench_decisions(pool: Sequence[Observation], bundle: LSTMPolicyBundle, plan: Plan) -> list[Row]:
    """One decision at batch 1 end to end, without and with the host copy, against the readable paths.

    Each row gets a fresh bundle state (hidden state, generator), so the two rows see the same decisions.
    """
    network = bundle.network
    assert isinstance(network, FactoredRecurrentActorCritic)
    cases = (
        (CASE_DECISION, PolicyDecision, ReferenceDecision),
        (CASE_DECISION_HOST, InspectorDecision, ReferenceInspectorDecision),
    )
    return [
        Row(
            case,
            1,
            *measure_pair(
                cycling(fast(bundle), pool),
                cycling(reference(network), pool),
                plan.repeats,
                warmup=plan.warmup,
                min_repeat_s=plan.min_repeat_s,
            ),
        )
        for case, fast, reference in cases
    ]


@torch.inference_mode()
def _fused_forward(network: FactoredRecurrentActorCritic, state: torch.Tensor, hidden: Hidden) -> object:
    fused = network.fused_weights()
    trunk, new_hidden = fused.trunk(state, hidden)
    return fused.heads(trunk), new_hidden


@torch.inference_mode()
def _module_forward(network: FactoredRecurrentActorCritic, state: torch.Tensor, hidden: Hidden) -> object:
    return network(state.unsqueeze(1), hidden)


@torch.inference_mode()
def _network_inputs(
    network: FactoredRecurrentActorCritic, pool: Sequence[Observation], size: int
) -> list[tuple[torch.Tensor, Hidden, dict[str, torch.Tensor]]]:
    """(features [B, D], hidden after a few real steps, masks) per input batch: T = 1 with a live state."""
    inputs = []
    observation_batches = batches(pool, size, INPUT_BATCHES + HIDDEN_WARMUP_STEPS)
    for index in range(INPUT_BATCHES):
        history = observation_batches[index : index + HIDDEN_WARMUP_STEPS + 1]
        sequence = torch.stack([batch_features(step) for step in history[:-1]], dim=1)  # [B, T, D]
        hidden = network(sequence)["hidden"]
        current = build_policy_batch(history[-1])
        inputs.append((current.features, hidden, current.masks))
    return inputs


def bench_network(pool: Sequence[Observation], network: FactoredRecurrentActorCritic, plan: Plan) -> list[Row]:
    """Forward at each network batch size (packed weights vs per-module), then get_action at batch 1."""
    rows = []
    for size in NETWORK_BATCH_SIZES:
        inputs = _network_inputs(network, pool, size)
        rows.append(
            Row(
                CASE_FORWARD,
                size,
                *_time_network(
                    lambda s, h, _m: _fused_forward(network, s, h),
                    lambda s, h, _m: _module_forward(network, s, h),
                    inputs,
                    plan,
                ),
            )
        )
    inputs = _network_inputs(network, pool, 1)
    generator = torch.Generator().manual_seed(SEED)
    rows.append(
        Row(
            CASE_GET_ACTION,
            1,
            *_time_network(
                lambda s, h, m: network.act_fast(s, h, m, generator=generator),
                lambda s, h, m: network.get_action(s, h, m, generator=generator),
                inputs,
                plan,
            ),
        )
    )
    return rows


def _time_network(
    fast: Callable[..., object], reference: Callable[..., object], inputs: Sequence[tuple], plan: Plan
) -> tuple[Timing, Timing]:
    return measure_pair(
        cycling(lambda args: fast(*args), inputs),
        cycling(lambda args: reference(*args), inputs),
        plan.repeats,
        warmup=plan.warmup,
        min_repeat_s=plan.min_repeat_s,
    )


# --- verdicts and output -------------------------------------------------------------------------------


def _find(rows: Sequence[Row], case: str, batch: int) -> Row:
    return next(row for row in rows if row.case == case and row.batch == batch)


def verdicts(rows: Sequence[Row]) -> list[Verdict]:
    """The issue's targets (and its decision limit held to the host-copy row too), then the fast path
    against the reference implementation's figures (``REFERENCE_*``)."""
    largest = max(ENV_BATCH_SIZES)
    masks, features = _find(rows, CASE_MASKS, largest), _find(rows, CASE_FEATURES, largest)
    decision, decision_host = _find(rows, CASE_DECISION, 1), _find(rows, CASE_DECISION_HOST, 1)
    forward, get_action = _find(rows, CASE_FORWARD, 1), _find(rows, CASE_GET_ACTION, 1)

    def speedup(name: str, row: Row, target: float) -> Verdict:
        return Verdict(name, f"speed-up ≥ {target:g}×", f"{row.speedup:.1f}×", row.speedup >= target)

    def at_most(name: str, measured: float, limit: float, approx: bool = False) -> Verdict:
        goal = f"≤ {'≈' if approx else ''}{format_duration(limit)}"
        return Verdict(name, goal, format_duration(measured), measured <= limit)

    return [
        speedup(f"batch masks, {largest} envs", masks, MASKS_SPEEDUP_TARGET),
        speedup(f"batch features, {largest} envs", features, FEATURES_SPEEDUP_TARGET),
        at_most("decision, batch 1, fast median", decision.fast.median, DECISION_MEDIAN_TARGET_S),
        # Not the target: the same limit held to the inspector's step, display transfer included.
        at_most("decision + host copy, batch 1, fast median", decision_host.fast.median, DECISION_MEDIAN_TARGET_S),
        at_most(f"masks per env (fast, {largest} envs)", masks.fast.median / largest, REFERENCE_MASKS_PER_ENV_S, True),
        at_most(
            f"features per env (fast, {largest} envs)",
            features.fast.median / largest,
            REFERENCE_FEATURES_PER_ENV_S,
            True,
        ),
        at_most("get_action, batch 1 (fast)", get_action.fast.median, REFERENCE_GET_ACTION_S, True),
        at_most("forward, batch 1 (fast)", forward.fast.median, REFERENCE_FORWARD_S, True),
    ]


def render(console: Console, rows: Sequence[Row], checks: Sequence[Verdict], plan: Plan, pool_size: int) -> None:
    table = Table(
        title=(
            f"Policy stack: fast vs reference path — 1 CPU thread (torch.set_num_threads(1)), torch {torch.__version__}"
        ),
        caption=(
            f"median of {plan.repeats} repeats ({plan.slow_repeats} for the reference at {max(ENV_BATCH_SIZES)} envs), "
            f"each ≥ {format_duration(plan.min_repeat_s)} of calls, fast and reference samples taken in alternation; "
            f"inputs cycle through {pool_size} "
            "simulator observations (3 slots)"
        ),
    )
    for header in ("case", "batch"):
        table.add_column(header)
    for header in ("fast median", "fast min–max", "reference median", "reference min–max", "speed-up"):
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(
            row.case,
            str(row.batch),
            format_duration(row.fast.median),
            format_range(row.fast),
            format_duration(row.reference.median),
            format_range(row.reference),
            f"{row.speedup:.1f}×",
        )
    console.print(table)
    console.print(
        "decision = the issue's full decision (features + masks + forward + sample): build_policy_batch + "
        "LSTMPolicyBundle.get_action, against per-env features and masks + FactoredRecurrentActorCritic.get_action. "
        "decision + host copy = what the inspector pays per step: the same, then to_host against .tolist() per "
        "tensor. Network rows run T = 1 with a live hidden state. The fast decision's masks come from the pure "
        "rules, memoized per state (as in a session, where the why panel has already asked for them): the "
        "pool's 120 states repeat."
    )
    console.print(
        "Targets (issue), the decision limit held to the inspector's step too, and reference-implementation "
        "figures (one CPU thread, ≈ = reference figure):"
    )
    for check in checks:
        status = "[green]PASS[/green]" if check.passed else "[red]MISS[/red]"
        console.print(f"  {status}  {check.name}: {check.goal}, measured {check.measured}")


def to_json(rows: Sequence[Row], checks: Sequence[Verdict], plan: Plan, pool_size: int) -> dict[str, object]:
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "plan": {
            "repeats": plan.repeats,
            "slow_repeats": plan.slow_repeats,
            "warmup": plan.warmup,
            "min_repeat_s": plan.min_repeat_s,
        },
        "observations": pool_size,
        "rows": [
            {
                "case": row.case,
                "batch": row.batch,
                "fast": row.fast.to_dict(),
                "reference": row.reference.to_dict(),
                "speedup": row.speedup,
            }
            for row in rows
        ],
        "targets": [
            {"name": check.name, "goal": check.goal, "measured": check.measured, "passed": check.passed}
            for check in checks
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few repeats only (smoke test)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    pool = observation_pool()
    bundle = LSTMPolicyBundle()
    network = bundle.network
    assert isinstance(network, FactoredRecurrentActorCritic)

    rows = [
        *bench_masks(pool, plan),
        *bench_features(pool, plan),
        *bench_decisions(pool, bundle, plan),
        *bench_network(pool, network, plan),
    ]
    checks = verdicts(rows)
    console = Console()
    # Off a terminal Rich assumes 80 columns, which would wrap the headers; the table needs about 120.
    console.width = max(console.width, 132)
    render(console, rows, checks, plan, len(pool))
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(rows, checks, plan, len(pool)), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
