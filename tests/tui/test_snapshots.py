"""Screen snapshots of a lesson at a fixed step, at 80×24 and 120×40, compared as plain text.

Text, not SVG: a diff of two text captures reads like the terminal itself, and the glyphs that carry
meaning (⊘ masked, ▶ chosen, ✓/✗, ⏳) are characters. Regenerate after an intended change with
``TAMIYO_UPDATE_SNAPSHOTS=1 python -m pytest tests/tui/test_snapshots.py``, review the diff, then run
``python tools/sync_screenshots.py``: the README's and docs/tui.md's screenshots are these files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import NARROW, WIDE, assert_matches_snapshot, press, screen, settle

from tamiyo_tui.tui.launch import build_live_app

pytestmark = pytest.mark.timeout(60)

LESSON = Path(__file__).resolve().parents[2] / "scenarios" / "01-first-seed.yaml"
STEPS = 8  # epoch 9: a seed in TRAINING, a lesson note, eight decisions on the timeline


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
async def test_main_screen(size: tuple[int, int], tmp_path: Path) -> None:
    app = build_live_app(str(LESSON), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, *["n"] * STEPS)
        assert app.frame.epoch == STEPS + 1
        assert_matches_snapshot(f"first-seed-step{STEPS}-{size[0]}x{size[1]}", screen(app))
