"""A fused step's values on the host in one device→host copy, cut into one ``HostRow`` per episode.

Reading tensors one at a time costs a device synchronisation each; a sweep shows nothing, but every record
holds about forty numbers per head. So each row's values go side by side into one [B, K] tensor, which is
copied once and cut at fixed offsets. The step's validity (finite logits, a valid option on every head)
travels in the same copy, one flag per row.
"""

from __future__ import annotations

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.policy.distributions import MaskedCategorical
from tamiyo_tui.policy.host_transfer import HostHead, HostRow
from tamiyo_tui.sweep.fused import FusedStep, raise_readable_error

_HEADS = len(HEAD_NAMES)


def host_rows(step: FusedStep) -> list[HostRow]:
    """Every row of ``step`` as Python values; raises the readable path's error when a row is invalid."""
    sizes = [step.head_sizes[name] for name in HEAD_NAMES]

    def options(packed: torch.Tensor) -> torch.Tensor:
        """[B, Σ head sizes]: every head's options side by side, the padding left on the device."""
        return torch.cat([packed[:, index, :size] for index, size in enumerate(sizes)], dim=1)

    valid = torch.isfinite(step.raw_logits).flatten(1).all(dim=1) & (step.valid_count > 0).all(dim=1)
    blocks = [
        step.action,
        step.log_prob,
        step.value.unsqueeze(1),
        options(step.raw_logits),
        options(step.masked_logits),
        options(step.probs),
        step.entropy,
        # The L2 norm of h over layers and units, as the inspector's host transfer reports it.
        torch.linalg.vector_norm(step.hidden[0], dim=(0, 2)).unsqueeze(1),
        valid.unsqueeze(1),
    ]
    # float64 holds every float32 value and every small index exactly, so one dtype carries them all.
    rows = torch.cat([block.to(torch.float64) for block in blocks], dim=1).cpu().tolist()
    if MaskedCategorical.validate and not all(row[-1] for row in rows):
        raise_readable_error(step)
    layout = _Layout(sizes)
    # Episodes in one state with one draw copy identical rows (a sweep's thousand episodes hold a few dozen
    # distinct ones), so each distinct row is read once and its (never mutated) ``HostRow`` shared.
    read: dict[tuple[float, ...], HostRow] = {}
    hosts = []
    for row in rows:
        key = tuple(row)
        if key not in read:
            read[key] = layout.read(row)
        hosts.append(read[key])
    return hosts


class _Layout:
    """Where each value sits in a host row (the block order of ``host_rows``), as slices per head."""

    def __init__(self, sizes: list[int]) -> None:
        self.value_at = 2 * _HEADS
        options = sum(sizes)  # one options block: raw logits, masked logits or probs
        entropy_at = self.value_at + 1 + 3 * options
        self.hidden_norm_at = entropy_at + _HEADS
        self.heads = []
        start = self.value_at + 1
        for index, (name, size) in enumerate(zip(HEAD_NAMES, sizes, strict=True)):
            raw, masked, probs = (slice(start + k * options, start + k * options + size) for k in range(3))
            self.heads.append((name, index, _HEADS + index, raw, masked, probs, entropy_at + index))
            start += size

    def read(self, row: list[float]) -> HostRow:
        heads = {
            name: HostHead(
                action=int(row[action]),
                log_prob=row[log_prob],
                raw_logits=tuple(row[raw]),
                masked_logits=tuple(row[masked]),
                probs=tuple(row[probs]),
                entropy=row[entropy],
            )
            for name, action, log_prob, raw, masked, probs, entropy in self.heads
        }
        return HostRow(heads=heads, value=row[self.value_at], hidden_norm=row[self.hidden_norm_at])
