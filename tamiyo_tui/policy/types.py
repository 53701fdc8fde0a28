"""Result and input types shared by every policy bundle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from tamiyo_tui.domain.observation import Observation

Hidden = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True, slots=True)
class PolicyBatch:
    """What a bundle decides from: raw observations plus their features and masks on the policy's device.

    The LSTM bundle reads ``features`` and ``masks``; the heuristic reads ``observations`` (it needs
    signals that are not features, e.g. ``host_stabilized``) and ``masks`` (it never picks a masked
    option). Build one with ``tamiyo_tui.policy.batch.build_policy_batch`` so both bundles are driven
    by the same call: ``bundle.get_action(batch, hidden, deterministic=...)``.
    """

    observations: Sequence[Observation]
    features: torch.Tensor  # [B, feature_dim]
    masks: Mapping[str, torch.Tensor]  # head -> [B, head_size] bool, True = valid


@dataclass(frozen=True, slots=True)
class HeadOutputs:
    """Per-head tensors an inspector shows: raw and masked logits, probabilities, normalized entropy."""

    raw_logits: Mapping[str, torch.Tensor]  # head -> [B, A]
    masked_logits: Mapping[str, torch.Tensor]
    probs: Mapping[str, torch.Tensor]
    entropy: Mapping[str, torch.Tensor]  # head -> [B], normalized to [0, 1]


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: Mapping[str, torch.Tensor]  # head -> [B] long
    log_prob: Mapping[str, torch.Tensor]  # head -> [B]
    value: torch.Tensor  # [B]
    hidden: Hidden | None
    op_logits: torch.Tensor | None = None  # masked op logits [B, num_ops]
    heads: HeadOutputs | None = None
    reasons: tuple[str, ...] | None = None  # the heuristic's reason text, one per batch row
    extras: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvalResult:
    log_prob: dict[str, torch.Tensor]
    value: torch.Tensor
    entropy: dict[str, torch.Tensor]
    hidden: Hidden | None


@dataclass(frozen=True, slots=True)
class ForwardResult:
    logits: dict[str, torch.Tensor]
    value: torch.Tensor
    hidden: Hidden | None
