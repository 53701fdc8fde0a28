"""bench/ui_bench.py and bench/session_bench.py run in their quick mode, print their tables and one PASS or
MISS line per target. As in tests/test_bench_smoke.py, timings are never asserted, only the output's shape.
"""

from __future__ import annotations

import sys

import pytest
from test_bench_smoke import run_script as run_bench_script


def run_script(*args: str) -> str:
    completed = run_bench_script(*args)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def verdict_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith(("PASS ", "MISS "))]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the UI bench reads /proc and drives a pty")
def test_quick_ui_bench_prints_its_table_and_a_line_per_target() -> None:
    out = run_script("bench/ui_bench.py", "--quick")

    for measure in ("median", "p95 / max", "process start → policy ready", 'python -c "import torch"'):
        assert measure in out
    targets = [line.split(":")[0].split(maxsplit=1)[1] for line in verdict_lines(out)]
    assert targets == [
        "step key → repainted epoch at 120×40, p95",
        "process start → first frame, median",
        "CPU while paused, median",
    ]


def test_quick_session_bench_prints_its_tables_and_a_line_per_target() -> None:
    out = run_script("bench/session_bench.py", "--quick")

    for header in ("median", "min–max", "µs per decision", "RSS growth"):
        assert header in out
    lines = verdict_lines(out)
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in lines[:2]] == [
        "headless run, heuristic",
        "headless run, lstm",
    ]
    assert all("≥ 300/s" in line and "on one CPU thread" in line for line in lines[:2])
    assert len(lines) == 3 and "RSS growth" in lines[2]
