"""``tamiyo-tui SCENARIO --policy POLICY`` reads the scenario and the policy file once each on the way to the
first decision: the first frame and the session opened on the engine thread share what was read at start.

Every ``open()`` of the process is watched (``builtins.open`` and ``io.open``, which ``Path`` reads through),
so a second read anywhere on the way counts, whichever loader makes it: the checkpoint the policy file names
too (loaded and hashed from one read).
"""

from __future__ import annotations

import builtins
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tui_harness import WIDE, press, settle, until

import tamiyo_tui.session.loading as loading
import tamiyo_tui.tui.launch as launch
from tamiyo_tui.cli import main
from tamiyo_tui.shipped import lessons_dir, policies_dir
from tamiyo_tui.tui.app import TamiyoApp

pytestmark = pytest.mark.timeout(60)


def count_opens(monkeypatch: pytest.MonkeyPatch, files: list[Path]) -> Counter[Path]:
    """How often each of ``files`` is opened from now on (on any thread)."""
    watched = {file.resolve() for file in files}
    opened: Counter[Path] = Counter()
    real_open = io.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and (path := Path(file).resolve()) in watched:
            opened[path] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    return opened


async def test_start_up_reads_the_scenario_and_the_policy_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = lessons_dir() / "05-enabled-slots.yaml"
    policy_file, checkpoint = policies_dir() / "lstm-bc.yaml", policies_dir() / "lstm-bc.pt"
    apps: list[TamiyoApp] = []
    monkeypatch.setattr(launch, "run_app", lambda app: apps.append(app) or 0)  # the app runs under Pilot below
    opened = count_opens(monkeypatch, [scenario, policy_file, checkpoint])
    checkpoints: list[Path] = []
    load_checkpoint = loading.load_checkpoint

    def counting_load(path: Path, *args: Any) -> Any:
        checkpoints.append(path)
        return load_checkpoint(path, *args)

    monkeypatch.setattr(loading, "load_checkpoint", counting_load)

    assert main(["05", "--policy", "lstm-bc", "--device", "cpu"]) == 0
    (app,) = apps
    async with app.run_test(size=WIDE) as pilot:
        await until(pilot, lambda: not app.frame.loading, "the policy to load")
        await settle(pilot)
        await press(pilot, "n")
        assert app.frame.position == 1 and app.frame.last is not None  # the first decision is carried out

    assert opened == {scenario.resolve(): 1, policy_file.resolve(): 1, checkpoint.resolve(): 1}
    assert [path.resolve() for path in checkpoints] == [checkpoint.resolve()]
