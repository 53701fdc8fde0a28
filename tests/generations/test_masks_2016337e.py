"""The 2016337e masks equal the reference's ``compute_action_masks`` on 400 random states
(``tools/make_2016337e_vectors.py``), slot-by-op included, and their reasons name that generation's rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from observations import a_report, an_observation

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.generations.esper_2016337e.masks import (
    GENERATION,
    GERMINATION_BLOCKED_BY,
    MIN_PRUNE_AGE,
    mask_inputs,
    slot_by_op,
)
from tamiyo_tui.rules.masks import MaskInputs, MaskSeedInfo, explain_masks

CASES = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "esper-2016337e-masks.json").read_text())[
    "cases"
]


def inputs_of(case: dict) -> MaskInputs:
    return MaskInputs(
        slot_states={s: None if info is None else MaskSeedInfo(**info) for s, info in case["slot_states"].items()},
        enabled_slots=tuple(case["enabled_slots"]),
        slot_config=SlotConfig(tuple(case["slot_ids"])),
        total_seeds=case["total_seeds"],
        max_seeds=case["max_seeds"],
        topology=case["topology"],
        min_prune_age=MIN_PRUNE_AGE,
        allow_governor_override=case["allow_governor_override"],
        germination_blocked_by=GERMINATION_BLOCKED_BY,
        advance_disabled=case["disable_advance"],
        generation=GENERATION,
    )


@pytest.mark.parametrize("index", range(0, len(CASES), 8))
def test_every_mask_equals_the_reference(index: int) -> None:
    for case in CASES[index : index + 8]:
        inputs = inputs_of(case)
        explanation = explain_masks(inputs)
        for head in HEAD_NAMES:
            assert list(explanation.mask(head)) == case["masks"][head], (head, case)
        assert [list(row) for row in slot_by_op(explanation, inputs)] == case["masks"]["slot_by_op"], case


def test_the_vectors_reach_every_rule_of_the_generation() -> None:
    germination_held = advance_disabled = young_prune = 0
    for case in CASES:
        explanation = explain_masks(inputs_of(case))
        reason = explanation.verdict("op", "GERMINATE").reason
        germination_held += "no germination while an enabled seed is" in reason
        advance_disabled += "disable_advance" in explanation.verdict("op", "ADVANCE").reason
        young_prune += f"below min_prune_age {MIN_PRUNE_AGE}" in explanation.verdict("op", "PRUNE").reason
    assert min(germination_held, advance_disabled, young_prune) > 10


def test_a_training_seed_holds_germination_back_and_the_reason_says_so() -> None:
    observation = an_observation(reports={"r0c0": a_report("r0c0", SeedStage.TRAINING, epochs_total=2)})
    ours = explain_masks(mask_inputs(observation))
    verdict = ours.verdict("op", "GERMINATE")
    assert not verdict.allowed
    assert verdict.reason.startswith("2016337e: no germination while an enabled seed is")
    assert "(r0c0 is TRAINING)" in verdict.reason
    assert "below min_prune_age 5" in ours.verdict("op", "PRUNE").reason
    # The same state under 60205274's rules germinates into the empty slots.
    assert explain_masks(MaskInputs.from_observation(observation)).verdict("op", "GERMINATE").allowed


def test_disable_advance_masks_advance_with_its_name() -> None:
    observation = an_observation(reports={"r0c0": a_report("r0c0", SeedStage.TRAINING)})
    assert explain_masks(mask_inputs(observation)).verdict("op", "ADVANCE").allowed
    disabled = explain_masks(mask_inputs(observation, disable_advance=True)).verdict("op", "ADVANCE")
    assert not disabled.allowed and "disable_advance" in disabled.reason


def test_the_default_inputs_keep_60205274s_rules() -> None:
    defaults = {
        f.name: f.default
        for f in dataclasses.fields(MaskInputs)
        if f.name in ("germination_blocked_by", "advance_disabled")
    }
    assert defaults == {"germination_blocked_by": frozenset(), "advance_disabled": False}
