"""``tamiyo-tui review`` on real esper-lite telemetry: the inspector's panels show what training recorded and
say "not recorded" where it recorded nothing; the navigation keys, jumps and malformed-line notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_harness import WIDE, notices, press, screen, settle

from tamiyo_tui.session.telemetry_review import TelemetryReview
from tamiyo_tui.tui.telemetry_app import TelemetryApp

pytestmark = pytest.mark.timeout(60)

HEADS = ("op", "slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve")
TELEMETRY = Path(__file__).resolve().parents[1] / "data" / "esper-2016337e-telemetry" / "events.jsonl"


def first_decision(epoch: int = 1) -> dict:
    """Env 0's decision at ``epoch`` of episode 0, as the file holds it."""
    rows = (json.loads(line)["data"] for line in TELEMETRY.open() if '"last_action"' in line)
    return next(d for d in rows if (d["env_id"], d["episode_idx"], d["inner_epoch"]) == (0, 0, epoch))


def forced_rows(text: str) -> set[str]:
    """The heads whose row in the heads panel says forced."""
    return {h for line in text.splitlines() for h in HEADS if f"│ {h} " in line and "forced" in line}


async def test_the_panels_show_the_recorded_decision_and_what_is_not_recorded() -> None:
    app = TelemetryApp(TelemetryReview(TELEMETRY))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        first = first_decision()
        assert "review · esper-lite telemetry · esper-2016337e · env 0 · episode 0 (1/2) · epoch 1" in text
        assert "decision 1/40" in text
        assert f"✓ {first['action_name']} {first['slot_id']} {first['blueprint_id']}" in text
        op_row = next(line for line in text.splitlines() if "│ op " in line)
        confidence = first["head_telemetry"]["op_confidence"]
        assert f"{confidence:.2f}" in op_row and f"{first['head_telemetry']['op_entropy']:.2f}" in op_row
        assert f"op entropy    {float(first['decision_entropy']):.3f} nats (raw)" in text
        assert f"value         {first['value_estimate']:+.3f}" in text
        for slot, state in first["slot_states"].items():
            assert f"{slot}  {state}" in text
        assert f"total                 {first['total_reward']:+.4f}" in text
        assert "not recorded" in text and "full masks, logits, the observation, the" in text
        # Forced: one valid option left, as 2016337e's *_masked flags say; epoch 8's PRUNE has some.
        assert forced_rows(text) == {h for h in HEADS if first[f"{h}_masked"]}
        await press(pilot, *["n"] * 7)
        prune = first_decision(8)
        expected = {h for h in HEADS if prune[f"{h}_masked"]}
        assert expected and forced_rows(screen(app)) == expected


async def test_keys_step_through_epochs_episodes_environments_and_jumps() -> None:
    app = TelemetryApp(TelemetryReview(TELEMETRY))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "right")
        assert "env 0 · episode 0 (1/2) · epoch 3" in screen(app)
        await press(pilot, "pagedown")
        assert "env 1 · episode 1 (2/2) · epoch 1 · decision 21/40" in screen(app)
        await press(pilot, "E")
        assert "env 0 · episode 0 (1/2) · epoch 1" in screen(app)
        await press(pilot, "right_square_bracket")
        text = screen(app)
        assert text.splitlines()[3].strip().startswith("✗ ADVANCE")  # the first rejected action
        assert "▶ e5   ✗ ADVANCE r0c2" in text
        assert "r0c2 G2 → BLENDING failed: insufficient_training" in text  # the gate's event, on the timeline
        await press(pilot, "f")
        assert "high-entropy decision" in notices(app)
        await press(pilot, "b", "left", "b", "b", "b", "b")
        assert "Already at the first decision" in notices(app)


async def test_malformed_lines_are_reported_by_number(tmp_path: Path) -> None:
    lines = TELEMETRY.read_text().splitlines(keepends=True)
    lines[9:9] = ["{truncated\n"]
    broken = tmp_path / "events.jsonl"
    broken.write_text("".join(lines))
    app = TelemetryApp(TelemetryReview(broken))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        assert "1 malformed line(s) skipped: 10" in notices(app)
        assert "1 malformed line(s) skipped: 10" in screen(app)
