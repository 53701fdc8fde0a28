"""Running the command line as a user does, in a fresh interpreter, for the CLI tests of every folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SUBPROCESS_TIMEOUT_S = 180
ERROR_PREFIX = "tamiyo-tui: error: "

# Runs cli.main and reports its exit code and which heavy packages it imported.
PROBE = """
import json, sys
from tamiyo_tui import cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("torch", "textual"))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tamiyo_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
