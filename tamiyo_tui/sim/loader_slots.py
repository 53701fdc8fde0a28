"""Reading a scenario's slots: the slot layout, slot ids, and seed states (`initial` and slot-event fields).

Part of the loader (``loader.py``), whose contract holds here too: every bad input is one
``ScenarioError`` at ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar, cast

from tamiyo_tui.domain.actions import (
    BLUEPRINT_ID_TO_INDEX,
    BLUEPRINT_IDS,
    BlueprintAction,
    GerminationStyle,
    TempoAction,
    blueprints_for_topology,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.slots import SlotConfig, SlotIdError, parse_slot_id, slot_sort_key
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.scenario import InitialSlot
from tamiyo_tui.sim.seed_state import FULL_ALPHA_STAGES
from tamiyo_tui.sim.starting_slot import starting_slot_problems
from tamiyo_tui.sim.yaml_nodes import YamlNode

MAX_SLOTS = 64
EMPTY_STAGE = "EMPTY"
SLOT_FIELD_KEYS = (
    "stage",
    "blueprint",
    "alpha",
    "alpha_target",
    "alpha_mode",
    "steps_total",
    "steps_done",
    "epochs_in_stage",
    "epochs_total",
    "style",
    "tempo",
    "contribution",
)
CONTRIBUTION_LIMIT = 100.0  # accuracy points, either sign

_NOT_SEED_STAGE_NAMES = (SeedStage.UNKNOWN.name, SeedStage.DORMANT.name)
SEED_STAGE_NAMES = tuple(stage.name for stage in SeedStage if stage.name not in _NOT_SEED_STAGE_NAMES)

_E = TypeVar("_E", bound=IntEnum)


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What later sections are validated against: fixed by the top-level keys."""

    slot_config: SlotConfig
    episode_length: int
    topology: str


# --- the slot layout -------------------------------------------------------------------------------------


def read_slot_layout(node: YamlNode) -> SlotConfig:
    node.check_tag()
    if node.is_mapping:
        grid = node.mapping(("rows", "cols"), ("rows", "cols"))
        rows, cols = grid["rows"].integer(1, MAX_SLOTS), grid["cols"].integer(1, MAX_SLOTS)
        if rows * cols > MAX_SLOTS:
            raise node.error(f"{rows} × {cols} = {rows * cols} slots; at most {MAX_SLOTS} are supported")
        return SlotConfig.for_grid(rows, cols)
    if not node.is_list:
        raise node.error(f"must be a list of slot ids or a mapping {{rows, cols}}, got {node.kind}")
    items = node.items(non_empty=True)
    if len(items) > MAX_SLOTS:
        raise node.error(f"{len(items)} slots; at most {MAX_SLOTS} are supported")
    slot_ids: list[str] = []
    for item in items:
        slot_id = item.string()
        try:
            parse_slot_id(slot_id)
        except SlotIdError as err:
            raise item.error(str(err)) from None
        if slot_id in slot_ids:
            raise item.error(f"duplicate slot {slot_id!r}")
        slot_ids.append(slot_id)
    # Row-major order fixes the slot head's action indices, whatever order the file lists them in.
    return SlotConfig(tuple(sorted(slot_ids, key=slot_sort_key)))


def read_slot_id(node: YamlNode, slot_config: SlotConfig) -> str:
    """A slot id of the scenario's ``slots``; ``node`` may be a value or a mapping key."""
    slot_id = node.string()
    try:
        parse_slot_id(slot_id)
    except SlotIdError as err:
        raise node.error(str(err)) from None
    if slot_id not in slot_config.slot_ids:
        raise node.error(f"unknown slot {slot_id!r}; slots: {', '.join(slot_config.slot_ids)}")
    return slot_id


def read_enabled_slots(node: YamlNode, slot_config: SlotConfig) -> tuple[str, ...]:
    enabled: set[str] = set()
    for item in node.items():
        slot_id = read_slot_id(item, slot_config)
        if slot_id in enabled:
            raise item.error(f"duplicate slot {slot_id!r}")
        enabled.add(slot_id)
    return tuple(slot_id for slot_id in slot_config.slot_ids if slot_id in enabled)


# --- seed states (`initial` and slot events) -------------------------------------------------------------


def _enum_member(node: YamlNode, enum: type[_E], noun: str) -> _E:
    return enum[node.choice(tuple(member.name for member in enum), noun=noun)]


def read_stage_name(node: YamlNode, *, empty_allowed: bool, hint: str) -> str:
    """A seed stage name, or EMPTY where allowed; UNKNOWN and DORMANT (never seed states) get ``hint``."""
    names = (*SEED_STAGE_NAMES, EMPTY_STAGE) if empty_allowed else SEED_STAGE_NAMES
    word = node.node.value if node.is_string else None
    if word in (*_NOT_SEED_STAGE_NAMES, EMPTY_STAGE) and word not in names:
        raise node.error(f"{word} is not a seed stage: {hint}")
    return node.choice(names, noun="stage")


def _read_initial_stage(node: YamlNode) -> SeedStage:
    return SeedStage[read_stage_name(node, empty_allowed=False, hint="leave the slot out to start it empty")]


def read_forced_stage(node: YamlNode) -> SeedStage:
    """A slot event's stage; EMPTY clears the slot, which the simulator spells DORMANT."""
    name = read_stage_name(node, empty_allowed=True, hint="write EMPTY to empty the slot")
    return SeedStage.DORMANT if name == EMPTY_STAGE else SeedStage[name]


def _read_blueprint_id(node: YamlNode, topology: str) -> str:
    blueprint_id = node.choice(BLUEPRINT_IDS, noun="blueprint")
    registered = blueprints_for_topology(topology)
    if BlueprintAction(BLUEPRINT_ID_TO_INDEX[blueprint_id]) not in registered:
        names = ", ".join(bp_id for bp_id in BLUEPRINT_IDS if BlueprintAction[bp_id.upper()] in registered)
        raise node.error(f"blueprint {blueprint_id!r} is not registered for topology {topology} ({names})")
    return blueprint_id


def _read_contribution(node: YamlNode) -> float | None:
    return None if node.is_null else node.number(-CONTRIBUTION_LIMIT, CONTRIBUTION_LIMIT)


_SLOT_FIELD_READERS: dict[str, Callable[[YamlNode, ReadContext], object]] = {
    "blueprint": lambda node, context: _read_blueprint_id(node, context.topology),
    "alpha": lambda node, _: node.number(0.0, 1.0),
    "alpha_target": lambda node, _: None if node.is_null else node.number(0.0, 1.0),
    "alpha_mode": lambda node, _: _enum_member(node, AlphaMode, "alpha mode"),
    "steps_total": lambda node, _: node.integer(0),
    "steps_done": lambda node, _: node.integer(0),
    "epochs_in_stage": lambda node, _: node.integer(0),
    "epochs_total": lambda node, _: node.integer(0),
    "style": lambda node, _: _enum_member(node, GerminationStyle, "style"),
    "tempo": lambda node, _: _enum_member(node, TempoAction, "tempo"),
    "contribution": lambda node, _: _read_contribution(node),
}
assert ("stage", *_SLOT_FIELD_READERS) == SLOT_FIELD_KEYS


def read_slot_fields(
    node: YamlNode, context: ReadContext, required: tuple[str, ...], read_stage: Callable[[YamlNode], SeedStage]
) -> tuple[dict[str, object], dict[str, YamlNode]]:
    """Typed values of an `initial` entry or a slot event, and the nodes they came from."""
    nodes = node.mapping(SLOT_FIELD_KEYS, required, non_empty=True)
    values = {
        key: read_stage(value) if key == "stage" else _SLOT_FIELD_READERS[key](value, context)
        for key, value in nodes.items()
    }
    return values, nodes


def read_initial(node: YamlNode, context: ReadContext) -> dict[str, InitialSlot]:
    initial: dict[str, InitialSlot] = {}
    for entry in node.entries():
        slot_id = read_slot_id(entry.key_node, context.slot_config)
        values, nodes = read_slot_fields(entry.value, context, ("stage", "blueprint"), _read_initial_stage)
        stage = cast(SeedStage, values["stage"])
        epochs_in_stage = cast(int, values.get("epochs_in_stage", 0))
        slot = InitialSlot(
            stage=stage,
            blueprint=cast(str, values["blueprint"]),
            alpha=cast(float, values.get("alpha", 1.0 if stage in FULL_ALPHA_STAGES else 0.0)),
            alpha_target=cast("float | None", values.get("alpha_target")),
            alpha_mode=cast(AlphaMode, values.get("alpha_mode", AlphaMode.HOLD)),
            steps_total=cast(int, values.get("steps_total", 0)),
            steps_done=cast(int, values.get("steps_done", 0)),
            epochs_in_stage=epochs_in_stage,
            epochs_total=cast(int, values.get("epochs_total", epochs_in_stage)),
            style=cast(GerminationStyle, values.get("style", GerminationStyle.SIGMOID_ADD)),
            tempo=cast(TempoAction, values.get("tempo", TempoAction.STANDARD)),
            contribution=cast("float | None", values.get("contribution")),
            source=entry.value.source,
        )
        _check_starting_slot(slot, entry.value, nodes)
        initial[slot_id] = slot
    return initial


def _check_starting_slot(slot: InitialSlot, node: YamlNode, nodes: dict[str, YamlNode]) -> None:
    """The lifecycle's rules for a starting state, the simulator's too: the first problem that names a
    field is reported at that field (at the entry when the file leaves the field out), the rest together."""
    problems = starting_slot_problems(slot)
    for problem in problems:
        if problem.field is not None:
            at = nodes.get(problem.field, node)
            raise ScenarioError(at.file, at.line, at.col, node.child_path(problem.field), problem.message)
    if problems:
        raise node.error("; ".join(problem.message for problem in problems))
