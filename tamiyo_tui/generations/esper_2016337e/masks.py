"""The masks of the 2016337e generation: the rule set of ``rules/masks.py`` with that generation's rules on,
and the slot-by-op mask its network reads.

What changes from 60205274 (each named in the reasons): GERMINATE waits while any enabled seed is
GERMINATED, TRAINING, PRUNED, EMBARGOED or RESETTING; a run may disable ADVANCE; the minimum prune age is 5.
The slot-by-op mask [ops × slots] says which slots each op may target: the enabled slots for WAIT, and for
every other op the slots whose seed allows it (the empty ones for GERMINATE).
"""

from __future__ import annotations

import dataclasses

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.generations.esper_2016337e.constants import GENERATION
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs

MIN_PRUNE_AGE = 5
GERMINATION_BLOCKED_BY = frozenset(
    int(stage)
    for stage in (SeedStage.GERMINATED, SeedStage.TRAINING, SeedStage.PRUNED, SeedStage.EMBARGOED, SeedStage.RESETTING)
)


def mask_inputs(
    observation: Observation, *, allow_governor_override: bool = False, disable_advance: bool = False
) -> MaskInputs:
    """What the rules read, with this generation's rules on (its prune age is the trainer's constant)."""
    return dataclasses.replace(
        MaskInputs.from_observation(observation, allow_governor_override=allow_governor_override),
        min_prune_age=MIN_PRUNE_AGE,
        germination_blocked_by=GERMINATION_BLOCKED_BY,
        advance_disabled=disable_advance,
        generation=GENERATION,
    )


def slot_by_op(explanation: MaskExplanation, inputs: MaskInputs) -> tuple[tuple[bool, ...], ...]:
    """Per op (in ``LifecycleOp`` order), which slots of the layout it may target."""
    slot_ids = inputs.slot_config.slot_ids
    rows = []
    for op in LifecycleOp:
        verdict = explanation.verdict("op", op.name)
        if op == LifecycleOp.WAIT:
            targets = set(inputs.ordered_enabled)
        else:
            targets = set(verdict.slots) if verdict.allowed else set()
        rows.append(tuple(slot_id in targets for slot_id in slot_ids))
    return tuple(rows)
