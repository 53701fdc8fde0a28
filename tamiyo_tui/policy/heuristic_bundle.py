"""The heuristic controller as a PolicyBundle, so the inspector drives it exactly like the LSTM.

Unlike the reference (whose heuristic bundle refuses ``get_action``), this bundle really decides: each
batch row is an environment with its own ``HeuristicTamiyo`` (the controller keeps state between steps),
and the result has the same shape as a network's, with one-hot distributions at the chosen options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from tamiyo_tui.domain.actions import HEAD_NAMES, HEAD_SPECS_BY_NAME, FactoredAction, get_action_head_sizes
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import get_feature_size
from tamiyo_tui.policy.registry import register_policy
from tamiyo_tui.policy.types import ActionResult, EvalResult, ForwardResult, HeadOutputs, Hidden, PolicyBatch
from tamiyo_tui.rules.heuristic import HeuristicConfig, HeuristicDecision, HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskInputs, explain_masks


@register_policy("heuristic")
class HeuristicPolicyBundle:
    """The rule-based policy (``tamiyo_tui.rules.heuristic``) behind the PolicyBundle interface.

    ``get_action`` reads the raw observations (the rules need signals that are not features, such as
    ``host_stabilized``) and never picks an option that ``batch.masks`` forbids. The heuristic has no
    value function: the value it reports is 0 and ``extras["has_value"]`` is False.
    """

    def __init__(
        self,
        config: HeuristicConfig | Mapping[str, Any] | None = None,
        topology: str = "cnn",
        slot_config: SlotConfig | None = None,
        *,
        feature_dim: int | None = None,
        hidden_dim: int | None = None,
        controller: type[HeuristicTamiyo] = HeuristicTamiyo,
        mask_inputs: Callable[[Observation], MaskInputs] = MaskInputs.from_observation,
    ) -> None:
        """``config`` may be a policy file's mapping. ``feature_dim`` and ``hidden_dim`` exist because the
        factory passes them to every bundle: a feature_dim must match ``slot_config``; hidden_dim (the
        LSTM's width) is ignored, as the heuristic has no recurrent state. ``controller`` and ``mask_inputs``
        are the heuristic and the mask rules of the policy generation in force (default: 60205274's).
        """
        self._controller, self._mask_inputs = controller, mask_inputs
        if isinstance(config, Mapping):
            config = HeuristicConfig.from_mapping(config)
        self._config = config or HeuristicConfig()
        self._topology = topology
        self._slot_config = slot_config or SlotConfig.default()
        expected_dim = get_feature_size(self._slot_config)
        if feature_dim is not None and feature_dim != expected_dim:
            raise ValueError(
                f"feature_dim {feature_dim} does not match the slot config: {self._slot_config.num_slots} slots "
                f"give {expected_dim} features"
            )
        # Row 0's controller exists from the start so a bad config or topology fails here, not mid-episode.
        self._controllers: list[HeuristicTamiyo] = [self._controller(self._config, topology)]

    # -- the heuristic's own surface -----------------------------------------------------------------------

    @property
    def heuristic(self) -> HeuristicTamiyo:
        """The controller of batch row 0 (the only one in a single-environment session)."""
        return self._controllers[0]

    @property
    def config(self) -> HeuristicConfig:
        return self._config

    @property
    def topology(self) -> str:
        return self._topology

    def reset(self) -> None:
        """Reset every row's controller (new episode)."""
        for controller in self._controllers:
            controller.reset()

    # -- deciding ------------------------------------------------------------------------------------------

    def get_action(
        self,
        batch: PolicyBatch,
        hidden: Hidden | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
    ) -> ActionResult:
        """One decision per batch row. ``hidden``, ``deterministic`` and ``generator`` are accepted for
        interface parity and ignored: the rules are deterministic and keep their state in the controllers.

        Each row's decision is committed to its controller's memory as if carried out (``HeuristicTamiyo.decide``),
        for a caller that executes what it gets. One that only asks must restore the state it had and move it
        on with ``state_after`` by what was really done (the session's ``PolicyRunner`` does).

        If any choice disagrees with ``batch.masks`` a ValueError is raised and every controller is left
        exactly as it was before the call.
        """
        rows = len(batch.observations)
        if batch.features.shape[0] != rows:
            raise ValueError(f"PolicyBatch has {rows} observations but features for {batch.features.shape[0]} rows")
        while len(self._controllers) < rows:
            self._controllers.append(self._controller(self._config, self._topology))
        before = self.state_dict()
        try:
            decisions = [self._decide(row, obs) for row, obs in enumerate(batch.observations)]
            return self._result(decisions, batch)
        except Exception:
            self.load_state_dict(before)
            raise

    def state_after(
        self, state: Mapping[str, Any], observation: Observation, action: FactoredAction, *, accepted: bool
    ) -> dict[str, Any]:
        """Row 0's memory (``state``) once ``action`` has been carried out on ``observation``, whoever chose it.

        ``get_action`` commits each row's own decision as if it were carried out (the reference's contract);
        a caller that only shadows (the session's runner) keeps the state it had before asking, and moves it
        on with this, by the action that really was taken (``HeuristicTamiyo.carried_out`` has the rule).
        ``state`` is not modified; this bundle's controllers are left as they were.
        """
        scratch = self._controller(self._config, self._topology)
        states = state["controllers"]
        scratch.load_state_dict(states[0])
        scratch.carried_out(observation, action, accepted=accepted)
        return {"controllers": [scratch.state_dict(), *(dict(other) for other in states[1:])]}

    def _decide(self, row: int, obs: Observation) -> HeuristicDecision:
        if obs.slot_config != self._slot_config:
            raise ValueError(
                f"Row {row}: observation slots {obs.slot_config.slot_ids} do not match the bundle's "
                f"slot_config {self._slot_config.slot_ids}"
            )
        return self._controllers[row].decide(obs, explain_masks(self._mask_inputs(obs)))

    def _result(self, decisions: list[HeuristicDecision], batch: PolicyBatch) -> ActionResult:
        """One-hot distributions at the chosen options, in the shape of a network's result."""
        device = batch.features.device
        sizes = get_action_head_sizes(self._slot_config)
        chosen = {
            head: torch.tensor([decision.action.to_head_indices()[head] for decision in decisions], device=device)
            for head in HEAD_NAMES
        }
        self._check_batch_masks(chosen, batch.masks, sizes)
        one_hot = {head: torch.nn.functional.one_hot(chosen[head], sizes[head]).bool() for head in HEAD_NAMES}
        logits = {
            head: torch.full(one_hot[head].shape, MASKED_LOGIT_VALUE, device=device).masked_fill_(one_hot[head], 0.0)
            for head in HEAD_NAMES
        }
        zeros = torch.zeros(len(decisions), device=device)
        return ActionResult(
            action=chosen,
            log_prob=dict.fromkeys(HEAD_NAMES, zeros),
            value=zeros,
            hidden=None,
            op_logits=logits["op"],
            heads=HeadOutputs(
                # Nothing is masked beyond the choice itself: raw and masked logits are the same.
                raw_logits=logits,
                masked_logits=logits,
                probs={head: one_hot[head].float() for head in HEAD_NAMES},
                entropy=dict.fromkeys(HEAD_NAMES, zeros),
            ),
            reasons=tuple(decision.reason for decision in decisions),
            extras={"heuristic": decisions, "has_value": False},
        )

    def _check_batch_masks(
        self, chosen: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor], sizes: dict[str, int]
    ) -> None:
        # The controller obeys the mask rules; this holds it to the tensors the session actually built.
        for head, mask in masks.items():
            expected = (len(chosen[head]), sizes[head])
            if tuple(mask.shape) != expected:
                raise ValueError(f"batch.masks['{head}'] has shape {tuple(mask.shape)}, expected {expected}")
            allowed = mask.to(torch.bool).gather(1, chosen[head].to(mask.device).unsqueeze(1)).squeeze(1)
            if bool(allowed.all()):
                continue
            row = int((~allowed).nonzero()[0])
            option = HEAD_SPECS_BY_NAME[head].names(self._slot_config)[int(chosen[head][row])]
            raise ValueError(
                f"The heuristic chose {head}={option} for row {row}, but batch.masks forbids it: the batch "
                "masks disagree with the mask rules for that observation"
            )

    # -- what a rule-based policy does not have ------------------------------------------------------------

    def forward(
        self, features: torch.Tensor, masks: dict[str, torch.Tensor], hidden: Hidden | None = None
    ) -> ForwardResult:
        raise NotImplementedError("The heuristic has no forward pass: it decides from observations in get_action()")

    def evaluate_actions(
        self,
        features: torch.Tensor,
        actions: dict[str, torch.Tensor],
        masks: dict[str, torch.Tensor],
        hidden: Hidden | None = None,
    ) -> EvalResult:
        raise NotImplementedError("The heuristic has no learnable parameters, so it cannot evaluate actions")

    def get_q_values(self, features: torch.Tensor, action: dict[str, torch.Tensor]) -> Any:
        raise NotImplementedError("The heuristic has no Q-values")

    def sync_from(self, source: Any, tau: float = 0.005) -> None:
        raise NotImplementedError("The heuristic has no target network to sync")

    def get_value(self, features: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor:
        raise NotImplementedError(
            "The heuristic has no value function (get_action reports 0 with extras['has_value'] = False)"
        )

    def initial_hidden(self, batch_size: int) -> None:
        return None

    # -- snapshot ------------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Every row's controller state, as primitives (see ``HeuristicTamiyo.state_dict``)."""
        return {"controllers": [controller.state_dict() for controller in self._controllers]}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Restore the rows' controllers exactly; ``strict`` also rejects keys this bundle does not know."""
        if "controllers" not in state_dict or not state_dict["controllers"]:
            raise ValueError("Not a heuristic bundle state: expected a non-empty 'controllers' list")
        unknown = sorted(set(state_dict) - {"controllers"})
        if strict and unknown:
            raise ValueError(f"Unexpected keys in heuristic bundle state: {unknown}")
        states = state_dict["controllers"]
        while len(self._controllers) < len(states):
            self._controllers.append(self._controller(self._config, self._topology))
        del self._controllers[len(states) :]
        for controller, state in zip(self._controllers, states, strict=True):
            controller.load_state_dict(state)

    # -- placement and compilation: nothing to place or compile --------------------------------------------

    def to(self, device: torch.device | str) -> HeuristicPolicyBundle:
        return self

    def enable_gradient_checkpointing(self, enabled: bool = True) -> None:
        raise NotImplementedError("The heuristic has no activations to checkpoint: it is a set of rules")

    def compile(self, mode: str = "default", dynamic: bool = True) -> None:
        return None

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @property
    def is_recurrent(self) -> bool:
        return False

    @property
    def supports_off_policy(self) -> bool:
        return False

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32

    @property
    def slot_config(self) -> SlotConfig:
        return self._slot_config

    @property
    def feature_dim(self) -> int:
        return get_feature_size(self._slot_config)

    @property
    def hidden_dim(self) -> int:
        return 0

    @property
    def network(self) -> nn.Module | None:
        return None

    @property
    def is_compiled(self) -> bool:
        return False
