"""A reference trainer's checkpoint with telemetry features, opened in the inspector: the status line says
the telemetry blocks are read, and the full record of a decision says so too."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkpoint_files import trainer_file
from tui_harness import WIDE, press, screen, settle, write_lesson

from tamiyo_tui.tui.launch import build_live_app

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("telemetry", [True, False])
async def test_the_status_line_says_when_the_lstm_reads_telemetry(tmp_path: Path, telemetry: bool) -> None:
    checkpoint = trainer_file(tmp_path / "ppo.pt", telemetry)
    app = build_live_app(str(write_lesson(tmp_path)), policy=str(checkpoint), device="cpu", export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        status = screen(app).splitlines()[0]
        assert "lstm" in status
        assert ("+telemetry" in status) is telemetry
        await press(pilot, "n")
        assert app.frame.last is not None and app.frame.last.telemetry_features is telemetry
