"""The numbers of the 2016337e generation that its network and checkpoint file are built from."""

from __future__ import annotations

from types import MappingProxyType

from tamiyo_tui.domain.actions import BlueprintAction

GENERATION = "2016337e"  # how reasons name this generation's rules ("… (2016337e's rule)")
FEATURE_DIM = 512  # the projection before the LSTM
LSTM_HIDDEN_DIM = 512
BLUEPRINT_EMBED_DIM = 4  # per slot, learned
BLUEPRINT_NULL_INDEX = len(BlueprintAction)  # the embedding row of a slot without a seed (index −1)
BASE_FEATURES = 23
SLOT_FEATURES = 31  # 23 + 31 × 3 = 116 for three slots
UNKNOWN = -1.0  # a feature whose value is not known

CHECKPOINT_VERSION = 2  # PPOAgent.save's checkpoint_version
VALUE_HEAD_SCHEMA_VERSION = 2  # V(s) baseline plus a telemetry Q(s, op) head

# The least probability every valid option of a head keeps while the policy samples (training and rollouts).
PROBABILITY_FLOOR: MappingProxyType[str, float] = MappingProxyType(
    {
        "op": 0.15,
        "slot": 0.05,
        "blueprint": 0.12,
        "style": 0.08,
        "tempo": 0.12,
        "alpha_target": 0.08,
        "alpha_speed": 0.06,
        "alpha_curve": 0.06,
    }
)


def state_dim(num_slots: int) -> int:
    """The observation vector's length for ``num_slots`` slots (blueprint indices travel apart)."""
    return BASE_FEATURES + SLOT_FEATURES * num_slots
