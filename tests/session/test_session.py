"""InspectionSession: exact step back/forward (checkpoint + replay), overrides and branches, bundle switching,
compare, deterministic mode, scripted actions and notes.

Every reproduction test compares whole ``DecisionRecord`` dataclasses with ``==``: sampled actions, probabilities,
entropies, values, hidden-state norms and outcomes must all come back bit for bit. The LSTM bundle samples
(``deterministic=False``) so that a replay that re-sampled with a different generator state would show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tamiyo_tui.domain.actions import AlphaSpeedAction, BlueprintAction, FactoredAction, LifecycleOp
from tamiyo_tui.session import session as session_module
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.session import InspectionSession, SessionFinished
from tamiyo_tui.sim.loader import parse_scenario
from tamiyo_tui.sim.scenario import ActionSpec, Scenario
from tamiyo_tui.sim.slot import QUIRK_INSTANT_PRUNE_DURING_RAMP

# Three slots, a noisy host that plateaus, a seed half-way up its blend ramp in r0c0, narration notes and one
# scripted action: enough for an untrained LSTM's sampled actions to germinate, prune and get rejected.
SCENARIO_YAML = """\
schema: 1
name: session test
description: a short run for the session tests
seed: 11
episode_length: 40
slots: [r0c0, r0c1, r0c2]
host:
  val_accuracy: {start: 40.0, end: 70.0, plateau_at: 12, noise: 0.5}
blueprints:
  default: {contribution: 2.0}
initial:
  r0c0: {stage: BLENDING, blueprint: conv_light, style: LINEAR_ADD, alpha: 0.4, alpha_target: 1.0, alpha_mode: UP,
         steps_total: 5, steps_done: 2, epochs_in_stage: 2, epochs_total: 6}
events:
  - at: 2
    note: "first note"
  - at: 2
    note: "second note"
  - at: 5
    note: "the script acts next epoch"
  - at: 6
    action: {op: GERMINATE, slot: r0c2, blueprint: NORM, tempo: FAST}
"""
SCRIPT_EPOCH = 6
RUN_STEPS = 20
CHECKPOINT_EVERY = 4
WAIT = ActionSpec(LifecycleOp.WAIT)

SessionFactory = Callable[..., InspectionSession]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return parse_scenario(SCENARIO_YAML, "session.yaml")


@pytest.fixture
def make_session(scenario: Scenario) -> SessionFactory:
    """A fresh session (fresh bundles) on the test scenario; keyword arguments go to InspectionSession."""

    def make(active: str = "lstm", **options: object) -> InspectionSession:
        policies = load_policies(resolve_policy(active), scenario, "cpu")
        settings: dict[str, object] = {"checkpoint_every": CHECKPOINT_EVERY, "deterministic": False, **options}
        return InspectionSession(scenario, policies.runner, active=policies.active, **settings)  # type: ignore[arg-type]

    return make


def run_steps(session: InspectionSession, steps: int) -> list[DecisionRecord]:
    return [session.step() for _ in range(steps)]


def step_to(session: InspectionSession, position: int) -> list[DecisionRecord]:
    return run_steps(session, position - session.position)


# --- step back / forward ---------------------------------------------------------------------------------


def test_a_sampled_lstm_run_is_varied_enough_to_test_reproduction(make_session: SessionFactory) -> None:
    records = run_steps(make_session("lstm"), RUN_STEPS)

    assert len({r.op for r in records}) >= 3
    assert any(not r.outcome.accepted for r in records)
    assert all(r.hidden_norm is not None and r.hidden_norm > 0 for r in records)
    # Sampling, not argmax: some head somewhere took an option that was not its most likely one.
    assert any(
        head.chosen_index != max(range(len(head.probs)), key=head.probs.__getitem__)
        for r in records
        if r.source == "policy"
        for head in r.heads.values()
    )


@pytest.mark.parametrize("active", ["lstm", "heuristic"])
def test_go_to_then_stepping_forward_reproduces_every_record(make_session: SessionFactory, active: str) -> None:
    session = make_session(active)
    original = run_steps(session, RUN_STEPS)

    # Checkpoints sit at multiples of 4: land on them, just after them and just before them.
    for target in (19, 13, 12, 11, 8, 4, 3, 0):
        session.go_to(target)
        assert session.position == target
        assert session.epoch == target + 1
        assert step_to(session, RUN_STEPS) == original[target:]

    assert session.branches == []
    assert session.branch == 0
    assert len(session.entries) == RUN_STEPS


def test_step_back_by_k_then_forward_reproduces(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    original = run_steps(session, RUN_STEPS)

    for k in (1, 5, 9):
        session.step_back(k)
        assert session.position == RUN_STEPS - k
        assert run_steps(session, k) == original[RUN_STEPS - k :]
    session.step_back(RUN_STEPS + 10)
    assert session.position == 0
    assert run_steps(session, RUN_STEPS) == original


def test_go_to_forward_replays_without_stepping(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    original = run_steps(session, RUN_STEPS)
    after = session.sim.snapshot()

    session.go_to(2)
    session.go_to(RUN_STEPS)

    assert session.sim.snapshot() == after
    assert session.records() == original


def test_go_to_outside_the_branch_is_refused(make_session: SessionFactory) -> None:
    session = make_session("heuristic")
    run_steps(session, 3)

    with pytest.raises(ValueError, match=r"step 4 is outside 0\.\.3"):
        session.go_to(4)
    with pytest.raises(ValueError, match=r"step -1 is outside 0\.\.3"):
        session.go_to(-1)
    assert session.position == 3


def test_a_deterministic_view_of_a_past_step_does_not_leak_into_its_replay(make_session: SessionFactory) -> None:
    """The operator steps back, switches to argmax to look at the decision there, then jumps forward: the
    replayed steps were sampled, so they must be replayed as sampled, not from the argmax decision on screen."""
    session = make_session("lstm")
    original = run_steps(session, 12)

    for target in range(12):
        session.go_to(target)
        session.set_deterministic(True)
        session.pending_decisions()
        session.go_to(12)
        session.set_deterministic(False)
        assert [session.record(step) for step in range(12)] == original, target


def test_record_of_a_past_step_is_rebuilt_exactly_after_the_cache_is_exceeded(
    make_session: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "RECORD_CACHE_SIZE", 3)
    session = make_session("lstm")
    original = run_steps(session, RUN_STEPS)

    for step in (0, 7, 8, 13, 19, 3):
        assert session.record(step) == original[step]
        assert session.position == RUN_STEPS
    assert session.records() == original
    # The rebuilds moved nothing: the live position continues exactly as an untouched run would.
    reference = make_session("lstm")
    run_steps(reference, RUN_STEPS)
    assert run_steps(session, 5) == run_steps(reference, 5)


def test_record_outside_the_branch_is_refused(make_session: SessionFactory) -> None:
    session = make_session("heuristic")
    run_steps(session, 2)

    with pytest.raises(ValueError, match=r"no step 2 on this branch \(it has 2\)"):
        session.record(2)


def test_the_episode_ends(make_session: SessionFactory, scenario: Scenario) -> None:
    session = make_session("heuristic")
    records = run_steps(session, scenario.episode_length)

    assert [r.epoch for r in records] == list(range(1, scenario.episode_length + 1))
    assert session.done
    with pytest.raises(SessionFinished):
        session.step()
    with pytest.raises(SessionFinished):
        session.override(WAIT)


# --- scripted actions and notes -------------------------------------------------------------------------


def test_scripted_actions_replace_the_policy_and_notes_land_on_their_epoch(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    records = run_steps(session, 8)
    by_epoch = {r.epoch: r for r in records}

    scripted = by_epoch[SCRIPT_EPOCH]
    assert scripted.source == "script"
    assert scripted.bundle == "lstm"
    assert {key: scripted.action[key] for key in ("op", "slot", "blueprint", "tempo")} == {
        "op": "GERMINATE",
        "slot": "r0c2",
        "blueprint": "NORM",
        "tempo": "FAST",
    }
    assert scripted.action["style"] == "SIGMOID_ADD"  # heads left out take their defaults
    assert [r.source for r in records if r.epoch != SCRIPT_EPOCH] == ["policy"] * 7
    assert by_epoch[2].notes == ("first note", "second note")
    assert by_epoch[5].notes == ("the script acts next epoch",)
    assert all(r.notes == () for r in records if r.epoch not in (2, 5))

    session.go_to(1)
    assert [r.source for r in run_steps(session, 7)] == [r.source for r in records[1:]]


# --- overrides and branches -----------------------------------------------------------------------------


def _seed_states(session: InspectionSession) -> dict[str, object]:
    return {slot_id: session.sim.seed_state(slot_id) for slot_id in session.sim.slot_ids}


@pytest.mark.parametrize(
    ("override", "masked_option", "reason"),
    [
        (
            ActionSpec(LifecycleOp.FOSSILIZE, "r0c1"),
            "FOSSILIZE",
            "r0c1 is empty: only a HOLDING seed can be fossilized",
        ),
        (ActionSpec(LifecycleOp.PRUNE, "r0c2"), "PRUNE", "r0c2 is empty: nothing to prune"),
        (
            ActionSpec(LifecycleOp.PRUNE, "r0c0", alpha_speed=AlphaSpeedAction.FAST),
            "PRUNE",
            "r0c0: alpha ramp in progress (mode UP); a scheduled prune needs mode HOLD",
        ),
    ],
    ids=["fossilize-empty", "prune-empty", "scheduled-prune-while-ramping"],
)
def test_an_impossible_override_is_rejected_and_leaves_the_seeds_as_a_wait_would(
    make_session: SessionFactory, override: ActionSpec, masked_option: str, reason: str
) -> None:
    session = make_session("heuristic")
    assert [r.op for r in run_steps(session, 2)] == ["WAIT", "WAIT"]  # still ramping: only r0c0 holds a seed
    before = _seed_states(session)

    record = session.override(override)

    assert record.source == "override"
    assert record.op == override.op.name
    assert record.slot == override.slot
    assert (record.outcome.accepted, record.outcome.reason) == (False, reason)
    assert record.outcome.transitions == ()
    op_head = record.heads["op"]
    assert op_head.mask[op_head.options.index(masked_option)] is False
    assert op_head.chosen == masked_option
    rejected_state = (session.sim.snapshot(), _seed_states(session), session.observation())

    session.go_to(2)
    assert _seed_states(session) == before
    waited = session.override(WAIT)
    assert waited.outcome.accepted
    assert (session.sim.snapshot(), _seed_states(session), session.observation()) == rejected_state


def test_an_instant_prune_during_a_ramp_is_masked_but_goes_through_as_a_flagged_quirk(
    make_session: SessionFactory,
) -> None:
    session = make_session("heuristic")

    record = session.override(ActionSpec(LifecycleOp.PRUNE, "r0c0"))

    op_head = record.heads["op"]
    assert op_head.mask[op_head.options.index("PRUNE")] is False
    assert record.outcome.accepted
    assert record.outcome.quirks == (QUIRK_INSTANT_PRUNE_DURING_RAMP,)
    assert session.sim.seed_state("r0c0").stage.name == "EMBARGOED"


def test_an_override_after_a_step_back_starts_a_branch_and_keeps_the_abandoned_future(
    make_session: SessionFactory,
) -> None:
    session = make_session("lstm")
    original = run_steps(session, 12)
    old_entries = list(session.entries)

    session.go_to(6)
    forced = session.override(WAIT)

    assert session.branch != 0
    assert forced.branch == session.branch
    assert forced.step == 6
    assert forced.source == "override"
    assert len(session.branches) == 1
    abandoned = session.branches[0]
    assert (abandoned.branch, abandoned.fork_step) == (0, 6)
    assert list(abandoned.entries) == old_entries[6:]
    assert session.entries[:6] == old_entries[:6]
    assert len(session.entries) == 7
    assert (session.entries[6].source, session.entries[6].branch) == ("override", session.branch)
    assert session.entries[6].action.op == LifecycleOp.WAIT
    # The shared past is untouched; the new branch's records carry the new id.
    assert session.records() == [*original[:6], forced]


def test_a_branch_replays_from_its_own_checkpoints_not_the_abandoned_ones(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    run_steps(session, 12)
    session.go_to(6)
    session.override(ActionSpec(LifecycleOp.GERMINATE, "r0c1", BlueprintAction.CONV_SMALL))
    branch_records = [session.record(step) for step in range(7)] + step_to(session, 16)

    # Steps 8 and 12 had checkpoints on the abandoned branch; replaying past them must use this branch's.
    for target in (9, 8, 7, 13, 2):
        session.go_to(target)
        assert step_to(session, 16) == branch_records[target:]
    assert len(session.branches) == 1


def test_stepping_forward_with_another_bundle_forks_instead_of_replaying(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    run_steps(session, 6)
    session.go_to(3)
    session.switch_bundle("heuristic")

    record = session.step()

    assert (record.bundle, record.source, record.step) == ("heuristic", "policy", 3)
    assert len(session.branches) == 1
    assert session.branches[0].fork_step == 3
    assert record.branch == session.branch != 0


# --- bundles: switch, shadow, compare, deterministic ------------------------------------------------------


def test_switch_bundle_cycles_and_keeps_the_position(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    run_steps(session, 4)
    snapshot = session.sim.snapshot()

    assert session.switch_bundle() == "heuristic"
    assert session.active == "heuristic"
    assert session.switch_bundle() == "lstm"
    assert session.switch_bundle("heuristic") == "heuristic"
    assert (session.position, session.epoch, session.sim.snapshot()) == (4, 5, snapshot)
    with pytest.raises(ValueError, match="bundle 'ppo' is not loaded"):
        session.switch_bundle("ppo")
    assert session.step().bundle == "heuristic"


def _mixed_run(session: InspectionSession) -> list[DecisionRecord]:
    """LSTM for 8 steps, heuristic for 8, LSTM again for 8."""
    records = run_steps(session, 8)
    session.switch_bundle("heuristic")
    records += run_steps(session, 8)
    session.switch_bundle("lstm")
    return records + run_steps(session, 8)


def test_a_run_that_switched_bundles_reproduces_when_the_switches_are_repeated(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    original = _mixed_run(session)
    assert [r.bundle for r in original] == ["lstm"] * 8 + ["heuristic"] * 8 + ["lstm"] * 8

    session.go_to(5)
    session.go_to(24)
    assert session.records() == original

    session.go_to(2)
    replayed = run_steps(session, 6)
    session.switch_bundle("heuristic")
    replayed += run_steps(session, 8)
    session.switch_bundle("lstm")
    replayed += run_steps(session, 8)
    assert replayed == original[2:]
    assert session.branches == []


def test_the_lstm_hidden_state_keeps_evolving_while_the_heuristic_acts(make_session: SessionFactory) -> None:
    """A run where the heuristic acted for 8 steps equals, from the switch back on, a run where the LSTM stayed
    active and the operator forced the heuristic's actions: the LSTM saw every step either way."""
    switched = _mixed_run(make_session("lstm"))

    forced_session = make_session("lstm")
    forced = run_steps(forced_session, 8)
    for record in switched[8:16]:
        forced.append(forced_session.override(_carried_out(record)))
    forced += run_steps(forced_session, 8)

    assert [r.action for r in forced] == [r.action for r in switched[:16]] + [r.action for r in forced[16:]]
    relabelled = [dataclasses.replace(r, branch=0) for r in forced[16:]]
    assert relabelled == switched[16:]


def _carried_out(record: DecisionRecord) -> FactoredAction:
    return FactoredAction.from_head_indices({name: head.chosen_index for name, head in record.heads.items()})


def test_compare_shows_both_bundles_and_exactly_the_heads_where_they_disagree(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    run_steps(session, 3)

    comparison = session.compare()

    assert comparison.epoch == 4
    assert set(comparison.decisions) == {"lstm", "heuristic"}
    lstm, heuristic = comparison.decisions["lstm"].chosen, comparison.decisions["heuristic"].chosen
    assert [h.head for h in comparison.heads] == list(lstm)
    for head in comparison.heads:
        assert head.choices == {"lstm": lstm[head.head], "heuristic": heuristic[head.head]}
        assert head.agree == (lstm[head.head] == heuristic[head.head])
    assert comparison.disagreements == tuple(name for name in lstm if lstm[name] != heuristic[name])
    assert comparison.disagreements  # an untrained LSTM sampling never matches the heuristic on all 8 heads
    assert comparison.decisions["heuristic"].value is None
    assert comparison.decisions["heuristic"].reason
    assert comparison.decisions["lstm"].value is not None
    # Comparing does not move, and the next step carries out what compare showed for the active bundle.
    assert session.position == 3
    assert session.step().action == lstm


def test_compare_in_a_session_without_shadow_does_not_change_what_a_replay_reproduces(
    make_session: SessionFactory,
) -> None:
    session = make_session("heuristic", shadow=False)
    run_steps(session, 3)
    session.compare()
    run_steps(session, 7)
    before = session.compare().decisions["lstm"]

    session.go_to(0)
    session.go_to(10)

    after = session.compare().decisions["lstm"]
    assert (after.chosen, after.heads, after.value, after.hidden_norm) == (
        before.chosen,
        before.heads,
        before.value,
        before.hidden_norm,
    )


def test_deterministic_mode_takes_every_heads_most_likely_option(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    session.set_deterministic(True)
    records = [r for r in run_steps(session, 12) if r.source == "policy"]

    assert records
    for record in records:
        assert record.deterministic
        for head in record.heads.values():
            assert head.chosen_index == max(range(len(head.probs)), key=head.probs.__getitem__)


def test_switching_sampling_mode_mid_run_is_replayed_with_each_steps_own_mode(make_session: SessionFactory) -> None:
    session = make_session("lstm")
    original = run_steps(session, 5)
    session.set_deterministic(True)
    original += run_steps(session, 5)
    session.set_deterministic(False)
    original += run_steps(session, 5)

    session.go_to(1)
    session.go_to(15)

    assert session.records() == original
    assert [r.deterministic for r in original] == [False] * 5 + [True] * 5 + [False] * 5
    assert session.deterministic is False


def test_an_unknown_active_bundle_is_refused(scenario: Scenario) -> None:
    policies = load_policies(resolve_policy("heuristic"), scenario, "cpu")
    with pytest.raises(ValueError, match="bundle 'ppo' is not loaded"):
        InspectionSession(scenario, policies.runner, active="ppo")


def test_switching_to_an_abandoned_branch_replays_it_exactly_and_keeps_the_other(
    make_session: SessionFactory,
) -> None:
    session = make_session("lstm")
    original = run_steps(session, 12)
    session.go_to(6)
    forced = session.override(WAIT)
    step_to(session, 9)
    replaced = session.records()

    session.switch_branch(0)

    assert session.position == 6  # where the two part
    assert [(b.branch, b.fork_step, len(b.entries)) for b in session.branches] == [(1, 6, 3)]
    assert step_to(session, 12) == original[6:]  # the abandoned future, exactly
    session.switch_branch(1)
    assert session.position == 6
    assert step_to(session, 9) == replaced[6:] and replaced[6] == forced
    with pytest.raises(ValueError, match="no abandoned branch 7"):
        session.switch_branch(7)
