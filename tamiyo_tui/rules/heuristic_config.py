"""The heuristic's configuration: its thresholds and blueprint rotation, and the reference's flat action enum.

The flat enum (WAIT, GERMINATE_<BLUEPRINT>, FOSSILIZE, PRUNE, ADVANCE) is what the reference heuristic
picks from; here it names decisions (``HeuristicDecision.flat_action``) and fixes which blueprints a
rotation may hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from tamiyo_tui.domain.actions import VALID_TOPOLOGIES, blueprints_for_topology
from tamiyo_tui.domain.constants import (
    DEFAULT_BLUEPRINT_PENALTY_DECAY,
    DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE,
    DEFAULT_BLUEPRINT_PENALTY_THRESHOLD,
    DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE,
    DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE,
    DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE,
    DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE,
    DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT,
    DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY,
)

# --- the flat action enum ------------------------------------------------------------------------------

# Parameter estimates per registered blueprint; they only fix the order of the GERMINATE_* members.
BLUEPRINT_PARAM_ESTIMATES: dict[str, dict[str, int]] = {
    "cnn": {
        "noop": 0,
        "norm": 100,
        "attention": 2000,
        "depthwise": 4800,
        "bottleneck": 12000,
        "conv_small": 18000,
        "conv_light": 37000,
        "conv_heavy": 74000,
    },
    "transformer": {
        "noop": 0,
        "norm": 800,
        "lora": 6000,
        "lora_large": 25000,
        "attention": 50000,
        "flex_attention": 55000,
        "mlp_small": 300000,
        "mlp": 1200000,
    },
}
for _topology, _estimates in BLUEPRINT_PARAM_ESTIMATES.items():
    assert set(_estimates) == {bp.to_blueprint_id() for bp in blueprints_for_topology(_topology)}, _topology

GERMINATE_PREFIX = "GERMINATE_"


def check_topology(topology: str) -> None:
    if topology not in VALID_TOPOLOGIES:
        raise ValueError(f"Unknown topology '{topology}'. Valid: {sorted(VALID_TOPOLOGIES)}")


@cache
def build_action_enum(topology: str) -> type[IntEnum]:
    """The flat enum ("CnnAction"/"TransformerAction"): WAIT, GERMINATE_* smallest first, FOSSILIZE, PRUNE, ADVANCE."""
    check_topology(topology)
    estimates = BLUEPRINT_PARAM_ESTIMATES[topology]
    germinate = [GERMINATE_PREFIX + bp.upper() for bp in sorted(estimates, key=estimates.__getitem__)]
    names = ["WAIT", *germinate, "FOSSILIZE", "PRUNE", "ADVANCE"]
    return IntEnum(f"{topology.title()}Action", [(name, value) for value, name in enumerate(names)])


@cache
def available_blueprints(topology: str) -> frozenset[str]:
    """Blueprint ids the flat enum can germinate for ``topology`` (``noop`` included, as in the reference)."""
    return frozenset(
        member.name.removeprefix(GERMINATE_PREFIX).lower()
        for member in build_action_enum(topology)
        if member.name.startswith(GERMINATE_PREFIX)
    )


# --- configuration -------------------------------------------------------------------------------------

DEFAULT_BLUEPRINT_ROTATION: tuple[str, ...] = ("conv_light", "conv_heavy", "attention", "norm", "depthwise")
# The reference's default rotation is CNN-only. This one keeps its shape for transformers: a light
# adapter, its heavy variant, attention, the cheapest block, then one more topology-specific block. The
# MLP blueprints (0.3M–1.2M params, 4–16× the heaviest CNN default) are left out on purpose.
DEFAULT_TRANSFORMER_ROTATION: tuple[str, ...] = ("lora", "lora_large", "attention", "norm", "flex_attention")


@dataclass(frozen=True)
class HeuristicConfig:
    """The heuristic's thresholds; defaults are the reference's ``HeuristicPolicyConfig``."""

    plateau_epochs_to_germinate: int = DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE
    min_epochs_before_germinate: int = DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE
    prune_after_epochs_without_improvement: int = DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT
    prune_if_accuracy_drops_by: float = DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY  # percentage points
    min_improvement_to_fossilize: float = DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE
    embargo_epochs_after_prune: int = DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE
    blueprint_rotation: tuple[str, ...] = DEFAULT_BLUEPRINT_ROTATION
    blueprint_penalty_on_prune: float = DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE
    blueprint_penalty_decay: float = DEFAULT_BLUEPRINT_PENALTY_DECAY
    blueprint_penalty_threshold: float = DEFAULT_BLUEPRINT_PENALTY_THRESHOLD
    ransomware_contribution_threshold: float = 0.1
    ransomware_improvement_threshold: float = 0.0

    def __post_init__(self) -> None:
        # Policy files give lists; a tuple keeps the config hashable and immutable.
        object.__setattr__(self, "blueprint_rotation", tuple(self.blueprint_rotation))
        if not self.blueprint_rotation:
            raise ValueError("blueprint_rotation must name at least one blueprint")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> HeuristicConfig:
        """Build from a policy file's options; unknown keys are an error, not silently ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown heuristic config field(s): {unknown}. Valid: {sorted(known)}")
        return cls(**data)

    def rotation_for(self, topology: str) -> tuple[str, ...]:
        """The rotation to use for ``topology``, validated against its flat action enum.

        Decision (the reference fails here instead): a transformer heuristic whose rotation equals the
        CNN default gets ``DEFAULT_TRANSFORMER_ROTATION``. Any other rotation is used as given.
        """
        rotation = self.blueprint_rotation
        if topology == "transformer" and rotation == DEFAULT_BLUEPRINT_ROTATION:
            rotation = DEFAULT_TRANSFORMER_ROTATION
        available = available_blueprints(topology)
        invalid = sorted(set(rotation) - available)
        if invalid:
            raise ValueError(
                f"blueprint_rotation contains blueprints not available for topology '{topology}': "
                f"{invalid}. Available: {sorted(available)}"
            )
        return rotation
