"""FactoredRecurrentActorCritic: reference layout, initialization, both inference paths and their agreement."""

from __future__ import annotations

import copy
import math
from functools import cache

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, GerminationStyle, LifecycleOp
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.network import SAMPLING_ORDER, FactoredRecurrentActorCritic

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


def all_valid(batch: int, sizes: dict[str, int] = HEAD_SIZES) -> dict[str, torch.Tensor]:
    return {name: torch.ones(batch, size, dtype=torch.bool) for name, size in sizes.items()}


def random_masks(batch: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Random masks that keep at least one valid option per row and head."""
    masks = {}
    for name, size in HEAD_SIZES.items():
        mask = torch.rand(batch, size, generator=generator) < 0.5
        keep = torch.randint(size, (batch,), generator=generator)
        mask[torch.arange(batch), keep] = True
        masks[name] = mask
    return masks


@cache
def _prototype(state_dim: int, slots: int, hidden: int, layers: int) -> FactoredRecurrentActorCritic:
    return FactoredRecurrentActorCritic(
        state_dim, SlotConfig.for_grid(1, slots), lstm_hidden_dim=hidden, lstm_layers=layers
    )


def new_network(
    state_dim: int = 140, slots: int = 3, hidden: int = 128, layers: int = 1
) -> FactoredRecurrentActorCritic:
    """A freshly initialized network (a copy of one built once: orthogonal init runs QR, slow on busy CPUs)."""
    return copy.deepcopy(_prototype(state_dim, slots, hidden, layers))


def scrambled_network(seed: int, state_dim: int = 140) -> FactoredRecurrentActorCritic:
    """A network whose every parameter is random (the init is nearly uniform, which hides layout bugs).

    The scale keeps logits of order 1, where float32 rounding stays far below the 1e-6 agreement bar.
    """
    torch.manual_seed(seed)
    net = new_network(state_dim)
    scramble(net)
    return net


def scramble(net: FactoredRecurrentActorCritic) -> None:
    with torch.no_grad():
        for param in net.parameters():
            param.copy_(torch.randn_like(param) * 0.1)


def random_hidden(net: FactoredRecurrentActorCritic, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    h, c = net.initial_hidden(batch)
    return torch.randn_like(h), torch.randn_like(c)


def set_head_bias(net: FactoredRecurrentActorCritic, head: str, favourite: int, margin: float = 50.0) -> None:
    """Make ``favourite`` win ``head`` by ``margin`` logits, whatever the input."""
    with torch.no_grad():
        last = net.policy_head(head)[2]
        last.weight.zero_()
        last.bias.zero_()
        last.bias[favourite] = margin


# --- layout --------------------------------------------------------------------------------------------


def test_parameter_count_matches_reference_for_three_slots() -> None:
    assert sum(p.numel() for p in new_network().parameters()) == 227_690
    for state_dim in (62, 218):
        expected = 128 * state_dim + 209_770
        assert sum(p.numel() for p in new_network(state_dim).parameters()) == expected


def test_extra_slot_adds_slot_head_outputs() -> None:
    three = sum(p.numel() for p in new_network().parameters())
    four = sum(p.numel() for p in new_network(slots=4).parameters())
    assert four - three == 65


def test_default_slot_config_is_the_three_slot_default() -> None:
    net = FactoredRecurrentActorCritic(140)
    assert net.slot_config == SlotConfig.default()
    assert net.head_sizes == HEAD_SIZES


def test_every_parameter_name_and_shape_matches_reference() -> None:
    expected = {
        "feature_net.0.weight": (128, 140),
        "feature_net.0.bias": (128,),
        "feature_net.1.weight": (128,),
        "feature_net.1.bias": (128,),
        "lstm.weight_ih_l0": (512, 128),
        "lstm.weight_hh_l0": (512, 128),
        "lstm.bias_ih_l0": (512,),
        "lstm.bias_hh_l0": (512,),
        "lstm_ln.weight": (128,),
        "lstm_ln.bias": (128,),
    }
    for name, size in [*HEAD_SIZES.items(), ("value", 1)]:
        expected |= {
            f"{name}_head.0.weight": (64, 128),
            f"{name}_head.0.bias": (64,),
            f"{name}_head.2.weight": (size, 64),
            f"{name}_head.2.bias": (size,),
        }
    state = new_network().state_dict()
    assert {key: tuple(value.shape) for key, value in state.items()} == expected


# --- initialization ------------------------------------------------------------------------------------


def gram(weight: torch.Tensor) -> torch.Tensor:
    """W·Wᵀ for wide matrices, Wᵀ·W for tall ones: gain² times identity when W is orthogonal."""
    return weight @ weight.T if weight.shape[0] <= weight.shape[1] else weight.T @ weight


def assert_orthogonal(weight: torch.Tensor, gain: float) -> None:
    g = gram(weight.detach())
    torch.testing.assert_close(g, gain**2 * torch.eye(g.shape[0]), atol=1e-5 * max(gain**2, 1.0), rtol=0)


def test_linear_layers_are_orthogonal_with_reference_gains_and_zero_bias() -> None:
    net = new_network()
    assert_orthogonal(net.feature_net[0].weight, math.sqrt(2))
    for name in HEAD_NAMES:
        assert_orthogonal(net.policy_head(name)[0].weight, math.sqrt(2))
        assert_orthogonal(net.policy_head(name)[2].weight, 0.01)
    assert_orthogonal(net.value_head[0].weight, math.sqrt(2))
    assert_orthogonal(net.value_head[2].weight, 1.0)
    for module in net.modules():
        if isinstance(module, torch.nn.Linear):
            assert torch.count_nonzero(module.bias) == 0


def test_lstm_weights_orthogonal_and_forget_quarter_of_both_biases_is_one() -> None:
    net = new_network()
    assert_orthogonal(net.lstm.weight_ih_l0, 1.0)
    assert_orthogonal(net.lstm.weight_hh_l0, 1.0)
    expected_bias = torch.zeros(512)
    expected_bias[128:256] = 1.0
    assert torch.equal(net.lstm.bias_ih_l0.detach(), expected_bias)
    assert torch.equal(net.lstm.bias_hh_l0.detach(), expected_bias)


def test_layer_norms_keep_defaults() -> None:
    net = new_network()
    for norm in (net.feature_net[1], net.lstm_ln):
        assert torch.equal(norm.weight.detach(), torch.ones(128))
        assert torch.equal(norm.bias.detach(), torch.zeros(128))


def test_initial_policy_is_nearly_uniform() -> None:
    result = new_network().get_action(torch.randn(4, 140), masks=all_valid(4))
    for name in HEAD_NAMES:
        assert torch.all(result.heads.entropy[name] > 0.99) or name == "style"


# --- forward -------------------------------------------------------------------------------------------


def test_forward_shapes_and_masked_logits() -> None:
    net = new_network()
    op_mask = torch.ones(2, 5, 6, dtype=torch.bool)
    op_mask[..., LifecycleOp.PRUNE] = False
    out = net(torch.randn(2, 5, 140), masks={"op": op_mask})
    for name, size in HEAD_SIZES.items():
        assert out[f"{name}_logits"].shape == (2, 5, size)
    assert out["value"].shape == (2, 5)
    assert [t.shape for t in out["hidden"]] == [(1, 2, 128), (1, 2, 128)]
    assert torch.all(out["op_logits"][..., LifecycleOp.PRUNE] == MASKED_LOGIT_VALUE)
    assert torch.all(out["op_logits"][..., LifecycleOp.WAIT] != MASKED_LOGIT_VALUE)


def test_initial_hidden_is_zero_per_layer() -> None:
    net = new_network(hidden=32, layers=2)
    h, c = net.initial_hidden(3)
    assert h.shape == c.shape == (2, 3, 32)
    assert torch.count_nonzero(h) == torch.count_nonzero(c) == 0


# --- get_action ----------------------------------------------------------------------------------------


def test_deterministic_action_is_argmax_of_masked_logits() -> None:
    net = scrambled_network(1)
    set_head_bias(net, "op", LifecycleOp.PRUNE)
    masks = all_valid(2)
    masks["op"][:, LifecycleOp.PRUNE] = False  # the favourite is masked: the best valid op must win
    result = net.get_action(torch.randn(2, 140), random_hidden(net, 2), masks, deterministic=True)
    for name in HEAD_NAMES:
        assert torch.equal(result.action[name], result.heads.masked_logits[name].argmax(dim=-1))
    assert torch.all(result.action["op"] != LifecycleOp.PRUNE)
    assert torch.equal(result.op_logits, result.heads.masked_logits["op"])


@pytest.mark.parametrize("deterministic", [True, False])
def test_style_is_forced_to_sigmoid_add_when_op_ignores_style(deterministic: bool) -> None:
    net = scrambled_network(2)
    set_head_bias(net, "op", LifecycleOp.WAIT)
    set_head_bias(net, "style", GerminationStyle.LINEAR_ADD)
    generator = torch.Generator().manual_seed(0)
    result = net.get_action(torch.randn(3, 140), None, all_valid(3), deterministic, generator)
    assert result.action["op"].tolist() == [LifecycleOp.WAIT] * 3
    assert result.action["style"].tolist() == [GerminationStyle.SIGMOID_ADD] * 3
    assert result.log_prob["style"].tolist() == [0.0] * 3
    assert result.heads.probs["style"][0].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert result.heads.entropy["style"].tolist() == [0.0] * 3


@pytest.mark.parametrize("op", [LifecycleOp.GERMINATE, LifecycleOp.SET_ALPHA_TARGET])
def test_style_follows_its_logits_when_op_uses_style(op: LifecycleOp) -> None:
    net = scrambled_network(3)
    set_head_bias(net, "op", op)
    set_head_bias(net, "style", GerminationStyle.LINEAR_ADD)
    for path in [net.get_action]:
        result = path(torch.randn(2, 140), None, all_valid(2), True)
        assert result.action["style"].tolist() == [GerminationStyle.LINEAR_ADD] * 2


def test_masked_option_is_never_sampled() -> None:
    net = scrambled_network(4)
    masks = all_valid(256)
    masks["blueprint"][:] = False
    masks["blueprint"][:, 3] = True
    masks["op"][:, [LifecycleOp.WAIT, LifecycleOp.PRUNE]] = False
    for path in [net.get_action]:
        result = path(torch.randn(256, 140), None, masks, False, torch.Generator().manual_seed(1))
        assert torch.all(result.action["blueprint"] == 3)
        assert not torch.isin(result.action["op"], torch.tensor([LifecycleOp.WAIT, LifecycleOp.PRUNE])).any()


def test_sampling_frequencies_follow_probabilities() -> None:
    net = new_network()
    with torch.no_grad():
        net.op_head[2].weight.zero_()
        net.op_head[2].bias.copy_(torch.tensor([0.0, 1.0, 2.0, 0.5, -1.0, 1.5]))
    result = net.get_action(torch.randn(10_000, 140), None, all_valid(10_000), False, torch.Generator().manual_seed(7))
    frequencies = torch.bincount(result.action["op"], minlength=6).double() / 10_000
    expected = torch.softmax(torch.tensor([0.0, 1.0, 2.0, 0.5, -1.0, 1.5], dtype=torch.float64), dim=0)
    torch.testing.assert_close(frequencies, expected, atol=0.015, rtol=0)


def test_sampling_with_the_same_generator_state_repeats_exactly() -> None:
    net = scrambled_network(5)
    state, hidden, masks = torch.randn(1, 140), random_hidden(net, 1), all_valid(1)
    generator = torch.Generator().manual_seed(123)
    draws = []
    for _ in range(12):
        saved = generator.get_state()
        first = net.get_action(state, hidden, masks, False, generator)
        generator.set_state(saved)
        again = net.get_action(state, hidden, masks, False, generator)
        assert {k: v.tolist() for k, v in first.action.items()} == {k: v.tolist() for k, v in again.action.items()}
        draws.append(tuple(int(first.action[name]) for name in HEAD_NAMES))
    assert len(set(draws)) > 1  # the generator does advance between decisions


def test_get_action_returns_value_hidden_and_per_head_outputs() -> None:
    net = new_network()
    result = net.get_action(torch.randn(2, 140), masks=all_valid(2))
    assert result.value.shape == (2,)
    assert [t.shape for t in result.hidden] == [(1, 2, 128), (1, 2, 128)]
    assert not result.value.requires_grad
    for name, size in HEAD_SIZES.items():
        assert result.action[name].dtype == torch.long
        assert result.heads.raw_logits[name].shape == (2, size)
        torch.testing.assert_close(result.heads.probs[name].sum(dim=-1), torch.ones(2))


def test_sampling_order_is_op_then_style_then_canonical() -> None:
    assert SAMPLING_ORDER == (
        "op",
        "style",
        "slot",
        "blueprint",
        "tempo",
        "alpha_target",
        "alpha_speed",
        "alpha_curve",
    )


# --- evaluate_actions ----------------------------------------------------------------------------------


def test_evaluate_actions_reproduces_rollout_log_probs_and_entropies() -> None:
    net = scrambled_network(6)
    state, hidden = torch.randn(4, 140), random_hidden(net, 4)
    masks = random_masks(4, torch.Generator().manual_seed(2))
    rollout = net.get_action(state, hidden, masks, False, torch.Generator().manual_seed(3))
    log_probs, values, entropy, _ = net.evaluate_actions(
        state.unsqueeze(1),
        {name: action.unsqueeze(1) for name, action in rollout.action.items()},
        {name: mask.unsqueeze(1) for name, mask in masks.items()},
        hidden,
    )
    for name in HEAD_NAMES:
        torch.testing.assert_close(log_probs[name][:, 0], rollout.log_prob[name], atol=1e-6, rtol=0)
        torch.testing.assert_close(entropy[name][:, 0], rollout.heads.entropy[name], atol=1e-6, rtol=0)
    torch.testing.assert_close(values[:, 0], rollout.value, atol=1e-6, rtol=0)


def test_evaluate_actions_applies_style_override_and_has_gradients() -> None:
    net = scrambled_network(7)
    actions = {name: torch.zeros(2, 3, dtype=torch.long) for name in HEAD_NAMES}
    actions["op"][:] = LifecycleOp.PRUNE
    actions["style"][:] = GerminationStyle.SIGMOID_ADD
    log_probs, values, entropy, _ = net.evaluate_actions(torch.randn(2, 3, 140), actions)
    assert torch.equal(log_probs["style"], torch.zeros(2, 3))
    assert torch.equal(entropy["style"], torch.zeros(2, 3))
    assert log_probs["op"].shape == values.shape == (2, 3)
    (sum(lp.sum() for lp in log_probs.values()) + values.sum()).backward()
    assert net.op_head[2].weight.grad is not None and net.op_head[2].weight.grad.abs().sum() > 0
