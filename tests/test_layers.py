"""The layering holds: pyproject.toml's import-linter contracts pass, a broken one fails, and
docs/architecture.md draws the layers the contract lists.

import-linter runs in a fresh interpreter of this environment, on the source tree it is pointed at (the
repository, or a copy with one import added that a contract forbids). The pure layers' "no torch, no
Textual" is checked both here (statically, imports inside functions included) and by
tests/test_import_hygiene.py (what importing really loads, through third-party packages too).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
TIMEOUT_S = 120
MAX_MODULE_LINES = 400  # every module of the package, so that each one can be read in one sitting

# Puts the tree to check first on sys.path (ahead of an installed or editable copy) and makes sure that is
# the tamiyo_tui it analyses; then runs `lint-imports` as the command line does.
LINT = """
import sys
root = sys.argv.pop(1)
sys.path.insert(0, root)
import tamiyo_tui
assert tamiyo_tui.__file__.startswith(root), tamiyo_tui.__file__
from importlinter.cli import lint_imports_command
sys.exit(lint_imports_command())
"""


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT, str(root), "--no-cache", "--no-logo"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]  # type: ignore[no-any-return]


def test_the_import_contracts_hold() -> None:
    completed = lint_imports(REPO_ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in completed.stdout


# Each: a file of the package, a line that one contract forbids, and the start of that contract's name.
VIOLATIONS = {
    "tui reaches into the simulator": (
        "tui/engine.py",
        "from tamiyo_tui.sim.simulator import Simulator",
        "the TUI reaches the simulator",
    ),
    "two TUI modules import each other": (
        "tui/engine.py",
        "from tamiyo_tui.tui import app",
        "no two modules",
    ),
    "the session imports the TUI": ("session/jsonl.py", "from tamiyo_tui.tui import capture", "each layer imports"),
    "the simulator imports torch": ("sim/errors.py", "import torch", "domain, rules and sim import neither"),
    "the first frame imports torch": (
        "session/review.py",
        "from tamiyo_tui.session import loading",
        "the TUI and a review reach torch",
    ),
}


@pytest.mark.parametrize("case", VIOLATIONS)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, case: str) -> None:
    file, line, contract = VIOLATIONS[case]
    shutil.copytree(REPO_ROOT / "tamiyo_tui", tmp_path / "tamiyo_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    module = tmp_path / "tamiyo_tui" / file
    module.write_text(f"{module.read_text(encoding='utf-8')}\n{line}  # noqa\n", encoding="utf-8")

    completed = lint_imports(tmp_path)

    assert completed.returncode == 1, completed.stdout + completed.stderr
    broken = " ".join(completed.stdout.split("Broken contracts", 1)[-1].split())  # as one line, however wrapped
    assert contract in broken, completed.stdout


# --- the drawing ------------------------------------------------------------------------------------------


def drawn_layers() -> list[str]:
    """The layer lines of the drawing under "## Layers": its first fenced block, connector lines left out."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split("\n## Layers\n", 1)[1]
    block = re.search(r"^```text\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block is not None, "docs/architecture.md: no ```text block under ## Layers"
    lines = [line.split("  ")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line.strip("│ ")]


def contracted_layers() -> list[str]:
    (layers,) = (contract for contract in contracts() if contract["type"] == "layers")
    return list(layers["layers"])  # type: ignore[call-overload]


def test_the_architecture_doc_draws_the_contracted_layers() -> None:
    assert drawn_layers() == contracted_layers()


def test_every_drawn_layer_has_a_row_in_the_layer_table() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    # "(name)" is a layer kept for a package still to come; it has a row once it exists.
    names = [name.strip() for layer in contracted_layers() for name in layer.split("|") if "(" not in name]
    missing = [name for name in names if not re.search(rf"^\| `{re.escape(name)}(/|\.py)?`", text, re.MULTILINE)]
    assert not missing, f"docs/architecture.md: no table row for {missing}"


def test_modules_stay_short() -> None:
    modules = list((REPO_ROOT / "tamiyo_tui").rglob("*.py"))
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"over {MAX_MODULE_LINES} lines: {long}"
