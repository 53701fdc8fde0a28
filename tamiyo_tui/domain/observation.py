"""What a policy observes at one decision: host metrics, one report per slot, and the environment's
settings that masks and features read.

These records are the contract between the simulator (which produces them), the mask rules, the feature
extractors and both bundles (which consume them). They mirror the reference's TrainingMetrics and
SeedStateReport fields that the policy layer reads, and nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.constants import DEFAULT_EPISODE_LENGTH, MIN_PRUNE_AGE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage

HISTORY_LENGTH = 5


@dataclass(frozen=True, slots=True)
class HostMetrics:
    """Host training signals for one epoch (the reference's TrainingMetrics plus its short histories)."""

    epoch: int = 0
    global_step: int = 0
    train_loss: float = 0.0
    val_loss: float = 0.0
    loss_delta: float = 0.0  # previous − current; positive is better
    train_accuracy: float = 0.0  # 0–100
    val_accuracy: float = 0.0
    accuracy_delta: float = 0.0  # percentage points
    plateau_epochs: int = 0
    best_val_accuracy: float = 0.0
    best_val_loss: float = math.inf
    loss_history: tuple[float, ...] = ()  # oldest first, at most HISTORY_LENGTH
    accuracy_history: tuple[float, ...] = ()
    host_stabilized: bool = False  # a latch; read by the heuristic, never a feature


@dataclass(frozen=True, slots=True)
class SeedTelemetry:
    """A seed's telemetry snapshot: the values the reference's 26-float telemetry feature block reads.

    The trainer re-syncs it every epoch for a seed whose module exists; a seed in cooldown keeps the
    snapshot of its last live epoch (so its ``stage`` is the last live stage). The defaults are those of
    a snapshot that was never synced (a seed placed in cooldown by a scenario, for example).
    """

    stage: int = 1  # the SeedStage value at the last sync; the reference's unsynced default is 1 (DORMANT)
    gradient_norm: float = 0.0  # the seed's gradient norm, measured while it trains (TRAINING, BLENDING)
    gradient_health: float = 1.0  # 0–1; the reference trainer always reports 1.0
    has_vanishing: bool = False  # gradient_norm < VANISHING_GRADIENT_NORM (constants.py) when measured
    has_exploding: bool = False  # gradient_norm > EXPLODING_GRADIENT_NORM when measured
    epochs_in_stage: int = 0
    accuracy: float = 0.0  # the host's validation accuracy (0–100) the seed recorded
    accuracy_delta: float = 0.0  # 0 while alpha is 0 by stage, else improvement since the stage began
    alpha: float = 0.0
    epoch: int = 0
    max_epochs: int = 25
    alpha_target: float = 0.0
    alpha_mode: int = 0
    alpha_steps_total: int = 0
    alpha_steps_done: int = 0
    time_to_target: int = 0
    alpha_velocity: float = 0.0
    alpha_algorithm: int = 1  # AlphaAlgorithm.ADD


@dataclass(frozen=True, slots=True)
class SlotReport:
    """One occupied slot, as the policy sees it (cooldown and fossilized slots included)."""

    slot_id: str
    seed_id: str
    blueprint_id: str
    stage: SeedStage
    alpha: float = 0.0
    # The contribution until a counterfactual is measured (see ``contribution``).
    improvement_since_stage_start: float = 0.0
    # 60205274's trainer never sets it (always 0.0); 2016337e's keeps an EMA of the counterfactual's changes.
    contribution_velocity: float = 0.0
    blend_tempo_epochs: int = 5
    alpha_target: float = 0.0
    alpha_mode: AlphaMode = AlphaMode.HOLD
    alpha_steps_total: int = 0
    alpha_steps_done: int = 0
    time_to_target: int = 0
    alpha_velocity: float = 0.0
    alpha_algorithm: AlphaAlgorithm = AlphaAlgorithm.ADD
    interaction_sum: float = 0.0
    boost_received: float = 0.0
    upstream_alpha_sum: float = 0.0
    downstream_alpha_sum: float = 0.0
    # Not features:
    epochs_total: int = 0  # the seed's age; PRUNE needs it ≥ MIN_PRUNE_AGE
    epochs_in_stage: int = 0
    total_improvement: float = 0.0
    counterfactual_contribution: float | None = None  # None until measured
    telemetry: SeedTelemetry | None = None  # read only by a policy that uses the telemetry features

    @property
    def contribution(self) -> float:
        """The counterfactual when measured, else the host drift since the stage began (reference rule)."""
        if self.counterfactual_contribution is not None:
            return self.counterfactual_contribution
        return self.improvement_since_stage_start


@dataclass(frozen=True, slots=True)
class RunFeedback:
    """What a later generation's observation (Obs V3, ``tamiyo_tui/generations``) reads from the run, not the
    state: the last action's verdict and op, and per slot the last gradient-health reading and the epochs
    since its counterfactual was measured. A slot missing from a tuple has no such measurement yet."""

    last_action_success: bool = True  # no action yet counts as a success
    last_action_op: int = 0  # a LifecycleOp value; WAIT before the first action
    gradient_health_prev: tuple[tuple[str, float], ...] = ()  # (slot id, reading), slot order
    epochs_since_counterfactual: tuple[tuple[str, int], ...] = ()  # (slot id, epochs), slot order


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything one decision is made from.

    ``slots`` maps every configured slot id to its report, or ``None`` when the slot is empty.
    """

    host: HostMetrics
    slots: Mapping[str, SlotReport | None]
    slot_config: SlotConfig = field(default_factory=SlotConfig.default)
    enabled_slots: tuple[str, ...] | None = None  # None = every configured slot
    topology: str = "cnn"
    total_seeds: int = 0
    max_seeds: int = 0  # 0 = unlimited
    min_prune_age: int = MIN_PRUNE_AGE
    total_params: int = 0
    max_epochs: int = DEFAULT_EPISODE_LENGTH
    feedback: RunFeedback | None = None  # kept only by a run under a lifecycle whose policy reads it

    @property
    def enabled(self) -> tuple[str, ...]:
        """Enabled slot ids in slot-config order; ids not in the config are ignored."""
        if self.enabled_slots is None:
            return self.slot_config.slot_ids
        wanted = set(self.enabled_slots)
        return tuple(slot_id for slot_id in self.slot_config.slot_ids if slot_id in wanted)

    def report(self, slot_id: str) -> SlotReport | None:
        return self.slots.get(slot_id)
