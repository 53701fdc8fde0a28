"""Text snapshots of the scenes the inspector must get right, at 80×24, 120×40 and 200×60: lesson 02 with
⊘PRUNE picked and its whole reason readable, lesson 13's first narration in full, the end of lesson 01,
compare after an override branch, and the review of an export with two branches. Regenerate with
``TAMIYO_UPDATE_SNAPSHOTS=1`` and read the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import NARROW, WIDE, assert_matches_snapshot, lesson_app, override, press, screen, settle

from tamiyo_tui.tui.launch import build_live_app, build_review_app
from tamiyo_tui.tui.screens.compare import CompareScreen
from tamiyo_tui.tui.screens.reader import ReaderScreen
from tamiyo_tui.tui.widgets.heads import HeadsPanel, Selection

pytestmark = pytest.mark.timeout(90)
LESSONS = Path(__file__).resolve().parents[2] / "scenarios"
SIZES = [NARROW, WIDE, (200, 60)]
IDS = ["80x24", "120x40", "200x60"]


def name(scene: str, size: tuple[int, int]) -> str:
    return f"{scene}-{size[0]}x{size[1]}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_lesson_02_prune_picked(size, tmp_path: Path) -> None:
    app = build_live_app(str(LESSONS / "02-prune-needs-hold.yaml"), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        heads = app.query_one(HeadsPanel)
        heads.focus()
        while heads.selection != Selection("op", 3):
            await pilot.press("j")
        await settle(pilot)
        assert_matches_snapshot(name("lesson02-prune", size), screen(app))
        await press(pilot, "w")  # where the why panel cuts it (or is hidden at 80×24), the reader has it all
        assert isinstance(app.screen, ReaderScreen)
        assert_matches_snapshot(name("lesson02-prune-reader", size), screen(app))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_lesson_13_first_narration(size, tmp_path: Path) -> None:
    app = build_live_app(str(LESSONS / "13-optimistic-op-mask.yaml"), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        assert_matches_snapshot(name("lesson13-e1-narration", size), screen(app))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_lesson_01_end(size, tmp_path: Path) -> None:
    app = build_live_app(str(LESSONS / "01-first-seed.yaml"), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, *["n"] * 16)
        assert app.frame.done
        assert_matches_snapshot(name("lesson01-end", size), screen(app))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_compare_after_an_override_branch(size, tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "b", "b")
        await override(pilot, op="WAIT")
        await press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        assert_matches_snapshot(name("compare-after-override", size), screen(app))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_review_of_an_export_with_two_branches(size, tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "b", "b")
        await override(pilot, op="WAIT")
        await press(pilot, "e")
    review = build_review_app(str(tmp_path / "ui-lesson-decisions.jsonl"))
    async with review.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert_matches_snapshot(name("review-two-branches", size), screen(review))
