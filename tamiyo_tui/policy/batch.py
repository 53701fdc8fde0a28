"""Build the PolicyBatch that every bundle decides from: features and masks made once, on one device.

Two routes give identical tensors (the agreement and equality tests hold them to it):

- a few envs (the inspector decides one at a time): the plain-Python reference features and the pure mask
  rules, then ONE tensor each. At this size the fixed cost of the vectorized paths' few dozen small tensor
  ops dominates, and the pure rules are already computed for the "why" panel anyway.
- many envs: the vectorized ``batch_features`` and ``compute_batch_masks``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, get_action_head_sizes
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.features import batch_features, observation_features
from tamiyo_tui.policy.masks import masks_from_observations
from tamiyo_tui.policy.network import HeadTensors
from tamiyo_tui.policy.types import PolicyBatch
from tamiyo_tui.rules.masks import MaskInputs, compute_masks

# Below this many envs the per-env route is faster (measured in bench/policy_bench.py's "full decision").
SMALL_BATCH = 8

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
    if len(observations) >= SMALL_BATCH:
        return PolicyBatch(
            observations=observations,
            features=batch_features(observations, device=device, telemetry=telemetry),
            masks=masks_from_observations(observations, device=device, allow_governor_override=allow_governor_override),
        )
    if mask_rows is None:
        mask_rows = [
            compute_masks(MaskInputs.from_observation(obs, allow_governor_override=allow_governor_override))
            for obs in observations
        ]
    return PolicyBatch(
        observations=observations,
        features=_float32_rows([observation_features(obs, telemetry) for obs in observations]).to(device),
        masks=_masks_from_rows(mask_rows, observations[0], device),
    )


def _float32_rows(rows: Sequence[Sequence[float]]) -> torch.Tensor:
    """[len(rows), len(row)] float32, each value rounded once from its float64, as ``torch.tensor`` would.

    Packing the floats into a buffer first costs a fraction of ``torch.tensor``'s per-element conversion;
    struct's "f" rounds to nearest like torch's cast, so the buffer already holds the final values.
    """
    values = [value for row in rows for value in row]
    try:
        buffer = bytearray(struct.pack(f"{len(values)}f", *values))
    except OverflowError:
        # A finite value beyond float32's range: struct refuses it, torch's cast makes it ±inf.
        return torch.tensor(values, dtype=torch.float64).to(torch.float32).view(len(rows), -1)
    return torch.frombuffer(buffer, dtype=torch.float32).view(len(rows), -1)


def _masks_from_rows(rows: Sequence[MaskRow], first: Observation, device: torch.device | str) -> HeadTensors:
    """One [B, heads, widest head] bool tensor (padding False), read per head through ``HeadTensors``.

    That is the layout the network's fused path works in, so it takes the tensor as is.
    """
    sizes = get_action_head_sizes(first.slot_config)
    width = max(sizes.values())
    padding = {head: bytes(width - size) for head, size in sizes.items()}
    # One byte per option (True → 1): the buffer is the bool tensor's memory.
    flat = bytearray(b"".join(bytes(row[head]) + padding[head] for row in rows for head in HEAD_NAMES))
    packed = torch.frombuffer(flat, dtype=torch.bool).view(len(rows), len(HEAD_NAMES), width).to(device)
    return HeadTensors(packed, sizes)
