"""Build the PolicyBatch that every bundle decides from: features and masks made once, on one device.

The features are ``observation_features`` rows; the masks are the pure rule set's (``rules/masks.py``),
turned into tensors. The sweep (``tamiyo_tui/sweep``) builds the same batch with vectorized code for
thousands of episodes at once; its tests hold it equal to this one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.features import features_tensor
from tamiyo_tui.policy.types import PolicyBatch
from tamiyo_tui.rules.masks import MaskInputs, compute_masks

MaskRow = Mapping[str, Sequence[bool]]


def build_policy_batch(
    observations: Sequence[Observation],
    device: torch.device | str = "cpu",
    *,
    allow_governor_override: bool = False,
    mask_rows: Sequence[MaskRow] | None = None,
    telemetry: bool = False,
) -> PolicyBatch:
    """Features [B, D] and masks (head → [B, A] bool) for ``observations`` on ``device``.

    ``mask_rows`` may pass masks the caller already evaluated with the pure rules (one mapping head →
    bools per observation), so they are not computed twice. ``telemetry`` appends the telemetry blocks.
    """
    observations = tuple(observations)
    if mask_rows is None:
        mask_rows = [
            compute_masks(MaskInputs.from_observation(obs, allow_governor_override=allow_governor_override))
            for obs in observations
        ]
    return PolicyBatch(
        observations=observations,
        features=features_tensor(observations, device=device, telemetry=telemetry),
        masks=mask_tensors(mask_rows, device),
    )


def mask_tensors(rows: Sequence[MaskRow], device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """One [B, A] bool tensor per head (True = valid) from per-observation rule masks."""
    return {head: torch.tensor([row[head] for row in rows], dtype=torch.bool, device=device) for head in HEAD_NAMES}
