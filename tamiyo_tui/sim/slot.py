"""One slot and the Kasmina-level operations on its seed.

The operations are the reference's (germinate, advance_stage with gates, prune, schedule_prune,
set_alpha_target, step_epoch). They return an ``OpResult`` instead of raising, because the simulator
turns every refusal into a rejected action with a reason. Which op an action calls, and the checks the
training loop makes before calling it, live in ``simulator.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from tamiyo_tui.domain.actions import STYLE_TO_KASMINA, GerminationStyle
from tamiyo_tui.domain.alpha import (
    DEFAULT_STEEPNESS,
    TARGET_TOLERANCE,
    AlphaAlgorithm,
    AlphaController,
    AlphaCurve,
    AlphaMode,
)
from tamiyo_tui.domain.constants import DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE, RESETTING_EPOCHS
from tamiyo_tui.domain.observation import SlotReport
from tamiyo_tui.domain.stages import FAILURE_STAGES, SeedStage, default_advance_target
from tamiyo_tui.sim.gates import evaluate_gate
from tamiyo_tui.sim.scenario import ESPER_60205274_LIFECYCLE, BlueprintEffect, GateMode
from tamiyo_tui.sim.seed_state import BLEND_CURVES, SeedState
from tamiyo_tui.sim.slot_events import forced_seed

PRUNE_BY_POLICY = "policy_prune"
PRUNE_SCHEDULED = "scheduled_prune"
COOLDOWN = "cooldown"

# Reference quirks an op can trigger; the decision record lists them.
QUIRK_ADVANCE_ON_HOLDING = "advance_on_holding_fossilizes"
QUIRK_INSTANT_PRUNE_DURING_RAMP = "instant_prune_during_ramp"
QUIRK_RETARGET_NOOP = "retarget_to_current_value_noop"


@dataclass(frozen=True, slots=True)
class StageTransition:
    """A stage change of one slot; ``None`` stands for the empty slot (before germination, after cooldown)."""

    slot_id: str
    from_stage: SeedStage | None
    to_stage: SeedStage | None
    cause: str


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What one ``apply`` did: the action's verdict plus every stage change of the epoch, in order
    (governor rollback, then the action, then the step_epoch ticks)."""

    accepted: bool
    reason: str
    transitions: tuple[StageTransition, ...] = ()
    quirks: tuple[str, ...] = ()
    rollback: bool = False


@dataclass(frozen=True, slots=True)
class OpResult:
    """What one slot operation did: success, a sentence for the user, the stage changes, quirks hit."""

    ok: bool
    message: str
    transitions: tuple[StageTransition, ...] = ()
    quirks: tuple[str, ...] = ()


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

    def advance(
        self,
        gates: GateMode,
        *,
        target: SeedStage | None = None,
        cause: str = "ADVANCE",
        lifecycle: str = ESPER_60205274_LIFECYCLE,
    ) -> OpResult:
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
        gate = evaluate_gate(target, seed, gates, lifecycle)
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
        """Apply a scenario `slot:` event (``slot_events.forced_seed``). Returns True when it created a new
        seed, which then used ``serial``. Raises ValueError when the result would be an inconsistent state."""
        was_empty = self.state is None
        self.state = forced_seed(self.slot_id, self.state, forced, serial=serial, effect_for=effect_for)
        return was_empty and self.state is not None
