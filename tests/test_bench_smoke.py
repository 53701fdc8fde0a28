"""The benchmark scripts run, print what they promise, and the device check's verdict can fail.

The scripts run as the user runs them (a subprocess from the repository root). Timings are never
asserted: on a shared test machine they mean nothing; only the shape of the output is checked.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.types import ActionResult, HeadOutputs

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"
SCRIPT_TIMEOUT_S = 180

TABLE_HEADERS = ("case", "median", "min–max", "per second")
CASES = (
    "features (observation_features)",
    "masks (explain_masks)",
    "batch (features + masks as tensors)",
    "LSTM get_action on a built batch",
    "decision: LSTM, batch + get_action",
    "decision + host copy: LSTM",
    "decision + per-tensor reads: LSTM",
    "decision: heuristic",
    "2016337e: decision + host copy",
    "2016337e: network get_action, built inputs",
    "2016337e: network get_action, batch 1,024",
    "2016337e: sweep, 16 episodes (per decision)",
)
VERDICT_NAMES = ("decision + host copy, batch 1",)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        # Without the reference checkout, whatever the developer's shell has: its rows are optional.
        env={key: value for key, value in os.environ.items() if key != "ESPER_LITE_2016337E"},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )


def test_quick_policy_bench_prints_every_case_and_target(tmp_path: Path) -> None:
    json_path = tmp_path / "bench.json"
    completed = run_script("bench/policy_bench.py", "--quick", "--json", str(json_path))

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "1 CPU thread (torch.set_num_threads(1))" in out
    for header in TABLE_HEADERS:
        assert header in out
    for case in CASES:
        assert case in out
    for name in VERDICT_NAMES:
        assert any(line.strip().startswith(("PASS", "MISS")) and name in line for line in out.splitlines()), name

    report = json.loads(json_path.read_text())
    assert report["threads"] == 1
    assert [row["case"] for row in report["rows"]] == list(CASES)
    assert [target["name"] for target in report["targets"]] == list(VERDICT_NAMES)
    assert all(row["repeats"] == 3 for row in report["rows"])
    assert [row["rows_per_call"] for row in report["rows"]].count(1024) == 1  # the batch row counts its rows


def test_device_check_skips_or_passes_on_the_default_device() -> None:
    completed = run_script("bench/device_check.py")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    if torch.cuda.is_available():
        assert "PASS: CPU and cuda agree within 0.0001" in completed.stdout
    else:
        assert completed.stdout.strip() == "CUDA not available: device check skipped"


@pytest.fixture
def device_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """bench/device_check.py imported in-process (it finds its sibling ``common`` through sys.path).

    Torch runs on one thread meanwhile, as the scripts do (on a busy two-core machine a second thread
    only adds contention); the test process gets its own setting back afterwards.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    yield importlib.import_module("device_check")
    for name in ("device_check", "common", "sweep_parity"):
        sys.modules.pop(name, None)
    torch.set_num_threads(threads)


def test_device_check_dry_run_against_the_cpu_prints_both_tables(
    device_check: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process rather than a third subprocess (importing torch again costs more than the run), and with
    # few latency samples: only the output's shape is checked here.
    monkeypatch.setattr(device_check, "DECISION_REPEATS", 5)
    monkeypatch.setattr(device_check, "ENV_BATCH_REPEATS", 2)
    monkeypatch.setattr(device_check, "SWEEP_SIZES", (6,))  # 1,024 and 8,192 episodes on a GPU machine
    monkeypatch.setattr(sys.modules["sweep_parity"], "SAMPLED_EPISODES", 3)
    assert device_check.main(["--device", "cpu"]) == 0

    out = capsys.readouterr().out
    assert f"torch {torch.__version__}; device cpu" in out
    for head in HEAD_NAMES:
        assert f"{head} raw logits" in out
    for row in ("decision + host copy, batch 1", "batch masks, 1024 envs", "batch features, 1024 envs"):
        assert row in out
    assert "masks: 0 differing entries; deterministic actions: 0 disagreements, 0 near-ties in 2048 head choices" in out
    assert "sweep, CPU vs cpu: deterministic" in out
    assert "sampled sweep on cpu against `run --device cpu`, 3 episodes:" in out and "0 action mismatches" in out
    assert "PASS: CPU and cpu agree within 0.0001" in out


def test_agreement_fails_when_one_head_differs_beyond_the_tolerance(device_check: ModuleType) -> None:
    torch.manual_seed(0)
    cpu = LSTMPolicyBundle()
    other = LSTMPolicyBundle()
    other.load_state_dict(cpu.state_dict())
    with torch.no_grad():
        other.network.policy_head("op")[2].bias.add_(1e-3)

    agreement = device_check.check_agreement(device_check.observation_pool(), cpu, other)

    assert not agreement.passed
    assert agreement.logits["op"] == pytest.approx(1e-3, abs=1e-6)
    assert agreement.module_logits["op"] == pytest.approx(1e-3, abs=1e-6)
    assert all(agreement.logits[name] == 0.0 for name in HEAD_NAMES if name != "op")
    assert (agreement.value, agreement.hidden, agreement.features, agreement.mask_mismatches) == (0.0, 0.0, 0.0, 0)


def _two_row_result(op_actions: list[int], op_logits: list[list[float]]) -> ActionResult:
    """Two rows; every head picks option 0 of [0, 0] except op, whose choices and logits are given."""
    actions = {name: torch.zeros(2, dtype=torch.long) for name in HEAD_NAMES}
    actions["op"] = torch.tensor(op_actions)
    logits = {name: torch.zeros(2, 2) for name in HEAD_NAMES}
    logits["op"] = torch.tensor(op_logits)
    zeros = {name: torch.zeros(2) for name in HEAD_NAMES}
    heads = HeadOutputs(raw_logits=logits, masked_logits=logits, probs=logits, entropy=zeros)
    return ActionResult(action=actions, log_prob=zeros, value=torch.zeros(2), hidden=None, heads=heads)


def test_a_flipped_argmax_is_a_near_tie_only_when_the_cpu_logits_are_within_the_tolerance(
    device_check: ModuleType,
) -> None:
    wait, germinate, prune = int(LifecycleOp.WAIT), int(LifecycleOp.GERMINATE), int(LifecycleOp.PRUNE)
    op_logits = [[0.0] * len(LifecycleOp) for _ in range(2)]
    op_logits[0][wait], op_logits[0][germinate] = 1.0, 1.0 - 5e-5  # 5e-5 apart: a near-tie
    op_logits[1][wait], op_logits[1][prune] = 1.0, 0.5  # 0.5 apart: a real disagreement
    cpu = _two_row_result([wait, wait], op_logits)
    other = _two_row_result([germinate, prune], op_logits)
    other.action["style"][0] = 1  # follows from the op tie in row 0, so it is not counted on its own

    agreement = device_check.Agreement()
    device_check._compare_actions(cpu, other, agreement)

    assert (agreement.actions_compared, agreement.near_ties, agreement.action_mismatches) == (16, 1, 1)
    assert not agreement.passed


def test_measure_pair_spreads_fewer_reference_samples_among_the_fast_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    try:
        common = importlib.import_module("common")
    finally:
        sys.modules.pop("common", None)  # a bench module is not left behind for other tests
    order: list[str] = []
    fast, reference = common.measure_pair(lambda: order.append("fast"), lambda: order.append("ref"), 6, 3)
    assert (len(fast.samples), len(reference.samples)) == (6, 3)
    assert order[:2] == ["fast", "ref"]  # each path's warm-up call
    assert order[2:] == ["fast", "fast", "ref", "fast", "fast", "ref", "fast", "fast", "ref"]


def test_quick_sweep_bench_prints_every_row_and_the_target(tmp_path: Path) -> None:
    json_path = tmp_path / "sweep.json"
    completed = run_script("bench/sweep_bench.py", "--quick", "--json", str(json_path))

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "1 CPU thread per process (torch.set_num_threads(1))" in out
    for header in ("episodes", "path", "decisions", "median", "min–max", "decisions/s", "× run path"):
        assert header in out
    verdicts = [line.strip() for line in out.splitlines() if line.strip().startswith(("PASS", "MISS"))]
    assert len(verdicts) == 1 and "sweep at 16 episodes, 1 thread: ≥ 10× the run path's rate" in verdicts[0]

    report = json.loads(json_path.read_text())
    paths = ("run path, one after another", "sweep, 1 thread", "sweep, --workers 2")
    assert [(row["episodes"], row["path"]) for row in report["rows"]] == [
        (size, path) for size in (1, 4, 16) for path in paths
    ]
    # The run path steps at most 4 episodes in quick mode; the sweeps every one, with the same decisions.
    assert [row["measured_episodes"] for row in report["rows"]] == [1, 1, 1, 4, 4, 4, 4, 16, 16]
    rows = report["rows"]
    for first in (0, 3, 6):  # per size: the run path's row, then the two sweeps', which decide alike
        assert rows[first + 1]["decisions"] == rows[first + 2]["decisions"]
    assert report["target"] == {"speedup": 10.0, "episodes": 16, "passed": report["target"]["passed"]}


def test_quick_review_bench_measures_both_paths_and_prints_the_targets(tmp_path: Path) -> None:
    json_path = tmp_path / "review.json"
    completed = run_script("bench/review_bench.py", "--quick", "--cache", str(tmp_path), "--json", str(json_path))

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    for header in ("decisions", "first frame", "index", "jump", "filter", "peak RSS", "malformed"):
        assert header in out
    verdicts = [line.strip() for line in out.splitlines() if line.strip().startswith(("PASS", "MISS"))]
    assert [verdict.split("decisions, ", 1)[1].split(":")[0] for verdict in verdicts] == [
        "first frame (pty, median)",
        "slowest jump or filter once indexed",
        "peak RSS",
    ]
    rows = json.loads(json_path.read_text())
    assert [(row["size"], row["path"].split()[0]) for row in rows] == [
        (size, path) for size in (1_000, 4_000) for path in ("review", "reference:")
    ]
    # The generator cut five lines short; the review reports five, and reads every other decision.
    assert [row["malformed"] for row in rows if row["path"].startswith("review")] == [5, 5]
    assert all(row["decisions"] >= row["size"] - 5 for row in rows)
