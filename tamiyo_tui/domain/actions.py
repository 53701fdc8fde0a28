"""The factored action space: eight heads, their enums, and every lookup table that goes with them.

Each table is derived from its enum (or asserted against it at import), so adding a member in one place
and forgetting another fails loudly instead of silently shifting an index.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaCurve
from tamiyo_tui.domain.slots import SlotConfig


class BlueprintAction(IntEnum):
    NOOP = 0
    CONV_LIGHT = 1
    ATTENTION = 2
    NORM = 3
    DEPTHWISE = 4
    BOTTLENECK = 5
    CONV_SMALL = 6
    CONV_HEAVY = 7
    LORA = 8
    LORA_LARGE = 9
    MLP_SMALL = 10
    MLP = 11
    FLEX_ATTENTION = 12

    def to_blueprint_id(self) -> str:
        return BLUEPRINT_IDS[self.value]


class GerminationStyle(IntEnum):
    LINEAR_ADD = 0
    LINEAR_MULTIPLY = 1
    SIGMOID_ADD = 2
    GATED_GATE = 3


class TempoAction(IntEnum):
    FAST = 0
    STANDARD = 1
    SLOW = 2


class LifecycleOp(IntEnum):
    WAIT = 0
    GERMINATE = 1
    SET_ALPHA_TARGET = 2
    PRUNE = 3
    FOSSILIZE = 4
    ADVANCE = 5


class AlphaTargetAction(IntEnum):
    HALF = 0
    SEVENTY = 1
    FULL = 2

    def to_target(self) -> float:
        return ALPHA_TARGET_VALUES[self.value]


class AlphaSpeedAction(IntEnum):
    INSTANT = 0
    FAST = 1
    MEDIUM = 2
    SLOW = 3

    def to_steps(self) -> int:
        return ALPHA_SPEED_TO_STEPS[self]


class AlphaCurveAction(IntEnum):
    LINEAR = 0
    COSINE = 1
    SIGMOID_GENTLE = 2
    SIGMOID = 3
    SIGMOID_SHARP = 4

    def to_curve(self) -> AlphaCurve:
        return ALPHA_CURVE_TO_CURVE[self]

    def to_steepness(self) -> float:
        return ALPHA_CURVE_TO_STEEPNESS[self]


OP_WAIT, OP_GERMINATE, OP_SET_ALPHA_TARGET, OP_PRUNE, OP_FOSSILIZE, OP_ADVANCE = (int(op) for op in LifecycleOp)

# Registry ids are the lower-cased member names.
BLUEPRINT_IDS: tuple[str, ...] = tuple(member.name.lower() for member in BlueprintAction)
BLUEPRINT_ID_TO_INDEX: dict[str, int] = {bp_id: index for index, bp_id in enumerate(BLUEPRINT_IDS)}

STYLE_TO_KASMINA: dict[GerminationStyle, tuple[str, AlphaAlgorithm]] = {
    GerminationStyle.LINEAR_ADD: ("linear", AlphaAlgorithm.ADD),
    GerminationStyle.LINEAR_MULTIPLY: ("linear", AlphaAlgorithm.MULTIPLY),
    GerminationStyle.SIGMOID_ADD: ("sigmoid", AlphaAlgorithm.ADD),
    GerminationStyle.GATED_GATE: ("gated", AlphaAlgorithm.GATE),
}
TEMPO_TO_EPOCHS: dict[TempoAction, int] = {TempoAction.FAST: 3, TempoAction.STANDARD: 5, TempoAction.SLOW: 8}
ALPHA_TARGET_VALUES: tuple[float, ...] = (0.5, 0.7, 1.0)
ALPHA_SPEED_TO_STEPS: dict[AlphaSpeedAction, int] = {
    AlphaSpeedAction.INSTANT: 0,
    AlphaSpeedAction.FAST: 3,
    AlphaSpeedAction.MEDIUM: 5,
    AlphaSpeedAction.SLOW: 8,
}
ALPHA_CURVE_TO_CURVE: dict[AlphaCurveAction, AlphaCurve] = {
    AlphaCurveAction.LINEAR: AlphaCurve.LINEAR,
    AlphaCurveAction.COSINE: AlphaCurve.COSINE,
    AlphaCurveAction.SIGMOID_GENTLE: AlphaCurve.SIGMOID,
    AlphaCurveAction.SIGMOID: AlphaCurve.SIGMOID,
    AlphaCurveAction.SIGMOID_SHARP: AlphaCurve.SIGMOID,
}
# LINEAR and COSINE ignore steepness; 12.0 keeps the controller's default for them.
ALPHA_CURVE_TO_STEEPNESS: dict[AlphaCurveAction, float] = {
    AlphaCurveAction.LINEAR: 12.0,
    AlphaCurveAction.COSINE: 12.0,
    AlphaCurveAction.SIGMOID_GENTLE: 6.0,
    AlphaCurveAction.SIGMOID: 12.0,
    AlphaCurveAction.SIGMOID_SHARP: 24.0,
}

OP_NAMES: tuple[str, ...] = tuple(op.name for op in LifecycleOp)
STYLE_NAMES: tuple[str, ...] = tuple(style.name for style in GerminationStyle)
STYLE_BLEND_IDS: tuple[str, ...] = tuple(STYLE_TO_KASMINA[style][0] for style in GerminationStyle)
STYLE_ALPHA_ALGORITHMS: tuple[AlphaAlgorithm, ...] = tuple(STYLE_TO_KASMINA[s][1] for s in GerminationStyle)
TEMPO_NAMES: tuple[str, ...] = tuple(tempo.name for tempo in TempoAction)
ALPHA_TARGET_NAMES: tuple[str, ...] = tuple(target.name for target in AlphaTargetAction)
ALPHA_SPEED_NAMES: tuple[str, ...] = tuple(speed.name for speed in AlphaSpeedAction)
ALPHA_CURVE_NAMES: tuple[str, ...] = tuple(curve.name for curve in AlphaCurveAction)

NUM_BLUEPRINTS = len(BlueprintAction)
NUM_STYLES = len(GerminationStyle)
NUM_TEMPO = len(TempoAction)
NUM_OPS = len(LifecycleOp)
NUM_ALPHA_TARGETS = len(AlphaTargetAction)
NUM_ALPHA_SPEEDS = len(AlphaSpeedAction)
NUM_ALPHA_CURVES = len(AlphaCurveAction)

for _enum, _table in (
    (GerminationStyle, STYLE_TO_KASMINA),
    (TempoAction, TEMPO_TO_EPOCHS),
    (AlphaTargetAction, ALPHA_TARGET_VALUES),
    (AlphaSpeedAction, ALPHA_SPEED_TO_STEPS),
    (AlphaCurveAction, ALPHA_CURVE_TO_CURVE),
    (AlphaCurveAction, ALPHA_CURVE_TO_STEEPNESS),
):
    assert len(_table) == len(_enum), f"{_enum.__name__} table out of sync"
assert (NUM_BLUEPRINTS, NUM_STYLES, NUM_TEMPO, NUM_OPS) == (13, 4, 3, 6)
assert (NUM_ALPHA_TARGETS, NUM_ALPHA_SPEEDS, NUM_ALPHA_CURVES) == (3, 4, 5)

# The ops for which the style head's choice matters; for every other op the style is forced to SIGMOID_ADD.
STYLE_RELEVANT_OPS = frozenset({LifecycleOp.GERMINATE, LifecycleOp.SET_ALPHA_TARGET})


# --- topology blueprint sets ---------------------------------------------------------------------------

Topology = Literal["cnn", "transformer"]
VALID_TOPOLOGIES: frozenset[str] = frozenset({"cnn", "transformer"})

CNN_BLUEPRINTS = frozenset(
    {
        BlueprintAction.NOOP,
        BlueprintAction.NORM,
        BlueprintAction.ATTENTION,
        BlueprintAction.CONV_LIGHT,
        BlueprintAction.DEPTHWISE,
        BlueprintAction.BOTTLENECK,
        BlueprintAction.CONV_SMALL,
        BlueprintAction.CONV_HEAVY,
    }
)
TRANSFORMER_BLUEPRINTS = frozenset(
    {
        BlueprintAction.NOOP,
        BlueprintAction.NORM,
        BlueprintAction.ATTENTION,
        BlueprintAction.LORA,
        BlueprintAction.LORA_LARGE,
        BlueprintAction.MLP_SMALL,
        BlueprintAction.MLP,
        BlueprintAction.FLEX_ATTENTION,
    }
)


def blueprints_for_topology(topology: str) -> frozenset[BlueprintAction]:
    """The topology's registered blueprints; any string other than "transformer" behaves as CNN."""
    return TRANSFORMER_BLUEPRINTS if topology == "transformer" else CNN_BLUEPRINTS


# --- head specs ----------------------------------------------------------------------------------------

HeadName = Literal["slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve", "op"]


@dataclass(frozen=True, slots=True)
class ActionHeadSpec:
    name: str
    enum: type[IntEnum] | None
    slot_dependent: bool = False

    def __post_init__(self) -> None:
        if not self.slot_dependent and self.enum is None:
            raise ValueError(f"ActionHeadSpec '{self.name}' missing enum")

    def size(self, slot_config: SlotConfig) -> int:
        if self.slot_dependent:
            return slot_config.num_slots
        assert self.enum is not None
        return len(self.enum)

    def names(self, slot_config: SlotConfig) -> tuple[str, ...]:
        if self.slot_dependent:
            return tuple(slot_config.slot_ids)
        assert self.enum is not None
        return tuple(member.name for member in self.enum)


ACTION_HEAD_SPECS: tuple[ActionHeadSpec, ...] = (
    ActionHeadSpec("slot", None, slot_dependent=True),
    ActionHeadSpec("blueprint", BlueprintAction),
    ActionHeadSpec("style", GerminationStyle),
    ActionHeadSpec("tempo", TempoAction),
    ActionHeadSpec("alpha_target", AlphaTargetAction),
    ActionHeadSpec("alpha_speed", AlphaSpeedAction),
    ActionHeadSpec("alpha_curve", AlphaCurveAction),
    ActionHeadSpec("op", LifecycleOp),
)
HEAD_NAMES: tuple[str, ...] = tuple(spec.name for spec in ACTION_HEAD_SPECS)
ACTION_HEAD_NAMES = HEAD_NAMES
HEAD_SPECS_BY_NAME: dict[str, ActionHeadSpec] = {spec.name: spec for spec in ACTION_HEAD_SPECS}


def get_action_head_sizes(slot_config: SlotConfig) -> dict[str, int]:
    return {spec.name: spec.size(slot_config) for spec in ACTION_HEAD_SPECS}


# --- the factored action -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactoredAction:
    """One decision: an index or enum member per head, in canonical head order."""

    slot_idx: int
    blueprint: BlueprintAction
    style: GerminationStyle
    tempo: TempoAction
    alpha_target: AlphaTargetAction
    alpha_speed: AlphaSpeedAction
    alpha_curve: AlphaCurveAction
    op: LifecycleOp

    @classmethod
    def from_indices(
        cls,
        slot: int,
        blueprint: int,
        style: int,
        tempo: int,
        alpha_target: int,
        alpha_speed: int,
        alpha_curve: int,
        op: int,
    ) -> FactoredAction:
        return cls(
            slot_idx=int(slot),
            blueprint=BlueprintAction(blueprint),
            style=GerminationStyle(style),
            tempo=TempoAction(tempo),
            alpha_target=AlphaTargetAction(alpha_target),
            alpha_speed=AlphaSpeedAction(alpha_speed),
            alpha_curve=AlphaCurveAction(alpha_curve),
            op=LifecycleOp(op),
        )

    @classmethod
    def from_head_indices(cls, indices: dict[str, int]) -> FactoredAction:
        return cls.from_indices(*(indices[name] for name in HEAD_NAMES))

    def to_indices(self) -> tuple[int, int, int, int, int, int, int, int]:
        return (
            self.slot_idx,
            int(self.blueprint),
            int(self.style),
            int(self.tempo),
            int(self.alpha_target),
            int(self.alpha_speed),
            int(self.alpha_curve),
            int(self.op),
        )

    def to_head_indices(self) -> dict[str, int]:
        return dict(zip(HEAD_NAMES, self.to_indices(), strict=True))

    def option_names(self, slot_config: SlotConfig) -> dict[str, str]:
        """Head -> option name (slot ids for the slot head): the vocabulary of scenarios and records."""
        slot_ids = slot_config.slot_ids
        slot = slot_ids[self.slot_idx] if 0 <= self.slot_idx < len(slot_ids) else f"#{self.slot_idx}"
        return {"slot": slot, **{head: getattr(self, head).name for head in HEAD_NAMES[1:]}}

    @property
    def is_germinate(self) -> bool:
        return self.op == LifecycleOp.GERMINATE

    @property
    def is_prune(self) -> bool:
        return self.op == LifecycleOp.PRUNE

    @property
    def is_fossilize(self) -> bool:
        return self.op == LifecycleOp.FOSSILIZE

    @property
    def is_wait(self) -> bool:
        return self.op == LifecycleOp.WAIT

    @property
    def blueprint_id(self) -> str:
        return self.blueprint.to_blueprint_id()

    @property
    def blend_algorithm_id(self) -> str:
        return STYLE_TO_KASMINA[self.style][0]

    @property
    def alpha_algorithm_value(self) -> AlphaAlgorithm:
        return STYLE_TO_KASMINA[self.style][1]

    @property
    def alpha_target_value(self) -> float:
        return self.alpha_target.to_target()

    @property
    def alpha_speed_steps(self) -> int:
        return self.alpha_speed.to_steps()

    @property
    def alpha_curve_value(self) -> AlphaCurve:
        return self.alpha_curve.to_curve()


# Defaults for heads an operator or a scenario leaves out. NORM is registered for both topologies.
DEFAULT_HEAD_OPTIONS: dict[str, IntEnum] = {
    "blueprint": BlueprintAction.NORM,
    "style": GerminationStyle.SIGMOID_ADD,
    "tempo": TempoAction.STANDARD,
    "alpha_target": AlphaTargetAction.FULL,
    "alpha_speed": AlphaSpeedAction.INSTANT,
    "alpha_curve": AlphaCurveAction.LINEAR,
}


# The heads each op reads when the lifecycle carries it out (``Simulator`` and its slot operations); a
# choice on any other head changes nothing.
HEADS_USED_BY_OP: dict[str, tuple[str, ...]] = {
    LifecycleOp.WAIT.name: ("op",),
    LifecycleOp.GERMINATE.name: ("op", "slot", "blueprint", "style", "tempo", "alpha_target"),
    LifecycleOp.SET_ALPHA_TARGET.name: ("op", "slot", "alpha_target", "alpha_speed", "alpha_curve", "style"),
    LifecycleOp.PRUNE.name: ("op", "slot", "alpha_speed", "alpha_curve"),
    LifecycleOp.FOSSILIZE.name: ("op", "slot"),
    LifecycleOp.ADVANCE.name: ("op", "slot"),
}
assert set(HEADS_USED_BY_OP) == {op.name for op in LifecycleOp}
