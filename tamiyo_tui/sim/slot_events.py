"""A scenario's slot events: forcing some fields of a slot's state at an epoch and keeping the rest.

What a forced state may be is the same as for a starting state (``starting_slot.py``); this module only
works out the whole state an event describes, from the event's fields and the seed already in the slot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from enum import IntEnum

from tamiyo_tui.domain.actions import TEMPO_TO_EPOCHS, GerminationStyle, TempoAction
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.scenario import BlueprintEffect, InitialSlot
from tamiyo_tui.sim.seed_state import FULL_ALPHA_STAGES, PRE_BLEND_STAGES, SeedState
from tamiyo_tui.sim.starting_slot import seed_from_initial, starting_slot_problems

EPOCHS_TO_TEMPO: dict[int, TempoAction] = {epochs: tempo for tempo, epochs in TEMPO_TO_EPOCHS.items()}

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


def forced_seed(
    slot_id: str,
    old: SeedState | None,
    forced: Mapping[str, object],
    *,
    serial: int,
    effect_for: Callable[[str], BlueprintEffect],
) -> SeedState | None:
    """The slot's state after a `slot:` event on ``old`` (None: the slot is empty). A new seed takes ``serial``.

    Fields not named keep their values. A stage of DORMANT (or the name "EMPTY") empties the slot.
    Raises ValueError when the result would be an inconsistent state.
    """
    unknown = sorted(set(forced) - FORCEABLE_FIELDS)
    if unknown:
        raise ValueError(f"{slot_id}: unknown slot fields {unknown}")
    values = {name: _coerce_field(name, value) for name, value in forced.items()}
    if values.get("stage") == SeedStage.DORMANT:
        return None
    if old is None:
        if "stage" not in values or "blueprint" not in values:
            raise ValueError(f"{slot_id} is empty: a slot event must give both stage and blueprint")
        wanted = InitialSlot(**values)  # type: ignore[arg-type]
        _raise_problems(slot_id, wanted)
        return seed_from_initial(slot_id, wanted, serial=serial, effect=effect_for(wanted.blueprint))
    base = initial_from_seed(old)
    if "blueprint" in values and "contribution" not in values:
        values["contribution"] = None  # the new blueprint's scripted effect
    stage_changed = values.get("stage", old.stage) != old.stage
    if stage_changed:
        entry = {"epochs_in_stage": 0, **_entry_controller(old, values["stage"])}  # type: ignore[arg-type]
        values = {**entry, **values}
    wanted = replace(base, **values)  # type: ignore[arg-type]
    _raise_problems(slot_id, wanted)
    new = seed_from_initial(slot_id, wanted, serial=old.serial, effect=effect_for(wanted.blueprint))
    assert new is not None
    if not CONTROLLER_FIELDS & set(values):
        new.controller, new.alpha = old.controller, old.alpha  # keep a running ramp's curve and start
    if "style" not in values:
        new.alpha_algorithm = old.alpha_algorithm
    for name in CARRIED_METRICS:
        setattr(new, name, getattr(old, name))
    new.accuracy_at_stage_start = old.current_val_accuracy if stage_changed else old.accuracy_at_stage_start
    return new


def _raise_problems(slot_id: str, wanted: InitialSlot) -> None:
    problems = starting_slot_problems(wanted)
    if problems:
        raise ValueError(f"{slot_id}: " + "; ".join(problem.message for problem in problems))


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
