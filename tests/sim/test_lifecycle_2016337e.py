"""The simulator under esper-lite 2016337e's lifecycle (``lifecycle: esper-2016337e``): permissive G2 asks
for ten epochs in TRAINING, measured gradients, none exploding and a health of at least 0.7; under
60205274's rules the same seeds blend after one epoch. A real scenario file drives it."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from tamiyo_tui.domain.actions import BlueprintAction, FactoredAction, LifecycleOp
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import load_scenario, parse_scenario
from tamiyo_tui.sim.simulator import Simulator

SCENARIO = Path(__file__).resolve().parent.parent / "data" / "g2-2016337e.yaml"
BLUEPRINTS = {0: BlueprintAction.CONV_LIGHT, 1: BlueprintAction.CONV_HEAVY, 2: BlueprintAction.NORM}


def op(kind: LifecycleOp, slot: int, blueprint: BlueprintAction = BlueprintAction.NOOP) -> FactoredAction:
    return dataclasses.replace(FactoredAction.from_indices(slot, 0, 0, 0, 0, 0, 0, 0), op=kind, blueprint=blueprint)


def advance_log(scenario) -> dict[int, list[tuple[int, bool, str]]]:
    """Germinate one seed per slot, then ask ADVANCE of every slot in turn, epoch after epoch."""
    sim = Simulator(scenario)
    for slot, blueprint in BLUEPRINTS.items():
        sim.apply(op(LifecycleOp.GERMINATE, slot, blueprint))
    log: dict[int, list[tuple[int, bool, str]]] = {slot: [] for slot in BLUEPRINTS}
    slot = 0
    while not sim.done:
        observation = sim.observe()
        epoch = observation.host.epoch
        outcome = sim.apply(op(LifecycleOp.ADVANCE, slot))
        log[slot].append((epoch, outcome.accepted, outcome.reason or ""))
        slot = (slot + 1) % 3
    return log


def test_only_the_healthy_seed_blends_and_only_after_ten_epochs_of_training() -> None:
    scenario = load_scenario(SCENARIO)
    assert scenario.lifecycle == "esper-2016337e"
    log = advance_log(scenario)
    healthy, exploding, weak = log[0], log[1], log[2]
    # r0c0: GERMINATED → TRAINING first, then G2 refuses until the tenth epoch in TRAINING.
    refusals = [reason for _, accepted, reason in healthy if not accepted]
    assert [r for r in refusals if "insufficient_training_" in r][-1].endswith("insufficient_training_9_of_10")
    trained_at = next(epoch for epoch, ok, reason in healthy if ok and "→ TRAINING" in reason)
    blended_at = next(epoch for epoch, ok, reason in healthy if ok and "TRAINING → BLENDING" in reason)
    assert blended_at - trained_at >= 10
    assert any(reason.endswith("G2 failed (2016337e's rule): exploding_gradients") for _, _, reason in exploding)
    assert any("gradient_health_low_0.50_need_0.70" in reason for _, _, reason in weak)
    for entries in (exploding, weak):
        assert not any("→ BLENDING" in reason for _, _, reason in entries)


def test_under_60205274s_rules_every_seed_blends_after_one_epoch() -> None:
    scenario = dataclasses.replace(load_scenario(SCENARIO), lifecycle="esper-60205274")
    log = advance_log(scenario)
    for slot in BLUEPRINTS:
        assert sum(ok for _, ok, _ in log[slot]) >= 2, log[slot]


def test_an_unknown_lifecycle_is_refused_at_its_line() -> None:
    text = SCENARIO.read_text().replace("lifecycle: esper-2016337e", "lifecycle: esper-2016")
    with pytest.raises(ScenarioError, match=r":9:\d+: .*lifecycle"):
        parse_scenario(text, "g2.yaml")


def test_a_seed_never_measured_does_not_pass_g2() -> None:
    from tamiyo_tui.sim.gates import evaluate_gate

    sim = Simulator(load_scenario(SCENARIO))
    sim.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))
    seed = sim._slots[0].state
    seed.stage, seed.epochs_in_stage, seed.gradient_measured = SeedStage.TRAINING, 12, False
    result = evaluate_gate(SeedStage.BLENDING, seed, "permissive", "esper-2016337e")
    assert not result.passed and "gradient_health_not_measured" in result.checks_failed


def test_the_run_feedback_is_kept_only_under_that_lifecycle_and_as_its_trainer_keeps_it() -> None:
    scenario = load_scenario(SCENARIO)
    assert Simulator(dataclasses.replace(scenario, lifecycle="esper-60205274")).observe().feedback is None
    sim = Simulator(scenario)
    first = sim.observe().feedback
    assert (first.last_action_success, first.last_action_op, first.epochs_since_counterfactual) == (True, 0, ())
    sim.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))
    after_germination = sim.observe().feedback
    assert after_germination.last_action_op == int(LifecycleOp.GERMINATE)
    assert after_germination.epochs_since_counterfactual == ()  # the seed was not there when the epoch was observed
    sim.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))  # the slot is taken: rejected
    rejected = sim.observe().feedback
    assert not rejected.last_action_success
    assert rejected.epochs_since_counterfactual == (("r0c0", 0),)  # first tracked: 0, as the trainer starts it
    assert rejected.gradient_health_prev[0][0] == "r0c0"
    snapshot = sim.snapshot()
    sim.apply(op(LifecycleOp.WAIT, 0))
    assert sim.observe().feedback.epochs_since_counterfactual == (("r0c0", 1),)  # no counterfactual before blending
    sim.restore(snapshot)
    assert sim.observe().feedback == rejected


def test_the_2016337e_stack_decides_on_a_simulated_state() -> None:
    """Features, masks and the reference's own checkpoint together, on an observation of the simulator."""
    import torch

    from tamiyo_tui.domain.actions import HEAD_NAMES
    from tamiyo_tui.generations.esper_2016337e.checkpoint import read_checkpoint
    from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR
    from tamiyo_tui.generations.esper_2016337e.features import observation_features_v3
    from tamiyo_tui.generations.esper_2016337e.masks import mask_inputs, slot_by_op
    from tamiyo_tui.rules.masks import explain_masks

    checkpoint = read_checkpoint(SCENARIO.parent.parent / "vectors" / "esper-2016337e-checkpoint.pt")
    sim = Simulator(load_scenario(SCENARIO))
    hidden = checkpoint.network.initial_hidden(1)
    while not sim.done:
        observation = sim.observe()
        features, blueprints = observation_features_v3(observation)
        inputs = mask_inputs(observation)
        explanation = explain_masks(inputs)
        masks = {head: torch.tensor([explanation.mask(head)]) for head in HEAD_NAMES}
        decision = checkpoint.network.get_action(
            checkpoint.normalizer.normalize(torch.tensor([features])),
            torch.tensor([blueprints]),
            hidden,
            masks=masks,
            slot_by_op=torch.tensor([slot_by_op(explanation, inputs)]),
            probability_floor=PROBABILITY_FLOOR,
            generator=torch.Generator().manual_seed(observation.host.epoch),
        )
        hidden = decision.hidden
        action = FactoredAction.from_indices(*(int(decision.action[head]) for head in HEAD_NAMES))
        assert explanation.mask("op")[int(action.op)]
        if action.op != LifecycleOp.WAIT:
            assert slot_by_op(explanation, inputs)[int(action.op)][action.slot_idx]
        sim.apply(action)


def contribution_trace(scenario) -> list[tuple[float | None, float]]:
    """Germinate r0c0, ask ADVANCE until it blends, then wait: (counterfactual, velocity) every epoch."""
    sim = Simulator(scenario)
    sim.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))
    trace = []
    while not sim.done:
        report = sim.observe().slots["r0c0"]
        trace.append((report.counterfactual_contribution, report.contribution_velocity))
        growing = report.stage in (SeedStage.GERMINATED, SeedStage.TRAINING)
        sim.apply(op(LifecycleOp.ADVANCE if growing else LifecycleOp.WAIT, 0))
    return trace


def test_the_contribution_trend_is_the_trainers_ema_of_counterfactual_changes() -> None:
    trace = contribution_trace(load_scenario(SCENARIO))
    measured = [(value, velocity) for value, velocity in trace if value is not None]
    assert len(measured) >= 3 and len({value for value, _ in measured}) >= 3  # the blend moves the counterfactual
    assert measured[0][1] == 0.0  # the first measurement has nothing to change from
    for (before, old_velocity), (value, velocity) in itertools.pairwise(measured):
        assert velocity == pytest.approx(0.7 * old_velocity + 0.3 * (value - before))
    assert any(velocity != 0.0 for _, velocity in measured)


def test_under_60205274_the_trend_stays_zero_as_that_trainer_reports_it() -> None:
    trace = contribution_trace(dataclasses.replace(load_scenario(SCENARIO), lifecycle="esper-60205274"))
    assert any(value is not None for value, _ in trace)
    assert all(velocity == 0.0 for _, velocity in trace)


def test_execution_applies_that_generations_prune_age_of_five_whatever_the_scenario_says() -> None:
    scenario = dataclasses.replace(load_scenario(SCENARIO), min_prune_age=1)
    sim = Simulator(scenario)
    sim.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))
    for _ in range(2):
        sim.apply(op(LifecycleOp.WAIT, 0))
    assert sim.observe().slots["r0c0"].epochs_total == 3
    refused = sim.apply(op(LifecycleOp.PRUNE, 0))
    assert not refused.accepted and refused.reason.endswith("below min_prune_age 5 (2016337e's rule)")
    older = Simulator(dataclasses.replace(scenario, lifecycle="esper-60205274"))
    older.apply(op(LifecycleOp.GERMINATE, 0, BlueprintAction.CONV_LIGHT))
    for _ in range(2):
        older.apply(op(LifecycleOp.WAIT, 0))
    assert older.apply(op(LifecycleOp.PRUNE, 0)).accepted  # 60205274 takes the scenario's age, 1


def test_2016337e_refuses_an_instant_prune_mid_ramp_where_60205274_lets_it_through() -> None:
    # Lesson 02's r0c0 is BLENDING, 6 epochs old (past either prune age), its alpha ramping UP.
    lesson = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "02-prune-needs-hold.yaml")
    refused = Simulator(dataclasses.replace(lesson, lifecycle="esper-2016337e")).apply(op(LifecycleOp.PRUNE, 0))
    assert not refused.accepted
    assert refused.reason.endswith("r0c0 alpha mode is UP, not HOLD (2016337e's rule)")
    older = Simulator(lesson).apply(op(LifecycleOp.PRUNE, 0))
    assert older.accepted and older.quirks == ("instant_prune_during_ramp",)
