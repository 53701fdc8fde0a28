"""Scenario schema 1 as typed, immutable records (the loader in ``loader.py`` builds them from YAML).

Every record that came from a file keeps its ``SourcePos`` so that later failures (a check that does
not hold, an action the lifecycle rejects) can point back at ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from tamiyo_tui.domain.actions import (
    DEFAULT_HEAD_OPTIONS,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.constants import DEFAULT_EPISODE_LENGTH, MIN_PRUNE_AGE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.generations.esper_2016337e.constants import GENERATION as NAME_2016337E
from tamiyo_tui.generations.esper_2016337e.masks import MIN_PRUNE_AGE as PRUNE_AGE_2016337E

SCHEMA_VERSION = 1
GateMode = Literal["permissive", "strict"]
# Whose lifecycle rules the simulator follows (the `lifecycle` scenario key): esper-lite's at 60205274, or at 2016337e.
ESPER_60205274_LIFECYCLE = "esper-60205274"
ESPER_2016337E_LIFECYCLE = "esper-2016337e"
LIFECYCLES: tuple[str, ...] = (ESPER_60205274_LIFECYCLE, ESPER_2016337E_LIFECYCLE)


@dataclass(frozen=True, slots=True)
class SourcePos:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SOURCE = SourcePos("<memory>", 0, 0)


@dataclass(frozen=True, slots=True)
class AccuracyGenerator:
    """A host accuracy curve: rises from ``start`` towards ``end``, flat from ``plateau_at`` on."""

    start: float
    end: float
    plateau_at: int
    noise: float = 0.0


@dataclass(frozen=True, slots=True)
class HostScript:
    val_accuracy: tuple[float, ...] | AccuracyGenerator
    val_loss: tuple[float, ...] | None = None
    train_accuracy: tuple[float, ...] | None = None
    train_loss: tuple[float, ...] | None = None
    params: int = 1_000_000
    num_classes: int = 10


@dataclass(frozen=True, slots=True)
class BlueprintEffect:
    contribution: float = 0.0  # accuracy points a seed of this blueprint adds at alpha 1
    params: int = 0
    gradient_ratio: float = 0.2
    gradient_norm: float = 1.0  # the seed's measured gradient norm while it trains (telemetry features)
    gradient_health: float = 1.0  # 0–1; the reference trainer always reports 1.0


DEFAULT_BLUEPRINT_KEY = "default"


@dataclass(frozen=True, slots=True)
class InitialSlot:
    stage: SeedStage
    blueprint: str
    alpha: float = 0.0
    alpha_target: float | None = None  # None: the stage's natural target
    alpha_mode: AlphaMode = AlphaMode.HOLD
    steps_total: int = 0
    steps_done: int = 0
    epochs_in_stage: int = 0
    epochs_total: int = 0
    style: GerminationStyle = GerminationStyle.SIGMOID_ADD
    tempo: TempoAction = TempoAction.STANDARD
    contribution: float | None = None  # overrides the blueprint's scripted contribution
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """A factored action written by name, as in a scenario or an operator override."""

    op: LifecycleOp
    slot: str | None = None
    blueprint: BlueprintAction = DEFAULT_HEAD_OPTIONS["blueprint"]  # type: ignore[assignment]
    style: GerminationStyle = DEFAULT_HEAD_OPTIONS["style"]  # type: ignore[assignment]
    tempo: TempoAction = DEFAULT_HEAD_OPTIONS["tempo"]  # type: ignore[assignment]
    alpha_target: AlphaTargetAction = DEFAULT_HEAD_OPTIONS["alpha_target"]  # type: ignore[assignment]
    alpha_speed: AlphaSpeedAction = DEFAULT_HEAD_OPTIONS["alpha_speed"]  # type: ignore[assignment]
    alpha_curve: AlphaCurveAction = DEFAULT_HEAD_OPTIONS["alpha_curve"]  # type: ignore[assignment]

    def to_factored(self, slot_config: SlotConfig) -> FactoredAction:
        slot_idx = slot_config.index_for_slot_id(self.slot) if self.slot is not None else 0
        return FactoredAction(
            slot_idx=slot_idx,
            blueprint=self.blueprint,
            style=self.style,
            tempo=self.tempo,
            alpha_target=self.alpha_target,
            alpha_speed=self.alpha_speed,
            alpha_curve=self.alpha_curve,
            op=self.op,
        )


@dataclass(frozen=True, slots=True)
class HostEvent:
    at: int
    metrics: dict[str, float]  # val_accuracy / val_loss / train_accuracy / train_loss overrides from `at` on
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True, slots=True)
class SlotEvent:
    at: int
    slot_id: str
    fields: dict[str, object]  # same keys as `initial` entries
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True, slots=True)
class GovernorEvent:
    at: int
    kind: Literal["rollback", "override"]  # override: the governor lifts PRUNE's alpha-mode rule this epoch
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True, slots=True)
class ActionEvent:
    at: int
    action: ActionSpec
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True, slots=True)
class NoteEvent:
    at: int
    text: str
    source: SourcePos = NO_SOURCE


Event = HostEvent | SlotEvent | GovernorEvent | ActionEvent | NoteEvent


@dataclass(frozen=True, slots=True)
class Expectation:
    """Checks on the decision of epoch ``at`` (masks and stages as observed before its action)."""

    at: int
    masks: dict[str, dict[str, bool]] = field(default_factory=dict)
    stage: dict[str, str] = field(default_factory=dict)  # slot id -> stage name or "EMPTY"
    action: dict[str, str] = field(default_factory=dict)  # head -> option name
    accepted: bool | None = None
    why: dict[str, str] = field(default_factory=dict)  # "head.OPTION" -> substring of the reason
    source: SourcePos = NO_SOURCE


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    host: HostScript
    seed: int = 0
    episode_length: int = DEFAULT_EPISODE_LENGTH
    topology: str = "cnn"
    slot_config: SlotConfig = field(default_factory=SlotConfig.default)
    enabled_slots: tuple[str, ...] | None = None  # None = all
    max_seeds: int = 0
    gates: GateMode = "permissive"
    lifecycle: str | None = None  # None: the loaded policy's generation decides (60205274 unless it is another)
    min_prune_age: int = MIN_PRUNE_AGE
    policy: str = "heuristic"
    blueprints: dict[str, BlueprintEffect] = field(default_factory=dict)
    initial: dict[str, InitialSlot] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    expect: tuple[Expectation, ...] = ()
    path: str = "<memory>"
    sha256: str = ""

    @property
    def lifecycle_in_force(self) -> str:
        """The generation whose rules apply: the one named, else 60205274's (a scenario that names none)."""
        return self.lifecycle or ESPER_60205274_LIFECYCLE

    @property
    def prune_age_in_force(self) -> int:
        """The minimum prune age the masks and the execution apply: 2016337e's trainer fixes it at 5 epochs,
        60205274's takes it from the scenario (``min_prune_age``)."""
        return PRUNE_AGE_2016337E if self.lifecycle_in_force == ESPER_2016337E_LIFECYCLE else self.min_prune_age

    @property
    def prune_age_rule(self) -> str:
        """That age as a refusal names it, with the generation whose rule fixes it (as the masks say it)."""
        if self.lifecycle_in_force == ESPER_2016337E_LIFECYCLE:
            return f"min_prune_age {PRUNE_AGE_2016337E} ({NAME_2016337E}'s rule)"
        return f"min_prune_age {self.min_prune_age}"

    def blueprint_effect(self, blueprint_id: str) -> BlueprintEffect:
        if blueprint_id in self.blueprints:
            return self.blueprints[blueprint_id]
        return self.blueprints.get(DEFAULT_BLUEPRINT_KEY, BlueprintEffect())

    def events_at(self, epoch: int) -> tuple[Event, ...]:
        """The events of ``epoch``, in the file's order."""
        return tuple(event for event in self.events if event.at == epoch)

    def widened_to(self, slot_config: SlotConfig) -> Scenario:
        """This scenario laid out on ``slot_config``: its own slots keep their ids and stay the enabled ones.

        A policy trained on one slot layout can then play a lesson written for fewer slots. Raises
        ValueError when a slot of the scenario is not in ``slot_config``.
        """
        if self.slot_config == slot_config:
            return self
        missing = [slot_id for slot_id in self.slot_config.slot_ids if slot_id not in slot_config.slot_ids]
        if missing:
            raise ValueError(
                f"{self.path}: slots {missing} are not in the layout {list(slot_config.slot_ids)}; "
                "a scenario can only be widened to a layout that contains all of its slots"
            )
        enabled = self.slot_config.slot_ids if self.enabled_slots is None else self.enabled_slots
        return replace(self, slot_config=slot_config, enabled_slots=tuple(enabled))
