"""Policy generations: what changes together when esper-lite's policy changes, named in one record.

A generation is the set of pieces a trained policy was trained against: its features, its masks, its
network and checkpoint file, the lifecycle rules its trainer's simulator followed, and its heuristic.
The first generation, ``ESPER_60205274``, is described here in full; the second, 2016337e, lives in
``tamiyo_tui/generations/esper_2016337e`` and runs through ``policy/bundle_2016337e.py``
(``docs/architecture.md``, "Where a policy generation plugs in"). Checkpoint loading asks these records
which generation a file belongs to, so a file that looks like one generation's but is not loadable as it
(a bare 2016337e state_dict, a 60205274 file holding its modules) is named, never mis-loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import get_feature_size, observation_features
from tamiyo_tui.policy.network import FactoredRecurrentActorCritic
from tamiyo_tui.rules.heuristic import HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs, explain_masks


@dataclass(frozen=True, slots=True)
class GenerationId:
    """How a checkpoint of a generation is recognised."""

    name: str  # e.g. "esper-60205274"
    description: str  # for messages: "esper-lite's Policy V2 / Obs V3, as saved at 2016337e"
    trainer_checkpoint_version: int  # PPOAgent.save's checkpoint_version
    marker_modules: tuple[str, ...] = ()  # state_dict key prefixes that only this generation's network has

    def has_markers(self, state_dict: Mapping[str, Any]) -> bool:
        return bool(self.marker_modules) and any(key.startswith(self.marker_modules) for key in state_dict)


@dataclass(frozen=True, slots=True)
class PolicyGeneration:
    """A generation this tool can run: its identity and the pieces every layer takes from it."""

    id: GenerationId
    feature_size: Callable[[SlotConfig, bool], int]  # (slot config, telemetry) → observation size
    features: Callable[[Observation, bool], list[float]]  # (observation, telemetry) → feature vector
    explain_masks: Callable[[MaskInputs], MaskExplanation]  # every head's verdicts with reasons
    network: type[nn.Module]  # built with (state_dim, slot_config, lstm_hidden_dim, lstm_layers)
    heuristic: type[HeuristicTamiyo]  # the rule-based controller of that generation


ESPER_60205274 = PolicyGeneration(
    id=GenerationId(
        name="esper-60205274",
        description="esper-lite's factored LSTM policy (Obs V2), as saved at 60205274",
        trainer_checkpoint_version=1,
    ),
    feature_size=get_feature_size,
    features=observation_features,
    explain_masks=explain_masks,
    network=FactoredRecurrentActorCritic,
    heuristic=HeuristicTamiyo,
)

# Generations whose checkpoints are recognised but not run here (yet).
ESPER_2016337E = GenerationId(
    name="esper-2016337e",
    description="esper-lite's later policy generation (Policy V2 / Obs V3, as saved at 2016337e)",
    trainer_checkpoint_version=2,
    marker_modules=("state_value_head.", "q_head.", "contribution_predictor.", "blueprint_embedding."),
)

SPOKEN: tuple[PolicyGeneration, ...] = (ESPER_60205274,)
RECOGNISED_ONLY: tuple[GenerationId, ...] = (ESPER_2016337E,)


def recognised_only(state_dict: Mapping[str, Any], checkpoint_version: object = None) -> GenerationId | None:
    """The known-but-not-spoken generation a checkpoint belongs to, if its modules or version say so."""
    for generation in RECOGNISED_ONLY:
        if generation.has_markers(state_dict) or checkpoint_version == generation.trainer_checkpoint_version:
            return generation
    return None
