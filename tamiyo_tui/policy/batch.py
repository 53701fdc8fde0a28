"""Build the PolicyBatch that every bundle decides from: features and masks made once, on one device."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.features import batch_features
from tamiyo_tui.policy.masks import masks_from_observations
from tamiyo_tui.policy.types import PolicyBatch


def build_policy_batch(
    observations: Sequence[Observation],
    device: torch.device | str = "cpu",
    *,
    allow_governor_override: bool = False,
) -> PolicyBatch:
    return PolicyBatch(
        observations=tuple(observations),
        features=batch_features(observations, device=device),
        masks=masks_from_observations(observations, device=device, allow_governor_override=allow_governor_override),
    )
