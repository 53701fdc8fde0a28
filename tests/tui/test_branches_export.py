"""Branches are never lost (listed, switched to, exported, reviewed under the same names), exports never
overwrite and never write a file review refuses, the run-stop rule is on screen, quitting offers export."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, lesson_app, notices, override, press, screen, settle, until

from tamiyo_tui.session.jsonl import read_run
from tamiyo_tui.tui.launch import build_review_app
from tamiyo_tui.tui.screens.branches import BranchesScreen
from tamiyo_tui.tui.screens.quit import QuitScreen

pytestmark = pytest.mark.timeout(90)
EXPORT = "ui-lesson-decisions.jsonl"


async def test_export_refuses_an_empty_run_and_never_overwrites(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert "Nothing to export yet" in notices(app)
        assert not (tmp_path / EXPORT).exists()  # review would refuse a header alone
        await press(pilot, "n", "e")
        first = (tmp_path / EXPORT).read_text(encoding="utf-8")
        await press(pilot, "n", "e")
        assert f"Exported 2 decisions to {tmp_path / 'ui-lesson-decisions-2.jsonl'}" in notices(app)
        assert (tmp_path / EXPORT).read_text(encoding="utf-8") == first  # the earlier export is untouched
        assert len(read_run(tmp_path / "ui-lesson-decisions-2.jsonl").decisions) == 2


async def branched(pilot) -> None:
    """Three policy steps, back to step 1, an override there: branch 0 (two steps) is abandoned."""
    await settle(pilot)
    await press(pilot, "n", "n", "n", "b", "b")
    await override(pilot, op="WAIT")


async def test_an_abandoned_branch_can_be_listed_and_switched_to(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await branched(pilot)
        text = screen(app)
        assert "⑂ branch 0 abandoned at step 1 (2 steps)" in text
        assert "⑂ branch 1 begins at step 1" in text
        assert "1 e2   ✓ WAIT override" in text
        await press(pilot, "B")
        assert isinstance(app.screen, BranchesScreen)
        assert "● branch 1 (current) · 2 steps" in screen(app)
        assert "⑂ branch 0 · left the current one at step 1 · 3 steps" in screen(app)
        await press(pilot, "down", "enter")
        assert not isinstance(app.screen, BranchesScreen)
        text = screen(app)
        assert "⑂ branch 1 abandoned at step 1 (1 steps)" in text  # the branch left is kept in turn
        assert app.frame.position == 1
        await press(pilot, "n", "n")  # branch 0's own decisions, replayed exactly: no new fork
        assert app.frame.epoch == 4
        assert [item.source for item in app.frame.timeline if hasattr(item, "source")] == ["policy"] * 3
        assert "⑂ branch 1 abandoned at step 1 (1 steps)" in screen(app) and "branch 2" not in screen(app)


async def test_an_export_holds_every_branch_and_review_names_them_alike(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await branched(pilot)
        await press(pilot, "e")
        assert "with 1 abandoned branch(es), 2 decisions" in notices(app)
    run = read_run(tmp_path / EXPORT)
    assert [(r.branch, r.step, r.source) for r in run.decisions] == [
        (0, 0, "policy"),
        (1, 1, "override"),
        (0, 1, "policy"),
        (0, 2, "policy"),
    ]
    assert all(set(r.others) == {"lstm"} for r in run.decisions)  # the partner's choice, for the jump keys
    review = build_review_app(str(tmp_path / EXPORT))
    async with review.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(review)
        assert "⑂ branch 1 begins at step 1" in text
        assert "⑂ branch 0 abandoned at step 1 (2 steps)" in text  # the live run's words
        assert "2 e3   ✓ WAIT heuristic" in text  # rows show their step, not their place in the file


async def test_a_run_says_it_stops_at_a_rejection_and_stops_there(tmp_path: Path) -> None:
    slow = lesson_app(tmp_path, run_interval=60.0)
    async with slow.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert "▶ running (stops at ✗)" in screen(slow).splitlines()[0]  # the rule, on screen
    app = lesson_app(tmp_path, policy="lstm", run_interval=0.05)  # the untrained LSTM's first PRUNE is rejected
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await until(pilot, lambda: not app.running, "the run stopped by itself")
        assert not app.frame.done
        assert app.frame.last is not None and not app.frame.last.outcome.accepted
        assert "Run stopped at the rejection: space runs on from here" in notices(app)
        assert "⏸ paused" in screen(app).splitlines()[0]


async def test_quitting_with_decisions_not_exported_offers_to_export(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "q")
        assert isinstance(app.screen, QuitScreen)
        await press(pilot, "escape")
        assert app.is_running and not isinstance(app.screen, QuitScreen)
        await press(pilot, "q")
        await pilot.press("e")
        await until(pilot, lambda: not app.is_running, "the app quit after exporting")
    assert len(read_run(tmp_path / EXPORT).decisions) == 1


async def test_quitting_right_after_an_export_does_not_ask(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "e")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, "the app quit")
