"""A sweep episode's records equal ``tamiyo-tui run``'s for the same scenario, seed and policy.

Every field of every record: actions, masks, reasons, outcomes, notes and every other non-float exactly;
floats (logits, probabilities, entropies, log-probs, values, hidden norms) within 1e-5 · (1 + |value|),
the fused step's float32 rounding against the readable path's, which grows with the value (the 3 × 3
lstm-bc's log-probs of about −3 differ by up to 1.7e-5 after a few LSTM steps). Sampled and deterministic,
for the heuristic, the behaviour-cloned LSTM, an untrained LSTM, a trainer checkpoint that reads the
telemetry blocks, and a checkpoint of esper-lite 2016337e (its own network, masks, floors and critic).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from checkpoint_files import trainer_file

from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.sweep.episodes import EpisodeSpec, sweep_episodes
from tamiyo_tui.sweep.runner import BatchedSweep, SweepSettings

FLOAT_TOLERANCE = 1e-5  # absolute near 0, relative beyond 1
REPO = Path(__file__).resolve().parents[2]
CHECKPOINT_2016337E = REPO / "tests" / "vectors" / "esper-2016337e-checkpoint.pt"
# One- to three-slot lessons, a transformer, the governor override, scripted actions, rejected actions.
LESSONS = ("01", "02", "06", "09", "12", "13")
POLICIES = ("heuristic", "lstm-bc", "lstm-untrained")
SEEDS = (0, 3)


def differences(ours: Any, theirs: Any, path: str = "record") -> list[str]:
    """Where two record trees differ: floats beyond the tolerance, anything else not exactly equal."""
    if isinstance(ours, float) and isinstance(theirs, float):
        if math.isfinite(ours) and math.isfinite(theirs):
            close = abs(ours - theirs) <= FLOAT_TOLERANCE * (1.0 + abs(theirs))
            return [] if close else [f"{path}: {ours!r} != {theirs!r}"]
        return [] if ours == theirs or (math.isnan(ours) and math.isnan(theirs)) else [f"{path}: {ours} != {theirs}"]
    if type(ours) is not type(theirs):
        return [f"{path}: {type(ours).__name__} != {type(theirs).__name__}"]
    if isinstance(ours, dict):
        if list(ours) != list(theirs):
            return [f"{path}: keys {list(ours)} != {list(theirs)}"]
        return [d for key in ours for d in differences(ours[key], theirs[key], f"{path}.{key}")]
    if isinstance(ours, tuple | list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items != {len(theirs)}"]
        return [
            d
            for index, pair in enumerate(zip(ours, theirs, strict=True))
            for d in differences(*pair, f"{path}[{index}]")
        ]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


def run_records(spec: EpisodeSpec, deterministic: bool) -> list[DecisionRecord]:
    """What ``tamiyo-tui run SCENARIO --seed S --policy P`` records (its own session settings)."""
    opened = open_run(
        spec.scenario_path, policy=spec.policy, device="cpu", seed=spec.seed, deterministic=deterministic,
        shadow=False, keep_records=False,
    )  # fmt: skip
    records = []
    while not opened.session.done:
        records.append(opened.session.step())
    return records


def sweep_records(specs: list[EpisodeSpec], deterministic: bool) -> dict[int, list[DecisionRecord]]:
    records: dict[int, list[DecisionRecord]] = {spec.index: [] for spec in specs}
    sweep = BatchedSweep(
        specs,
        SweepSettings(device="cpu", deterministic=deterministic),
        on_record=lambda spec, record: records[spec.index].append(record),
    )
    result = sweep.run()
    assert result.decisions == sum(len(episode) for episode in records.values())
    return records


def assert_records_equal(specs: list[EpisodeSpec], deterministic: bool) -> None:
    ours = sweep_records(specs, deterministic)
    for spec in specs:
        theirs = run_records(spec, deterministic)
        assert len(ours[spec.index]) == len(theirs), spec
        for mine, reference in zip(ours[spec.index], theirs, strict=True):
            found = differences(asdict(mine), asdict(reference))
            assert not found, f"{spec}: step {reference.step}: " + "; ".join(found[:5])


@pytest.mark.parametrize("deterministic", [False, True], ids=["sampled", "deterministic"])
def test_every_record_of_every_episode_equals_runs(deterministic: bool) -> None:
    specs = sweep_episodes([(lesson, scenario_path(lesson)) for lesson in LESSONS], SEEDS, POLICIES)
    assert_records_equal(specs, deterministic)


def test_a_telemetry_checkpoint_sweeps_as_it_runs(tmp_path: Path) -> None:
    checkpoint = trainer_file(tmp_path / "ppo.pt", telemetry=True)
    specs = sweep_episodes([("02", scenario_path("02")), ("13", scenario_path("13"))], (1, 2), (str(checkpoint),))
    assert_records_equal(specs, deterministic=False)


def test_episodes_of_different_lengths_leave_the_batch_one_by_one() -> None:
    # Lesson 01 ends at epoch 16, lesson 15 much later: the batch shrinks while the others go on.
    specs = sweep_episodes([("01", scenario_path("01")), ("15", scenario_path("15"))], (0, 1, 2), ("lstm-bc",))
    assert_records_equal(specs, deterministic=False)


@pytest.mark.parametrize("deterministic", [False, True], ids=["sampled", "deterministic"])
def test_a_2016337e_checkpoint_sweeps_as_it_runs(deterministic: bool) -> None:
    # 01 and 06 name no lifecycle and take the checkpoint's; 16 to 19 teach that generation's rules.
    lessons = ("01", "06", "16", "17", "18", "19")
    specs = sweep_episodes(
        [(lesson, scenario_path(lesson)) for lesson in lessons], (0, 5), (str(CHECKPOINT_2016337E), "heuristic")
    )
    ours = sweep_records(specs, deterministic)
    assert any(record.critic is not None for records in ours.values() for record in records)
    assert_records_equal(specs, deterministic)
