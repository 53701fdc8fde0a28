"""What flags a decision, how findings rank, and the sweep file that carries them."""

from __future__ import annotations

import dataclasses
import json
import math
from functools import cache
from pathlib import Path

import pytest

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.findings import (
    Finding,
    Flag,
    SweepFileError,
    SweepHeader,
    Thresholds,
    is_sweep_file,
    rank_key,
    read_sweep_file,
    write_sweep_file,
)
from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.records import DecisionRecord, OutcomeRecord
from tamiyo_tui.session.view import action_label
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.sweep.flags import flag_decision

DEFAULTS = Thresholds()


@cache
def _first_record() -> DecisionRecord:
    """A real sampled LSTM decision (lesson 01, epoch 1): WAIT, with every head's numbers."""
    opened = open_run(scenario_path("01"), policy="lstm-bc", device="cpu", seed=0, shadow=False)
    record = opened.session.step()
    assert record.source == "policy" and record.op == "WAIT" and not record.deterministic
    return record


def record_with(**changes: object) -> DecisionRecord:
    return dataclasses.replace(_first_record(), **changes)


def with_head(record: DecisionRecord, head: str, **changes: object) -> DecisionRecord:
    heads = dict(record.heads)
    heads[head] = dataclasses.replace(heads[head], **changes)
    return dataclasses.replace(record, heads=heads)


def flags_of(record: DecisionRecord, partner: dict[str, str] | None = None, previous: float | None = None) -> dict:
    flags = flag_decision(
        record, partner=partner, partner_name="heuristic", previous_value=previous, thresholds=DEFAULTS
    )
    return {flag.name: flag for flag in flags}


def test_an_ordinary_confident_decision_has_no_flag() -> None:
    record = _first_record()
    assert flags_of(record, partner=record.action, previous=record.value) == {}


def test_a_rejected_policy_action_is_flagged_at_full_strength_with_its_reason() -> None:
    record = record_with(outcome=OutcomeRecord(accepted=False, reason="r0c0 is empty: nothing to prune"))
    flag = flags_of(record)["rejected"]
    assert (flag.strength, flag.detail) == (2.0, "r0c0 is empty: nothing to prune")


def test_a_scripted_or_overridden_step_is_never_a_finding() -> None:
    rejected = OutcomeRecord(accepted=False, reason="the lesson shows this")
    for source in ("script", "override"):
        assert flags_of(record_with(source=source, outcome=rejected)) == {}


def test_disagreement_counts_only_the_heads_the_op_uses() -> None:
    record = _first_record()
    other_slot = {**record.action, "slot": "r0c1", "tempo": "SLOW"}  # a WAIT reads neither
    assert flags_of(record, partner=other_slot) == {}
    germinate = {**record.action, "op": "GERMINATE", "slot": "r0c1", "blueprint": "CONV_LIGHT"}
    flag = flags_of(record, partner=germinate)["disagreement"]
    assert flag.detail == "heuristic: GERMINATE r0c1 CONV_LIGHT"
    assert flag.strength == 2.0  # the one head a WAIT uses differs


def test_a_low_probability_draw_names_the_head_and_its_probability() -> None:
    record = with_head(_first_record(), "op", log_prob=math.log(0.01))
    flag = flags_of(record)["low_probability"]
    assert flag.detail == "p(op=WAIT) 0.01"
    assert 1.0 < flag.strength <= 2.0


def test_unlikely_options_on_unused_heads_or_argmax_decisions_are_not_draws() -> None:
    unused = with_head(_first_record(), "tempo", log_prob=math.log(1e-4))  # a WAIT ignores the tempo
    assert "low_probability" not in flags_of(unused)
    argmax = dataclasses.replace(with_head(_first_record(), "op", log_prob=math.log(0.01)), deterministic=True)
    assert "low_probability" not in flags_of(argmax)


def test_high_op_entropy_needs_a_choice_between_two_options_or_more() -> None:
    uncertain = with_head(_first_record(), "op", entropy=0.95, valid_count=3)
    flag = flags_of(uncertain)["high_entropy"]
    assert flag.detail == "op entropy 0.95 over 3"
    assert flag.strength == pytest.approx(1.5)
    assert "high_entropy" not in flags_of(with_head(_first_record(), "op", entropy=0.95, valid_count=1))


def test_a_value_drop_is_measured_from_the_episodes_previous_decision() -> None:
    record = record_with(value=0.5)
    flag = flags_of(record, previous=2.0)["value_drop"]
    assert flag.detail == "value 2.00 → 0.50"
    assert flag.strength == pytest.approx(1.5)
    assert "value_drop" not in flags_of(record, previous=1.2)
    assert "value_drop" not in flags_of(record_with(value=None), previous=2.0)  # the heuristic has none


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"high_entropy": 1.0}, "--entropy-above 1: must lie between 0 and 1"),
        ({"low_probability": 0.0}, "--probability-below 0: must lie between 0 and 1"),
        ({"value_drop": -1.0}, "--value-drop -1: must be above 0"),
    ],
)
def test_thresholds_out_of_range_are_bad_input(changes: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Thresholds(**changes)


def finding(score_flags: tuple[float, ...], episode: int = 0, step: int = 0, **changes: object) -> Finding:
    base = Finding(
        scenario="02",
        scenario_name="02 · PRUNE needs HOLD",
        seed=7,
        policy="lstm-bc",
        policy_id="lstm-bc",
        epoch=step + 1,
        step=step,
        action="WAIT",
        flags=tuple(Flag("high_entropy", strength, "op entropy 0.95 over 3") for strength in score_flags),
        episode=episode,
    )
    return dataclasses.replace(base, **changes)


def test_findings_rank_by_score_then_by_their_place_in_the_sweep() -> None:
    findings = [finding((1.0,), episode=3), finding((2.0,), episode=5), finding((1.0,), episode=1, step=4)]
    findings.append(finding((1.0,), episode=1, step=2))
    ranked = sorted(findings, key=rank_key)
    assert [(f.score, f.episode, f.step) for f in ranked] == [(2.0, 5, 0), (1.0, 1, 2), (1.0, 1, 4), (1.0, 3, 0)]


def test_the_command_opens_the_inspector_at_the_decision() -> None:
    assert finding((1.0,), step=6).command() == "tamiyo-tui 02 --seed 7 --policy lstm-bc --at 7"
    replay = finding((1.0,), step=2, scenario="my lessons/x.yaml", policy=None, deterministic=True, device="cpu")
    assert replay.command() == "tamiyo-tui 'my lessons/x.yaml' --seed 7 --device cpu --deterministic --at 3"


def header(findings: int = 2) -> SweepHeader:
    return SweepHeader(
        tool_version="0.0.0",
        scenarios=("02",),
        seeds="0-9",
        policies=("lstm-bc", None),
        device="cpu",
        deterministic=False,
        thresholds=Thresholds(value_drop=0.5),
        episodes=20,
        decisions=400,
        findings=findings,
        flag_counts={"high_entropy": 2},
    )


def test_a_sweep_file_reads_back_as_it_was_written(tmp_path: Path) -> None:
    path = tmp_path / "sweep.jsonl"
    findings = [finding((2.0,), episode=1), finding((1.0, 1.5), episode=0, step=3)]
    write_sweep_file(path, header(), findings)
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["sweep", "finding", "finding"]
    assert json.loads(lines[2])["score"] == 2.5
    loaded = read_sweep_file(path)
    assert loaded.header == header()
    assert loaded.findings == tuple(findings)
    assert is_sweep_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "header", "schema": 1}\n', ":1: expected a sweep header"),
        ('{"type": "sweep", "version": 99}\n', ":1: unsupported sweep file version 99"),
        ("", "empty file"),
        ("not json\n", ":1: malformed line"),
    ],
)
def test_a_bad_sweep_file_names_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(SweepFileError, match=message) as caught:
        read_sweep_file(path)
    assert str(caught.value).startswith(str(path))
    assert is_sweep_file(path) == ('"sweep"' in content)  # a sweep file of another version is still one


def test_an_unknown_line_in_a_sweep_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "sweep.jsonl"
    write_sweep_file(path, header(), [finding((1.0,))])
    with path.open("a") as handle:
        handle.write('{"type": "decision"}\n')
    with pytest.raises(SweepFileError, match=r":3: unknown line type 'decision'"):
        read_sweep_file(path)


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(SweepFileError, match="cannot open"):
        read_sweep_file(tmp_path / "nowhere.jsonl")
    with pytest.raises(SweepFileError, match="cannot write"):
        write_sweep_file(tmp_path / "no" / "such" / "folder.jsonl", header(), [])


def test_action_label_shows_the_op_and_the_slot_and_blueprint_it_uses() -> None:
    action = dict(_first_record().action)
    assert action_label({**action, "op": "WAIT"}) == "WAIT"
    assert action_label({**action, "op": "PRUNE", "slot": "r0c1"}) == "PRUNE r0c1"
    assert action_label({**action, "op": "GERMINATE", "slot": "r0c2", "blueprint": "NORM"}) == "GERMINATE r0c2 NORM"
