"""The whole repository stays ``ruff check`` clean (rules from pyproject.toml)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed in this interpreter")
def test_ruff_check_is_clean() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(REPO_ROOT)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"ruff check failed:\n{completed.stdout}{completed.stderr}"
