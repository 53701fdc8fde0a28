"""The pure layers (``domain``, ``rules``, ``sim``) must never pull in torch or Textual, even indirectly.

Each import runs in a fresh interpreter, because this test process may already hold torch from other
tests. Modules are discovered from the source tree at collection time, so a new pure module is covered
without editing this file. pyproject.toml's ``pure-layers`` import-linter contract (tests/test_layers.py)
checks the same statically, imports inside functions included; this test sees what an import really
loads, through third-party packages too.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO_ROOT / "tamiyo_tui"
PURE_LAYERS = ("domain", "rules", "sim")
FORBIDDEN = ("torch", "textual")
# Named by the issue; listed so that a discovery bug cannot silently drop them.
REQUIRED_MODULES = ("tamiyo_tui", "tamiyo_tui.rules.masks", "tamiyo_tui.sim.scenario")

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
forbidden = sys.argv[2].split(",")
loaded = sorted(name for name in sys.modules if name.split(".")[0] in forbidden)
print(json.dumps(loaded))
"""


def discover_modules(package_dir: Path, package_name: str) -> list[str]:
    """The package and every module below it, found on disk without importing any of them."""
    found = [package_name]
    for info in pkgutil.iter_modules([str(package_dir)]):
        qualified = f"{package_name}.{info.name}"
        if info.ispkg:
            found.extend(discover_modules(package_dir / info.name, qualified))
        else:
            found.append(qualified)
    return found


def pure_modules() -> list[str]:
    modules = ["tamiyo_tui"]
    for layer in PURE_LAYERS:
        modules.extend(discover_modules(PACKAGE_DIR / layer, f"tamiyo_tui.{layer}"))
    return sorted(set(modules))


PURE_MODULES = pure_modules()


def test_discovery_covers_the_known_pure_modules() -> None:
    expected = {
        *REQUIRED_MODULES,
        "tamiyo_tui.domain",
        "tamiyo_tui.domain.actions",
        "tamiyo_tui.domain.alpha",
        "tamiyo_tui.domain.constants",
        "tamiyo_tui.domain.observation",
        "tamiyo_tui.domain.slots",
        "tamiyo_tui.domain.stages",
        "tamiyo_tui.rules",
        "tamiyo_tui.sim",
    }
    assert expected <= set(PURE_MODULES)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_import_leaves_torch_and_textual_unloaded(module: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, module, ",".join(FORBIDDEN)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, f"importing {module} failed:\n{completed.stderr}"
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing {module} loaded {loaded}"
