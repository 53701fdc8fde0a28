"""The shipped lessons (scenarios/*.yaml): every expectation holds, every lesson narrates and checks,
together they teach every mask rule, and a broken expectation is reported the way `check` promises."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tamiyo_tui.domain.actions import AlphaTargetAction, GerminationStyle, LifecycleOp
from tamiyo_tui.session.headless import check_scenario, drive, open_run
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import NoteEvent, Scenario

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
LESSON_NAME = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")
LESSONS = sorted(SCENARIOS.glob("*.yaml"))
MIN_LESSONS = 10


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


@functools.cache
def _scenario(path: Path) -> Scenario:
    return load_scenario(path)


@functools.cache
def _records(path: Path) -> dict[int, DecisionRecord]:
    """The lesson run headless to its end, by epoch (the lesson's own policy, as `check` runs it)."""
    opened = open_run(str(path), device="cpu", shadow=False)
    by_epoch: dict[int, DecisionRecord] = {}
    drive(opened.session, opened.scenario.episode_length, lambda record: by_epoch.__setitem__(record.epoch, record))
    return by_epoch


def _lesson(stem: str) -> Path:
    (path,) = SCENARIOS.glob(f"{stem}.yaml")
    return path


# --- each lesson ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_expectation_of_the_lesson_holds(path: Path) -> None:
    failures, checks = check_scenario(str(path), device="cpu")
    assert [str(failure) for failure in failures] == []
    assert checks > 0


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_is_short_narrated_and_checked(path: Path) -> None:
    scenario = _scenario(path)
    assert LESSON_NAME.match(path.name), f"{path.name} is not NN-name.yaml"
    assert scenario.name.startswith(path.name[:2]), "the lesson's name starts with its number"
    assert scenario.description.strip()
    assert 10 <= scenario.episode_length <= 25
    assert any(isinstance(event, NoteEvent) for event in scenario.events)
    assert scenario.expect


def test_lessons_are_numbered_from_01_without_gaps() -> None:
    numbers = [int(LESSON_NAME.match(path.name).group(1)) for path in LESSONS]  # type: ignore[union-attr]
    assert len(numbers) >= MIN_LESSONS
    assert numbers == list(range(1, len(numbers) + 1))
    assert (SCENARIOS / "01-first-seed.yaml") in LESSONS
    assert (SCENARIOS / "02-prune-needs-hold.yaml") in LESSONS


def test_the_index_lists_every_lesson() -> None:
    index = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in index


# --- what the lessons teach together ----------------------------------------------------------------------


def _mask_checks() -> set[tuple[str, str, bool]]:
    return {
        (head, option, allowed)
        for path in LESSONS
        for expectation in _scenario(path).expect
        for head, options in expectation.masks.items()
        for option, allowed in options.items()
    }


def _why_checks() -> set[str]:
    return {key for path in LESSONS for expectation in _scenario(path).expect for key in expectation.why}


def test_every_op_is_shown_allowed_and_masked_with_its_reason() -> None:
    masks, why = _mask_checks(), _why_checks()
    for op in LifecycleOp:
        assert ("op", op.name, True) in masks, f"{op.name} is never checked allowed"
        assert f"op.{op.name}" in why, f"no lesson checks the reason for {op.name}"
        if op != LifecycleOp.WAIT:  # WAIT is the one op no rule ever masks
            assert ("op", op.name, False) in masks, f"{op.name} is never checked masked"


def test_blueprint_slot_and_topology_rules_are_taught() -> None:
    masks, why = _mask_checks(), _why_checks()
    assert ("blueprint", "NOOP", False) in masks and "blueprint.NOOP" in why
    assert ("slot", "r0c0", False) in masks and "slot.r0c0" in why  # a slot outside enabled_slots
    transformer = [path for path in LESSONS if _scenario(path).topology == "transformer"]
    assert transformer, "no lesson runs a transformer host"
    transformer_masks = {
        (head, option, allowed)
        for path in transformer
        for expectation in _scenario(path).expect
        for head, options in expectation.masks.items()
        for option, allowed in options.items()
    }
    assert {("blueprint", "LORA", True), ("blueprint", "CONV_LIGHT", False)} <= transformer_masks


@pytest.mark.parametrize(
    ("head", "keep", "enum"),
    [("style", GerminationStyle.SIGMOID_ADD.name, GerminationStyle), ("alpha_target", "FULL", AlphaTargetAction)],
)
def test_the_style_and_alpha_target_fallback_is_taught(head: str, keep: str, enum: type) -> None:
    """Some expectation shows the head fallen back (only ``keep`` open) and another shows it fully open."""
    fallen_back = fully_open = False
    for path in LESSONS:
        for expectation in _scenario(path).expect:
            options = expectation.masks.get(head, {})
            if len(options) < 2 or keep not in options:
                continue
            others = [allowed for option, allowed in options.items() if option != keep]
            fallen_back |= options[keep] and not any(others)
            fully_open |= len(options) == len(enum) and all(options.values())
    assert fallen_back and fully_open


def test_every_seed_stage_and_the_empty_slot_are_observed() -> None:
    stages = {
        stage for path in LESSONS for expectation in _scenario(path).expect for stage in expectation.stage.values()
    }
    assert stages >= {
        "EMPTY",
        "GERMINATED",
        "TRAINING",
        "BLENDING",
        "HOLDING",
        "FOSSILIZED",
        "PRUNED",
        "EMBARGOED",
        "RESETTING",
    }


def test_gate_lessons_take_the_same_actions_and_differ_only_in_the_verdict() -> None:
    permissive, strict = _records(_lesson("11-gates-permissive")), _records(_lesson("12-gates-strict"))
    assert [permissive[e].action for e in (1, 2, 3)] == [strict[e].action for e in (1, 2, 3)]
    assert permissive[3].outcome.accepted and not strict[3].outcome.accepted


# What the `expect` block cannot state (heuristic reasons, rejection reasons, quirks, transition causes),
# pinned here so the narration stays true.
TEACHING_POINTS = [
    ("01-first-seed", 1, "heuristic", "Host not stabilized"),
    ("01-first-seed", 4, "heuristic", "Too early (epoch 4)"),
    ("01-first-seed", 5, "heuristic", "Training progressing normally"),
    ("01-first-seed", 7, "heuristic", "Plateau detected (3 epochs)"),
    ("01-first-seed", 15, "heuristic", "Fossilizing: +3.00% contribution"),
    ("02-prune-needs-hold", 2, "outcome", "r0c1 is 1 epoch(s) old, below min_prune_age 3"),
    ("03-cooldown-timeline", 2, "heuristic", "No improvement in HOLDING (+0.20%)"),
    ("03-cooldown-timeline", 3, "heuristic", "Embargo (1/5 since prune)"),
    ("03-cooldown-timeline", 6, "heuristic", "Embargo (4/5 since prune)"),
    ("03-cooldown-timeline", 7, "heuristic", "but GERMINATE is masked: no enabled slot is empty"),
    ("04-seed-cap", 8, "outcome", "seed cap reached: 2 of max_seeds 2 seeds in use"),
    ("05-enabled-slots", 1, "outcome", "r0c0 is not in enabled_slots"),
    ("06-transformer-blueprints", 2, "outcome", "CONV_LIGHT is not registered for the transformer topology"),
    ("07-partial-alpha-target", 6, "outcome", "G3 failed: alpha_target_not_full_0.50"),
    ("08-scheduled-prune", 3, "outcome", "G3 failed"),
    ("08-scheduled-prune", 5, "transition", "scheduled_prune"),
    ("09-governor-override", 3, "quirk", "instant_prune_during_ramp"),
    ("10-governor-rollback", 3, "transition", "governor_rollback"),
    ("10-governor-rollback", 3, "outcome", "no_active_seed"),
    ("12-gates-strict", 3, "outcome", "G2 failed: global_improvement_insufficient_0.30%, seed_not_ready"),
    ("12-gates-strict", 4, "outcome", "G2 failed: seed_not_ready"),
    ("12-gates-strict", 11, "outcome", "G5 failed: insufficient_contribution_0.80%_below_1.0%"),
    ("13-optimistic-op-mask", 1, "outcome", "only a HOLDING seed can be fossilized"),
    ("13-optimistic-op-mask", 2, "quirk", "advance_on_holding_fossilizes"),
    ("14-ransomware-prune", 2, "heuristic", "Ransomware pattern: contribution +1.50% but total improvement -3.00%"),
    ("15-governor-divergence", 13, "transition", "governor_divergence"),
]


@pytest.mark.parametrize(("stem", "epoch", "what", "fragment"), TEACHING_POINTS)
def test_teaching_point(stem: str, epoch: int, what: str, fragment: str) -> None:
    record = _records(_lesson(stem))[epoch]
    texts = {
        "heuristic": [record.heuristic_reason or ""],
        "outcome": [record.outcome.reason],
        "quirk": list(record.outcome.quirks),
        "transition": [transition.cause for transition in record.outcome.transitions],
    }[what]
    assert any(fragment in text for text in texts), texts


# --- a broken lesson fails loudly ------------------------------------------------------------------------


def test_check_reports_a_flipped_expectation_at_its_line(tmp_path: Path) -> None:
    source = _lesson("02-prune-needs-hold")
    target = next(e for e in _scenario(source).expect if e.at == 2 and e.accepted is False)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i in range(target.source.line, len(lines)) if lines[i].strip() == "accepted: false")
    lines[index] = lines[index].replace("accepted: false", "accepted: true")
    broken = tmp_path / source.name
    broken.write_text("".join(lines), encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "tamiyo_tui", "check", str(broken)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
        check=False,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}:{target.source.line}: at epoch 2: accepted: expected accepted, got rejected" in result.stdout
