"""Bring one decision's displayed values to the host in a single device→host transfer.

Reading tensors one by one (``.item()``, ``.tolist()``, ``float()``) costs a GPU synchronisation each;
an inspector that shows ~40 numbers per head would pay dozens per step. ``to_host`` lays everything it
shows for a batch row side by side in one [B, K] tensor on the device, calls ``.cpu()`` once and cuts
each host row at fixed offsets. The fast path's deferred validity checks are read from the same copy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.policy.network import DecisionChecks, HeadTensors
from tamiyo_tui.policy.types import ActionResult

_NUM_HEADS = len(HEAD_NAMES)


class HostHead(NamedTuple):
    """One head of one batch row as Python values.

    A NamedTuple: ``to_host`` builds one per head on every decision, in a third of a frozen dataclass's time.
    """

    action: int
    log_prob: float
    raw_logits: tuple[float, ...] | None  # None when the result carried no HeadOutputs
    masked_logits: tuple[float, ...] | None
    probs: tuple[float, ...] | None
    entropy: float | None  # normalized, in [0, 1]


@dataclass(frozen=True, slots=True)
class HostRow:
    """Everything an inspector displays for one batch row of a decision."""

    heads: dict[str, HostHead]
    value: float
    hidden_norm: float | None  # L2 norm of h over layers and units; None when stateless


@dataclass(frozen=True, slots=True)
class HostDecision:
    """A decision's displayed values on the host: one ``HostRow`` per batch row."""

    rows: tuple[HostRow, ...]
    extra_flags: dict[str, list[float]]  # the caller's extra tensors, flattened


def to_host(result: ActionResult, extra_flags: Mapping[str, torch.Tensor] | None = None) -> HostDecision:
    """Move ``result``'s displayed tensors (and ``extra_flags``) to the host with exactly one ``.cpu()`` call.

    Raises the readable path's ``InvalidStateMachineError`` / ``ValueError`` when the result carries
    ``DecisionChecks`` that fail (a head with no valid option, non-finite logits).
    """
    layout = _RowLayout.of(result)
    checks = result.extras.get("checks")
    if not isinstance(checks, DecisionChecks):
        checks = None
    batch = result.value.shape[0]
    blocks = [_per_head_columns(result.action), _per_head_columns(result.log_prob), result.value.reshape(batch, 1)]
    heads = result.heads
    if heads is not None:
        blocks += [_per_head_rows(heads.raw_logits), _per_head_rows(heads.masked_logits), _per_head_rows(heads.probs)]
        blocks.append(_per_head_columns(heads.entropy))
    if result.hidden is not None:
        blocks.append(torch.linalg.vector_norm(result.hidden[0], dim=(0, 2)).reshape(batch, 1))
    if checks is not None:
        blocks.append(checks.valid_count)
    # cat promotes to the widest dtype present; indices and counts are small integers, exact in any float.
    rows = torch.cat(blocks, dim=1)
    extras = dict(extra_flags or {})
    if extras:
        flat = torch.cat([rows.reshape(-1), *(tensor.reshape(-1) for tensor in extras.values())])
    else:
        flat = rows.reshape(-1)
    values = tuple(flat.cpu().tolist())

    width = rows.shape[1]
    row_values = [values[row * width : (row + 1) * width] for row in range(batch)]
    if checks is not None and not all(map(layout.passes_checks, row_values)):
        checks.raise_error()
    host_rows = tuple(map(layout.read, row_values))
    extra_values: dict[str, list[float]] = {}
    start = batch * width
    for name, tensor in extras.items():
        extra_values[name] = list(values[start : start + tensor.numel()])
        start += tensor.numel()
    return HostDecision(rows=host_rows, extra_flags=extra_values)


@dataclass(frozen=True, slots=True)
class _RowLayout:
    """Where each displayed value sits in one host row (see ``to_host`` for the block order)."""

    option_spans: tuple[tuple[int, int], ...] | None  # per head: (start, size) inside an options block
    options_width: int  # width of one options block (raw logits, masked logits, probs)
    has_hidden: bool

    @classmethod
    def of(cls, result: ActionResult) -> _RowLayout:
        heads = result.heads
        if heads is None:
            return cls(None, 0, result.hidden is not None)
        raw = heads.raw_logits
        if isinstance(raw, HeadTensors) and raw.sizes is not None:
            padded = raw.packed.shape[2]
            spans = tuple((index * padded, raw.sizes[name]) for index, name in enumerate(HEAD_NAMES))
            return cls(spans, _NUM_HEADS * padded, result.hidden is not None)
        spans_list, start = [], 0
        for name in HEAD_NAMES:
            size = raw[name].shape[-1]
            spans_list.append((start, size))
            start += size
        return cls(tuple(spans_list), start, result.hidden is not None)

    def read(self, row: tuple[float, ...]) -> HostRow:
        value_at = 2 * _NUM_HEADS
        options_at = value_at + 1
        entropy_at = options_at + 3 * self.options_width
        heads = {}
        for index, name in enumerate(HEAD_NAMES):
            if self.option_spans is None:
                raw = masked = probs = entropy = None
            else:
                start, size = self.option_spans[index]
                raw_start = options_at + start
                masked_start = raw_start + self.options_width
                probs_start = masked_start + self.options_width
                raw = row[raw_start : raw_start + size]
                masked = row[masked_start : masked_start + size]
                probs = row[probs_start : probs_start + size]
                entropy = row[entropy_at + index]
            heads[name] = HostHead(int(row[index]), row[_NUM_HEADS + index], raw, masked, probs, entropy)
        hidden_at = entropy_at + (0 if self.option_spans is None else _NUM_HEADS)
        return HostRow(heads, row[value_at], row[hidden_at] if self.has_hidden else None)

    def passes_checks(self, row: tuple[float, ...]) -> bool:
        """Every raw logit finite and every head with a valid option (the row carries ``valid_count`` last)."""
        options_at = 2 * _NUM_HEADS + 1
        finite = all(map(math.isfinite, row[options_at : options_at + self.options_width]))
        return finite and min(row[-_NUM_HEADS:]) > 0


def _per_head_columns(per_head: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """[B, heads]: one value per head and row (a packed HeadTensors is used as is)."""
    if isinstance(per_head, HeadTensors):
        return per_head.packed
    return torch.stack([per_head[name] for name in HEAD_NAMES], dim=1)


def _per_head_rows(per_head: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """[B, …]: every head's options side by side (padded per head when it is a packed HeadTensors)."""
    if isinstance(per_head, HeadTensors):
        return per_head.packed.flatten(1)
    return torch.cat([per_head[name] for name in HEAD_NAMES], dim=1)
