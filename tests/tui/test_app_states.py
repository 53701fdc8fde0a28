"""The app's states around the keys: loading, a policy that fails, the compact layout and resizing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tui_harness import NARROW, WIDE, lesson_app, press, screen, settle

from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.live import LiveInspector
from tamiyo_tui.session.preview import Preview
from tamiyo_tui.tui.widgets.why import WhyPanel

pytestmark = pytest.mark.timeout(60)


async def test_keys_pressed_while_the_policy_loads_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = threading.Event()
    open_session = Preview.open

    def gated_open(preview: Preview) -> LiveInspector:
        loaded.wait(timeout=30)
        return open_session(preview)

    monkeypatch.setattr(Preview, "open", gated_open)
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await pilot.pause()
        text = screen(app)
        assert "heuristic (loading…)" in text
        assert "loading policy… (masks from the rule set)" in text
        assert "⊘FOSSILIZE" in text  # the masks are there before torch is
        assert "EMBARGOED ⏳4" in text
        assert "n/→ Step" in text.splitlines()[-1] and "q Quit" in text.splitlines()[-1]  # the keys, while loading
        await pilot.press("n")
        await pilot.pause()
        assert "The policy is still loading…" in screen(app)
        assert "epoch 1/14" in screen(app)
        loaded.set()
        await settle(pilot)
        text = screen(app)
        assert "loading" not in text.splitlines()[0]
        assert "heuristic · value —" in text


async def test_nan_logits_put_the_heads_panel_in_an_error_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)

        def broken(self: PolicyRunner, *args: object, **kwargs: object) -> None:
            raise ValueError("head op: logits contain NaN")

        monkeypatch.setattr(PolicyRunner, "decide", broken)
        await press(pilot, "n")  # the decision for epoch 1 was made before the break
        text = screen(app)
        assert "epoch 2/14" in text
        assert "⚠ policy error: head op: logits contain NaN" in text
        await press(pilot, "n")
        text = screen(app)
        assert "epoch 2/14" in text  # nothing was carried out
        assert "policy error: head op: logits contain NaN" in text
        assert app.is_running


async def test_the_compact_layout_fits_80x24_and_survives_resizing(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-narrow", "-short")
        assert not app.query_one(WhyPanel).display
        text = screen(app)
        assert len(text.splitlines()) == 24
        assert all(len(line) <= 80 for line in text.splitlines())
        for visible in (
            "⏸ paused · epoch 1/14 · heuristic ⇄ lstm (untrained) · cpu",
            "TRAINING",
            "EMBARGOED ⏳4",
            "▶ ADVANCE",
            "q Quit",
        ):
            assert visible in text
        assert "in stage" not in text  # compact three-line slot cards
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        assert app.screen.has_class("-wide", "-tall")
        assert app.query_one(WhyPanel).display
        assert "op.ADVANCE ✓ allowed" in screen(app)
        assert "in stage" in screen(app)  # the cards were laid out again for their new size
        await pilot.resize_terminal(*NARROW)
        await press(pilot, "n")
        assert "epoch 2/14" in screen(app)


async def test_the_footer_follows_each_resize_at_once_and_keeps_quit(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        footer = screen(app).splitlines()[-1]
        assert "d Sampling" in footer and "e Export" in footer and "] Jump→" in footer and "q Quit" in footer
        await pilot.resize_terminal(*NARROW)
        await settle(pilot)
        footer = screen(app).splitlines()[-1]
        assert "q Quit" in footer and "w Read" in footer  # not one resize behind
        assert "e Export" not in footer and len(footer) <= 80
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        footer = screen(app).splitlines()[-1]
        assert "d Sampling" in footer and "e Export" in footer and "q Quit" in footer
        assert "] Jump→" not in footer  # below 160 columns the jump keys are in help and the palette only


async def test_surplus_keys_leave_one_notice_on_screen_not_a_pile(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, episode_length=3)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n")
        await press(pilot, "n", "n", "n", "n")  # past the end: each key answers with a notice
        text = screen(app)
        assert text.count("The episode is over (epoch 3)") == 1, text
        await press(pilot, "o")  # a different notice replaces it
        text = screen(app)
        assert "The episode is over (epoch 3)" not in text
        assert "step back (b) to override" in text
