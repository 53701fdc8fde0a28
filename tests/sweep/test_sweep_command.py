"""``tamiyo-tui sweep``: the table and the file it writes, bad input as one line, and workers that change
nothing but the speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_harness import ERROR_PREFIX, PROBE, SUBPROCESS_TIMEOUT_S, run_cli

from tamiyo_tui import cli
from tamiyo_tui.session.findings import rank_key, read_sweep_file
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sweep.episodes import sweep_episodes
from tamiyo_tui.sweep.runner import SweepResult, SweepSettings
from tamiyo_tui.sweep.workers import run_sweep


def test_sweep_help_imports_neither_torch_nor_textual(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, "sweep", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "--seeds RANGE" in completed.stdout and "--workers N" in completed.stdout
    assert json.loads(completed.stdout.splitlines()[-1]) == {"code": 0, "heavy": []}


def test_a_sweep_prints_the_ranked_table_and_writes_every_finding(tmp_path: Path) -> None:
    completed = run_cli(
        "sweep", "01", "04", "--seeds", "0-3", "--policy", "lstm-untrained", "--policy", "lstm-bc",
        "--device", "cpu", "--top", "3", "--out", "sweep.jsonl", cwd=tmp_path,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""  # no progress bar on a pipe
    out = completed.stdout
    assert "sweep: 16 episodes" in out and "on cpu" in out
    assert "decisions worth a look (top 3 of" in out
    sweep = read_sweep_file(tmp_path / "sweep.jsonl")
    header = sweep.header
    assert (header.scenarios, header.seeds, header.policies) == (("01", "04"), "0-3", ("lstm-untrained", "lstm-bc"))
    assert header.episodes == 16 and header.findings == len(sweep.findings) > 3
    lengths = sum(load_scenario(scenario_path(lesson)).episode_length for lesson in ("01", "04"))
    assert header.decisions == 4 * 2 * lengths
    for finding in sweep.findings[:3]:
        assert finding.command() in out
    scores = [round(finding.score, 2) for finding in sweep.findings]
    assert scores == sorted(scores, reverse=True)
    counts = header.flag_counts
    assert counts["rejected"] > 0 and counts["high_entropy"] > 0  # an untrained network's hallmarks
    assert "written to sweep.jsonl" in out


def test_every_findings_command_is_one_the_inspector_accepts(tmp_path: Path) -> None:
    specs = sweep_episodes([("04", scenario_path("04"))], (0, 1), ("lstm-untrained",))
    result = run_sweep(specs, SweepSettings(device="cpu"))
    assert result.findings
    for finding in result.findings[:5]:
        words = finding.command().split()
        assert words[0] == "tamiyo-tui"
        args = cli.build_parser().parse_args(words[1:])
        assert (args.scenario, args.seed, args.policy, args.at) == ("04", finding.seed, "lstm-untrained", finding.epoch)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["sweep", "99"], ["unknown lesson '99'"]),
        (["sweep", "01", "--seeds", "5-2"], ["--seeds", "5-2 runs backwards"]),
        (["sweep", "01", "--seeds", "1,x"], ["--seeds", "'x'"]),
        (["sweep", "01", "--workers", "0"], ["--workers", "must be an integer ≥ 1, got '0'"]),
        (["sweep", "01", "--entropy-above", "1.5"], ["--entropy-above 1.5", "between 0 and 1"]),
        (["sweep", "01", "--value-drop", "big"], ["--value-drop", "must be a number, got 'big'"]),
        (["sweep", "01", "--policy", "nope"], ["unknown policy 'nope'"]),
        (["sweep", "01", "--device", "cuda:0", "--workers", "2"], ["--workers 2", "on cuda one process"]),
        (["sweep", "01", "--out", "no/such/folder/x.jsonl"], ["--out", "does not exist"]),
        (["sweep"], ["the following arguments are required: SCENARIO"]),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    names: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), captured.err
    for name in names:
        assert name in lines[0]
    assert captured.out == ""


def test_two_workers_find_what_one_finds_in_the_same_order() -> None:
    specs = sweep_episodes(
        [("04", scenario_path("04")), ("13", scenario_path("13"))], (0, 1, 2), ("lstm-untrained", "lstm-bc")
    )
    settings = SweepSettings(device="cpu")
    progress: list[int] = []
    one = run_sweep(specs, settings, workers=1)
    two = run_sweep(specs, settings, workers=2, on_progress=progress.append)

    assert (two.episodes, two.decisions) == (one.episodes, one.decisions) == (12, sum(progress))

    def summary(result: SweepResult) -> list[tuple]:
        # Floats as the table shows them: a batch of another size may round the last bits differently.
        return [
            (f.command(), f.flag_names, [flag.detail for flag in f.flags], round(f.score, 2))
            for f in sorted(result.findings, key=rank_key)
        ]

    assert summary(two) == summary(one)
