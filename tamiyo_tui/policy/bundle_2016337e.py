"""A policy of esper-lite's 2016337e generation behind the PolicyBundle interface.

The network of that generation reads other inputs than 60205274's: Obs V3 features, normalized by the
statistics its checkpoint carries, the blueprint index of every slot, and a slot-by-op mask. The bundle
builds all three from the batch's observations itself, with that generation's rules, so whatever feature
vector the batch holds for the other LSTM is never read. Sampling keeps the generation's probability floor,
as its trainer's rollouts did; the result carries the probabilities before the floor and the critic (V(s),
Q(s, op) for every op, the predicted contribution per slot) for the inspector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.generations.esper_2016337e.checkpoint import Checkpoint2016337e, ObservationNormalizer
from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR, state_dim
from tamiyo_tui.generations.esper_2016337e.features import observation_features_v3
from tamiyo_tui.generations.esper_2016337e.masks import mask_inputs, slot_by_op
from tamiyo_tui.generations.esper_2016337e.network import FactoredRecurrentActorCritic2016337e
from tamiyo_tui.policy.generation import ESPER_2016337E
from tamiyo_tui.policy.types import ActionResult, HeadOutputs, Hidden, PolicyBatch
from tamiyo_tui.rules.masks import explain_masks

GENERATION_NAME = ESPER_2016337E.name


class Policy2016337eBundle:
    """The 2016337e network with its normalizer: ``get_action`` on a ``PolicyBatch`` of observations."""

    generation = GENERATION_NAME
    is_recurrent = True
    supports_off_policy = False
    use_telemetry = False  # it reads Obs V3, built here; the batch's 60205274 features are not its input

    def __init__(
        self,
        network: FactoredRecurrentActorCritic2016337e,
        normalizer: ObservationNormalizer | None = None,
        train_steps: int | None = None,
    ) -> None:
        self._network = network.train(False)
        self._normalizer = normalizer
        self.train_steps = train_steps

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint2016337e) -> Policy2016337eBundle:
        return cls(checkpoint.network, checkpoint.normalizer, checkpoint.train_steps)

    @classmethod
    def untrained(cls, slot_config: SlotConfig, init_seed: int) -> Policy2016337eBundle:
        """A fresh network of the generation's default sizes, the same for the same seed."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            return cls(FactoredRecurrentActorCritic2016337e(state_dim(slot_config.num_slots), slot_config))

    # --- decisions -----------------------------------------------------------------------------------

    @torch.inference_mode()
    def get_action(
        self,
        batch: PolicyBatch,
        hidden: Hidden | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
        exponential_draws: Mapping[str, torch.Tensor] | None = None,
    ) -> ActionResult:
        """One decision per observation, under ``batch.masks`` (the generation's rules, from the session) and
        the slot-by-op mask those rules give; ``exponential_draws``: see the network's ``get_action``."""
        state, blueprints, by_op = self.network_inputs(batch.observations)
        decision = self._network.get_action(
            state,
            blueprints,
            hidden,
            masks={name: mask.to(self.device) for name, mask in batch.masks.items()},
            slot_by_op=by_op,
            deterministic=deterministic,
            probability_floor=PROBABILITY_FLOOR,
            generator=generator,
            exponential_draws=exponential_draws,
        )
        return ActionResult(
            action=decision.action,
            log_prob=decision.log_prob,
            value=decision.value,
            hidden=decision.hidden,
            op_logits=decision.masked_logits["op"],
            heads=HeadOutputs(
                raw_logits=decision.raw_logits,
                masked_logits=decision.masked_logits,
                probs=decision.probs,
                entropy=decision.entropy,
            ),
            extras={
                "generation": GENERATION_NAME,
                "probs_before_floor": decision.probs_before_floor,
                "q_values": decision.q_values,
                "contributions": decision.contributions,
            },
        )

    def network_inputs(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The network's inputs for ``observations``: normalized V3 features, blueprint indices, slot-by-op."""
        rows, blueprints, by_op = [], [], []
        for observation in observations:
            features, indices = observation_features_v3(observation)
            inputs = mask_inputs(observation)
            rows.append(features)
            blueprints.append(indices)
            by_op.append(slot_by_op(explain_masks(inputs), inputs))
        state = torch.tensor(rows, dtype=torch.float32, device=self.device)
        if self._normalizer is not None:
            state = self._normalizer.normalize(state)
        return (
            state,
            torch.tensor(blueprints, dtype=torch.long, device=self.device),
            torch.tensor(by_op, dtype=torch.bool, device=self.device),
        )

    @torch.inference_mode()
    def initial_hidden(self, batch_size: int) -> Hidden:
        return self._network.initial_hidden(batch_size)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(self._not_here("forward"))

    def evaluate_actions(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(self._not_here("evaluate_actions"))

    def get_value(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(self._not_here("get_value"))

    def _not_here(self, method: str) -> str:
        return (
            f"Policy2016337eBundle.{method}: tamiyo-tui inspects policies of the 2016337e generation and does not "
            "train them; every decision's numbers come with get_action"
        )

    # --- weights and placement -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return self._network.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> Any:
        return self._network.load_state_dict(state_dict, strict=strict)

    def to(self, device: torch.device | str) -> Policy2016337eBundle:
        self._network.to(device)
        if self._normalizer is not None:
            normalizer = self._normalizer
            self._normalizer = ObservationNormalizer(
                normalizer.mean.to(device), normalizer.var.to(device), normalizer.count, normalizer.momentum
            )
        return self

    # --- properties ----------------------------------------------------------------------------------

    @property
    def network(self) -> nn.Module:
        return self._network

    @property
    def slot_config(self) -> SlotConfig:
        return self._network.slot_config

    @property
    def feature_dim(self) -> int:
        return self._network.state_dim

    @property
    def hidden_dim(self) -> int:
        return self._network.lstm_hidden_dim

    @property
    def num_lstm_layers(self) -> int:
        return self._network.lstm_layers

    @property
    def normalizer(self) -> ObservationNormalizer | None:
        return self._normalizer

    @property
    def has_normalizer(self) -> bool:
        return self._normalizer is not None

    @property
    def device(self) -> torch.device:
        return next(self._network.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self._network.parameters()).dtype
