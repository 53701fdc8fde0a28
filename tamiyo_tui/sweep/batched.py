"""One bundle's decisions for many episodes at once, each what ``PolicyRunner.decide`` makes for one.

``PolicyRunner.decide`` (``tamiyo_tui/session/decide.py``) builds a batch of one, asks the bundle, and
brings its numbers to the host. Here a batch holds every live episode that plays on the same weights:

- a network decides in one fused step: the episodes' hidden states stacked, each row's noise drawn from a
  generator seeded with that episode's own sample seed (``seeded_exponential_draws``), one host copy;
- the heuristic's rules run episode by episode, as ``HeuristicPolicyBundle.get_action`` runs them for a
  row: the episode's memory loaded into a controller, the rules asked on the state as the bundle explains
  it (without the governor override), the choice held to the session's masks. Its numbers are those of a
  certain choice (a one-hot distribution), read off the chosen options rather than built as tensors.

Both return ``BundleDecision`` objects equal to the runner's, for ``InspectionSession.hand_in_decisions``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, HEAD_SPECS_BY_NAME, FactoredAction, get_action_head_sizes
from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.policy.host_transfer import HostHead, HostRow
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.rules.masks import MaskExplanation
from tamiyo_tui.session.decide import BundleDecision
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sweep.features import batch_features
from tamiyo_tui.sweep.fused import FusedWeights, fused_step, seeded_exponential_draws
from tamiyo_tui.sweep.host_copy import host_rows
from tamiyo_tui.sweep.masks import packed_masks

_OBSERVATION_FIELDS = tuple(field.name for field in dataclasses.fields(Observation))


@dataclass(frozen=True, slots=True)
class Pending:
    """One live episode's state to decide on this epoch."""

    session: InspectionSession
    observation: Observation
    explanation: MaskExplanation  # the rules' verdicts as the session explains the state (its masks)
    heuristic_view: MaskExplanation  # the same state as the heuristic bundle explains it: no governor override


class NetworkBatch:
    """Decides for every episode whose bundle ``name`` is a network with these weights."""

    def __init__(self, name: str, bundle: PolicyBundle, telemetry: bool, device: torch.device) -> None:
        self.name = name
        self.weights = FusedWeights.build(bundle.network)
        self.slot_config: SlotConfig = bundle.slot_config
        self.telemetry = telemetry
        self._generator = torch.Generator(device=device)

    def decide(self, pending: Sequence[Pending]) -> list[BundleDecision]:
        sessions = [each.session for each in pending]
        masks = packed_masks([each.explanation.masks() for each in pending], self.slot_config, self.weights.device)
        features = batch_features(
            [each.observation for each in pending],
            device=self.weights.device,
            dtype=self.weights.dtype,
            telemetry=self.telemetry,
        )
        # Each episode's hidden state is whatever its runner holds (the last decision committed).
        states = [session.runner.get_state().states[self.name] for session in sessions]
        hidden = (torch.cat([h for h, _ in states], dim=1), torch.cat([c for _, c in states], dim=1))
        deterministic = sessions[0].deterministic
        seeds = [session.sample_seed for session in sessions]
        draws = None if deterministic else seeded_exponential_draws(self.weights, seeds, self._generator)
        step = fused_step(self.weights, features, hidden, masks, draws)
        # Each episode's next state: its row of the new (h, c), [layers, 1, hidden] views, all cut in one call.
        next_states = zip(step.hidden[0].split(1, dim=1), step.hidden[1].split(1, dim=1), strict=True)
        return [
            network_decision(self.name, host, session.scenario.slot_config, next_state, self.telemetry)
            for session, host, next_state in zip(sessions, host_rows(step), next_states, strict=True)
        ]


def network_decision(
    name: str, row: HostRow, slot_config: SlotConfig, next_state: object, telemetry: bool
) -> BundleDecision:
    """A network's decision for one episode, from its row of the batch's host copy (both generations)."""
    action, chosen = _action_of(tuple(row.heads[head].action for head in HEAD_NAMES), slot_config)
    return BundleDecision(
        bundle=name,
        action=action,
        chosen=dict(chosen),
        heads=row.heads,
        value=row.value,
        hidden_norm=row.hidden_norm,
        reason=None,
        next_state=next_state,
        telemetry_features=telemetry,
        critic=row.critic,
    )


class HeuristicBatch:
    """Decides for every episode whose bundle ``name`` is a heuristic with this config and topology."""

    def __init__(self, name: str, bundle: HeuristicPolicyBundle) -> None:
        self.name = name
        self.slot_config = bundle.slot_config
        self._sizes = get_action_head_sizes(bundle.slot_config)
        # One controller of the sweep's own, loaded with each episode's memory in turn.
        self._controller = type(bundle.heuristic)(bundle.config, bundle.topology)

    def decide(self, pending: Sequence[Pending]) -> list[BundleDecision]:
        # The rules are a pure function of the state, its explanations and the heuristic's memory, and a sweep's
        # episodes mostly share them: 1,024 episodes of the benchmark hold 14 to 27 distinct ones per epoch. So
        # each distinct one is decided once and its (never mutated) decision handed to every episode in it.
        decided: dict[Hashable, BundleDecision] = {}
        decisions = []
        for each in pending:
            memory = each.session.runner.get_state().states[self.name]["controllers"][0]
            key = (_state_key(each.observation, memory), id(each.explanation), id(each.heuristic_view))
            decision = decided.get(key)
            if decision is None:
                decision = decided[key] = self._decide_one(each, memory)
            decisions.append(decision)
        return decisions

    def _decide_one(self, each: Pending, memory: Mapping[str, Any]) -> BundleDecision:
        controller = self._controller
        controller.load_state_dict(memory)
        # Only proposed: the session moves the heuristic's memory on by what was really done (``state_after``).
        choice = controller.propose(each.observation, each.heuristic_view)
        indices = choice.action.to_head_indices()
        self._hold_to_masks(indices, each.explanation)
        return BundleDecision(
            bundle=self.name,
            action=choice.action,
            chosen=choice.action.option_names(self.slot_config),
            heads={head: _one_hot_head(head, self._sizes[head], indices[head]) for head in HEAD_NAMES},
            value=None,  # the heuristic has no value function
            hidden_norm=None,  # nor a hidden state
            reason=choice.reason,
            next_state=None,  # it follows the run (``PolicyRunner.commit``)
        )

    def _hold_to_masks(self, indices: dict[str, int], explanation: MaskExplanation) -> None:
        """The bundle's check that the rules' choice is one the session's masks allow."""
        masks = explanation.masks()
        for head, index in indices.items():
            if not masks[head][index]:
                option = HEAD_SPECS_BY_NAME[head].names(self.slot_config)[index]
                raise ValueError(
                    f"The heuristic chose {head}={option} for row 0, but batch.masks forbids it: the batch "
                    "masks disagree with the mask rules for that observation"
                )


@functools.cache
def _action_of(indices: tuple[int, ...], slot_config: SlotConfig) -> tuple[FactoredAction, dict[str, str]]:
    """The action at these head indices and its option names: a sweep draws the same few actions a
    thousand times an epoch, and building one costs seven Enum lookups and seven ``.name`` reads."""
    action = FactoredAction.from_indices(*indices)
    return action, action.option_names(slot_config)


def _state_key(observation: Observation, memory: Mapping[str, Any]) -> Hashable:
    """What the heuristic's rules read, hashable: the observation's fields and the memory's values, each
    mapping among them as its items (the records inside are frozen dataclasses, hashable as they are)."""
    fields = [getattr(observation, name) for name in _OBSERVATION_FIELDS]
    return tuple(tuple(value.items()) if isinstance(value, dict) else value for value in (*fields, *memory.values()))


@functools.cache
def _one_hot_head(head: str, size: int, index: int) -> HostHead:
    """What the heuristic bundle reports for a head, read on the host: its choice certain (probability 1,
    logit 0, every other option at the masked logit), so log-prob and normalized entropy are 0. Immutable,
    so one per (head, option) serves every decision; the sweep's tests hold it to the bundle's host copy."""
    logits = tuple(0.0 if option == index else float(MASKED_LOGIT_VALUE) for option in range(size))
    probs = tuple(1.0 if option == index else 0.0 for option in range(size))
    return HostHead(action=index, log_prob=0.0, raw_logits=logits, masked_logits=logits, probs=probs, entropy=0.0)


def batch_key(bundle: PolicyBundle) -> tuple[object, ...]:
    """What decides whether two bundles can decide in one batch: the same weights, or the same rules."""
    if isinstance(bundle, HeuristicPolicyBundle):
        return ("heuristic", bundle.config, bundle.topology, bundle.slot_config)
    if not bundle.is_recurrent or bundle.network is None:
        raise ValueError(f"the sweep cannot batch a {type(bundle).__name__}")
    tensors = dict(bundle.state_dict())
    normalizer = getattr(bundle, "normalizer", None)  # a 2016337e network reads normalized features
    if normalizer is not None:
        tensors |= {"normalizer.mean": normalizer.mean, "normalizer.var": normalizer.var}
    digest = hashlib.sha256()
    for name, tensor in tensors.items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return ("network", type(bundle).__name__, bundle.slot_config, bundle.feature_dim, digest.hexdigest())
