"""The behaviour-cloned policy in the inspector: sure of itself where the heuristic's choice is clear.

Lesson 05, epoch 3: the only enabled slot r0c1 holds a GERMINATED seed (a scripted GERMINATE at epoch 2
put it there, whatever the policy chose before), so WAIT, PRUNE and ADVANCE are valid and the heuristic
advances the seed. An untrained LSTM is near uniform there (entropy ≈ 1.00); the cloned one must not be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, press, screen, settle

from tamiyo_tui.tui.launch import build_live_app
from tamiyo_tui.tui.screens.compare import CompareScreen
from tamiyo_tui.tui.widgets.heads import entropy_label

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
LESSON = str(REPO / "scenarios" / "05-enabled-slots.yaml")
POLICY = str(REPO / "policies" / "lstm-bc.yaml")
CLEAR_STATE_ENTROPY_BOUND = 0.9


async def test_the_cloned_policy_is_confident_where_the_heuristic_choice_is_clear(tmp_path: Path) -> None:
    app = build_live_app(LESSON, policy=POLICY, device="cpu", deterministic=True, export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")  # epochs 1 and 2 carry out the lesson's scripted GERMINATEs

        frame = app.frame
        assert frame.decision is not None
        op = frame.decision.heads["op"]
        assert (frame.epoch, frame.decision.bundle) == (3, "lstm")
        assert (op.chosen, op.valid_count) == ("ADVANCE", 3)
        assert op.entropy < CLEAR_STATE_ENTROPY_BOUND
        assert max(op.probs) == op.probs[op.chosen_index]
        assert entropy_label(op) in screen(app)

        await press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        choices = {compared.head: compared.choices for compared in app.screen.view.heads}
        assert choices["op"]["heuristic"][0] == "ADVANCE"
        assert choices["slot"]["heuristic"][0] == choices["slot"]["lstm"][0] == "r0c1"
