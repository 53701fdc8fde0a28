"""The affine input map the trainer learns through, folded into the network's first Linear layer once trained.

Standardization alone leaves two of the heuristic's rules nearly out of reach, because each turns on a small
difference between two columns whose spread is large:

- the host-stabilization latch (three epochs in a row whose validation loss fell by less than 3 %) turns on
  ``0.97 · loss[t−1] − loss[t]``, a few thousandths between loss columns whose spread is about one;
- the plateau count and a HOLDING seed's total improvement (the ransomware rule) turn on accuracy gains of
  half a point and a few points, between accuracy columns that spread over tens of points.

Both are linear in the features, so an affine map may hand them to the network directly: each history
column after the first is replaced by its step from the one before (``STEPS``), scaled by a few spreads of
the ordinary steps (divergence spikes, host drops and the left padding's jump from 0 left out of the spread, or
they would shrink every other step to nothing). The map is invertible, so nothing is lost, and it folds into
``feature_net.0`` like the standardization: the saved network takes raw features like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tamiyo_tui.domain.constants import DEFAULT_STABILIZATION_THRESHOLD
from tamiyo_tui.domain.observation import HISTORY_LENGTH
from tamiyo_tui.policy.features import BaseFeature
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle

# A feature whose spread over the training data is below this is constant there: the network ignores it.
CONSTANT_FEATURE_STD = 1e-6
LOSS_STEP_FACTOR = 1.0 - DEFAULT_STABILIZATION_THRESHOLD  # stable step: 0 ≤ loss[t−1] − loss[t] < 3 % of loss[t−1]
# Per history: its first column, the factor its previous value is taken with, the largest ordinary step
# (loss units: a divergence spike is larger; accuracy points: a host drop and the padding's jump are), and how
# many spreads of the ordinary steps make one unit. Both take four. One input of a hundred units dominates the
# LayerNorm after feature_net.0, and the decisions made then come out nearly blind: in an episode's first epochs
# the accuracy history's left padding jumps from 0 to the accuracy (30–85 points, about 100 spreads: a seed held
# from the start, a host that dropped at epoch 1), and a divergence spike does the same to the loss steps
# (lesson 15's seed, kept by the heuristic, drew PRUNE 0.08–0.24 an epoch while the loss diverged). At four
# spreads a half-point plateau step and the 3 % stabilization step still read.
STEPS = (
    (int(BaseFeature.LOSS_HISTORY), LOSS_STEP_FACTOR, 1.0, 4.0),
    (int(BaseFeature.ACCURACY_HISTORY), 1.0, 10.0, 4.0),
)


def _step_columns() -> list[tuple[int, int, float, float, float]]:
    """(previous column, column, factor, largest ordinary step, spreads per unit) for every history column after
    the first."""
    return [
        (previous, previous + 1, factor, ordinary, spreads)
        for first, factor, ordinary, spreads in STEPS
        for previous in range(first, first + HISTORY_LENGTH - 1)
    ]


def step_map(size: int) -> torch.Tensor:
    """[D, D] P with ``x @ P`` = x, its history columns after the first replaced by their steps."""
    mapping = torch.eye(size, dtype=torch.float64)
    for previous, column, factor, _, _ in _step_columns():
        mapping[previous, column] = -factor
    return mapping


@dataclass(frozen=True)
class FeatureScaler:
    """``(x @ mapping − mean) · scale``: the history steps, then standardization (scale 0 for constant features)."""

    mapping: torch.Tensor  # [D, D] float64
    mean: torch.Tensor  # [D]
    scale: torch.Tensor  # [D]

    @classmethod
    def fit(cls, features: torch.Tensor, valid: torch.Tensor) -> FeatureScaler:
        mapping = step_map(features.shape[-1])
        rows = features[valid].double() @ mapping
        mean, std = rows.mean(dim=0), rows.std(dim=0)
        for _, column, _, largest, spreads in _step_columns():
            steps = rows[:, column]
            ordinary = steps[steps.abs() <= largest]
            if len(ordinary) > 1:
                mean[column], std[column] = ordinary.mean(), ordinary.std() * spreads
        scale = torch.where(std > CONSTANT_FEATURE_STD, 1.0 / std.clamp(min=CONSTANT_FEATURE_STD), 0.0)
        return cls(mapping, mean.float(), scale.float())

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return ((features.double() @ self.mapping).float() - self.mean) * self.scale

    @torch.no_grad()
    def fold_into(self, bundle: LSTMPolicyBundle) -> None:
        """Make the first Linear take raw features: W·((x·P − m)·s) + b = (W·diag(s)·Pᵀ)·x + (b − W·diag(s)·m)."""
        linear = bundle.network.feature_net[0]
        scaled = linear.weight.double() * self.scale.double()
        linear.bias.copy_((linear.bias.double() - scaled @ self.mean.double()).float())
        linear.weight.copy_((scaled @ self.mapping.T).float())
