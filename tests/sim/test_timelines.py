"""The reference's lifecycle timelines and alpha ramps, epoch by epoch, through observe()/apply() only."""

from __future__ import annotations

import math

import pytest

from tamiyo_tui.domain.actions import (
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.scenario import (
    ActionSpec,
    BlueprintEffect,
    GovernorEvent,
    HostScript,
    InitialSlot,
    Scenario,
)
from tamiyo_tui.sim.simulator import ActionOutcome, Simulator, StageTransition

SLOT = "r0c1"
WAIT = LifecycleOp.WAIT
GERMINATE = LifecycleOp.GERMINATE
ADVANCE = LifecycleOp.ADVANCE
PRUNE = LifecycleOp.PRUNE
FOSSILIZE = LifecycleOp.FOSSILIZE
SET_ALPHA_TARGET = LifecycleOp.SET_ALPHA_TARGET
TEMPO_BY_EPOCHS = {3: TempoAction.FAST, 5: TempoAction.STANDARD, 8: TempoAction.SLOW}


def make_scenario(**overrides: object) -> Scenario:
    fields: dict[str, object] = {
        "name": "timeline",
        "description": "",
        "host": HostScript(val_accuracy=(60.0,)),
        "episode_length": 40,
        "blueprints": {"default": BlueprintEffect(contribution=2.0, params=1_000)},
    }
    fields.update(overrides)
    return Scenario(**fields)  # type: ignore[arg-type]


def act(op: LifecycleOp, slot: str = SLOT, **heads: object) -> FactoredAction:
    return ActionSpec(op=op, slot=slot, **heads).to_factored(make_scenario().slot_config)  # type: ignore[arg-type]


class Run:
    """Drives a simulator, keeping every observation and outcome by epoch."""

    def __init__(self, scenario: Scenario) -> None:
        self.sim = Simulator(scenario)
        self.observed: dict[int, Observation] = {}
        self.outcomes: dict[int, ActionOutcome] = {}

    def step(self, action: FactoredAction | None = None) -> ActionOutcome:
        epoch = self.sim.epoch
        self.observed[epoch] = self.sim.observe()
        self.outcomes[epoch] = self.sim.apply(action or act(WAIT))
        return self.outcomes[epoch]

    def until(self, epoch: int) -> None:
        """WAIT up to (not including) ``epoch``, then observe it."""
        while self.sim.epoch < epoch:
            self.step()
        self.observed[epoch] = self.sim.observe()

    def stage(self, epoch: int, slot: str = SLOT) -> SeedStage | None:
        report = self.observed[epoch].slots[slot]
        return None if report is None else report.stage


def grow_to_holding(run: Run, *, tempo: int = 3) -> int:
    """Germinate at epoch 1 and take the fastest permissive path; returns the epoch HOLDING is first observed."""
    assert run.step(act(GERMINATE, tempo=TEMPO_BY_EPOCHS[tempo])).accepted
    assert run.step(act(ADVANCE)).accepted
    assert run.step(act(ADVANCE)).accepted
    run.until(3 + tempo)
    assert run.step(act(ADVANCE)).accepted
    return 4 + tempo


def test_instant_prune_cooldown_timeline() -> None:
    run = Run(make_scenario())
    run.step(act(GERMINATE))
    run.step(act(ADVANCE))
    n = run.sim.epoch  # 3, seed age 2
    outcome = run.step(act(PRUNE, alpha_speed=AlphaSpeedAction.INSTANT))
    assert outcome.accepted
    assert outcome.transitions == (
        StageTransition(SLOT, SeedStage.TRAINING, SeedStage.PRUNED, "policy_prune"),
        StageTransition(SLOT, SeedStage.PRUNED, SeedStage.EMBARGOED, "cooldown"),
    )
    for k in range(1, 6):
        run.until(n + k)
        report = run.observed[n + k].slots[SLOT]
        assert report is not None
        assert (report.stage, report.epochs_in_stage, report.alpha) == (SeedStage.EMBARGOED, k - 1, 0.0)
    run.until(n + 6)
    assert run.stage(n + 6) == SeedStage.RESETTING
    early = run.step(act(GERMINATE))
    assert not early.accepted
    assert "RESETTING" in early.reason and "not empty" in early.reason
    assert early.transitions == (StageTransition(SLOT, SeedStage.RESETTING, None, "cooldown"),)
    run.until(n + 7)
    assert run.stage(n + 7) is None
    assert run.step(act(GERMINATE)).accepted
    assert SeedStage.PRUNED not in {run.stage(epoch) for epoch in run.observed}


@pytest.mark.parametrize(
    ("speed", "k"), [(AlphaSpeedAction.FAST, 3), (AlphaSpeedAction.MEDIUM, 5), (AlphaSpeedAction.SLOW, 8)]
)
def test_scheduled_prune_timeline(speed: AlphaSpeedAction, k: int) -> None:
    run = Run(make_scenario())
    n = grow_to_holding(run)
    run.until(n)
    assert run.stage(n) == SeedStage.HOLDING
    outcome = run.step(act(PRUNE, alpha_speed=speed, alpha_curve=AlphaCurveAction.LINEAR))
    assert outcome.accepted
    assert outcome.transitions == (StageTransition(SLOT, SeedStage.HOLDING, SeedStage.BLENDING, "PRUNE"),)
    for tick in range(1, k):
        run.until(n + tick)
        report = run.observed[n + tick].slots[SLOT]
        assert report is not None
        assert report.stage == SeedStage.BLENDING
        assert report.alpha_mode == AlphaMode.DOWN
        assert report.alpha == pytest.approx(1.0 - tick / k)
    run.until(n + k)
    assert run.outcomes[n + k - 1].transitions == (
        StageTransition(SLOT, SeedStage.BLENDING, SeedStage.PRUNED, "scheduled_prune"),
    )
    assert run.stage(n + k) == SeedStage.PRUNED
    for epoch in range(n + k + 1, n + k + 6):
        run.until(epoch)
        assert run.stage(epoch) == SeedStage.EMBARGOED
    run.until(n + k + 6)
    assert run.stage(n + k + 6) == SeedStage.RESETTING
    run.until(n + k + 7)
    assert run.stage(n + k + 7) is None


@pytest.mark.parametrize("tempo", [3, 5, 8])
def test_fastest_permissive_happy_path(tempo: int) -> None:
    run = Run(make_scenario())
    run.until(2)
    g = 2
    assert run.step(act(GERMINATE, tempo=TEMPO_BY_EPOCHS[tempo])).accepted
    run.until(g + 1)
    assert run.stage(g + 1) == SeedStage.GERMINATED
    assert run.step(act(ADVANCE)).reason == "r0c1: GERMINATED → TRAINING"
    assert run.step(act(ADVANCE)).reason == "r0c1: TRAINING → BLENDING"
    run.until(g + 1 + tempo)
    last_ramp = run.observed[g + 1 + tempo].slots[SLOT]
    assert last_ramp is not None and last_ramp.alpha < 1.0
    run.until(g + 2 + tempo)
    full = run.observed[g + 2 + tempo].slots[SLOT]
    assert full is not None
    assert (full.stage, full.alpha, full.alpha_mode) == (SeedStage.BLENDING, 1.0, AlphaMode.HOLD)
    assert run.step(act(ADVANCE)).reason == "r0c1: BLENDING → HOLDING"
    outcome = run.step(act(FOSSILIZE))
    assert (outcome.accepted, outcome.reason) == (True, "r0c1: HOLDING → FOSSILIZED")
    run.until(g + 4 + tempo)
    assert run.stage(g + 4 + tempo) == SeedStage.FOSSILIZED
    counterfactuals = {
        epoch: run.observed[epoch].slots[SLOT].counterfactual_contribution for epoch in range(g + 1, g + 4)
    }  # type: ignore[union-attr]
    assert counterfactuals[g + 1] is None and counterfactuals[g + 2] is None
    assert counterfactuals[g + 3] is not None


def test_strict_path_blends_at_g_plus_4_at_the_earliest() -> None:
    rising = tuple(50.0 + 0.5 * epoch for epoch in range(40))
    run = Run(make_scenario(gates="strict", host=HostScript(val_accuracy=rising)))
    tempo, g = 3, 1
    run.step(act(GERMINATE, tempo=TempoAction.FAST))
    run.step(act(ADVANCE))
    for early in (g + 2, g + 3):
        outcome = run.step(act(ADVANCE))
        assert not outcome.accepted
        assert "G2 failed" in outcome.reason and "seed_not_ready" in outcome.reason
        assert early == run.sim.epoch - 1
    assert run.step(act(ADVANCE)).reason == "r0c1: TRAINING → BLENDING"  # epoch g + 4
    run.until(g + 3 + tempo)
    not_yet = run.step(act(ADVANCE))
    assert not not_yet.accepted and "alpha_not_at_target" in not_yet.reason
    assert run.sim.epoch == g + 4 + tempo
    assert run.step(act(ADVANCE)).reason == "r0c1: BLENDING → HOLDING"
    assert run.step(act(FOSSILIZE)).reason == "r0c1: HOLDING → FOSSILIZED"  # epoch g + 5 + tempo


def test_partial_germination_target_parks_in_blending_until_retargeted() -> None:
    run = Run(make_scenario())
    run.step(act(GERMINATE, tempo=TempoAction.FAST, alpha_target=AlphaTargetAction.HALF))
    run.step(act(ADVANCE))
    run.step(act(ADVANCE))  # BLENDING at 3, ticks 3..5
    run.until(6)
    for _ in range(3):
        parked = run.sim.observe().slots[SLOT]
        assert parked is not None
        assert (parked.stage, parked.alpha, parked.alpha_target, parked.alpha_mode) == (
            SeedStage.BLENDING,
            0.5,
            0.5,
            AlphaMode.HOLD,
        )
        refused = run.step(act(ADVANCE))
        assert not refused.accepted
        assert "G3 failed: alpha_target_not_full_0.50" in refused.reason
    p = run.sim.epoch
    retarget = run.step(act(SET_ALPHA_TARGET, alpha_target=AlphaTargetAction.FULL, alpha_speed=AlphaSpeedAction.FAST))
    assert retarget.accepted
    mid = run.step(act(ADVANCE))
    assert not mid.accepted and "alpha_not_at_target_0.67_mode_UP" in mid.reason
    run.until(p + 3)
    values = [run.observed[p + tick].slots[SLOT].alpha for tick in (1, 3)]  # type: ignore[union-attr]
    assert values == [pytest.approx(0.5 + 0.5 / 3), 1.0]
    assert run.step(act(ADVANCE)).reason == "r0c1: BLENDING → HOLDING"


RAMP_TABLE = [
    (3, GerminationStyle.LINEAR_ADD, (0.3333, 0.6667, 1.0)),
    (3, GerminationStyle.SIGMOID_ADD, (0.1173, 0.8827, 1.0)),
    (5, GerminationStyle.LINEAR_ADD, (0.2, 0.4, 0.6, 0.8, 1.0)),
    (5, GerminationStyle.SIGMOID_ADD, (0.0242, 0.2301, 0.7699, 0.9758, 1.0)),
    (8, GerminationStyle.LINEAR_ADD, (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0)),
    (8, GerminationStyle.SIGMOID_ADD, (0.0086, 0.0452, 0.1808, 0.5, 0.8192, 0.9548, 0.9914, 1.0)),
    (5, GerminationStyle.GATED_GATE, (0.2, 0.4, 0.6, 0.8, 1.0)),  # "gated" ramps linearly
]


@pytest.mark.parametrize(("tempo", "style", "expected"), RAMP_TABLE)
def test_initial_ramp_matches_the_alpha_table(tempo: int, style: GerminationStyle, expected: tuple[float, ...]) -> None:
    run = Run(make_scenario())
    run.step(act(GERMINATE, tempo=TEMPO_BY_EPOCHS[tempo], style=style))
    run.step(act(ADVANCE))
    run.step(act(ADVANCE))  # BLENDING; first tick in this same epoch
    alphas = []
    for epoch in range(4, 4 + tempo):
        run.until(epoch)
        report = run.observed[epoch].slots[SLOT]
        assert report is not None and report.stage == SeedStage.BLENDING
        alphas.append(report.alpha)
    assert alphas == [pytest.approx(value, abs=5e-5) for value in expected]


def test_governor_rollback_prunes_live_seeds_and_spares_fossils_and_cooldown() -> None:
    initial = {
        "r0c0": InitialSlot(SeedStage.FOSSILIZED, "conv_light", alpha=1.0, epochs_total=9, epochs_in_stage=2),
        "r0c1": InitialSlot(
            SeedStage.BLENDING, "norm", alpha=0.4, alpha_target=1.0, alpha_mode=AlphaMode.UP, steps_total=5,
            steps_done=2, epochs_total=6, epochs_in_stage=2,
        ),
        "r0c2": InitialSlot(SeedStage.EMBARGOED, "attention", epochs_total=4, epochs_in_stage=1),
    }  # fmt: skip
    run = Run(make_scenario(initial=initial, events=(GovernorEvent(at=2, kind="rollback"),)))
    assert not run.step().rollback
    outcome = run.step(act(ADVANCE, slot="r0c1"))
    assert outcome.rollback
    assert not outcome.accepted  # the action runs after the rollback and finds no live seed
    assert outcome.transitions == (
        StageTransition("r0c1", SeedStage.BLENDING, SeedStage.PRUNED, "governor_rollback"),
        StageTransition("r0c1", SeedStage.PRUNED, SeedStage.EMBARGOED, "cooldown"),
    )
    run.until(3)
    assert run.stage(3, "r0c0") == SeedStage.FOSSILIZED
    assert run.stage(3, "r0c1") == SeedStage.EMBARGOED
    cooling = run.observed[3].slots["r0c2"]
    assert cooling is not None and (cooling.stage, cooling.epochs_in_stage) == (SeedStage.EMBARGOED, 3)


def test_nan_loss_panics_and_rolls_back_before_the_action() -> None:
    losses = (1.0, 0.9, math.nan, 0.8)
    run = Run(make_scenario(host=HostScript(val_accuracy=(60.0,), val_loss=losses)))
    run.step(act(GERMINATE))
    run.step(act(ADVANCE))
    outcome = run.step(act(ADVANCE))
    assert outcome.rollback
    assert outcome.transitions[0] == StageTransition(SLOT, SeedStage.TRAINING, SeedStage.PRUNED, "governor_nan")
    assert not outcome.accepted
    assert not run.step().rollback


def test_observe_is_idempotent_and_apply_observes_first() -> None:
    run = Run(make_scenario())
    first = run.sim.observe()
    assert run.sim.observe() is first
    assert run.sim.observe().host.epoch == 1
    run.sim.apply(act(WAIT))
    unobserved = Run(make_scenario())
    unobserved.sim.apply(act(WAIT))
    assert unobserved.sim.observe() == run.sim.observe()


def test_episode_ends_after_episode_length() -> None:
    sim = Simulator(make_scenario(episode_length=2))
    sim.apply(act(WAIT))
    assert not sim.done
    sim.apply(act(WAIT))
    assert sim.done
    with pytest.raises(RuntimeError, match="episode ended"):
        sim.observe()
