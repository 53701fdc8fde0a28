"""Scenario files (schema 1, ``docs/scenario-format.md``) → ``Scenario`` records.

Every bad input, whatever it is, comes out as one ``ScenarioError`` naming ``file:line:col`` and the
field path; nothing else escapes. Validation is strict: unknown keys, wrong types (a boolean is not a
number), out-of-range values, unknown names and seed states the lifecycle cannot reach are all errors,
so a typo never passes silently. The schema reference for users is ``docs/scenario-format.md``.

This module reads the top level, the host and the blueprints; ``loader_slots.py`` reads the slot layout
and seed states (`initial`, slot-event fields), ``loader_timeline.py`` the `events` and `expect` lists.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import TypeVar, cast

from tamiyo_tui.domain.actions import BLUEPRINT_IDS, VALID_TOPOLOGIES
from tamiyo_tui.domain.constants import DEFAULT_EPISODE_LENGTH, MAX_SEED, MIN_PRUNE_AGE
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.sim.host import HOST_METRIC_RANGES
from tamiyo_tui.sim.loader_slots import (
    CONTRIBUTION_LIMIT,
    ReadContext,
    read_enabled_slots,
    read_initial,
    read_slot_layout,
)
from tamiyo_tui.sim.loader_timeline import read_events, read_expectations
from tamiyo_tui.sim.scenario import (
    DEFAULT_BLUEPRINT_KEY,
    LIFECYCLES,
    SCHEMA_VERSION,
    AccuracyGenerator,
    BlueprintEffect,
    GateMode,
    HostScript,
    Scenario,
)
from tamiyo_tui.sim.yaml_nodes import YamlNode, compose_document, optional, read_source, unknown_name_message

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
    "lifecycle",
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
GATE_MODES: tuple[GateMode, ...] = ("permissive", "strict")
HOST_KEYS = (*HOST_METRIC_RANGES, "params", "num_classes")
GENERATOR_KEYS = ("start", "end", "plateau_at", "noise")
BLUEPRINT_EFFECT_KEYS = ("contribution", "params", "gradient_ratio", "gradient_norm", "gradient_health")

_T = TypeVar("_T")


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
    slot_config = read_slot_layout(fields["slots"]) if "slots" in fields else SlotConfig.default()
    episode_length = optional(
        fields, "episode_length", lambda n: n.integer(1, MAX_EPISODE_LENGTH), DEFAULT_EPISODE_LENGTH
    )
    topology = optional(fields, "topology", lambda n: n.choice(sorted(VALID_TOPOLOGIES), noun="topology"), "cnn")
    gates = optional(fields, "gates", lambda n: n.choice(GATE_MODES, noun="gate mode"), "permissive")
    context = ReadContext(slot_config, episode_length, topology)
    return Scenario(
        name=fields["name"].string(),
        description=fields["description"].string(),
        host=_read_host(fields["host"]),
        seed=optional(fields, "seed", _read_seed, 0),
        episode_length=context.episode_length,
        topology=context.topology,
        slot_config=slot_config,
        enabled_slots=optional(fields, "enabled_slots", lambda n: read_enabled_slots(n, slot_config), None),
        max_seeds=optional(fields, "max_seeds", lambda n: n.integer(0), 0),
        gates=cast(GateMode, gates),
        lifecycle=optional(fields, "lifecycle", lambda n: n.choice(LIFECYCLES, noun="lifecycle"), None),
        min_prune_age=optional(fields, "min_prune_age", lambda n: n.integer(0), MIN_PRUNE_AGE),
        policy=optional(fields, "policy", lambda n: n.string(), "heuristic"),
        blueprints=_optional_collection(fields, "blueprints", _read_blueprints, {}),
        initial=_optional_collection(fields, "initial", lambda n: read_initial(n, context), {}),
        events=_optional_collection(fields, "events", lambda n: read_events(n, context), ()),
        expect=_optional_collection(fields, "expect", lambda n: read_expectations(n, context), ()),
        path=file,
        sha256=sha256,
    )


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
        val_loss=optional(fields, "val_loss", lambda n: _read_metric_list(n, "val_loss"), None),
        train_accuracy=optional(fields, "train_accuracy", lambda n: _read_metric_list(n, "train_accuracy"), None),
        train_loss=optional(fields, "train_loss", lambda n: _read_metric_list(n, "train_loss"), None),
        params=optional(fields, "params", lambda n: n.integer(0), defaults.params),
        num_classes=optional(fields, "num_classes", lambda n: n.integer(2), defaults.num_classes),
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
        noise=optional(fields, "noise", lambda n: n.number(0.0, 100.0), 0.0),
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
            params=optional(fields, "params", lambda n: n.integer(0), defaults.params),
            gradient_ratio=optional(fields, "gradient_ratio", lambda n: n.number(0.0), defaults.gradient_ratio),
            gradient_norm=optional(fields, "gradient_norm", lambda n: n.number(0.0), defaults.gradient_norm),
            gradient_health=optional(fields, "gradient_health", lambda n: n.number(0.0, 1.0), defaults.gradient_health),
        )
    return effects
