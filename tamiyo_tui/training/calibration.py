"""Calibration: probabilities that mean what they say, and how to measure that they do.

**Temperature scaling.** A network trained to imitate a deterministic teacher drives its probabilities to
0 and 1 on everything it has seen, including the states where it then errs on new scenarios. After
training, each policy head gets one temperature T (logits ÷ T), the T that minimises the negative
log-likelihood of the heuristic's choices on a *validation* split (generated seeds that neither training
nor the agreement report uses). T only rescales a head's logits, so no choice changes, and it is folded
into the head's last Linear layer (weights and bias ÷ T): the checkpoint keeps the reference's format.

**Reliability.** For each held-out decision, p is the probability the policy gives its own choice (its
argmax) and the outcome is whether that choice is the heuristic's. Decisions are binned by p; a bin's
agreement should be close to its mean p. The expected calibration error (ECE) is the count-weighted mean
of |agreement − mean p| over the bins.

**Close calls** (``is_close_call``): a state where the heuristic's op rests on a number within
``CLOSE_CALL_MARGIN`` points of the threshold its rule compares it with, on the seed its rules judge
(the first live seed in an enabled slot): a HOLDING seed's contribution against the fossilize threshold,
or a TRAINING/BLENDING seed old enough to be judged whose improvement is against the prune threshold.
A small change of the host or the seed would flip the heuristic there, so a calibrated policy should not
be sure of itself: the agreement report shows the op head's mean normalized entropy on those states.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import FAILURE_STAGES, TERMINAL_STAGES, SeedStage
from tamiyo_tui.rules.heuristic_config import HeuristicConfig

# Upper edges of the reliability bins of p (the choice's probability; p ≥ 1/valid options ≥ 0).
BIN_EDGES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
TEMPERATURE_RANGE = (0.05, 20.0)
TEMPERATURE_GRID = 400  # log-spaced candidates, then a golden-section refinement around the best
CLOSE_CALL_MARGIN = 0.5  # accuracy points
_GOLDEN_STEPS = 40


# --- temperature scaling -------------------------------------------------------------------------------


def temperature_nll(logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> float:
    """Mean negative log-likelihood of ``targets`` ([N]) under softmax(``logits`` ÷ T) (``logits`` [N, A])."""
    log_probs = torch.log_softmax(logits.double() / temperature, dim=-1)
    return float(-log_probs.gather(1, targets.long().unsqueeze(1)).mean())


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The T in ``TEMPERATURE_RANGE`` that minimises ``temperature_nll`` (1.0 when there is no data).

    A log-spaced grid finds the basin, a golden-section search refines it; deterministic, no optimizer.
    """
    if targets.numel() == 0:
        return 1.0
    low, high = (math.log(t) for t in TEMPERATURE_RANGE)
    grid = [low + (high - low) * i / (TEMPERATURE_GRID - 1) for i in range(TEMPERATURE_GRID)]
    losses = [temperature_nll(logits, targets, math.exp(x)) for x in grid]
    best = min(range(len(grid)), key=losses.__getitem__)
    a, b = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(_GOLDEN_STEPS):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if temperature_nll(logits, targets, math.exp(c)) <= temperature_nll(logits, targets, math.exp(d)):
            b = d
        else:
            a = c
    return math.exp((a + b) / 2.0)


@torch.no_grad()
def fold_temperature(head: torch.nn.Sequential, temperature: float) -> None:
    """Divide the head's output logits by ``temperature``: its last Linear's weight and bias ÷ T."""
    last = head[-1]
    last.weight.div_(temperature)
    last.bias.div_(temperature)


# --- reliability -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float  # mean p in the bin (0 when empty)
    agreement: float  # share of the bin's choices that are the heuristic's (0 when empty)

    @property
    def gap(self) -> float:
        return abs(self.agreement - self.mean_confidence)


@dataclass(frozen=True, slots=True)
class Reliability:
    bins: tuple[ReliabilityBin, ...]

    @property
    def count(self) -> int:
        return sum(b.count for b in self.bins)

    @property
    def ece(self) -> float:
        """Expected calibration error: Σ count/N · |agreement − mean p| over the bins."""
        total = self.count
        return sum(b.count / total * b.gap for b in self.bins) if total else 0.0

    @property
    def mean_confidence(self) -> float:
        total = self.count
        return sum(b.count * b.mean_confidence for b in self.bins) / total if total else 0.0

    @property
    def agreement(self) -> float:
        total = self.count
        return sum(b.count * b.agreement for b in self.bins) / total if total else 0.0


def reliability(
    confidences: Sequence[float], correct: Sequence[bool], edges: Sequence[float] = BIN_EDGES
) -> Reliability:
    """Bin (p, outcome) pairs by p: bin i holds edges[i-1] ≤ p < edges[i] (the last bin includes 1.0)."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    lows = (0.0, *edges[:-1])
    sums = [[0, 0.0, 0] for _ in edges]  # count, Σ p, agreeing
    for p, same in zip(confidences, correct, strict=True):
        index = next((i for i, edge in enumerate(edges) if p < edge), len(edges) - 1)
        sums[index][0] += 1
        sums[index][1] += p
        sums[index][2] += bool(same)
    bins = tuple(
        ReliabilityBin(low, high, n, total_p / n if n else 0.0, agreeing / n if n else 0.0)
        for low, high, (n, total_p, agreeing) in zip(lows, edges, sums, strict=True)
    )
    return Reliability(bins)


# --- close calls -----------------------------------------------------------------------------------------


def is_close_call(obs: Observation, config: HeuristicConfig | None = None, margin: float = CLOSE_CALL_MARGIN) -> bool:
    """Whether the heuristic's op on ``obs`` hinges on a number within ``margin`` of its rule's threshold."""
    cfg = config or HeuristicConfig()
    for slot_id in obs.enabled:
        seed = obs.report(slot_id)
        if seed is None or seed.stage in TERMINAL_STAGES or seed.stage in FAILURE_STAGES:
            continue
        if seed.stage == SeedStage.HOLDING:
            contribution = seed.counterfactual_contribution
            value = contribution if contribution is not None else seed.total_improvement
            return abs(value - cfg.min_improvement_to_fossilize) <= margin
        if seed.stage in (SeedStage.TRAINING, SeedStage.BLENDING):
            if seed.epochs_in_stage < cfg.prune_after_epochs_without_improvement:
                return False
            return abs(seed.improvement_since_stage_start + cfg.prune_if_accuracy_drops_by) <= margin
        return False  # the first live seed decides the heuristic's op
    return False
