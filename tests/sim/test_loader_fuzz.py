"""Fuzzing the scenario loader: whatever the input, it yields a Scenario or a positioned ScenarioError.

Valid documents come from a strategy that honours every rule of the schema; the mutated ones start from
those and break them at the data level (delete, rename, retype, insert, out-of-range) and at the text
level (truncation, random tags, random Unicode, random punctuation). The examples add up to 1,110.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tamiyo_tui.domain.actions import (
    ALPHA_CURVE_NAMES,
    ALPHA_SPEED_NAMES,
    CNN_BLUEPRINTS,
    OP_NAMES,
    STYLE_NAMES,
    TEMPO_NAMES,
    BlueprintAction,
)
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import load_scenario, parse_scenario
from tamiyo_tui.sim.scenario import Scenario

FUZZ_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
SLOT_IDS = ("r0c0", "r0c1", "r0c2")
CNN_BLUEPRINT_IDS = sorted(blueprint.name.lower() for blueprint in CNN_BLUEPRINTS)
YAML_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")

# --- valid documents -------------------------------------------------------------------------------------

plain_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=20,
).filter(lambda text: text.strip() != "")
accuracy = st.floats(0.0, 100.0, allow_nan=False)
loss = st.floats(0.0, 10.0, allow_nan=False)


accuracy_lists = st.lists(accuracy, min_size=1, max_size=6)
host_scripts = st.fixed_dictionaries(
    {
        "val_accuracy": accuracy_lists
        | st.fixed_dictionaries({"start": accuracy, "end": accuracy, "plateau_at": st.integers(1, 30)}),
    },
    optional={"val_loss": st.lists(loss, min_size=1, max_size=6), "num_classes": st.integers(2, 1000)},
)

# Seed states the lifecycle can reach, one template per stage (the blueprint is added below).
in_stage = st.integers(0, 4)
seed_state_templates = st.one_of(
    st.just({"stage": "GERMINATED"}),
    st.fixed_dictionaries({"stage": st.just("TRAINING"), "epochs_in_stage": in_stage, "tempo": st.just("SLOW")}),
    st.just({"stage": "BLENDING", "alpha": 0.4, "alpha_target": 1.0, "alpha_mode": "UP", "steps_total": 5}),
    st.just({"stage": "BLENDING", "alpha": 0.7, "alpha_target": 0.7, "style": "GATED_GATE"}),
    st.fixed_dictionaries({"stage": st.just("HOLDING"), "epochs_in_stage": in_stage, "contribution": st.just(1.5)}),
    st.just({"stage": "FOSSILIZED", "alpha": 1.0}),
    st.just({"stage": "PRUNED"}),
    st.fixed_dictionaries({"stage": st.just("EMBARGOED"), "epochs_in_stage": in_stage, "epochs_total": st.just(9)}),
    st.just({"stage": "RESETTING", "epochs_total": 12}),
)
seed_states = st.builds(
    lambda state, blueprint: {**state, "blueprint": blueprint},
    seed_state_templates,
    st.sampled_from(CNN_BLUEPRINT_IDS),
)

slots = st.sampled_from(SLOT_IDS)
actions = st.one_of(
    st.just({"op": "WAIT"}),
    st.fixed_dictionaries(
        {"op": st.just("GERMINATE"), "slot": slots, "blueprint": st.sampled_from([b.name for b in BlueprintAction])},
        optional={"style": st.sampled_from(STYLE_NAMES), "tempo": st.sampled_from(TEMPO_NAMES)},
    ),
    st.fixed_dictionaries(
        {"op": st.sampled_from(OP_NAMES[2:]), "slot": slots},
        optional={"alpha_speed": st.sampled_from(ALPHA_SPEED_NAMES), "alpha_curve": st.sampled_from(ALPHA_CURVE_NAMES)},
    ),
)
forced_fields = st.sampled_from([{"epochs_in_stage": 2}, {"stage": "EMPTY"}, {"contribution": None}])
event_payloads = st.one_of(
    st.fixed_dictionaries({"note": plain_text}),
    st.fixed_dictionaries({"governor": st.sampled_from(["rollback", "override"])}),
    st.fixed_dictionaries({"host": st.fixed_dictionaries({"val_accuracy": accuracy})}),
    st.fixed_dictionaries({"slot": st.dictionaries(slots, forced_fields, min_size=1)}),
    st.fixed_dictionaries({"action": actions}),
)
expectation_checks = st.fixed_dictionaries(
    {},
    optional={
        "masks": st.just({"op": {"WAIT": True, "FOSSILIZE": False}, "slot": {"r0c1": True}}),
        "stage": st.dictionaries(slots, st.sampled_from(["EMPTY", "TRAINING"]), min_size=1),
        "action": st.just({"op": "PRUNE", "slot": "r0c2"}),
        "accepted": st.booleans(),
        "why": st.just({"op.FOSSILIZE": "HOLDING"}),
    },
).filter(bool)
# `at` is drawn up to the longest episode and folded into the drawn episode length below.
timed = st.tuples(st.integers(1, 40), event_payloads)
timed_checks = st.tuples(st.integers(1, 40), expectation_checks)
optional_top_level = st.fixed_dictionaries(
    {},
    optional={
        "seed": st.integers(0, 2**63 - 1),
        "topology": st.just("cnn"),
        "slots": st.just(list(SLOT_IDS)),
        "enabled_slots": st.lists(slots, unique=True),
        "max_seeds": st.integers(0, 10),
        "gates": st.sampled_from(["permissive", "strict"]),
        "min_prune_age": st.integers(0, 5),
        "policy": st.sampled_from(["heuristic", "lstm", "policies/lstm-bc.yaml"]),
        "blueprints": st.dictionaries(
            st.sampled_from([*CNN_BLUEPRINT_IDS, "default"]),
            st.fixed_dictionaries({"contribution": st.floats(-5, 5)}, optional={"params": st.integers(0, 10**6)}),
        ),
        "initial": st.dictionaries(slots, seed_states),
        "events": st.lists(timed, max_size=4),
        "expect": st.lists(timed_checks, max_size=3),
    },
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    episode_length = draw(st.integers(1, 40))
    document: dict[str, Any] = {
        "schema": 1,
        "name": draw(plain_text),
        "description": draw(plain_text),
        "episode_length": episode_length,
        "host": draw(host_scripts),
        **draw(optional_top_level),
    }
    for key in ("events", "expect"):
        if key in document:
            document[key] = [{"at": (at - 1) % episode_length + 1, **rest} for at, rest in document[key]]
    return document


# Only the fuzzer's own dumping uses libyaml (for speed); the loader under test always composes in Python.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


# --- mutations -------------------------------------------------------------------------------------------

any_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    plain_text,
    st.sampled_from(["", "HOLDING", "r9c9", "conv_light", "CONV_LIGHT", "yes", "2024-01-01", "0x1F", "1_000"]),
)
any_value = st.recursive(
    any_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3), max_leaves=6
)
out_of_range = st.sampled_from([-(10**20), -1, -0.5, 0, 1.5, 101, 10_001, 10**30, 1e308, math.inf, math.nan])


def _locations(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) pair in the document tree."""
    found: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for key in list(value):
            found.append((value, key))
            found += _locations(value[key])
    elif isinstance(value, list):
        for index in range(len(value)):
            found.append((value, index))
            found += _locations(value[index])
    return found


def _containers(value: Any) -> list[Any]:
    found = [value] if isinstance(value, dict | list) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found += _containers(child)
    return found


@st.composite
def mutate_data(draw: st.DrawFn, document: dict[str, Any]) -> Any:
    """Apply one to three structural mutations to a copy of ``document`` and return it."""
    # A JSON round trip copies without the sharing that `st.just` values bring, so edits stay local.
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        locations = _locations(document)
        container, key = locations[draw(st.integers(0, len(locations) - 1))]
        operation = draw(st.sampled_from(["delete", "rename", "retype", "insert", "out_of_range"]))
        if operation == "delete":
            del container[key]
        elif operation == "rename" and isinstance(container, dict):
            container[key + draw(st.sampled_from(["x", "_", "S", " "]))] = container.pop(key)
        elif operation == "retype":
            container[key] = draw(any_value)
        elif operation == "insert":
            target = draw(st.sampled_from(_containers(document)))
            if isinstance(target, dict):
                target[draw(plain_text | st.sampled_from(["at", "note", "stage", "slot", "op"]))] = draw(any_value)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(any_value))
        else:
            container[key] = draw(out_of_range)
    return document


TAGS = [
    "!!python/object/apply:os.system ['echo fuzz'] ",
    "!!python/name:os.system ",
    "!custom ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!timestamp ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "&anchor ",
    "*anchor ",
    "<<: ",
]
PUNCTUATION = [":", "-", "[", "]", "{", "}", ",", "#", "'", '"', "\t", "\n", " ", "|", ">", "?", "&", "*", "!", "%"]


@st.composite
def mutate_text(draw: st.DrawFn, text: str) -> str:
    operation = draw(st.sampled_from(["truncate", "tag", "unicode", "punctuation"]))
    position = draw(st.integers(0, len(text)))
    if operation == "truncate":
        return text[:position]
    if operation == "tag":
        return text[:position] + draw(st.sampled_from(TAGS)) + text[position:]
    if operation == "unicode":
        return text[:position] + draw(st.text(min_size=1, max_size=5)) + text[position:]
    return text[:position] + draw(st.sampled_from(PUNCTUATION)) + text[position + 1 :]


# --- the property ----------------------------------------------------------------------------------------


def assert_scenario_or_positioned_error(text: str) -> None:
    """Nothing but a ScenarioError may escape, and it must point inside the document."""
    try:
        scenario = parse_scenario(text, "fuzz.yaml")
    except ScenarioError as err:
        assert err.file == "fuzz.yaml"
        assert err.line >= 1
        assert err.col >= 1
        assert err.line <= len(YAML_LINE_BREAK.split(text)) + 1
        assert str(err).startswith(f"fuzz.yaml:{err.line}:{err.col}: ")
        assert err.message
    else:
        assert isinstance(scenario, Scenario)


@settings(max_examples=250, **FUZZ_SETTINGS)
@given(valid_documents())
def test_generated_documents_load(document: dict[str, Any]) -> None:
    scenario = parse_scenario(dump(document), "valid.yaml")

    assert scenario.name == document["name"]
    assert scenario.episode_length == document["episode_length"]
    assert set(scenario.initial) == set(document.get("initial", {}))
    assert len(scenario.expect) == len(document.get("expect", []))


@settings(max_examples=450, **FUZZ_SETTINGS)
@given(st.data())
def test_mutated_documents_load_or_fail_with_a_position(data: st.DataObject) -> None:
    document = data.draw(mutate_data(data.draw(valid_documents())))
    assert_scenario_or_positioned_error(dump(document))


@settings(max_examples=350, **FUZZ_SETTINGS)
@given(st.data())
def test_mutated_text_loads_or_fails_with_a_position(data: st.DataObject) -> None:
    text = dump(data.draw(valid_documents()))
    for _ in range(data.draw(st.integers(1, 3))):
        text = data.draw(mutate_text(text))
    assert_scenario_or_positioned_error(text)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=60, **FUZZ_SETTINGS)
@given(document=valid_documents(), cut=st.integers(0, 2_000))
def test_file_truncated_at_any_byte_loads_or_fails_with_a_position(
    fuzz_dir: Path, document: dict[str, Any], cut: int
) -> None:
    data = dump(document).encode("utf-8")
    path = fuzz_dir / "truncated.yaml"
    path.write_bytes(data[: cut % (len(data) + 1)])
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert (err.file, err.line >= 1, err.col >= 1) == (str(path), True, True)
