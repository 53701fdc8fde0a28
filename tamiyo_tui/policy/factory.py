"""``create_policy``: one call from a registered name and a slot configuration to a placed, ready bundle."""

from __future__ import annotations

from typing import Any

import torch

from tamiyo_tui.domain.constants import DEFAULT_LSTM_HIDDEN_DIM
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy import heuristic_bundle as _heuristic_bundle  # noqa: F401 - registers "heuristic"
from tamiyo_tui.policy import lstm_bundle as _lstm_bundle  # noqa: F401 - registers "lstm"
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.features import get_feature_size
from tamiyo_tui.policy.registry import get_policy

VALID_COMPILE_MODES = frozenset({"off", "default", "reduce-overhead", "max-autotune"})


def create_policy(
    policy_type: str = "lstm",
    *,
    slot_config: SlotConfig,
    device: torch.device | str = "cpu",
    compile_mode: str = "off",
    lstm_hidden_dim: int = DEFAULT_LSTM_HIDDEN_DIM,
    **kwargs: Any,
) -> Any:
    """Build the registered ``policy_type`` for ``slot_config``, move it to ``device``, then compile it.

    ``slot_config`` is required: there is deliberately no slot-count fallback, because a silently
    different slot count changes the observation size and the slot head. The observation size is
    derived from it; ``kwargs`` go to the bundle's constructor. ``device`` may be a resolve_device spec
    such as "auto". Compilation happens after placement (a compiled bundle refuses to move).
    """
    if compile_mode not in VALID_COMPILE_MODES:
        raise ValueError(f"compile_mode must be one of {sorted(VALID_COMPILE_MODES)}, got '{compile_mode}'")
    config = {
        "feature_dim": get_feature_size(slot_config),
        "hidden_dim": lstm_hidden_dim,
        "slot_config": slot_config,
        **kwargs,
    }
    policy = get_policy(policy_type, config)
    policy = policy.to(resolve_device(device) if isinstance(device, str) else device)
    # Inspection runs fixed shapes (batch 1, one step), so static shapes avoid dynamic-shape guards.
    policy.compile(compile_mode, dynamic=False)
    return policy
