"""The sweep's batches decide what ``PolicyRunner.decide`` decides, state by state; the shared explanations
are the session's own.

The records test (``test_records_equal_run.py``) covers the acting bundle; this one covers the partner too,
whose decisions a record never shows: the heuristic's, which a disagreement is measured against.
"""

from __future__ import annotations

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.session.decide import RunnerState
from tamiyo_tui.session.recording import explain_state
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.sweep.batched import HeuristicBatch, NetworkBatch, Pending, batch_key
from tamiyo_tui.sweep.episodes import EpisodeFactory, sweep_episodes
from tamiyo_tui.sweep.explanations import Explanations

# Lesson 09 turns the governor override on, where the heuristic's view of the state differs from the masks.
LESSONS = ("02", "09", "13")


def episodes(policy: str, seeds: tuple[int, ...] = (0, 1)):
    specs = sweep_episodes([(lesson, scenario_path(lesson)) for lesson in LESSONS], seeds, (policy,))
    factory = EpisodeFactory(torch.device("cpu"), deterministic=False)
    return [factory.open(spec) for spec in specs]


def pending_of(sessions, explanations: Explanations) -> list[Pending]:
    pending = []
    for session in sessions:
        observation = session.observation()
        override = session.governor_override_active
        explanation = explanations.of(observation, governor_override=override)
        pending.append(
            Pending(session, observation, explanation, explanations.of(observation, governor_override=False))
        )
    return pending


def test_the_heuristic_batch_decides_exactly_what_the_runner_decides() -> None:
    opened = episodes("lstm-bc")  # the heuristic is every episode's partner
    sessions = [episode.session for episode in opened]
    batch = HeuristicBatch("heuristic", sessions[0].runner.bundles["heuristic"])
    explanations = Explanations()
    overridden = shared = 0
    while sessions:
        explanations.new_epoch()
        pending = pending_of(sessions, explanations)
        decided = batch.decide(pending)
        shared += len(decided) - len({id(decision) for decision in decided})
        for each, ours in zip(pending, decided, strict=True):
            session = each.session
            overridden += session.governor_override_active
            assert ours == theirs_heuristic(session), (session.scenario.name, session.epoch)
            session.step()
        sessions = [session for session in sessions if not session.done]
    assert overridden > 0  # the governor override was on at some states
    assert shared > 0  # episodes in one state shared one decision, and it was each one's own


def test_the_heuristic_batch_tells_apart_states_that_differ_only_in_its_memory() -> None:
    specs = sweep_episodes([("01", scenario_path("01"))], (0, 1), ("heuristic",))
    factory = EpisodeFactory(torch.device("cpu"), deterministic=False)
    first, second = (factory.open(spec).session for spec in specs)
    assert first.observation() == second.observation()  # lesson 01 at its first epoch: an empty slot to germinate
    memory = second.runner.get_state().states["heuristic"]
    remembered = {**memory["controllers"][0], "blueprint_index": memory["controllers"][0]["blueprint_index"] + 1}
    second.runner.set_state(
        RunnerState({**second.runner.get_state().states, "heuristic": {**memory, "controllers": [remembered]}})
    )
    batch = HeuristicBatch("heuristic", first.runner.bundles["heuristic"])
    explanations = Explanations()
    alike = batch.decide(pending_of([first, first], explanations))
    assert alike[0] is alike[1]  # one state, one memory: decided once
    ours = batch.decide(pending_of([first, second], explanations))
    assert ours[0] is not ours[1]  # the memories differ: each decided on its own
    assert ours == [theirs_heuristic(first), theirs_heuristic(second)]


def test_the_network_batch_decides_what_the_runner_decides() -> None:
    opened = episodes("lstm-untrained")
    sessions = [episode.session for episode in opened]
    groups: dict[tuple, list] = {}
    for session in sessions:
        groups.setdefault(batch_key(session.runner.bundles["lstm"]), []).append(session)
    explanations = Explanations()
    for members in groups.values():
        bundle = members[0].runner.bundles["lstm"]
        batch = NetworkBatch("lstm", bundle, telemetry=False, device=torch.device("cpu"))
        while members:
            explanations.new_epoch()
            pending = pending_of(members, explanations)
            for each, ours in zip(pending, batch.decide(pending), strict=True):
                session = each.session
                theirs = session.runner.decide(
                    session.observation(),
                    governor_override=session.governor_override_active,
                    deterministic=False,
                    sample_seed=session.sample_seed,
                    bundles=("lstm",),
                    masks=session.explanation().masks(),
                )["lstm"]
                assert (ours.action, ours.chosen, ours.reason) == (theirs.action, theirs.chosen, theirs.reason)
                assert ours.value == pytest.approx(theirs.value, abs=1e-5)
                for head in HEAD_NAMES:
                    assert ours.heads[head].probs == pytest.approx(theirs.heads[head].probs, abs=1e-5)
                for mine, reference in zip(ours.next_state, theirs.next_state, strict=True):
                    torch.testing.assert_close(mine, reference, atol=1e-5, rtol=0)
                session.hand_in_decisions({"lstm": ours, "heuristic": theirs_heuristic(session)})
                session.step()
            members = [session for session in members if not session.done]


def theirs_heuristic(session):
    """The heuristic partner's decision as the runner makes it (the session wants every bundle's)."""
    return session.runner.decide(
        session.observation(),
        governor_override=session.governor_override_active,
        deterministic=session.deterministic,
        sample_seed=session.sample_seed,
        bundles=("heuristic",),
        masks=session.explanation().masks(),
    )["heuristic"]


def test_a_shared_explanation_is_the_one_the_session_makes() -> None:
    explanations = Explanations()
    sessions = [episode.session for episode in episodes("heuristic", seeds=(0, 1, 2))]
    shared = 0
    while sessions:
        explanations.new_epoch()
        seen = set()
        for session in sessions:
            observation = session.observation()
            override = session.governor_override_active
            ours = explanations.of(observation, governor_override=override)
            assert ours == explain_state(observation, governor_override=override)
            shared += id(ours) in seen
            seen.add(id(ours))
            session.step()
        sessions = [session for session in sessions if not session.done]
    assert shared > 0  # episodes of one lesson met the same state in the same epoch
