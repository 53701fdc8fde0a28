"""The heuristic bundle: decides through the PolicyBundle interface with one-hot, mask-respecting outputs."""

from __future__ import annotations

import pytest
import torch

from tamiyo_tui.domain.actions import (
    DEFAULT_HEAD_OPTIONS,
    HEAD_NAMES,
    BlueprintAction,
    FactoredAction,
    LifecycleOp,
    get_action_head_sizes,
)
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.observation import HostMetrics, Observation, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy import registry
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.factory import create_policy
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.policy.types import PolicyBatch
from tamiyo_tui.rules.heuristic import HeuristicConfig, HeuristicDecision
from tamiyo_tui.rules.masks import MaskInputs, compute_masks

SLOTS = SlotConfig.default()
FEATURE_DIM = 23 + 39 * SLOTS.num_slots
DEFAULT_WAIT = {head: int(option) for head, option in DEFAULT_HEAD_OPTIONS.items()} | {"slot": 0, "op": 0}


def observation(*reports: SlotReport, epoch: int = 10, plateau: int = 3, **settings) -> Observation:
    slots: dict[str, SlotReport | None] = dict.fromkeys(SLOTS.slot_ids)
    slots.update({report.slot_id: report for report in reports})
    metrics = HostMetrics(epoch=epoch, plateau_epochs=plateau, host_stabilized=True)
    return Observation(host=metrics, slots=slots, slot_config=SLOTS, **settings)


def germinated(slot_id: str) -> SlotReport:
    return SlotReport(slot_id, f"seed-{slot_id}", "norm", SeedStage.GERMINATED, epochs_total=1)


def hand_built_batch(observations: list[Observation]) -> PolicyBatch:
    rule_masks = [compute_masks(MaskInputs.from_observation(obs)) for obs in observations]
    return PolicyBatch(
        observations=tuple(observations),
        features=torch.zeros(len(observations), FEATURE_DIM),
        masks={head: torch.tensor([masks[head] for masks in rule_masks]) for head in HEAD_NAMES},
    )


def test_get_action_decides_every_row_with_one_hot_outputs() -> None:
    bundle = HeuristicPolicyBundle()
    batch = hand_built_batch([observation(), observation(germinated("r0c1"))])
    result = bundle.get_action(batch)

    assert result.action["op"].tolist() == [LifecycleOp.GERMINATE, LifecycleOp.ADVANCE]
    assert result.action["slot"].tolist() == [0, 1]
    assert result.action["blueprint"].tolist() == [BlueprintAction.CONV_LIGHT, BlueprintAction.NORM]
    assert result.reasons == ("Plateau detected (3 epochs)", "Advance to TRAINING")
    decisions = result.extras["heuristic"]
    assert [d.flat_action for d in decisions] == ["GERMINATE_CONV_LIGHT", "ADVANCE"]
    assert all(isinstance(d, HeuristicDecision) for d in decisions)
    assert result.extras["has_value"] is False
    assert result.hidden is None
    assert torch.equal(result.value, torch.zeros(2))

    sizes = get_action_head_sizes(SLOTS)
    heads = result.heads
    assert heads is not None
    for head in HEAD_NAMES:
        chosen = result.action[head]
        assert chosen.dtype == torch.long and chosen.shape == (2,)
        expected_probs = torch.zeros(2, sizes[head])
        expected_probs[torch.arange(2), chosen] = 1.0
        assert torch.equal(heads.probs[head], expected_probs)
        expected_logits = torch.where(expected_probs.bool(), 0.0, MASKED_LOGIT_VALUE)
        assert torch.equal(heads.raw_logits[head], expected_logits)
        assert torch.equal(heads.masked_logits[head], expected_logits)
        assert torch.equal(heads.entropy[head], torch.zeros(2))
        assert torch.equal(result.log_prob[head], torch.zeros(2))
        assert bool(batch.masks[head][torch.arange(2), chosen].all())
    assert torch.equal(result.op_logits, heads.masked_logits["op"])


def test_each_row_keeps_its_own_controller() -> None:
    bundle = HeuristicPolicyBundle()
    bundle.get_action(hand_built_batch([observation(), observation(germinated("r0c0"))]))
    second = bundle.get_action(hand_built_batch([observation(epoch=11), observation(epoch=11)]))
    # Row 0 continues its rotation; row 1 has not germinated before, so it starts at the beginning.
    assert [d.flat_action for d in second.extras["heuristic"]] == ["GERMINATE_CONV_HEAVY", "GERMINATE_CONV_LIGHT"]
    assert bundle.heuristic.germination_count == 2
    bundle.reset()
    assert bundle.heuristic.decisions == []


def test_get_action_accepts_the_session_batch_builder() -> None:
    bundle = HeuristicPolicyBundle()
    obs = observation(SlotReport("r0c2", "s", "conv_light", SeedStage.HOLDING, epochs_total=9, total_improvement=3.0))
    result = bundle.get_action(build_policy_batch([obs]))
    assert result.reasons == ("Fossilizing: +3.00% contribution",)
    assert result.action["slot"].tolist() == [2]


def test_a_choice_the_batch_masks_forbid_is_an_error_that_changes_nothing() -> None:
    bundle = HeuristicPolicyBundle()
    batch = hand_built_batch([observation()])
    batch.masks["blueprint"][0, BlueprintAction.CONV_LIGHT] = False
    with pytest.raises(ValueError, match=r"chose blueprint=CONV_LIGHT for row 0, but batch\.masks forbids it"):
        bundle.get_action(batch)
    assert bundle.heuristic.state_dict() == HeuristicPolicyBundle().heuristic.state_dict()
    assert bundle.heuristic.decisions == []


def test_bad_batches_are_rejected_clearly() -> None:
    bundle = HeuristicPolicyBundle()
    batch = hand_built_batch([observation()])
    with pytest.raises(ValueError, match=r"1 observations but features for 2 rows"):
        bundle.get_action(PolicyBatch(batch.observations, torch.zeros(2, FEATURE_DIM), batch.masks))
    with pytest.raises(ValueError, match=r"batch.masks\['op'\] has shape \(1, 5\), expected \(1, 6\)"):
        bundle.get_action(PolicyBatch(batch.observations, batch.features, {"op": torch.ones(1, 5, dtype=torch.bool)}))
    other_slots = Observation(host=HostMetrics(), slots={"r0c0": None}, slot_config=SlotConfig(("r0c0",)))
    with pytest.raises(ValueError, match="do not match the bundle's slot_config"):
        bundle.get_action(PolicyBatch((other_slots,), torch.zeros(1, 62), {}))


def test_state_dict_round_trip_restores_every_row() -> None:
    bundle = HeuristicPolicyBundle()
    bundle.get_action(hand_built_batch([observation(), observation()]))
    snapshot = bundle.state_dict()
    after = bundle.get_action(hand_built_batch([observation(epoch=11), observation(epoch=11)])).reasons
    bundle.load_state_dict(snapshot)
    assert [len(c["penalties"]) for c in snapshot["controllers"]] == [0, 0]
    assert bundle.get_action(hand_built_batch([observation(epoch=11), observation(epoch=11)])).reasons == after
    assert len(bundle.heuristic.decisions) == 1  # the log is not part of the snapshot; restoring clears it

    restored = HeuristicPolicyBundle()
    restored.load_state_dict(snapshot)
    assert restored.state_dict() == snapshot
    with pytest.raises(ValueError, match=r"Unexpected keys in heuristic bundle state: \['extra'\]"):
        restored.load_state_dict(snapshot | {"extra": 1})
    with pytest.raises(ValueError, match="expected a non-empty 'controllers' list"):
        restored.load_state_dict({})


def test_state_after_moves_row_zero_by_the_action_carried_out_and_touches_nothing_else() -> None:
    bundle = HeuristicPolicyBundle()
    before = bundle.state_dict()
    obs = observation()  # an empty host at a plateau: the heuristic proposes GERMINATE conv_light
    proposal = bundle.get_action(hand_built_batch([obs])).extras["heuristic"][0]
    acted_on = bundle.state_dict()  # get_action commits the row's own decision, as the reference does
    bundle.load_state_dict(before)

    waited = bundle.state_after(before, obs, FactoredAction.from_head_indices(DEFAULT_WAIT), accepted=True)
    germinated_ = bundle.state_after(before, obs, proposal.action, accepted=True)

    assert waited["controllers"][0] | {"last_decay_epoch": -1} == before["controllers"][0]
    assert germinated_ == acted_on
    assert bundle.state_dict() == before  # neither the bundle nor the given state moved
    assert before == HeuristicPolicyBundle().state_dict()


def test_config_may_come_from_a_policy_file_mapping() -> None:
    bundle = HeuristicPolicyBundle(config={"blueprint_rotation": ["depthwise"]}, topology="cnn")
    assert bundle.config == HeuristicConfig(blueprint_rotation=("depthwise",))
    result = bundle.get_action(hand_built_batch([observation()]))
    assert result.extras["heuristic"][0].flat_action == "GERMINATE_DEPTHWISE"
    with pytest.raises(ValueError, match="not available for topology 'transformer'"):
        HeuristicPolicyBundle(config={"blueprint_rotation": ["conv_light"]}, topology="transformer")


def test_what_a_rule_based_policy_lacks_raises_and_the_rest_is_benign() -> None:
    bundle = HeuristicPolicyBundle()
    features = torch.zeros(1, FEATURE_DIM)
    with pytest.raises(NotImplementedError, match="no forward pass"):
        bundle.forward(features, {})
    with pytest.raises(NotImplementedError, match="no learnable parameters"):
        bundle.evaluate_actions(features, {}, {})
    with pytest.raises(NotImplementedError, match="no Q-values"):
        bundle.get_q_values(features, {})
    with pytest.raises(NotImplementedError, match="no target network"):
        bundle.sync_from(bundle)
    with pytest.raises(NotImplementedError, match="no value function"):
        bundle.get_value(features)
    assert bundle.initial_hidden(4) is None
    assert bundle.to("cpu") is bundle
    assert (bundle.device, bundle.dtype, bundle.hidden_dim, bundle.network) == (
        torch.device("cpu"),
        torch.float32,
        0,
        None,
    )
    assert (bundle.is_recurrent, bundle.supports_off_policy, bundle.is_compiled) == (False, False, False)
    assert bundle.slot_config == SLOTS
    assert bundle.feature_dim == FEATURE_DIM == 140
    assert HeuristicPolicyBundle(slot_config=SlotConfig.for_grid(2, 2)).feature_dim == 23 + 39 * 4
    bundle.compile()
    with pytest.raises(NotImplementedError, match="no activations to checkpoint"):
        bundle.enable_gradient_checkpointing()
    assert bundle.is_compiled is False
    assert isinstance(bundle, PolicyBundle)


def test_registered_as_heuristic_and_built_from_a_config() -> None:
    assert "heuristic" in registry.list_policies()
    built = registry.get_policy("heuristic", {"topology": "transformer", "config": {"embargo_epochs_after_prune": 2}})
    assert type(built) is HeuristicPolicyBundle
    assert (built.topology, built.config.embargo_epochs_after_prune) == ("transformer", 2)


def test_passes_the_registry_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    assert registry.missing_protocol_members(HeuristicPolicyBundle) == []
    monkeypatch.setattr(registry, "_POLICIES", {})  # an empty registry, restored after the test
    assert registry.register_policy("heuristic")(HeuristicPolicyBundle) is HeuristicPolicyBundle
    assert registry.list_policies() == ["heuristic"]


def test_the_factory_builds_it() -> None:
    bundle = create_policy("heuristic", slot_config=SlotConfig.for_grid(2, 2), topology="transformer")
    assert type(bundle) is HeuristicPolicyBundle
    assert (bundle.feature_dim, bundle.hidden_dim, bundle.topology) == (23 + 39 * 4, 0, "transformer")
    with pytest.raises(ValueError, match="feature_dim 99 does not match the slot config: 3 slots give 140 features"):
        HeuristicPolicyBundle(feature_dim=99)
