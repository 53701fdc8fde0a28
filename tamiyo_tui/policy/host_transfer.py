"""Bring one decision's displayed values to the host in a single device→host copy.

Reading tensors one by one (``.item()``, ``.tolist()``) costs a GPU synchronisation each, and an inspector
shows about forty numbers per head. ``to_host`` lays a batch row's values side by side in one [B, K]
tensor, copies it once and cuts each host row at fixed offsets.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.policy.types import ActionResult

_NUM_HEADS = len(HEAD_NAMES)


@dataclass(frozen=True, slots=True)
class HostHead:
    """One head of one batch row as Python values."""

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
    critic: HostCritic | None = None  # a network of a generation with Q(s, op) and a contribution predictor


@dataclass(frozen=True, slots=True)
class HostCritic:
    """What a 2016337e network says besides its choice, for one batch row."""

    q_values: tuple[float, ...]  # Q(s, op) for every op, in op order
    contributions: tuple[float, ...]  # predicted counterfactual contribution per slot
    probs_before_floor: dict[str, tuple[float, ...]]  # per head: the distribution before the probability floor


def to_host(result: ActionResult) -> tuple[HostRow, ...]:
    """``result``'s displayed tensors as one ``HostRow`` per batch row, moved with one ``.cpu()`` call."""
    batch = result.value.shape[0]
    blocks = [_stacked(result.action), _stacked(result.log_prob), result.value.reshape(batch, 1)]
    sizes = None
    if result.heads is not None:
        sizes = [result.heads.raw_logits[name].shape[-1] for name in HEAD_NAMES]
        blocks += [_side_by_side(result.heads.raw_logits), _side_by_side(result.heads.masked_logits)]
        blocks += [_side_by_side(result.heads.probs), _stacked(result.heads.entropy)]
    if result.hidden is not None:
        blocks.append(torch.linalg.vector_norm(result.hidden[0], dim=(0, 2)).reshape(batch, 1))
    width = sum(block.shape[1] for block in blocks)
    critic = result.extras.keys() >= _CRITIC_KEYS and sizes is not None
    if critic:
        blocks += [result.extras["q_values"], result.extras["contributions"]]  # type: ignore[list-item]
        blocks.append(_side_by_side(result.extras["probs_before_floor"]))  # type: ignore[arg-type]
    # cat promotes to the widest dtype present; indices are small integers, exact in any float.
    rows = torch.cat([block.to(torch.float64) for block in blocks], dim=1).cpu().tolist()
    host = tuple(_read_row(row[:width], sizes, result.hidden is not None) for row in rows)
    if not critic:
        return host
    ops, slots = result.extras["q_values"].shape[1], result.extras["contributions"].shape[1]  # type: ignore[attr-defined]
    return tuple(
        dataclasses.replace(row, critic=_read_critic(values[width:], ops, slots, sizes))  # type: ignore[arg-type]
        for row, values in zip(host, rows, strict=True)
    )


_CRITIC_KEYS = frozenset({"q_values", "contributions", "probs_before_floor"})


def _read_critic(values: list[float], ops: int, slots: int, sizes: list[int]) -> HostCritic:
    cursor, before = ops + slots, {}
    for name, size in zip(HEAD_NAMES, sizes, strict=True):
        before[name] = tuple(values[cursor : cursor + size])
        cursor += size
    return HostCritic(tuple(values[:ops]), tuple(values[ops : ops + slots]), before)


def _read_row(row: list[float], sizes: list[int] | None, has_hidden: bool) -> HostRow:
    actions, log_probs, value = row[:_NUM_HEADS], row[_NUM_HEADS : 2 * _NUM_HEADS], row[2 * _NUM_HEADS]
    cursor = 2 * _NUM_HEADS + 1
    per_head: dict[str, list] = {name: [] for name in HEAD_NAMES}
    if sizes is not None:
        for _ in ("raw_logits", "masked_logits", "probs"):
            for name, size in zip(HEAD_NAMES, sizes, strict=True):
                per_head[name].append(tuple(row[cursor : cursor + size]))
                cursor += size
        for name in HEAD_NAMES:
            per_head[name].append(row[cursor])
            cursor += 1
    heads = {
        name: HostHead(int(actions[index]), log_probs[index], *(per_head[name] or (None, None, None, None)))
        for index, name in enumerate(HEAD_NAMES)
    }
    return HostRow(heads, value, row[cursor] if has_hidden else None)


def _stacked(per_head: dict[str, torch.Tensor]) -> torch.Tensor:
    """[B, heads]: one value per head and row."""
    return torch.stack([per_head[name].to(torch.float64) for name in HEAD_NAMES], dim=1)


def _side_by_side(per_head: dict[str, torch.Tensor]) -> torch.Tensor:
    """[B, Σ head sizes]: every head's options, head after head."""
    return torch.cat([per_head[name].to(torch.float64) for name in HEAD_NAMES], dim=1)
