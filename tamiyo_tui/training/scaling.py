"""The affine input map the trainer learns through, folded into the network's first Linear layer once trained.

Standardization alone leaves one rule nearly out of reach: the host-stabilization latch (three epochs in a
row whose validation loss fell by less than 3 %) turns on ``0.97 · loss[t−1] − loss[t]``, a difference of a
few thousandths between two loss columns whose spread is about one. Linear in the features, so an affine map
may hand it to the network directly: each loss-history column after the first is replaced by that step
(``LOSS_STEP_FACTOR``), scaled by the spread of the ordinary steps (divergence spikes left out of the
spread, or they would shrink every other step to nothing). The map is invertible, so nothing is lost, and it
folds into ``feature_net.0`` like the standardization: the saved network takes raw features like any other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.constants import DEFAULT_STABILIZATION_THRESHOLD
from tamiyo_tui.domain.observation import HISTORY_LENGTH
from tamiyo_tui.policy.features import BaseFeature
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle

# A feature whose spread over the training data is below this is constant there: the network ignores it.
CONSTANT_FEATURE_STD = 1e-6
LOSS_STEP_FACTOR = 1.0 - DEFAULT_STABILIZATION_THRESHOLD  # stable step: 0 ≤ loss[t−1] − loss[t] < 3 % of loss[t−1]
ORDINARY_STEP = 1.0  # steps larger than this (in loss units) are divergence spikes, left out of the spread
_HISTORY = range(int(BaseFeature.LOSS_HISTORY), int(BaseFeature.LOSS_HISTORY) + HISTORY_LENGTH)


def loss_step_map(size: int) -> torch.Tensor:
    """[D, D] P with ``x @ P`` = x, its loss-history columns after the first replaced by their steps."""
    mapping = torch.eye(size, dtype=torch.float64)
    for previous, column in itertools.pairwise(_HISTORY):
        mapping[previous, column] = -LOSS_STEP_FACTOR
    return mapping


@dataclass(frozen=True)
class FeatureScaler:
    """``(x @ mapping − mean) · scale``: the loss steps, then standardization (scale 0 for constant features)."""

    mapping: torch.Tensor  # [D, D] float64
    mean: torch.Tensor  # [D]
    scale: torch.Tensor  # [D]

    @classmethod
    def fit(cls, features: torch.Tensor, valid: torch.Tensor) -> FeatureScaler:
        mapping = loss_step_map(features.shape[-1])
        rows = features[valid].double() @ mapping
        mean, std = rows.mean(dim=0), rows.std(dim=0)
        for column in _HISTORY[1:]:
            steps = rows[:, column]
            ordinary = steps[steps.abs() <= ORDINARY_STEP]
            if len(ordinary) > 1:
                mean[column], std[column] = ordinary.mean(), ordinary.std()
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
