"""The factored recurrent actor-critic: one LSTM trunk, eight policy heads and a value head.

Module and parameter names and shapes match the reference network (``feature_net.0``, ``lstm``,
``lstm_ln``, ``slot_head.0``/``.2`` … ``value_head.2``), so a state_dict saved by the reference trainer
loads unchanged. ``get_action`` decides head by head through ``MaskedCategorical``, sampling with the
Gumbel-max trick from one block of noise drawn per decision, so the same ``torch.Generator`` state gives
the same actions (step back, step forward: same choice). The sweep's fused one-step forward
(``tamiyo_tui/sweep``) draws the same block and is tested equal to this path.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    STYLE_RELEVANT_OPS,
    GerminationStyle,
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

        Masks are [B,A] or [B,T,A] (missing head = all valid).
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
        """Gumbel(0, 1) noise [B, heads, max head size], −log of Exp(1): one draw per decision."""
        return self.exponential_draws(batch, device, generator).log_().neg_()

    def exponential_draws(self, batch: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        """The Exp(1) draws [B, heads, max head size] that ``gumbel_noise`` turns into Gumbel noise."""
        shape = (batch, len(HEAD_NAMES), self.max_head_size)
        return torch.empty(shape, device=device, dtype=self.lstm_ln.weight.dtype).exponential_(generator=generator)


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
