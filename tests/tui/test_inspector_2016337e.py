"""The inspector on a policy of esper-lite's 2016337e generation: the status line names the generation, the
heads panel shows the critic (Q over the valid ops, the margin, the predicted contributions), and the record
modal shows Q and the probabilities before the floor beside those after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, press, screen, settle

from tamiyo_tui.tui.launch import build_live_app
from tamiyo_tui.tui.screens.record import RecordScreen

pytestmark = pytest.mark.timeout(90)
TESTS = Path(__file__).resolve().parents[1]
CHECKPOINT = TESTS / "vectors" / "esper-2016337e-checkpoint.pt"
LESSON = TESTS.parent / "scenarios" / "01-first-seed.yaml"


async def test_the_inspector_names_the_generation_and_shows_its_critic(tmp_path: Path) -> None:
    app = build_live_app(str(LESSON), policy=str(CHECKPOINT), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        assert "esper-2016337e" in text.splitlines()[0]
        critic = next(line for line in text.splitlines() if "critic " in line)
        assert " > " in critic and "margin" in critic
        assert any(line.strip("│ ").startswith("contrib r0c0") for line in text.splitlines())
        await press(pilot, "n")
        app.query_one("#timeline").focus()
        await pilot.press("up", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        record = screen(app)
        assert "Q(s, op)" in record and "predicted per slot: r0c0" in record
        assert "p unfloored" in record


async def test_a_60205274_run_shows_neither_generation_nor_critic(tmp_path: Path) -> None:
    app = build_live_app(str(LESSON), policy="heuristic", device="cpu", export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        assert "esper-" not in text.splitlines()[0]
        assert not any(line.lstrip().startswith("critic ") for line in text.splitlines())
