"""One decision step for a whole batch with the network's weights packed: the sweep's forward.

``FactoredRecurrentActorCritic.get_action`` (``tamiyo_tui/policy/network.py``) is the readable path: the
modules one by one, then the eight heads one by one through ``MaskedCategorical``. ``fused_step`` computes
the same decision in a handful of whole-batch ops: the nine heads' first Linears stacked into one matmul,
their second Linears into one batched matmul laid out [heads, widest head] (zero columns pad the short
heads and the value), so masking, log-softmax, entropy and the Gumbel-max draw run once over every head.

Sampling draws the readable path's noise: ``exponential_draws`` [B, heads, widest head] Exp(1) values, and
``raw − log E`` is bit for bit the readable path's ``raw + (−log E)``. So the same draws give the same
actions, and logits agree within float rounding (``tests/sweep/test_sweep_fused.py``: 1e-5).

A sweep packs the weights once (``FusedWeights.build``): they do not change during a sweep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from tamiyo_tui.domain.actions import HEAD_NAMES, STYLE_RELEVANT_OPS, GerminationStyle, LifecycleOp
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.policy.distributions import MaskedCategorical
from tamiyo_tui.policy.network import HEAD_INDEX, SAMPLING_ORDER, FactoredRecurrentActorCritic
from tamiyo_tui.policy.types import Hidden

_STYLE = HEAD_INDEX["style"]
_OP = HEAD_INDEX["op"]


@dataclass(frozen=True, slots=True)
class FusedWeights:
    """A network's weights packed for one-step inference, and the small tables the step reads."""

    feature: tuple[torch.Tensor, ...]  # linear weight transposed, bias, layer-norm weight, bias
    lstm: tuple[tuple[torch.Tensor, ...], ...]  # per layer: w_ih, w_hh, b_ih, b_hh
    lstm_ln: tuple[torch.Tensor, torch.Tensor]
    first_weight_t: torch.Tensor  # [H, 9·h]: the nine heads' first Linears side by side
    first_bias: torch.Tensor
    second_weight: torch.Tensor  # [9, h, width]: one batched matmul; zero columns pad short heads
    second_bias: torch.Tensor  # [9, 1, width]
    head_sizes: dict[str, int]
    width: int  # the widest head's size: each head's row in the packed [heads, width] layout
    lstm_layers: int
    lstm_hidden_dim: int
    sigmoid_add_only: torch.Tensor  # [width] bool: the style mask of an op that ignores style
    style_irrelevant: torch.Tensor  # [num_ops] bool: the op ignores style, which is then SIGMOID_ADD
    entropy_scale: torch.Tensor  # [width + 1]: −1/ln(n) for n valid options, 0 when n <= 1

    @classmethod
    @torch.no_grad()
    def build(cls, net: FactoredRecurrentActorCritic) -> FusedWeights:
        heads = [net.policy_head(name) for name in HEAD_NAMES] + [net.value_head]
        width = net.max_head_size
        second_weight, second_bias = _pack_second_layers(heads, width)
        device, dtype = second_bias.device, second_bias.dtype
        sigmoid_add_only = torch.zeros(width, dtype=torch.bool)
        sigmoid_add_only[GerminationStyle.SIGMOID_ADD] = True
        counts = torch.arange(width + 1, dtype=torch.float64)
        lstm_names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return cls(
            feature=(
                net.feature_net[0].weight.detach().t().contiguous(),
                net.feature_net[0].bias.detach(),
                net.feature_net[1].weight.detach(),
                net.feature_net[1].bias.detach(),
            ),
            lstm=tuple(
                tuple(getattr(net.lstm, f"{name}_l{layer}").detach() for name in lstm_names)
                for layer in range(net.lstm_layers)
            ),
            lstm_ln=(net.lstm_ln.weight.detach(), net.lstm_ln.bias.detach()),
            first_weight_t=torch.cat([head[0].weight for head in heads]).t().contiguous(),
            first_bias=torch.cat([head[0].bias for head in heads]),
            second_weight=second_weight,
            second_bias=second_bias,
            head_sizes=dict(net.head_sizes),
            width=width,
            lstm_layers=net.lstm_layers,
            lstm_hidden_dim=net.lstm_hidden_dim,
            sigmoid_add_only=sigmoid_add_only.to(device),
            style_irrelevant=torch.tensor([op not in STYLE_RELEVANT_OPS for op in LifecycleOp], device=device),
            entropy_scale=torch.where(counts > 1, -1.0 / counts.clamp(min=2).log(), 0.0).to(device, dtype),
        )

    @property
    def device(self) -> torch.device:
        return self.second_bias.device

    @property
    def dtype(self) -> torch.dtype:
        return self.second_bias.dtype

    def initial_hidden(self, batch: int) -> Hidden:
        """Zero (h, c), each [layers, batch, hidden], as the network's ``initial_hidden``."""
        shape = (self.lstm_layers, batch, self.lstm_hidden_dim)
        zeros = torch.zeros(shape, device=self.device, dtype=self.dtype)
        return zeros, zeros.clone()

    def trunk(self, state: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        """Features → one LSTM step per layer → LayerNorm: [B, H] and the new (h, c)."""
        weight_t, bias, ln_weight, ln_bias = self.feature
        x = torch.layer_norm(torch.addmm(bias, state, weight_t), ln_weight.shape, ln_weight, ln_bias).relu_()
        h_layers, c_layers = [], []
        for layer, weights in enumerate(self.lstm):
            x, c = torch.lstm_cell(x, [hidden[0][layer], hidden[1][layer]], *weights)
            h_layers.append(x)
            c_layers.append(c)
        new_hidden = (torch.stack(h_layers), torch.stack(c_layers))
        return torch.layer_norm(x, self.lstm_ln[0].shape, self.lstm_ln[0], self.lstm_ln[1]), new_hidden

    def heads(self, trunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits [B, heads, width] (padding columns hold 0) and value [B] from the trunk output."""
        batch, heads = trunk.shape[0], self.second_weight.shape[0]
        hidden = torch.addmm(self.first_bias, trunk, self.first_weight_t).relu_()
        # [heads, B, h] @ [heads, h, width] → [heads, B, width], read back as [B, heads, width].
        out = torch.baddbmm(self.second_bias, hidden.view(batch, heads, -1).transpose(0, 1), self.second_weight)
        out = out.transpose(0, 1)
        return out[:, :-1], out[:, -1, 0]


@dataclass(frozen=True, slots=True)
class FusedStep:
    """One batched decision, packed per head: [B, heads] or [B, heads, width] tensors on the device."""

    action: torch.Tensor  # [B, heads] long
    log_prob: torch.Tensor  # [B, heads]: of the chosen option
    raw_logits: torch.Tensor  # [B, heads, width]
    masked_logits: torch.Tensor
    probs: torch.Tensor
    entropy: torch.Tensor  # [B, heads], normalized to [0, 1]
    mask: torch.Tensor  # [B, heads, width] bool: the masks used, style override included
    valid_count: torch.Tensor  # [B, heads]
    value: torch.Tensor  # [B]
    hidden: Hidden  # the new (h, c), [layers, B, hidden] each
    head_sizes: dict[str, int]

    def head(self, field: str, name: str) -> torch.Tensor:
        """One head's [B] or [B, size] slice of ``field`` (e.g. ``step.head("probs", "op")``)."""
        packed = getattr(self, field)[:, HEAD_INDEX[name]]
        return packed if packed.dim() == 1 else packed[:, : self.head_sizes[name]]


@torch.inference_mode()
def fused_step(
    weights: FusedWeights,
    features: torch.Tensor,
    hidden: Hidden,
    mask: torch.Tensor,
    exponential_draws: torch.Tensor | None,
) -> FusedStep:
    """One decision for ``features`` [B, D] under ``mask`` [B, heads, width] (padding False).

    ``exponential_draws`` [B, heads, width] are the Exp(1) values the readable path draws for sampling
    (``FactoredRecurrentActorCritic.exponential_draws``); None decides deterministically (each head's argmax).
    """
    trunk, new_hidden = weights.trunk(features, hidden)
    raw, value = weights.heads(trunk)
    scores = raw if exponential_draws is None else raw - exponential_draws.log()
    # Every head's argmax at once; only the style head's can change once the op is known.
    chosen = torch.where(mask, scores, -math.inf).argmax(dim=-1)
    # Where the chosen op ignores style, the style head may only pick SIGMOID_ADD (the readable path's rule).
    style_ignored = weights.style_irrelevant[chosen[:, _OP]]
    mask = mask.clone()
    mask[:, _STYLE] = torch.where(style_ignored[:, None], weights.sigmoid_add_only, mask[:, _STYLE])
    chosen[:, _STYLE] = torch.where(style_ignored, int(GerminationStyle.SIGMOID_ADD), chosen[:, _STYLE])

    masked = torch.where(mask, raw, MASKED_LOGIT_VALUE)
    log_softmax = torch.log_softmax(masked, dim=-1)
    probs = log_softmax.exp()
    valid_count = mask.sum(dim=-1)
    # MaskedCategorical.entropy()'s formula; the lookup folds in the 1/ln(n) scale and the n <= 1 case.
    entropy = (probs * log_softmax).mul_(mask).sum(dim=-1).mul_(torch.take(weights.entropy_scale, valid_count))
    return FusedStep(
        action=chosen,
        log_prob=log_softmax.gather(-1, chosen.unsqueeze(-1)).squeeze(-1),
        raw_logits=raw,
        masked_logits=masked,
        probs=probs,
        entropy=entropy,
        mask=mask,
        valid_count=valid_count,
        value=value,
        hidden=new_hidden,
        head_sizes=weights.head_sizes,
    )


def raise_readable_error(step: FusedStep) -> None:
    """Raise the error the readable path raises on this step (a head without a valid option, a
    non-finite logit), by replaying ``MaskedCategorical``'s checks head by head in sampling order."""
    for name in SAMPLING_ORDER:
        index, size = HEAD_INDEX[name], step.head_sizes[name]
        MaskedCategorical(step.raw_logits[:, index, :size], step.mask[:, index, :size])
    raise RuntimeError("the step failed its checks, but no head reproduces the failure")


def _pack_second_layers(heads: list[nn.Sequential], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every head's last Linear as one [heads, h, width] weight (transposed for bmm) and [heads, 1, width] bias."""
    half = heads[0][0].out_features
    reference = heads[0][2].weight
    weight = reference.new_zeros(len(heads), half, width)
    bias = reference.new_zeros(len(heads), 1, width)
    for index, head in enumerate(heads):
        last = head[2]
        weight[index, :, : last.out_features] = last.weight.t()
        bias[index, 0, : last.out_features] = last.bias
    return weight, bias


def seeded_exponential_draws(weights: FusedWeights, seeds: Sequence[int], generator: torch.Generator) -> torch.Tensor:
    """[len(seeds), heads, width] Exp(1) draws, row r drawn from ``generator`` seeded with ``seeds[r]``.

    Each row is exactly what the readable path draws for one decision at batch 1 after
    ``generator.manual_seed(seed)`` (``PolicyRunner.decide`` seeds per decision): the same shape from the
    same generator state, so a sweep samples every episode's actions as ``tamiyo-tui run`` does.
    """
    draws = torch.empty((len(seeds), len(HEAD_NAMES), weights.width), device=weights.device, dtype=weights.dtype)
    for row, seed in enumerate(seeds):
        generator.manual_seed(seed)
        draws[row : row + 1].exponential_(generator=generator)
    return draws
