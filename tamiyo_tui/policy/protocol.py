"""The PolicyBundle protocol: the one interface every policy (LSTM, heuristic, ...) implements."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.types import ActionResult, EvalResult, ForwardResult, Hidden, PolicyBatch

# The registry checks each of these on a class; keep them in step with the Protocol below.
REQUIRED_METHODS: tuple[str, ...] = (
    "get_action",
    "forward",
    "evaluate_actions",
    "get_q_values",
    "sync_from",
    "get_value",
    "initial_hidden",
    "state_dict",
    "load_state_dict",
    "to",
    "enable_gradient_checkpointing",
    "compile",
)
REQUIRED_PROPERTIES: tuple[str, ...] = (
    "is_recurrent",
    "supports_off_policy",
    "device",
    "dtype",
    "slot_config",
    "feature_dim",
    "hidden_dim",
    "network",
    "is_compiled",
)


@runtime_checkable
class PolicyBundle(Protocol):
    """A policy as the inspector and a trainer see it.

    ``get_action`` takes a ``PolicyBatch`` (observations + features + masks) so that a rule-based policy,
    which reads raw observations, is driven exactly like a network. ``forward`` and ``evaluate_actions``
    keep the reference's tensor signatures (features, masks) because only learnable policies need them.
    """

    def get_action(
        self, batch: PolicyBatch, hidden: Hidden | None = None, deterministic: bool = False
    ) -> ActionResult: ...

    def forward(
        self, features: torch.Tensor, masks: dict[str, torch.Tensor], hidden: Hidden | None = None
    ) -> ForwardResult: ...

    def evaluate_actions(
        self,
        features: torch.Tensor,
        actions: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor],
        hidden: Hidden | None = None,
    ) -> EvalResult: ...

    def get_q_values(self, features: torch.Tensor, action: dict[str, torch.Tensor]) -> Any: ...

    def sync_from(self, source: PolicyBundle, tau: float = 0.005) -> None: ...

    def get_value(self, features: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor: ...

    def initial_hidden(self, batch_size: int) -> Hidden | None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> Any: ...

    def to(self, device: torch.device | str) -> PolicyBundle: ...

    def enable_gradient_checkpointing(self, enabled: bool = True) -> None: ...

    def compile(self, mode: str = "default", dynamic: bool = True) -> None: ...

    @property
    def device(self) -> torch.device: ...

    @property
    def is_recurrent(self) -> bool: ...

    @property
    def supports_off_policy(self) -> bool: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def slot_config(self) -> SlotConfig: ...

    @property
    def feature_dim(self) -> int: ...

    @property
    def hidden_dim(self) -> int: ...

    @property
    def network(self) -> nn.Module | None: ...

    @property
    def is_compiled(self) -> bool: ...
