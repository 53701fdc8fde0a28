"""The 2016337e actor-critic: blueprint embeddings, a residual LSTM stack, eight policy heads, V(s),
Q(s, op) and a per-slot contribution predictor.

Module and parameter names and shapes are the reference's (``feature_net``, ``lstm.layers.N``,
``lstm.layer_norms.N``, ``blueprint_embedding.embedding``, ``state_value_head``, ``q_head``,
``contribution_predictor`` …), so the ``network_state_dict`` of a 2016337e checkpoint loads unchanged.

What ``get_action`` does differently from the 60205274 network (``tamiyo_tui/policy/network.py``):
- the observation comes with each slot's blueprint index, embedded by the network (−1: no seed);
- every head's probabilities are floored (``PROBABILITY_FLOOR``) before the choice, and the log-probs and
  entropies are those of the floored distribution;
- op is chosen first, and every head the op does not use is held to one default option (``IRRELEVANT``);
- a slot-by-op mask [B, ops, slots] may restrict the slot choice to the slots valid for the chosen op;
- sampling draws ``torch.multinomial`` head by head in the reference's order, so a generator seeded as the
  reference's global generator gives the same actions (``tests/generations/test_network_2016337e.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
    get_action_head_sizes,
)
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.generations.esper_2016337e.constants import (
    BLUEPRINT_EMBED_DIM,
    BLUEPRINT_NULL_INDEX,
    FEATURE_DIM,
    LSTM_HIDDEN_DIM,
)
from tamiyo_tui.generations.esper_2016337e.floors import floored_logits, normalized_entropy

Hidden = tuple[torch.Tensor, torch.Tensor]

# A head the chosen op does not use is held to one option: (the ops that use it, the option it is held to).
IRRELEVANT: Mapping[str, tuple[frozenset[LifecycleOp], int]] = {
    "style": (frozenset({LifecycleOp.GERMINATE, LifecycleOp.SET_ALPHA_TARGET}), int(GerminationStyle.SIGMOID_ADD)),
    "blueprint": (frozenset({LifecycleOp.GERMINATE}), int(BlueprintAction.NOOP)),
    "tempo": (frozenset({LifecycleOp.GERMINATE}), int(TempoAction.STANDARD)),
    "alpha_target": (frozenset({LifecycleOp.GERMINATE, LifecycleOp.SET_ALPHA_TARGET}), int(AlphaTargetAction.FULL)),
    "alpha_speed": (frozenset({LifecycleOp.SET_ALPHA_TARGET, LifecycleOp.PRUNE}), int(AlphaSpeedAction.INSTANT)),
    "alpha_curve": (frozenset({LifecycleOp.SET_ALPHA_TARGET, LifecycleOp.PRUNE}), int(AlphaCurveAction.LINEAR)),
}
# The order heads are drawn in after op: each draw moves the generator on, so the order is part of the result.
DRAW_ORDER = ("style", "slot", "blueprint", "tempo", "alpha_target", "alpha_speed", "alpha_curve")


@dataclass(frozen=True, slots=True)
class Decision2016337e:
    """One decision for a batch: per head [B] tensors, per head [B, options] tensors, and the critic."""

    action: dict[str, torch.Tensor]  # head -> [B] long
    log_prob: dict[str, torch.Tensor]  # of the floored distribution
    raw_logits: dict[str, torch.Tensor]  # the network's opinion, before masks and floors
    masked_logits: dict[str, torch.Tensor]  # masked (and held) logits, before the floor
    probs: dict[str, torch.Tensor]  # the floored distribution the choice was drawn from
    probs_before_floor: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]  # the masks used, holding and slot-by-op included
    entropy: dict[str, torch.Tensor]  # normalized over the valid options, of the floored distribution
    value: torch.Tensor  # V(s) [B]
    q_values: torch.Tensor  # Q(s, op) [B, ops], every op
    contributions: torch.Tensor  # predicted counterfactual contribution [B, slots]
    hidden: Hidden


class BlueprintEmbedding(nn.Module):
    """A learned vector per blueprint, and one for "no seed" (index −1)."""

    def __init__(self, num_blueprints: int = len(BlueprintAction), embed_dim: int = BLUEPRINT_EMBED_DIM) -> None:
        super().__init__()
        self.num_blueprints = num_blueprints
        self.embedding = nn.Embedding(num_blueprints + 1, embed_dim)
        nn.init.normal_(self.embedding.weight, std=0.02)
        # In the state_dict as in the reference's, so its files load with strict key checking.
        self.register_buffer("_null_idx", torch.tensor(BLUEPRINT_NULL_INDEX, dtype=torch.int64))

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        if bool(((indices < -1) | (indices >= self.num_blueprints)).any()):
            bad = sorted(set(indices[(indices < -1) | (indices >= self.num_blueprints)].tolist()))
            raise ValueError(
                f"blueprint indices {bad} are neither −1 (no seed) nor a blueprint (0–{self.num_blueprints - 1})"
            )
        return self.embedding(torch.where(indices == -1, self._null_idx, indices))


class ResidualLSTM(nn.Module):
    """One-layer LSTMs stacked, each output layer-normed and added to its input."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.input_proj = nn.Linear(input_size, hidden_size) if input_size != hidden_size else nn.Identity()
        self.layers = nn.ModuleList(nn.LSTM(hidden_size, hidden_size, batch_first=True) for _ in range(num_layers))
        self.layer_norms = nn.ModuleList(nn.LayerNorm(hidden_size) for _ in range(num_layers))
        forget_bias = 1.0 + math.log(num_layers)  # deeper stacks remember more by default
        for layer in self.layers:
            for name, param in layer.named_parameters():
                if name.startswith("weight"):
                    nn.init.orthogonal_(param)
                else:
                    with torch.no_grad():
                        param.zero_()
                        param[hidden_size : 2 * hidden_size] = forget_bias

    def forward(self, x: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        x = self.input_proj(x)
        h_out, c_out = [], []
        for index, (lstm, norm) in enumerate(zip(self.layers, self.layer_norms, strict=True)):
            y, (h, c) = lstm(x, (hidden[0][index : index + 1], hidden[1][index : index + 1]))
            x = norm(y) + x
            h_out.append(h)
            c_out.append(c)
        return x, (torch.cat(h_out), torch.cat(c_out))


class FactoredRecurrentActorCritic2016337e(nn.Module):
    """(features ‖ blueprint embeddings) → Linear+LayerNorm+ReLU → residual LSTM → heads and critic."""

    def __init__(
        self,
        state_dim: int,
        slot_config: SlotConfig | None = None,
        feature_dim: int = FEATURE_DIM,
        lstm_hidden_dim: int = LSTM_HIDDEN_DIM,
        lstm_layers: int = 1,
    ) -> None:
        super().__init__()
        self.slot_config = slot_config if slot_config is not None else SlotConfig.default()
        self.state_dim = state_dim
        self.lstm_hidden_dim = lstm_hidden_dim
        self.lstm_layers = lstm_layers
        self.head_sizes = get_action_head_sizes(self.slot_config)
        slots, ops, half = self.head_sizes["slot"], self.head_sizes["op"], lstm_hidden_dim // 2

        self.feature_net = nn.Sequential(
            nn.Linear(state_dim + slots * BLUEPRINT_EMBED_DIM, feature_dim), nn.LayerNorm(feature_dim), nn.ReLU()
        )
        self.lstm = ResidualLSTM(feature_dim, lstm_hidden_dim, lstm_layers)
        for name in HEAD_NAMES:
            if name != "blueprint":
                self.add_module(f"{name}_head", _mlp(lstm_hidden_dim, half, self.head_sizes[name]))
        self.blueprint_embedding = BlueprintEmbedding()
        self.blueprint_head = nn.Sequential(
            nn.Linear(lstm_hidden_dim, lstm_hidden_dim),
            nn.ReLU(),
            nn.Linear(lstm_hidden_dim, half),
            nn.ReLU(),
            nn.Linear(half, self.head_sizes["blueprint"]),
        )
        self.state_value_head = _critic(lstm_hidden_dim, half)
        self.q_head = _critic(lstm_hidden_dim + ops, half)  # reads the op as a one-hot beside the trunk
        self.contribution_predictor = nn.Sequential(
            nn.Linear(lstm_hidden_dim, half),
            nn.LayerNorm(half),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(half, half // 2),
            nn.ReLU(),
            nn.Linear(half // 2, slots),
        )
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.orthogonal_(module.weight, gain=math.sqrt(2))
                nn.init.zeros_(module.bias)
        for name in HEAD_NAMES:
            nn.init.orthogonal_(self.policy_head(name)[-1].weight, gain=0.01)
        for critic in (self.state_value_head, self.q_head, self.contribution_predictor):
            nn.init.orthogonal_(critic[-1].weight, gain=0.1)
        self.train(False)  # the contribution predictor's dropout is for training only

    def policy_head(self, name: str) -> nn.Sequential:
        return self.get_submodule(f"{name}_head")

    def initial_hidden(self, batch_size: int, device: torch.device | str | None = None) -> Hidden:
        weight = self.feature_net[0].weight
        shape = (self.lstm_layers, batch_size, self.lstm_hidden_dim)
        zeros = torch.zeros(shape, device=weight.device if device is None else device, dtype=weight.dtype)
        return zeros, zeros.clone()

    def trunk(
        self, state: torch.Tensor, blueprint_indices: torch.Tensor, hidden: Hidden | None
    ) -> tuple[torch.Tensor, Hidden]:
        """The LSTM output [B, hidden] of one step from ``state`` [B, D] and blueprint indices [B, slots]."""
        if hidden is None:
            hidden = self.initial_hidden(state.shape[0], state.device)
        embedded = self.blueprint_embedding(blueprint_indices).flatten(start_dim=1)
        features = self.feature_net(torch.cat([state, embedded], dim=-1))
        out, new_hidden = self.lstm(features.unsqueeze(1), hidden)
        return out[:, 0], new_hidden

    def q_values(self, trunk: torch.Tensor) -> torch.Tensor:
        """Q(s, op) for every op, [B, ops]."""
        ops = self.head_sizes["op"]
        one_hot = torch.eye(ops, dtype=trunk.dtype, device=trunk.device)
        paired = torch.cat([trunk.unsqueeze(1).expand(-1, ops, -1), one_hot.expand(trunk.shape[0], -1, -1)], dim=-1)
        return self.q_head(paired).squeeze(-1)

    @torch.inference_mode()
    def get_action(
        self,
        state: torch.Tensor,
        blueprint_indices: torch.Tensor,
        hidden: Hidden | None = None,
        masks: Mapping[str, torch.Tensor] | None = None,
        slot_by_op: torch.Tensor | None = None,
        deterministic: bool = False,
        probability_floor: Mapping[str, float] | None = None,
        generator: torch.Generator | None = None,
        exponential_draws: Mapping[str, torch.Tensor] | None = None,
    ) -> Decision2016337e:
        """One decision for ``state`` [B, D]; masks are [B, options] (a missing head: all valid).

        ``exponential_draws`` (head -> [B, options] Exp(1) noise) replaces ``generator`` when sampling: the
        choice is then argmax(p / q), the very computation ``torch.multinomial`` makes for one sample from
        noise it draws itself. A batch of episodes can so give every row the noise its own generator
        would have drawn (``tamiyo_tui/sweep/batched_2016337e.py``).
        """
        trunk, new_hidden = self.trunk(state, blueprint_indices, hidden)
        floors = probability_floor or {}
        given = dict(masks or {})
        raw = {name: self.policy_head(name)(trunk) for name in HEAD_NAMES}
        mask_of = {name: given.get(name, torch.ones_like(raw[name], dtype=torch.bool)) for name in HEAD_NAMES}
        decision: dict[str, dict[str, torch.Tensor]] = {
            key: {} for key in ("action", "log_prob", "masked", "probs", "before", "entropy")
        }

        def choose(name: str) -> None:
            mask = mask_of[name]
            masked = raw[name].float().masked_fill(~mask, MASKED_LOGIT_VALUE)
            logits = floored_logits(masked, mask, floors[name]) if floors.get(name, 0) > 0 else masked
            probs = F.softmax(logits, dim=-1)
            if deterministic:
                action = logits.argmax(dim=-1)
            elif exponential_draws is not None:
                action = (probs / exponential_draws[name]).argmax(dim=-1)
            else:
                action = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
            log_probs = F.log_softmax(logits, dim=-1)
            decision["action"][name] = action
            decision["log_prob"][name] = log_probs.gather(-1, action.unsqueeze(-1)).squeeze(-1)
            decision["masked"][name] = masked
            decision["probs"][name] = probs
            decision["before"][name] = F.softmax(masked, dim=-1)
            decision["entropy"][name] = normalized_entropy(logits, mask)

        choose("op")
        op = decision["action"]["op"]
        for name, (used_by, held_to) in IRRELEVANT.items():
            mask_of[name] = _held_where_unused(mask_of[name], op, used_by, held_to)
        mask_of["slot"] = self._slot_mask(mask_of["slot"], slot_by_op, op)
        for name in DRAW_ORDER:
            choose(name)

        return Decision2016337e(
            action=_in_head_order(decision["action"]),
            log_prob=_in_head_order(decision["log_prob"]),
            raw_logits=_in_head_order(raw),
            masked_logits=_in_head_order(decision["masked"]),
            probs=_in_head_order(decision["probs"]),
            probs_before_floor=_in_head_order(decision["before"]),
            masks=_in_head_order(mask_of),
            entropy=_in_head_order(decision["entropy"]),
            value=self.state_value_head(trunk).squeeze(-1),
            q_values=self.q_values(trunk),
            contributions=self.contribution_predictor(trunk),
            hidden=new_hidden,
        )

    def _slot_mask(self, slot_mask: torch.Tensor, slot_by_op: torch.Tensor | None, op: torch.Tensor) -> torch.Tensor:
        """The slots valid for the chosen op (the slot-by-op row replaces the slot mask); WAIT holds the first."""
        if slot_by_op is not None:
            expected = (op.shape[0], self.head_sizes["op"], self.head_sizes["slot"])
            if tuple(slot_by_op.shape) != expected:
                raise ValueError(
                    f"slot_by_op must be [batch, ops, slots] = {list(expected)}, got {list(slot_by_op.shape)}"
                )
            slot_mask = slot_by_op[torch.arange(op.shape[0], device=op.device), op]
        waiting = (op == int(LifecycleOp.WAIT)).unsqueeze(-1)
        first_valid = F.one_hot(slot_mask.int().argmax(dim=-1), slot_mask.shape[-1]).bool()
        return torch.where(waiting, first_valid, slot_mask)


def _held_where_unused(
    mask: torch.Tensor, op: torch.Tensor, used_by: frozenset[LifecycleOp], held_to: int
) -> torch.Tensor:
    used = torch.zeros_like(op, dtype=torch.bool)
    for each in used_by:
        used |= op == int(each)
    held = torch.zeros_like(mask)
    held[:, held_to] = True
    return torch.where(used.unsqueeze(-1), mask, held)


def _in_head_order(per_head: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: per_head[name] for name in HEAD_NAMES}


def _mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


def _critic(inputs: int, half: int) -> nn.Sequential:
    """inputs → half → half/2 → half/4 → 1, layer-normed on the first two widths."""
    return nn.Sequential(
        nn.Linear(inputs, half),
        nn.LayerNorm(half),
        nn.ReLU(),
        nn.Linear(half, half // 2),
        nn.LayerNorm(half // 2),
        nn.ReLU(),
        nn.Linear(half // 2, half // 4),
        nn.ReLU(),
        nn.Linear(half // 4, 1),
    )
