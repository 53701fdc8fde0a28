"""The 2016337e masks equal the reference's ``compute_action_masks`` (``tools/make_2016337e_vectors.py``),
slot-by-op included, on 5,000 random states and on every state of a reduced three-slot space (each slot empty
or TRAINING/BLENDING/HOLDING x age 0/4/5 x alpha mode HOLD/UP, all enabled: 6,859 states); and their reasons
name that generation's rules."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
from observations import a_report, an_observation

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
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

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "esper-2016337e-masks.json").read_text())
CASES = [dict(zip(VECTORS["case_fields"], case, strict=True)) for case in VECTORS["cases"]]
SPACE = VECTORS["exhaustive"]["space"]


def decode(bits: str) -> dict[str, list]:
    """The heads' masks (and slot_by_op's rows) back from the words the tool writes."""
    words = bits.split(" ")
    heads = VECTORS["heads"]
    masks: dict[str, list] = {
        head: [c == "1" for c in word] for head, word in zip(heads, words[: len(heads)], strict=True)
    }
    masks["slot_by_op"] = [[c == "1" for c in word] for word in words[len(heads) :]]
    return masks


def seed_info(state: list | None) -> MaskSeedInfo | None:
    return None if state is None else MaskSeedInfo(stage=state[0], seed_age_epochs=state[1], alpha_mode=state[2])


def assert_masks_equal(inputs: MaskInputs, bits: str, context: object) -> None:
    expected = decode(bits)
    explanation = explain_masks(inputs)
    assert set(expected) == {*HEAD_NAMES, "slot_by_op"}
    for head in HEAD_NAMES:
        assert list(explanation.mask(head)) == expected[head], (head, context)
    assert [list(row) for row in slot_by_op(explanation, inputs)] == expected["slot_by_op"], context


def inputs_of(case: dict) -> MaskInputs:
    return MaskInputs(
        slot_states={s: seed_info(state) for s, state in zip(case["slot_ids"], case["slot_states"], strict=True)},
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


@pytest.mark.parametrize("index", range(0, len(CASES), 100))
def test_every_mask_equals_the_reference(index: int) -> None:
    for case in CASES[index : index + 100]:
        assert_masks_equal(inputs_of(case), case["masks"], case)


def exhaustive_states() -> list[tuple]:
    options = [None] + [
        [stage, age, mode] for stage in SPACE["stages"] for age in SPACE["ages"] for mode in SPACE["alpha_modes"]
    ]
    return list(itertools.product(options, repeat=len(SPACE["slot_ids"])))


def exhaustive_inputs(states: tuple) -> MaskInputs:
    settings = SPACE["settings"]
    return MaskInputs(
        slot_states={s: seed_info(state) for s, state in zip(SPACE["slot_ids"], states, strict=True)},
        enabled_slots=tuple(SPACE["slot_ids"]),
        slot_config=SlotConfig(tuple(SPACE["slot_ids"])),
        total_seeds=sum(state is not None for state in states),
        max_seeds=settings["max_seeds"],
        topology=settings["topology"],
        min_prune_age=MIN_PRUNE_AGE,
        allow_governor_override=settings["allow_governor_override"],
        germination_blocked_by=GERMINATION_BLOCKED_BY,
        advance_disabled=settings["disable_advance"],
        generation=GENERATION,
    )


@pytest.mark.parametrize("start", range(0, 19**3, 361))
def test_every_state_of_the_reduced_space_equals_the_reference(start: int) -> None:
    states, masks = exhaustive_states(), VECTORS["exhaustive"]["masks"]
    assert len(states) == len(masks) == 19**3
    for index in range(start, start + 361):
        assert_masks_equal(exhaustive_inputs(states[index]), masks[index], states[index])


def test_the_vectors_hold_enough_states_and_every_op_both_ways() -> None:
    assert len(CASES) >= 5000
    ops = [decode(bits)["op"] for bits in VECTORS["exhaustive"]["masks"]]
    assert len({tuple(op) for op in ops}) > 4  # the space tells the rules apart
    for op in range(len(ops[0])):
        assert any(row[op] for row in ops), op  # every op allowed somewhere
        assert not all(row[op] for row in ops) or op == int(LifecycleOp.WAIT), op  # and refused somewhere


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
    # Every reason of the generation's rules names it, the prune age included.
    assert "below min_prune_age 5 (2016337e's rule)" in ours.verdict("op", "PRUNE").reason
    # The same state under 60205274's rules germinates into the empty slots, and its reasons name no generation.
    older = explain_masks(MaskInputs.from_observation(observation))
    assert older.verdict("op", "GERMINATE").allowed
    assert "rule)" not in older.verdict("op", "PRUNE").reason


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
