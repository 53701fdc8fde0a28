"""Pins the factored action space (the reference's): heads, enums, lookup tables and FactoredAction."""

from __future__ import annotations

import dataclasses
from enum import IntEnum

import pytest

from tamiyo_tui.domain import actions
from tamiyo_tui.domain.actions import (
    ACTION_HEAD_NAMES,
    ACTION_HEAD_SPECS,
    ALPHA_CURVE_NAMES,
    ALPHA_CURVE_TO_CURVE,
    ALPHA_CURVE_TO_STEEPNESS,
    ALPHA_SPEED_NAMES,
    ALPHA_SPEED_TO_STEPS,
    ALPHA_TARGET_NAMES,
    ALPHA_TARGET_VALUES,
    BLUEPRINT_ID_TO_INDEX,
    BLUEPRINT_IDS,
    CNN_BLUEPRINTS,
    HEAD_NAMES,
    OP_NAMES,
    STYLE_ALPHA_ALGORITHMS,
    STYLE_BLEND_IDS,
    STYLE_NAMES,
    STYLE_TO_KASMINA,
    TEMPO_NAMES,
    TEMPO_TO_EPOCHS,
    TRANSFORMER_BLUEPRINTS,
    VALID_TOPOLOGIES,
    ActionHeadSpec,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
    blueprints_for_topology,
    get_action_head_sizes,
)
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaCurve
from tamiyo_tui.domain.slots import SlotConfig

SPEC_BLUEPRINT_IDS = (
    "noop",
    "conv_light",
    "attention",
    "norm",
    "depthwise",
    "bottleneck",
    "conv_small",
    "conv_heavy",
    "lora",
    "lora_large",
    "mlp_small",
    "mlp",
    "flex_attention",
)

# The reference's member name → value, for all eight heads' enums (the slot head has none).
SPEC_ENUMS: list[tuple[type[IntEnum], dict[str, int]]] = [
    (
        BlueprintAction,
        {
            "NOOP": 0,
            "CONV_LIGHT": 1,
            "ATTENTION": 2,
            "NORM": 3,
            "DEPTHWISE": 4,
            "BOTTLENECK": 5,
            "CONV_SMALL": 6,
            "CONV_HEAVY": 7,
            "LORA": 8,
            "LORA_LARGE": 9,
            "MLP_SMALL": 10,
            "MLP": 11,
            "FLEX_ATTENTION": 12,
        },
    ),
    (GerminationStyle, {"LINEAR_ADD": 0, "LINEAR_MULTIPLY": 1, "SIGMOID_ADD": 2, "GATED_GATE": 3}),
    (TempoAction, {"FAST": 0, "STANDARD": 1, "SLOW": 2}),
    (AlphaTargetAction, {"HALF": 0, "SEVENTY": 1, "FULL": 2}),
    (AlphaSpeedAction, {"INSTANT": 0, "FAST": 1, "MEDIUM": 2, "SLOW": 3}),
    (AlphaCurveAction, {"LINEAR": 0, "COSINE": 1, "SIGMOID_GENTLE": 2, "SIGMOID": 3, "SIGMOID_SHARP": 4}),
    (
        LifecycleOp,
        {"WAIT": 0, "GERMINATE": 1, "SET_ALPHA_TARGET": 2, "PRUNE": 3, "FOSSILIZE": 4, "ADVANCE": 5},
    ),
]

SPEC_HEAD_NAMES = ("slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve", "op")
SPEC_DEFAULT_SIZES = {
    "slot": 3,
    "blueprint": 13,
    "style": 4,
    "tempo": 3,
    "alpha_target": 3,
    "alpha_speed": 4,
    "alpha_curve": 5,
    "op": 6,
}


# --- enums and tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("enum", "members"), SPEC_ENUMS, ids=[enum.__name__ for enum, _ in SPEC_ENUMS])
def test_head_enum_members_and_values(enum: type[IntEnum], members: dict[str, int]) -> None:
    assert issubclass(enum, IntEnum)
    assert [(member.name, member.value) for member in enum] == list(members.items())


def test_blueprint_ids_in_value_order() -> None:
    assert BLUEPRINT_IDS == SPEC_BLUEPRINT_IDS


@pytest.mark.parametrize(("value", "blueprint_id"), list(enumerate(SPEC_BLUEPRINT_IDS)))
def test_to_blueprint_id(value: int, blueprint_id: str) -> None:
    assert BlueprintAction(value).to_blueprint_id() == blueprint_id
    assert BLUEPRINT_ID_TO_INDEX[blueprint_id] == value


def test_blueprint_id_to_index_is_complete() -> None:
    assert len(BLUEPRINT_ID_TO_INDEX) == 13


def test_style_to_kasmina() -> None:
    assert STYLE_TO_KASMINA == {
        GerminationStyle.LINEAR_ADD: ("linear", AlphaAlgorithm.ADD),
        GerminationStyle.LINEAR_MULTIPLY: ("linear", AlphaAlgorithm.MULTIPLY),
        GerminationStyle.SIGMOID_ADD: ("sigmoid", AlphaAlgorithm.ADD),
        GerminationStyle.GATED_GATE: ("gated", AlphaAlgorithm.GATE),
    }
    assert {int(style): (blend, int(algorithm)) for style, (blend, algorithm) in STYLE_TO_KASMINA.items()} == {
        0: ("linear", 1),
        1: ("linear", 2),
        2: ("sigmoid", 1),
        3: ("gated", 3),
    }


def test_tempo_to_epochs() -> None:
    assert {int(tempo): epochs for tempo, epochs in TEMPO_TO_EPOCHS.items()} == {0: 3, 1: 5, 2: 8}


def test_alpha_target_values() -> None:
    assert ALPHA_TARGET_VALUES == (0.5, 0.7, 1.0)
    assert [target.to_target() for target in AlphaTargetAction] == [0.5, 0.7, 1.0]


def test_alpha_speed_to_steps() -> None:
    assert {int(speed): steps for speed, steps in ALPHA_SPEED_TO_STEPS.items()} == {0: 0, 1: 3, 2: 5, 3: 8}
    assert [speed.to_steps() for speed in AlphaSpeedAction] == [0, 3, 5, 8]


def test_alpha_curve_tables() -> None:
    expected_curves = [AlphaCurve.LINEAR, AlphaCurve.COSINE, AlphaCurve.SIGMOID, AlphaCurve.SIGMOID, AlphaCurve.SIGMOID]
    expected_steepness = [12.0, 12.0, 6.0, 12.0, 24.0]
    assert [ALPHA_CURVE_TO_CURVE[action] for action in AlphaCurveAction] == expected_curves
    assert [ALPHA_CURVE_TO_STEEPNESS[action] for action in AlphaCurveAction] == expected_steepness
    assert [action.to_curve() for action in AlphaCurveAction] == expected_curves
    assert [action.to_steepness() for action in AlphaCurveAction] == expected_steepness
    assert [int(curve) for curve in expected_curves] == [1, 2, 3, 3, 3]
    assert len(ALPHA_CURVE_TO_CURVE) == len(ALPHA_CURVE_TO_STEEPNESS) == 5


def test_name_tables() -> None:
    assert OP_NAMES == ("WAIT", "GERMINATE", "SET_ALPHA_TARGET", "PRUNE", "FOSSILIZE", "ADVANCE")
    assert STYLE_NAMES == ("LINEAR_ADD", "LINEAR_MULTIPLY", "SIGMOID_ADD", "GATED_GATE")
    assert STYLE_BLEND_IDS == ("linear", "linear", "sigmoid", "gated")
    assert STYLE_ALPHA_ALGORITHMS == (
        AlphaAlgorithm.ADD,
        AlphaAlgorithm.MULTIPLY,
        AlphaAlgorithm.ADD,
        AlphaAlgorithm.GATE,
    )
    assert TEMPO_NAMES == ("FAST", "STANDARD", "SLOW")
    assert ALPHA_TARGET_NAMES == ("HALF", "SEVENTY", "FULL")
    assert ALPHA_SPEED_NAMES == ("INSTANT", "FAST", "MEDIUM", "SLOW")
    assert ALPHA_CURVE_NAMES == ("LINEAR", "COSINE", "SIGMOID_GENTLE", "SIGMOID", "SIGMOID_SHARP")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NUM_BLUEPRINTS", 13),
        ("NUM_STYLES", 4),
        ("NUM_TEMPO", 3),
        ("NUM_OPS", 6),
        ("NUM_ALPHA_TARGETS", 3),
        ("NUM_ALPHA_SPEEDS", 4),
        ("NUM_ALPHA_CURVES", 5),
        ("OP_WAIT", 0),
        ("OP_GERMINATE", 1),
        ("OP_SET_ALPHA_TARGET", 2),
        ("OP_PRUNE", 3),
        ("OP_FOSSILIZE", 4),
        ("OP_ADVANCE", 5),
    ],
)
def test_integer_constants(name: str, value: int) -> None:
    constant = getattr(actions, name)
    assert constant == value
    assert type(constant) is int


# --- head specs ----------------------------------------------------------------------------------------


def test_head_names_in_canonical_order() -> None:
    assert HEAD_NAMES == SPEC_HEAD_NAMES
    assert ACTION_HEAD_NAMES == SPEC_HEAD_NAMES
    assert tuple(spec.name for spec in ACTION_HEAD_SPECS) == SPEC_HEAD_NAMES


def test_head_spec_enums() -> None:
    assert [(spec.enum, spec.slot_dependent) for spec in ACTION_HEAD_SPECS] == [
        (None, True),
        (BlueprintAction, False),
        (GerminationStyle, False),
        (TempoAction, False),
        (AlphaTargetAction, False),
        (AlphaSpeedAction, False),
        (AlphaCurveAction, False),
        (LifecycleOp, False),
    ]


def test_head_sizes_default_config() -> None:
    sizes = get_action_head_sizes(SlotConfig.default())
    assert sizes == SPEC_DEFAULT_SIZES
    assert tuple(sizes) == SPEC_HEAD_NAMES


def test_head_sizes_for_2x3_grid() -> None:
    assert get_action_head_sizes(SlotConfig.for_grid(2, 3)) == {**SPEC_DEFAULT_SIZES, "slot": 6}


def test_head_spec_names_and_size() -> None:
    slot_spec, op_spec = ACTION_HEAD_SPECS[0], ACTION_HEAD_SPECS[-1]
    grid = SlotConfig.for_grid(2, 3)
    assert slot_spec.names(grid) == ("r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2")
    assert slot_spec.size(grid) == 6
    assert slot_spec.names(SlotConfig.default()) == ("r0c0", "r0c1", "r0c2")
    assert op_spec.names(grid) == ("WAIT", "GERMINATE", "SET_ALPHA_TARGET", "PRUNE", "FOSSILIZE", "ADVANCE")
    assert op_spec.size(grid) == 6
    assert ACTION_HEAD_SPECS[6].names(grid) == ("LINEAR", "COSINE", "SIGMOID_GENTLE", "SIGMOID", "SIGMOID_SHARP")


def test_head_spec_missing_enum_raises() -> None:
    with pytest.raises(ValueError, match=r"^ActionHeadSpec 'blueprint' missing enum$"):
        ActionHeadSpec("blueprint", None)


def test_head_spec_defaults_and_frozen() -> None:
    spec = ActionHeadSpec("tempo", TempoAction)
    assert spec.slot_dependent is False
    assert [field.name for field in dataclasses.fields(ActionHeadSpec)] == ["name", "enum", "slot_dependent"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]


# --- FactoredAction ------------------------------------------------------------------------------------


def test_factored_action_fields_in_order() -> None:
    assert [field.name for field in dataclasses.fields(FactoredAction)] == [
        "slot_idx",
        "blueprint",
        "style",
        "tempo",
        "alpha_target",
        "alpha_speed",
        "alpha_curve",
        "op",
    ]


def test_factored_action_is_frozen() -> None:
    action = FactoredAction.from_indices(0, 0, 0, 0, 0, 0, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.op = LifecycleOp.PRUNE  # type: ignore[misc]


@pytest.mark.parametrize(
    "indices",
    [
        (0, 0, 0, 0, 0, 0, 0, 0),
        (2, 12, 3, 2, 2, 3, 4, 5),
        (1, 3, 2, 1, 1, 2, 3, 1),
        (5, 8, 1, 0, 2, 1, 2, 3),
    ],
)
def test_from_indices_to_indices_round_trip(indices: tuple[int, ...]) -> None:
    action = FactoredAction.from_indices(*indices)
    assert action.to_indices() == indices
    assert all(type(index) is int for index in action.to_indices())
    assert isinstance(action.blueprint, BlueprintAction)
    assert isinstance(action.style, GerminationStyle)
    assert isinstance(action.tempo, TempoAction)
    assert isinstance(action.alpha_target, AlphaTargetAction)
    assert isinstance(action.alpha_speed, AlphaSpeedAction)
    assert isinstance(action.alpha_curve, AlphaCurveAction)
    assert isinstance(action.op, LifecycleOp)


def test_from_indices_does_not_validate_slot() -> None:
    assert FactoredAction.from_indices(99, 0, 0, 0, 0, 0, 0, 0).slot_idx == 99


@pytest.mark.parametrize(
    "indices",
    [
        (0, 13, 0, 0, 0, 0, 0, 0),
        (0, 0, 4, 0, 0, 0, 0, 0),
        (0, 0, 0, 3, 0, 0, 0, 0),
        (0, 0, 0, 0, 3, 0, 0, 0),
        (0, 0, 0, 0, 0, 4, 0, 0),
        (0, 0, 0, 0, 0, 0, 5, 0),
        (0, 0, 0, 0, 0, 0, 0, 6),
        (0, -1, 0, 0, 0, 0, 0, 0),
    ],
)
def test_from_indices_rejects_out_of_range(indices: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        FactoredAction.from_indices(*indices)


@pytest.mark.parametrize(
    ("op", "flags"),
    [
        (LifecycleOp.WAIT, (False, False, False, True)),
        (LifecycleOp.GERMINATE, (True, False, False, False)),
        (LifecycleOp.SET_ALPHA_TARGET, (False, False, False, False)),
        (LifecycleOp.PRUNE, (False, True, False, False)),
        (LifecycleOp.FOSSILIZE, (False, False, True, False)),
        (LifecycleOp.ADVANCE, (False, False, False, False)),
    ],
)
def test_op_predicates(op: LifecycleOp, flags: tuple[bool, bool, bool, bool]) -> None:
    action = FactoredAction.from_indices(0, 0, 0, 0, 0, 0, 0, int(op))
    assert (action.is_germinate, action.is_prune, action.is_fossilize, action.is_wait) == flags


def test_derived_properties() -> None:
    # slot 1, CONV_HEAVY, GATED_GATE, SLOW, SEVENTY, MEDIUM, SIGMOID_SHARP, GERMINATE
    action = FactoredAction.from_indices(1, 7, 3, 2, 1, 2, 4, 1)
    assert action.blueprint_id == "conv_heavy"
    assert action.blend_algorithm_id == "gated"
    assert action.alpha_algorithm_value is AlphaAlgorithm.GATE
    assert action.alpha_target_value == 0.7
    assert type(action.alpha_target_value) is float
    assert action.alpha_speed_steps == 5
    assert type(action.alpha_speed_steps) is int
    assert action.alpha_curve_value is AlphaCurve.SIGMOID


@pytest.mark.parametrize(
    ("style", "blend", "algorithm"),
    [(0, "linear", AlphaAlgorithm.ADD), (1, "linear", AlphaAlgorithm.MULTIPLY), (2, "sigmoid", AlphaAlgorithm.ADD)],
)
def test_style_properties(style: int, blend: str, algorithm: AlphaAlgorithm) -> None:
    action = FactoredAction.from_indices(0, 12, style, 0, 0, 0, 1, 0)
    assert action.blend_algorithm_id == blend
    assert action.alpha_algorithm_value is algorithm
    assert action.blueprint_id == "flex_attention"
    assert action.alpha_curve_value is AlphaCurve.COSINE
    assert action.alpha_target_value == 0.5
    assert action.alpha_speed_steps == 0


# --- topology blueprint sets ---------------------------------------------------------------------------


def test_cnn_blueprints() -> None:
    assert {int(blueprint) for blueprint in CNN_BLUEPRINTS} == {0, 1, 2, 3, 4, 5, 6, 7}
    assert all(isinstance(blueprint, BlueprintAction) for blueprint in CNN_BLUEPRINTS)


def test_transformer_blueprints() -> None:
    assert {int(blueprint) for blueprint in TRANSFORMER_BLUEPRINTS} == {0, 2, 3, 8, 9, 10, 11, 12}
    assert all(isinstance(blueprint, BlueprintAction) for blueprint in TRANSFORMER_BLUEPRINTS)


@pytest.mark.parametrize(
    ("topology", "values"),
    [
        ("cnn", {0, 1, 2, 3, 4, 5, 6, 7}),
        ("transformer", {0, 2, 3, 8, 9, 10, 11, 12}),
        ("anything else", {0, 1, 2, 3, 4, 5, 6, 7}),
    ],
)
def test_blueprints_for_topology(topology: str, values: set[int]) -> None:
    assert {int(blueprint) for blueprint in blueprints_for_topology(topology)} == values


def test_valid_topologies() -> None:
    assert frozenset({"cnn", "transformer"}) == VALID_TOPOLOGIES
