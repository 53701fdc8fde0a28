"""A fused step's values on the host in one device→host copy, cut into one ``HostRow`` per episode.

Reading tensors one at a time costs a device synchronisation each; a sweep shows nothing, but every record
holds about forty numbers per head. So each row's values go side by side into one [B, K] tensor, which is
copied once and cut at fixed offsets. The step's validity (finite logits, a valid option on every head)
travels in the same copy and is checked on the host.
"""

from __future__ import annotations

import math

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.policy.distributions import MaskedCategorical
from tamiyo_tui.policy.host_transfer import HostHead, HostRow
from tamiyo_tui.sweep.fused import FusedStep, raise_readable_error

_HEADS = len(HEAD_NAMES)


def host_rows(step: FusedStep) -> list[HostRow]:
    """Every row of ``step`` as Python values; raises the readable path's error when a row is invalid."""
    width = step.raw_logits.shape[2]
    blocks = [
        step.action,
        step.log_prob,
        step.value.unsqueeze(1),
        step.raw_logits.flatten(1),
        step.masked_logits.flatten(1),
        step.probs.flatten(1),
        step.entropy,
        # The L2 norm of h over layers and units, as the inspector's host transfer reports it.
        torch.linalg.vector_norm(step.hidden[0], dim=(0, 2)).unsqueeze(1),
        step.valid_count,
    ]
    # float64 holds every float32 value and every small index exactly, so one dtype carries them all.
    rows = torch.cat([block.to(torch.float64) for block in blocks], dim=1).cpu().tolist()
    layout = _Layout(width, [step.head_sizes[name] for name in HEAD_NAMES])
    if MaskedCategorical.validate and not all(map(layout.is_valid, rows)):
        raise_readable_error(step)
    return [layout.read(row) for row in rows]


class _Layout:
    """Where each value sits in a host row (the block order of ``host_rows``)."""

    def __init__(self, width: int, sizes: list[int]) -> None:
        self.width = width
        self.sizes = sizes
        self.value_at = 2 * _HEADS
        self.raw_at = self.value_at + 1
        self.options = _HEADS * width  # one options block: raw logits, masked logits or probs
        self.entropy_at = self.raw_at + 3 * self.options
        self.hidden_norm_at = self.entropy_at + _HEADS
        self.valid_count_at = self.hidden_norm_at + 1

    def is_valid(self, row: list[float]) -> bool:
        """Every raw logit finite (padding columns hold 0) and every head with a valid option."""
        finite = all(map(math.isfinite, row[self.raw_at : self.raw_at + self.options]))
        return finite and min(row[self.valid_count_at : self.valid_count_at + _HEADS]) > 0

    def read(self, row: list[float]) -> HostRow:
        heads = {}
        for index, name in enumerate(HEAD_NAMES):
            start = self.raw_at + index * self.width
            stop = start + self.sizes[index]
            heads[name] = HostHead(
                action=int(row[index]),
                log_prob=row[_HEADS + index],
                raw_logits=tuple(row[start:stop]),
                masked_logits=tuple(row[start + self.options : stop + self.options]),
                probs=tuple(row[start + 2 * self.options : stop + 2 * self.options]),
                entropy=row[self.entropy_at + index],
            )
        return HostRow(heads=heads, value=row[self.value_at], hidden_norm=row[self.hidden_norm_at])
