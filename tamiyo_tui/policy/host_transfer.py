"""Bring one decision's displayed values to the host in a single device→host transfer.

Reading tensors one by one (``.item()``, ``.tolist()``, ``float()``) costs a GPU synchronisation each;
an inspector that shows ~40 numbers per head would pay dozens per step. ``to_host`` packs everything it
shows into one flat float64 tensor on the device, calls ``.cpu()`` once and splits the result into
plain Python lists. The fast path's deferred validity checks ride along and are raised here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.policy.network import DecisionChecks, HeadTensors
from tamiyo_tui.policy.types import ActionResult


@dataclass(frozen=True, slots=True)
class HostHead:
    """One head of a decision as Python values, one entry per batch row."""

    actions: list[int]
    log_probs: list[float]
    raw_logits: list[list[float]] | None  # None when the result carried no HeadOutputs
    masked_logits: list[list[float]] | None
    probs: list[list[float]] | None
    entropy: list[float] | None  # normalized, in [0, 1]


@dataclass(frozen=True, slots=True)
class HostDecision:
    """Everything an inspector displays for one decision, already on the host."""

    heads: dict[str, HostHead]
    values: list[float]  # one per batch row
    hidden_norms: list[float] | None  # L2 norm of h over layers and units, per row; None when stateless
    extra_flags: dict[str, list[float]]  # the caller's extra tensors, flattened


def to_host(result: ActionResult, extra_flags: Mapping[str, torch.Tensor] | None = None) -> HostDecision:
    """Move ``result``'s displayed tensors (and ``extra_flags``) to the host with exactly one ``.cpu()`` call.

    Raises the readable path's ``InvalidStateMachineError`` / ``ValueError`` when the result carries
    failed ``DecisionChecks`` (a head with no valid option, non-finite logits).
    """
    packer = _Packer()
    # Indices as float64 (exact) so the packed tensor promotes to float64 and every value keeps its precision.
    packer.add("action", _per_head_columns(result.action).to(torch.float64))
    packer.add("log_prob", _per_head_columns(result.log_prob))
    packer.add("value", result.value)
    heads = result.heads
    if heads is not None:
        for field in ("raw_logits", "masked_logits", "probs"):
            packer.add(field, _per_head_rows(getattr(heads, field)))
        packer.add("entropy", _per_head_columns(heads.entropy))
    if result.hidden is not None:
        packer.add("hidden_norm", torch.linalg.vector_norm(result.hidden[0], dim=(0, 2)))
    checks = result.extras.get("checks")
    if isinstance(checks, DecisionChecks):
        packer.add("checks_ok", checks.ok)
    for name, tensor in (extra_flags or {}).items():
        packer.add(f"extra:{name}", tensor)

    host = packer.transfer()
    if isinstance(checks, DecisionChecks) and host["checks_ok"] == [[0.0]]:
        checks.raise_error()
    return HostDecision(
        heads={
            name: HostHead(
                actions=[int(value) for value in _column(host["action"], index)],
                log_probs=_column(host["log_prob"], index),
                raw_logits=None if heads is None else _head_slice(host["raw_logits"], heads.raw_logits, name),
                masked_logits=None if heads is None else _head_slice(host["masked_logits"], heads.masked_logits, name),
                probs=None if heads is None else _head_slice(host["probs"], heads.probs, name),
                entropy=None if heads is None else _column(host["entropy"], index),
            )
            for index, name in enumerate(HEAD_NAMES)
        },
        values=[row[0] for row in host["value"]],
        hidden_norms=None if result.hidden is None else [row[0] for row in host["hidden_norm"]],
        extra_flags={
            name.removeprefix("extra:"): [value for row in rows for value in row]
            for name, rows in host.items()
            if name.startswith("extra:")
        },
    )


class _Packer:
    """Collects named device tensors, then moves them to the host as one flat tensor."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._tensors: list[torch.Tensor] = []

    def add(self, name: str, tensor: torch.Tensor) -> None:
        self._names.append(name)
        self._tensors.append(tensor)

    def transfer(self) -> dict[str, list[list[float]]]:
        """Each tensor's values as rows: [B, k] → B rows of k, [B] → B rows of 1, a scalar → one row."""
        flat = torch.cat([tensor.reshape(-1) for tensor in self._tensors]).cpu().tolist()
        unpacked: dict[str, list[list[float]]] = {}
        start = 0
        for name, tensor in zip(self._names, self._tensors, strict=True):
            rows = tensor.shape[0] if tensor.dim() > 0 else 1
            width = tensor.numel() // rows if rows else 0
            unpacked[name] = [flat[start + row * width : start + (row + 1) * width] for row in range(rows)]
            start += tensor.numel()
        return unpacked


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


def _head_slice(rows: list[list[float]], per_head: Mapping[str, torch.Tensor], name: str) -> list[list[float]]:
    """One head's options, per row, out of the rows ``_per_head_rows`` laid out."""
    if isinstance(per_head, HeadTensors):
        width = per_head.packed.shape[2]
        start, size = HEAD_NAMES.index(name) * width, per_head.sizes[name]
    else:
        sizes = [per_head[head].shape[-1] for head in HEAD_NAMES]
        index = HEAD_NAMES.index(name)
        start, size = sum(sizes[:index]), sizes[index]
    return [row[start : start + size] for row in rows]


def _column(rows: list[list[float]], index: int) -> list[float]:
    return [row[index] for row in rows]
