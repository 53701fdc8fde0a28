"""Debugging and reviewing by navigation: jump keys live and in review, the review cursor moving the
panels, the record modal's next / previous. Real keys, the screen and the frames read back."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from tui_harness import WIDE, lesson_app, press, screen, settle, write_lesson

from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.jsonl import RecordWriter
from tamiyo_tui.session.jumps import matches
from tamiyo_tui.tui.launch import build_review_app
from tamiyo_tui.tui.screens.record import RecordScreen
from tamiyo_tui.tui.widgets.timeline import Timeline

pytestmark = pytest.mark.timeout(90)
STEPS = 10


UNLIKELY_STEP = 6


def lstm_run(directory: Path) -> Path:
    """Ten sampled decisions of the untrained LSTM (it has rejections, doubts and disagreements). Its heads
    are near uniform, so it never draws a low-probability option: step 6's op draw is made one (p 0.01)."""
    opened = open_run(str(write_lesson(directory)), policy="lstm", device="cpu")
    opened.session.record_others = True  # as the inspector records (and exports) them
    for _ in range(STEPS):
        opened.session.step()
    path = directory / "lstm.jsonl"
    with RecordWriter(path, opened.header) as writer:
        for record in opened.session.records():
            if record.step == UNLIKELY_STEP:
                op = dataclasses.replace(record.heads["op"], log_prob=math.log(0.01))
                record = dataclasses.replace(record, heads=dict(record.heads, op=op))
            writer.write(record)
    return path


@pytest.mark.parametrize("review", [False, True], ids=["live", "review"])
async def test_jump_keys_land_on_each_kind_of_decision_both_ways(review: bool, tmp_path: Path) -> None:
    app = build_review_app(str(lstm_run(tmp_path))) if review else lesson_app(tmp_path, policy="lstm")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        if not review:
            await press(pilot, *["n"] * STEPS, *["b"] * STEPS)
        assert app.frame.position == 0
        records = [app._inspector.record(step) for step in range(STEPS)]  # what the keys should find
        kinds = ("rejected", "disagreement", "uncertain", "unlikely")
        for kind_index, kind in enumerate(kinds if review else kinds[:3]):  # live: see lstm_run
            if kind_index:
                await press(pilot, "f")
            assert app.query_one(Timeline).border_title.startswith("timeline · ]/[ jump to ")
            hits = [step for step, record in enumerate(records) if matches(record, kind) and step > 0]
            assert hits, f"the untrained LSTM's run has no {kind} decision to find"
            for hit in hits:
                await press(pilot, "right_square_bracket")
                assert app.frame.position == hit, kind
            await press(pilot, "right_square_bracket")
            assert app.frame.position == hits[-1]  # nothing later: it stays and says so
            assert "No later" in screen(app)
            for hit in reversed(hits[:-1]):
                await press(pilot, "left_square_bracket")
                assert app.frame.position == hit, kind
            while app.frame.position:
                await press(pilot, "b")
        assert sum(matches(r, "rejected") for r in records) > 0


def test_a_disagreement_counts_only_heads_both_ops_read(tmp_path: Path) -> None:
    record = build_review_app(str(lstm_run(tmp_path)))._inspector.record(0)
    heads = dict(record.heads, op=dataclasses.replace(record.heads["op"], chosen="WAIT"))
    waited = dataclasses.replace(record, source="policy", action=dict(record.action, op="WAIT"), heads=heads)
    differs = {head: "X" for head in record.action}
    # Both WAIT: every other head differs, and none of them is read, so none counts.
    assert not matches(dataclasses.replace(waited, others={"heuristic": dict(differs, op="WAIT")}), "disagreement")
    assert matches(dataclasses.replace(waited, others={"heuristic": dict(differs, op="PRUNE")}), "disagreement")
    # An override is not the acting bundle's own choice: nothing to disagree with.
    overridden = dataclasses.replace(waited, source="override", others={"heuristic": dict(differs, op="PRUNE")})
    assert not matches(overridden, "disagreement")


async def test_in_review_the_timeline_cursor_moves_every_panel(tmp_path: Path) -> None:
    app = build_review_app(str(lstm_run(tmp_path)))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.query_one(Timeline).focus()
        await press(pilot, "down", "down")
        assert app.frame.position == 2
        assert "epoch 3/14" in screen(app).splitlines()[0]
        await press(pilot, "end")
        assert app.frame.position == STEPS - 1
        await press(pilot, "home")
        assert app.frame.position == 0
        assert "this decision: epoch 1" in screen(app)


async def test_the_record_modal_pages_to_the_next_and_previous_record(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n")
        app.query_one(Timeline).focus()
        await press(pilot, "home", "enter")
        assert isinstance(app.screen, RecordScreen)
        assert "Decision 0 · epoch 1" in screen(app)
        await press(pilot, "right")
        assert "Decision 1 · epoch 2" in screen(app)
        await press(pilot, "n", "n")
        assert "Decision 2 · epoch 3" in screen(app)  # the last one: it stays
        assert "No record after this one" in screen(app)
        await press(pilot, "left")
        assert "Decision 1 · epoch 2" in screen(app)
        assert app.frame.epoch == 4  # paging records moved nothing on the main screen


async def test_review_plays_with_a_running_mark(tmp_path: Path) -> None:
    app = build_review_app(str(lstm_run(tmp_path)))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app._run_interval = 30.0  # stays playing while the screen is read
        await pilot.press("space")
        await pilot.pause()
        assert "review (read-only) ▶ playing" in screen(app).splitlines()[0]
        await pilot.press("space")
        await settle(pilot)
        assert "▶ playing" not in screen(app).splitlines()[0]


async def test_the_low_probability_jump_finds_live_draws_of_a_floored_policy(tmp_path: Path) -> None:
    """A 2016337e network samples under its probability floor, so options far below the favourite are drawn
    in a live run: ] with the jump kind on "low-probability draw" lands on each of them, in order."""
    checkpoint = Path(__file__).resolve().parents[1] / "vectors" / "esper-2016337e-checkpoint.pt"
    app = lesson_app(tmp_path, policy=str(checkpoint))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, *["n"] * STEPS, *["b"] * STEPS)
        records = [app._inspector.record(step) for step in range(STEPS)]
        hits = [step for step, record in enumerate(records) if matches(record, "unlikely") and step > 0]
        assert hits, "the floored policy drew no low-probability option in this run"
        await press(pilot, "f", "f", "f")  # rejected → disagreement → uncertain → unlikely
        assert app.query_one(Timeline).border_title.endswith("jump to low p")
        for hit in hits:
            await press(pilot, "right_square_bracket")
            assert app.frame.position == hit
        await press(pilot, "right_square_bracket")
        assert "No later low-probability draw" in screen(app)
