"""Reading a scenario's timeline: its `events` (with the factored actions they may hold) and `expect` checks.

Part of the loader (``loader.py``), whose contract holds here too: every bad input is one
``ScenarioError`` at ``file:line:col``.
"""

from __future__ import annotations

from tamiyo_tui.domain.actions import HEAD_NAMES, HEAD_SPECS_BY_NAME, LifecycleOp
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.host import HOST_METRIC_RANGES
from tamiyo_tui.sim.loader_slots import ReadContext, read_forced_stage, read_slot_fields, read_slot_id, read_stage_name
from tamiyo_tui.sim.scenario import (
    ActionEvent,
    ActionSpec,
    Event,
    Expectation,
    GovernorEvent,
    HostEvent,
    NoteEvent,
    SlotEvent,
)
from tamiyo_tui.sim.yaml_nodes import YamlNode, optional, unknown_name_message

GOVERNOR_KINDS = ("rollback", "override")
EVENT_KINDS = ("host", "slot", "governor", "action", "note")
EXPECT_CHECKS = ("masks", "stage", "action", "accepted", "why")


# --- actions ---------------------------------------------------------------------------------------------


def _read_option(node: YamlNode, head: str, context: ReadContext) -> str:
    if head == "slot":
        return read_slot_id(node, context.slot_config)
    options = HEAD_SPECS_BY_NAME[head].names(context.slot_config)
    return node.choice(options, noun=f"{head} option")


def _read_head_options(node: YamlNode, context: ReadContext, required: tuple[str, ...] = ()) -> dict[str, str]:
    """``{head: option name}`` for the heads the mapping names."""
    fields = node.mapping(HEAD_NAMES, required, noun="head", non_empty=True)
    return {head: _read_option(value, head, context) for head, value in fields.items()}


def _read_action_spec(node: YamlNode, context: ReadContext) -> ActionSpec:
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


def _read_epoch(node: YamlNode, context: ReadContext) -> int:
    epoch = node.integer(1)
    if epoch > context.episode_length:
        raise node.error(f"epoch {epoch} is after the episode end (episode_length {context.episode_length})")
    return epoch


def read_events(node: YamlNode, context: ReadContext) -> tuple[Event, ...]:
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


def _read_slot_events(node: YamlNode, at: int, context: ReadContext) -> list[SlotEvent]:
    """``slot: {SLOT_ID: {field: value, …}, …}``: one forced edit per slot named (``stage: EMPTY`` clears it)."""
    events: list[SlotEvent] = []
    for entry in node.entries(non_empty=True):
        slot_id = read_slot_id(entry.key_node, context.slot_config)
        values, nodes = read_slot_fields(entry.value, context, (), read_forced_stage)
        if values.get("stage") == SeedStage.DORMANT and len(values) > 1:
            other = next(key for key in nodes if key != "stage")
            raise nodes[other].error("an emptied slot takes no other fields")
        events.append(SlotEvent(at, slot_id, values, entry.value.source))
    return events


def read_expectations(node: YamlNode, context: ReadContext) -> tuple[Expectation, ...]:
    expectations: list[Expectation] = []
    for item in node.items():
        fields = item.mapping(("at", *EXPECT_CHECKS), ("at",))
        at = _read_epoch(fields["at"], context)
        if not any(check in fields for check in EXPECT_CHECKS):
            raise item.error(f"an expectation needs at least one of {', '.join(EXPECT_CHECKS)}")
        expectations.append(
            Expectation(
                at=at,
                masks=optional(fields, "masks", lambda n: _read_mask_checks(n, context), {}),
                stage=optional(fields, "stage", lambda n: _read_stage_checks(n, context), {}),
                action=optional(fields, "action", lambda n: _read_head_options(n, context), {}),
                accepted=optional(fields, "accepted", lambda n: n.boolean(), None),
                why=optional(fields, "why", lambda n: _read_why_checks(n, context), {}),
                source=item.source,
            )
        )
    return tuple(expectations)


def _read_mask_checks(node: YamlNode, context: ReadContext) -> dict[str, dict[str, bool]]:
    checks: dict[str, dict[str, bool]] = {}
    for head, options in node.mapping(HEAD_NAMES, noun="head", non_empty=True).items():
        entries = options.entries(non_empty=True)
        checks[head] = {_read_option(entry.key_node, head, context): entry.value.boolean() for entry in entries}
    return checks


def _read_stage_checks(node: YamlNode, context: ReadContext) -> dict[str, str]:
    checks: dict[str, str] = {}
    for entry in node.entries(non_empty=True):
        slot_id = read_slot_id(entry.key_node, context.slot_config)
        hint = "use EMPTY for a slot with no seed"
        checks[slot_id] = read_stage_name(entry.value, empty_allowed=True, hint=hint)
    return checks


def _read_why_checks(node: YamlNode, context: ReadContext) -> dict[str, str]:
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
