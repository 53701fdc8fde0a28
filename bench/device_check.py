"""CPU against an accelerator: same weights, same observations, same answers; then the latencies.

    python bench/device_check.py [--device cuda]

Exits 0 with "CUDA not available: device check skipped" when the device is a CUDA one and CUDA is
absent. Otherwise one seeded ``LSTMPolicyBundle`` is copied to the device and both copies decide
(deterministically, hidden state carried over) on the same simulator observations: per-head raw logits,
values, features and masks must agree within ``TOLERANCE`` and the actions must match (exit 1 if not).
Then it prints the latency of one decision at batch 1 with its host copy (on a GPU, the copy is what
waits for the decision), and of batch masks and features at 1024 envs, on both. Last, the sweep
(``bench/sweep_parity.py``): 1,024 and 8,192 episodes, deterministic, on the CPU and on the device, every
record compared, and a sampled sweep on the device against ``run``'s records there. ``--device cpu`` runs
every step against the CPU itself: a dry run of this script.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from common import (
    SEED,
    InspectorDecision,
    Timing,
    batches,
    cycling,
    format_duration,
    measure,
    observation_pool,
)
from rich.console import Console
from rich.table import Table
from sweep_parity import run_sweep_parity

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.batch import build_policy_batch, mask_tensors
from tamiyo_tui.policy.features import features_tensor
from tamiyo_tui.policy.host_transfer import to_host
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.types import ActionResult
from tamiyo_tui.rules.masks import MaskInputs, compute_masks

TOLERANCE = 1e-4
AGREEMENT_BATCH = 64
AGREEMENT_STEPS = 4
ENV_BATCH = 1024
DECISION_REPEATS, DECISION_WARMUP = 200, 20
ENV_BATCH_REPEATS, ENV_BATCH_WARMUP = 30, 3
SKIP_MESSAGE = "CUDA not available: device check skipped"
SWEEP_SIZES = (1024, 8192)  # episodes per sweep compared


@dataclass
class Agreement:
    """Largest CPU/device differences over every step and env, and the action comparison."""

    logits: dict[str, float] = field(default_factory=lambda: dict.fromkeys(HEAD_NAMES, 0.0))
    module_logits: dict[str, float] = field(default_factory=lambda: dict.fromkeys(HEAD_NAMES, 0.0))
    value: float = 0.0
    module_value: float = 0.0
    hidden: float = 0.0
    features: float = 0.0
    mask_mismatches: int = 0
    actions_compared: int = 0
    action_mismatches: int = 0
    near_ties: int = 0  # different argmax, but the two options' logits are within TOLERANCE on the CPU

    @property
    def passed(self) -> bool:
        gated = [*self.logits.values(), self.value, self.hidden, self.features]
        return max(gated) <= TOLERANCE and self.mask_mismatches == 0 and self.action_mismatches == 0


def _max_diff(cpu: torch.Tensor, other: torch.Tensor) -> float:
    return (other.cpu().double() - cpu.double()).abs().max().item()


def check_agreement(pool: Sequence[Observation], cpu: LSTMPolicyBundle, other: LSTMPolicyBundle) -> Agreement:
    """Both bundles decide deterministically on the same observations, each carrying its own hidden state."""
    agreement = Agreement()
    cpu_hidden, other_hidden = cpu.initial_hidden(AGREEMENT_BATCH), other.initial_hidden(AGREEMENT_BATCH)
    for observations in batches(pool, AGREEMENT_BATCH, AGREEMENT_STEPS):
        cpu_batch = build_policy_batch(observations, "cpu")
        other_batch = build_policy_batch(observations, other.device)
        agreement.features = max(agreement.features, _max_diff(cpu_batch.features, other_batch.features))
        agreement.mask_mismatches += sum(
            int((cpu_batch.masks[name] != other_batch.masks[name].cpu()).sum()) for name in HEAD_NAMES
        )

        # forward() reads the same hidden state as get_action, so only its own arithmetic differs.
        with torch.inference_mode():
            cpu_module = cpu.forward(cpu_batch.features, {}, cpu_hidden)
            other_module = other.forward(other_batch.features, {}, other_hidden)
        for name in HEAD_NAMES:
            diff = _max_diff(cpu_module.logits[name], other_module.logits[name])
            agreement.module_logits[name] = max(agreement.module_logits[name], diff)
        agreement.module_value = max(agreement.module_value, _max_diff(cpu_module.value, other_module.value))

        cpu_result = cpu.get_action(cpu_batch, cpu_hidden, deterministic=True)
        other_result = other.get_action(other_batch, other_hidden, deterministic=True)
        to_host(cpu_result)
        to_host(other_result)
        assert cpu_result.heads is not None and other_result.heads is not None
        for name in HEAD_NAMES:
            diff = _max_diff(cpu_result.heads.raw_logits[name], other_result.heads.raw_logits[name])
            agreement.logits[name] = max(agreement.logits[name], diff)
        agreement.value = max(agreement.value, _max_diff(cpu_result.value, other_result.value))
        _compare_actions(cpu_result, other_result, agreement)

        cpu_hidden, other_hidden = cpu_result.hidden, other_result.hidden
        agreement.hidden = max(agreement.hidden, _max_diff(cpu_hidden[0], other_hidden[0]))
    return agreement


def _compare_actions(cpu: ActionResult, other: ActionResult, agreement: Agreement) -> None:
    """Count differing argmaxes; one whose two options score within TOLERANCE on the CPU is a near-tie.

    With freshly initialised heads the logits of one head lie within ~0.01 of each other, so an argmax
    can legitimately flip on float rounding; a real disagreement leaves a gap larger than the tolerance.
    """
    assert cpu.heads is not None
    op_differs = cpu.action["op"] != other.action["op"].cpu()
    for name in HEAD_NAMES:
        ours, theirs = cpu.action[name], other.action[name].cpu()
        differs = ours != theirs
        if name == "style":
            differs &= ~op_differs  # a different op changes the style mask itself: the op's tie covers it
        rows = differs.nonzero().flatten()
        masked = cpu.heads.masked_logits[name]
        gaps = masked[rows, ours[rows]] - masked[rows, theirs[rows]]
        agreement.actions_compared += ours.numel()
        agreement.near_ties += int((gaps <= TOLERANCE).sum())
        agreement.action_mismatches += int((gaps > TOLERANCE).sum())


def render_agreement(console: Console, agreement: Agreement, device: torch.device) -> None:
    table = Table(title=f"CPU vs {device}: max |Δ| over {AGREEMENT_STEPS} steps × {AGREEMENT_BATCH} envs")
    table.add_column("output")
    table.add_column("get_action (gated)", justify="right")
    table.add_column("forward (info)", justify="right")
    table.add_column(f"within {TOLERANCE:g}")
    for name in HEAD_NAMES:
        fast, module = agreement.logits[name], agreement.module_logits[name]
        table.add_row(f"{name} raw logits", f"{fast:.2e}", f"{module:.2e}", _ok(fast <= TOLERANCE))
    table.add_row("value", f"{agreement.value:.2e}", f"{agreement.module_value:.2e}", _ok(agreement.value <= TOLERANCE))
    table.add_row("hidden h", f"{agreement.hidden:.2e}", "", _ok(agreement.hidden <= TOLERANCE))
    table.add_row("features", f"{agreement.features:.2e}", "", _ok(agreement.features <= TOLERANCE))
    console.print(table)
    console.print(
        f"masks: {agreement.mask_mismatches} differing entries; deterministic actions: "
        f"{agreement.action_mismatches} disagreements, {agreement.near_ties} near-ties "
        f"in {agreement.actions_compared} head choices"
    )


def _ok(passed: bool) -> str:
    return "yes" if passed else "[red]NO[/red]"


@dataclass(frozen=True, slots=True)
class LatencyRow:
    name: str
    cpu: Timing
    other: Timing


def _synchronized(call: Callable[[], object], device: torch.device) -> Callable[[], object]:
    """``call``, then wait for the device, so that a sample covers the work and not only its launch."""
    if device.type != "cuda":
        return call

    def run() -> object:
        result = call()
        torch.cuda.synchronize(device)
        return result

    return run


def measure_latency(pool: Sequence[Observation], cpu: LSTMPolicyBundle, other: LSTMPolicyBundle) -> list[LatencyRow]:
    """Per-call samples: one decision + host copy at batch 1, then batch masks and features at ENV_BATCH envs."""
    env_batches = batches(pool, ENV_BATCH, 2)
    mask_batches = [[MaskInputs.from_observation(obs) for obs in batch] for batch in env_batches]

    def decision(bundle: LSTMPolicyBundle) -> Timing:
        # to_host's single .cpu() waits for the device, so no explicit synchronize is needed here.
        return measure(cycling(InspectorDecision(bundle), pool), DECISION_REPEATS, DECISION_WARMUP)

    def env_batch(function: Callable[..., object], inputs: list, target: torch.device) -> Timing:
        call = _synchronized(cycling(lambda batch: function(batch, target), inputs), target)
        return measure(call, ENV_BATCH_REPEATS, ENV_BATCH_WARMUP)

    def batch_masks(inputs: Sequence[MaskInputs], device: torch.device) -> object:
        return mask_tensors([compute_masks(each) for each in inputs], device)

    cpu_device = torch.device("cpu")
    return [
        LatencyRow("decision + host copy, batch 1", decision(cpu), decision(other)),
        LatencyRow(
            f"batch masks, {ENV_BATCH} envs",
            env_batch(batch_masks, mask_batches, cpu_device),
            env_batch(batch_masks, mask_batches, other.device),
        ),
        LatencyRow(
            f"batch features, {ENV_BATCH} envs",
            env_batch(features_tensor, env_batches, cpu_device),
            env_batch(features_tensor, env_batches, other.device),
        ),
    ]


def render_latency(console: Console, rows: Sequence[LatencyRow], device: torch.device) -> None:
    table = Table(
        title="Latency per call (1 CPU thread)",
        caption=f"{DECISION_REPEATS} decisions, {ENV_BATCH_REPEATS} env batches, after warm-up",
    )
    table.add_column("measurement")
    for header in ("cpu median", "cpu p95", f"{device} median", f"{device} p95"):
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(
            row.name,
            format_duration(row.cpu.median),
            format_duration(row.cpu.p95),
            format_duration(row.other.median),
            format_duration(row.other.p95),
        )
    console.print(table)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return platform.processor() or platform.machine()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU (default: cuda)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(SKIP_MESSAGE)
        return 0

    torch.set_num_threads(1)
    console = Console()
    console.width = max(console.width, 100)  # off a terminal Rich assumes 80 columns
    console.print(f"torch {torch.__version__}; device {device}: {describe(device)}")
    if device.type == "cuda":
        console.print(
            f"TF32 allowed: cuBLAS {torch.backends.cuda.matmul.allow_tf32}, cuDNN {torch.backends.cudnn.allow_tf32}"
        )

    torch.manual_seed(SEED)
    cpu_bundle = LSTMPolicyBundle()
    device_bundle = LSTMPolicyBundle()
    device_bundle.load_state_dict(cpu_bundle.state_dict())
    device_bundle.to(device)
    pool = observation_pool()

    agreement = check_agreement(pool, cpu_bundle, device_bundle)
    render_agreement(console, agreement, device)
    render_latency(console, measure_latency(pool, cpu_bundle, device_bundle), device)
    if not run_sweep_parity(console, str(device), SWEEP_SIZES):
        console.print(f"[red]FAIL[/red]: the sweep on {device} differs from the CPU's or from run's")
        return 1
    if not agreement.passed:
        console.print(f"[red]FAIL[/red]: CPU and {device} disagree beyond {TOLERANCE:g}")
        return 1
    console.print(f"PASS: CPU and {device} agree within {TOLERANCE:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
