"""The shadow heuristic's memory in a session: it follows the actions carried out, never its own proposals.

Issue #11: in lesson 01 an LSTM that waits through epoch 7 left the shadowing heuristic believing it had
germinated conv_light at its plateau (epoch 7), so at epoch 8 compare showed CONV_HEAVY and a switch
germinated CONV_HEAVY, although no seed ever existed. The rule (``PolicyRunner.commit``): the heuristic's
memory moves on by the action carried out on each step, whoever chose it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import ActionSpec

REPO = Path(__file__).resolve().parents[2]
LESSON_01 = REPO / "scenarios" / "01-first-seed.yaml"
LESSON_05 = REPO / "scenarios" / "05-enabled-slots.yaml"
WAIT = ActionSpec(LifecycleOp.WAIT)
PRUNE_R0C0 = ActionSpec(LifecycleOp.PRUNE, slot="r0c0")


def open_session(path: Path, active: str = "lstm", **options: Any) -> InspectionSession:
    scenario = load_scenario(path)
    policies = load_policies(resolve_policy(active), scenario, "cpu")
    return InspectionSession(scenario, policies.runner, active=policies.active, **options)


def memory(session: InspectionSession) -> dict[str, Any]:
    return session.runner.get_state().states["heuristic"]["controllers"][0]


def heuristic_choice(session: InspectionSession) -> tuple[str, str]:
    chosen = session.compare().decisions["heuristic"].chosen
    return chosen["op"], chosen["blueprint"]


def test_waits_by_another_policy_leave_the_rotation_at_conv_light() -> None:
    session = open_session(LESSON_01)
    for _ in range(7):  # epochs 1-7; the heuristic would germinate at epoch 7, its plateau
        assert session.override(WAIT).action["op"] == "WAIT"
    assert session.epoch == 8
    assert heuristic_choice(session) == ("GERMINATE", "CONV_LIGHT")
    assert (memory(session)["blueprint_index"], memory(session)["germination_count"]) == (0, 0)

    session.switch_bundle("heuristic")
    record = session.step()

    assert (record.action["op"], record.action["blueprint"], record.outcome.accepted) == (
        "GERMINATE",
        "CONV_LIGHT",
        True,
    )
    assert (memory(session)["blueprint_index"], memory(session)["germination_count"]) == (1, 1)


def run_mixed(session: InspectionSession) -> list[dict[str, Any]]:
    """Others act, the heuristic germinates, an override prunes, the heuristic sits out the embargo.

    Returns the heuristic's memory before every step and after the last.
    """
    seen = [memory(session)]

    def after(_: object) -> None:
        seen.append(memory(session))

    for _ in range(7):
        after(session.override(WAIT))
    session.switch_bundle("heuristic")
    after(session.step())  # epoch 8: GERMINATE conv_light
    after(session.override(PRUNE_R0C0))  # epoch 9: pruned by the operator
    for _ in range(3):
        after(session.step())
    return seen


def test_another_policys_prune_counts_for_the_embargo_and_penalty() -> None:
    session = open_session(LESSON_01, checkpoint_every=4)
    seen = run_mixed(session)
    records = session.records()

    assert (records[7].action["op"], records[7].action["blueprint"]) == ("GERMINATE", "CONV_LIGHT")
    assert (records[8].source, records[8].action["op"], records[8].outcome.accepted) == ("override", "PRUNE", True)
    assert seen[9] | {"penalties": None} == {
        "blueprint_index": 1,
        "germination_count": 1,
        "last_prune_epoch": 9,
        "last_decay_epoch": 9,
        "penalties": None,
    }
    assert seen[9]["penalties"] == {"conv_light": 2.0}
    assert [r.heuristic_reason for r in records[9:]] == [
        "Embargo (1/5 since prune)",
        "Embargo (2/5 since prune)",
        "Embargo (3/5 since prune)",
    ]


@pytest.mark.parametrize("checkpoint_every", [1, 4, 32])
def test_step_back_restores_the_heuristic_memory_exactly(checkpoint_every: int) -> None:
    session = open_session(LESSON_01, checkpoint_every=checkpoint_every)
    seen = run_mixed(session)
    proposals = []
    for step in range(len(seen)):
        session.go_to(step)
        proposals.append(session.compare().decisions["heuristic"].chosen)
        assert memory(session) == seen[step], f"step {step}"
    for step in reversed(range(len(seen))):  # backwards too: each restore replays from an older checkpoint
        session.go_to(step)
        assert memory(session) == seen[step], f"step {step}"
        assert session.compare().decisions["heuristic"].chosen == proposals[step]
    assert proposals[7]["blueprint"] == "CONV_LIGHT"


def test_without_shadow_the_heuristic_follows_the_run_all_the_same() -> None:
    shadowed = run_mixed(open_session(LESSON_01))
    unshadowed = run_mixed(open_session(LESSON_01, shadow=False))
    assert unshadowed == shadowed


def test_a_scripted_germination_counts_but_leaves_the_rotation_alone() -> None:
    # Lesson 05, epoch 2: the script germinates conv_small into r0c1 (not the rotation's conv_light).
    session = open_session(LESSON_05, active="heuristic")
    session.step()
    record = session.step()
    assert (record.source, record.action["blueprint"], record.outcome.accepted) == ("script", "CONV_SMALL", True)
    assert (memory(session)["blueprint_index"], memory(session)["germination_count"]) == (0, 1)
