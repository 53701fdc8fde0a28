"""The pure mask rule set: every op rule, its reason wording, the fallback heads, and import hygiene.

This module must not import torch: the rules are the torch-free reference the tensor masks are held to.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tamiyo_tui.domain.actions import (
    ACTION_HEAD_SPECS,
    HEAD_NAMES,
    BlueprintAction,
    LifecycleOp,
    get_action_head_sizes,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import HostMetrics, Observation, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.rules.masks import (
    MaskExplanation,
    MaskInputs,
    MaskSeedInfo,
    OptionVerdict,
    compute_masks,
    explain_masks,
)

CONFIG = SlotConfig.default()  # r0c0, r0c1, r0c2
HOLD, UP, DOWN = AlphaMode.HOLD, AlphaMode.UP, AlphaMode.DOWN


def seed(stage: SeedStage, age: int = 5, mode: AlphaMode = HOLD) -> MaskSeedInfo:
    return MaskSeedInfo(stage=int(stage), seed_age_epochs=age, alpha_mode=int(mode))


def inputs(
    states: dict[str, MaskSeedInfo | None] | None = None,
    enabled: tuple[str, ...] = CONFIG.slot_ids,
    **overrides,
) -> MaskInputs:
    """Every configured slot empty unless ``states`` says otherwise."""
    slot_states: dict[str, MaskSeedInfo | None] = dict.fromkeys(CONFIG.slot_ids)
    slot_states.update(states or {})
    return MaskInputs(slot_states=slot_states, enabled_slots=enabled, slot_config=CONFIG, **overrides)


def all_full(**states: MaskSeedInfo) -> dict[str, MaskSeedInfo | None]:
    """No empty slot: the named slots as given, the rest FOSSILIZED (which enables no op)."""
    full: dict[str, MaskSeedInfo | None] = {slot_id: seed(SeedStage.FOSSILIZED) for slot_id in CONFIG.slot_ids}
    full.update(states)
    return full


def op(explanation: MaskExplanation, lifecycle_op: LifecycleOp) -> OptionVerdict:
    return explanation.verdict("op", lifecycle_op.name)


def op_mask(masks: dict[str, tuple[bool, ...]]) -> dict[str, bool]:
    return {lifecycle_op.name: masks["op"][lifecycle_op] for lifecycle_op in LifecycleOp}


# --- import hygiene ------------------------------------------------------------------------------------


def test_rules_and_observation_import_without_torch_or_textual() -> None:
    code = (
        "import tamiyo_tui.rules.masks, tamiyo_tui.domain.observation, sys; "
        "assert 'torch' not in sys.modules and 'textual' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --- shape of an explanation ---------------------------------------------------------------------------


def test_explanation_covers_every_head_and_option_in_canonical_order() -> None:
    explanation = explain_masks(inputs())
    masks = explanation.masks()
    assert tuple(masks) == HEAD_NAMES
    assert {head: len(mask) for head, mask in masks.items()} == get_action_head_sizes(CONFIG)
    for spec in ACTION_HEAD_SPECS:
        verdicts = explanation.heads[spec.name]
        assert tuple(v.option for v in verdicts) == spec.names(CONFIG)
        assert all(v.head == spec.name for v in verdicts)


def test_compute_masks_is_the_explanation_without_words() -> None:
    state = inputs({"r0c0": seed(SeedStage.BLENDING, mode=UP), "r0c2": seed(SeedStage.HOLDING)}, total_seeds=2)
    assert compute_masks(state) == explain_masks(state).masks()


def test_verdict_lookup_returns_the_option_and_rejects_unknown_options() -> None:
    explanation = explain_masks(inputs())
    verdict = explanation.verdict("blueprint", "NORM")
    assert (verdict.head, verdict.option, verdict.allowed) == ("blueprint", "NORM", True)
    assert explanation.mask("blueprint")[BlueprintAction.NORM] is True
    with pytest.raises(KeyError, match="blueprint has no option 'NOPE'"):
        explanation.verdict("blueprint", "NOPE")


# --- slot head -----------------------------------------------------------------------------------------


def test_slot_head_follows_enabled_slots_in_config_order() -> None:
    explanation = explain_masks(inputs(enabled=("r0c2", "r0c0", "r9c9")))  # unknown id ignored
    assert explanation.mask("slot") == (True, False, True)
    assert explanation.verdict("slot", "r0c0") == OptionVerdict(
        "slot", "r0c0", True, "r0c0 is enabled for this policy", ("r0c0",)
    )
    assert explanation.verdict("slot", "r0c1") == OptionVerdict(
        "slot", "r0c1", False, "r0c1 is not in enabled_slots; the policy may not target it"
    )


def test_no_enabled_slot_masks_every_slot_and_every_op_but_wait() -> None:
    explanation = explain_masks(inputs({"r0c0": seed(SeedStage.HOLDING)}, enabled=()))
    assert explanation.mask("slot") == (False, False, False)
    assert op_mask(explanation.masks()) == {
        "WAIT": True,
        "GERMINATE": False,
        "SET_ALPHA_TARGET": False,
        "PRUNE": False,
        "FOSSILIZE": False,
        "ADVANCE": False,
    }
    assert op(explanation, LifecycleOp.GERMINATE).reason == "no slot is enabled"
    assert op(explanation, LifecycleOp.FOSSILIZE).reason == (
        "only a HOLDING seed can be fossilized: no enabled slot holds a seed"
    )


# --- blueprint head ------------------------------------------------------------------------------------


def test_cnn_blueprints_are_conv_family_without_noop() -> None:
    explanation = explain_masks(inputs(topology="cnn"))
    assert explanation.mask("blueprint") == (False,) + (True,) * 7 + (False,) * 5
    assert explanation.verdict("blueprint", "NOOP").reason == (
        "NOOP is always masked: germinating nothing is not an action"
    )
    assert explanation.verdict("blueprint", "CONV_LIGHT").reason == "CONV_LIGHT is registered for the cnn topology"
    assert explanation.verdict("blueprint", "LORA").reason == "LORA is not registered for the cnn topology"


def test_transformer_blueprints_without_noop() -> None:
    explanation = explain_masks(inputs(topology="transformer"))
    allowed = {BlueprintAction(i) for i, ok in enumerate(explanation.mask("blueprint")) if ok}
    assert {int(bp) for bp in allowed} == {2, 3, 8, 9, 10, 11, 12}
    assert explanation.verdict("blueprint", "CONV_HEAVY").reason == (
        "CONV_HEAVY is not registered for the transformer topology"
    )
    assert explanation.verdict("blueprint", "NOOP").allowed is False


def test_unknown_topology_behaves_as_cnn() -> None:
    explanation = explain_masks(inputs(topology="rnn"))
    assert explanation.mask("blueprint") == explain_masks(inputs(topology="cnn")).mask("blueprint")
    assert explanation.verdict("blueprint", "NORM").reason == "NORM is registered for the cnn topology"


# --- op head: WAIT and GERMINATE -----------------------------------------------------------------------


def test_wait_is_always_allowed() -> None:
    for state in (inputs(), inputs(all_full(), enabled=()), inputs(max_seeds=1, total_seeds=1)):
        verdict = op(explain_masks(state), LifecycleOp.WAIT)
        assert (verdict.allowed, verdict.reason, verdict.slots) == (True, "WAIT is always allowed", ())


def test_germinate_lists_only_enabled_empty_slots() -> None:
    verdict = op(
        explain_masks(inputs({"r0c0": seed(SeedStage.TRAINING)}, enabled=("r0c0", "r0c1"))), LifecycleOp.GERMINATE
    )
    assert (verdict.allowed, verdict.slots) == (True, ("r0c1",))
    assert verdict.reason == "empty enabled slot(s): r0c1"


def test_a_missing_slot_state_counts_as_empty() -> None:
    state = MaskInputs(
        slot_states={"r0c0": seed(SeedStage.TRAINING)}, enabled_slots=("r0c0", "r0c2"), slot_config=CONFIG
    )
    assert op(explain_masks(state), LifecycleOp.GERMINATE).slots == ("r0c2",)


def test_germinate_masked_reason_names_the_cooling_down_slot() -> None:
    state = inputs(all_full(r0c0=seed(SeedStage.TRAINING), r0c1=seed(SeedStage.EMBARGOED)))
    verdict = op(explain_masks(state), LifecycleOp.GERMINATE)
    assert (verdict.allowed, verdict.slots) == (False, ())
    assert verdict.reason == (
        "no enabled slot is empty (r0c0 is TRAINING, r0c1 is EMBARGOED, r0c2 is FOSSILIZED; "
        "a cooling-down slot is not empty)"
    )


def test_empty_but_disabled_slot_does_not_allow_germinate() -> None:
    state = inputs({"r0c0": seed(SeedStage.PRUNED)}, enabled=("r0c0",))
    verdict = op(explain_masks(state), LifecycleOp.GERMINATE)
    assert verdict.allowed is False
    assert verdict.reason == "no enabled slot is empty (r0c0 is PRUNED; a cooling-down slot is not empty)"


@pytest.mark.parametrize(
    ("total_seeds", "max_seeds", "allowed"),
    [(0, 0, True), (99, 0, True), (1, 2, True), (2, 2, False), (3, 2, False)],
)
def test_seed_cap_with_zero_meaning_unlimited(total_seeds: int, max_seeds: int, allowed: bool) -> None:
    verdict = op(explain_masks(inputs(total_seeds=total_seeds, max_seeds=max_seeds)), LifecycleOp.GERMINATE)
    assert verdict.allowed is allowed


def test_seed_cap_reason() -> None:
    verdict = op(explain_masks(inputs(total_seeds=2, max_seeds=2)), LifecycleOp.GERMINATE)
    assert verdict.reason == "seed cap reached: 2 of max_seeds 2 seeds in use"


# --- op head: PRUNE ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [SeedStage.GERMINATED, SeedStage.TRAINING, SeedStage.BLENDING, SeedStage.HOLDING])
def test_prunable_stages_old_enough_in_hold_allow_prune(stage: SeedStage) -> None:
    verdict = op(explain_masks(inputs(all_full(r0c1=seed(stage, age=1)))), LifecycleOp.PRUNE)
    assert (verdict.allowed, verdict.slots) == (True, ("r0c1",))
    assert verdict.reason == "prunable seed, age ≥ 1, alpha mode HOLD: r0c1"


def test_prune_masked_below_min_prune_age_names_the_age() -> None:
    verdict = op(explain_masks(inputs(all_full(r0c0=seed(SeedStage.TRAINING, age=0)))), LifecycleOp.PRUNE)
    assert verdict.allowed is False
    assert verdict.reason == (
        "needs a GERMINATED/TRAINING/BLENDING/HOLDING seed old enough and in alpha mode HOLD: "
        "r0c0 is 0 epoch(s) old, below min_prune_age 1; "
        "r0c1 is FOSSILIZED, which cannot be pruned; r0c2 is FOSSILIZED, which cannot be pruned"
    )


@pytest.mark.parametrize(("age", "allowed"), [(2, False), (3, True)])
def test_min_prune_age_comes_from_the_inputs(age: int, allowed: bool) -> None:
    state = inputs({"r0c0": seed(SeedStage.TRAINING, age=age)}, enabled=("r0c0",), min_prune_age=3)
    verdict = op(explain_masks(state), LifecycleOp.PRUNE)
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.reason.endswith("r0c0 is 2 epoch(s) old, below min_prune_age 3")


@pytest.mark.parametrize("mode", [UP, DOWN])
def test_prune_masked_during_an_alpha_ramp(mode: AlphaMode) -> None:
    state = inputs({"r0c0": seed(SeedStage.BLENDING, mode=mode)}, enabled=("r0c0",))
    verdict = op(explain_masks(state), LifecycleOp.PRUNE)
    assert verdict.allowed is False
    assert verdict.reason.endswith(f"r0c0 alpha mode is {mode.name}, not HOLD (a ramp is in progress)")


def test_governor_override_allows_prune_during_a_ramp() -> None:
    state = inputs({"r0c0": seed(SeedStage.BLENDING, mode=UP)}, enabled=("r0c0",), allow_governor_override=True)
    verdict = op(explain_masks(state), LifecycleOp.PRUNE)
    assert (verdict.allowed, verdict.slots) == (True, ("r0c0",))
    assert verdict.reason == "prunable seed, age ≥ 1 (governor override: alpha mode not required to be HOLD): r0c0"


def test_governor_override_does_not_lift_the_age_or_stage_requirement() -> None:
    young = inputs({"r0c0": seed(SeedStage.BLENDING, age=0, mode=UP)}, enabled=("r0c0",), allow_governor_override=True)
    assert op(explain_masks(young), LifecycleOp.PRUNE).allowed is False
    dead = inputs({"r0c0": seed(SeedStage.EMBARGOED, mode=UP)}, enabled=("r0c0",), allow_governor_override=True)
    verdict = op(explain_masks(dead), LifecycleOp.PRUNE)
    assert verdict.allowed is False
    assert verdict.reason.endswith("r0c0 is EMBARGOED, which cannot be pruned")


def test_prune_lists_every_enabling_slot_and_ignores_disabled_ones() -> None:
    state = inputs(
        {"r0c0": seed(SeedStage.HOLDING), "r0c1": seed(SeedStage.TRAINING), "r0c2": seed(SeedStage.GERMINATED)},
        enabled=("r0c0", "r0c1"),
    )
    assert op(explain_masks(state), LifecycleOp.PRUNE).slots == ("r0c0", "r0c1")


# --- op head: FOSSILIZE, ADVANCE, SET_ALPHA_TARGET -----------------------------------------------------


def test_fossilize_needs_holding_and_ignores_the_alpha_mode() -> None:
    verdict = op(explain_masks(inputs(all_full(r0c1=seed(SeedStage.HOLDING, mode=DOWN)))), LifecycleOp.FOSSILIZE)
    assert (verdict.allowed, verdict.slots, verdict.reason) == (True, ("r0c1",), "seed in HOLDING: r0c1")


def test_fossilize_masked_reason_lists_stages() -> None:
    state = inputs({"r0c0": seed(SeedStage.BLENDING)}, enabled=("r0c0", "r0c1"))
    verdict = op(explain_masks(state), LifecycleOp.FOSSILIZE)
    assert (verdict.allowed, verdict.reason) == (False, "only a HOLDING seed can be fossilized: r0c0 is BLENDING")


def test_holding_in_a_disabled_slot_enables_nothing() -> None:
    masks = compute_masks(inputs({"r0c2": seed(SeedStage.HOLDING)}, enabled=("r0c0",), max_seeds=1, total_seeds=1))
    assert op_mask(masks) == {
        "WAIT": True,
        "GERMINATE": False,
        "SET_ALPHA_TARGET": False,
        "PRUNE": False,
        "FOSSILIZE": False,
        "ADVANCE": False,
    }


def test_advance_for_the_three_pre_holding_stages() -> None:
    state = inputs(
        {"r0c0": seed(SeedStage.GERMINATED), "r0c1": seed(SeedStage.HOLDING), "r0c2": seed(SeedStage.BLENDING, mode=UP)}
    )
    verdict = op(explain_masks(state), LifecycleOp.ADVANCE)
    assert (verdict.allowed, verdict.slots) == (True, ("r0c0", "r0c2"))
    assert verdict.reason == "seed in GERMINATED/TRAINING/BLENDING: r0c0, r0c2"


def test_advance_masked_for_holding_and_dormant() -> None:
    state = inputs(all_full(r0c0=seed(SeedStage.HOLDING), r0c1=seed(SeedStage.DORMANT)))
    verdict = op(explain_masks(state), LifecycleOp.ADVANCE)
    assert verdict.allowed is False
    assert verdict.reason == (
        "needs a seed in GERMINATED, TRAINING or BLENDING: r0c0 is HOLDING; r0c1 is DORMANT; r0c2 is FOSSILIZED"
    )


@pytest.mark.parametrize("stage", [SeedStage.BLENDING, SeedStage.HOLDING])
def test_set_alpha_target_needs_blending_or_holding_in_hold(stage: SeedStage) -> None:
    verdict = op(explain_masks(inputs(all_full(r0c2=seed(stage)))), LifecycleOp.SET_ALPHA_TARGET)
    assert (verdict.allowed, verdict.slots) == (True, ("r0c2",))
    assert verdict.reason == "seed in BLENDING/HOLDING with alpha mode HOLD: r0c2"


def test_set_alpha_target_masked_reason_names_the_mode_of_retargetable_seeds_only() -> None:
    state = inputs(all_full(r0c0=seed(SeedStage.BLENDING, mode=UP), r0c1=seed(SeedStage.TRAINING)))
    verdict = op(explain_masks(state), LifecycleOp.SET_ALPHA_TARGET)
    assert verdict.allowed is False
    assert verdict.reason == (
        "needs a seed in BLENDING or HOLDING whose alpha mode is HOLD: "
        "r0c0 is BLENDING with alpha mode UP; r0c1 is TRAINING; r0c2 is FOSSILIZED"
    )


def test_set_alpha_target_is_not_lifted_by_the_governor_override() -> None:
    state = inputs(all_full(r0c0=seed(SeedStage.HOLDING, mode=DOWN)), allow_governor_override=True)
    assert op(explain_masks(state), LifecycleOp.SET_ALPHA_TARGET).allowed is False


# --- style / alpha_target fallback and the never-masked heads ------------------------------------------


def test_style_and_alpha_target_fall_back_when_nothing_uses_them() -> None:
    explanation = explain_masks(inputs(all_full(r0c0=seed(SeedStage.TRAINING))))
    assert explanation.mask("style") == (False, False, True, False)
    assert explanation.mask("alpha_target") == (False, False, True)
    assert explanation.verdict("style", "SIGMOID_ADD").reason == (
        "SIGMOID_ADD is kept open so the head stays well defined (no GERMINATE or SET_ALPHA_TARGET is possible)"
    )
    assert explanation.verdict("alpha_target", "FULL").reason == (
        "FULL is kept open so the head stays well defined (no GERMINATE or SET_ALPHA_TARGET is possible)"
    )
    assert explanation.verdict("style", "GATED_GATE").reason == (
        "only used by GERMINATE or SET_ALPHA_TARGET, and neither is possible now"
    )


def test_seed_cap_closes_style_and_alpha_target_too() -> None:
    masks = compute_masks(inputs(max_seeds=1, total_seeds=1))
    assert (masks["style"], masks["alpha_target"]) == ((False, False, True, False), (False, False, True))


@pytest.mark.parametrize(
    "state",
    [
        inputs(),  # GERMINATE possible
        inputs(all_full(r0c1=seed(SeedStage.HOLDING))),  # only SET_ALPHA_TARGET possible
    ],
)
def test_style_and_alpha_target_fully_open_when_germinate_or_retarget_is_possible(state: MaskInputs) -> None:
    explanation = explain_masks(state)
    assert explanation.mask("style") == (True,) * 4
    assert explanation.mask("alpha_target") == (True,) * 3
    assert explanation.verdict("style", "LINEAR_ADD").reason == (
        "a GERMINATE or SET_ALPHA_TARGET is possible, so every option is open"
    )


@pytest.mark.parametrize("state", [inputs(), inputs(all_full(), enabled=()), inputs(topology="transformer")])
def test_tempo_and_alpha_speed_and_curve_are_never_masked(state: MaskInputs) -> None:
    masks = compute_masks(state)
    assert (masks["tempo"], masks["alpha_speed"], masks["alpha_curve"]) == ((True,) * 3, (True,) * 4, (True,) * 5)


# --- inputs from an observation ------------------------------------------------------------------------


def test_mask_inputs_from_observation() -> None:
    config = SlotConfig.for_grid(1, 2)
    report = SlotReport(
        slot_id="r0c1", seed_id="s1", blueprint_id="norm", stage=SeedStage.BLENDING, alpha_mode=UP, epochs_total=4
    )
    obs = Observation(
        host=HostMetrics(),
        slots={"r0c0": None, "r0c1": report},
        slot_config=config,
        enabled_slots=("r0c1", "r5c5"),
        topology="transformer",
        total_seeds=3,
        max_seeds=4,
        min_prune_age=2,
    )
    state = MaskInputs.from_observation(obs, allow_governor_override=True)
    assert state == MaskInputs(
        slot_states={"r0c0": None, "r0c1": MaskSeedInfo(stage=4, seed_age_epochs=4, alpha_mode=1)},
        enabled_slots=("r0c1",),
        slot_config=config,
        total_seeds=3,
        max_seeds=4,
        topology="transformer",
        min_prune_age=2,
        allow_governor_override=True,
    )
    assert op(explain_masks(state), LifecycleOp.PRUNE).slots == ("r0c1",)
