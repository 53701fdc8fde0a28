"""The LSTM policy behind the PolicyBundle interface (registered as "lstm")."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.constants import DEFAULT_LSTM_HIDDEN_DIM
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import get_feature_size
from tamiyo_tui.policy.network import FactoredRecurrentActorCritic
from tamiyo_tui.policy.registry import register_policy
from tamiyo_tui.policy.types import ActionResult, EvalResult, ForwardResult, Hidden, PolicyBatch

LSTM_POLICY_NAME = "lstm"


def mask_for_sequence_logits(mask: torch.Tensor) -> torch.Tensor:
    """A [B, A] mask as [B, 1, A], so it broadcasts over the time axis of [B, T, A] logits.

    The bundle always runs the network on [B, T, D] features (2-D ones get T = 1), so the logits are
    always 3-D and every 2-D mask needs the time axis, whatever the rank of the caller's features.
    """
    return mask.unsqueeze(1) if mask.dim() == 2 else mask


@register_policy(LSTM_POLICY_NAME)
class LSTMPolicyBundle:
    """``FactoredRecurrentActorCritic`` as a PolicyBundle.

    ``feature_dim`` is the observation size (default: derived from ``slot_config`` and ``telemetry``, whether
    the telemetry blocks follow the slot blocks); the network's own projection width before the LSTM stays
    at its default (128), as in the reference. ``compile`` applies to ``forward``.
    """

    def __init__(
        self,
        feature_dim: int | None = None,
        hidden_dim: int = DEFAULT_LSTM_HIDDEN_DIM,
        num_lstm_layers: int = 1,
        slot_config: SlotConfig | None = None,
        telemetry: bool = False,
    ) -> None:
        self._slot_config = slot_config if slot_config is not None else SlotConfig.default()
        self._feature_dim = get_feature_size(self._slot_config, telemetry) if feature_dim is None else feature_dim
        self._hidden_dim = hidden_dim
        self._num_lstm_layers = num_lstm_layers
        self._module = FactoredRecurrentActorCritic(
            state_dim=self._feature_dim,
            slot_config=self._slot_config,
            lstm_hidden_dim=hidden_dim,
            lstm_layers=num_lstm_layers,
        )
        self._network: nn.Module = self._module  # replaced by the compiled wrapper after compile()

    # --- decisions -----------------------------------------------------------------------------------

    def get_action(
        self,
        batch: PolicyBatch,
        hidden: Hidden | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
    ) -> ActionResult:
        """One decision per row of ``batch.features`` [B, D] under ``batch.masks`` (missing head = all valid).

        Raises ``InvalidStateMachineError`` for a head with no valid option and ``ValueError`` for
        non-finite logits. ``generator`` makes sampling reproducible.
        """
        return self._module.get_action(batch.features, hidden, batch.masks, deterministic, generator)

    def forward(
        self, features: torch.Tensor, masks: dict[str, torch.Tensor], hidden: Hidden | None = None
    ) -> ForwardResult:
        """Masked logits per head and values, all with a time axis ([B, T, A], [B, T]); [B, D] features get T = 1."""
        if features.dim() == 2:
            features = features.unsqueeze(1)
        aligned = {name: mask_for_sequence_logits(mask) for name, mask in masks.items()}
        output = self._network(features, hidden, aligned)
        return ForwardResult(
            logits={name: output[f"{name}_logits"] for name in HEAD_NAMES},
            value=output["value"],
            hidden=output["hidden"],
        )

    def evaluate_actions(
        self,
        features: torch.Tensor,
        actions: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor],
        hidden: Hidden | None = None,
    ) -> EvalResult:
        """Log-probs, values and normalized entropies of ``actions`` ([B, T] each), with gradients."""
        aligned = {name: mask_for_sequence_logits(mask) for name, mask in masks.items()}
        log_prob, value, entropy, new_hidden = self._module.evaluate_actions(features, actions, aligned, hidden)
        return EvalResult(log_prob=log_prob, value=value, entropy=entropy, hidden=new_hidden)

    def get_value(self, features: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor:
        raise NotImplementedError(
            "LSTMPolicyBundle.get_value is not used by tamiyo-tui: every decision's value comes with get_action "
            "(ActionResult.value), and forward() gives values for whole sequences."
        )

    @torch.inference_mode()
    def initial_hidden(self, batch_size: int) -> Hidden:
        """Zero (h, c) [layers, batch, hidden] on the policy's device."""
        return self._module.initial_hidden(batch_size)

    def get_q_values(self, features: torch.Tensor, action: dict[str, torch.Tensor]) -> Any:
        raise NotImplementedError(
            "LSTMPolicyBundle does not support off-policy algorithms: it has no Q-networks (supports_off_policy "
            "is False); use an on-policy algorithm such as PPO."
        )

    def sync_from(self, source: Any, tau: float = 0.005) -> None:
        raise NotImplementedError(
            "LSTMPolicyBundle does not support target network updates: it has no target network (only "
            "off-policy bundles implement sync_from)."
        )

    # --- weights and placement -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The uncompiled network's state_dict (reference key names, never an ``_orig_mod.`` prefix)."""
        return self._module.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> Any:
        return self._module.load_state_dict(state_dict, strict=strict)

    def to(self, device: torch.device | str) -> LSTMPolicyBundle:
        if self.is_compiled:
            raise RuntimeError(
                "Cannot call .to() on a compiled policy. Create a new policy on the target device and compile "
                "after placement."
            )
        self._module.to(device)
        return self

    def enable_gradient_checkpointing(self, enabled: bool = True) -> None:
        raise NotImplementedError(
            "LSTMPolicyBundle does not checkpoint activations: behaviour cloning of this small network fits in "
            "memory, and nothing in tamiyo-tui asks for it."
        )

    def compile(self, mode: str = "default", dynamic: bool = True) -> None:
        """Wrap the network in ``torch.compile`` (after device placement). No-op for "off" or when compiled."""
        if mode == "off" or self.is_compiled:
            return
        self._network = torch.compile(self._module, mode=mode, dynamic=dynamic)

    # --- properties ----------------------------------------------------------------------------------

    @property
    def slot_config(self) -> SlotConfig:
        return self._slot_config

    @property
    def feature_dim(self) -> int:
        return self._feature_dim

    @property
    def use_telemetry(self) -> bool:
        """The network reads the telemetry feature blocks (its input is the telemetry layout's size)."""
        return self._feature_dim == get_feature_size(self._slot_config, telemetry=True)

    @property
    def hidden_dim(self) -> int:
        return self._hidden_dim

    @property
    def num_lstm_layers(self) -> int:
        return self._num_lstm_layers

    @property
    def network(self) -> nn.Module:
        return self._network

    @property
    def is_compiled(self) -> bool:
        return self._network is not self._module

    @property
    def device(self) -> torch.device:
        return next(self._module.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self._module.parameters()).dtype

    @property
    def is_recurrent(self) -> bool:
        return True

    @property
    def supports_off_policy(self) -> bool:
        return False
