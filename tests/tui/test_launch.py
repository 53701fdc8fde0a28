"""Starting the app: bad input stops before the app (one line, exit 2), the stylesheet ships with the
package, and nothing on the way to the first frame imports torch."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tui_harness import write_lesson

from tamiyo_tui.cli import main
from tamiyo_tui.errors import InputError
from tamiyo_tui.tui.launch import build_live_app, export_path_for


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
