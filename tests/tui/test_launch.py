"""Starting the app: bad input stops before the app (one line, exit 2), the stylesheet ships with the
package, and nothing on the way to the first frame imports torch."""

from __future__ import annotations

import importlib.resources
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tui_harness import WIDE, screen, until, write_lesson

from tamiyo_tui.cli import main
from tamiyo_tui.errors import InputError
from tamiyo_tui.tui.launch import build_live_app, export_path_for, run_app


def test_the_stylesheet_is_package_data() -> None:
    stylesheet = importlib.resources.files("tamiyo_tui.tui") / "styles.tcss"
    assert stylesheet.is_file()
    assert "#main" in stylesheet.read_text(encoding="utf-8")


def test_a_bad_scenario_fails_before_the_app_starts(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(write_lesson(tmp_path).read_text(encoding="utf-8").replace("seed: 7", "seed: seven"))
    with pytest.raises(InputError, match=r"bad\.yaml:4:\d+: seed"):
        build_live_app(str(path))


def test_a_bad_policy_fails_before_the_app_starts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown policy"):
        build_live_app(str(write_lesson(tmp_path)), policy="random-forest")


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.yaml")]) == 2
    assert main(["review", str(tmp_path / "missing.jsonl")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("tamiyo-tui: error: ") for line in lines)


def test_exports_go_next_to_the_operator_named_after_the_scenario(tmp_path: Path) -> None:
    assert export_path_for("scenarios/01-first-seed.yaml", tmp_path) == tmp_path / "01-first-seed-decisions.jsonl"


PROBE = """
import json, sys
from tamiyo_tui.tui.launch import build_live_app, build_review_app
app = build_live_app(sys.argv[1], device="cpu")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "torch")))
"""


def test_the_first_frame_needs_no_torch(tmp_path: Path) -> None:
    """Building the app (scenario, masks, first frame, widgets) must not import torch: it paints first."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(write_lesson(tmp_path))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == []


# --- a policy that passes the pure checks but cannot load: exit 2, the line `run` prints ------------------

ERROR_PREFIX = "tamiyo-tui: error: "
# Textual's own headless driver: the real command in a real process, with no terminal to draw on.
HEADLESS_DRIVER = "textual.drivers.headless_driver:HeadlessDriver"
NO_CUDA = "CUDA is not available on this machine; use --device cpu or auto"


def unloadable_policy(directory: Path, case: str) -> tuple[str, str]:
    """(--policy, --device) for a policy that only fails once torch loads it."""
    if case == "truncated":
        (directory / "truncated.pt").write_bytes(bytes(range(256)) * 4)
        return "truncated.pt", "cpu"
    if case == "random":
        torch.save({"weights": torch.randn(3, 4), "step": 7}, directory / "random.pt")
        return "random.pt", "cpu"
    return "heuristic", "cuda:7"  # no such device here, with or without CUDA


def run_error_line(directory: Path, policy: str, device: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What `tamiyo-tui run` prints for the same input: the line the TUI must print too."""
    capsys.readouterr()
    assert main(["run", str(write_lesson(directory)), "--policy", policy, "--device", device]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), lines
    return lines[0].removeprefix(ERROR_PREFIX)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", ["truncated", "random", "no-device"])
async def test_a_policy_that_cannot_load_ends_the_app_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    policy, device = unloadable_policy(tmp_path, case)
    expected = run_error_line(tmp_path, policy, device, capsys)
    app = build_live_app(str(write_lesson(tmp_path)), policy=policy, device=device)

    async with app.run_test(size=WIDE, notifications=True) as pilot:
        assert "TRAINING" in screen(app)  # the first frame comes before torch, and before the failure
        await until(pilot, lambda: app.frame.error is not None, "the load failure")
        assert app.return_code == 2
        assert app.load_error == expected

    monkeypatch.setattr(app, "run", lambda: None)  # it has run: what the launcher makes of how it ended
    with pytest.raises(InputError) as raised:  # the CLI prints it as one line, exit 2
        run_app(app)
    assert str(raised.value) == expected


@pytest.mark.parametrize("case", ["truncated", "no-cuda"])
def test_the_tui_command_prints_the_same_line_as_run_in_a_real_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    if case == "no-cuda":
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA: --device cuda is valid here")
        policy, device, expected = "heuristic", "cuda", NO_CUDA
    else:
        policy, device = unloadable_policy(tmp_path, case)
        expected = run_error_line(tmp_path, policy, device, capsys)
    lesson = write_lesson(tmp_path)

    completed = subprocess.run(
        [sys.executable, "-m", "tamiyo_tui", lesson.name, "--policy", policy, "--device", device],
        cwd=tmp_path,
        env={**os.environ, "TEXTUAL_DRIVER": HEADLESS_DRIVER},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.splitlines() == [ERROR_PREFIX + expected]
