"""A seed's state: its lifecycle stage, alpha controller, metrics and telemetry, and the report the policy sees.

``SeedState`` only keeps itself consistent (the transition table, the accuracy baselines); the operations
that move a seed on live in ``slot.py``, and the states a scenario may start from in ``starting_slot.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tamiyo_tui.domain.actions import GerminationStyle
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaController, AlphaCurve, AlphaMode
from tamiyo_tui.domain.constants import EXPLODING_GRADIENT_NORM, VANISHING_GRADIENT_NORM
from tamiyo_tui.domain.observation import SeedTelemetry, SlotReport
from tamiyo_tui.domain.stages import FAILURE_STAGES, SeedStage, is_valid_transition
from tamiyo_tui.generations.esper_2016337e.lifecycle import contribution_velocity
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE, NAME_2016337E, Scenario

# The curve of the initial ramp comes from the blend id chosen at germination.
BLEND_CURVES: dict[str, AlphaCurve] = {
    "linear": AlphaCurve.LINEAR,
    "sigmoid": AlphaCurve.SIGMOID,
    "gated": AlphaCurve.LINEAR,
}

PRE_BLEND_STAGES = frozenset({SeedStage.GERMINATED, SeedStage.TRAINING})
FULL_ALPHA_STAGES = frozenset({SeedStage.HOLDING, SeedStage.FOSSILIZED})
# Stages in which the trainer measures a seed's gradients (the seed's parameters are being trained).
GRADIENT_STAGES = frozenset({SeedStage.TRAINING, SeedStage.BLENDING})


@dataclass(slots=True)
class SeedState:
    """A seed's lifecycle state and metrics (the reference's SeedState plus its SeedMetrics, trimmed to
    what the policy observes, what the gates read and what the simulator needs to move it on)."""

    slot_id: str
    serial: int  # per-episode germination counter, part of the seed id
    blueprint_id: str
    stage: SeedStage
    style: GerminationStyle
    alpha_algorithm: AlphaAlgorithm
    blend_tempo_epochs: int
    blend_alpha_target: float  # the germination-time target the initial ramp goes to
    contribution: float  # accuracy points this seed adds at alpha 1 (the scripted effect)
    seed_params: int
    alpha: float = 0.0
    controller: AlphaController = field(default_factory=AlphaController)
    epochs_total: int = 0
    epochs_in_stage: int = 0
    initial_val_accuracy: float = 0.0
    current_val_accuracy: float = 0.0
    best_val_accuracy: float = 0.0
    accuracy_at_stage_start: float = 0.0
    counterfactual: float | None = None
    # 2016337e's trend of the counterfactual; the 60205274 trainer never reports one, so it stays 0.0 there.
    contribution_velocity: float = 0.0
    counterfactual_before: float | None = None  # the previous measurement the trend is taken from
    interaction_sum: float = 0.0
    boost_received: float = 0.0
    upstream_alpha_sum: float = 0.0
    downstream_alpha_sum: float = 0.0
    gradient_ratio: float = 0.0  # seed_gradient_norm_ratio, read by strict G2
    gradient_measured: bool = False  # the trainer has measured this seed's gradients at least once
    telemetry: SeedTelemetry = field(default_factory=SeedTelemetry)  # as of the last sync_telemetry

    def measure_counterfactual(self, value: float, *, trend: bool) -> None:
        """A new counterfactual measurement; with ``trend`` (2016337e) its EMA trend moves on too."""
        self.counterfactual = value
        if trend:
            self.contribution_velocity = contribution_velocity(
                self.contribution_velocity, self.counterfactual_before, value
            )
            self.counterfactual_before = value

    @property
    def seed_id(self) -> str:
        return f"{self.slot_id}-{self.blueprint_id}-{self.serial}"

    @property
    def has_module(self) -> bool:
        """The seed module exists (it is removed by a prune and never comes back)."""
        return self.stage not in FAILURE_STAGES

    @property
    def improvement_since_stage_start(self) -> float:
        return self.current_val_accuracy - self.accuracy_at_stage_start

    @property
    def total_improvement(self) -> float:
        return self.current_val_accuracy - self.initial_val_accuracy

    def set_alpha(self, value: float) -> None:
        self.alpha = min(1.0, max(0.0, value))
        self.controller.alpha = self.alpha

    def transition(self, new_stage: SeedStage) -> bool:
        """Move along the transition table; resets the stage baseline. False (and no change) if not allowed."""
        if not is_valid_transition(self.stage, new_stage):
            return False
        self.stage = new_stage
        self.accuracy_at_stage_start = self.current_val_accuracy
        self.epochs_in_stage = 0
        return True

    def record_accuracy(self, accuracy: float) -> None:
        if self.epochs_total == 0:
            self.initial_val_accuracy = accuracy
            self.accuracy_at_stage_start = accuracy
        self.current_val_accuracy = accuracy
        self.best_val_accuracy = max(self.best_val_accuracy, accuracy)
        self.epochs_total += 1
        self.epochs_in_stage += 1

    def sync_telemetry(self, *, epoch: int, max_epochs: int, gradient: tuple[float, float] | None) -> None:
        """Refresh the telemetry snapshot after this epoch's validation, as the trainer does for a seed
        whose module exists. ``gradient`` is the measured (norm, health), or None when the seed's
        gradients were not measured this epoch: the last measured values (or the defaults) then stay."""
        if gradient is None:
            last = self.telemetry
            norm, health, vanishing, exploding = (
                last.gradient_norm,
                last.gradient_health,
                last.has_vanishing,
                last.has_exploding,
            )
        else:
            norm, health = gradient
            vanishing, exploding = norm < VANISHING_GRADIENT_NORM, norm > EXPLODING_GRADIENT_NORM
            self.gradient_measured = True
        c = self.controller
        self.telemetry = SeedTelemetry(
            stage=int(self.stage),
            gradient_norm=norm,
            gradient_health=health,
            has_vanishing=vanishing,
            has_exploding=exploding,
            epochs_in_stage=self.epochs_in_stage,
            accuracy=self.current_val_accuracy,
            # Alpha is 0 before blending (a state is never DORMANT), so the seed has no effect to report yet.
            accuracy_delta=0.0 if self.stage in PRE_BLEND_STAGES else self.improvement_since_stage_start,
            alpha=self.alpha,
            epoch=epoch,
            max_epochs=max_epochs,
            alpha_target=c.alpha_target,
            alpha_mode=int(c.alpha_mode),
            alpha_steps_total=c.alpha_steps_total,
            alpha_steps_done=c.alpha_steps_done,
            time_to_target=c.time_to_target,
            alpha_velocity=c.alpha_velocity,
            alpha_algorithm=int(self.alpha_algorithm),
        )

    def report(self) -> SlotReport:
        controller = self.controller
        return SlotReport(
            slot_id=self.slot_id,
            seed_id=self.seed_id,
            blueprint_id=self.blueprint_id,
            stage=self.stage,
            alpha=self.alpha,
            alpha_target=controller.alpha_target,
            alpha_mode=controller.alpha_mode,
            alpha_steps_total=controller.alpha_steps_total,
            alpha_steps_done=controller.alpha_steps_done,
            time_to_target=controller.time_to_target,
            alpha_velocity=controller.alpha_velocity,
            alpha_algorithm=self.alpha_algorithm,
            blend_tempo_epochs=self.blend_tempo_epochs,
            epochs_total=self.epochs_total,
            epochs_in_stage=self.epochs_in_stage,
            counterfactual_contribution=self.counterfactual,
            contribution_velocity=self.contribution_velocity,
            improvement_since_stage_start=self.improvement_since_stage_start,
            total_improvement=self.total_improvement,
            interaction_sum=self.interaction_sum,
            boost_received=self.boost_received,
            upstream_alpha_sum=self.upstream_alpha_sum,
            downstream_alpha_sum=self.downstream_alpha_sum,
            telemetry=self.telemetry,
        )


def set_baselines(seeds: list[SeedState], accuracy: float) -> None:
    """A seed that starts with a history takes ``accuracy`` as its baseline (its improvement starts at 0)."""
    for seed in seeds:
        if seed.epochs_total > 0:
            seed.initial_val_accuracy = seed.current_val_accuracy = accuracy
            seed.best_val_accuracy = seed.accuracy_at_stage_start = accuracy


def records_accuracy(seed: SeedState, lifecycle: str) -> bool:
    """Whether the epoch's validation accuracy is recorded on ``seed`` (``record_accuracy``).

    60205274: only on a seed whose module exists. 2016337e's trainer records it on every slot that holds a
    state, cooldown stages included, so there a PRUNED/EMBARGOED/RESETTING seed's stage counter moves twice
    an epoch (here and in ``step_epoch``) and its embargo ends two epochs sooner (measured against the
    reference: ``tests/generations/test_lifecycle_2016337e_parity.py``)."""
    return seed.has_module or lifecycle == ESPER_2016337E_LIFECYCLE


def prune_refusal(seed: SeedState, scenario: Scenario) -> str | None:
    """Why the execution refuses to prune ``seed`` (a seed whose module exists), or None.

    Both generations refuse a seed younger than the minimum prune age in force. 2016337e's trainer also
    refuses one whose alpha is still ramping (its prune handler requires alpha mode HOLD, as the mask does);
    60205274's execution lets an instant prune through mid-ramp (``QUIRK_INSTANT_PRUNE_DURING_RAMP``).
    """
    if seed.epochs_total < scenario.prune_age_in_force:
        return f"is {seed.epochs_total} epoch(s) old, below {scenario.prune_age_rule}"
    if scenario.lifecycle_in_force == ESPER_2016337E_LIFECYCLE and seed.controller.alpha_mode != AlphaMode.HOLD:
        return f"alpha mode is {seed.controller.alpha_mode.name}, not HOLD ({NAME_2016337E}'s rule)"
    return None
