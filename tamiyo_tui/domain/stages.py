"""Seed lifecycle stages, the transition table, and everything derived from it.

``VALID_TRANSITIONS`` is the single source of truth: the stage sets used by masks, the simulator and
the heuristic are computed from it here, never listed by hand elsewhere.
"""

from __future__ import annotations

from enum import IntEnum


class SeedStage(IntEnum):
    UNKNOWN = 0
    DORMANT = 1
    GERMINATED = 2
    TRAINING = 3
    BLENDING = 4
    # Value 5 (formerly SHADOWING) is retired and must never be reused.
    HOLDING = 6
    FOSSILIZED = 7
    PRUNED = 8
    EMBARGOED = 9
    RESETTING = 10


# Row order matters: the first non-failure target is what a plain "advance" moves to.
VALID_TRANSITIONS: dict[SeedStage, tuple[SeedStage, ...]] = {
    SeedStage.UNKNOWN: (SeedStage.DORMANT,),
    SeedStage.DORMANT: (SeedStage.GERMINATED,),
    SeedStage.GERMINATED: (SeedStage.TRAINING, SeedStage.PRUNED),
    SeedStage.TRAINING: (SeedStage.BLENDING, SeedStage.PRUNED),
    SeedStage.BLENDING: (SeedStage.HOLDING, SeedStage.PRUNED),
    SeedStage.HOLDING: (SeedStage.FOSSILIZED, SeedStage.BLENDING, SeedStage.PRUNED),
    SeedStage.FOSSILIZED: (),
    SeedStage.PRUNED: (SeedStage.EMBARGOED,),
    SeedStage.EMBARGOED: (SeedStage.RESETTING,),
    SeedStage.RESETTING: (SeedStage.DORMANT,),
}

TERMINAL_STAGES = frozenset({SeedStage.FOSSILIZED})
ACTIVE_STAGES = frozenset({SeedStage.TRAINING, SeedStage.BLENDING, SeedStage.HOLDING, SeedStage.FOSSILIZED})
FAILURE_STAGES = frozenset({SeedStage.PRUNED, SeedStage.EMBARGOED, SeedStage.RESETTING})

# Stage sets that drive the op masks, derived from the table (integer values, as masks compare ints).
FOSSILIZABLE_STAGES = frozenset(s.value for s, row in VALID_TRANSITIONS.items() if SeedStage.FOSSILIZED in row)
PRUNABLE_STAGES = frozenset(s.value for s, row in VALID_TRANSITIONS.items() if SeedStage.PRUNED in row)
# Explicit in the reference: HOLDING can also "advance" (to FOSSILIZED) but the ADVANCE op is meant for
# the three pre-holding stages.
ADVANCABLE_STAGES = frozenset({SeedStage.GERMINATED.value, SeedStage.TRAINING.value, SeedStage.BLENDING.value})
RETARGETABLE_STAGES = frozenset({SeedStage.BLENDING.value, SeedStage.HOLDING.value})

assert frozenset({SeedStage.HOLDING.value}) == FOSSILIZABLE_STAGES
assert {2, 3, 4, 6} == PRUNABLE_STAGES


def is_valid_transition(from_stage: int, to_stage: int) -> bool:
    try:
        row = VALID_TRANSITIONS[SeedStage(from_stage)]
    except ValueError:
        return False
    return to_stage in row


def is_terminal_stage(stage: int) -> bool:
    return stage in TERMINAL_STAGES


def is_active_stage(stage: int) -> bool:
    return stage in ACTIVE_STAGES


def is_failure_stage(stage: int) -> bool:
    return stage in FAILURE_STAGES


def default_advance_target(stage: SeedStage) -> SeedStage | None:
    """The stage a plain "advance" moves to: the first non-failure entry of the row."""
    for target in VALID_TRANSITIONS[stage]:
        if target not in FAILURE_STAGES:
            return target
    return None


class GateLevel(IntEnum):
    G0 = 0  # DORMANT -> GERMINATED
    G1 = 1  # GERMINATED -> TRAINING
    G2 = 2  # TRAINING -> BLENDING
    G3 = 3  # BLENDING -> HOLDING
    # 4 is retired.
    G5 = 5  # HOLDING -> FOSSILIZED


GATE_FOR_TARGET: dict[SeedStage, GateLevel] = {
    SeedStage.GERMINATED: GateLevel.G0,
    SeedStage.TRAINING: GateLevel.G1,
    SeedStage.BLENDING: GateLevel.G2,
    SeedStage.HOLDING: GateLevel.G3,
    SeedStage.FOSSILIZED: GateLevel.G5,
}


# --- stage one-hot schema (observation encoding) -------------------------------------------------------

STAGE_SCHEMA_VERSION = 1
VALID_STAGES: tuple[SeedStage, ...] = tuple(SeedStage)  # one-hot index order = enum order
NUM_STAGES = len(VALID_STAGES)
STAGE_TO_INDEX: dict[int, int] = {stage.value: index for index, stage in enumerate(VALID_STAGES)}
INDEX_TO_STAGE: dict[int, SeedStage] = dict(enumerate(VALID_STAGES))
STAGE_NAMES: dict[int, str] = {member.value: member.name for member in SeedStage}
VALID_STAGE_VALUES = frozenset(STAGE_TO_INDEX)
RESERVED_STAGE_VALUES = frozenset({5})

assert NUM_STAGES == 10


def validate_stage_value(value: int, *, context: str = "") -> None:
    prefix = f"{context}: " if context else ""
    if value in RESERVED_STAGE_VALUES:
        raise ValueError(f"{prefix}stage value {value} is reserved/retired (formerly SHADOWING)")
    if value not in VALID_STAGE_VALUES:
        raise ValueError(f"{prefix}Invalid stage value {value}; valid values are {sorted(VALID_STAGE_VALUES)}")


def stage_to_index(value: int) -> int:
    if value not in VALID_STAGE_VALUES:
        raise ValueError(f"Invalid stage value {value}; valid values are {sorted(VALID_STAGE_VALUES)}")
    return STAGE_TO_INDEX[value]


def stage_to_one_hot(value: int) -> list[float]:
    one_hot = [0.0] * NUM_STAGES
    one_hot[stage_to_index(value)] = 1.0
    return one_hot
