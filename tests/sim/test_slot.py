"""SeedSlot operations, the quality gates, initial-state validation and slot events."""

from __future__ import annotations

import pytest

from tamiyo_tui.domain.actions import (
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaController, AlphaCurve, AlphaMode
from tamiyo_tui.domain.stages import GateLevel, SeedStage
from tamiyo_tui.sim.gates import evaluate_gate
from tamiyo_tui.sim.scenario import (
    ActionSpec,
    BlueprintEffect,
    GovernorEvent,
    HostScript,
    InitialSlot,
    Scenario,
    SlotEvent,
)
from tamiyo_tui.sim.seed_state import SeedState
from tamiyo_tui.sim.simulator import Simulator
from tamiyo_tui.sim.slot import QUIRK_RETARGET_NOOP, SeedSlot, StageTransition
from tamiyo_tui.sim.starting_slot import SlotProblem, seed_from_initial, starting_slot_problems

EFFECT = BlueprintEffect(contribution=2.0, params=500, gradient_ratio=0.2)


def seed(stage: SeedStage, **fields: object) -> SeedState:
    state = SeedState(
        slot_id="r0c1",
        serial=1,
        blueprint_id="conv_light",
        stage=stage,
        style=GerminationStyle.SIGMOID_ADD,
        alpha_algorithm=AlphaAlgorithm.ADD,
        blend_tempo_epochs=5,
        blend_alpha_target=1.0,
        contribution=2.0,
        seed_params=500,
    )
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def blending(alpha: float, target: float = 1.0, mode: AlphaMode = AlphaMode.HOLD, **fields: object) -> SeedState:
    controller = AlphaController(alpha=alpha, alpha_start=alpha, alpha_target=target, alpha_mode=mode)
    if mode != AlphaMode.HOLD:
        controller.alpha_steps_total = 5
    return seed(SeedStage.BLENDING, alpha=alpha, controller=controller, **fields)


def holding(**fields: object) -> SeedState:
    return seed(SeedStage.HOLDING, alpha=1.0, controller=AlphaController(1.0, 1.0, 1.0), **fields)


def slot_with(state: SeedState | None) -> SeedSlot:
    return SeedSlot("r0c1", state)


# --- germinate and advance -------------------------------------------------------------------------


def germinate(slot: SeedSlot, target: float = 1.0):
    return slot.germinate(
        serial=7,
        blueprint_id="conv_light",
        style=GerminationStyle.LINEAR_ADD,
        tempo_epochs=3,
        alpha_target=target,
        effect=EFFECT,
    )


def test_germinate_creates_a_fresh_germinated_seed() -> None:
    slot = slot_with(None)
    result = germinate(slot)
    assert result.ok
    assert result.transitions == (StageTransition("r0c1", None, SeedStage.GERMINATED, "GERMINATE"),)
    state = slot.state
    assert state is not None
    assert (state.seed_id, state.stage, state.alpha, state.epochs_total) == (
        "r0c1-conv_light-7",
        SeedStage.GERMINATED,
        0.0,
        0,
    )
    assert (state.blend_tempo_epochs, state.seed_params, state.contribution) == (3, 500, 2.0)


@pytest.mark.parametrize("stage", [SeedStage.TRAINING, SeedStage.EMBARGOED, SeedStage.RESETTING, SeedStage.FOSSILIZED])
def test_germinate_refuses_any_occupied_slot(stage: SeedStage) -> None:
    slot = slot_with(seed(stage))
    result = germinate(slot)
    assert not result.ok
    assert "unavailable for germination" in result.message
    assert slot.state is not None and slot.state.stage == stage


def test_germinate_rejects_a_target_outside_the_unit_interval() -> None:
    assert not germinate(slot_with(None), target=0.0).ok


def test_advance_follows_the_table_and_resets_the_stage_baseline() -> None:
    slot = slot_with(seed(SeedStage.GERMINATED, current_val_accuracy=61.5, epochs_in_stage=1, epochs_total=1))
    result = slot.advance("permissive")
    assert result.ok and result.message == "r0c1: GERMINATED → TRAINING"
    state = slot.state
    assert state is not None
    assert (state.stage, state.epochs_in_stage, state.accuracy_at_stage_start) == (SeedStage.TRAINING, 0, 61.5)


def test_advance_into_blending_starts_the_ramp_from_the_tempo_and_blend_id() -> None:
    slot = slot_with(seed(SeedStage.TRAINING, epochs_in_stage=1, blend_alpha_target=0.7))
    assert slot.advance("permissive").ok
    controller = slot.state.controller  # type: ignore[union-attr]
    assert (controller.alpha_target, controller.alpha_steps_total, controller.alpha_mode) == (0.7, 5, AlphaMode.UP)
    assert (controller.alpha_curve, controller.alpha_steepness) == (AlphaCurve.SIGMOID, 12.0)


def test_advance_into_holding_forces_full_alpha() -> None:
    slot = slot_with(blending(1.0))
    assert slot.advance("permissive").ok
    state = slot.state
    assert state is not None
    assert (state.stage, state.alpha, state.controller.alpha_start, state.controller.alpha_mode) == (
        SeedStage.HOLDING,
        1.0,
        1.0,
        AlphaMode.HOLD,
    )


def test_advance_without_a_live_seed_fails_with_no_active_seed() -> None:
    assert "no_active_seed" in slot_with(None).advance("permissive").message
    assert "no_active_seed" in slot_with(seed(SeedStage.EMBARGOED)).advance("permissive").message


def test_advance_from_fossilized_has_no_valid_transition() -> None:
    result = slot_with(seed(SeedStage.FOSSILIZED, alpha=1.0)).advance("permissive")
    assert not result.ok and "no_valid_transition" in result.message


def test_advance_to_a_failure_stage_is_an_error_and_changes_nothing() -> None:
    slot = slot_with(seed(SeedStage.TRAINING))
    with pytest.raises(ValueError, match="cannot target failure stage"):
        slot.advance("permissive", target=SeedStage.PRUNED)
    assert slot.state is not None and slot.state.stage == SeedStage.TRAINING


# --- gates -----------------------------------------------------------------------------------------


def test_g2_permissive_needs_one_training_epoch() -> None:
    fresh = evaluate_gate(SeedStage.BLENDING, seed(SeedStage.TRAINING), "permissive")
    assert (fresh.gate, fresh.passed, fresh.checks_failed) == (GateLevel.G2, False, ("no_training_epochs",))
    assert evaluate_gate(SeedStage.BLENDING, seed(SeedStage.TRAINING, epochs_in_stage=1), "permissive").passed


def test_g2_strict_names_each_failed_check() -> None:
    weak = seed(
        SeedStage.TRAINING,
        current_val_accuracy=60.3,
        accuracy_at_stage_start=60.0,
        epochs_in_stage=2,
        gradient_ratio=0.05,
    )
    result = evaluate_gate(SeedStage.BLENDING, weak, "strict")
    assert result.checks_failed == ("global_improvement_insufficient_0.30%", "seed_not_ready", "seed_gradient_low_0.05")
    assert result.message.startswith("G2 failed: global_improvement_insufficient_0.30%")


def test_g2_strict_passes_with_improvement_dwell_and_gradient() -> None:
    ready = seed(
        SeedStage.TRAINING,
        current_val_accuracy=61.0,
        accuracy_at_stage_start=60.0,
        epochs_in_stage=3,
        gradient_ratio=0.2,
    )
    result = evaluate_gate(SeedStage.BLENDING, ready, "strict")
    assert result.passed and result.score == pytest.approx(0.2)
    assert not evaluate_gate(SeedStage.BLENDING, seed(SeedStage.TRAINING, epochs_in_stage=9), "strict").passed


def test_g3_checks_target_alpha_and_strict_dwell() -> None:
    partial = evaluate_gate(SeedStage.HOLDING, blending(0.5, 0.5, epochs_in_stage=5), "permissive")
    assert partial.checks_failed == ("alpha_target_not_full_0.50",)
    ramping = evaluate_gate(SeedStage.HOLDING, blending(0.4, 1.0, AlphaMode.UP, epochs_in_stage=5), "permissive")
    assert ramping.checks_failed == ("alpha_not_at_target_0.40_mode_UP",)
    short = evaluate_gate(SeedStage.HOLDING, blending(1.0, epochs_in_stage=2), "strict")
    assert short.checks_failed == ("blending_incomplete_2",)
    assert evaluate_gate(SeedStage.HOLDING, blending(1.0, epochs_in_stage=2), "permissive").passed
    assert evaluate_gate(SeedStage.HOLDING, blending(1.0, epochs_in_stage=3), "strict").passed


def test_g5_needs_a_counterfactual_and_in_strict_mode_one_point() -> None:
    missing = evaluate_gate(SeedStage.FOSSILIZED, holding(), "permissive")
    assert missing.checks_failed == ("counterfactual_not_available",)
    assert evaluate_gate(SeedStage.FOSSILIZED, holding(counterfactual=0.1), "permissive").passed
    small = evaluate_gate(SeedStage.FOSSILIZED, holding(counterfactual=0.9), "strict")
    assert small.checks_failed == ("insufficient_contribution_0.90%_below_1.0%",)
    enough = evaluate_gate(SeedStage.FOSSILIZED, holding(counterfactual=2.0), "strict")
    assert enough.passed and enough.score == pytest.approx(0.2)


def test_g0_and_g1() -> None:
    assert evaluate_gate(SeedStage.GERMINATED, seed(SeedStage.DORMANT), "strict").passed
    assert not evaluate_gate(SeedStage.GERMINATED, seed(SeedStage.DORMANT, blueprint_id=""), "strict").passed
    assert evaluate_gate(SeedStage.TRAINING, seed(SeedStage.GERMINATED), "strict").passed
    wrong = evaluate_gate(SeedStage.TRAINING, seed(SeedStage.BLENDING), "strict")
    assert wrong.checks_failed == ("not_germinated_BLENDING",)


# --- prune, schedule_prune, set_alpha_target ------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [seed(SeedStage.GERMINATED), seed(SeedStage.TRAINING), blending(0.4, 1.0, AlphaMode.UP), holding()],
    ids=["germinated", "training", "blending-ramping", "holding"],
)
def test_prune_succeeds_from_every_live_stage_whatever_the_mode(state: SeedState) -> None:
    slot = slot_with(state)
    result = slot.prune("policy_prune")
    assert result.ok
    assert slot.state is not None
    assert (slot.state.stage, slot.state.alpha, slot.state.has_module) == (SeedStage.PRUNED, 0.0, False)
    assert slot.state.controller == AlphaController()


def test_prune_refuses_fossils_and_seeds_already_gone() -> None:
    fossil = slot_with(seed(SeedStage.FOSSILIZED, alpha=1.0))
    assert not fossil.prune("policy_prune").ok
    assert fossil.state is not None and fossil.state.stage == SeedStage.FOSSILIZED
    assert not slot_with(seed(SeedStage.EMBARGOED)).prune("policy_prune").ok
    assert not slot_with(None).prune("policy_prune").ok


def test_schedule_prune_with_alpha_zero_prunes_at_once() -> None:
    slot = slot_with(seed(SeedStage.TRAINING))
    result = slot.schedule_prune(3, AlphaCurve.LINEAR, 12.0)
    assert result.ok and "immediate" in result.message
    assert slot.state is not None and slot.state.stage == SeedStage.PRUNED


def test_schedule_prune_needs_hold_mode() -> None:
    slot = slot_with(blending(0.4, 1.0, AlphaMode.UP))
    result = slot.schedule_prune(3, AlphaCurve.LINEAR, 12.0)
    assert not result.ok and "mode UP" in result.message
    assert slot.state is not None and slot.state.controller.alpha_mode == AlphaMode.UP


def test_schedule_prune_from_holding_goes_back_to_blending_and_completes_after_its_ticks() -> None:
    slot = slot_with(holding())
    result = slot.schedule_prune(2, AlphaCurve.COSINE, 12.0)
    assert result.transitions == (StageTransition("r0c1", SeedStage.HOLDING, SeedStage.BLENDING, "PRUNE"),)
    assert slot.state is not None and slot.state.controller.alpha_mode == AlphaMode.DOWN
    assert slot.step_epoch() == ()
    assert slot.state.alpha == pytest.approx(0.5)
    assert slot.step_epoch() == (StageTransition("r0c1", SeedStage.BLENDING, SeedStage.PRUNED, "scheduled_prune"),)


def test_set_alpha_target_refusals() -> None:
    assert (
        "FOSSILIZED"
        in slot_with(seed(SeedStage.FOSSILIZED, alpha=1.0))
        .set_alpha_target(0.5, 3, AlphaCurve.LINEAR, 12.0, AlphaAlgorithm.ADD)
        .message
    )
    ramping = slot_with(blending(0.4, 1.0, AlphaMode.UP)).set_alpha_target(
        0.5, 3, AlphaCurve.LINEAR, 12.0, AlphaAlgorithm.ADD
    )
    assert not ramping.ok and "mode UP" in ramping.message
    training = slot_with(seed(SeedStage.TRAINING)).set_alpha_target(0.5, 3, AlphaCurve.LINEAR, 12.0, AlphaAlgorithm.ADD)
    assert not training.ok and "only a BLENDING or HOLDING seed" in training.message


def test_partial_retarget_from_holding_returns_to_blending_and_alpha_follows_at_the_tick() -> None:
    slot = slot_with(holding())
    result = slot.set_alpha_target(0.5, 0, AlphaCurve.LINEAR, 12.0, AlphaAlgorithm.MULTIPLY)
    assert result.transitions == (StageTransition("r0c1", SeedStage.HOLDING, SeedStage.BLENDING, "SET_ALPHA_TARGET"),)
    state = slot.state
    assert state is not None
    assert (state.alpha, state.controller.alpha, state.alpha_algorithm) == (1.0, 0.5, AlphaAlgorithm.MULTIPLY)
    slot.step_epoch()
    assert state.alpha == 0.5 and state.stage == SeedStage.BLENDING


def test_retarget_to_the_current_value_is_a_flagged_noop() -> None:
    slot = slot_with(holding())
    result = slot.set_alpha_target(1.0, 5, AlphaCurve.LINEAR, 12.0, AlphaAlgorithm.ADD)
    assert result.ok and result.quirks == (QUIRK_RETARGET_NOOP,)
    report = slot.report()
    assert report is not None
    assert (report.stage, report.alpha_mode, report.time_to_target) == (SeedStage.HOLDING, AlphaMode.HOLD, 5)


# --- step_epoch and the cooldown ------------------------------------------------------------------


@pytest.mark.parametrize("stage", [SeedStage.GERMINATED, SeedStage.TRAINING, SeedStage.HOLDING, SeedStage.FOSSILIZED])
def test_step_epoch_never_auto_advances(stage: SeedStage) -> None:
    state = holding(counterfactual=-3.0, epochs_in_stage=5) if stage == SeedStage.HOLDING else seed(stage)
    slot = slot_with(state)
    for _ in range(10):
        assert slot.step_epoch() == ()
    assert slot.state is not None and slot.state.stage == stage


def test_blending_ticks_add_one_step_and_never_lower_alpha_nor_leave_blending() -> None:
    state = seed(SeedStage.TRAINING, epochs_in_stage=1)
    slot = slot_with(state)
    slot.advance("permissive")
    previous = 0.0
    for tick in range(1, 8):
        assert slot.step_epoch() == ()
        assert state.controller.alpha_steps_done == min(tick, 5)
        assert state.alpha >= previous
        previous = state.alpha
    assert (state.stage, state.alpha) == (SeedStage.BLENDING, 1.0)


def test_cooldown_takes_seven_ticks_and_counts_only_embargo_and_resetting_ticks() -> None:
    slot = slot_with(seed(SeedStage.TRAINING, epochs_total=4))
    slot.prune("policy_prune")
    stages = []
    for _ in range(7):
        slot.step_epoch()
        stages.append(None if slot.state is None else (slot.state.stage, slot.state.epochs_total))
    assert stages == [
        (SeedStage.EMBARGOED, 4),
        (SeedStage.EMBARGOED, 5),
        (SeedStage.EMBARGOED, 6),
        (SeedStage.EMBARGOED, 7),
        (SeedStage.EMBARGOED, 8),
        (SeedStage.RESETTING, 9),
        None,
    ]


def test_record_accuracy_sets_the_baselines_once_and_keeps_the_best() -> None:
    state = seed(SeedStage.GERMINATED)
    for accuracy in (50.0, 55.0, 53.0):
        state.record_accuracy(accuracy)
    assert (state.initial_val_accuracy, state.accuracy_at_stage_start) == (50.0, 50.0)
    assert (state.current_val_accuracy, state.best_val_accuracy, state.epochs_total) == (53.0, 55.0, 3)
    state.transition(SeedStage.TRAINING)
    assert state.accuracy_at_stage_start == 53.0 and state.total_improvement == 3.0


# --- initial states and slot events ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "fields", "problem"),
    [
        (SeedStage.HOLDING, {"alpha": 0.3}, SlotProblem("alpha must be 1.0 in HOLDING", "alpha")),
        (
            SeedStage.TRAINING,
            {"alpha": 0.3},
            SlotProblem("alpha must be 0.0 in TRAINING (a seed blends in from BLENDING on)", "alpha"),
        ),
        (
            SeedStage.FOSSILIZED,
            {"alpha": 1.0, "alpha_target": 0.5},
            SlotProblem("alpha_target must be 1.0 in FOSSILIZED", "alpha_target"),
        ),
        (
            SeedStage.BLENDING,
            {"alpha": 0.3, "alpha_target": 0.7},
            SlotProblem("alpha_mode HOLD needs alpha equal to alpha_target", "alpha_target"),
        ),
        (
            SeedStage.BLENDING,
            {"alpha": 0.8, "alpha_target": 0.7, "alpha_mode": AlphaMode.UP, "steps_total": 5},
            SlotProblem("alpha_mode UP needs alpha below alpha_target", "alpha_mode"),
        ),
        (
            SeedStage.BLENDING,
            {"alpha": 0.3, "alpha_mode": AlphaMode.UP, "steps_total": 3, "steps_done": 3},
            SlotProblem("a running ramp needs steps_done < steps_total"),
        ),
        (
            SeedStage.TRAINING,
            {"steps_total": 3},
            SlotProblem("alpha_mode must be HOLD with no steps in TRAINING: no ramp runs there"),
        ),
        (
            SeedStage.EMBARGOED,
            {"epochs_in_stage": 5, "epochs_total": 9},
            SlotProblem("EMBARGOED lasts 5 epochs: epochs_in_stage must be at most 4", "epochs_in_stage"),
        ),
        (
            SeedStage.TRAINING,
            {"epochs_in_stage": 4, "epochs_total": 2},
            SlotProblem("epochs_in_stage (4) exceeds epochs_total (2)", "epochs_in_stage"),
        ),
        (SeedStage.UNKNOWN, {}, SlotProblem("stage UNKNOWN is not a slot state")),
        (SeedStage.TRAINING, {"blueprint": "conv_massive"}, SlotProblem("unknown blueprint 'conv_massive'")),
    ],
)
def test_starting_slot_problems_name_the_inconsistency(stage: SeedStage, fields: dict, problem: SlotProblem) -> None:
    problems = starting_slot_problems(InitialSlot(stage, **{"blueprint": "norm", **fields}))
    assert problem in problems, problems


def test_the_problems_that_name_a_field_come_first() -> None:
    slot = InitialSlot(SeedStage.TRAINING, "norm", alpha_mode=AlphaMode.UP, steps_total=3, epochs_in_stage=2)
    assert [problem.field for problem in starting_slot_problems(slot)] == ["alpha_mode", "epochs_in_stage", None]


@pytest.mark.parametrize(
    ("stage", "fields"),
    [
        (SeedStage.TRAINING, {"alpha_target": 0.5, "epochs_total": 3, "epochs_in_stage": 2}),
        (SeedStage.BLENDING, {"alpha": 0.5, "alpha_target": 0.5}),
        (SeedStage.BLENDING, {"alpha": 0.2, "alpha_mode": AlphaMode.DOWN, "alpha_target": 0.0, "steps_total": 4}),
        (SeedStage.HOLDING, {"alpha": 1.0}),
        (SeedStage.RESETTING, {}),
        (SeedStage.DORMANT, {"alpha": 0.7}),
    ],
)
def test_starting_slot_problems_accept_reachable_states(stage: SeedStage, fields: dict) -> None:
    assert starting_slot_problems(InitialSlot(stage, "norm", **fields)) == []


def test_initial_ramp_in_progress_continues_where_it_stands() -> None:
    initial = InitialSlot(
        SeedStage.BLENDING,
        "norm",
        alpha=0.4,
        alpha_mode=AlphaMode.UP,
        steps_total=5,
        steps_done=2,
        style=GerminationStyle.LINEAR_ADD,
        tempo=TempoAction.STANDARD,
    )
    state = seed_from_initial("r0c0", initial, serial=1, effect=EFFECT)
    assert state is not None
    assert state.controller.alpha_start == pytest.approx(0.0)
    state.controller.step()
    assert state.controller.alpha == pytest.approx(0.6)


def scenario_with(**overrides: object) -> Scenario:
    fields: dict[str, object] = {
        "name": "slot events",
        "description": "",
        "host": HostScript(val_accuracy=(60.0,)),
        "blueprints": {"default": EFFECT},
    }
    fields.update(overrides)
    return Scenario(**fields)  # type: ignore[arg-type]


def test_initial_seeds_get_epoch_one_accuracy_as_baseline_and_ids_in_slot_order() -> None:
    initial = {
        "r0c2": InitialSlot(SeedStage.TRAINING, "norm", epochs_total=5, epochs_in_stage=3),
        "r0c0": InitialSlot(SeedStage.HOLDING, "conv_light", alpha=1.0, epochs_total=9),
    }
    sim = Simulator(scenario_with(initial=initial))
    observation = sim.observe()
    training = observation.slots["r0c2"]
    holding_report = observation.slots["r0c0"]
    assert training is not None and holding_report is not None
    assert (holding_report.seed_id, training.seed_id) == ("r0c0-conv_light-1", "r0c2-norm-2")
    assert (training.epochs_total, training.epochs_in_stage) == (6, 4)
    assert training.improvement_since_stage_start == 0.0
    assert holding_report.counterfactual_contribution == pytest.approx(2.0)
    assert observation.host.val_accuracy == pytest.approx(62.0)


def test_inconsistent_initial_slot_is_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match=r"alpha must be 1\.0 in HOLDING"):
        Simulator(scenario_with(initial={"r0c1": InitialSlot(SeedStage.HOLDING, "norm", alpha=0.3)}))


def test_slot_event_forces_fields_and_keeps_the_rest() -> None:
    events = (
        SlotEvent(at=2, slot_id="r0c1", fields={"contribution": 5.0, "epochs_in_stage": "4"}),
        SlotEvent(at=3, slot_id="r0c2", fields={"stage": "TRAINING", "blueprint": "attention"}),
        SlotEvent(at=4, slot_id="r0c1", fields={"stage": "EMPTY"}),
    )
    initial = {"r0c1": InitialSlot(SeedStage.HOLDING, "norm", alpha=1.0, epochs_total=3, epochs_in_stage=3)}
    sim = Simulator(scenario_with(initial=initial, events=events))
    wait = ActionSpec(LifecycleOp.WAIT).to_factored(sim.scenario.slot_config)
    sim.apply(wait)
    forced = sim.observe()
    report = forced.slots["r0c1"]
    assert report is not None
    assert (report.seed_id, report.stage, report.epochs_in_stage, report.epochs_total) == (
        "r0c1-norm-1",
        SeedStage.HOLDING,
        5,  # forced to 4 before this epoch's accuracy record
        5,
    )
    assert report.counterfactual_contribution == pytest.approx(5.0)
    sim.apply(wait)
    created = sim.observe().slots["r0c2"]
    assert created is not None and (created.seed_id, created.stage) == ("r0c2-attention-2", SeedStage.TRAINING)
    sim.apply(wait)
    assert sim.observe().slots["r0c1"] is None


def test_slot_event_that_breaks_consistency_is_an_error() -> None:
    events = (SlotEvent(at=2, slot_id="r0c1", fields={"alpha": 0.5}),)
    initial = {"r0c1": InitialSlot(SeedStage.HOLDING, "norm", alpha=1.0)}
    sim = Simulator(scenario_with(initial=initial, events=events))
    sim.apply(ActionSpec(LifecycleOp.WAIT).to_factored(sim.scenario.slot_config))
    with pytest.raises(ValueError, match=r"alpha must be 1\.0 in HOLDING"):
        sim.observe()


# --- the training loop's op handlers (through the simulator) -------------------------------------


def spec_action(op: LifecycleOp, slot: str | None = "r0c1", **heads: object):
    return ActionSpec(op=op, slot=slot, **heads).to_factored(scenario_with().slot_config)  # type: ignore[arg-type]


REJECTIONS = [
    ({}, spec_action(LifecycleOp.ADVANCE), "r0c1: no_active_seed (the slot is empty)"),
    ({}, spec_action(LifecycleOp.PRUNE), "r0c1 is empty: nothing to prune"),
    ({}, spec_action(LifecycleOp.FOSSILIZE), "r0c1 is empty: only a HOLDING seed can be fossilized"),
    ({}, spec_action(LifecycleOp.SET_ALPHA_TARGET), "r0c1 is empty: no alpha to retarget"),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.EMBARGOED, "norm", epochs_total=2)}},
        spec_action(LifecycleOp.GERMINATE),
        "r0c1 is not empty (it is EMBARGOED; a cooling-down slot is not empty)",
    ),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.EMBARGOED, "norm", epochs_total=2)}},
        spec_action(LifecycleOp.PRUNE),
        "r0c1 is EMBARGOED: its seed was already pruned (cooling down)",
    ),
    (
        {"initial": {"r0c0": InitialSlot(SeedStage.TRAINING, "norm")}, "max_seeds": 1},
        spec_action(LifecycleOp.GERMINATE),
        "seed cap reached: 1 of max_seeds 1 seeds in use",
    ),
    ({"enabled_slots": ("r0c0",)}, spec_action(LifecycleOp.GERMINATE), "r0c1 is not in enabled_slots"),
    (
        {},
        FactoredAction.from_indices(3, 3, 2, 1, 2, 0, 0, int(LifecycleOp.GERMINATE)),
        "slot index 3 is out of range (this scenario has 3 slots)",
    ),
    (
        {"topology": "transformer"},
        spec_action(LifecycleOp.GERMINATE, blueprint=BlueprintAction.CONV_HEAVY),
        "CONV_HEAVY is not registered for the transformer topology",
    ),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.TRAINING, "norm")}, "min_prune_age": 3},
        spec_action(LifecycleOp.PRUNE),
        "r0c1 is 1 epoch(s) old, below min_prune_age 3",
    ),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.FOSSILIZED, "norm", alpha=1.0)}},
        spec_action(LifecycleOp.PRUNE),
        "r0c1: a FOSSILIZED seed is permanent and cannot be pruned",
    ),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.TRAINING, "norm")}},
        spec_action(LifecycleOp.FOSSILIZE),
        "r0c1 is TRAINING: only a HOLDING seed can be fossilized",
    ),
    (
        {"initial": {"r0c1": InitialSlot(SeedStage.TRAINING, "norm")}},
        spec_action(LifecycleOp.SET_ALPHA_TARGET),
        "r0c1 is TRAINING: only a BLENDING or HOLDING seed can be retargeted",
    ),
    (
        {
            "initial": {"r0c1": InitialSlot(SeedStage.HOLDING, "norm", alpha=1.0)},
            "gates": "strict",
            "blueprints": {"default": BlueprintEffect(contribution=0.0)},
        },
        spec_action(LifecycleOp.FOSSILIZE),
        "r0c1: G5 failed: insufficient_contribution_0.00%_below_1.0%",
    ),
]


@pytest.mark.parametrize(("overrides", "action", "reason"), REJECTIONS)
def test_simulator_rejects_what_the_lifecycle_cannot_do(overrides: dict, action, reason: str) -> None:
    sim = Simulator(scenario_with(**overrides))
    sim.observe()
    before = sim.snapshot()
    outcome = sim.apply(action)
    assert (outcome.accepted, outcome.quirks) == (False, ())
    assert outcome.reason.startswith(reason), outcome.reason
    sim.restore(before)
    waited = sim.apply(spec_action(LifecycleOp.WAIT, slot=None))
    assert waited.transitions == outcome.transitions


def test_advance_on_holding_fossilizes_and_is_flagged() -> None:
    sim = Simulator(scenario_with(initial={"r0c1": InitialSlot(SeedStage.HOLDING, "norm", alpha=1.0)}))
    outcome = sim.apply(spec_action(LifecycleOp.ADVANCE))
    assert outcome.accepted and outcome.quirks == ("advance_on_holding_fossilizes",)
    assert outcome.transitions == (StageTransition("r0c1", SeedStage.HOLDING, SeedStage.FOSSILIZED, "ADVANCE"),)


def test_instant_prune_during_a_ramp_goes_through_and_is_flagged() -> None:
    ramping = InitialSlot(
        SeedStage.BLENDING, "norm", alpha=0.4, alpha_mode=AlphaMode.UP, steps_total=5, steps_done=2, epochs_total=3
    )
    sim = Simulator(scenario_with(initial={"r0c1": ramping}))
    outcome = sim.apply(spec_action(LifecycleOp.PRUNE))
    assert outcome.accepted and outcome.quirks == ("instant_prune_during_ramp",)
    scheduled = Simulator(scenario_with(initial={"r0c1": ramping}))
    refused = scheduled.apply(spec_action(LifecycleOp.PRUNE, alpha_speed=AlphaSpeedAction.FAST))
    assert not refused.accepted and "mode UP" in refused.reason


def test_germinate_with_a_partial_target_and_seed_ids_count_per_episode() -> None:
    sim = Simulator(scenario_with())
    first = sim.apply(spec_action(LifecycleOp.GERMINATE, alpha_target=AlphaTargetAction.SEVENTY))
    second = sim.apply(spec_action(LifecycleOp.GERMINATE, slot="r0c2", blueprint=BlueprintAction.ATTENTION))
    assert first.reason == "r0c1: germinated r0c1-norm-1"
    assert second.reason == "r0c2: germinated r0c2-attention-2"
    state = sim.seed_state("r0c1")
    assert state is not None and state.blend_alpha_target == 0.7


def test_governor_override_is_active_only_in_its_epoch() -> None:
    sim = Simulator(scenario_with(events=(GovernorEvent(at=2, kind="override"),)))
    flags = []
    for _ in range(3):
        flags.append(sim.governor_override_active)
        sim.apply(spec_action(LifecycleOp.WAIT, slot=None))
    assert flags == [False, True, False]


def test_forced_stage_change_takes_the_new_stage_entry_values_for_fields_not_given() -> None:
    events = (
        SlotEvent(at=2, slot_id="r0c1", fields={"stage": SeedStage.BLENDING}),
        SlotEvent(at=2, slot_id="r0c2", fields={"stage": "PRUNED"}),
    )
    initial = {
        "r0c1": InitialSlot(SeedStage.TRAINING, "norm", alpha_target=0.7, tempo=TempoAction.FAST, epochs_total=2),
        "r0c2": InitialSlot(SeedStage.HOLDING, "norm", alpha=1.0, epochs_total=4),
    }
    sim = Simulator(scenario_with(initial=initial, events=events))
    sim.apply(spec_action(LifecycleOp.WAIT, slot=None))
    forced = sim.observe()
    blending_report, pruned = forced.slots["r0c1"], forced.slots["r0c2"]
    assert blending_report is not None and pruned is not None
    assert (blending_report.stage, blending_report.alpha, blending_report.alpha_target) == (
        SeedStage.BLENDING,
        0.0,
        0.7,
    )
    assert (blending_report.alpha_mode, blending_report.alpha_steps_total) == (AlphaMode.UP, 3)
    assert (pruned.stage, pruned.alpha, pruned.alpha_target) == (SeedStage.PRUNED, 0.0, 0.0)
    assert forced.total_seeds == 1
    sim.apply(spec_action(LifecycleOp.WAIT, slot=None))
    after = sim.observe()
    assert after.slots["r0c1"].alpha == pytest.approx(0.7 * 0.1173, abs=1e-4)  # type: ignore[union-attr]  # sigmoid
    assert after.slots["r0c2"].stage == SeedStage.EMBARGOED  # type: ignore[union-attr]
