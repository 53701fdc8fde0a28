"""The rule masks of a batch as one [B, heads, widest head] bool tensor, the layout the fused step reads.

Every record needs the rules' explanation (each option's reason), so the session evaluates the pure rule
set (``tamiyo_tui/rules/masks.py``) for every episode at every step anyway. The sweep packs those masks
rather than computing them a second time with tensor code: one byte per option, one buffer, one copy to
the device, and no second implementation of the rules to keep equal to the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, get_action_head_sizes
from tamiyo_tui.domain.slots import SlotConfig

MaskRow = Mapping[str, Sequence[bool]]


def packed_masks(rows: Sequence[MaskRow], slot_config: SlotConfig, device: torch.device | str = "cpu") -> torch.Tensor:
    """[len(rows), heads, widest head] bool, head rows in ``HEAD_NAMES`` order, padding False."""
    sizes = get_action_head_sizes(slot_config)
    width = max(sizes.values())
    padding = {head: bytes(width - size) for head, size in sizes.items()}
    # bytes() of a tuple of bools is one byte per option, 0 or 1: the bool tensor's own memory layout.
    flat = bytearray(b"".join(bytes(row[head]) + padding[head] for row in rows for head in HEAD_NAMES))
    return torch.frombuffer(flat, dtype=torch.bool).view(len(rows), len(HEAD_NAMES), width).to(device)


def masks_per_head(packed: torch.Tensor, slot_config: SlotConfig) -> dict[str, torch.Tensor]:
    """``packed`` as head name → [B, head size] views, the form a ``PolicyBatch`` carries."""
    sizes = get_action_head_sizes(slot_config)
    return {head: packed[:, index, : sizes[head]] for index, head in enumerate(HEAD_NAMES)}
