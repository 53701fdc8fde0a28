"""The docs stay true to the repository: every screenshot in them is the snapshot test's capture."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


sync_screenshots = _load_tool("sync_screenshots")

# Where the docs show the main screen. A block whose markers went missing would escape the check below.
EXPECTED_SCREENSHOTS = {
    (Path("README.md"), "first-seed-step8-120x40"),
    (Path("docs/tui.md"), "first-seed-step8-120x40"),
    (Path("docs/tui.md"), "first-seed-step8-80x24"),
}


def all_blocks():
    return [block for doc in sync_screenshots.doc_paths() for block in sync_screenshots.blocks(doc)]


def test_the_docs_show_their_screenshots() -> None:
    missing = EXPECTED_SCREENSHOTS - {(block.doc, block.name) for block in all_blocks()}
    assert not missing, f"screenshot markers missing (doc, snapshot): {sorted(missing)}"


@pytest.mark.parametrize("block", all_blocks(), ids=lambda block: f"{block.doc}:{block.name}")
def test_screenshot_is_its_snapshot(block) -> None:
    assert not block.stale, (
        f"{block.doc}: the screenshot {block.name} differs from tests/tui/snapshots/{block.name}.txt; "
        f"run `{sync_screenshots.SCRIPT}` to copy the snapshot into the doc"
    )


def test_sync_replaces_only_the_block(tmp_path: Path) -> None:
    snapshots = tmp_path / sync_screenshots.SNAPSHOTS
    snapshots.mkdir(parents=True)
    (snapshots / "shot.txt").write_text("a screen\n", encoding="utf-8")
    doc = "before\n<!-- screenshot: shot -->\n```text\nan old screen\n```\n<!-- /screenshot -->\nafter\n"
    synced = sync_screenshots.synced(doc, Path("doc.md"), tmp_path)
    assert synced == "before\n<!-- screenshot: shot -->\n```text\na screen\n```\n<!-- /screenshot -->\nafter\n"
    assert sync_screenshots.synced(synced, Path("doc.md"), tmp_path) == synced


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        ("<!-- screenshot: shot -->\n```text\n```\n", "has no '<!-- /screenshot -->' line"),
        ("<!-- screenshot: nothing -->\n<!-- /screenshot -->\n", "names no snapshot"),
    ],
)
def test_sync_refuses_bad_markers(tmp_path: Path, doc: str, error: str) -> None:
    (tmp_path / sync_screenshots.SNAPSHOTS).mkdir(parents=True)
    (tmp_path / sync_screenshots.SNAPSHOTS / "shot.txt").write_text("a screen\n", encoding="utf-8")
    with pytest.raises(sync_screenshots.MarkerError, match=error):
        sync_screenshots.synced(doc, Path("doc.md"), tmp_path)


def test_check_mode_reports_and_the_script_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / sync_screenshots.SNAPSHOTS).mkdir(parents=True)
    (tmp_path / sync_screenshots.SNAPSHOTS / "shot.txt").write_text("a screen\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "page.md"
    doc.write_text("<!-- screenshot: shot -->\n```text\nold\n```\n<!-- /screenshot -->\n", encoding="utf-8")
    assert sync_screenshots.main(["--check"], tmp_path) == 1
    assert "docs/page.md: screenshot shot differs" in capsys.readouterr().out
    assert doc.read_text(encoding="utf-8").count("old") == 1  # --check changes nothing
    assert sync_screenshots.main([], tmp_path) == 0
    assert sync_screenshots.main(["--check"], tmp_path) == 0
    assert "a screen" in doc.read_text(encoding="utf-8")
