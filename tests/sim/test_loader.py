"""The scenario loader: full documents load to the expected records, and every class of bad input is a
``ScenarioError`` that names the exact ``file:line:col`` and field path."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from tamiyo_tui.domain.actions import (
    BLUEPRINT_IDS,
    OP_NAMES,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.errors import InputError
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import load_scenario, parse_scenario
from tamiyo_tui.sim.scenario import (
    ActionEvent,
    ActionSpec,
    BlueprintEffect,
    Expectation,
    GovernorEvent,
    HostEvent,
    HostScript,
    InitialSlot,
    NoteEvent,
    Scenario,
    SlotEvent,
    SourcePos,
)
from tamiyo_tui.sim.starting_slot import starting_slot_problems

FULL_DOCUMENT = """\
schema: 1
name: Every key
description: A document that sets every key once.
seed: 7
episode_length: 30
topology: cnn
slots: [r0c2, r0c0, r0c1, r1c0]
enabled_slots: [r0c1, r0c0]
max_seeds: 4
gates: strict
min_prune_age: 2
policy: lstm
host:
  val_accuracy: [50, 55.5, 60]
  val_loss: [1.2, 1.0, 0.9]
  train_accuracy: [52, 57, 62]
  train_loss: [1.1, 0.95, 0.85]
  params: 2000000
  num_classes: 100
blueprints:
  conv_light: {contribution: 2.5, params: 1200, gradient_ratio: 0.3}
  default: {contribution: -0.5}
initial:
  r0c1:
    stage: BLENDING
    blueprint: conv_light
    alpha: 0.4
    alpha_target: 1.0
    alpha_mode: UP
    steps_total: 5
    steps_done: 2
    epochs_in_stage: 2
    epochs_total: 6
    style: LINEAR_ADD
    tempo: FAST
    contribution: 1.5
  r0c2: {stage: HOLDING, blueprint: norm, epochs_in_stage: 3}
events:
  - at: 3
    note: The host plateaus.
  - at: 4
    action: {op: PRUNE, slot: r0c1, alpha_speed: FAST, alpha_curve: COSINE}
  - at: 5
    governor: rollback
  - at: 6
    host: {val_accuracy: 40, val_loss: 2.0}
  - at: 7
    slot: {r0c2: {alpha_mode: HOLD, epochs_in_stage: 4}}
  - at: 8
    action: {op: GERMINATE, slot: r0c0, blueprint: LORA, style: GATED_GATE, tempo: SLOW}
  - at: 9
    governor: override
expect:
  - at: 4
    masks: {op: {PRUNE: true, FOSSILIZE: false}, slot: {r1c0: true}}
    stage: {r0c1: BLENDING, r0c0: EMPTY}
    action: {op: PRUNE, slot: r0c1}
    accepted: true
    why: {op.FOSSILIZE: "HOLDING"}
"""

# Every document below starts with these five lines, so appended text begins on line 6.
BASE = """\
schema: 1
name: Lesson
description: A test scenario.
host:
  val_accuracy: [50, 60, 70]
"""


def at(line: int, col: int) -> SourcePos:
    return SourcePos("scenario.yaml", line, col)


def parse_error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "scenario.yaml")
    return caught.value


# --- valid documents -------------------------------------------------------------------------------------


def test_full_document_loads_to_the_expected_records() -> None:
    scenario = parse_scenario(FULL_DOCUMENT, "scenario.yaml")

    expected = Scenario(
        name="Every key",
        description="A document that sets every key once.",
        host=HostScript(
            val_accuracy=(50.0, 55.5, 60.0),
            val_loss=(1.2, 1.0, 0.9),
            train_accuracy=(52.0, 57.0, 62.0),
            train_loss=(1.1, 0.95, 0.85),
            params=2_000_000,
            num_classes=100,
        ),
        seed=7,
        episode_length=30,
        topology="cnn",
        slot_config=SlotConfig(("r0c0", "r0c1", "r0c2", "r1c0")),
        enabled_slots=("r0c0", "r0c1"),
        max_seeds=4,
        gates="strict",
        min_prune_age=2,
        policy="lstm",
        blueprints={
            "conv_light": BlueprintEffect(contribution=2.5, params=1200, gradient_ratio=0.3),
            "default": BlueprintEffect(contribution=-0.5, params=0, gradient_ratio=0.2),
        },
        initial={
            "r0c1": InitialSlot(
                stage=SeedStage.BLENDING,
                blueprint="conv_light",
                alpha=0.4,
                alpha_target=1.0,
                alpha_mode=AlphaMode.UP,
                steps_total=5,
                steps_done=2,
                epochs_in_stage=2,
                epochs_total=6,
                style=GerminationStyle.LINEAR_ADD,
                tempo=TempoAction.FAST,
                contribution=1.5,
                source=at(24, 3),
            ),
            "r0c2": InitialSlot(
                stage=SeedStage.HOLDING,
                blueprint="norm",
                alpha=1.0,
                epochs_in_stage=3,
                epochs_total=3,
                source=at(37, 3),
            ),
        },
        events=(
            NoteEvent(3, "The host plateaus.", at(39, 5)),
            ActionEvent(
                4,
                ActionSpec(
                    op=LifecycleOp.PRUNE,
                    slot="r0c1",
                    alpha_speed=AlphaSpeedAction.FAST,
                    alpha_curve=AlphaCurveAction.COSINE,
                ),
                at(41, 5),
            ),
            GovernorEvent(5, "rollback", at(43, 5)),
            HostEvent(6, {"val_accuracy": 40.0, "val_loss": 2.0}, at(45, 5)),
            SlotEvent(7, "r0c2", {"alpha_mode": AlphaMode.HOLD, "epochs_in_stage": 4}, at(48, 12)),
            ActionEvent(
                8,
                ActionSpec(
                    op=LifecycleOp.GERMINATE,
                    slot="r0c0",
                    blueprint=BlueprintAction.LORA,
                    style=GerminationStyle.GATED_GATE,
                    tempo=TempoAction.SLOW,
                ),
                at(49, 5),
            ),
            GovernorEvent(9, "override", at(51, 5)),
        ),
        expect=(
            Expectation(
                at=4,
                masks={"op": {"PRUNE": True, "FOSSILIZE": False}, "slot": {"r1c0": True}},
                stage={"r0c1": "BLENDING", "r0c0": "EMPTY"},
                action={"op": "PRUNE", "slot": "r0c1"},
                accepted=True,
                why={"op.FOSSILIZE": "HOLDING"},
                source=at(54, 5),
            ),
        ),
        path="scenario.yaml",
        sha256=hashlib.sha256(FULL_DOCUMENT.encode()).hexdigest(),
    )
    assert scenario == expected


def test_minimal_document_takes_the_documented_defaults() -> None:
    scenario = parse_scenario(BASE)

    assert scenario == Scenario(
        name="Lesson",
        description="A test scenario.",
        host=HostScript(val_accuracy=(50.0, 60.0, 70.0), params=1_000_000, num_classes=10),
        seed=0,
        episode_length=25,
        topology="cnn",
        slot_config=SlotConfig(("r0c0", "r0c1", "r0c2")),
        enabled_slots=None,
        max_seeds=0,
        gates="permissive",
        min_prune_age=1,
        policy="heuristic",
        blueprints={},
        initial={},
        events=(),
        expect=(),
        path="<string>",
        sha256=hashlib.sha256(BASE.encode()).hexdigest(),
    )


def test_initial_slot_defaults_follow_the_stage() -> None:
    text = BASE + "initial:\n  r0c0: {stage: FOSSILIZED, blueprint: norm}\n  r0c1: {stage: TRAINING, blueprint: noop}\n"

    initial = parse_scenario(text).initial

    assert (initial["r0c0"].alpha, initial["r0c1"].alpha) == (1.0, 0.0)
    assert initial["r0c1"] == InitialSlot(
        stage=SeedStage.TRAINING,
        blueprint="noop",
        alpha=0.0,
        alpha_target=None,
        alpha_mode=AlphaMode.HOLD,
        steps_total=0,
        steps_done=0,
        epochs_in_stage=0,
        epochs_total=0,
        style=GerminationStyle.SIGMOID_ADD,
        tempo=TempoAction.STANDARD,
        contribution=None,
        source=SourcePos("<string>", 8, 3),
    )


def test_accuracy_generator_is_read_with_its_noise_default() -> None:
    text = BASE.replace("[50, 60, 70]", "{start: 40, end: 80.5, plateau_at: 12}")

    generator = parse_scenario(text).host.val_accuracy

    assert (generator.start, generator.end, generator.plateau_at, generator.noise) == (40.0, 80.5, 12, 0.0)  # type: ignore[union-attr]


def test_slots_as_rows_and_cols_give_row_major_ids() -> None:
    scenario = parse_scenario(BASE + "slots: {rows: 2, cols: 3}\n")

    assert scenario.slot_config.slot_ids == ("r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2")


def test_slot_list_is_put_in_row_major_order() -> None:
    scenario = parse_scenario(BASE + "slots: [r1c0, r0c10, r0c2]\nenabled_slots: [r1c0, r0c2]\n")

    assert scenario.slot_config.slot_ids == ("r0c2", "r0c10", "r1c0")
    assert scenario.enabled_slots == ("r0c2", "r1c0")


def test_action_heads_left_out_take_their_defaults() -> None:
    text = BASE + "events:\n  - {at: 1, action: {op: WAIT}}\n  - {at: 2, action: {op: ADVANCE, slot: r0c2}}\n"

    wait, advance = (event.action for event in parse_scenario(text).events)  # type: ignore[union-attr]

    assert wait == ActionSpec(op=LifecycleOp.WAIT, slot=None)
    assert advance == ActionSpec(
        op=LifecycleOp.ADVANCE,
        slot="r0c2",
        blueprint=BlueprintAction.NORM,
        style=GerminationStyle.SIGMOID_ADD,
        tempo=TempoAction.STANDARD,
        alpha_target=AlphaTargetAction.FULL,
        alpha_speed=AlphaSpeedAction.INSTANT,
        alpha_curve=AlphaCurveAction.LINEAR,
    )


def test_germinate_with_a_blueprint_the_topology_lacks_still_loads() -> None:
    # The masks reject it at run time; the file itself is fine.
    text = BASE + "events:\n  - {at: 1, action: {op: GERMINATE, slot: r0c0, blueprint: FLEX_ATTENTION}}\n"

    (event,) = parse_scenario(text).events

    assert event.action.blueprint == BlueprintAction.FLEX_ATTENTION  # type: ignore[union-attr]


def test_empty_collections_read_as_none() -> None:
    scenario = parse_scenario(BASE + "blueprints:\ninitial:\nevents:\nexpect:\n")

    assert (scenario.blueprints, scenario.initial, scenario.events, scenario.expect) == ({}, {}, (), ())


def test_one_event_may_force_several_slots() -> None:
    text = BASE + "events:\n  - at: 2\n    slot:\n      r0c0: {stage: PRUNED}\n      r0c2: {contribution: null}\n"

    first, second = parse_scenario(text).events

    assert first == SlotEvent(2, "r0c0", {"stage": SeedStage.PRUNED}, SourcePos("<string>", 9, 7))
    assert second == SlotEvent(2, "r0c2", {"contribution": None}, SourcePos("<string>", 10, 7))


def test_slot_event_empties_a_slot_with_stage_empty() -> None:
    (event,) = parse_scenario(BASE + "events:\n  - {at: 4, slot: {r0c1: {stage: EMPTY}}}\n").events

    assert event == SlotEvent(4, "r0c1", {"stage": SeedStage.DORMANT}, SourcePos("<string>", 7, 20))


def test_load_scenario_records_the_path_and_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "lesson.yaml"
    data = (BASE + "seed: 3\n").encode()
    path.write_bytes(data)

    scenario = load_scenario(path)

    assert (scenario.path, scenario.sha256, scenario.seed) == (str(path), hashlib.sha256(data).hexdigest(), 3)


# --- the error type --------------------------------------------------------------------------------------


def test_error_renders_file_line_col_field_and_message() -> None:
    error = ScenarioError("s.yaml", 14, 5, "events[2].at", "must be an integer ≥ 1")

    assert str(error) == "s.yaml:14:5: events[2].at: must be an integer ≥ 1"
    assert isinstance(error, InputError)  # what the CLI turns into exit code 2
    assert isinstance(error, ValueError)
    assert str(ScenarioError("s.yaml", 1, 1, "", "the document is empty")) == "s.yaml:1:1: the document is empty"


def test_error_survives_pickling_with_its_attributes() -> None:
    error = pickle.loads(pickle.dumps(ScenarioError("s.yaml", 3, 4, "seed", "bad")))

    assert (error.file, error.line, error.col, error.field, error.message) == ("s.yaml", 3, 4, "seed", "bad")


def test_product_example_error() -> None:
    events = "".join(f"  - at: {epoch}\n    note: Lesson step.\n" for epoch in (1, 2))
    text = BASE + "seed: 1\nepisode_length: 20\nevents:\n" + events + "  - note: Too early.\n    at: 0\n"

    assert str(parse_error(text)) == "scenario.yaml:14:5: events[2].at: must be an integer ≥ 1"


# --- errors, one per class -------------------------------------------------------------------------------

VALID_BLUEPRINT_KEYS = ", ".join((*BLUEPRINT_IDS, "default"))
SEED_STAGES = "GERMINATED, TRAINING, BLENDING, HOLDING, FOSSILIZED, PRUNED, EMBARGOED, RESETTING"

ERROR_CASES: dict[str, tuple[str, str]] = {
    # top level
    "unknown key with a suggestion": (
        BASE + "episode_lenght: 30\n",
        "6:1: unknown key 'episode_lenght' (did you mean 'episode_length'?)",
    ),
    "unknown key without a close match": (
        BASE + "colour: red\n",
        "6:1: unknown key 'colour'; valid: schema, name, description, seed, episode_length, topology, slots, "
        "enabled_slots, max_seeds, gates, lifecycle, min_prune_age, policy, host, blueprints, initial, events, expect",
    ),
    "duplicate key": (BASE + "name: Again\n", "6:1: duplicate key 'name' (first given at line 2)"),
    "schema other than 1": (
        BASE.replace("schema: 1", "schema: 2"),
        "1:1: schema: unsupported schema 2; this version reads schema 1",
    ),
    "missing name": (BASE.replace("name: Lesson\n", ""), "1:1: missing required key 'name'"),
    "missing description": (
        BASE.replace("description: A test scenario.\n", ""),
        "1:1: missing required key 'description'",
    ),
    "empty description": (BASE.replace("A test scenario.", "''"), "3:1: description: must not be empty"),
    "missing host": (BASE.split("host:")[0], "1:1: missing required key 'host'"),
    "boolean is not an integer": (BASE + "seed: true\n", "6:1: seed: must be an integer ≥ 0, got a boolean"),
    "negative seed": (BASE + "seed: -1\n", "6:1: seed: must be an integer ≥ 0"),
    "episode length zero": (
        BASE + "episode_length: 0\n",
        "6:1: episode_length: must be an integer between 1 and 10000",
    ),
    "episode length too long": (
        BASE + "episode_length: 10001\n",
        "6:1: episode_length: must be an integer between 1 and 10000",
    ),
    "float episode length": (
        BASE + "episode_length: 2.5\n",
        "6:1: episode_length: must be an integer between 1 and 10000, got a number",
    ),
    "negative max_seeds": (BASE + "max_seeds: -2\n", "6:1: max_seeds: must be an integer ≥ 0"),
    "negative min_prune_age": (BASE + "min_prune_age: -1\n", "6:1: min_prune_age: must be an integer ≥ 0"),
    "unknown topology": (BASE + "topology: mlp\n", "6:1: topology: unknown topology 'mlp'; valid: cnn, transformer"),
    "unknown gate mode": (
        BASE + "gates: stric\n",
        "6:1: gates: unknown gate mode 'stric' (did you mean 'strict'?); valid: permissive, strict",
    ),
    "yes is a boolean, not a gate mode": (
        BASE + "gates: yes\n",
        "6:1: gates: must be one of permissive, strict, got a boolean",
    ),
    "empty policy": (BASE + "policy: ''\n", "6:1: policy: must not be empty"),
    # slots
    "invalid slot id format": (
        BASE + "slots: [r0c0, slot1]\n",
        "6:15: slots[1]: Invalid slot ID format: 'slot1'. Expected format: 'rXcY' (e.g. 'r0c1')",
    ),
    "legacy slot name": (
        BASE + "slots: [early]\n",
        "6:9: slots[0]: Legacy slot name 'early' is no longer supported; use 'r0c0' instead",
    ),
    "duplicate slot": (BASE + "slots: [r0c0, r0c0]\n", "6:15: slots[1]: duplicate slot 'r0c0'"),
    "empty slot list": (BASE + "slots: []\n", "6:1: slots: must not be empty"),
    "slots neither list nor grid": (
        BASE + "slots: r0c0\n",
        "6:1: slots: must be a list of slot ids or a mapping {rows, cols}, got a string",
    ),
    "grid with zero columns": (
        BASE + "slots: {rows: 2, cols: 0}\n",
        "6:18: slots.cols: must be an integer between 1 and 64",
    ),
    "grid missing rows": (BASE + "slots: {cols: 3}\n", "6:1: slots: missing required key 'rows'"),
    "grid too large": (BASE + "slots: {rows: 9, cols: 8}\n", "6:1: slots: 9 × 8 = 72 slots; at most 64 are supported"),
    "enabled slot outside slots": (
        BASE + "enabled_slots: [r0c0, r1c0]\n",
        "6:23: enabled_slots[1]: unknown slot 'r1c0'; slots: r0c0, r0c1, r0c2",
    ),
    "duplicate enabled slot": (BASE + "enabled_slots: [r0c1, r0c1]\n", "6:23: enabled_slots[1]: duplicate slot 'r0c1'"),
    # host
    "accuracy above 100": (
        BASE.replace("[50, 60, 70]", "[50, 60, 101]"),
        "5:26: host.val_accuracy[2]: must be a number between 0 and 100",
    ),
    "accuracy not finite": (
        BASE.replace("[50, 60, 70]", "[50, .nan]"),
        "5:22: host.val_accuracy[1]: must be a number between 0 and 100, got '.nan'",
    ),
    "accuracy as a string": (
        BASE.replace("[50, 60, 70]", "[50, '60']"),
        "5:22: host.val_accuracy[1]: must be a number between 0 and 100, got a string",
    ),
    "empty accuracy list": (BASE.replace("[50, 60, 70]", "[]"), "5:3: host.val_accuracy: must not be empty"),
    "accuracy neither list nor generator": (
        BASE.replace("[50, 60, 70]", "55"),
        "5:3: host.val_accuracy: must be a list of numbers per epoch or a generator {start, end, plateau_at, noise},"
        " got an integer",
    ),
    "generator without plateau_at": (
        BASE.replace("[50, 60, 70]", "{start: 40, end: 80}"),
        "5:3: host.val_accuracy: missing required key 'plateau_at'",
    ),
    "generator with negative noise": (
        BASE.replace("[50, 60, 70]", "{start: 40, end: 80, plateau_at: 9, noise: -1}"),
        "5:53: host.val_accuracy.noise: must be a number between 0 and 100",
    ),
    "negative loss": (BASE + "  val_loss: [0.5, -1]\n", "6:19: host.val_loss[1]: must be a number ≥ 0"),
    "infinite loss": (BASE + "  train_loss: [.inf]\n", "6:16: host.train_loss[0]: must be a number ≥ 0, got '.inf'"),
    "one class": (BASE + "  num_classes: 1\n", "6:3: host.num_classes: must be an integer ≥ 2"),
    "unknown host key": (BASE + "  val_acc: [1]\n", "6:3: host: unknown key 'val_acc' (did you mean 'val_accuracy'?)"),
    # blueprints
    "unknown blueprint id": (
        BASE + "blueprints:\n  conv_lite: {contribution: 1}\n",
        f"7:3: blueprints: unknown blueprint 'conv_lite' (did you mean 'conv_light'?); valid: {VALID_BLUEPRINT_KEYS}",
    ),
    "blueprint without contribution": (
        BASE + "blueprints:\n  norm: {params: 10}\n",
        "7:3: blueprints.norm: missing required key 'contribution'",
    ),
    "negative gradient ratio": (
        BASE + "blueprints:\n  default: {contribution: 1, gradient_ratio: -0.1}\n",
        "7:30: blueprints.default.gradient_ratio: must be a number ≥ 0",
    ),
    # initial
    "initial slot outside slots": (
        BASE + "initial:\n  r1c0: {stage: TRAINING, blueprint: norm}\n",
        "7:3: initial: unknown slot 'r1c0'; slots: r0c0, r0c1, r0c2",
    ),
    "initial slot id format": (
        BASE + "initial:\n  mid: {stage: TRAINING, blueprint: norm}\n",
        "7:3: initial: Legacy slot name 'mid' is no longer supported; use 'r0c1' instead",
    ),
    "initial without stage": (
        BASE + "initial:\n  r0c1: {blueprint: norm}\n",
        "7:3: initial.r0c1: missing required key 'stage'",
    ),
    "unknown stage": (
        BASE + "initial:\n  r0c1:\n    stage: HOLD\n    blueprint: norm\n",
        f"8:5: initial.r0c1.stage: unknown stage 'HOLD' (did you mean 'HOLDING'?); valid: {SEED_STAGES}",
    ),
    "stage names are case-sensitive": (
        BASE + "initial:\n  r0c1:\n    stage: training\n    blueprint: norm\n",
        f"8:5: initial.r0c1.stage: unknown stage 'training' (did you mean 'TRAINING'?); valid: {SEED_STAGES}",
    ),
    "dormant initial stage": (
        BASE + "initial:\n  r0c1:\n    stage: DORMANT\n    blueprint: norm\n",
        "8:5: initial.r0c1.stage: DORMANT is not a seed stage: leave the slot out to start it empty",
    ),
    "EMPTY initial stage": (
        BASE + "initial:\n  r0c1:\n    stage: EMPTY\n    blueprint: norm\n",
        "8:5: initial.r0c1.stage: EMPTY is not a seed stage: leave the slot out to start it empty",
    ),
    "unknown initial blueprint": (
        BASE + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: CONV_LIGHT\n",
        "9:5: initial.r0c1.blueprint: unknown blueprint 'CONV_LIGHT' (did you mean 'conv_light'?); valid: "
        + ", ".join(BLUEPRINT_IDS),
    ),
    "initial blueprint of another topology": (
        BASE + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: lora\n",
        "9:5: initial.r0c1.blueprint: blueprint 'lora' is not registered for topology cnn (noop, conv_light, "
        "attention, norm, depthwise, bottleneck, conv_small, conv_heavy)",
    ),
    "unknown initial field": (
        BASE + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: norm\n    alpah: 0\n",
        "10:5: initial.r0c1: unknown key 'alpah' (did you mean 'alpha'?)",
    ),
    "alpha above 1": (
        BASE + "initial:\n  r0c1:\n    stage: BLENDING\n    blueprint: norm\n    alpha: 1.5\n",
        "10:5: initial.r0c1.alpha: must be a number between 0 and 1",
    ),
    "partial alpha in HOLDING": (
        BASE + "initial:\n  r0c1:\n    stage: HOLDING\n    blueprint: norm\n    alpha: 0.3\n",
        "10:5: initial.r0c1.alpha: alpha must be 1.0 in HOLDING",
    ),
    "alpha in TRAINING": (
        BASE + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: norm\n    alpha: 0.2\n",
        "10:5: initial.r0c1.alpha: alpha must be 0.0 in TRAINING (a seed blends in from BLENDING on)",
    ),
    "alpha in GERMINATED": (
        BASE + "initial:\n  r0c1:\n    stage: GERMINATED\n    blueprint: norm\n    alpha: 1\n",
        "10:5: initial.r0c1.alpha: alpha must be 0.0 in GERMINATED (a seed blends in from BLENDING on)",
    ),
    "FOSSILIZED below full alpha": (
        BASE + "initial:\n  r0c1:\n    stage: FOSSILIZED\n    blueprint: norm\n    alpha: 0.5\n",
        "10:5: initial.r0c1.alpha: alpha must be 1.0 in FOSSILIZED",
    ),
    "alpha mode outside BLENDING": (
        BASE + "initial:\n  r0c1:\n    stage: HOLDING\n    blueprint: norm\n    alpha_mode: DOWN\n",
        "10:5: initial.r0c1.alpha_mode: alpha_mode DOWN is only possible in BLENDING, not HOLDING",
    ),
    "UP without room to rise": (
        BASE + "initial:\n  r0c1:\n    stage: BLENDING\n    blueprint: norm\n    alpha: 0.7\n"
        "    alpha_target: 0.5\n    alpha_mode: UP\n",
        "12:5: initial.r0c1.alpha_mode: alpha_mode UP needs alpha below alpha_target",
    ),
    "steps done beyond total": (
        BASE + "initial:\n  r0c1:\n    stage: BLENDING\n    blueprint: norm\n    steps_total: 3\n    steps_done: 4\n",
        "11:5: initial.r0c1.steps_done: steps_done (4) exceeds steps_total (3)",
    ),
    "embargo over": (
        BASE + "initial:\n  r0c1:\n    stage: EMBARGOED\n    blueprint: norm\n    epochs_in_stage: 5\n",
        "10:5: initial.r0c1.epochs_in_stage: EMBARGOED lasts 5 epochs: epochs_in_stage must be at most 4",
    ),
    "resetting over": (
        BASE + "initial:\n  r0c1:\n    stage: RESETTING\n    blueprint: norm\n    epochs_in_stage: 1\n",
        "10:5: initial.r0c1.epochs_in_stage: RESETTING lasts 1 epoch: epochs_in_stage must be at most 0",
    ),
    "more epochs in stage than in total": (
        BASE
        + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: norm\n    epochs_in_stage: 4\n    epochs_total: 2\n",
        "10:5: initial.r0c1.epochs_in_stage: epochs_in_stage (4) exceeds epochs_total (2)",
    ),
    # events
    "event at epoch 0": (BASE + "events:\n  - at: 0\n    note: x\n", "7:5: events[0].at: must be an integer ≥ 1"),
    "event at a boolean": (
        BASE + "events:\n  - at: true\n    note: x\n",
        "7:5: events[0].at: must be an integer ≥ 1, got a boolean",
    ),
    "event after the episode end": (
        BASE + "events:\n  - at: 26\n    note: x\n",
        "7:5: events[0].at: epoch 26 is after the episode end (episode_length 25)",
    ),
    "event without at": (BASE + "events:\n  - note: x\n", "7:5: events[0]: missing required key 'at'"),
    "event with nothing to do": (
        BASE + "events:\n  - at: 2\n",
        "7:5: events[0]: an event holds exactly one of host, slot, governor, action, note",
    ),
    "event with two payloads": (
        BASE + "events:\n  - at: 2\n    note: x\n    governor: rollback\n",
        "7:5: events[0]: an event holds exactly one of host, slot, governor, action, note; found governor and note",
    ),
    "events not a list": (BASE + "events: {at: 2}\n", "6:1: events: must be a list, got a mapping"),
    "unknown governor event": (
        BASE + "events:\n  - at: 2\n    governor: rewind\n",
        "8:5: events[0].governor: unknown governor event 'rewind'; valid: rollback, override",
    ),
    "empty note": (BASE + "events:\n  - at: 2\n    note: ' '\n", "8:5: events[0].note: must not be empty"),
    "unknown host metric": (
        BASE + "events:\n  - at: 2\n    host: {params: 5}\n",
        "8:12: events[0].host: unknown key 'params'; valid: val_accuracy, val_loss, train_accuracy, train_loss",
    ),
    "slot event on an unknown slot": (
        BASE + "events:\n  - at: 2\n    slot: {r3c3: {alpha: 1}}\n",
        "8:12: events[0].slot: unknown slot 'r3c3'; slots: r0c0, r0c1, r0c2",
    ),
    "slot event with an unknown field": (
        BASE + "events:\n  - at: 2\n    slot: {r0c0: {alfa: 1}}\n",
        "8:19: events[0].slot.r0c0: unknown key 'alfa' (did you mean 'alpha'?)",
    ),
    "slot event forcing DORMANT": (
        BASE + "events:\n  - at: 2\n    slot: {r0c0: {stage: DORMANT}}\n",
        "8:19: events[0].slot.r0c0.stage: DORMANT is not a seed stage: write EMPTY to empty the slot",
    ),
    "emptied slot with other fields": (
        BASE + "events:\n  - at: 2\n    slot: {r0c0: {stage: EMPTY, alpha: 0}}\n",
        "8:33: events[0].slot.r0c0.alpha: an emptied slot takes no other fields",
    ),
    "slot event that changes nothing": (
        BASE + "events:\n  - at: 2\n    slot: {r0c0: {}}\n",
        "8:12: events[0].slot.r0c0: must not be empty",
    ),
    # actions
    "unknown action head": (
        BASE + "events:\n  - at: 2\n    action: {opp: WAIT}\n",
        "8:14: events[0].action: unknown head 'opp' (did you mean 'op'?)",
    ),
    "unknown op": (
        BASE + "events:\n  - at: 2\n    action: {op: CULL, slot: r0c0}\n",
        f"8:14: events[0].action.op: unknown op option 'CULL'; valid: {', '.join(OP_NAMES)}",
    ),
    "unknown tempo": (
        BASE + "events:\n  - at: 2\n    action: {op: GERMINATE, slot: r0c0, blueprint: NORM, tempo: QUICK}\n",
        "8:58: events[0].action.tempo: unknown tempo option 'QUICK'; valid: FAST, STANDARD, SLOW",
    ),
    "action without op": (
        BASE + "events:\n  - at: 2\n    action: {slot: r0c0}\n",
        "8:5: events[0].action: missing required head 'op'",
    ),
    "action without slot": (
        BASE + "events:\n  - at: 2\n    action: {op: FOSSILIZE}\n",
        "8:5: events[0].action: missing required head 'slot' (every op but WAIT targets a slot, FOSSILIZE too)",
    ),
    "germinate without blueprint": (
        BASE + "events:\n  - at: 2\n    action: {op: GERMINATE, slot: r0c0}\n",
        "8:5: events[0].action: missing required head 'blueprint' (GERMINATE needs one)",
    ),
    "blueprint head takes member names": (
        BASE + "events:\n  - at: 2\n    action: {op: GERMINATE, slot: r0c0, blueprint: conv_light}\n",
        "8:41: events[0].action.blueprint: unknown blueprint option 'conv_light' (did you mean 'CONV_LIGHT'?); valid: "
        + ", ".join(blueprint.name for blueprint in BlueprintAction),
    ),
    "action on an unknown slot": (
        BASE + "events:\n  - at: 2\n    action: {op: PRUNE, slot: r0c9}\n",
        "8:25: events[0].action.slot: unknown slot 'r0c9'; slots: r0c0, r0c1, r0c2",
    ),
    # expectations
    "expectation with nothing to check": (
        BASE + "expect:\n  - at: 3\n",
        "7:5: expect[0]: an expectation needs at least one of masks, stage, action, accepted, why",
    ),
    "unknown expectation key": (
        BASE + "expect:\n  - at: 3\n    mask: {op: {WAIT: true}}\n",
        "8:5: expect[0]: unknown key 'mask' (did you mean 'masks'?)",
    ),
    "expectation after the episode end": (
        BASE + "episode_length: 3\nexpect:\n  - at: 4\n    accepted: true\n",
        "8:5: expect[0].at: epoch 4 is after the episode end (episode_length 3)",
    ),
    "mask of an unknown option": (
        BASE + "expect:\n  - at: 3\n    masks: {alpha_speed: {SLUGGISH: true}}\n",
        "8:27: expect[0].masks.alpha_speed: unknown alpha_speed option 'SLUGGISH'; valid: INSTANT, FAST, MEDIUM, SLOW",
    ),
    "mask value not a boolean": (
        BASE + "expect:\n  - at: 3\n    masks: {op: {WAIT: 1}}\n",
        "8:18: expect[0].masks.op.WAIT: must be a boolean, got an integer",
    ),
    "expected stage DORMANT": (
        BASE + "expect:\n  - at: 3\n    stage: {r0c0: DORMANT}\n",
        "8:13: expect[0].stage.r0c0: DORMANT is not a seed stage: use EMPTY for a slot with no seed",
    ),
    "expected stage of an unknown slot": (
        BASE + "expect:\n  - at: 3\n    stage: {r1c1: EMPTY}\n",
        "8:13: expect[0].stage: unknown slot 'r1c1'; slots: r0c0, r0c1, r0c2",
    ),
    "expected action with unknown option": (
        BASE + "expect:\n  - at: 3\n    action: {alpha_curve: SMOOTH}\n",
        "8:14: expect[0].action.alpha_curve: unknown alpha_curve option 'SMOOTH'; valid: LINEAR, COSINE, "
        "SIGMOID_GENTLE, SIGMOID, SIGMOID_SHARP",
    ),
    "accepted not a boolean": (
        BASE + "expect:\n  - at: 3\n    accepted: maybe\n",
        "8:5: expect[0].accepted: must be a boolean, got a string",
    ),
    "why key without a dot": (
        BASE + "expect:\n  - at: 3\n    why: {PRUNE: age}\n",
        "8:11: expect[0].why: keys are HEAD.OPTION, like 'op.PRUNE', got 'PRUNE'",
    ),
    "why of an unknown head": (
        BASE + "expect:\n  - at: 3\n    why: {ops.PRUNE: age}\n",
        "8:11: expect[0].why: unknown head 'ops' (did you mean 'op'?); valid: "
        + ", ".join(("slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve", "op")),
    ),
    "why of an unknown slot option": (
        BASE + "expect:\n  - at: 3\n    why: {slot.r5c5: disabled}\n",
        "8:11: expect[0].why: unknown slot option 'r5c5'; valid: r0c0, r0c1, r0c2",
    ),
}


@pytest.mark.parametrize(("text", "expected"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_bad_input_names_file_line_col_and_field(text: str, expected: str) -> None:
    assert str(parse_error(text)) == f"scenario.yaml:{expected}"


def test_error_attributes_match_the_rendered_text() -> None:
    error = parse_error(BASE + "initial:\n  r0c1:\n    stage: HOLDING\n    blueprint: norm\n    alpha: 0.3\n")

    assert (error.file, error.line, error.col, error.field) == ("scenario.yaml", 10, 5, "initial.r0c1.alpha")
    assert error.message == "alpha must be 1.0 in HOLDING"


def test_simulator_lifecycle_rules_also_apply_to_initial_slots() -> None:
    # A ramp in TRAINING is no single field's fault: the rules' problem is reported at the entry.
    error = parse_error(BASE + "initial:\n  r0c1:\n    stage: TRAINING\n    blueprint: norm\n    steps_total: 3\n")

    ramp_in_training = InitialSlot(SeedStage.TRAINING, "norm", steps_total=3)
    expected = [problem.message for problem in starting_slot_problems(ramp_in_training)]
    assert expected == ["alpha_mode must be HOLD with no steps in TRAINING: no ramp runs there"]
    assert (error.line, error.col, error.field, error.message) == (7, 3, "initial.r0c1", "; ".join(expected))


# --- document, file and tag errors -----------------------------------------------------------------------

DOCUMENT_ERRORS: dict[str, tuple[str, str]] = {
    "empty text": ("", "1:1: the document is empty"),
    "only comments": ("# nothing here\n", "1:1: the document is empty"),
    "explicit null document": ("--- null\n", "1:5: the document is empty"),
    "top level list": ("- schema: 1\n", "1:1: must be a mapping, got a list"),
    "top level scalar": ("just text\n", "1:1: must be a mapping, got a string"),
    "two documents": (
        BASE + "---\nschema: 1\n",
        "6:1: a second YAML document starts here; the file must hold exactly one",
    ),
    "malformed flow sequence": (
        "schema: 1\nname: [unclosed\n",
        "3:1: invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
    ),
    "tab indentation": (
        "schema: 1\nhost:\n\tval_accuracy: [1]\n",
        "3:1: invalid YAML: found character '\\t' that cannot start any token (while scanning for the next token)",
    ),
    "control character": (
        "schema: 1\nname: a\x07b\n",
        "2:8: invalid character: special characters are not allowed (#x0007)",
    ),
    "undefined alias": ("schema: *one\n", "1:9: invalid YAML: found undefined alias 'one'"),
    "non-string key": (BASE + "3: three\n", "6:1: keys must be strings, got an integer"),
    "merge key": (BASE + "<<: {seed: 1}\n", "6:1: merge keys ('<<') are not supported; write the keys out"),
    "date value": (
        BASE.replace("Lesson", "2024-01-31"),
        "2:1: name: dates and times are not supported; quote the value to make it text",
    ),
    "custom tag": (
        BASE.replace("Lesson", "!secret Lesson"),
        "2:1: name: unsupported tag '!secret'; only plain YAML values are allowed",
    ),
    "binary tag": (
        BASE.replace("Lesson", "!!binary aGk="),
        "2:1: name: unsupported tag '!!binary'; only plain YAML values are allowed",
    ),
    "standard tag on the wrong node": (
        BASE + "seed: !!int [1]\n",
        "6:1: seed: tag '!!int' cannot be used on this value",
    ),
    "invalid explicit integer": (BASE + "seed: !!int twelve\n", "6:1: seed: 'twelve' is not a valid !!int value"),
    "lone surrogate escape": (
        BASE.replace("Lesson", '"\\ud800"'),
        "2:1: name: contains an escaped character that is not valid Unicode",
    ),
}


@pytest.mark.parametrize(("text", "expected"), DOCUMENT_ERRORS.values(), ids=DOCUMENT_ERRORS.keys())
def test_bad_documents_are_positioned_errors(text: str, expected: str) -> None:
    assert str(parse_error(text)) == f"scenario.yaml:{expected}"


def test_python_tags_are_rejected_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    command = f"!!python/object/apply:os.system ['touch {marker}']"

    top_level = parse_error(command + "\n")
    nested = parse_error(BASE + f"policy: {command}\n")

    assert (
        str(top_level)
        == "scenario.yaml:1:1: unsupported tag '!!python/object/apply:os.system'; only plain YAML values are allowed"
    )
    assert (nested.line, nested.col, nested.field) == (6, 1, "policy")
    assert nested.message == "unsupported tag '!!python/object/apply:os.system'; only plain YAML values are allowed"
    assert not marker.exists()


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert str(parse_error("[" * 5000)) == "scenario.yaml:1:1: invalid YAML: nested too deeply"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    assert str(caught.value) == f"{path}: file not found"  # no line: the file itself is missing


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)

    assert str(caught.value) == f"{tmp_path}: is a directory, not a file"


def test_non_utf8_file_points_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"schema: 1\nname: caf\xe9\n")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    assert str(caught.value) == f"{path}:2:10: not UTF-8 text (byte 0xe9 cannot be decoded)"
