"""Review mode: a recorded run drives every panel, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, outcome, press, screen, settle, write_lesson

from tamiyo_tui import cli
from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.jsonl import RecordFileError, RecordWriter
from tamiyo_tui.sim.scenario import ActionSpec
from tamiyo_tui.tui.commands import COMMANDS
from tamiyo_tui.tui.launch import build_review_app
from tamiyo_tui.tui.screens.record import RecordScreen

pytestmark = pytest.mark.timeout(60)


def record_run(directory: Path) -> Path:
    """Three policy steps on the lesson, then a masked override the lifecycle rejects."""
    opened = open_run(str(write_lesson(directory)), policy="heuristic", device="cpu")
    session = opened.session
    for _ in range(3):
        session.step()
    session.override(ActionSpec(LifecycleOp.GERMINATE, "r0c2"))
    path = directory / "recorded.jsonl"
    with RecordWriter(path, opened.header) as writer:
        for record in session.records():
            writer.write(record)
    return path


async def test_review_shows_each_record_and_steps_through_them(tmp_path: Path) -> None:
    app = build_review_app(str(record_run(tmp_path)))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        assert "review (read-only) · epoch 1/14 · heuristic · cpu · sample · UI lesson" in text
        assert "this decision: epoch 1 · heuristic ADVANCE r0c0 ✓" in text
        assert "▸  0 e1   ✓ ADVANCE r0c0 heuristic" in text
        assert "TRAINING" in text and "EMBARGOED ⏳4" in text
        await press(pilot, "n", "right", "n")
        text = screen(app)
        assert "epoch 4/14" in text
        assert "✗ rejected: r0c2 is not in enabled_slots; the policy may not target it" in outcome(app)
        assert "▸  3 e4   ✗ GERMINATE r0c2 NORM override" in text
        assert "⑂ branch 1 begins at step 3" in text
        assert "▶⊘GERMINATE" in text  # the carried-out option, masked, is both chosen and marked
        await press(pilot, "b", "left")
        assert "epoch 2/14" in screen(app)


async def test_review_offers_only_what_a_recorded_run_can_do(tmp_path: Path) -> None:
    app = build_review_app(str(record_run(tmp_path)))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        footer = screen(app).splitlines()[-1]
        for command in COMMANDS:
            entry = f"{command.key_display} {command.title}"
            assert (entry in footer) == (not command.live_only), footer
        for command in (c for c in COMMANDS if c.live_only):
            await pilot.press(command.keys[0])
            await settle(pilot)
            assert len(app.screen_stack) == 1  # no modal, nothing changed
        assert "epoch 1/14" in screen(app).splitlines()[0]


async def test_review_stops_at_the_last_record_and_opens_records(tmp_path: Path) -> None:
    app = build_review_app(str(record_run(tmp_path)))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "n")
        assert "End of the recorded run (4 decisions)" in screen(app)
        assert "epoch 4/14" in screen(app).splitlines()[0]
        app.query_one("#timeline").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        assert "Decision 3 · epoch 4 · branch 1 · GERMINATE r0c2 NORM" in screen(app)


def test_review_rejects_a_file_without_decisions(tmp_path: Path) -> None:
    path = record_run(tmp_path)
    header_only = tmp_path / "header-only.jsonl"
    header_only.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(RecordFileError, match="no decision records to review"):
        build_review_app(str(header_only))
    with pytest.raises(RecordFileError, match="cannot open"):
        build_review_app(str(tmp_path / "missing.jsonl"))


async def test_review_at_an_epoch_opens_its_first_record(tmp_path: Path) -> None:
    """What `tamiyo-tui diff` prints: `review FILE --at EPOCH` opens the inspector on that decision."""
    app = build_review_app(str(record_run(tmp_path)), at=3)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        assert "epoch 3/14" in text.splitlines()[0]
        assert "this decision: epoch 3 · heuristic" in text
        assert "▸  2 e3 " in text
        await press(pilot, "b")
        assert "epoch 2/14" in screen(app).splitlines()[0]


def test_review_at_an_epoch_without_a_record_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = record_run(tmp_path)
    assert cli.main(["review", str(path), "--at", "9"]) == 2
    err = capsys.readouterr().err
    assert "--at 9:" in err and "no decision at epoch 9 (its epochs: 1–4)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert cli.main(["review", str(path), "--at", "0"]) == 2
    assert "--at: must be an integer ≥ 1" in capsys.readouterr().err
