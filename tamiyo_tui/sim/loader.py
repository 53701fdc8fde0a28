"""Scenario files (schema 1, ``docs/scenario-format.md``) → ``Scenario`` records.

Every bad input, whatever it is, comes out as one ``ScenarioError`` naming ``file:line:col`` and the
field path; nothing else escapes. Validation is strict: unknown keys, wrong types (a boolean is not a
number), out-of-range values, unknown names and seed states the lifecycle cannot reach are all errors,
so a typo never passes silently. The schema reference for users is ``docs/scenario-format.md``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar, cast

from tamiyo_tui.domain.actions import (
    BLUEPRINT_ID_TO_INDEX,
    BLUEPRINT_IDS,
    HEAD_NAMES,
    HEAD_SPECS_BY_NAME,
    VALID_TOPOLOGIES,
    BlueprintAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
    blueprints_for_topology,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.constants import (
    DEFAULT_EPISODE_LENGTH,
    MAX_SEED,
    MIN_PRUNE_AGE,
)
from tamiyo_tui.domain.slots import SlotConfig, SlotIdError, parse_slot_id, slot_sort_key
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.host import HOST_METRIC_KEYS
from tamiyo_tui.sim.scenario import (
    DEFAULT_BLUEPRINT_KEY,
    SCHEMA_VERSION,
    AccuracyGenerator,
    ActionEvent,
    ActionSpec,
    BlueprintEffect,
    Event,
    Expectation,
    GateMode,
    GovernorEvent,
    HostEvent,
    HostScript,
    InitialSlot,
    NoteEvent,
    Scenario,
    SlotEvent,
)
from tamiyo_tui.sim.seed_state import FULL_ALPHA_STAGES
from tamiyo_tui.sim.starting_slot import starting_slot_problems
from tamiyo_tui.sim.yaml_nodes import YamlNode, compose_document, read_source, unknown_name_message

TOP_LEVEL_KEYS = (
    "schema",
    "name",
    "description",
    "seed",
    "episode_length",
    "topology",
    "slots",
    "enabled_slots",
    "max_seeds",
    "gates",
    "min_prune_age",
    "policy",
    "host",
    "blueprints",
    "initial",
    "events",
    "expect",
)
REQUIRED_TOP_LEVEL_KEYS = ("schema", "name", "description", "host")
MAX_EPISODE_LENGTH = 10_000
MAX_SLOTS = 64
GATE_MODES: tuple[GateMode, ...] = ("permissive", "strict")
GOVERNOR_KINDS = ("rollback", "override")
EVENT_KINDS = ("host", "slot", "governor", "action", "note")
EXPECT_CHECKS = ("masks", "stage", "action", "accepted", "why")
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
# (minimum, maximum) per host metric: accuracies are percentages, losses are non-negative.
HOST_METRIC_RANGES: dict[str, tuple[float, float | None]] = {
    "val_accuracy": (0.0, 100.0),
    "val_loss": (0.0, None),
    "train_accuracy": (0.0, 100.0),
    "train_loss": (0.0, None),
}
assert tuple(HOST_METRIC_RANGES) == HOST_METRIC_KEYS, "the host model and the loader must agree on metrics"
HOST_KEYS = (*HOST_METRIC_RANGES, "params", "num_classes")
GENERATOR_KEYS = ("start", "end", "plateau_at", "noise")
BLUEPRINT_EFFECT_KEYS = ("contribution", "params", "gradient_ratio", "gradient_norm", "gradient_health")
CONTRIBUTION_LIMIT = 100.0  # accuracy points, either sign

_NOT_SEED_STAGE_NAMES = (SeedStage.UNKNOWN.name, SeedStage.DORMANT.name)
SEED_STAGE_NAMES = tuple(stage.name for stage in SeedStage if stage.name not in _NOT_SEED_STAGE_NAMES)

_E = TypeVar("_E", bound=IntEnum)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Context:
    """What later sections are validated against: fixed by the top-level keys."""

    slot_config: SlotConfig
    episode_length: int
    topology: str


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file; any problem is a ``ScenarioError`` at ``file:line:col``."""
    file = os.fsdecode(path)
    text, data = read_source(file)
    return _build(compose_document(text, file), file, hashlib.sha256(data).hexdigest())


def parse_scenario(text: str, file: str = "<string>") -> Scenario:
    """Validate scenario YAML given as text; ``file`` names the source in errors and positions."""
    root = compose_document(text, file)
    # A successful parse proves the text holds no lone surrogate, but never let hashing be the thing that fails.
    return _build(root, file, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def _build(root: YamlNode, file: str, sha256: str) -> Scenario:
    fields = root.mapping(TOP_LEVEL_KEYS, REQUIRED_TOP_LEVEL_KEYS)
    schema = fields["schema"].integer()
    if schema != SCHEMA_VERSION:
        raise fields["schema"].error(f"unsupported schema {schema}; this version reads schema {SCHEMA_VERSION}")
    slot_config = _read_slots(fields["slots"]) if "slots" in fields else SlotConfig.default()
    episode_length = _optional(
        fields, "episode_length", lambda n: n.integer(1, MAX_EPISODE_LENGTH), DEFAULT_EPISODE_LENGTH
    )
    topology = _optional(fields, "topology", lambda n: n.choice(sorted(VALID_TOPOLOGIES), noun="topology"), "cnn")
    gates = _optional(fields, "gates", lambda n: n.choice(GATE_MODES, noun="gate mode"), "permissive")
    context = _Context(slot_config, episode_length, topology)
    return Scenario(
        name=fields["name"].string(),
        description=fields["description"].string(),
        host=_read_host(fields["host"]),
        seed=_optional(fields, "seed", _read_seed, 0),
        episode_length=context.episode_length,
        topology=context.topology,
        slot_config=slot_config,
        enabled_slots=_optional(fields, "enabled_slots", lambda n: _read_enabled_slots(n, slot_config), None),
        max_seeds=_optional(fields, "max_seeds", lambda n: n.integer(0), 0),
        gates=cast(GateMode, gates),
        min_prune_age=_optional(fields, "min_prune_age", lambda n: n.integer(0), MIN_PRUNE_AGE),
        policy=_optional(fields, "policy", lambda n: n.string(), "heuristic"),
        blueprints=_optional_collection(fields, "blueprints", _read_blueprints, {}),
        initial=_optional_collection(fields, "initial", lambda n: _read_initial(n, context), {}),
        events=_optional_collection(fields, "events", lambda n: _read_events(n, context), ()),
        expect=_optional_collection(fields, "expect", lambda n: _read_expectations(n, context), ()),
        path=file,
        sha256=sha256,
    )


def _optional(fields: dict[str, YamlNode], key: str, read: Callable[[YamlNode], _T], default: _T) -> _T:
    return read(fields[key]) if key in fields else default


def _optional_collection(fields: dict[str, YamlNode], key: str, read: Callable[[YamlNode], _T], default: _T) -> _T:
    # `events:` with every item commented out is null: read it as "none" rather than a type error.
    if key not in fields or fields[key].is_null:
        return default
    return read(fields[key])


def _read_seed(node: YamlNode) -> int:
    seed = node.integer(0)
    if seed > MAX_SEED:
        raise node.error("must be below 2**63")
    return seed


# --- slots -----------------------------------------------------------------------------------------------


def _read_slots(node: YamlNode) -> SlotConfig:
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


def _slot_id(node: YamlNode, slot_config: SlotConfig) -> str:
    """A slot id of the scenario's ``slots``; ``node`` may be a value or a mapping key."""
    slot_id = node.string()
    try:
        parse_slot_id(slot_id)
    except SlotIdError as err:
        raise node.error(str(err)) from None
    if slot_id not in slot_config.slot_ids:
        raise node.error(f"unknown slot {slot_id!r}; slots: {', '.join(slot_config.slot_ids)}")
    return slot_id


def _read_enabled_slots(node: YamlNode, slot_config: SlotConfig) -> tuple[str, ...]:
    enabled: set[str] = set()
    for item in node.items():
        slot_id = _slot_id(item, slot_config)
        if slot_id in enabled:
            raise item.error(f"duplicate slot {slot_id!r}")
        enabled.add(slot_id)
    return tuple(slot_id for slot_id in slot_config.slot_ids if slot_id in enabled)


# --- host and blueprints ---------------------------------------------------------------------------------


def _read_host(node: YamlNode) -> HostScript:
    fields = node.mapping(HOST_KEYS, ("val_accuracy",))
    accuracy_node = fields["val_accuracy"]
    accuracy_node.check_tag()
    val_accuracy = (
        _read_generator(accuracy_node) if accuracy_node.is_mapping else _read_metric_list(accuracy_node, "val_accuracy")
    )
    defaults = HostScript(val_accuracy=())
    return HostScript(
        val_accuracy=val_accuracy,
        val_loss=_optional(fields, "val_loss", lambda n: _read_metric_list(n, "val_loss"), None),
        train_accuracy=_optional(fields, "train_accuracy", lambda n: _read_metric_list(n, "train_accuracy"), None),
        train_loss=_optional(fields, "train_loss", lambda n: _read_metric_list(n, "train_loss"), None),
        params=_optional(fields, "params", lambda n: n.integer(0), defaults.params),
        num_classes=_optional(fields, "num_classes", lambda n: n.integer(2), defaults.num_classes),
    )


def _read_metric_list(node: YamlNode, metric: str) -> tuple[float, ...]:
    """One value per epoch, epoch 1 first."""
    if not node.is_list:
        node.check_tag()
        generator = " or a generator {start, end, plateau_at, noise}" if metric == "val_accuracy" else ""
        raise node.error(f"must be a list of numbers per epoch{generator}, got {node.kind}")
    minimum, maximum = HOST_METRIC_RANGES[metric]
    return tuple(item.number(minimum, maximum) for item in node.items(non_empty=True))


def _read_generator(node: YamlNode) -> AccuracyGenerator:
    fields = node.mapping(GENERATOR_KEYS, ("start", "end", "plateau_at"))
    return AccuracyGenerator(
        start=fields["start"].number(0.0, 100.0),
        end=fields["end"].number(0.0, 100.0),
        plateau_at=fields["plateau_at"].integer(1, MAX_EPISODE_LENGTH),
        noise=_optional(fields, "noise", lambda n: n.number(0.0, 100.0), 0.0),
    )


def _read_blueprints(node: YamlNode) -> dict[str, BlueprintEffect]:
    names = (*BLUEPRINT_IDS, DEFAULT_BLUEPRINT_KEY)
    effects: dict[str, BlueprintEffect] = {}
    for entry in node.entries():
        if entry.key not in names:
            raise entry.key_node.error(unknown_name_message("blueprint", entry.key, names))
        fields = entry.value.mapping(BLUEPRINT_EFFECT_KEYS, ("contribution",))
        defaults = BlueprintEffect()
        effects[entry.key] = BlueprintEffect(
            contribution=fields["contribution"].number(-CONTRIBUTION_LIMIT, CONTRIBUTION_LIMIT),
            params=_optional(fields, "params", lambda n: n.integer(0), defaults.params),
            gradient_ratio=_optional(fields, "gradient_ratio", lambda n: n.number(0.0), defaults.gradient_ratio),
            gradient_norm=_optional(fields, "gradient_norm", lambda n: n.number(0.0), defaults.gradient_norm),
            gradient_health=_optional(
                fields, "gradient_health", lambda n: n.number(0.0, 1.0), defaults.gradient_health
            ),
        )
    return effects


# --- seed states (`initial` and slot events) -------------------------------------------------------------


def _enum_member(node: YamlNode, enum: type[_E], noun: str) -> _E:
    return enum[node.choice(tuple(member.name for member in enum), noun=noun)]


def _read_stage_name(node: YamlNode, *, empty_allowed: bool, hint: str) -> str:
    """A seed stage name, or EMPTY where allowed; UNKNOWN and DORMANT (never seed states) get ``hint``."""
    names = (*SEED_STAGE_NAMES, EMPTY_STAGE) if empty_allowed else SEED_STAGE_NAMES
    word = node.node.value if node.is_string else None
    if word in (*_NOT_SEED_STAGE_NAMES, EMPTY_STAGE) and word not in names:
        raise node.error(f"{word} is not a seed stage: {hint}")
    return node.choice(names, noun="stage")


def _read_initial_stage(node: YamlNode) -> SeedStage:
    return SeedStage[_read_stage_name(node, empty_allowed=False, hint="leave the slot out to start it empty")]


def _read_forced_stage(node: YamlNode) -> SeedStage:
    """A slot event's stage; EMPTY clears the slot, which the simulator spells DORMANT."""
    name = _read_stage_name(node, empty_allowed=True, hint="write EMPTY to empty the slot")
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


_SLOT_FIELD_READERS: dict[str, Callable[[YamlNode, _Context], object]] = {
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


def _read_slot_fields(
    node: YamlNode, context: _Context, required: tuple[str, ...], read_stage: Callable[[YamlNode], SeedStage]
) -> tuple[dict[str, object], dict[str, YamlNode]]:
    """Typed values of an `initial` entry or a slot event, and the nodes they came from."""
    nodes = node.mapping(SLOT_FIELD_KEYS, required, non_empty=True)
    values = {
        key: read_stage(value) if key == "stage" else _SLOT_FIELD_READERS[key](value, context)
        for key, value in nodes.items()
    }
    return values, nodes


def _read_initial(node: YamlNode, context: _Context) -> dict[str, InitialSlot]:
    initial: dict[str, InitialSlot] = {}
    for entry in node.entries():
        slot_id = _slot_id(entry.key_node, context.slot_config)
        values, nodes = _read_slot_fields(entry.value, context, ("stage", "blueprint"), _read_initial_stage)
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


# --- actions ---------------------------------------------------------------------------------------------


def _read_option(node: YamlNode, head: str, context: _Context) -> str:
    if head == "slot":
        return _slot_id(node, context.slot_config)
    options = HEAD_SPECS_BY_NAME[head].names(context.slot_config)
    return node.choice(options, noun=f"{head} option")


def _read_head_options(node: YamlNode, context: _Context, required: tuple[str, ...] = ()) -> dict[str, str]:
    """``{head: option name}`` for the heads the mapping names."""
    fields = node.mapping(HEAD_NAMES, required, noun="head", non_empty=True)
    return {head: _read_option(value, head, context) for head, value in fields.items()}


def _read_action_spec(node: YamlNode, context: _Context) -> ActionSpec:
    names = _read_head_options(node, context, required=("op",))
    op = LifecycleOp[names["op"]]
    if op != LifecycleOp.WAIT and "slot" not in names:
        raise node.error(f"missing required head 'slot' (every op but WAIT targets a slot, {op.name} too)")
    if op == LifecycleOp.GERMINATE and "blueprint" not in names:
        raise node.error("missing required head 'blueprint' (GERMINATE needs one)")
    options: dict[str, object] = {
        head: HEAD_SPECS_BY_NAME[head].enum[name]  # type: ignore[index]
        for head, name in names.items()
        if head not in ("slot", "op")
    }
    return ActionSpec(op=op, slot=names.get("slot"), **options)  # type: ignore[arg-type]


# --- events and expectations -----------------------------------------------------------------------------


def _read_epoch(node: YamlNode, context: _Context) -> int:
    epoch = node.integer(1)
    if epoch > context.episode_length:
        raise node.error(f"epoch {epoch} is after the episode end (episode_length {context.episode_length})")
    return epoch


def _read_events(node: YamlNode, context: _Context) -> tuple[Event, ...]:
    events: list[Event] = []
    for item in node.items():
        fields = item.mapping(("at", *EVENT_KINDS), ("at",))
        at = _read_epoch(fields["at"], context)
        kinds = [kind for kind in EVENT_KINDS if kind in fields]
        if len(kinds) != 1:
            found = f"; found {' and '.join(kinds)}" if kinds else ""
            raise item.error(f"an event holds exactly one of {', '.join(EVENT_KINDS)}{found}")
        value = fields[kinds[0]]
        if kinds[0] == "slot":
            events += _read_slot_events(value, at, context)
        elif kinds[0] == "host":
            metrics = value.mapping(tuple(HOST_METRIC_RANGES), non_empty=True)
            values = {key: metric.number(*HOST_METRIC_RANGES[key]) for key, metric in metrics.items()}
            events.append(HostEvent(at, values, item.source))
        elif kinds[0] == "governor":
            kind = value.choice(GOVERNOR_KINDS, noun="governor event")
            events.append(GovernorEvent(at, "rollback" if kind == "rollback" else "override", item.source))
        elif kinds[0] == "action":
            events.append(ActionEvent(at, _read_action_spec(value, context), item.source))
        else:
            events.append(NoteEvent(at, value.string(), item.source))
    return tuple(events)


def _read_slot_events(node: YamlNode, at: int, context: _Context) -> list[SlotEvent]:
    """``slot: {SLOT_ID: {field: value, …}, …}``: one forced edit per slot named (``stage: EMPTY`` clears it)."""
    events: list[SlotEvent] = []
    for entry in node.entries(non_empty=True):
        slot_id = _slot_id(entry.key_node, context.slot_config)
        values, nodes = _read_slot_fields(entry.value, context, (), _read_forced_stage)
        if values.get("stage") == SeedStage.DORMANT and len(values) > 1:
            other = next(key for key in nodes if key != "stage")
            raise nodes[other].error("an emptied slot takes no other fields")
        events.append(SlotEvent(at, slot_id, values, entry.value.source))
    return events


def _read_expectations(node: YamlNode, context: _Context) -> tuple[Expectation, ...]:
    expectations: list[Expectation] = []
    for item in node.items():
        fields = item.mapping(("at", *EXPECT_CHECKS), ("at",))
        at = _read_epoch(fields["at"], context)
        if not any(check in fields for check in EXPECT_CHECKS):
            raise item.error(f"an expectation needs at least one of {', '.join(EXPECT_CHECKS)}")
        expectations.append(
            Expectation(
                at=at,
                masks=_optional(fields, "masks", lambda n: _read_mask_checks(n, context), {}),
                stage=_optional(fields, "stage", lambda n: _read_stage_checks(n, context), {}),
                action=_optional(fields, "action", lambda n: _read_head_options(n, context), {}),
                accepted=_optional(fields, "accepted", lambda n: n.boolean(), None),
                why=_optional(fields, "why", lambda n: _read_why_checks(n, context), {}),
                source=item.source,
            )
        )
    return tuple(expectations)


def _read_mask_checks(node: YamlNode, context: _Context) -> dict[str, dict[str, bool]]:
    checks: dict[str, dict[str, bool]] = {}
    for head, options in node.mapping(HEAD_NAMES, noun="head", non_empty=True).items():
        entries = options.entries(non_empty=True)
        checks[head] = {_read_option(entry.key_node, head, context): entry.value.boolean() for entry in entries}
    return checks


def _read_stage_checks(node: YamlNode, context: _Context) -> dict[str, str]:
    checks: dict[str, str] = {}
    for entry in node.entries(non_empty=True):
        slot_id = _slot_id(entry.key_node, context.slot_config)
        hint = "use EMPTY for a slot with no seed"
        checks[slot_id] = _read_stage_name(entry.value, empty_allowed=True, hint=hint)
    return checks


def _read_why_checks(node: YamlNode, context: _Context) -> dict[str, str]:
    checks: dict[str, str] = {}
    for entry in node.entries(non_empty=True):
        head, dot, option = entry.key.partition(".")
        if not dot:
            raise entry.key_node.error(f"keys are HEAD.OPTION, like 'op.PRUNE', got {entry.key!r}")
        if head not in HEAD_NAMES:
            raise entry.key_node.error(unknown_name_message("head", head, HEAD_NAMES))
        options = HEAD_SPECS_BY_NAME[head].names(context.slot_config)
        if option not in options:
            raise entry.key_node.error(unknown_name_message(f"{head} option", option, options))
        checks[entry.key] = entry.value.string()
    return checks
