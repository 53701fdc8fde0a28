"""Issue #11 through the app: compare and switch show what the heuristic would really do in this run.

``tamiyo-tui scenarios/01-first-seed.yaml --policy policies/lstm-bc.yaml``: the cloned LSTM (sampling, as
the app starts) waits through epochs 1-7. The heuristic, shadowing, proposed GERMINATE conv_light at its
plateau (epoch 7), but that proposal was never carried out, so at epoch 8 it must still offer conv_light
(the lesson: the rotation starts at conv_light), and germinate conv_light once it is switched in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, press, settle

from tamiyo_tui.tui.launch import build_live_app
from tamiyo_tui.tui.screens.compare import CompareScreen

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
LESSON = str(REPO / "scenarios" / "01-first-seed.yaml")
POLICY = str(REPO / "policies" / "lstm-bc.yaml")


async def test_after_seven_lstm_waits_compare_and_switch_give_conv_light(tmp_path: Path) -> None:
    app = build_live_app(LESSON, policy=POLICY, device="cpu", export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        for epoch in range(1, 8):
            decision = app.frame.decision
            assert decision is not None
            assert (app.frame.epoch, decision.bundle, decision.heads["op"].chosen) == (epoch, "lstm", "WAIT")
            await press(pilot, "n")
        assert app.frame.epoch == 8
        assert app.frame.observation.slots["r0c0"] is None  # nothing was ever germinated

        await press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        choices = {compared.head: compared.choices for compared in app.screen.view.heads}
        assert choices["op"]["heuristic"][0] == "GERMINATE"
        assert choices["blueprint"]["heuristic"][0] == "CONV_LIGHT"
        await pilot.press("escape")
        await settle(pilot)

        await press(pilot, "p")
        decision = app.frame.decision
        assert decision is not None
        assert (decision.bundle, decision.heads["op"].chosen, decision.heads["blueprint"].chosen) == (
            "heuristic",
            "GERMINATE",
            "CONV_LIGHT",
        )
        await press(pilot, "n")
        last = app.frame.last
        assert last is not None
        assert (last.bundle, last.action["op"], last.action["blueprint"], last.outcome.accepted) == (
            "heuristic",
            "GERMINATE",
            "CONV_LIGHT",
            True,
        )
        germinated = app.frame.observation.slots["r0c0"]
        assert germinated is not None
        assert (germinated.stage, germinated.blueprint) == ("GERMINATED", "conv_light")

        await press(pilot, "b")  # step back: the heuristic's memory is exactly as it was before germinating
        assert app.frame.epoch == 8
        await press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        choices = {compared.head: compared.choices for compared in app.screen.view.heads}
        assert choices["blueprint"]["heuristic"][0] == "CONV_LIGHT"
