"""The action-mask rule set, in plain Python, with the reason behind every allowed or masked option.

This is the one statement of the masks: the policy's tensors are made from it, and the sweep's vectorized
masks are held equal to it (a test enumerates the state space). The philosophy follows the reference: mask only what
is physically impossible, never timing. The op head is *optimistic*: an op is allowed when ANY enabled
slot allows it; a slot/op mismatch is rejected at execution time instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
    blueprints_for_topology,
)
from tamiyo_tui.domain.alpha import ALPHA_MODE_NAMES, AlphaMode
from tamiyo_tui.domain.constants import MIN_PRUNE_AGE
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import (
    ADVANCABLE_STAGES,
    FAILURE_STAGES,
    FOSSILIZABLE_STAGES,
    PRUNABLE_STAGES,
    RETARGETABLE_STAGES,
    STAGE_NAMES,
)


@dataclass(frozen=True, slots=True)
class MaskSeedInfo:
    """The three facts about an occupied slot that the masks read."""

    stage: int
    seed_age_epochs: int
    alpha_mode: int = AlphaMode.HOLD


@dataclass(frozen=True, slots=True)
class MaskInputs:
    """Everything the mask rules read, for one environment."""

    slot_states: Mapping[str, MaskSeedInfo | None]
    enabled_slots: tuple[str, ...]
    slot_config: SlotConfig
    total_seeds: int = 0
    max_seeds: int = 0
    topology: str = "cnn"
    min_prune_age: int = MIN_PRUNE_AGE
    allow_governor_override: bool = False
    # Rules of later generations (``tamiyo_tui/generations``); the defaults are 60205274's, which has neither.
    germination_blocked_by: frozenset[int] = frozenset()  # stages of an enabled seed that hold GERMINATE back
    advance_disabled: bool = False  # the run masks ADVANCE whatever the seeds' stages
    generation: str = ""  # named in the reasons of those rules, e.g. "2016337e"

    @property
    def ordered_enabled(self) -> tuple[str, ...]:
        """Enabled ids in config order; ids the config does not know are ignored."""
        wanted = set(self.enabled_slots)
        return tuple(slot_id for slot_id in self.slot_config.slot_ids if slot_id in wanted)

    @classmethod
    def from_observation(cls, obs: Observation, *, allow_governor_override: bool = False) -> MaskInputs:
        return cls(
            slot_states={
                slot_id: None
                if report is None
                else MaskSeedInfo(int(report.stage), report.epochs_total, int(report.alpha_mode))
                for slot_id, report in obs.slots.items()
            },
            enabled_slots=obs.enabled,
            slot_config=obs.slot_config,
            total_seeds=obs.total_seeds,
            max_seeds=obs.max_seeds,
            topology=obs.topology,
            min_prune_age=obs.min_prune_age,
            allow_governor_override=allow_governor_override,
        )


@dataclass(frozen=True, slots=True)
class OptionVerdict:
    """One option of one head: allowed or masked, and why, in words a student can follow."""

    head: str
    option: str
    allowed: bool
    reason: str
    slots: tuple[str, ...] = ()  # for op options: the enabled slots that enable it


@dataclass(frozen=True, slots=True)
class HeadColumns:
    """One head's verdicts as parallel columns, the shape a decision record stores them in."""

    options: tuple[str, ...]
    mask: tuple[bool, ...]
    reasons: tuple[str, ...]
    valid_count: int

    @classmethod
    def of(cls, verdicts: tuple[OptionVerdict, ...]) -> HeadColumns:
        mask = tuple([verdict.allowed for verdict in verdicts])
        return cls(
            options=tuple([verdict.option for verdict in verdicts]),
            mask=mask,
            reasons=tuple([verdict.reason for verdict in verdicts]),
            valid_count=sum(mask),
        )


@dataclass(frozen=True, slots=True)
class MaskExplanation:
    """Verdicts for every option of every head, in canonical head and option order."""

    heads: Mapping[str, tuple[OptionVerdict, ...]]
    # Derived from ``heads`` once: a step reads the masks and columns several times.
    _columns: dict[str, HeadColumns] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Read-only: the session, the records and the "why" panel share one explanation.
        object.__setattr__(self, "heads", MappingProxyType(dict(self.heads)))
        object.__setattr__(self, "_columns", {head: HeadColumns.of(self.heads[head]) for head in HEAD_NAMES})

    def columns(self, head: str) -> HeadColumns:
        return self._columns[head]

    def mask(self, head: str) -> tuple[bool, ...]:
        return self._columns[head].mask

    def masks(self) -> dict[str, tuple[bool, ...]]:
        return {head: columns.mask for head, columns in self._columns.items()}

    def verdict(self, head: str, option: str) -> OptionVerdict:
        for verdict in self.heads[head]:
            if verdict.option == option:
                return verdict
        raise KeyError(f"{head} has no option {option!r}")


def _slot_verdicts(inputs: MaskInputs) -> tuple[OptionVerdict, ...]:
    enabled = set(inputs.ordered_enabled)
    return tuple(
        OptionVerdict("slot", slot_id, True, f"{slot_id} is enabled for this policy", (slot_id,))
        if slot_id in enabled
        else OptionVerdict("slot", slot_id, False, f"{slot_id} is not in enabled_slots; the policy may not target it")
        for slot_id in inputs.slot_config.slot_ids
    )


def _blueprint_verdicts(inputs: MaskInputs) -> tuple[OptionVerdict, ...]:
    return _blueprint_verdicts_for("transformer" if inputs.topology == "transformer" else "cnn")


def _blueprint_verdicts_for(topology: str) -> tuple[OptionVerdict, ...]:
    registered = blueprints_for_topology(topology)
    verdicts = []
    for blueprint in BlueprintAction:
        if blueprint == BlueprintAction.NOOP:
            verdicts.append(
                OptionVerdict(
                    "blueprint",
                    blueprint.name,
                    False,
                    "NOOP is always masked: germinating nothing is not an action",
                )
            )
        elif blueprint in registered:
            verdicts.append(
                OptionVerdict(
                    "blueprint",
                    blueprint.name,
                    True,
                    f"{blueprint.name} is registered for the {topology} topology",
                )
            )
        else:
            verdicts.append(
                OptionVerdict(
                    "blueprint",
                    blueprint.name,
                    False,
                    f"{blueprint.name} is not registered for the {topology} topology",
                )
            )
    return tuple(verdicts)


def _always_open(head: str, enum: type, why: str) -> tuple[OptionVerdict, ...]:
    return tuple(OptionVerdict(head, member.name, True, why) for member in enum)


def _stage_name(stage: int) -> str:
    name = STAGE_NAMES.get(stage)
    return f"stage {stage}" if name is None else name


def _mode_name(mode: int) -> str:
    name = ALPHA_MODE_NAMES.get(mode)
    return f"mode {mode}" if name is None else name


def _describe(slots: tuple[str, ...]) -> str:
    return ", ".join(slots)


def _op_verdicts(inputs: MaskInputs) -> tuple[tuple[OptionVerdict, ...], bool, bool]:
    """Op verdicts plus (can_germinate, retargetable_hold_exists) for the dependent heads."""
    ordered = inputs.ordered_enabled
    states = inputs.slot_states
    empty = tuple(slot_id for slot_id in ordered if states.get(slot_id) is None)
    occupied = tuple((slot_id, states[slot_id]) for slot_id in ordered if states.get(slot_id) is not None)
    seed_limit_reached = inputs.max_seeds > 0 and inputs.total_seeds >= inputs.max_seeds
    holding_back = tuple((sid, info) for sid, info in occupied if info.stage in inputs.germination_blocked_by)
    can_germinate = bool(empty) and not seed_limit_reached and not holding_back

    advance = () if inputs.advance_disabled else tuple(sid for sid, info in occupied if info.stage in ADVANCABLE_STAGES)
    fossilize = tuple(sid for sid, info in occupied if info.stage in FOSSILIZABLE_STAGES)
    prune = tuple(
        sid
        for sid, info in occupied
        if info.stage in PRUNABLE_STAGES
        and info.seed_age_epochs >= inputs.min_prune_age
        and (inputs.allow_governor_override or info.alpha_mode == AlphaMode.HOLD)
    )
    retarget = tuple(
        sid for sid, info in occupied if info.stage in RETARGETABLE_STAGES and info.alpha_mode == AlphaMode.HOLD
    )

    verdicts: dict[LifecycleOp, OptionVerdict] = {}
    verdicts[LifecycleOp.WAIT] = OptionVerdict("op", "WAIT", True, "WAIT is always allowed", ())

    if not ordered:
        germ_reason = "no slot is enabled"
    elif can_germinate:
        germ_reason = f"empty enabled slot(s): {_describe(empty)}"
    elif not empty:
        blocked = ", ".join(f"{sid} is {_stage_name(info.stage)}" for sid, info in occupied)
        cooling = any(info.stage in FAILURE_STAGES for _, info in occupied)
        note = "; a cooling-down slot is not empty" if cooling else ""
        germ_reason = f"no enabled slot is empty ({blocked}{note})"
    elif seed_limit_reached:
        germ_reason = f"seed cap reached: {inputs.total_seeds} of max_seeds {inputs.max_seeds} seeds in use"
    else:
        waiting_on = ", ".join(f"{sid} is {_stage_name(info.stage)}" for sid, info in holding_back)
        stages = "/".join(_stage_name(stage) for stage in sorted(inputs.germination_blocked_by))
        germ_reason = f"{inputs.generation}: no germination while an enabled seed is {stages} ({waiting_on})"
    verdicts[LifecycleOp.GERMINATE] = OptionVerdict(
        "op", "GERMINATE", can_germinate, germ_reason, empty if can_germinate else ()
    )

    def occupied_summary(describe_slot) -> str:
        if not occupied:
            return "no enabled slot holds a seed"
        return "; ".join(describe_slot(sid, info) for sid, info in occupied)

    def stage_of(sid: str, info: MaskSeedInfo) -> str:
        return f"{sid} is {_stage_name(info.stage)}"

    def stage_and_mode(sid: str, info: MaskSeedInfo) -> str:
        mode = f" with alpha mode {_mode_name(info.alpha_mode)}" if info.stage in RETARGETABLE_STAGES else ""
        return stage_of(sid, info) + mode

    # A later generation fixes the age itself, so its reasons say whose rule the number is.
    whose_age = f" ({inputs.generation}'s rule)" if inputs.generation else ""

    def prune_blocker(sid: str, info: MaskSeedInfo) -> str:
        if info.stage not in PRUNABLE_STAGES:
            return f"{sid} is {_stage_name(info.stage)}, which cannot be pruned"
        if info.seed_age_epochs < inputs.min_prune_age:
            age = info.seed_age_epochs
            return f"{sid} is {age} epoch(s) old, below min_prune_age {inputs.min_prune_age}{whose_age}"
        return f"{sid} alpha mode is {_mode_name(info.alpha_mode)}, not HOLD (a ramp is in progress)"

    def slot_op(op: LifecycleOp, slots: tuple[str, ...], allowed: str, needs: str, blocker) -> OptionVerdict:
        """An op that some enabled slots allow (named), or none (each occupied slot's blocker said)."""
        if slots:
            return OptionVerdict("op", op.name, True, f"{allowed}: {_describe(slots)}", slots)
        return OptionVerdict("op", op.name, False, f"{needs}: {occupied_summary(blocker)}")

    prune_condition = (
        " (governor override: alpha mode not required to be HOLD)"
        if inputs.allow_governor_override
        else ", alpha mode HOLD"
    )
    verdicts[LifecycleOp.SET_ALPHA_TARGET] = slot_op(
        LifecycleOp.SET_ALPHA_TARGET,
        retarget,
        "seed in BLENDING/HOLDING with alpha mode HOLD",
        "needs a seed in BLENDING or HOLDING whose alpha mode is HOLD",
        stage_and_mode,
    )
    verdicts[LifecycleOp.PRUNE] = slot_op(
        LifecycleOp.PRUNE,
        prune,
        f"prunable seed, age ≥ {inputs.min_prune_age}{whose_age}{prune_condition}",
        "needs a GERMINATED/TRAINING/BLENDING/HOLDING seed old enough and in alpha mode HOLD",
        prune_blocker,
    )
    verdicts[LifecycleOp.FOSSILIZE] = slot_op(
        LifecycleOp.FOSSILIZE, fossilize, "seed in HOLDING", "only a HOLDING seed can be fossilized", stage_of
    )
    verdicts[LifecycleOp.ADVANCE] = slot_op(
        LifecycleOp.ADVANCE,
        advance,
        "seed in GERMINATED/TRAINING/BLENDING",
        "needs a seed in GERMINATED, TRAINING or BLENDING",
        stage_of,
    )
    if inputs.advance_disabled:
        verdicts[LifecycleOp.ADVANCE] = OptionVerdict(
            "op", "ADVANCE", False, f"{inputs.generation}: ADVANCE is disabled for this run (disable_advance)"
        )
    return tuple(verdicts[op] for op in LifecycleOp), can_germinate, bool(retarget)


def _fallback_verdicts(head: str, enum: type, keep: str, open_: bool) -> tuple[OptionVerdict, ...]:
    if open_:
        return tuple(
            OptionVerdict(head, m.name, True, "a GERMINATE or SET_ALPHA_TARGET is possible, so every option is open")
            for m in enum
        )
    return tuple(
        OptionVerdict(
            head,
            m.name,
            m.name == keep,
            f"{keep} is kept open so the head stays well defined (no GERMINATE or SET_ALPHA_TARGET is possible)"
            if m.name == keep
            else "only used by GERMINATE or SET_ALPHA_TARGET, and neither is possible now",
        )
        for m in enum
    )


def explain_masks(inputs: MaskInputs) -> MaskExplanation:
    """Every head's verdicts with reasons. ``masks()`` of the result is the mask itself."""
    op_verdicts, can_germinate, retargetable = _op_verdicts(inputs)
    open_ = can_germinate or retargetable
    return MaskExplanation(
        heads={
            "slot": _slot_verdicts(inputs),
            "blueprint": _blueprint_verdicts(inputs),
            "style": _fallback_verdicts("style", GerminationStyle, GerminationStyle.SIGMOID_ADD.name, open_),
            "tempo": _always_open("tempo", TempoAction, "tempo is never masked"),
            "alpha_target": _fallback_verdicts("alpha_target", AlphaTargetAction, AlphaTargetAction.FULL.name, open_),
            "alpha_speed": _always_open("alpha_speed", AlphaSpeedAction, "alpha speed is never masked"),
            "alpha_curve": _always_open("alpha_curve", AlphaCurveAction, "alpha curve is never masked"),
            "op": op_verdicts,
        }
    )


def compute_masks(inputs: MaskInputs) -> dict[str, tuple[bool, ...]]:
    """Plain-bool masks per head (the rule set without the words)."""
    return explain_masks(inputs).masks()
