"""Property tests: the lifecycle's invariants hold after every epoch of random episodes.

Actions are drawn one epoch at a time: an op, then either a slot where the masks allow that op (so
episodes reach HOLDING and FOSSILIZED often) or any slot index, out-of-range ones included (so plenty of
actions are rejected). Every head is random, so masked options are tried too.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tamiyo_tui.domain.actions import (
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.constants import GOVERNOR_HISTORY_WINDOW
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import FAILURE_STAGES, SeedStage
from tamiyo_tui.rules.masks import MaskInputs, explain_masks
from tamiyo_tui.sim.scenario import (
    AccuracyGenerator,
    BlueprintEffect,
    GovernorEvent,
    HostScript,
    InitialSlot,
    Scenario,
)
from tamiyo_tui.sim.simulator import ActionOutcome, Simulator

SLOTS = SlotConfig.default().slot_ids
WAIT = FactoredAction.from_indices(0, 1, 2, 1, 2, 0, 0, int(LifecycleOp.WAIT))
STARTING_STATES = {
    "fossil": InitialSlot(SeedStage.FOSSILIZED, "norm", alpha=1.0, epochs_total=6, epochs_in_stage=2),
    "holding": InitialSlot(SeedStage.HOLDING, "conv_light", alpha=1.0, epochs_total=6, epochs_in_stage=1),
    "parked": InitialSlot(SeedStage.BLENDING, "attention", alpha=0.7, alpha_target=0.7, epochs_total=5),
    "training": InitialSlot(SeedStage.TRAINING, "depthwise", epochs_total=2, epochs_in_stage=1),
    "embargoed": InitialSlot(SeedStage.EMBARGOED, "bottleneck", epochs_total=4, epochs_in_stage=2),
}


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    episode_length = draw(st.integers(8, 30))
    if draw(st.booleans()):
        start = draw(st.floats(20.0, 60.0))
        host = HostScript(
            val_accuracy=AccuracyGenerator(
                start=start,
                end=draw(st.floats(start, 95.0)),
                plateau_at=draw(st.integers(1, 20)),
                noise=draw(st.sampled_from([0.0, 0.3, 1.0])),
            )
        )
    else:
        host = HostScript(val_accuracy=tuple(draw(st.lists(st.floats(10.0, 99.0), min_size=1, max_size=30))))
    initial = {
        slot_id: STARTING_STATES[name]
        for slot_id in SLOTS
        if (name := draw(st.sampled_from([None, None, *STARTING_STATES]))) is not None
    }
    live = sum(1 for entry in initial.values() if entry.stage not in FAILURE_STAGES)
    max_seeds = draw(st.sampled_from([0, live, live + 1, live + 2]))
    enabled = draw(st.one_of(st.none(), st.lists(st.sampled_from(SLOTS), min_size=1, max_size=3, unique=True)))
    rollbacks = draw(st.lists(st.integers(1, episode_length), max_size=1))
    return Scenario(
        name="random",
        description="",
        host=host,
        seed=draw(st.integers(0, 10_000)),
        episode_length=episode_length,
        max_seeds=max_seeds,
        gates=draw(st.sampled_from(["permissive", "strict"])),
        min_prune_age=draw(st.integers(0, 2)),
        enabled_slots=None if enabled is None else tuple(enabled),
        blueprints={"default": BlueprintEffect(contribution=draw(st.floats(-2.0, 4.0)), params=100)},
        initial=initial,
        events=tuple(GovernorEvent(at=epoch, kind="rollback") for epoch in rollbacks),
    )


HEAD_ENUMS = (BlueprintAction, GerminationStyle, TempoAction, AlphaTargetAction, AlphaSpeedAction, AlphaCurveAction)
ACTION_CODES = 2**40  # one integer per action keeps hypothesis's per-draw overhead out of the hot loop
# Weighted towards the ops that move a seed forward, so random episodes reach HOLDING and FOSSILIZED.
OP_CHOICES = (
    *(LifecycleOp.WAIT,) * 2,
    *(LifecycleOp.GERMINATE,) * 2,
    LifecycleOp.SET_ALPHA_TARGET,
    LifecycleOp.PRUNE,
    *(LifecycleOp.FOSSILIZE,) * 2,
    *(LifecycleOp.ADVANCE,) * 5,
)


def draw_action(data: st.DataObject, observation: Observation) -> FactoredAction:
    code = data.draw(st.integers(0, ACTION_CODES - 1))
    code, op_index = divmod(code, len(OP_CHOICES))
    op = OP_CHOICES[op_index]
    heads = []
    for enum in HEAD_ENUMS:
        code, index = divmod(code, len(enum))
        heads.append(enum(index))
    code, targeted = divmod(code, 4)
    verdict = explain_masks(MaskInputs.from_observation(observation)).verdict("op", op.name)
    slot_ids = observation.slot_config.slot_ids
    if verdict.slots and targeted > 0:
        slot_idx = slot_ids.index(verdict.slots[code % len(verdict.slots)])
    else:
        slot_idx = code % (len(slot_ids) + 1)  # len(slot_ids) is out of range on purpose
    return FactoredAction(slot_idx, *heads, op)  # type: ignore[arg-type]


@dataclass
class History:
    """What the invariants need to remember across epochs."""

    records: dict[str, int] = field(default_factory=dict)  # seed id -> accuracy records seen (germinated here)
    fossils: dict[str, str] = field(default_factory=dict)  # slot id -> fossil seed id
    empties_due: dict[str, int] = field(default_factory=dict)  # slot id -> epoch whose ticks must empty it


def check_observation(sim: Simulator, observation: Observation, history: History, initial_ids: set[str]) -> None:
    scenario = sim.scenario
    live = 0
    for slot_id, report in observation.slots.items():
        if report is None:
            assert slot_id not in history.fossils
            continue
        stage = report.stage
        assert stage in set(SeedStage) - {SeedStage.UNKNOWN, SeedStage.DORMANT}
        assert 0.0 <= report.alpha <= 1.0
        assert report.blend_tempo_epochs in (3, 5, 8)
        assert min(report.epochs_total, report.epochs_in_stage, report.alpha_steps_done) >= 0
        assert report.epochs_in_stage <= report.epochs_total
        assert report.alpha_steps_done <= report.alpha_steps_total
        assert report.contribution_velocity == 0.0
        if stage in (SeedStage.GERMINATED, SeedStage.TRAINING) or stage in FAILURE_STAGES:
            assert report.alpha == 0.0
        if stage in (SeedStage.HOLDING, SeedStage.FOSSILIZED):
            assert report.alpha >= 0.99
            assert report.alpha_mode == AlphaMode.HOLD
        state = sim.seed_state(slot_id)
        assert state is not None and state.best_val_accuracy >= state.current_val_accuracy
        if stage not in FAILURE_STAGES:
            live += 1
            if report.seed_id not in initial_ids:
                history.records[report.seed_id] = history.records.get(report.seed_id, 0) + 1
                assert report.epochs_total == history.records[report.seed_id]
        if slot_id in history.fossils:
            assert (report.seed_id, stage, report.alpha) == (history.fossils[slot_id], SeedStage.FOSSILIZED, 1.0)
        elif stage == SeedStage.FOSSILIZED:
            history.fossils[slot_id] = report.seed_id
    assert observation.total_seeds == live
    if scenario.max_seeds > 0:
        assert observation.total_seeds <= scenario.max_seeds


def check_outcome(
    sim: Simulator, epoch: int, action: FactoredAction, before: Observation, outcome: ActionOutcome, history: History
) -> None:
    for transition in outcome.transitions:
        if transition.to_stage == SeedStage.PRUNED:
            # 7 step_epochs empty a pruned slot: the same epoch's tick counts when the prune came before it.
            history.empties_due[transition.slot_id] = epoch + (7 if transition.cause == "scheduled_prune" else 6)
        if transition.to_stage is None:
            assert history.empties_due.pop(transition.slot_id) == epoch
        assert transition.from_stage != SeedStage.FOSSILIZED  # a fossil is permanent
    for slot_id, due in history.empties_due.items():
        assert due > epoch, f"{slot_id} should have emptied at epoch {due}"
    slot_ids = sim.slot_ids
    if (
        action.op == LifecycleOp.PRUNE
        and action.alpha_speed == AlphaSpeedAction.INSTANT
        and action.slot_idx < len(slot_ids)
        and slot_ids[action.slot_idx] in before.enabled
        and not outcome.rollback
    ):
        report = before.slots[slot_ids[action.slot_idx]]
        prunable = (SeedStage.TRAINING, SeedStage.BLENDING, SeedStage.HOLDING)
        if report is not None and report.stage in prunable and report.epochs_total >= sim.scenario.min_prune_age:
            assert outcome.accepted
            assert outcome.transitions[0].to_stage == SeedStage.PRUNED


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), data=st.data())
def test_lifecycle_invariants_hold_after_every_epoch(scenario: Scenario, data: st.DataObject) -> None:
    sim = Simulator(scenario)
    history = History()
    initial_ids = {report.seed_id for report in sim.observe().slots.values() if report is not None}
    for slot_id, entry in scenario.initial.items():
        if entry.stage == SeedStage.EMBARGOED:  # 5 embargo ticks counted from its epochs in stage, then 1 reset tick
            history.empties_due[slot_id] = 6 - entry.epochs_in_stage
    while not sim.done:
        epoch = sim.epoch
        observation = sim.observe()
        check_observation(sim, observation, history, initial_ids)
        action = draw_action(data, observation)
        before = sim.snapshot()
        outcome = sim.apply(action)
        check_outcome(sim, epoch, action, observation, outcome, history)
        if not outcome.accepted:
            # A rejected action changes nothing a WAIT would not have changed.
            after = sim.snapshot()
            sim.restore(before)
            assert sim.apply(WAIT).transitions == outcome.transitions
            assert sim.snapshot() == after


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), data=st.data())
def test_restoring_a_snapshot_replays_identically(scenario: Scenario, data: st.DataObject) -> None:
    sim = Simulator(scenario)
    fork = data.draw(st.integers(1, scenario.episode_length))
    observe_before_fork = data.draw(st.booleans())
    snapshot = None
    actions: list[FactoredAction] = []
    first: list[tuple[Observation, ActionOutcome]] = []
    while not sim.done:
        if sim.epoch == fork:
            if observe_before_fork:
                sim.observe()
            snapshot = sim.snapshot()
        observation = sim.observe()
        action = draw_action(data, observation)
        outcome = sim.apply(action)
        if snapshot is not None:
            actions.append(action)
            first.append((observation, outcome))
    assert snapshot is not None
    for target in (sim, Simulator(scenario)):
        target.restore(snapshot)
        assert target.snapshot() == snapshot
        replay = [(target.observe(), target.apply(action)) for action in actions]
        assert replay == first
        assert target.done


def test_a_snapshot_is_a_copy_that_neither_the_run_nor_a_restore_changes() -> None:
    ramp = InitialSlot(SeedStage.BLENDING, "norm", alpha=0.2, alpha_mode=AlphaMode.UP, steps_total=5, epochs_total=3)
    scenario = Scenario(
        name="copies",
        description="",
        host=HostScript(val_accuracy=AccuracyGenerator(start=40.0, end=70.0, plateau_at=10, noise=0.5)),
        episode_length=30,
        initial={"r0c0": ramp, "r0c1": STARTING_STATES["training"]},
    )
    sim = Simulator(scenario)
    sim.observe()
    snapshot = sim.snapshot()
    as_taken = copy.deepcopy(snapshot)
    for _ in range(2):
        while not sim.done:
            sim.apply(WAIT)
        assert snapshot == as_taken
        sim.restore(snapshot)
        assert sim.snapshot() == as_taken


def test_a_snapshot_holds_bounded_histories_however_long_the_run() -> None:
    fossil = STARTING_STATES["fossil"]
    scenario = Scenario(
        name="full",
        description="",
        host=HostScript(val_accuracy=AccuracyGenerator(start=40.0, end=70.0, plateau_at=10, noise=0.5)),
        episode_length=300,
        initial=dict.fromkeys(SLOTS, fossil),
    )
    sim = Simulator(scenario)
    sizes = []
    while not sim.done:
        sizes.append(len(pickle.dumps(sim.snapshot())))
        sim.apply(WAIT)
    # Once the longest history (the governor's) is full, only the numbers change, not how many there are.
    full = sizes[GOVERNOR_HISTORY_WINDOW:]
    assert max(full) - min(full) <= 16


def test_restore_is_exact_when_the_governor_history_and_the_loss_window_differ() -> None:
    losses = (1.0,) * 10 + (40.0, 40.0, float("nan"), 1.0, 40.0, 0.9)
    scenario = Scenario(
        name="anomalies", description="", host=HostScript(val_accuracy=(50.0,), val_loss=losses), episode_length=20
    )
    sim = Simulator(scenario)
    while not sim.done:
        snapshot = sim.snapshot()
        twin = Simulator(scenario)
        twin.restore(snapshot)
        assert twin.snapshot() == snapshot
        assert repr(twin.observe()) == repr(sim.observe())  # repr: the NaN loss stays in the histories
        assert twin.apply(WAIT) == sim.apply(WAIT)
