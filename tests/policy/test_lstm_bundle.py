"""LSTMPolicyBundle behind the PolicyBundle protocol, and the single-transfer host read of its decisions."""

from __future__ import annotations

import copy
from functools import cache

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.distributions import InvalidStateMachineError
from tamiyo_tui.policy.host_transfer import HostRow, to_host
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle, mask_for_sequence_logits
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.policy.registry import get_policy
from tamiyo_tui.policy.types import ActionResult, PolicyBatch

HEAD_SIZES = {
    "slot": 3,
    "blueprint": 13,
    "style": 4,
    "tempo": 3,
    "alpha_target": 3,
    "alpha_speed": 4,
    "alpha_curve": 5,
    "op": 6,
}


@cache
def _prototype() -> LSTMPolicyBundle:
    bundle = LSTMPolicyBundle()
    with torch.no_grad():  # random weights everywhere, logits of order 1
        for param in bundle.network.parameters():
            param.copy_(torch.randn_like(param, generator=torch.Generator().manual_seed(param.numel())) * 0.1)
    return bundle


def new_bundle() -> LSTMPolicyBundle:
    return copy.deepcopy(_prototype())


def all_valid(batch: int) -> dict[str, torch.Tensor]:
    return {name: torch.ones(batch, size, dtype=torch.bool) for name, size in HEAD_SIZES.items()}


def policy_batch(features: torch.Tensor, masks: dict[str, torch.Tensor]) -> PolicyBatch:
    return PolicyBatch(observations=(), features=features, masks=masks)


# --- protocol and properties ---------------------------------------------------------------------------


def test_registered_as_lstm_and_satisfies_protocol() -> None:
    bundle = get_policy("lstm", {"hidden_dim": 64})
    assert type(bundle) is LSTMPolicyBundle
    assert isinstance(bundle, PolicyBundle)
    assert bundle.hidden_dim == 64


def test_properties_describe_the_policy() -> None:
    bundle = LSTMPolicyBundle(slot_config=SlotConfig.for_grid(2, 2), hidden_dim=32, num_lstm_layers=2)
    assert bundle.slot_config == SlotConfig.for_grid(2, 2)
    assert bundle.feature_dim == 23 + 39 * 4
    assert (bundle.hidden_dim, bundle.num_lstm_layers) == (32, 2)
    assert bundle.is_recurrent is True
    assert bundle.supports_off_policy is False
    assert bundle.device == torch.device("cpu")
    assert bundle.dtype == torch.float32
    assert bundle.is_compiled is False
    assert bundle.network.lstm.hidden_size == 32
    assert bundle.network.slot_head[2].out_features == 4


def test_defaults_are_three_slots_and_observation_size_140() -> None:
    bundle = new_bundle()
    assert bundle.slot_config == SlotConfig.default()
    assert bundle.feature_dim == 140
    assert bundle.hidden_dim == 128


def test_off_policy_members_refuse_with_clear_texts() -> None:
    bundle = new_bundle()
    with pytest.raises(NotImplementedError, match="does not support off-policy algorithms"):
        bundle.get_q_values(torch.zeros(1, 140), {})
    with pytest.raises(NotImplementedError, match="does not support target network updates"):
        bundle.sync_from(new_bundle())


# --- decisions -----------------------------------------------------------------------------------------


def test_get_action_fills_actions_head_outputs_and_op_logits() -> None:
    bundle = new_bundle()
    masks = all_valid(2)
    masks["op"][:, LifecycleOp.FOSSILIZE] = False
    result = bundle.get_action(policy_batch(torch.randn(2, 140), masks), deterministic=True)
    assert isinstance(result, ActionResult)
    assert result.heads is not None
    for name, size in HEAD_SIZES.items():
        assert result.action[name].shape == (2,)
        assert result.heads.masked_logits[name].shape == (2, size)
    assert torch.all(result.op_logits[:, LifecycleOp.FOSSILIZE] == MASKED_LOGIT_VALUE)
    assert torch.equal(result.op_logits, result.heads.masked_logits["op"])
    assert [t.shape for t in result.hidden] == [(1, 2, 128), (1, 2, 128)]


def test_get_action_matches_the_networks_readable_path() -> None:
    bundle = new_bundle()
    features, hidden = torch.randn(1, 140), bundle.initial_hidden(1)
    ours = bundle.get_action(policy_batch(features, all_valid(1)), hidden, False, torch.Generator().manual_seed(9))
    readable = bundle.network.get_action(features, hidden, all_valid(1), False, torch.Generator().manual_seed(9))
    for name in HEAD_NAMES:
        assert torch.equal(ours.action[name], readable.action[name])
        assert torch.equal(ours.log_prob[name], readable.log_prob[name])


def test_hidden_state_carries_across_decisions() -> None:
    bundle = new_bundle()
    batch = policy_batch(torch.randn(1, 140), all_valid(1))
    first = bundle.get_action(batch, deterministic=True)
    second = bundle.get_action(batch, first.hidden, deterministic=True)
    assert not torch.equal(first.hidden[0], second.hidden[0])
    assert not torch.equal(first.value, second.value)


def test_initial_hidden_is_zero_inference_tensors() -> None:
    h, c = new_bundle().initial_hidden(3)
    assert h.shape == c.shape == (1, 3, 128)
    assert torch.count_nonzero(h) == torch.count_nonzero(c) == 0
    assert h.is_inference() and c.is_inference()


def test_members_nothing_calls_refuse_and_say_where_to_look() -> None:
    bundle = new_bundle()
    with pytest.raises(NotImplementedError, match=r"ActionResult\.value"):
        bundle.get_value(torch.randn(3, 140))
    with pytest.raises(NotImplementedError, match="does not checkpoint activations"):
        bundle.enable_gradient_checkpointing()


# --- forward and evaluate_actions ----------------------------------------------------------------------


def test_mask_for_sequence_logits_adds_the_time_axis_only_to_2d_masks() -> None:
    flat = torch.ones(2, 6, dtype=torch.bool)
    sequence = torch.ones(2, 5, 6, dtype=torch.bool)
    assert mask_for_sequence_logits(flat).shape == (2, 1, 6)
    assert mask_for_sequence_logits(sequence) is sequence


def test_forward_with_2d_features_and_2d_masks() -> None:
    bundle = new_bundle()
    masks = {"op": torch.tensor([[True, True, False, True, True, True]] * 2)}
    result = bundle.forward(torch.randn(2, 140), masks)
    assert result.logits["op"].shape == (2, 1, 6)
    assert torch.all(result.logits["op"][..., 2] == MASKED_LOGIT_VALUE)
    assert result.value.shape == (2, 1)


def test_forward_with_3d_features_applies_2d_masks_to_every_step() -> None:
    bundle = new_bundle()
    masks = {"slot": torch.tensor([[True, False, True], [False, True, True]])}
    result = bundle.forward(torch.randn(2, 4, 140), masks)
    assert result.logits["slot"].shape == (2, 4, 3)
    assert torch.all(result.logits["slot"][0, :, 1] == MASKED_LOGIT_VALUE)
    assert torch.all(result.logits["slot"][1, :, 0] == MASKED_LOGIT_VALUE)
    assert not torch.any(result.logits["slot"][:, :, 2] == MASKED_LOGIT_VALUE)
    assert result.value.shape == (2, 4)


def test_evaluate_actions_reproduces_get_action_log_probs_with_recorded_tensors() -> None:
    bundle = new_bundle()
    features, hidden = torch.randn(2, 140), bundle.initial_hidden(2)
    masks = all_valid(2)
    masks["blueprint"][:, :5] = False
    decision = bundle.get_action(policy_batch(features, masks), hidden, False, torch.Generator().manual_seed(1))
    evaluated = bundle.evaluate_actions(
        features.unsqueeze(1),
        {name: decision.action[name].unsqueeze(1) for name in HEAD_NAMES},
        masks,  # 2-D masks hold for every step
        hidden,  # an inference tensor from initial_hidden: accepted
    )
    for name in HEAD_NAMES:
        torch.testing.assert_close(evaluated.log_prob[name][:, 0], decision.log_prob[name], atol=1e-6, rtol=0)
        assert evaluated.entropy[name].shape == (2, 1)
    evaluated.value.sum().backward()
    assert bundle.network.value_head[2].weight.grad is not None


# --- weights, placement, compile -----------------------------------------------------------------------


def test_state_dict_round_trip_gives_identical_decisions() -> None:
    source, target = new_bundle(), LSTMPolicyBundle()
    target.load_state_dict(source.state_dict())
    batch = policy_batch(torch.randn(1, 140), all_valid(1))
    first, second = source.get_action(batch, deterministic=True), target.get_action(batch, deterministic=True)
    for name in HEAD_NAMES:
        assert torch.equal(first.heads.raw_logits[name], second.heads.raw_logits[name])


def test_to_cpu_returns_the_bundle() -> None:
    bundle = new_bundle()
    assert bundle.to("cpu") is bundle
    assert bundle.device == torch.device("cpu")


def test_compile_off_is_a_no_op() -> None:
    bundle = new_bundle()
    bundle.compile("off")
    assert bundle.is_compiled is False


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised by torch's own compile machinery on import
def test_compiled_bundle_refuses_to_move_and_keeps_plain_state_dict_keys() -> None:
    bundle = new_bundle()
    bundle.compile("default", dynamic=False)
    assert bundle.is_compiled is True
    wrapped = bundle.network
    bundle.compile("default")  # idempotent
    assert bundle.network is wrapped
    with pytest.raises(RuntimeError) as error:
        bundle.to("cpu")
    assert str(error.value) == (
        "Cannot call .to() on a compiled policy. Create a new policy on the target device and compile after placement."
    )
    assert not any(key.startswith("_orig_mod.") for key in bundle.state_dict())
    assert set(bundle.state_dict()) == set(LSTMPolicyBundle().state_dict())


# --- host transfer -------------------------------------------------------------------------------------


def assert_host_matches(host: tuple[HostRow, ...], result: ActionResult) -> None:
    hidden_norms = torch.linalg.vector_norm(result.hidden[0], dim=(0, 2)).tolist()
    assert len(host) == result.value.shape[0]
    for index, row in enumerate(host):
        for name in HEAD_NAMES:
            head = row.heads[name]
            assert head.action == result.action[name][index].item()
            assert head.log_prob == result.log_prob[name][index].item()
            assert list(head.raw_logits) == result.heads.raw_logits[name][index].tolist()
            assert list(head.masked_logits) == result.heads.masked_logits[name][index].tolist()
            assert list(head.probs) == result.heads.probs[name][index].tolist()
            assert head.entropy == result.heads.entropy[name][index].item()
        assert row.value == result.value[index].item()
        assert row.hidden_norm == hidden_norms[index]


def test_to_host_equals_per_tensor_values_for_a_bundle_decision() -> None:
    bundle = new_bundle()
    masks = all_valid(2)
    masks["alpha_curve"][0, 1:] = False
    result = bundle.get_action(policy_batch(torch.randn(2, 140), masks), None, False, torch.Generator().manual_seed(3))
    assert_host_matches(to_host(result), result)


def test_to_host_equals_per_tensor_values_for_plain_dict_results() -> None:
    bundle = new_bundle()
    result = bundle.network.get_action(torch.randn(3, 140), masks=all_valid(3))
    assert_host_matches(to_host(result), result)


def test_to_host_makes_exactly_one_device_to_host_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = new_bundle()
    result = bundle.get_action(policy_batch(torch.randn(1, 140), all_valid(1)), deterministic=True)
    calls: list[str] = []
    for method in ("cpu", "item", "tolist", "numpy", "__bool__", "__float__", "__int__"):
        original = getattr(torch.Tensor, method)

        def counted(self: torch.Tensor, *args: object, _name: str = method, _original=original, **kwargs: object):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, method, counted)
    to_host(result)
    monkeypatch.undo()
    assert calls == ["cpu", "tolist"]  # one copy, then one conversion of the already-host tensor


def test_a_head_without_a_valid_option_is_refused_with_the_reference_message() -> None:
    bundle = new_bundle()
    masks = all_valid(1)
    masks["slot"][:] = False
    with pytest.raises(InvalidStateMachineError, match="No valid actions available"):
        bundle.get_action(policy_batch(torch.randn(1, 140), masks), deterministic=True)
