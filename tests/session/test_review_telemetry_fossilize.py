"""Review of real esper-lite telemetry that holds a FOSSILIZE decision (a one-batch slice of a 2016337e
training run): the decision is shown with the values the file records, and the seed's fossilization is on
the timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tamiyo_tui.session.telemetry_records import event_summary
from tamiyo_tui.session.telemetry_review import TelemetryReview

pytestmark = pytest.mark.timeout(120)

TELEMETRY = Path(__file__).resolve().parents[1] / "data" / "esper-2016337e-telemetry-fossilize" / "events.jsonl"


def events() -> list[dict]:
    return [json.loads(line) for line in TELEMETRY.read_text().splitlines()]


def fossilize_rows() -> list[tuple[int, dict]]:
    """(line, data) of every FOSSILIZE decision in the file."""
    return [
        (line, e["data"])
        for line, e in enumerate(events(), start=1)
        if e["event_type"] == "ANALYTICS_SNAPSHOT"
        and e["data"]["kind"] == "last_action"
        and e["data"]["action_name"] == "FOSSILIZE"
    ]


def test_the_slice_is_one_run_start_and_one_whole_batch() -> None:
    recorded = events()
    assert recorded[0]["event_type"] == "TRAINING_STARTED"
    assert recorded[-1]["event_type"] == "PPO_UPDATE_COMPLETED"
    outcomes = [e["data"] for e in recorded if e["event_type"] == "EPISODE_OUTCOME"]
    assert sorted(d["env_id"] for d in outcomes) == [0, 1]
    assert fossilize_rows(), "the slice holds no FOSSILIZE decision"


def test_stepping_reaches_each_fossilize_decision_with_its_recorded_values() -> None:
    review = TelemetryReview(TELEMETRY)
    review.build_index()
    shown = [review.frame().decision]
    while (update := review.step()).notice is None:
        shown.append(update.frame.decision)
    fossilized = [d for d in shown if d.action == "FOSSILIZE"]
    expected = fossilize_rows()
    assert [d.line for d in fossilized] == [line for line, _ in expected]
    for decision, (_, data) in zip(fossilized, expected, strict=True):
        assert (decision.env, decision.episode, decision.epoch) == (
            data["env_id"],
            data["episode_idx"],
            data["inner_epoch"],
        )
        assert decision.slot == data["slot_id"]
        assert decision.success is data["action_success"]
        op = decision.heads[0]
        assert op.head == "op" and op.chosen == "FOSSILIZE"
        assert op.confidence == pytest.approx(data["head_telemetry"]["op_confidence"])
        assert op.entropy == pytest.approx(data["head_telemetry"]["op_entropy"])
        assert op.forced is data["op_masked"]
        assert decision.decision_entropy == pytest.approx(float(data["decision_entropy"]))
        assert decision.label == f"FOSSILIZE {data['slot_id']}"


def test_a_seed_fossilized_event_reads_as_its_slot_and_blueprint() -> None:
    event = next(e for e in events() if e["event_type"] == "SEED_FOSSILIZED")
    assert event_summary(event) == f"{event['data']['slot_id']} fossilized {event['data']['blueprint_id']}"


def test_the_fossilization_is_on_the_timeline_after_the_decision_that_chose_it() -> None:
    fossilized = next(e["data"] for e in events() if e["event_type"] == "SEED_FOSSILIZED")
    chosen = next(
        data
        for _, data in fossilize_rows()
        if data["action_success"]
        and (data["env_id"], data["episode_idx"], data["slot_id"])
        == (fossilized["env_id"], fossilized["episode_idx"], fossilized["slot_id"])
    )
    review = TelemetryReview(TELEMETRY)
    review.build_index()
    while (review.frame().decision.env, review.frame().decision.episode) != (chosen["env_id"], chosen["episode_idx"]):
        assert review.step().notice is None
    texts = [row.text for row in review.frame().timeline]
    summary = f"{fossilized['slot_id']} fossilized {fossilized['blueprint_id']}"
    assert summary in texts
    assert texts.index(f"FOSSILIZE {chosen['slot_id']}") < texts.index(summary)
