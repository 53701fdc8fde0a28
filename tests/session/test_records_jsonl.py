"""Decision records on disk: the JSONL writer and reader round-trip exactly, the header comes first, every
record is flushed as it is written, and a malformed file is a RecordFileError that names file and line."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.errors import InputError
from tamiyo_tui.session.jsonl import RecordFileError, RecordWriter, iter_records, read_run
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.session.records import RECORD_SCHEMA, DecisionRecord, RunHeader
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import parse_scenario
from tamiyo_tui.sim.scenario import ActionSpec

SCENARIO_YAML = """\
schema: 1
name: jsonl test
description: records of every kind
seed: 5
episode_length: 12
slots: [r0c0, r0c1]
host:
  val_accuracy: {start: 40.0, end: 60.0, plateau_at: 6, noise: 0.3}
blueprints:
  default: {contribution: 1.5}
events:
  - at: 2
    note: "a note with unicode: α → 1 ✓"
  - at: 3
    action: {op: GERMINATE, slot: r0c1, blueprint: NORM}
"""

HEADER = RunHeader(
    tool_version="0.1.0",
    scenario_name="jsonl test",
    scenario_sha256="ab" * 32,
    scenario_path="scenarios/x.yaml",
    policy_id="policies/lstm-bc.yaml",
    checkpoint_sha256="cd" * 32,
    device="cpu",
    seed=5,
    slot_ids=("r0c0", "r0c1"),
    episode_length=12,
    extra={"note": "free-form", "nested": {"n": 1}},
)


@pytest.fixture(scope="module")
def records() -> tuple[DecisionRecord, ...]:
    """A run with policy (LSTM, sampled), script and override sources, accepted and rejected outcomes, the
    heuristic (no value, a reason) and the LSTM (value, hidden norm)."""
    scenario = parse_scenario(SCENARIO_YAML, "jsonl.yaml")
    policies = load_policies(resolve_policy("lstm"), scenario, "cpu")
    session = InspectionSession(scenario, policies.runner, active="lstm")
    run = [session.step() for _ in range(4)]
    run.append(session.override(ActionSpec(LifecycleOp.FOSSILIZE, "r0c0")))  # masked: rejected
    session.switch_bundle("heuristic")
    run += [session.step() for _ in range(3)]
    return tuple(run)


def write_run(path: Path, records: tuple[DecisionRecord, ...], header: RunHeader = HEADER) -> None:
    with RecordWriter(path, header) as writer:
        for record in records:
            writer.write(record)


def test_the_fixture_covers_every_kind_of_record(records: tuple[DecisionRecord, ...]) -> None:
    assert {r.source for r in records} == {"policy", "script", "override"}
    assert {r.bundle for r in records} == {"lstm", "heuristic"}
    assert {r.outcome.accepted for r in records} == {True, False}
    assert any(r.value is None and r.heuristic_reason for r in records)
    assert any(r.value is not None and r.hidden_norm is not None for r in records)
    assert any(r.notes for r in records)
    assert any(r.outcome.transitions for r in records)


def test_a_run_round_trips_exactly(tmp_path: Path, records: tuple[DecisionRecord, ...]) -> None:
    path = tmp_path / "run.jsonl"
    write_run(path, records)

    run = read_run(path)

    assert run.header == HEADER
    assert run.decisions == records
    assert list(iter_records(path)) == [HEADER, *records]


def test_the_header_is_the_first_line_and_every_record_one_line(
    tmp_path: Path, records: tuple[DecisionRecord, ...]
) -> None:
    path = tmp_path / "run.jsonl"
    write_run(path, records)

    lines = path.read_text(encoding="utf-8").splitlines()

    assert len(lines) == 1 + len(records)
    assert lines[0].startswith('{"type": "header", "schema": 1')
    header = json.loads(lines[0])
    assert header["schema"] == RECORD_SCHEMA == 1
    assert (header["tool_version"], header["policy_id"], header["seed"]) == ("0.1.0", "policies/lstm-bc.yaml", 5)
    for line, record in zip(lines[1:], records, strict=True):
        data = json.loads(line)
        assert (data["type"], data["step"], data["epoch"], data["source"]) == (
            "decision",
            record.step,
            record.epoch,
            record.source,
        )
        assert list(data["heads"]) == list(HEAD_NAMES)
        for head in data["heads"].values():
            assert len(head["mask"]) == len(head["options"]) == len(head["probs"]) == len(head["reasons"])


def test_every_record_is_on_disk_as_soon_as_it_is_written(tmp_path: Path, records: tuple[DecisionRecord, ...]) -> None:
    path = tmp_path / "live.jsonl"
    writer = RecordWriter(path, HEADER)
    try:
        assert len(path.read_text(encoding="utf-8").splitlines()) == 1
        for record in records[:3]:
            writer.write(record)
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 4
        assert read_run(path).decisions == records[:3]
    finally:
        writer.close()


def test_non_finite_numbers_are_written_as_null_so_the_file_stays_strict_json(
    tmp_path: Path, records: tuple[DecisionRecord, ...]
) -> None:
    record = records[0]
    op = dataclasses.replace(record.heads["op"], log_prob=float("-inf"), entropy=float("nan"))
    path = tmp_path / "inf.jsonl"
    write_run(path, (dataclasses.replace(record, heads={**record.heads, "op": op}),))

    line = path.read_text(encoding="utf-8").splitlines()[1]

    assert "Infinity" not in line and "NaN" not in line
    data = json.loads(line)
    assert (data["heads"]["op"]["log_prob"], data["heads"]["op"]["entropy"]) == (None, None)


# --- malformed files -------------------------------------------------------------------------------------


def _lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _header_line() -> str:
    return json.dumps(HEADER.to_json())


def _decision_line(record: DecisionRecord) -> str:
    return json.dumps(record.to_json())


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value) == f"{path}: cannot open: No such file or directory"


def test_an_empty_file(tmp_path: Path) -> None:
    path = _lines(tmp_path / "empty.jsonl")
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value) == f"{path}: empty file (no header line)"


def test_a_line_that_is_not_json(tmp_path: Path, records: tuple[DecisionRecord, ...]) -> None:
    path = _lines(tmp_path / "bad.jsonl", _header_line(), _decision_line(records[0]), '{"type": "decision", ')
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value).startswith(f"{path}:3: malformed record (")


def test_a_first_line_that_is_not_a_header(tmp_path: Path, records: tuple[DecisionRecord, ...]) -> None:
    path = _lines(tmp_path / "headless.jsonl", _decision_line(records[0]))
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value) == f'{path}:1: expected a header line ({{"type": "header", ...}})'


def test_an_unknown_record_type(tmp_path: Path) -> None:
    path = _lines(tmp_path / "odd.jsonl", _header_line(), '{"type": "telemetry", "step": 0}')
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value) == f"{path}:2: unknown record type 'telemetry'"


def test_an_unsupported_schema(tmp_path: Path) -> None:
    path = _lines(tmp_path / "future.jsonl", json.dumps({**HEADER.to_json(), "schema": 2}))
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value) == f"{path}:1: unsupported record schema 2"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: {k: v for k, v in data.items() if k != "outcome"},
        lambda data: {**data, "heads": []},
        lambda data: {**data, "observation": {**data["observation"], "host": {"val_accuracy": 1.0}}},
    ],
    ids=["missing-field", "wrong-type", "incomplete-host"],
)
def test_a_decision_with_missing_or_mistyped_fields(
    tmp_path: Path, records: tuple[DecisionRecord, ...], mangle: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    path = _lines(tmp_path / "mangled.jsonl", _header_line(), json.dumps(mangle(records[0].to_json())))
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value).startswith(f"{path}:2: malformed record (")


def test_a_line_that_is_json_but_not_an_object(tmp_path: Path) -> None:
    path = _lines(tmp_path / "list.jsonl", _header_line(), "[1, 2]")
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(error.value).startswith(f"{path}:2: malformed record (")


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage\n")
    with pytest.raises(RecordFileError) as error:
        read_run(path)
    assert str(path) in str(error.value)
    assert "not UTF-8 text" in str(error.value)


def test_a_file_that_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "run.jsonl"
    with pytest.raises(RecordFileError) as error:
        RecordWriter(path, HEADER)
    assert str(error.value) == f"{path}: cannot write: No such file or directory"


def test_record_file_errors_are_input_errors() -> None:
    assert issubclass(RecordFileError, InputError)
