"""The heuristic acts on enabled slots only: a seed in a disabled slot neither blocks nor steers a decision.

The reference's training loop hands ``decide`` the seeds of the enabled slots alone (its model is built
with the enabled slots only), so a seed the policy may not target is invisible to every rule: the
seed-management loop, and the "no live seed" test that opens the germination branch.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_heuristic import assert_allowed_by_masks, decide, host, observations, observe, seed

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.rules.heuristic import DEFAULT_BLUEPRINT_ROTATION, HeuristicDecision, HeuristicTamiyo
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_seed_in_a_disabled_slot_does_not_block_the_enabled_slots_seed() -> None:
    """Issue #11: r0c0 (disabled) trained 5 epochs, r0c2 (enabled) 3; the heuristic must advance r0c2."""
    scenario = load_scenario(DATA / "heuristic-disabled-slot-seed.yaml")
    bundle = HeuristicPolicyBundle(slot_config=scenario.slot_config)
    session = InspectionSession(scenario, PolicyRunner({"heuristic": bundle}))

    record = session.step()

    assert (record.action["op"], record.action["slot"]) == ("ADVANCE", "r0c2")
    assert record.heuristic_reason == "Advance to BLENDING (improvement +0.00%)"
    assert record.outcome.accepted
    assert session.observation().report("r0c2").stage == SeedStage.BLENDING
    assert session.observation().report("r0c0").stage == SeedStage.TRAINING  # nobody touched it


def test_a_live_seed_in_a_disabled_slot_does_not_hold_back_germination() -> None:
    obs = observe(seed(SeedStage.TRAINING, "r0c0", epochs_in_stage=5), enabled_slots=("r0c1", "r0c2"))
    decision = decide(HeuristicTamiyo(), obs)
    assert (decision.flat_action, decision.target_slot) == ("GERMINATE_CONV_LIGHT", "r0c1")
    assert decision.reason == "Plateau detected (3 epochs)"
    assert_allowed_by_masks(decision, obs)


def test_with_only_disabled_seeds_the_heuristic_waits_for_a_plateau_as_on_an_empty_host() -> None:
    obs = observe(seed(SeedStage.GERMINATED, "r0c0"), at=host(plateau=1), enabled_slots=("r0c1",))
    decision = decide(HeuristicTamiyo(), obs)
    assert (decision.action.op, decision.reason) == (LifecycleOp.WAIT, "Training progressing normally")


# --- the property: disabled slots might as well not exist -----------------------------------------------


def without_disabled_slots(obs: Observation) -> Observation:
    """The same state on a slot layout of the enabled slots alone (their ids and order kept)."""
    enabled = obs.enabled
    return Observation(
        host=obs.host,
        slots={slot_id: obs.report(slot_id) for slot_id in enabled},
        slot_config=SlotConfig(enabled),
        enabled_slots=enabled,
        topology=obs.topology,
        total_seeds=obs.total_seeds,
        max_seeds=obs.max_seeds,
        min_prune_age=obs.min_prune_age,
        total_params=obs.total_params,
        max_epochs=obs.max_epochs,
    )


def described(decision: HeuristicDecision, obs: Observation) -> dict[str, object]:
    """Everything a decision says, with the slot head by slot id (indices differ between the layouts)."""
    return {
        "heads": decision.action.option_names(obs.slot_config),
        "flat_action": decision.flat_action,
        "target_slot": decision.target_slot,
        "target_seed_id": decision.target_seed_id,
        "reason": decision.reason,
        "confidence": decision.confidence,
    }


@settings(max_examples=300, deadline=None)
@given(
    obs=observations(),
    last_prune=st.integers(-100, 30),
    rotation_index=st.integers(0, 7),
    penalties=st.dictionaries(st.sampled_from(DEFAULT_BLUEPRINT_ROTATION), st.floats(0.1, 6.0)),
)
def test_the_decision_is_the_one_taken_with_the_disabled_slots_removed(
    obs: Observation, last_prune: int, rotation_index: int, penalties: dict[str, float]
) -> None:
    memory = HeuristicTamiyo().state_dict() | {
        "last_prune_epoch": last_prune,
        "blueprint_index": rotation_index,
        "penalties": penalties,
    }
    full, reduced = HeuristicTamiyo(), HeuristicTamiyo()
    full.load_state_dict(memory)
    reduced.load_state_dict(memory)
    alone = without_disabled_slots(obs)

    on_full, on_reduced = decide(full, obs), decide(reduced, alone)

    assert described(on_full, obs) == described(on_reduced, alone)
    assert full.state_dict() == reduced.state_dict()
    if on_full.target_slot is not None:
        assert on_full.target_slot in obs.enabled
