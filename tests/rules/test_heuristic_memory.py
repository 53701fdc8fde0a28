"""The heuristic's memory (rotation index, germination count, prune epoch, penalties, decay epoch) commits
what was carried out, never what was only proposed.

``propose`` is a pure query; ``carried_out`` commits a step by the action really taken, whoever chose it;
``decide`` is the two together (the reference's contract, for a caller that executes every decision).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_heuristic import decide, host, observations, observe, seed

from tamiyo_tui.domain.actions import DEFAULT_HEAD_OPTIONS, BlueprintAction, FactoredAction, LifecycleOp
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.rules.heuristic import DEFAULT_BLUEPRINT_ROTATION, HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskInputs, explain_masks

EMPTY_AT_PLATEAU = observe(at=host(epoch=10, plateau=3))


def propose(controller: HeuristicTamiyo, obs: Observation):
    return controller.propose(obs, explain_masks(MaskInputs.from_observation(obs)))


def act(op: LifecycleOp, slot_idx: int = 0, blueprint: BlueprintAction = BlueprintAction.NORM) -> FactoredAction:
    heads = {head: int(option) for head, option in DEFAULT_HEAD_OPTIONS.items()}
    return FactoredAction.from_head_indices(heads | {"slot": slot_idx, "blueprint": int(blueprint), "op": int(op)})


@settings(max_examples=200, deadline=None)
@given(
    obs=observations(),
    last_prune=st.integers(-100, 30),
    last_decay=st.integers(-1, 30),
    rotation_index=st.integers(0, 7),
    penalties=st.dictionaries(st.sampled_from(DEFAULT_BLUEPRINT_ROTATION), st.floats(0.1, 6.0)),
)
def test_propose_never_moves_the_memory_and_decide_is_propose_then_carried_out(
    obs: Observation, last_prune: int, last_decay: int, rotation_index: int, penalties: dict[str, float]
) -> None:
    memory = HeuristicTamiyo().state_dict() | {
        "last_prune_epoch": last_prune,
        "last_decay_epoch": last_decay,
        "blueprint_index": rotation_index,
        "penalties": penalties,
    }
    asked, acted = HeuristicTamiyo(), HeuristicTamiyo()
    asked.load_state_dict(memory)
    acted.load_state_dict(memory)

    proposal = propose(asked, obs)
    assert asked.state_dict() == memory
    assert asked.decisions == []
    assert propose(asked, obs) == proposal  # asking twice is asking once

    decision = decide(acted, obs)
    asked.carried_out(obs, proposal.action)
    assert decision == proposal
    assert acted.state_dict() == asked.state_dict()
    assert acted.decisions == [decision]


def test_a_proposed_germination_that_is_not_carried_out_leaves_the_rotation_where_it_was() -> None:
    """Issue #11: a shadow heuristic proposing GERMINATE while another policy WAITs must still offer conv_light."""
    controller = HeuristicTamiyo()
    for epoch in (7, 8, 9):
        obs = observe(at=host(epoch=epoch, plateau=3))
        assert propose(controller, obs).flat_action == "GERMINATE_CONV_LIGHT"
        controller.carried_out(obs, act(LifecycleOp.WAIT))
    assert (controller.blueprint_index, controller.germination_count, controller.last_decay_epoch) == (0, 0, 9)


def test_the_heuristics_own_germination_carried_out_moves_the_rotation_on() -> None:
    controller = HeuristicTamiyo()
    proposal = propose(controller, EMPTY_AT_PLATEAU)
    controller.carried_out(EMPTY_AT_PLATEAU, proposal.action)
    assert (controller.blueprint_index, controller.germination_count) == (1, 1)
    assert propose(controller, EMPTY_AT_PLATEAU).flat_action == "GERMINATE_CONV_HEAVY"


def test_another_policys_germination_moves_the_rotation_only_when_it_is_the_rotations_next_blueprint() -> None:
    controller = HeuristicTamiyo()
    controller.carried_out(EMPTY_AT_PLATEAU, act(LifecycleOp.GERMINATE, blueprint=BlueprintAction.NORM))
    assert (controller.blueprint_index, controller.germination_count) == (0, 1)
    assert propose(controller, EMPTY_AT_PLATEAU).flat_action == "GERMINATE_CONV_LIGHT"

    controller.carried_out(EMPTY_AT_PLATEAU, act(LifecycleOp.GERMINATE, blueprint=BlueprintAction.CONV_LIGHT))
    assert (controller.blueprint_index, controller.germination_count) == (1, 2)
    assert propose(controller, EMPTY_AT_PLATEAU).flat_action == "GERMINATE_CONV_HEAVY"


def test_another_policys_prune_starts_the_embargo_and_penalises_the_pruned_blueprint() -> None:
    controller = HeuristicTamiyo()
    holding = observe(seed(SeedStage.HOLDING, blueprint_id="conv_heavy", total_improvement=3.0), at=host(epoch=10))
    assert propose(controller, holding).flat_action == "FOSSILIZE"  # the heuristic itself would keep it
    controller.carried_out(holding, act(LifecycleOp.PRUNE))
    assert (controller.last_prune_epoch, controller.penalties) == (10, {"conv_heavy": 2.0})
    cooling = observe(seed(SeedStage.EMBARGOED, blueprint_id="conv_heavy"), at=host(epoch=11))
    assert propose(controller, cooling).reason == "Embargo (1/5 since prune)"


def test_a_rejected_action_only_lets_time_pass() -> None:
    controller = HeuristicTamiyo()
    controller.load_state_dict(controller.state_dict() | {"penalties": {"norm": 4.0}, "last_decay_epoch": 9})
    holding = observe(seed(SeedStage.HOLDING), at=host(epoch=10))
    controller.carried_out(holding, act(LifecycleOp.PRUNE), accepted=False)
    controller.carried_out(holding, act(LifecycleOp.GERMINATE, blueprint=BlueprintAction.CONV_LIGHT), accepted=False)
    assert controller.state_dict() == HeuristicTamiyo().state_dict() | {
        "penalties": {"norm": 2.0},  # decayed once for epoch 10, however many steps it holds
        "last_decay_epoch": 10,
    }


def test_actions_on_a_disabled_slot_are_not_the_heuristics_business() -> None:
    controller = HeuristicTamiyo()
    obs = observe(seed(SeedStage.HOLDING, "r0c0"), at=host(epoch=10), enabled_slots=("r0c1",))
    controller.carried_out(obs, act(LifecycleOp.PRUNE, slot_idx=0))
    controller.carried_out(obs, act(LifecycleOp.GERMINATE, slot_idx=2, blueprint=BlueprintAction.CONV_LIGHT))
    assert controller.state_dict() == HeuristicTamiyo().state_dict() | {"last_decay_epoch": 10}
