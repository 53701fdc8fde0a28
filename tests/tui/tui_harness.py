"""What the TUI tests share: a small lesson scenario and ways to wait on the app without sleeping.

Imported by the test modules beside it (pytest puts this folder on ``sys.path``); not a conftest, which
the lead owns.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tamiyo_tui.tui.app import TamiyoApp
from tamiyo_tui.tui.capture import screen_text
from tamiyo_tui.tui.launch import build_live_app
from tamiyo_tui.tui.screens.override import HeadChoice
from tamiyo_tui.tui.widgets.text_line import TextLine

# Epoch 1: r0c0 TRAINING (FOSSILIZE is masked: no HOLDING seed), r0c1 EMBARGOED (cooldown), r0c2 disabled.
LESSON_YAML = """\
schema: 1
name: UI lesson
description: A seed trains and blends while another cools down after a prune.
seed: 7
episode_length: 14
slots: [r0c0, r0c1, r0c2]
enabled_slots: [r0c0, r0c1]
host:
  val_accuracy: {start: 50, end: 70, plateau_at: 6, noise: 0.1}
blueprints:
  default: {contribution: 2.0, params: 1000}
initial:
  r0c0: {stage: TRAINING, blueprint: conv_light, epochs_in_stage: 2, epochs_total: 3}
  r0c1: {stage: EMBARGOED, blueprint: norm, epochs_in_stage: 1, epochs_total: 6}
events:
  - {at: 1, note: "r0c1 cools down after a prune"}
  - {at: 3, note: "Watch the op head"}
"""
WIDE = (120, 40)
NARROW = (80, 24)
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_SNAPSHOTS = os.environ.get("TAMIYO_UPDATE_SNAPSHOTS") == "1"
# Upper bound on idle round trips while waiting for a condition; a bound, never a sleep.
MAX_ROUNDS = 4000


def write_lesson(directory: Path, *, episode_length: int = 14) -> Path:
    path = directory / "ui-lesson.yaml"
    path.write_text(LESSON_YAML.replace("episode_length: 14", f"episode_length: {episode_length}"), encoding="utf-8")
    return path


def lesson_app(
    directory: Path,
    *,
    policy: str = "heuristic",
    device: str = "cpu",
    episode_length: int = 14,
    run_interval: float = 0.3,
) -> TamiyoApp:
    path = write_lesson(directory, episode_length=episode_length)
    return build_live_app(str(path), policy=policy, device=device, export_dir=directory, run_interval=run_interval)


async def settle(pilot: Pilot[object]) -> None:
    """Until every engine job has come back and the screen has caught up with it."""
    app = pilot.app
    for _ in range(MAX_ROUNDS):
        await pilot.pause()
        await app.workers.wait_for_complete()
        if not getattr(app, "busy", False):
            await pilot.pause()
            return
    raise AssertionError("the engine never went idle")


async def until(pilot: Pilot[object], condition: Callable[[], bool], what: str) -> None:
    for _ in range(MAX_ROUNDS):
        if condition():
            return
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    raise AssertionError(f"never happened: {what}")


async def press(pilot: Pilot[object], *keys: str) -> None:
    """Press keys one at a time, each one's decision shown before the next key."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def choose(pilot: Pilot[object], head: str, option: str) -> None:
    """Cycle one head of the override modal to ``option`` with real key presses."""
    choice = pilot.app.screen.query_one(f"#choice-{head}", HeadChoice)
    while not choice.has_focus:
        await pilot.press("down")
    for _ in range(len(choice.verdicts)):
        if choice.verdict.option == option:
            return
        await pilot.press("right")
    raise AssertionError(f"{head} has no option {option}")


async def override(pilot: Pilot[object], **action: str) -> None:
    """``o``, each head set as given, enter: the override carried out and shown."""
    await pilot.press("o")
    await pilot.pause()
    for head, option in action.items():
        await choose(pilot, head, option)
    await pilot.press("enter")
    await settle(pilot)


def notices(app: TamiyoApp) -> str:
    """The words of the toasts on screen, as one line (a toast wraps its text in its own box)."""
    return " · ".join(notification.message for notification in app._notifications)


def screen(app: TamiyoApp) -> str:
    return screen_text(app)


def outcome(app: TamiyoApp) -> str:
    """The outcome line's words, however the terminal width wrapped them."""
    return str(app.query_one("#outcome", TextLine).text)


def assert_matches_snapshot(name: str, text: str) -> None:
    """``text`` equals ``snapshots/NAME.txt`` (with TAMIYO_UPDATE_SNAPSHOTS=1: becomes it)."""
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE_SNAPSHOTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.name}: run with TAMIYO_UPDATE_SNAPSHOTS=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), text.splitlines(), "snapshot", "screen"))
        pytest.fail(f"{path.name} differs (TAMIYO_UPDATE_SNAPSHOTS=1 regenerates it):\n{diff}")
