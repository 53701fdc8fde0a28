"""Copy the TUI snapshot captures into the docs, so a screenshot in the docs is always a real screen.

A doc marks where a screenshot goes; everything between the two marker lines is this script's::

    <!-- screenshot: first-seed-step8-120x40 -->
    ```text
    …the contents of tests/tui/snapshots/first-seed-step8-120x40.txt…
    ```
    <!-- /screenshot -->

    python tools/sync_screenshots.py          # rewrite every marked block from its snapshot file
    python tools/sync_screenshots.py --check  # change nothing; exit 1 naming each stale block

Run it after regenerating the snapshots (``TAMIYO_UPDATE_SNAPSHOTS=1 pytest tests/tui/test_snapshots.py``).
``tests/test_docs.py`` fails while a doc's block and its snapshot differ. The docs searched are
``README.md``, ``docs/*.md`` and ``*/README.md``. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path("tests/tui/snapshots")
DOC_GLOBS = ("README.md", "docs/*.md", "*/README.md")
SCRIPT = "python tools/sync_screenshots.py"

_OPEN = re.compile(r"^<!-- screenshot: (?P<name>[A-Za-z0-9_.-]+) -->\n", re.MULTILINE)
_CLOSE = re.compile(r"^<!-- /screenshot -->$", re.MULTILINE)
_CLOSE_TEXT = "<!-- /screenshot -->"


class MarkerError(ValueError):
    """A doc's markers cannot be read: an unclosed or nested block, or a snapshot that does not exist."""


@dataclass(frozen=True, slots=True)
class Block:
    doc: Path  # relative to the repository root
    name: str  # the snapshot's name: tests/tui/snapshots/<name>.txt
    current: str  # what the doc holds between the marker lines
    wanted: str  # what it should hold

    @property
    def stale(self) -> bool:
        return self.current != self.wanted


def fenced(snapshot: str) -> str:
    """The block body for a snapshot's text: one ```text fence around it."""
    body = snapshot if snapshot.endswith("\n") else snapshot + "\n"
    return f"```text\n{body}```\n"


def doc_paths(root: Path = REPO_ROOT) -> list[Path]:
    """The docs that may hold screenshots, relative to ``root``, each once, in a stable order."""
    found = {path.relative_to(root) for pattern in DOC_GLOBS for path in root.glob(pattern) if path.is_file()}
    return sorted(found)


def _spans(text: str, doc: Path, root: Path) -> list[tuple[str, int, int, str]]:
    """(snapshot name, start, end, wanted body) for each marked block; text[start:end] is its body."""
    spans = []
    for match in _OPEN.finditer(text):
        name = match["name"]
        close = _CLOSE.search(text, match.end())
        if close is None:
            raise MarkerError(f"{doc}: '<!-- screenshot: {name} -->' has no '{_CLOSE_TEXT}' line after it")
        end = close.start()
        if spans and match.start() < spans[-1][2]:
            raise MarkerError(f"{doc}: '<!-- screenshot: {name} -->' opens inside another screenshot block")
        snapshot = root / SNAPSHOTS / f"{name}.txt"
        if not snapshot.is_file():
            raise MarkerError(f"{doc}: screenshot '{name}' names no snapshot ({SNAPSHOTS / f'{name}.txt'} is missing)")
        spans.append((name, match.end(), end, fenced(snapshot.read_text(encoding="utf-8"))))
    return spans


def blocks(doc: Path, root: Path = REPO_ROOT) -> list[Block]:
    """Every marked screenshot block of ``doc`` with the text it holds and the text its snapshot gives."""
    text = (root / doc).read_text(encoding="utf-8")
    return [Block(doc, name, text[start:end], wanted) for name, start, end, wanted in _spans(text, doc, root)]


def synced(text: str, doc: Path, root: Path = REPO_ROOT) -> str:
    """``text`` with every marked block's body replaced by its snapshot (the marker lines kept)."""
    out, position = [], 0
    for _, start, end, wanted in _spans(text, doc, root):
        out += [text[position:start], wanted]
        position = end
    out.append(text[position:])
    return "".join(out)


def stale_blocks(root: Path = REPO_ROOT) -> list[Block]:
    return [block for doc in doc_paths(root) for block in blocks(doc, root) if block.stale]


def main(argv: list[str] | None = None, root: Path = REPO_ROOT) -> int:
    parser = argparse.ArgumentParser(description="Copy tests/tui/snapshots/*.txt into the docs' screenshot blocks.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is out of date")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_blocks(root)
            for block in stale:
                print(f"{block.doc}: screenshot {block.name} differs from {SNAPSHOTS}/{block.name}.txt")
            if stale:
                print(f"run `{SCRIPT}` to update them")
                return 1
            return 0
        for doc in doc_paths(root):
            path = root / doc
            text = path.read_text(encoding="utf-8")
            new = synced(text, doc, root)
            if new != text:
                path.write_text(new, encoding="utf-8")
                print(f"updated {doc}")
    except MarkerError as err:
        print(f"sync_screenshots: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
