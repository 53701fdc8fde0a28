"""The docs stay true to the repository.

Every screenshot in them is the snapshot test's capture (``tools/sync_screenshots.py`` copies it in);
every repository path, ``tamiyo_tui`` module, ``module.function``, ``Class.method`` and called function
named in a doc's inline code exists; and no file refers to the spec files that live outside the
repository (``shared/…``, ``domain.md``, ``lifecycle.md``, ``product.md``) or to their section numbers.
"""

from __future__ import annotations

import importlib.util
import os
import re
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


# --- references: the docs name only what the repository has ---------------------------------------------

DOCS = sorted({*REPO_ROOT.glob("README.md"), *REPO_ROOT.glob("docs/*.md"), *REPO_ROOT.glob("*/README.md")})
PACKAGE = REPO_ROOT / "tamiyo_tui"
# Example file names the docs use for "your file", not files of the repository.
EXAMPLE_FILES = {"scenario.yaml"}
# Spec files and folders that live outside the repository, and the section sign their citations use: a
# reader of the repository does not have them.
OUTSIDE = re.compile("|".join([r"\bshared/", r"\b(?:domain|lifecycle|product|esper-head)\.md\b", "\u00a7"]))
SKIPPED_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".tcss", ".cfg", ".ini", ""}

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(
    r"(?<![\w/.-])(?:\.ci/[\w.*/-]+|(?:[\w*-]+/)*[\w*-]+(?:\.[\w*-]+)*\.(?:py|md|yaml|yml|pt|txt|tcss|toml))(?![\w/-])"
)
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w(])|(?<![\w.])([A-Za-z_]\w*)\(")


def code_spans(doc: Path) -> list[str]:
    """The doc's inline code spans (fenced blocks left out: they hold commands and sample output)."""
    return _SPAN.findall(_FENCE.sub("", doc.read_text(encoding="utf-8")))


def repository_files(text_only: bool = True) -> list[Path]:
    """The repository's files (no VCS, virtual environment or cache folders), this test file left out."""
    files = []
    for folder, dirs, names in os.walk(REPO_ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(set(names) - SKIPPED_DIRS):  # a worktree's `.git` is a file
            path = Path(folder, name)
            if (path.suffix in TEXT_SUFFIXES or not text_only) and path != Path(__file__).resolve():
                files.append(path)
    return files


def test_nothing_refers_to_spec_files_outside_the_repository() -> None:
    found = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not found, (
        "references to files outside the repository (say the fact, or point at the repository's own docs, "
        "e.g. docs/simulator.md):\n" + "\n".join(found)
    )


def _path_exists(token: str, doc: Path, names: list[str]) -> bool:
    if any(char in token for char in "*?["):  # `scenarios/*.yaml` must match; a bare `*.pt` means any file
        return "/" not in token or any(REPO_ROOT.glob(token)) or any(doc.parent.glob(token))
    if (REPO_ROOT / token).exists() or (doc.parent / token).exists():
        return True
    return any(name == token or name.endswith("/" + token) for name in names)  # `frames.py`, `widgets/host.py`


def test_paths_in_the_docs_exist() -> None:
    names = [path.relative_to(REPO_ROOT).as_posix() for path in repository_files(text_only=False)]
    missing = []
    for doc in DOCS:
        for span in code_spans(doc):
            for token in _PATH.findall(span):
                if token not in EXAMPLE_FILES and not _path_exists(token, doc, names):
                    missing.append(f"{doc.relative_to(REPO_ROOT)}: `{span}` names {token}, which does not exist")
    assert not missing, "\n".join(missing)


def _module_sources() -> dict[str, list[Path]]:
    """Module name and file stem → the package files that define it."""
    sources: dict[str, list[Path]] = {}
    for path in PACKAGE.rglob("*.py"):
        dotted = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
        sources.setdefault(dotted, []).append(path)
        if path.stem != "__init__":
            sources.setdefault(path.stem, []).append(path)
    return sources


def _defines(path: Path, name: str) -> bool:
    pattern = rf"^\s*(?:(?:async\s+)?def|class)\s+{name}\b|^\s*{name}\s*[:=]|^\s*from\s.*\bimport\b.*\b{name}\b"
    return re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE) is not None


def _classes() -> dict[str, list[Path]]:
    classes: dict[str, list[Path]] = {}
    for path in PACKAGE.rglob("*.py"):
        for name in re.findall(r"^class\s+(\w+)", path.read_text(encoding="utf-8"), re.MULTILINE):
            classes.setdefault(name, []).append(path)
    return classes


def _unresolved(reference: str, modules: dict[str, list[Path]], classes: dict[str, list[Path]]) -> str | None:
    """Why a dotted name (``tamiyo_tui.sim.loader``, ``rollouts.vary_scenario``, ``Scenario.widened_to``)
    or a called name (``explain_masks(``) does not resolve in the package; None when it does or is not ours."""
    parts = reference.split(".")
    if len(parts) == 1:  # a call: defined or called somewhere in the package (Textual's batch_update is)
        files = {path for paths in modules.values() for path in paths}
        word = re.compile(rf"\b{reference}\b")
        if not any(word.search(path.read_text(encoding="utf-8")) for path in files):
            return f"{reference}() occurs nowhere in tamiyo_tui"
        return None
    if parts[0] == "tamiyo_tui":
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            if module in modules:
                rest = parts[cut:]
                if rest and not any(_defines(path, rest[0]) for path in modules[module]):
                    return f"{module} has no {rest[0]}"
                return None
        return f"there is no module {reference}"
    owner, attribute = parts[0], parts[1]
    if owner in modules and modules[owner][0].stem == owner:
        files = modules[owner]
    elif owner in classes:
        files = classes[owner]
    else:
        return None  # torch.load, sim.snapshot(): not a module or class of the package
    if not any(_defines(path, attribute) for path in files):
        return f"{owner} has no {attribute}"
    return None


def test_modules_and_functions_named_in_the_docs_exist() -> None:
    modules, classes = _module_sources(), _classes()
    missing = []
    for doc in DOCS:
        for span in code_spans(doc):
            for dotted, called in _DOTTED.findall(_PATH.sub("", span)):
                problem = _unresolved(dotted or called, modules, classes)
                if problem:
                    missing.append(f"{doc.relative_to(REPO_ROOT)}: `{span}`: {problem}")
    assert not missing, "\n".join(missing)
