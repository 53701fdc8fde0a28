"""Pins the seed lifecycle (the reference's): stage values, transitions, predicates, schema.

Every expected value below is typed from the spec, never computed from the module under test, so a
drift in the table shows up as a failing test rather than a silently shifted index.
"""

from __future__ import annotations

import pytest

from tamiyo_tui.domain.stages import (
    ADVANCABLE_STAGES,
    FOSSILIZABLE_STAGES,
    GATE_FOR_TARGET,
    INDEX_TO_STAGE,
    NUM_STAGES,
    PRUNABLE_STAGES,
    RESERVED_STAGE_VALUES,
    RETARGETABLE_STAGES,
    STAGE_SCHEMA_VERSION,
    STAGE_TO_INDEX,
    VALID_STAGE_VALUES,
    VALID_STAGES,
    VALID_TRANSITIONS,
    GateLevel,
    SeedStage,
    default_advance_target,
    is_active_stage,
    is_failure_stage,
    is_terminal_stage,
    is_valid_transition,
    stage_to_index,
    stage_to_one_hot,
    validate_stage_value,
)

# SeedStage values
SPEC_STAGES = {
    "UNKNOWN": 0,
    "DORMANT": 1,
    "GERMINATED": 2,
    "TRAINING": 3,
    "BLENDING": 4,
    "HOLDING": 6,
    "FOSSILIZED": 7,
    "PRUNED": 8,
    "EMBARGOED": 9,
    "RESETTING": 10,
}

# The transition table, as enum values; row order is part of the contract.
SPEC_TRANSITIONS = {
    0: (1,),
    1: (2,),
    2: (3, 8),
    3: (4, 8),
    4: (6, 8),
    6: (7, 4, 8),
    7: (),
    8: (9,),
    9: (10,),
    10: (1,),
}

# (value, terminal, active, failure): the reference's helper predicates.
SPEC_PREDICATES = [
    (0, False, False, False),
    (1, False, False, False),
    (2, False, False, False),
    (3, False, True, False),
    (4, False, True, False),
    (6, False, True, False),
    (7, True, True, False),
    (8, False, False, True),
    (9, False, False, True),
    (10, False, False, True),
]

INVALID_STAGE_MESSAGE = "valid values are [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]"


def test_seed_stage_members_and_values() -> None:
    assert {stage.name: stage.value for stage in SeedStage} == SPEC_STAGES
    assert [stage.value for stage in SeedStage] == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]


def test_stage_value_5_is_unused() -> None:
    with pytest.raises(ValueError):
        SeedStage(5)


def test_valid_transitions_rows_in_order() -> None:
    as_values = {int(source): tuple(int(target) for target in row) for source, row in VALID_TRANSITIONS.items()}
    assert as_values == SPEC_TRANSITIONS
    for source, row in VALID_TRANSITIONS.items():
        assert isinstance(source, SeedStage)
        assert all(isinstance(target, SeedStage) for target in row)


def test_holding_lists_fossilized_first_so_advance_finalises() -> None:
    assert VALID_TRANSITIONS[SeedStage.HOLDING][0] is SeedStage.FOSSILIZED


@pytest.mark.parametrize("source", [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
def test_is_valid_transition_matches_table(source: int) -> None:
    allowed = SPEC_TRANSITIONS.get(source, ())
    for target in range(-1, 12):
        assert is_valid_transition(source, target) is (target in allowed), (source, target)


@pytest.mark.parametrize(("value", "terminal", "active", "failure"), SPEC_PREDICATES)
def test_stage_predicates(value: int, terminal: bool, active: bool, failure: bool) -> None:
    stage = SeedStage(value)
    assert is_terminal_stage(stage) is terminal
    assert is_active_stage(stage) is active
    assert is_failure_stage(stage) is failure
    # Masks pass plain ints; the predicates must agree with the enum members.
    assert is_terminal_stage(value) is terminal
    assert is_active_stage(value) is active
    assert is_failure_stage(value) is failure


def test_predicates_reject_reserved_value() -> None:
    assert not is_terminal_stage(5)
    assert not is_active_stage(5)
    assert not is_failure_stage(5)


def test_derived_stage_sets() -> None:
    # The masks' derived stage sets (integer values).
    assert frozenset({6}) == FOSSILIZABLE_STAGES
    assert frozenset({2, 3, 4, 6}) == PRUNABLE_STAGES
    assert frozenset({2, 3, 4}) == ADVANCABLE_STAGES
    # SET_ALPHA_TARGET only from BLENDING or HOLDING.
    assert frozenset({4, 6}) == RETARGETABLE_STAGES
    for stage_set in (FOSSILIZABLE_STAGES, PRUNABLE_STAGES, ADVANCABLE_STAGES, RETARGETABLE_STAGES):
        assert isinstance(stage_set, frozenset)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (SeedStage.UNKNOWN, SeedStage.DORMANT),
        (SeedStage.DORMANT, SeedStage.GERMINATED),
        (SeedStage.GERMINATED, SeedStage.TRAINING),
        (SeedStage.TRAINING, SeedStage.BLENDING),
        (SeedStage.BLENDING, SeedStage.HOLDING),
        (SeedStage.HOLDING, SeedStage.FOSSILIZED),
        (SeedStage.FOSSILIZED, None),
        # Rows holding only failure stages have no plain "advance".
        (SeedStage.PRUNED, None),
        (SeedStage.EMBARGOED, None),
        (SeedStage.RESETTING, SeedStage.DORMANT),
    ],
)
def test_default_advance_target(stage: SeedStage, expected: SeedStage | None) -> None:
    assert default_advance_target(stage) is expected


def test_gate_levels() -> None:
    assert {gate.name: gate.value for gate in GateLevel} == {"G0": 0, "G1": 1, "G2": 2, "G3": 3, "G5": 5}
    with pytest.raises(ValueError):
        GateLevel(4)


def test_gate_for_target() -> None:
    # The gate is named by the stage being entered.
    assert {int(stage): int(gate) for stage, gate in GATE_FOR_TARGET.items()} == {2: 0, 3: 1, 4: 2, 6: 3, 7: 5}


# --- stage one-hot schema ------------------------------------------------------------------------------


def test_stage_schema_constants() -> None:
    assert STAGE_SCHEMA_VERSION == 1
    assert NUM_STAGES == 10
    assert [stage.name for stage in VALID_STAGES] == [
        "UNKNOWN",
        "DORMANT",
        "GERMINATED",
        "TRAINING",
        "BLENDING",
        "HOLDING",
        "FOSSILIZED",
        "PRUNED",
        "EMBARGOED",
        "RESETTING",
    ]


def test_stage_to_index_map() -> None:
    assert STAGE_TO_INDEX == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 7: 6, 8: 7, 9: 8, 10: 9}


def test_index_to_stage_is_the_inverse() -> None:
    assert {index: int(stage) for index, stage in INDEX_TO_STAGE.items()} == {
        0: 0,
        1: 1,
        2: 2,
        3: 3,
        4: 4,
        5: 6,
        6: 7,
        7: 8,
        8: 9,
        9: 10,
    }


def test_valid_and_reserved_stage_values() -> None:
    assert frozenset({0, 1, 2, 3, 4, 6, 7, 8, 9, 10}) == VALID_STAGE_VALUES
    assert frozenset({5}) == RESERVED_STAGE_VALUES
    assert isinstance(VALID_STAGE_VALUES, frozenset)
    assert isinstance(RESERVED_STAGE_VALUES, frozenset)


def test_one_hot_examples_from_spec() -> None:
    assert stage_to_one_hot(SeedStage.TRAINING) == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert stage_to_one_hot(SeedStage.HOLDING) == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert stage_to_one_hot(10) == [0.0] * 9 + [1.0]


@pytest.mark.parametrize(
    ("value", "index"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6, 5), (7, 6), (8, 7), (9, 8), (10, 9)]
)
def test_one_hot_and_index_for_every_valid_stage(value: int, index: int) -> None:
    assert stage_to_index(value) == index
    one_hot = stage_to_one_hot(value)
    assert len(one_hot) == 10
    assert one_hot[index] == 1.0
    assert sum(one_hot) == 1.0
    assert all(isinstance(entry, float) for entry in one_hot)


@pytest.mark.parametrize("value", [5, -1, 11, 100])
def test_invalid_stage_values_raise(value: int) -> None:
    with pytest.raises(ValueError, match=rf"^Invalid stage value {value}; ") as one_hot_error:
        stage_to_one_hot(value)
    assert INVALID_STAGE_MESSAGE in str(one_hot_error.value)
    with pytest.raises(ValueError, match=rf"^Invalid stage value {value}; ") as index_error:
        stage_to_index(value)
    assert INVALID_STAGE_MESSAGE in str(index_error.value)


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4, 6, 7, 8, 9, 10])
def test_validate_stage_value_accepts_valid(value: int) -> None:
    assert validate_stage_value(value) is None
    assert validate_stage_value(value, context="ctx") is None


def test_validate_stage_value_reserved() -> None:
    with pytest.raises(ValueError, match="reserved/retired"):
        validate_stage_value(5)


@pytest.mark.parametrize("value", [-1, 11])
def test_validate_stage_value_invalid(value: int) -> None:
    with pytest.raises(ValueError, match="Invalid stage value") as error:
        validate_stage_value(value)
    assert "reserved/retired" not in str(error.value)


@pytest.mark.parametrize(("value", "phrase"), [(5, "reserved/retired"), (11, "Invalid stage value")])
def test_validate_stage_value_context_prefix(value: int, phrase: str) -> None:
    with pytest.raises(ValueError) as with_context:
        validate_stage_value(value, context="ctx")
    assert str(with_context.value).startswith("ctx: ")
    assert phrase in str(with_context.value)
    with pytest.raises(ValueError) as without_context:
        validate_stage_value(value)
    assert not str(without_context.value).startswith(": ")
