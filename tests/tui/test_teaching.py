"""Teaching: every word a lesson says can be read, at every size, and the screen says when the run has left
the lesson's script. Real lessons, real keys, the screen read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import NARROW, WIDE, lesson_app, override, press, screen, settle

from tamiyo_tui.tui.app import TamiyoApp
from tamiyo_tui.tui.launch import build_live_app, build_review_app
from tamiyo_tui.tui.screens.reader import ReaderScreen
from tamiyo_tui.tui.widgets.header import NoteLine
from tamiyo_tui.tui.widgets.heads import HeadsPanel, Selection
from tamiyo_tui.tui.widgets.why import WhyPanel

pytestmark = pytest.mark.timeout(60)

LESSONS = Path(__file__).resolve().parents[2] / "scenarios"
HUGE = (200, 60)
PRUNE_REASON = "r0c1 is 1 epoch(s) old, below min_prune_age 3"
LESSON_13_END = "the execution rejects the pair (r0c1 is TRAINING)."


def lesson(name: str, tmp_path: Path) -> TamiyoApp:
    return build_live_app(str(LESSONS / name), device="cpu", export_dir=tmp_path)


def flat(text: str) -> str:
    """The screen's words with the wrapping and the panel borders taken out."""
    rows = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    return " ".join(" ".join(rows).split())


async def read(pilot, app: TamiyoApp, *wanted: str) -> None:
    """``w`` opens the reader; each wanted text is in it, and the dialog scrolls to its last line."""
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, ReaderScreen)
    words = " ".join(app.screen.text.plain.split())
    for text in wanted:
        assert text in words
    await pilot.press("end")
    await pilot.pause()
    assert "esc closes" in screen(app)


async def select_prune(pilot, app: TamiyoApp) -> None:
    heads = app.query_one(HeadsPanel)
    heads.focus()
    while heads.selection != Selection("op", 3):  # op.PRUNE
        await pilot.press("j")
    await pilot.pause()


@pytest.mark.parametrize("size", [NARROW, WIDE, HUGE], ids=["80x24", "120x40", "200x60"])
async def test_a_selected_options_whole_reason_can_be_read_at_every_size(size, tmp_path: Path) -> None:
    app = lesson("02-prune-needs-hold.yaml", tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        await select_prune(pilot, app)
        why = app.query_one(WhyPanel)
        if why.display and not why.is_cut:
            assert PRUNE_REASON in flat(screen(app))  # the panel itself holds it
        await read(pilot, app, "op.PRUNE ⊘ masked", PRUNE_REASON)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReaderScreen)


async def test_the_why_panel_takes_the_room_a_tall_screen_has(tmp_path: Path) -> None:
    app = lesson("02-prune-needs-hold.yaml", tmp_path)
    async with app.run_test(size=HUGE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        await select_prune(pilot, app)
        why = app.query_one(WhyPanel)
        assert why.content_size.height >= 12
        assert not why.is_cut
        assert PRUNE_REASON in flat(screen(app))


@pytest.mark.parametrize("size", [NARROW, WIDE, HUGE], ids=["80x24", "120x40", "200x60"])
async def test_narration_that_does_not_fit_says_so_and_reads_in_full(size, tmp_path: Path) -> None:
    app = lesson("13-optimistic-op-mask.yaml", tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        note = app.query_one(NoteLine)
        text = screen(app)
        if note.is_cut:  # 80×24 and 120×40: the cut says so, and where the rest is
            assert text.splitlines()[note.content_size.height].rstrip().endswith("… w: read all")
            assert LESSON_13_END not in flat(text)
        else:
            assert size == HUGE and LESSON_13_END in flat(text)
        await read(pilot, app, LESSON_13_END)


async def test_a_cut_note_ends_with_the_mark_and_the_key(tmp_path: Path) -> None:
    app = lesson("13-optimistic-op-mask.yaml", tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        note_rows = screen(app).splitlines()[1:3]
        assert app.query_one(NoteLine).is_cut
        assert note_rows[1].rstrip().endswith("… w: read all")


async def test_leaving_the_script_is_marked_and_following_it_is_not(tmp_path: Path) -> None:
    app = lesson("02-prune-needs-hold.yaml", tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert "off script" not in screen(app)  # the script germinated r0c1, as the lesson expects
        await press(pilot, "b")
        await override(pilot, op="WAIT")  # instead of the lesson's GERMINATE r0c1
        text = screen(app)
        assert "⚠ off script: r0c1 is EMPTY; the lesson expects GERMINATED here" in flat(text)
        await read(pilot, app, "The lesson wrote this note for its own run")


async def test_the_end_shows_the_state_the_last_decision_left(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, episode_length=3)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n")
        text = screen(app)
        assert "■ done · final state after epoch 3/3" in text
        frame = app.frame
        after_state = frame.observation
        assert frame.final and frame.last is not None
        before, after = frame.last.observation.slots["r0c1"], frame.observation.slots["r0c1"]
        assert (before.stage, before.epochs_in_stage) != (after.stage, after.epochs_in_stage)  # one more tick
        card = next(line for line in text.splitlines() if "EMBARGOED ⏳" in line)
        assert f"EMBARGOED ⏳{5 - after.epochs_in_stage}" in card  # the card is the state after, not before
        await press(pilot, "e")
    review = build_review_app(str(tmp_path / "ui-lesson-decisions.jsonl"))
    async with review.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")  # the last record: the review ends where the live run did
        assert "final state after epoch 3/3" in screen(review)
        assert review.frame.final and review.frame.observation == after_state
        await press(pilot, "b")
        assert "final state" not in screen(review) and not review.frame.final


async def test_review_marks_where_the_recorded_run_left_the_script(tmp_path: Path) -> None:
    app = lesson("02-prune-needs-hold.yaml", tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await override(pilot, op="WAIT")  # instead of the lesson's GERMINATE r0c1
        await press(pilot, "n", "e")
    export = tmp_path / "02-prune-needs-hold-decisions.jsonl"
    review = build_review_app(str(export))
    async with review.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "off script" not in screen(review)  # the first record: nothing has left the script yet
        await press(pilot, "n")
        assert "⚠ off script: r0c1 is EMPTY; the lesson expects GERMINATED here" in flat(screen(review))


async def test_review_marks_nothing_when_the_lesson_file_has_changed(tmp_path: Path) -> None:
    lesson_copy = tmp_path / "02.yaml"
    lesson_copy.write_text((LESSONS / "02-prune-needs-hold.yaml").read_text())
    app = build_live_app(str(lesson_copy), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await override(pilot, op="WAIT")
        await press(pilot, "n", "e")
    lesson_copy.write_text(lesson_copy.read_text() + "\n# edited after the run\n")
    review = build_review_app(str(tmp_path / "02-decisions.jsonl"))
    async with review.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert "off script" not in screen(review)  # not the script the run was recorded against
