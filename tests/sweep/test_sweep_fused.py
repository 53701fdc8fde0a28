"""The fused one-step forward and its host copy equal the network's readable ``get_action``.

Logits, probabilities, entropies, log-probs, values and hidden states within 1e-5 (float32 rounding of a
different summation order); actions exactly, sampled ones included, for the same generator state.
"""

from __future__ import annotations

import copy
import dataclasses
from functools import cache

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, GerminationStyle, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.distributions import InvalidStateMachineError
from tamiyo_tui.policy.host_transfer import to_host
from tamiyo_tui.policy.network import FactoredRecurrentActorCritic
from tamiyo_tui.policy.types import ActionResult
from tamiyo_tui.sweep.fused import FusedStep, FusedWeights, fused_step, seeded_exponential_draws
from tamiyo_tui.sweep.host_copy import host_rows
from tamiyo_tui.sweep.masks import masks_per_head, packed_masks

ATOL = 1e-5


@cache
def _prototype(state_dim: int, slots: int, hidden: int, layers: int) -> FactoredRecurrentActorCritic:
    return FactoredRecurrentActorCritic(
        state_dim, SlotConfig.for_grid(1, slots), lstm_hidden_dim=hidden, lstm_layers=layers
    )


def scrambled_network(
    seed: int, state_dim: int = 140, slots: int = 3, hidden: int = 128, layers: int = 1
) -> FactoredRecurrentActorCritic:
    """Every parameter random (the init is nearly uniform, which would hide layout bugs), logits of order 1."""
    net = copy.deepcopy(_prototype(state_dim, slots, hidden, layers))
    torch.manual_seed(seed)
    with torch.no_grad():
        for param in net.parameters():
            param.copy_(torch.randn_like(param) * 0.1)
    return net


def random_masks(net: FactoredRecurrentActorCritic, batch: int, seed: int) -> dict[str, torch.Tensor]:
    """Random masks that keep at least one valid option per row and head."""
    generator = torch.Generator().manual_seed(seed)
    masks = {}
    for name, size in net.head_sizes.items():
        mask = torch.rand(batch, size, generator=generator) < 0.5
        mask[torch.arange(batch), torch.randint(size, (batch,), generator=generator)] = True
        masks[name] = mask
    return masks


def packed(net: FactoredRecurrentActorCritic, masks: dict[str, torch.Tensor]) -> torch.Tensor:
    batch = next(iter(masks.values())).shape[0]
    rows = [{name: tuple(mask[row].tolist()) for name, mask in masks.items()} for row in range(batch)]
    return packed_masks(rows, net.slot_config)


def random_hidden(net: FactoredRecurrentActorCritic, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    h, c = net.initial_hidden(batch)
    return torch.randn_like(h), torch.randn_like(c)


def both_paths(
    net: FactoredRecurrentActorCritic, batch: int, seed: int, deterministic: bool
) -> tuple[FusedStep, ActionResult]:
    torch.manual_seed(seed)
    state = torch.randn(batch, net.state_dim, dtype=net.lstm_ln.weight.dtype)
    hidden, masks = random_hidden(net, batch), random_masks(net, batch, seed)
    draws = None if deterministic else net.exponential_draws(batch, state.device, torch.Generator().manual_seed(seed))
    fused = fused_step(FusedWeights.build(net), state, hidden, packed(net, masks), draws)
    readable = net.get_action(state, hidden, masks, deterministic, torch.Generator().manual_seed(seed))
    return fused, readable


def assert_same_decision(fused: FusedStep, readable: ActionResult) -> None:
    assert readable.heads is not None
    for name in HEAD_NAMES:
        for field in ("raw_logits", "masked_logits", "probs", "entropy"):
            expected = getattr(readable.heads, field)[name]
            torch.testing.assert_close(fused.head(field, name), expected, atol=ATOL, rtol=0, msg=f"{name} {field}")
        torch.testing.assert_close(fused.head("log_prob", name), readable.log_prob[name], atol=ATOL, rtol=0)
        assert torch.equal(fused.head("action", name), readable.action[name]), name
    torch.testing.assert_close(fused.value, readable.value, atol=ATOL, rtol=0)
    for fused_state, readable_state in zip(fused.hidden, readable.hidden, strict=True):
        torch.testing.assert_close(fused_state, readable_state, atol=ATOL, rtol=0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("deterministic", [True, False], ids=["deterministic", "sampled"])
def test_the_fused_step_equals_get_action(seed: int, deterministic: bool) -> None:
    net = scrambled_network(seed)
    fused, readable = both_paths(net, batch=1 + 21 * seed, seed=seed, deterministic=deterministic)
    assert_same_decision(fused, readable)


def test_the_fused_step_equals_get_action_with_two_layers_and_two_slots() -> None:
    net = scrambled_network(11, state_dim=101, slots=2, hidden=64, layers=2)
    for deterministic in (True, False):
        assert_same_decision(*both_paths(net, batch=5, seed=4, deterministic=deterministic))


def test_a_thousand_sampled_decisions_draw_the_same_actions() -> None:
    # Near-uniform logits, the hard case for sampling: every draw decides the action.
    net = copy.deepcopy(_prototype(140, 3, 128, 1))
    fused, readable = both_paths(net, batch=1000, seed=7, deterministic=False)
    for name in HEAD_NAMES:
        assert torch.equal(fused.head("action", name), readable.action[name]), name


def test_style_is_sigmoid_add_where_the_op_ignores_style() -> None:
    net = scrambled_network(3)
    with torch.no_grad():
        for head, favourite in (("op", LifecycleOp.WAIT), ("style", GerminationStyle.LINEAR_ADD)):
            last = net.policy_head(head)[2]
            last.weight.zero_()
            last.bias.zero_()
            last.bias[favourite] = 50.0
    for deterministic in (True, False):
        fused, readable = both_paths(net, batch=4, seed=1, deterministic=deterministic)
        assert fused.head("action", "style").tolist() == [GerminationStyle.SIGMOID_ADD] * 4
        assert fused.head("entropy", "style").tolist() == [0.0] * 4
        assert_same_decision(fused, readable)


def test_each_row_draws_what_the_readable_path_draws_for_its_own_seed() -> None:
    net = scrambled_network(0)
    seeds = [5, 0, 123_456_789, 5]
    draws = seeded_exponential_draws(FusedWeights.build(net), seeds, torch.Generator())
    for row, seed in enumerate(seeds):
        expected = net.exponential_draws(1, torch.device("cpu"), torch.Generator().manual_seed(seed))
        assert torch.equal(draws[row : row + 1], expected), row


def test_the_weights_follow_the_network_dtype() -> None:
    net = scrambled_network(8).double()
    fused, readable = both_paths(net, batch=3, seed=2, deterministic=False)
    assert fused.value.dtype == torch.float64
    assert_same_decision(fused, readable)


# --- the host copy --------------------------------------------------------------------------------------


def test_host_rows_equal_the_inspectors_host_transfer() -> None:
    net = scrambled_network(2)
    fused, readable = both_paths(net, batch=6, seed=9, deterministic=False)
    ours = host_rows(fused)
    theirs = to_host(readable)
    assert len(ours) == len(theirs) == 6
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.value == pytest.approx(reference.value, abs=ATOL)
        assert mine.hidden_norm == pytest.approx(reference.hidden_norm, abs=ATOL)
        for name in HEAD_NAMES:
            got, expected = mine.heads[name], reference.heads[name]
            assert got.action == expected.action
            assert got.log_prob == pytest.approx(expected.log_prob, abs=ATOL)
            assert got.entropy == pytest.approx(expected.entropy, abs=ATOL)
            for field in ("raw_logits", "masked_logits", "probs"):
                assert getattr(got, field) == pytest.approx(getattr(expected, field), abs=ATOL), (name, field)


def test_identical_rows_share_one_host_row_and_no_other_does() -> None:
    fused, _ = both_paths(scrambled_network(3), batch=2, seed=4, deterministic=True)
    order = torch.tensor([0, 1, 0])  # rows 0 and 2: one episode's numbers twice, as two episodes in one state
    tripled = dataclasses.replace(
        fused,
        **{
            name: getattr(fused, name)[order]
            for name in ("action", "log_prob", "raw_logits", "masked_logits", "probs", "entropy", "mask")
        },
        valid_count=fused.valid_count[order],
        value=fused.value[order],
        hidden=(fused.hidden[0][:, order], fused.hidden[1][:, order]),
    )
    rows = host_rows(tripled)
    assert rows[0] is rows[2]
    assert rows[1] != rows[0]
    assert rows == [host_rows(fused)[0], host_rows(fused)[1], host_rows(fused)[0]]


def _inputs(net: FactoredRecurrentActorCritic, masks: dict[str, torch.Tensor]):
    state = torch.randn(2, net.state_dim)
    return state, net.initial_hidden(2), masks


def test_a_head_without_a_valid_option_raises_the_readable_error() -> None:
    net = scrambled_network(1)
    masks = random_masks(net, 2, 0)
    masks["tempo"][1] = False
    state, hidden, _ = _inputs(net, masks)
    step = fused_step(FusedWeights.build(net), state, hidden, packed(net, masks), None)
    with pytest.raises(InvalidStateMachineError) as ours:
        host_rows(step)
    with pytest.raises(InvalidStateMachineError) as theirs:
        net.get_action(state, hidden, masks, True)
    assert str(ours.value) == str(theirs.value)


def test_a_non_finite_logit_raises_the_readable_error() -> None:
    net = scrambled_network(1)
    with torch.no_grad():
        net.blueprint_head[2].bias[4] = float("nan")
    masks = random_masks(net, 2, 0)
    state, hidden, _ = _inputs(net, masks)
    step = fused_step(FusedWeights.build(net), state, hidden, packed(net, masks), None)
    with pytest.raises(ValueError, match="inf/nan") as ours:
        host_rows(step)
    with pytest.raises(ValueError) as theirs:
        net.get_action(state, hidden, masks, True)
    assert str(ours.value) == str(theirs.value)


def test_packed_masks_read_back_per_head_as_the_rows_gave_them() -> None:
    net = scrambled_network(0)
    masks = random_masks(net, 3, 4)
    per_head = masks_per_head(packed(net, masks), net.slot_config)
    assert tuple(per_head) == HEAD_NAMES
    for name in HEAD_NAMES:
        assert torch.equal(per_head[name], masks[name]), name
