"""The states a slot may start from: the lifecycle's rules for them, and the seed each one describes.

A scenario's ``initial`` entries and its slot events both give a slot state as an ``InitialSlot``. The
rules here are the only statement of which of those states the lifecycle can reach: the loader reports
the first problem that names a field at that field's line, the simulator reports them all. The rules
in words, for users: ``docs/scenario-format.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX, STYLE_TO_KASMINA, TEMPO_TO_EPOCHS
from tamiyo_tui.domain.alpha import TARGET_TOLERANCE, AlphaController, AlphaCurve, AlphaMode, progress
from tamiyo_tui.domain.constants import DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE, RESETTING_EPOCHS
from tamiyo_tui.domain.stages import FAILURE_STAGES, SeedStage
from tamiyo_tui.sim.scenario import BlueprintEffect, InitialSlot
from tamiyo_tui.sim.seed_state import BLEND_CURVES, FULL_ALPHA_STAGES, PRE_BLEND_STAGES, SeedState

# Where a BLENDING controller heads when the entry gives no alpha_target.
BLENDING_DEFAULT_TARGET = 1.0


@dataclass(frozen=True, slots=True)
class SlotProblem:
    """One way a slot state contradicts the lifecycle. ``field`` is the entry's key to blame, so an error
    can point at its line; None blames the entry as a whole."""

    message: str
    field: str | None = None


def starting_slot_problems(slot: InitialSlot) -> list[SlotProblem]:
    """Why ``slot`` is not a state the lifecycle can reach (empty list = consistent).

    The problems that name a field come first. ``alpha_target`` None means the stage's natural target:
    the blend target 1.0 before BLENDING, 1.0 in BLENDING, HOLDING and FOSSILIZED, 0 in the cooldown.
    """
    if slot.stage == SeedStage.UNKNOWN:
        return [SlotProblem("stage UNKNOWN is not a slot state")]
    if slot.stage == SeedStage.DORMANT:
        return []  # an empty slot; the other fields do not apply
    return [*_field_problems(slot), *_entry_problems(slot)]


def _field_problems(slot: InitialSlot) -> Iterator[SlotProblem]:
    stage, alpha, target, mode = slot.stage, slot.alpha, slot.alpha_target, slot.alpha_mode
    name = stage.name
    if stage in PRE_BLEND_STAGES and alpha != 0.0:
        yield SlotProblem(f"alpha must be 0.0 in {name} (a seed blends in from BLENDING on)", "alpha")
    if stage in FULL_ALPHA_STAGES and abs(alpha - 1.0) > TARGET_TOLERANCE:
        yield SlotProblem(f"alpha must be 1.0 in {name}", "alpha")
    if stage in FAILURE_STAGES and alpha != 0.0:
        yield SlotProblem(f"alpha must be 0.0 in {name} (a prune resets alpha)", "alpha")
    if mode != AlphaMode.HOLD and stage != SeedStage.BLENDING:
        yield SlotProblem(f"alpha_mode {mode.name} is only possible in BLENDING, not {name}", "alpha_mode")
    if stage == SeedStage.BLENDING:
        # A ramp needs room to move its way: below the target (or 1.0) going UP, above it (or 0) going DOWN;
        # HOLD sits exactly on the target given (a target left out is the entry's problem, below).
        if mode == AlphaMode.UP and alpha >= (BLENDING_DEFAULT_TARGET if target is None else target):
            yield SlotProblem("alpha_mode UP needs alpha below alpha_target", "alpha_mode")
        if mode == AlphaMode.DOWN and alpha <= (0.0 if target is None else target):
            yield SlotProblem("alpha_mode DOWN needs alpha above alpha_target", "alpha_mode")
        if mode == AlphaMode.HOLD and target is not None and abs(alpha - target) > TARGET_TOLERANCE:
            yield SlotProblem("alpha_mode HOLD needs alpha equal to alpha_target", "alpha_target")
    elif target is not None:
        if stage in FULL_ALPHA_STAGES and abs(target - 1.0) > TARGET_TOLERANCE:
            yield SlotProblem(f"alpha_target must be 1.0 in {name}", "alpha_target")
        if stage in PRE_BLEND_STAGES and target <= 0.0:
            yield SlotProblem(f"alpha_target must be above 0 in {name} (the blend target)", "alpha_target")
        if stage in FAILURE_STAGES and target != 0.0:
            yield SlotProblem(f"alpha_target must be 0.0 in {name} (a prune resets it)", "alpha_target")
    if slot.steps_done > slot.steps_total:
        yield SlotProblem(f"steps_done ({slot.steps_done}) exceeds steps_total ({slot.steps_total})", "steps_done")
    if slot.epochs_in_stage > slot.epochs_total:
        message = f"epochs_in_stage ({slot.epochs_in_stage}) exceeds epochs_total ({slot.epochs_total})"
        yield SlotProblem(message, "epochs_in_stage")
    embargo = DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE
    if stage == SeedStage.EMBARGOED and slot.epochs_in_stage >= embargo:
        message = f"EMBARGOED lasts {embargo} epochs: epochs_in_stage must be at most {embargo - 1}"
        yield SlotProblem(message, "epochs_in_stage")
    if stage == SeedStage.RESETTING and slot.epochs_in_stage >= RESETTING_EPOCHS:
        message = f"RESETTING lasts {RESETTING_EPOCHS} epoch: epochs_in_stage must be at most {RESETTING_EPOCHS - 1}"
        yield SlotProblem(message, "epochs_in_stage")


def _entry_problems(slot: InitialSlot) -> Iterator[SlotProblem]:
    """The problems no single field is to blame for (and the ranges a scenario file cannot break)."""
    stage, alpha, target = slot.stage, slot.alpha, slot.alpha_target
    if not 0.0 <= alpha <= 1.0:
        yield SlotProblem("alpha must be in [0, 1]")
    if target is not None and not 0.0 <= target <= 1.0:
        yield SlotProblem("alpha_target must be in [0, 1]")
    if min(slot.steps_total, slot.steps_done, slot.epochs_in_stage, slot.epochs_total) < 0:
        yield SlotProblem("steps and epoch counters must not be negative")
    if (stage in PRE_BLEND_STAGES or stage in FAILURE_STAGES) and slot.steps_total != 0:
        yield SlotProblem(f"alpha_mode must be HOLD with no steps in {stage.name}: no ramp runs there")
    if stage == SeedStage.BLENDING:
        mode = slot.alpha_mode
        if target is None:
            # A BLENDING target left out is 1.0: a HOLD seed sits there, and no DOWN ramp heads there.
            if mode == AlphaMode.HOLD and abs(alpha - BLENDING_DEFAULT_TARGET) > TARGET_TOLERANCE:
                yield SlotProblem("alpha must equal alpha_target in BLENDING with alpha_mode HOLD")
            if mode == AlphaMode.DOWN:
                yield SlotProblem("alpha must be above alpha_target while alpha_mode is DOWN")
        elif mode == AlphaMode.HOLD and target <= 0.0:
            yield SlotProblem("alpha_target must be above 0 in BLENDING unless a prune ramp (DOWN) runs")
        if mode != AlphaMode.HOLD and not slot.steps_done < slot.steps_total:
            yield SlotProblem("a running ramp needs steps_done < steps_total")
    if slot.blueprint not in BLUEPRINT_ID_TO_INDEX:
        yield SlotProblem(f"unknown blueprint {slot.blueprint!r}")


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
    target = BLENDING_DEFAULT_TARGET if initial.alpha_target is None else initial.alpha_target
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
