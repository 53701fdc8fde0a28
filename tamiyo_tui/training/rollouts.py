"""Heuristic rollouts for behaviour cloning: lesson scenarios, varied per seed, played by the heuristic.

Three steps turn a lesson into training data:

1. ``vary_scenario``: the lessons' host curves are scripted lists, so a scenario seed alone changes
   nothing in most of them. A seed therefore also draws a ``Variation`` (host accuracy level and slope,
   loss scale and slope, blueprint contributions, a longer episode, scripted actions kept or dropped),
   reproducibly from (scenario name, seed). The heuristic then plateaus, stabilizes, fossilizes and
   prunes at other epochs than in the lesson as written.
2. ``Scenario.widened_to``: one checkpoint serves one slot layout, so every scenario is laid out on the
   training layout (the default three slots), its own slots kept enabled and the others disabled. A
   disabled empty slot changes no decision: the rules and the heuristic only act on enabled slots, and an
   empty slot's feature block is the same whether it is disabled or not.
3. ``play_heuristic``: an ``InspectionSession`` driven by the heuristic records, per step, the features,
   the masks (the pure rules', as the LSTM sees them in shadow) and the heuristic's full factored action.

Scripted ``action:`` events: where one replaces the policy's action, the step stays in the episode and
its target is still the heuristic's own decision on that state. The session asks the heuristic on every
step, so that decision is exactly what an agreement check compares against; nothing is left out of the
loss. Asking moves nothing on: ``PolicyRunner.commit`` moves the heuristic's memory (blueprint rotation,
germination count, last prune epoch, penalties) on by the action actually carried out, the script's on a
scripted step, never by the heuristic's own unexecuted proposal (``HeuristicPolicyBundle.state_after``,
``HeuristicTamiyo.carried_out``). ``Episode.scripted`` marks those steps.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import observation_features
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.scenario import (
    DEFAULT_BLUEPRINT_KEY,
    AccuracyGenerator,
    ActionEvent,
    BlueprintEffect,
    HostScript,
    Scenario,
)
from tamiyo_tui.training.generator import TRAINING_GRID

# Every grid up to 3 × 3 is a subset of this layout, so one checkpoint opens every such scenario.
TRAINING_SLOT_CONFIG = TRAINING_GRID

# Ranges a Variation is drawn from (uniform). Chosen around the rules' thresholds: accuracy steps of
# 0.1–0.3 points scaled by 0.5–3 cross the 0.5-point plateau threshold both ways, loss steps of ~1 %
# scaled the same way cross the 3 % stabilization threshold, and contributions reach below the 0.5-point
# fossilize threshold and below zero.
ACCURACY_SHIFT = 8.0  # points, either way
ACCURACY_GAIN = (0.5, 3.0)  # multiplies every epoch's distance to the first epoch's accuracy
LOSS_SCALE = (0.7, 1.4)
LOSS_GAIN = (0.5, 3.0)
LOSS_FLOOR = 0.01
GENERATOR_PLATEAU_SHIFT = 3  # epochs, either way
GENERATOR_NOISE = (0.0, 0.4)
CONTRIBUTION_GAIN = (0.2, 2.0)
CONTRIBUTION_SHIFT = 0.8  # points, either way
DEFAULT_CONTRIBUTION = (-0.5, 3.0)  # for lessons without a `default` blueprint entry
MAX_EXTRA_EPOCHS = 8
KEEP_SCRIPT_PROBABILITY = 0.6


@dataclass(frozen=True, slots=True)
class Variation:
    """One draw of the changes ``vary_scenario`` makes; a pure function of (scenario name, seed)."""

    accuracy_shift: float
    accuracy_gain: float
    loss_scale: float
    loss_gain: float
    plateau_shift: int
    noise: float
    contribution_gain: float
    contribution_shift: float
    default_contribution: float
    extra_epochs: int
    keep_scripts: bool

    @classmethod
    def draw(cls, scenario_name: str, seed: int) -> Variation:
        # A str seed is hashed with SHA-512 by random.Random: stable across processes and platforms.
        rng = random.Random(f"{scenario_name}#{seed}")
        return cls(
            accuracy_shift=rng.uniform(-ACCURACY_SHIFT, ACCURACY_SHIFT),
            accuracy_gain=rng.uniform(*ACCURACY_GAIN),
            loss_scale=rng.uniform(*LOSS_SCALE),
            loss_gain=rng.uniform(*LOSS_GAIN),
            plateau_shift=rng.randint(-GENERATOR_PLATEAU_SHIFT, GENERATOR_PLATEAU_SHIFT),
            noise=rng.uniform(*GENERATOR_NOISE),
            contribution_gain=rng.uniform(*CONTRIBUTION_GAIN),
            contribution_shift=rng.uniform(-CONTRIBUTION_SHIFT, CONTRIBUTION_SHIFT),
            default_contribution=rng.uniform(*DEFAULT_CONTRIBUTION),
            extra_epochs=rng.randint(0, MAX_EXTRA_EPOCHS),
            keep_scripts=rng.random() < KEEP_SCRIPT_PROBABILITY,
        )

    def accuracy(self, value: float, reference: float) -> float:
        return min(100.0, max(0.0, reference + self.accuracy_shift + self.accuracy_gain * (value - reference)))

    def accuracies(self, values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(self.accuracy(value, values[0]) for value in values)

    def losses(self, values: tuple[float, ...]) -> tuple[float, ...]:
        first = values[0]
        return tuple(max(LOSS_FLOOR, self.loss_scale * (first + self.loss_gain * (value - first))) for value in values)

    def contribution(self, value: float) -> float:
        return value * self.contribution_gain + self.contribution_shift

    def host(self, host: HostScript) -> HostScript:
        script = host.val_accuracy
        if isinstance(script, AccuracyGenerator):
            accuracy: tuple[float, ...] | AccuracyGenerator = AccuracyGenerator(
                start=self.accuracy(script.start, script.start),
                end=self.accuracy(script.end, script.start),
                plateau_at=max(1, script.plateau_at + self.plateau_shift),
                noise=self.noise,
            )
        else:
            accuracy = self.accuracies(script)
        return dataclasses.replace(
            host,
            val_accuracy=accuracy,
            val_loss=self.losses(host.val_loss) if host.val_loss else host.val_loss,
            train_accuracy=self.accuracies(host.train_accuracy) if host.train_accuracy else host.train_accuracy,
            train_loss=self.losses(host.train_loss) if host.train_loss else host.train_loss,
        )

    def apply(self, scenario: Scenario, seed: int) -> Scenario:
        blueprints = {
            key: dataclasses.replace(effect, contribution=self.contribution(effect.contribution))
            for key, effect in scenario.blueprints.items()
        }
        blueprints.setdefault(DEFAULT_BLUEPRINT_KEY, BlueprintEffect(contribution=self.default_contribution))
        initial = {
            slot_id: slot
            if slot.contribution is None
            else dataclasses.replace(slot, contribution=self.contribution(slot.contribution))
            for slot_id, slot in scenario.initial.items()
        }
        events = tuple(e for e in scenario.events if self.keep_scripts or not isinstance(e, ActionEvent))
        return dataclasses.replace(
            scenario,
            seed=seed,
            episode_length=scenario.episode_length + self.extra_epochs,
            host=self.host(scenario.host),
            blueprints=blueprints,
            initial=initial,
            events=events,
        )


def vary_scenario(scenario: Scenario, seed: int) -> Scenario:
    """``scenario`` with seed ``seed`` and the ``Variation`` that seed draws (host events stay as written)."""
    return Variation.draw(scenario.name, seed).apply(scenario, seed)


def training_variant(scenario: Scenario, seed: int | None, slot_config: SlotConfig = TRAINING_SLOT_CONFIG) -> Scenario:
    """What a rollout or an agreement run plays for (scenario, seed): varied (None: as written), then widened."""
    varied = scenario if seed is None else vary_scenario(scenario, seed)
    return varied.widened_to(slot_config)


@dataclass(frozen=True)
class Episode:
    """One heuristic rollout, step by step (T steps)."""

    scenario: str  # the scenario's name
    seed: int | None  # the variation seed; None: the scenario as written
    epochs: tuple[int, ...]
    features: torch.Tensor  # [T, D] float32, the raw feature vectors the policy sees
    masks: dict[str, torch.Tensor]  # head -> [T, A] bool, True = valid
    actions: dict[str, torch.Tensor]  # head -> [T] long: the heuristic's decision
    scripted: torch.Tensor  # [T] bool: a scripted (or perturbing) action was carried out instead of that decision

    @property
    def steps(self) -> int:
        return len(self.epochs)


# Given the session and the heuristic's decision (head -> index), an action to carry out instead (None: the
# heuristic's own). A sampled teacher run (``teacher.Perturbation``) is one.
Perturb = Callable[[InspectionSession, dict[str, int]], FactoredAction | None]


def play_heuristic(scenario: Scenario, seed: int | None = None, perturb: Perturb | None = None) -> Episode:
    """Run ``scenario`` to its end with the default heuristic acting, recording what behaviour cloning needs.

    ``seed`` only labels the episode (the variation seed that made ``scenario``; None: as written).
    ``perturb``: where it returns an action, that action is carried out instead of the heuristic's (as an
    override); the step's target stays the heuristic's own decision, as on a scripted step.
    """
    bundle = HeuristicPolicyBundle(topology=scenario.topology, slot_config=scenario.slot_config)
    session = InspectionSession(scenario, PolicyRunner({"heuristic": bundle}), keep_records=False)
    epochs: list[int] = []
    features: list[list[float]] = []
    masks: dict[str, list[tuple[bool, ...]]] = {head: [] for head in HEAD_NAMES}
    actions: dict[str, list[int]] = {head: [] for head in HEAD_NAMES}
    scripted: list[bool] = []
    while not session.done:
        epochs.append(session.epoch)
        features.append(observation_features(session.observation()))
        for head, mask in session.explanation().masks().items():
            masks[head].append(mask)
        decided = session.pending_decisions()["heuristic"].action.to_head_indices()
        for head, index in decided.items():
            actions[head].append(index)
        is_scripted = session.scripted_action(session.epoch) is not None
        instead = None if perturb is None or is_scripted else perturb(session, decided)
        scripted.append(is_scripted or instead is not None)
        if instead is None:
            session.step()
        else:
            session.override(instead)
    return Episode(
        scenario=scenario.name,
        seed=seed,
        epochs=tuple(epochs),
        features=torch.tensor(features, dtype=torch.float32),
        masks={head: torch.tensor(rows, dtype=torch.bool) for head, rows in masks.items()},
        actions={head: torch.tensor(rows, dtype=torch.long) for head, rows in actions.items()},
        scripted=torch.tensor(scripted, dtype=torch.bool),
    )


def collect_episodes(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int | None],
    slot_config: SlotConfig = TRAINING_SLOT_CONFIG,
    on_episode: Callable[[Episode], None] | None = None,
) -> list[Episode]:
    """One heuristic episode per (scenario, seed), scenario-major, each on its ``training_variant``."""
    episodes = []
    for scenario in scenarios:
        for seed in seeds:
            episode = play_heuristic(training_variant(scenario, seed, slot_config), seed)
            episodes.append(episode)
            if on_episode is not None:
                on_episode(episode)
    return episodes
