"""The factored recurrent actor-critic: one LSTM trunk, eight policy heads and a value head.

Module and parameter names and shapes match the reference network (``feature_net.0``, ``lstm``,
``lstm_ln``, ``slot_head.0``/``.2`` … ``value_head.2``), so a state_dict saved by the reference trainer
loads unchanged. Two inference paths exist and are tested equal:

- ``get_action``: the readable one, head by head through ``MaskedCategorical``;
- ``act_fast``: one decision step with the nine heads packed into two matmuls (see ``FusedWeights``),
  used by the LSTM bundle. Its validity checks are deferred (``DecisionChecks``) so that on a GPU they
  travel back with the displayed values in a single device→host transfer.

Both sample with the Gumbel-max trick from one block of noise drawn per decision, so the same
``torch.Generator`` state gives the same actions on either path (step back, step forward: same choice).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import NoReturn, Self

import torch
from torch import nn

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    STYLE_RELEVANT_OPS,
    GerminationStyle,
    LifecycleOp,
    get_action_head_sizes,
)
from tamiyo_tui.domain.constants import DEFAULT_FEATURE_DIM, DEFAULT_LSTM_HIDDEN_DIM, MASKED_LOGIT_VALUE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.distributions import MaskedCategorical
from tamiyo_tui.policy.types import ActionResult, HeadOutputs, Hidden

# Op decides whether style matters, so it is drawn first; the rest follow in canonical head order.
SAMPLING_ORDER: tuple[str, ...] = ("op", "style", *(name for name in HEAD_NAMES if name not in ("op", "style")))
HEAD_INDEX: dict[str, int] = {name: index for index, name in enumerate(HEAD_NAMES)}

_POLICY_HEAD_LAST_GAIN = 0.01  # near-uniform initial policy
_VALUE_HEAD_LAST_GAIN = 1.0


class FactoredRecurrentActorCritic(nn.Module):
    """Linear+LayerNorm+ReLU features → LSTM → LayerNorm → eight policy heads and a value head.

    ``feature_dim`` is the width of the projection before the LSTM (the observation size is
    ``state_dim``). All heads read the same normalized LSTM output; none conditions on another.
    """

    def __init__(
        self,
        state_dim: int,
        slot_config: SlotConfig | None = None,
        feature_dim: int = DEFAULT_FEATURE_DIM,
        lstm_hidden_dim: int = DEFAULT_LSTM_HIDDEN_DIM,
        lstm_layers: int = 1,
    ) -> None:
        super().__init__()
        self.slot_config = slot_config if slot_config is not None else SlotConfig.default()
        self.state_dim = state_dim
        self.lstm_hidden_dim = lstm_hidden_dim
        self.lstm_layers = lstm_layers
        self.head_sizes: dict[str, int] = get_action_head_sizes(self.slot_config)
        self.max_head_size = max(self.head_sizes.values())

        self.feature_net = nn.Sequential(nn.Linear(state_dim, feature_dim), nn.LayerNorm(feature_dim), nn.ReLU())
        self.lstm = nn.LSTM(feature_dim, lstm_hidden_dim, num_layers=lstm_layers, batch_first=True)
        self.lstm_ln = nn.LayerNorm(lstm_hidden_dim)
        for name in HEAD_NAMES:
            self.add_module(f"{name}_head", _head(lstm_hidden_dim, self.head_sizes[name]))
        self.value_head = _head(lstm_hidden_dim, 1)

        self._initialize()
        self._fused: FusedWeights | None = None
        self.register_load_state_dict_post_hook(_drop_fused_weights)

    def _initialize(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.orthogonal_(module.weight, gain=math.sqrt(2))
                nn.init.zeros_(module.bias)
        for name in HEAD_NAMES:
            nn.init.orthogonal_(self.policy_head(name)[2].weight, gain=_POLICY_HEAD_LAST_GAIN)
        nn.init.orthogonal_(self.value_head[2].weight, gain=_VALUE_HEAD_LAST_GAIN)
        hidden = self.lstm_hidden_dim
        for param_name, param in self.lstm.named_parameters():
            if param_name.startswith("weight"):
                nn.init.orthogonal_(param)
            else:
                # Both bias vectors get 1.0 on the forget gate (PyTorch order i, f, g, o): effective bias 2.0.
                with torch.no_grad():
                    param.zero_()
                    param[hidden : 2 * hidden] = 1.0

    def policy_head(self, name: str) -> nn.Sequential:
        """The head module for ``name`` (one of ``HEAD_NAMES``)."""
        return self.get_submodule(f"{name}_head")

    def initial_hidden(self, batch_size: int, device: torch.device | str | None = None) -> Hidden:
        """Zero (h, c), each [layers, batch, hidden]; the default device is the network's."""
        reference = self.lstm_ln.weight
        shape = (self.lstm_layers, batch_size, self.lstm_hidden_dim)
        zeros = torch.zeros(shape, device=reference.device if device is None else device, dtype=reference.dtype)
        return zeros, zeros.clone()

    def forward(
        self,
        state: torch.Tensor,
        hidden: Hidden | None = None,
        masks: dict[str, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor | Hidden]:
        """Logits per head (``<head>_logits``, [B,T,A]), ``value`` [B,T] and the final ``hidden``.

        A mask given for a head ([B,T,A] or broadcastable, True = valid) replaces its invalid logits with
        ``MASKED_LOGIT_VALUE``; a head without a mask keeps raw logits.
        """
        if hidden is None:
            hidden = self.initial_hidden(state.shape[0], state.device)
        lstm_out, new_hidden = self.lstm(self.feature_net(state), hidden)
        trunk = self.lstm_ln(lstm_out)
        masks = masks or {}
        output: dict[str, torch.Tensor | Hidden] = {}
        for name in HEAD_NAMES:
            logits = self.policy_head(name)(trunk)
            mask = masks.get(name)
            output[f"{name}_logits"] = logits if mask is None else logits.masked_fill(~mask, MASKED_LOGIT_VALUE)
        output["value"] = self.value_head(trunk).squeeze(-1)
        output["hidden"] = new_hidden
        return output

    @torch.inference_mode()
    def get_action(
        self,
        state: torch.Tensor,
        hidden: Hidden | None = None,
        masks: dict[str, torch.Tensor] | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
    ) -> ActionResult:
        """One decision from the first time step of ``state`` ([B,D] or [B,T,D]), head by head.

        The readable reference for ``act_fast``. Masks are [B,A] or [B,T,A] (missing head = all valid).
        Sampling is Gumbel-max with noise from ``generator`` (the global RNG when None); deterministic
        decisions take the argmax of the masked logits and draw nothing.
        """
        if state.dim() == 2:
            state = state.unsqueeze(1)
        masks = masks or {}
        output = self.forward(state, hidden)
        batch = state.shape[0]
        noise = None if deterministic else self.gumbel_noise(batch, state.device, generator)

        actions: dict[str, torch.Tensor] = {}
        log_probs: dict[str, torch.Tensor] = {}
        raw, masked, probs, entropy = {}, {}, {}, {}
        for name in SAMPLING_ORDER:
            logits = output[f"{name}_logits"][:, 0]
            mask = _first_step_mask(masks.get(name), logits)
            if name == "style":
                mask = force_style_where_irrelevant(mask, actions["op"])
            dist = MaskedCategorical(logits, mask)
            if noise is None:
                action = dist.mode()
            else:
                action = gumbel_argmax(dist.masked_logits, mask, noise[:, HEAD_INDEX[name], : logits.shape[-1]])
            actions[name] = action
            log_probs[name] = dist.log_prob(action)
            raw[name], masked[name], probs[name], entropy[name] = logits, dist.masked_logits, dist.probs, dist.entropy()

        return ActionResult(
            action=_in_head_order(actions),
            log_prob=_in_head_order(log_probs),
            value=output["value"][:, 0],
            hidden=output["hidden"],
            op_logits=masked["op"],
            heads=HeadOutputs(
                raw_logits=_in_head_order(raw),
                masked_logits=_in_head_order(masked),
                probs=_in_head_order(probs),
                entropy=_in_head_order(entropy),
            ),
        )

    def evaluate_actions(
        self,
        states: torch.Tensor,
        actions: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor] | None = None,
        hidden: Hidden | None = None,
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, dict[str, torch.Tensor], Hidden]:
        """Log-probs and normalized entropies ([B,T] per head), values [B,T] and the final hidden state.

        Gradients flow. The style head gets the same op-conditioned mask as during action selection, so
        the log-probs equal the ones recorded then. Tensors recorded under inference mode (``get_action``'s
        actions and hidden state) are accepted: autograd cannot save them, so they are copied first.
        """
        actions = {name: _autograd_safe(action) for name, action in actions.items()}
        masks = {name: _autograd_safe(mask) for name, mask in (masks or {}).items()}
        if hidden is not None:
            hidden = (_autograd_safe(hidden[0]), _autograd_safe(hidden[1]))
        output = self.forward(_autograd_safe(states), hidden)
        batch, steps = states.shape[:2]
        ops = actions["op"].reshape(-1)
        log_probs: dict[str, torch.Tensor] = {}
        entropy: dict[str, torch.Tensor] = {}
        for name in HEAD_NAMES:
            logits = output[f"{name}_logits"].reshape(batch * steps, -1)
            mask = masks.get(name)
            if mask is None:
                mask = torch.ones_like(logits, dtype=torch.bool)
            else:  # [B, T, A], or [B, 1, A] for a mask that holds for every step
                mask = mask.expand(batch, steps, -1).reshape(batch * steps, -1)
            if name == "style":
                mask = force_style_where_irrelevant(mask, ops)
            dist = MaskedCategorical(logits, mask)
            log_probs[name] = dist.log_prob(actions[name].reshape(-1)).reshape(batch, steps)
            entropy[name] = dist.entropy().reshape(batch, steps)
        return log_probs, output["value"], entropy, output["hidden"]

    def gumbel_noise(self, batch: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        """Gumbel(0, 1) noise [B, heads, max head size], −log of Exp(1): one draw per decision for both paths."""
        return self.exponential_draws(batch, device, generator).log_().neg_()

    def exponential_draws(self, batch: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        """The Exp(1) draws [B, heads, max head size] that ``gumbel_noise`` turns into Gumbel noise."""
        shape = (batch, len(HEAD_NAMES), self.max_head_size)
        return torch.empty(shape, device=device, dtype=self.lstm_ln.weight.dtype).exponential_(generator=generator)

    # --- fast single-step path ------------------------------------------------------------------------

    def fused_weights(self) -> FusedWeights:
        """The packed weights for ``act_fast``, rebuilt lazily whenever a parameter changed.

        Conversions (``to()``, ``cuda()``, ``double()``: all go through ``_apply``) and ``load_state_dict``
        (a post-hook, so it fires even when this module is loaded as part of a larger one) drop the cache;
        any other in-place edit (an optimizer step) moves a parameter's version counter, checked here.
        """
        if self._fused is None or not self._fused.is_current():
            self._fused = FusedWeights.build(self)
        return self._fused

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Self:
        self._fused = None
        return super()._apply(fn, recurse)

    @torch.inference_mode()
    def act_fast(
        self,
        state: torch.Tensor,
        hidden: Hidden | None = None,
        masks: dict[str, torch.Tensor] | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
    ) -> ActionResult:
        """One decision for ``state`` [B,D] (a single time step) with the packed weights.

        Equal to ``get_action`` (logits within float rounding, same actions for the same generator state).
        Per-head results are ``HeadTensors`` views of packed [B, heads, …] tensors. Mask and logit
        validity are NOT raised here: they are in ``result.extras["checks"]`` (a ``DecisionChecks``),
        enforced by ``host_transfer.to_host`` or ``DecisionChecks.verify()``, so a GPU needs no extra sync.
        """
        fused = self.fused_weights()
        if hidden is None:
            hidden = self.initial_hidden(state.shape[0], state.device)
        trunk, new_hidden = fused.trunk(state, hidden)
        raw, value = fused.heads(trunk)  # raw: [B, heads, max head size]; padding columns hold 0
        mask = fused.padded_masks(masks or {}, state.shape[0])

        # raw − log E is raw + Gumbel noise bit for bit (the readable path adds −log E), one op fewer.
        scores = raw if deterministic else raw - self.exponential_draws(state.shape[0], state.device, generator).log_()
        # Every head's argmax at once; only the style head's can change once the op is known.
        chosen = torch.where(mask, scores, fused.minus_infinity).argmax(dim=-1)
        chosen, mask = fused.with_style_override(chosen, mask)

        masked = torch.where(mask, raw, fused.masked_logit)
        log_softmax = torch.log_softmax(masked, dim=-1)
        probs = log_softmax.exp()
        valid_count = mask.sum(dim=-1)
        # Same formula as MaskedCategorical.entropy(); the lookup folds in the 1/ln(n) scale and the n <= 1 case.
        entropy = (probs * log_softmax).mul_(mask).sum(dim=-1).mul_(torch.take(fused.entropy_scale, valid_count))
        extras: dict[str, object] = {}
        if MaskedCategorical.validate:  # the same global switch as the readable path's checks
            extras["checks"] = DecisionChecks(raw=raw, mask=mask, valid_count=valid_count, head_sizes=self.head_sizes)
        return ActionResult(
            action=HeadTensors(chosen),
            log_prob=HeadTensors(log_softmax.gather(-1, chosen.unsqueeze(-1)).squeeze(-1)),
            value=value,
            hidden=new_hidden,
            op_logits=masked[:, HEAD_INDEX["op"], : self.head_sizes["op"]],
            heads=HeadOutputs(
                raw_logits=HeadTensors(raw, self.head_sizes),
                masked_logits=HeadTensors(masked, self.head_sizes),
                probs=HeadTensors(probs, self.head_sizes),
                entropy=HeadTensors(entropy),
            ),
            extras=extras,
        )


class HeadTensors(Mapping[str, torch.Tensor]):
    """Read-only ``head name → tensor`` view of one packed [B, heads] or [B, heads, max size] tensor.

    Slices are taken on access, so the fast path builds no per-head tensors a caller never reads, and
    ``host_transfer`` can move ``packed`` in one piece. ``sizes`` trims each head's padded last dim.
    """

    __slots__ = ("packed", "sizes")

    def __init__(self, packed: torch.Tensor, sizes: Mapping[str, int] | None = None) -> None:
        self.packed = packed
        self.sizes = sizes

    def __getitem__(self, name: str) -> torch.Tensor:
        column = self.packed[:, HEAD_INDEX[name]]
        return column if self.sizes is None else column[:, : self.sizes[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(HEAD_NAMES)

    def __len__(self) -> int:
        return len(HEAD_NAMES)


@dataclass(frozen=True, slots=True)
class FusedWeights:
    """The network's weights packed for one-step inference, plus the small lookup tables it needs.

    The nine heads' first Linears are stacked into one [9·h, H] matmul; their second Linears into one
    batched matmul laid out [heads + value, max head size] (zero columns pad short heads and the value),
    so masking, log-softmax and sampling run once over all heads.
    """

    params: tuple[nn.Parameter, ...]
    versions: tuple[int, ...]  # each parameter's version counter when packed
    feature: tuple[torch.Tensor, ...]  # linear weight transposed, bias, layer-norm weight, bias
    lstm: tuple[tuple[torch.Tensor, ...], ...]  # per layer: w_ih, w_hh, b_ih, b_hh
    lstm_ln: tuple[torch.Tensor, torch.Tensor]
    first_weight_t: torch.Tensor  # [H, 9·h]
    first_bias: torch.Tensor
    second_weight: torch.Tensor  # [9, h, max head size]: one batched matmul; zero columns pad short heads
    second_bias: torch.Tensor  # [9, 1, max head size]
    head_sizes: tuple[int, ...]
    width: int  # the longest head's size: each head's padded row in the [heads, width] layout
    mask_gather: torch.Tensor  # [heads·max]: index into [every head's mask…, False]; padding → the False
    style_override: torch.Tensor  # [num_ops, heads] bool: the op forces the style head to SIGMOID_ADD
    style_forced_mask: torch.Tensor  # [heads, max] bool: only SIGMOID_ADD, in the style row
    style_forced_choice: torch.Tensor  # [heads] long: SIGMOID_ADD in the style column
    entropy_scale: torch.Tensor  # [max + 1]: −1/ln(n) for n valid options, 0 when n <= 1
    # 0-d fill values: ``torch.where`` with a tensor skips wrapping a Python scalar on every call.
    minus_infinity: torch.Tensor
    masked_logit: torch.Tensor

    @classmethod
    @torch.no_grad()
    def build(cls, net: FactoredRecurrentActorCritic) -> FusedWeights:
        params = tuple(net.parameters())
        heads = [net.policy_head(name) for name in HEAD_NAMES] + [net.value_head]
        sizes = tuple(net.head_sizes[name] for name in HEAD_NAMES)
        width = net.max_head_size
        second_weight, second_bias = _pack_second_layers(heads, width)
        style_override, style_forced_mask, style_forced_choice = _style_override_tables(width)
        device, dtype = second_bias.device, second_bias.dtype
        counts = torch.arange(width + 1, dtype=torch.float64)
        lstm_names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return cls(
            params=params,
            versions=tuple(map(_VERSION, params)),
            feature=(
                net.feature_net[0].weight.t().contiguous(),
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
            head_sizes=sizes,
            width=width,
            mask_gather=_mask_gather_index(sizes, width).to(device),
            style_override=style_override.to(device),
            style_forced_mask=style_forced_mask.to(device),
            style_forced_choice=style_forced_choice.to(device),
            entropy_scale=torch.where(counts > 1, -1.0 / counts.clamp(min=2).log(), 0.0).to(device, dtype),
            minus_infinity=torch.tensor(-math.inf, device=device, dtype=dtype),
            masked_logit=torch.tensor(MASKED_LOGIT_VALUE, device=device, dtype=dtype),
        )

    def is_current(self) -> bool:
        """False once any packed parameter was changed in place (load_state_dict, an optimizer step)."""
        # Checked on every decision: one C-level pass over the counters, not a generator of comparisons.
        return tuple(map(_VERSION, self.params)) == self.versions

    def trunk(self, state: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        """Features → one LSTM step per layer → LayerNorm: [B, H] and the new (h, c)."""
        weight_t, bias, ln_weight, ln_bias = self.feature
        # torch.layer_norm is what nn.functional.layer_norm calls, minus its Python-level dispatch checks.
        x = torch.layer_norm(torch.addmm(bias, state, weight_t), ln_weight.shape, ln_weight, ln_bias).relu_()
        if len(self.lstm) == 1:  # the usual case: views instead of a per-layer split and a stack
            x, c = torch.lstm_cell(x, [hidden[0][0], hidden[1][0]], *self.lstm[0])
            new_hidden = (x.unsqueeze(0), c.unsqueeze(0))
        else:
            h_layers, c_layers = [], []
            for layer, weights in enumerate(self.lstm):
                x, c = torch.lstm_cell(x, [hidden[0][layer], hidden[1][layer]], *weights)
                h_layers.append(x)
                c_layers.append(c)
            new_hidden = (torch.stack(h_layers), torch.stack(c_layers))
        return torch.layer_norm(x, self.lstm_ln[0].shape, self.lstm_ln[0], self.lstm_ln[1]), new_hidden

    def heads(self, trunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits [B, heads, max head size] and value [B] from the normalized trunk output."""
        batch, heads = trunk.shape[0], self.second_weight.shape[0]
        hidden = torch.addmm(self.first_bias, trunk, self.first_weight_t).relu_()
        # [heads, B, h] @ [heads, h, max] → [heads, B, max], read back as [B, heads, max].
        out = torch.baddbmm(self.second_bias, hidden.view(batch, heads, -1).transpose(0, 1), self.second_weight)
        out = out.transpose(0, 1)
        return out[:, :-1], out[:, -1, 0]

    def padded_masks(self, masks: Mapping[str, torch.Tensor], batch: int) -> torch.Tensor:
        """[B, heads, max head size] bool from [B, A] masks; a missing head is all valid, padding never is."""
        if (
            isinstance(masks, HeadTensors)
            and masks.sizes is not None
            and masks.packed.shape[1:]
            == (
                len(self.head_sizes),
                self.width,
            )
        ):
            return masks.packed  # already in this layout (build_policy_batch's per-env route)
        device = self.mask_gather.device
        columns = [
            masks[name] if name in masks else torch.ones(batch, size, dtype=torch.bool, device=device)
            for name, size in zip(HEAD_NAMES, self.head_sizes, strict=True)
        ]
        columns.append(torch.zeros(batch, 1, dtype=torch.bool, device=device))
        return torch.cat(columns, dim=1).index_select(1, self.mask_gather).view(batch, len(self.head_sizes), self.width)

    def with_style_override(self, chosen: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows whose chosen op ignores style may only choose SIGMOID_ADD (same rule as the readable path).

        ``chosen`` [B, heads] holds each head's choice under ``mask``; both come back with the rule applied.
        """
        override = self.style_override.index_select(0, chosen.select(1, HEAD_INDEX["op"]))
        mask = torch.where(override.unsqueeze(-1), self.style_forced_mask, mask)
        return torch.where(override, self.style_forced_choice, chosen), mask


@dataclass(frozen=True, slots=True)
class DecisionChecks:
    """What decides whether a fast-path decision was valid, left on the device until someone reads it.

    ``host_transfer.to_host`` checks the host copies of ``raw`` and ``valid_count`` it moves anyway, so a
    valid decision costs no device op at all; ``verify`` checks on the device. On a failure ``raise_error``
    replays ``MaskedCategorical``'s checks head by head in sampling order, so the exception and message
    are exactly the readable path's.
    """

    raw: torch.Tensor  # [B, heads, max head size]; padding columns hold 0
    mask: torch.Tensor  # the masks used, style override included
    valid_count: torch.Tensor  # [B, heads]
    head_sizes: Mapping[str, int]

    @property
    def ok(self) -> torch.Tensor:
        """0-d bool tensor: every logit is finite and every head kept a valid option."""
        return torch.isfinite(self.raw).all() & (self.valid_count > 0).all()

    def verify(self) -> None:
        """Read ``ok`` (a host sync on a GPU) and raise the readable path's error if it is False."""
        if not bool(self.ok):
            self.raise_error()

    def raise_error(self) -> NoReturn:
        for name in SAMPLING_ORDER:
            index, size = HEAD_INDEX[name], self.head_sizes[name]
            MaskedCategorical(self.raw[:, index, :size], self.mask[:, index, :size])
        raise RuntimeError("decision checks failed but no head reproduces the failure")


def force_style_where_irrelevant(style_mask: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
    """The style mask actually used: rows whose op is not in STYLE_RELEVANT_OPS may only pick SIGMOID_ADD."""
    relevant = torch.zeros_like(ops, dtype=torch.bool)
    for op in STYLE_RELEVANT_OPS:
        relevant |= ops == int(op)
    sigmoid_only = torch.zeros_like(style_mask)
    sigmoid_only[..., GerminationStyle.SIGMOID_ADD] = True
    return torch.where(relevant.unsqueeze(-1), style_mask, sigmoid_only)


def gumbel_argmax(masked_logits: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """A sample from softmax(masked_logits); invalid options can never win, whatever the noise."""
    return torch.where(mask, masked_logits + noise, -math.inf).argmax(dim=-1)


_VERSION = attrgetter("_version")  # a tensor's in-place modification counter


def _drop_fused_weights(module: nn.Module, incompatible_keys: object) -> None:
    module._fused = None


def _autograd_safe(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.clone() if tensor.is_inference() else tensor


def _first_step_mask(mask: torch.Tensor | None, logits: torch.Tensor) -> torch.Tensor:
    if mask is None:
        return torch.ones_like(logits, dtype=torch.bool)
    return mask[:, 0] if mask.dim() == 3 else mask


def _in_head_order(per_head: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: per_head[name] for name in HEAD_NAMES}


def _head(hidden_dim: int, out_features: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(hidden_dim, hidden_dim // 2), nn.ReLU(), nn.Linear(hidden_dim // 2, out_features))


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


def _mask_gather_index(sizes: tuple[int, ...], width: int) -> torch.Tensor:
    """Where each padded [heads, width] mask cell comes from in the concatenated masks + one False column."""
    false_column = sum(sizes)
    index: list[int] = []
    offset = 0
    for size in sizes:
        index += [*range(offset, offset + size), *[false_column] * (width - size)]
        offset += size
    return torch.tensor(index)


def _style_override_tables(width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    style = HEAD_INDEX["style"]
    override = torch.zeros(len(LifecycleOp), len(HEAD_NAMES), dtype=torch.bool)
    for op in LifecycleOp:
        override[op, style] = op not in STYLE_RELEVANT_OPS
    forced = torch.zeros(len(HEAD_NAMES), width, dtype=torch.bool)
    forced[style, GerminationStyle.SIGMOID_ADD] = True
    forced_choice = torch.zeros(len(HEAD_NAMES), dtype=torch.long)
    forced_choice[style] = GerminationStyle.SIGMOID_ADD
    return override, forced, forced_choice
