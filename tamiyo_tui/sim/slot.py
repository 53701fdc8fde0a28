"""One slot's seed: its state, the Kasmina-level operations on it, and its report.

The operations are the reference's (germinate, advance_stage with gates, prune, schedule_prune,
set_alpha_target, step_epoch). They return an ``OpResult`` instead of raising, because the simulator
turns every refusal into a rejected action with a reason. Which op an action calls, and the checks the
training loop makes before calling it, live in ``simulator.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import IntEnum

from tamiyo_tui.domain.actions import (
    BLUEPRINT_ID_TO_INDEX,
    STYLE_TO_KASMINA,
    TEMPO_TO_EPOCHS,
    GerminationStyle,
    TempoAction,
)
from tamiyo_tui.domain.alpha import (
    DEFAULT_STEEPNESS,
    TARGET_TOLERANCE,
    AlphaAlgorithm,
    AlphaController,
    AlphaCurve,
    AlphaMode,
    progress,
)
from tamiyo_tui.domain.constants import (
    DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE,
    EXPLODING_GRADIENT_NORM,
    RESETTING_EPOCHS,
    VANISHING_GRADIENT_NORM,
)
from tamiyo_tui.domain.observation import SeedTelemetry, SlotReport
from tamiyo_tui.domain.stages import FAILURE_STAGES, SeedStage, default_advance_target, is_valid_transition
from tamiyo_tui.sim.gates import evaluate_gate
from tamiyo_tui.sim.scenario import BlueprintEffect, GateMode, InitialSlot

# The curve of the initial ramp comes from the blend id chosen at germination.
BLEND_CURVES: dict[str, AlphaCurve] = {
    "linear": AlphaCurve.LINEAR,
    "sigmoid": AlphaCurve.SIGMOID,
    "gated": AlphaCurve.LINEAR,
}
EPOCHS_TO_TEMPO: dict[int, TempoAction] = {epochs: tempo for tempo, epochs in TEMPO_TO_EPOCHS.items()}

PRUNE_BY_POLICY = "policy_prune"
PRUNE_SCHEDULED = "scheduled_prune"
COOLDOWN = "cooldown"

# Reference quirks an op can trigger; the decision record lists them.
QUIRK_ADVANCE_ON_HOLDING = "advance_on_holding_fossilizes"
QUIRK_INSTANT_PRUNE_DURING_RAMP = "instant_prune_during_ramp"
QUIRK_RETARGET_NOOP = "retarget_to_current_value_noop"

PRE_BLEND_STAGES = frozenset({SeedStage.GERMINATED, SeedStage.TRAINING})
FULL_ALPHA_STAGES = frozenset({SeedStage.HOLDING, SeedStage.FOSSILIZED})


@dataclass(frozen=True, slots=True)
class StageTransition:
    """A stage change of one slot; ``None`` stands for the empty slot (before germination, after cooldown)."""

    slot_id: str
    from_stage: SeedStage | None
    to_stage: SeedStage | None
    cause: str


@dataclass(frozen=True, slots=True)
class OpResult:
    """What one slot operation did: success, a sentence for the user, the stage changes, quirks hit."""

    ok: bool
    message: str
    transitions: tuple[StageTransition, ...] = ()
    quirks: tuple[str, ...] = ()


# Stages in which the trainer measures a seed's gradients (the seed's parameters are being trained).
GRADIENT_STAGES = frozenset({SeedStage.TRAINING, SeedStage.BLENDING})


@dataclass
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
    interaction_sum: float = 0.0
    boost_received: float = 0.0
    upstream_alpha_sum: float = 0.0
    downstream_alpha_sum: float = 0.0
    gradient_ratio: float = 0.0  # seed_gradient_norm_ratio, read by strict G2
    telemetry: SeedTelemetry = field(default_factory=SeedTelemetry)  # as of the last sync_telemetry

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
            improvement_since_stage_start=self.improvement_since_stage_start,
            total_improvement=self.total_improvement,
            interaction_sum=self.interaction_sum,
            boost_received=self.boost_received,
            upstream_alpha_sum=self.upstream_alpha_sum,
            downstream_alpha_sum=self.downstream_alpha_sum,
            telemetry=self.telemetry,
        )


def _fail(message: str) -> OpResult:
    return OpResult(False, message)


class SeedSlot:
    """A slot and the seed in it (``state`` is None when the slot is empty)."""

    def __init__(self, slot_id: str, state: SeedState | None = None) -> None:
        self.slot_id = slot_id
        self.state = state

    def _move(self, seed: SeedState, to_stage: SeedStage, cause: str) -> StageTransition | None:
        from_stage = seed.stage
        return StageTransition(self.slot_id, from_stage, to_stage, cause) if seed.transition(to_stage) else None

    def _describe(self) -> str:
        return "empty" if self.state is None else self.state.stage.name

    # --- operations ---------------------------------------------------------------------------------

    def germinate(
        self,
        *,
        serial: int,
        blueprint_id: str,
        style: GerminationStyle,
        tempo_epochs: int,
        alpha_target: float,
        effect: BlueprintEffect,
    ) -> OpResult:
        """Create a seed in GERMINATED (via G0). The slot must be empty: a cooling-down slot is not."""
        if self.state is not None:
            return _fail(f"{self.slot_id} is unavailable for germination (it is {self.state.stage.name})")
        if not 0.0 < alpha_target <= 1.0:
            return _fail(f"{self.slot_id}: alpha_target {alpha_target} must be in (0, 1]")
        seed = SeedState(
            slot_id=self.slot_id,
            serial=serial,
            blueprint_id=blueprint_id,
            stage=SeedStage.DORMANT,
            style=style,
            alpha_algorithm=STYLE_TO_KASMINA[style][1],
            blend_tempo_epochs=tempo_epochs,
            blend_alpha_target=alpha_target,
            contribution=effect.contribution,
            seed_params=effect.params,
        )
        gate = evaluate_gate(SeedStage.GERMINATED, seed, "permissive")  # G0 is the same in both modes
        if not gate.passed:
            return _fail(f"{self.slot_id}: {gate.message}")
        seed.transition(SeedStage.GERMINATED)
        self.state = seed
        return OpResult(
            True,
            f"{self.slot_id}: germinated {seed.seed_id}",
            (StageTransition(self.slot_id, None, SeedStage.GERMINATED, "GERMINATE"),),
        )

    def advance(self, gates: GateMode, *, target: SeedStage | None = None, cause: str = "ADVANCE") -> OpResult:
        """advance_stage: the gate for the target (default: the next stage in the table), then the move."""
        seed = self.state
        if seed is None or not seed.has_module:
            return _fail(f"{self.slot_id}: no_active_seed (the slot is {self._describe()})")
        if target is None:
            target = default_advance_target(seed.stage)
            if target is None:
                return _fail(f"{self.slot_id}: no_valid_transition from {seed.stage.name}")
        elif target in FAILURE_STAGES:
            raise ValueError(f"cannot target failure stage {target.name} with advance; prune instead")
        gate = evaluate_gate(target, seed, gates)
        if not gate.passed:
            return _fail(f"{self.slot_id}: {gate.message}")
        from_stage = seed.stage
        moved = self._move(seed, target, cause)
        if moved is None:
            return _fail(f"{self.slot_id}: transition_failed ({from_stage.name} → {target.name})")
        if target == SeedStage.BLENDING:
            self._start_blending(seed)
        elif target == SeedStage.HOLDING:
            seed.set_alpha(1.0)
            controller = seed.controller
            controller.alpha_start = controller.alpha_target = 1.0
            controller.alpha_mode = AlphaMode.HOLD
            controller.alpha_steps_done = controller.alpha_steps_total
        return OpResult(True, f"{self.slot_id}: {from_stage.name} → {target.name}", (moved,))

    @staticmethod
    def _start_blending(seed: SeedState) -> None:
        blend_id = STYLE_TO_KASMINA[seed.style][0]
        seed.controller = AlphaController(
            alpha=seed.alpha,
            alpha_start=seed.alpha,
            alpha_target=seed.alpha,
            alpha_curve=BLEND_CURVES[blend_id],
            alpha_steepness=DEFAULT_STEEPNESS,
        )
        seed.controller.retarget(alpha_target=seed.blend_alpha_target, alpha_steps_total=seed.blend_tempo_epochs)

    def prune(self, reason: str) -> OpResult:
        """Instant prune: the module goes at once, the state stays (PRUNED) for the cooldown."""
        seed = self.state
        if seed is None:
            return _fail(f"{self.slot_id} is empty: nothing to prune")
        if seed.stage == SeedStage.FOSSILIZED:
            return _fail(f"{self.slot_id}: a FOSSILIZED seed is permanent and cannot be pruned")
        moved = self._move(seed, SeedStage.PRUNED, reason)
        if moved is None:
            return _fail(f"{self.slot_id} is already {seed.stage.name}: its seed is gone")
        seed.set_alpha(0.0)
        seed.controller = AlphaController()
        return OpResult(True, f"{self.slot_id}: {moved.from_stage.name} → PRUNED ({reason})", (moved,))

    def schedule_prune(self, steps: int, curve: AlphaCurve, steepness: float) -> OpResult:
        """Ramp alpha down to 0 over ``steps`` ticks, then prune (checks in the reference's order)."""
        seed = self.state
        if seed is None:
            return _fail(f"{self.slot_id} is empty: nothing to prune")
        if seed.stage == SeedStage.FOSSILIZED:
            return _fail(f"{self.slot_id}: a FOSSILIZED seed is permanent and cannot be pruned")
        if steps <= 0 or seed.alpha <= 0.0:
            result = self.prune(PRUNE_BY_POLICY)
            if not result.ok:
                return result
            return replace(result, message=f"{result.message}; alpha was 0, so the scheduled prune was immediate")
        if seed.controller.alpha_mode != AlphaMode.HOLD:
            mode = AlphaMode(seed.controller.alpha_mode).name
            return _fail(f"{self.slot_id}: alpha ramp in progress (mode {mode}); a scheduled prune needs mode HOLD")
        transitions: tuple[StageTransition, ...] = ()
        if seed.stage == SeedStage.HOLDING:
            moved = self._move(seed, SeedStage.BLENDING, "PRUNE")
            assert moved is not None  # HOLDING → BLENDING is in the table
            transitions = (moved,)
        elif seed.stage != SeedStage.BLENDING:
            return self.prune(PRUNE_BY_POLICY)
        seed.controller.retarget(
            alpha_target=0.0, alpha_steps_total=steps, alpha_curve=curve, alpha_steepness=steepness
        )
        return OpResult(True, f"{self.slot_id}: scheduled prune, alpha to 0 over {steps} ticks", transitions)

    def set_alpha_target(
        self, target: float, steps: int, curve: AlphaCurve, steepness: float, algorithm: AlphaAlgorithm
    ) -> OpResult:
        """Retarget the blend. The scalar alpha follows at the next BLENDING tick."""
        seed = self.state
        if seed is None:
            return _fail(f"{self.slot_id} is empty: no alpha to retarget")
        if seed.stage == SeedStage.FOSSILIZED:
            return _fail(f"{self.slot_id}: a FOSSILIZED seed's alpha is fixed")
        if target <= 0.0:
            return _fail(f"{self.slot_id}: alpha target must be above 0 (use PRUNE to blend out)")
        controller = seed.controller
        if controller.alpha_mode != AlphaMode.HOLD:
            mode = AlphaMode(controller.alpha_mode).name
            return _fail(f"{self.slot_id}: alpha ramp in progress (mode {mode}); retargeting needs mode HOLD")
        if seed.stage not in (SeedStage.BLENDING, SeedStage.HOLDING):
            return _fail(f"{self.slot_id} is {seed.stage.name}: only a BLENDING or HOLDING seed can be retargeted")
        transitions: tuple[StageTransition, ...] = ()
        if seed.stage == SeedStage.HOLDING and target < 1.0 - TARGET_TOLERANCE:
            moved = self._move(seed, SeedStage.BLENDING, "SET_ALPHA_TARGET")
            assert moved is not None  # HOLDING → BLENDING is in the table
            transitions = (moved,)
        seed.alpha_algorithm = algorithm
        quirks = (QUIRK_RETARGET_NOOP,) if target == controller.alpha and steps > 0 else ()
        controller.retarget(alpha_target=target, alpha_steps_total=steps, alpha_curve=curve, alpha_steepness=steepness)
        return OpResult(True, f"{self.slot_id}: alpha target {target:g} over {steps} ticks", transitions, quirks)

    def step_epoch(self) -> tuple[StageTransition, ...]:
        """The per-epoch timekeeper: BLENDING ticks, the cooldown advances. Never an auto-advance."""
        seed = self.state
        if seed is None:
            return ()
        if seed.stage == SeedStage.BLENDING:
            reached = seed.controller.step()
            seed.set_alpha(seed.controller.alpha)
            controller = seed.controller
            settled = controller.alpha_mode == AlphaMode.HOLD and controller.alpha == controller.alpha_target
            if (reached or settled) and controller.alpha_target <= TARGET_TOLERANCE:
                return self.prune(PRUNE_SCHEDULED).transitions
            return ()
        if seed.stage == SeedStage.PRUNED:
            moved = self._move(seed, SeedStage.EMBARGOED, COOLDOWN)
            return (moved,) if moved else ()
        if seed.stage == SeedStage.EMBARGOED:
            seed.epochs_total += 1
            seed.epochs_in_stage += 1
            if seed.epochs_in_stage >= DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE:
                moved = self._move(seed, SeedStage.RESETTING, COOLDOWN)
                return (moved,) if moved else ()
            return ()
        if seed.stage == SeedStage.RESETTING:
            seed.epochs_total += 1
            seed.epochs_in_stage += 1
            if seed.epochs_in_stage >= RESETTING_EPOCHS:
                self.state = None
                return (StageTransition(self.slot_id, SeedStage.RESETTING, None, COOLDOWN),)
        return ()

    def report(self) -> SlotReport | None:
        """The policy's view of this slot, or None when it is empty."""
        return None if self.state is None else self.state.report()

    # --- scripted states ----------------------------------------------------------------------------

    def force(self, forced: Mapping[str, object], *, serial: int, effect_for: Callable[[str], BlueprintEffect]) -> bool:
        """Apply a scenario `slot:` event. Returns True when it created a new seed (which used ``serial``).

        Fields not named keep their values. A stage of DORMANT (or the name "EMPTY") empties the slot.
        Raises ValueError when the result would be an inconsistent state.
        """
        unknown = sorted(set(forced) - FORCEABLE_FIELDS)
        if unknown:
            raise ValueError(f"{self.slot_id}: unknown slot fields {unknown}")
        values = {name: _coerce_field(name, value) for name, value in forced.items()}
        if values.get("stage") == SeedStage.DORMANT:
            self.state = None
            return False
        old = self.state
        if old is None:
            if "stage" not in values or "blueprint" not in values:
                raise ValueError(f"{self.slot_id} is empty: a slot event must give both stage and blueprint")
            wanted = InitialSlot(**values)  # type: ignore[arg-type]
            _raise_problems(self.slot_id, wanted)
            self.state = seed_from_initial(self.slot_id, wanted, serial=serial, effect=effect_for(wanted.blueprint))
            return True
        base = initial_from_seed(old)
        if "blueprint" in values and "contribution" not in values:
            values["contribution"] = None  # the new blueprint's scripted effect
        stage_changed = values.get("stage", old.stage) != old.stage
        if stage_changed:
            entry = {"epochs_in_stage": 0, **_entry_controller(old, values["stage"])}  # type: ignore[arg-type]
            values = {**entry, **values}
        wanted = replace(base, **values)  # type: ignore[arg-type]
        _raise_problems(self.slot_id, wanted)
        new = seed_from_initial(self.slot_id, wanted, serial=old.serial, effect=effect_for(wanted.blueprint))
        assert new is not None
        if not CONTROLLER_FIELDS & set(values):
            new.controller, new.alpha = old.controller, old.alpha  # keep a running ramp's curve and start
        if "style" not in values:
            new.alpha_algorithm = old.alpha_algorithm
        for name in CARRIED_METRICS:
            setattr(new, name, getattr(old, name))
        new.accuracy_at_stage_start = old.current_val_accuracy if stage_changed else old.accuracy_at_stage_start
        self.state = new
        return False


# --- initial and forced states ---------------------------------------------------------------------

FORCEABLE_FIELDS = frozenset(f.name for f in fields(InitialSlot)) - {"source"}
CONTROLLER_FIELDS = frozenset({"stage", "alpha", "alpha_target", "alpha_mode", "steps_total", "steps_done"})
CARRIED_METRICS = (
    "initial_val_accuracy",
    "current_val_accuracy",
    "best_val_accuracy",
    "counterfactual",
    "interaction_sum",
    "boost_received",
    "upstream_alpha_sum",
    "downstream_alpha_sum",
    "gradient_ratio",
    "telemetry",
)
_ENUM_FIELDS: dict[str, type[IntEnum]] = {
    "stage": SeedStage,
    "alpha_mode": AlphaMode,
    "style": GerminationStyle,
    "tempo": TempoAction,
}
_FLOAT_FIELDS = frozenset({"alpha", "alpha_target", "contribution"})


def _entry_controller(old: SeedState, stage: SeedStage) -> dict[str, object]:
    """The controller fields a seed would have on entering ``stage`` now (defaults for a forced stage change)."""
    hold = {"alpha_mode": AlphaMode.HOLD, "steps_total": 0, "steps_done": 0}
    if stage in FULL_ALPHA_STAGES:
        return {**hold, "alpha": 1.0, "alpha_target": None}
    if stage in PRE_BLEND_STAGES:
        return {**hold, "alpha": 0.0, "alpha_target": old.blend_alpha_target}
    if stage != SeedStage.BLENDING:
        return {**hold, "alpha": 0.0, "alpha_target": None}
    blended = old.stage in (SeedStage.BLENDING, SeedStage.HOLDING, SeedStage.FOSSILIZED)
    target = old.controller.alpha_target if blended and old.controller.alpha_target > 0 else old.blend_alpha_target
    if old.alpha == target:
        return {**hold, "alpha": old.alpha, "alpha_target": target}
    # A fresh ramp from the current alpha over the seed's tempo, as start_blending would begin it.
    mode = AlphaMode.UP if old.alpha < target else AlphaMode.DOWN
    return {
        "alpha": old.alpha,
        "alpha_target": target,
        "alpha_mode": mode,
        "steps_total": old.blend_tempo_epochs,
        "steps_done": 0,
    }


def _coerce_field(name: str, value: object) -> object:
    """Accept enum members, member names or values for the enum fields (a loader may pass any of them)."""
    if name in _ENUM_FIELDS:
        enum = _ENUM_FIELDS[name]
        if name == "stage" and value == "EMPTY":
            return SeedStage.DORMANT
        try:
            return enum[value] if isinstance(value, str) else enum(value)
        except (KeyError, ValueError) as error:
            raise ValueError(f"{name}: {value!r} is not a {enum.__name__}") from error
    if name in _FLOAT_FIELDS:
        return None if value is None else float(value)  # type: ignore[arg-type]
    if name == "blueprint":
        return str(value)
    return int(value)  # type: ignore[call-overload]


def _raise_problems(slot_id: str, wanted: InitialSlot) -> None:
    problems = initial_slot_problems(wanted)
    if problems:
        raise ValueError(f"{slot_id}: " + "; ".join(problems))


def validate_initial_slot(
    stage: SeedStage,
    *,
    alpha: float,
    alpha_target: float | None,
    alpha_mode: AlphaMode,
    steps_total: int = 0,
    steps_done: int = 0,
    epochs_in_stage: int = 0,
    epochs_total: int = 0,
) -> list[str]:
    """Why a starting slot state is not one the lifecycle can reach (empty list = consistent).

    ``alpha_target`` None means the stage's natural target. For GERMINATED and TRAINING the target is
    the blend target given at germination.
    """
    problems: list[str] = []
    name = stage.name
    if stage == SeedStage.UNKNOWN:
        return ["stage UNKNOWN is not a slot state"]
    if stage == SeedStage.DORMANT:
        return []  # an empty slot; the other fields do not apply
    if not 0.0 <= alpha <= 1.0:
        problems.append("alpha must be in [0, 1]")
    if alpha_target is not None and not 0.0 <= alpha_target <= 1.0:
        problems.append("alpha_target must be in [0, 1]")
    if min(steps_total, steps_done, epochs_in_stage, epochs_total) < 0:
        problems.append("steps and epoch counters must not be negative")
    if steps_done > steps_total:
        problems.append("steps_done must not exceed steps_total")
    if epochs_in_stage > epochs_total:
        problems.append("epochs_in_stage must not exceed epochs_total")

    if stage in PRE_BLEND_STAGES or stage in FAILURE_STAGES:
        if alpha != 0.0:
            problems.append(f"alpha must be 0.0 in {name}")
        if alpha_mode != AlphaMode.HOLD or steps_total != 0:
            problems.append(f"alpha_mode must be HOLD with no steps in {name}: no ramp runs there")
    if stage in PRE_BLEND_STAGES and alpha_target is not None and alpha_target <= 0.0:
        problems.append(f"alpha_target must be in (0, 1] in {name} (the blend target given at germination)")
    if stage in FAILURE_STAGES and alpha_target not in (None, 0.0):
        problems.append(f"alpha_target must be 0.0 in {name}")
    if stage == SeedStage.EMBARGOED and epochs_in_stage >= DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE:
        problems.append(f"epochs_in_stage must be below {DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE} in EMBARGOED")
    if stage == SeedStage.RESETTING and epochs_in_stage >= RESETTING_EPOCHS:
        problems.append("epochs_in_stage must be 0 in RESETTING")

    if stage in FULL_ALPHA_STAGES:
        if abs(alpha - 1.0) > TARGET_TOLERANCE:
            problems.append(f"alpha must be 1.0 in {name}")
        if alpha_target is not None and abs(alpha_target - 1.0) > TARGET_TOLERANCE:
            problems.append(f"alpha_target must be 1.0 in {name}")
        if alpha_mode != AlphaMode.HOLD:
            problems.append(f"alpha_mode must be HOLD in {name}")

    if stage == SeedStage.BLENDING:
        target = 1.0 if alpha_target is None else alpha_target
        if alpha_mode == AlphaMode.HOLD:
            if abs(alpha - target) > TARGET_TOLERANCE:
                problems.append("alpha must equal alpha_target in BLENDING with alpha_mode HOLD")
            if target <= 0.0:
                problems.append("alpha_target must be above 0 in BLENDING unless a prune ramp (DOWN) runs")
        else:
            if alpha_mode == AlphaMode.UP and not alpha < target:
                problems.append("alpha must be below alpha_target while alpha_mode is UP")
            if alpha_mode == AlphaMode.DOWN and not alpha > target:
                problems.append("alpha must be above alpha_target while alpha_mode is DOWN")
            if not steps_done < steps_total:
                problems.append("a running ramp needs steps_done < steps_total")
    return problems


def initial_slot_problems(initial: InitialSlot) -> list[str]:
    """``validate_initial_slot`` for a whole ``InitialSlot`` record, plus its blueprint id."""
    problems = validate_initial_slot(
        initial.stage,
        alpha=initial.alpha,
        alpha_target=initial.alpha_target,
        alpha_mode=initial.alpha_mode,
        steps_total=initial.steps_total,
        steps_done=initial.steps_done,
        epochs_in_stage=initial.epochs_in_stage,
        epochs_total=initial.epochs_total,
    )
    if initial.stage != SeedStage.DORMANT and initial.blueprint not in BLUEPRINT_ID_TO_INDEX:
        problems.append(f"unknown blueprint {initial.blueprint!r}")
    return problems


def _initial_controller(initial: InitialSlot, curve: AlphaCurve) -> AlphaController:
    stage = initial.stage
    if stage in FULL_ALPHA_STAGES:
        return AlphaController(
            alpha=1.0,
            alpha_start=1.0,
            alpha_target=1.0,
            alpha_curve=curve,
            alpha_steps_total=initial.steps_total,
            alpha_steps_done=initial.steps_done,
        )
    if stage != SeedStage.BLENDING:
        return AlphaController()
    target = 1.0 if initial.alpha_target is None else initial.alpha_target
    start = initial.alpha
    if initial.alpha_mode != AlphaMode.HOLD and initial.steps_done > 0:
        # Solve for the start that puts a ramp begun steps_done ticks ago at the given alpha now.
        eased = progress(initial.steps_done / initial.steps_total, curve)
        start = min(1.0, max(0.0, (initial.alpha - target * eased) / (1.0 - eased)))
    return AlphaController(
        alpha=initial.alpha,
        alpha_start=start,
        alpha_target=target,
        alpha_mode=initial.alpha_mode,
        alpha_curve=curve,
        alpha_steps_total=initial.steps_total,
        alpha_steps_done=initial.steps_done,
    )


def seed_from_initial(slot_id: str, initial: InitialSlot, *, serial: int, effect: BlueprintEffect) -> SeedState | None:
    """The seed an `initial` (or forced) entry describes; None for DORMANT. Accuracies are left at 0."""
    if initial.stage == SeedStage.DORMANT:
        return None
    blend_id, algorithm = STYLE_TO_KASMINA[initial.style]
    controller = _initial_controller(initial, BLEND_CURVES[blend_id])
    if initial.stage in PRE_BLEND_STAGES:
        blend_target = 1.0 if initial.alpha_target is None else initial.alpha_target
    else:
        blend_target = controller.alpha_target if initial.stage == SeedStage.BLENDING else 1.0
    return SeedState(
        slot_id=slot_id,
        serial=serial,
        blueprint_id=initial.blueprint,
        stage=initial.stage,
        style=initial.style,
        alpha_algorithm=algorithm,
        blend_tempo_epochs=TEMPO_TO_EPOCHS[initial.tempo],
        blend_alpha_target=blend_target,
        contribution=effect.contribution if initial.contribution is None else initial.contribution,
        seed_params=effect.params,
        alpha=controller.alpha,
        controller=controller,
        epochs_total=initial.epochs_total,
        epochs_in_stage=initial.epochs_in_stage,
    )


def initial_from_seed(seed: SeedState) -> InitialSlot:
    """The `initial` entry that describes a live seed (what a slot event starts from)."""
    controller = seed.controller
    return InitialSlot(
        stage=seed.stage,
        blueprint=seed.blueprint_id,
        alpha=seed.alpha,
        alpha_target=seed.blend_alpha_target if seed.stage in PRE_BLEND_STAGES else controller.alpha_target,
        alpha_mode=AlphaMode(controller.alpha_mode),
        steps_total=controller.alpha_steps_total,
        steps_done=controller.alpha_steps_done,
        epochs_in_stage=seed.epochs_in_stage,
        epochs_total=seed.epochs_total,
        style=seed.style,
        tempo=EPOCHS_TO_TEMPO[seed.blend_tempo_epochs],
        contribution=seed.contribution,
    )
