"""The command line contract: --help/--version stay light, ``run`` streams records and prints a
summary, ``check`` exits 1 on a failed expectation, and every kind of bad input exits 2 with one line naming
the file, never a traceback.

Real processes (``python -m tamiyo_tui``) hold the import-hygiene claims and one case of each command. Most
bad-input cases call ``cli.main`` in this process instead: it is the same code path and the same streams, an
exception that escaped would fail the test just the same, and it spares a torch import per case.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from cli_harness import ERROR_PREFIX, PROBE, SUBPROCESS_TIMEOUT_S, run_cli

from tamiyo_tui import __version__, cli, shipped
from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.constants import MAX_SEED
from tamiyo_tui.session.headless import drive, open_run
from tamiyo_tui.session.jsonl import read_run
from tamiyo_tui.session.recording import summarize_observation
from tamiyo_tui.session.records import DecisionRecord

TINY_SCENARIO = """\
schema: 1
name: tiny
description: a scripted germination on two slots
episode_length: 6
slots: [r0c0, r0c1]
host:
  val_accuracy: {start: 40.0, end: 60.0, plateau_at: 4}
events:
  - at: 2
    action: {op: GERMINATE, slot: r0c0, blueprint: NORM}
  - at: 2
    note: "germinating"
expect:
  - at: 2
    action: {op: GERMINATE, slot: r0c0}
    accepted: true
  - at: 3
    stage: {r0c0: GERMINATED, r0c1: EMPTY}
"""
# The same run, with one expectation that cannot hold; a failure points at the line of its `- at: 3`.
FAILING_SCENARIO = TINY_SCENARIO.replace("stage: {r0c0: GERMINATED, r0c1: EMPTY}", "stage: {r0c0: HOLDING}")
FAILING_LINE = FAILING_SCENARIO.splitlines().index("  - at: 3") + 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_error_line(stderr: str, *names: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


# --- --help and --version -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["check", "--help"],
        ["review", "--help"],
        ["lessons"],
        ["policies"],
    ],
)
def test_help_and_version_import_neither_torch_nor_textual(args: list[str], tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,  # lessons and policies list the shipped files, wherever the command runs
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    verdict = json.loads(completed.stdout.splitlines()[-1])
    assert verdict == {"code": 0, "heavy": []}


def test_help_lists_every_command(tmp_path: Path) -> None:
    completed = run_cli("--help", cwd=tmp_path)

    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: tamiyo-tui")
    for command in ("tamiyo-tui run SCENARIO", "tamiyo-tui check SCENARIO", "tamiyo-tui review", "tamiyo-tui lessons"):
        assert command in completed.stdout
    assert "exit codes: 0 ok, 1 a check failed, 2 bad input" in completed.stdout


def test_version(tmp_path: Path) -> None:
    completed = run_cli("--version", cwd=tmp_path)

    assert (completed.returncode, completed.stdout) == (0, f"tamiyo-tui {__version__}\n")


# --- run ------------------------------------------------------------------------------------------------


def test_run_prints_the_summary_and_streams_exactly_the_sessions_records(tmp_path: Path) -> None:
    scenario = write(tmp_path / "tiny.yaml", TINY_SCENARIO)

    completed = run_cli("run", "tiny.yaml", "--policy", "lstm", "--device", "cpu", "--out", "out.jsonl", cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "tiny: 6 decisions by lstm on cpu" in out
    assert "decisions per op" in out
    assert "final slot states" in out
    assert "6 decision records written to out.jsonl" in out
    run = read_run(tmp_path / "out.jsonl")
    assert (run.header.scenario_name, run.header.policy_id, run.header.device) == ("tiny", "lstm", "cpu")
    assert [r.epoch for r in run.decisions] == [1, 2, 3, 4, 5, 6]
    for op in LifecycleOp:
        count = sum(r.op == op.name for r in run.decisions)
        rejected = sum(r.op == op.name and not r.outcome.accepted for r in run.decisions)
        assert re.search(rf"│ {op.name} +│ +{count} │ +{rejected} │", out), op.name
    # What `run` wrote is what a session on the same scenario and policy decides.
    opened = open_run(str(scenario), policy="lstm", device="cpu", shadow=False, keep_records=False)
    expected: list[DecisionRecord] = []
    drive(opened.session, 6, expected.append)
    assert list(run.decisions) == expected
    # The episode ended: the file also holds the state the last decision left, as the session has it.
    assert [(final.step, final.branch) for final in run.finals] == [(5, 0)]
    assert run.finals[0].observation == summarize_observation(opened.session.final_observation())


def test_run_steps_stops_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    out = tmp_path / "three.jsonl"

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--steps", "3", "--out", str(out)])

    assert code == 0
    assert "tiny: 3 decisions by heuristic on cpu" in capsys.readouterr().out
    assert [r.step for r in read_run(out).decisions] == [0, 1, 2]
    assert read_run(out).finals == ()  # stopped before the end: no final state to record


def test_run_with_a_seed_overrides_the_scenarios(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    out = tmp_path / "seeded.jsonl"

    assert cli.main(["run", str(tmp_path / "tiny.yaml"), "--seed", "9", "--device", "cpu", "--out", str(out)]) == 0
    assert read_run(out).header.seed == 9


# --- check ----------------------------------------------------------------------------------------------


def test_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passing = str(write(tmp_path / "tiny.yaml", TINY_SCENARIO))

    code = cli.main(["check", passing, passing])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [f"ok   {passing} (5 checks, 0 failed)"] * 2


def test_check_fails_with_one_line_per_failed_expectation(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    write(tmp_path / "fail.yaml", FAILING_SCENARIO)

    completed = run_cli("check", "tiny.yaml", "fail.yaml", cwd=tmp_path)

    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.splitlines() == [
        "ok   tiny.yaml (5 checks, 0 failed)",
        f"fail.yaml:{FAILING_LINE}: at epoch 3: stage.r0c0: expected HOLDING, got GERMINATED",
        "FAIL fail.yaml (4 checks, 1 failed)",
    ]


# --- shipped lessons and policies, by name, from any folder ----------------------------------------------

REPO = Path(__file__).resolve().parents[1]
LESSON_FILES = sorted((REPO / "scenarios").glob("[0-9]*.yaml"))


def test_every_lesson_file_in_the_repository_is_a_shipped_lesson() -> None:
    assert len(LESSON_FILES) == 19
    assert [lesson.path.name for lesson in shipped.lessons()] == [path.name for path in LESSON_FILES]


def test_lessons_lists_number_name_and_what_each_teaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["lessons"]) == 0

    out = " ".join(capsys.readouterr().out.split())  # Rich wraps at the console width
    for path in LESSON_FILES:
        number, name = path.stem.split("-", 1)
        title = yaml.safe_load(path.read_text(encoding="utf-8"))["name"].split(" · ", 1)[1]
        assert f"{number} {name} {title}" in out


def test_policies_lists_the_names_policy_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["policies"]) == 0

    out = " ".join(capsys.readouterr().out.split())
    for name in ("heuristic", "lstm", "heuristic.yaml", "lstm-untrained"):
        assert f" {name} " in out
    described = yaml.safe_load((REPO / "policies" / "lstm-bc.yaml").read_text(encoding="utf-8"))["description"]
    assert f"lstm-bc lstm {described}" in out


@pytest.mark.parametrize("name", ["02", "2", "prune-needs-hold", "02-prune-needs-hold", "02-prune-needs-hold.yaml"])
def test_run_opens_a_lesson_by_number_or_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["run", name, "--steps", "2", "--policy", "lstm-bc", "--device", "cpu"]) == 0

    assert "02 · PRUNE needs HOLD (and an old enough seed): 2 decisions by lstm-bc on cpu" in " ".join(
        capsys.readouterr().out.split()
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["01"], "scenario"),
        (["first-seed", "--policy", "lstm-untrained"], "scenario"),
        (["check", "01", "seed-cap"], "scenarios"),
        (["agree", "heuristic", "lstm-bc", "1", "04-seed-cap"], "scenarios"),
        (["train-bc", "first-seed", "4", "--quick"], "scenarios"),
    ],
    ids=["tui-number", "tui-name", "check", "agree", "train-bc"],
)
def test_every_command_that_takes_a_scenario_takes_a_lesson_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], field: str
) -> None:
    monkeypatch.chdir(tmp_path)
    seen = capture_dispatch(monkeypatch)

    assert cli.main([*args, *(["--out", "x.pt"] if args[0] == "train-bc" else [])]) == 0

    opened = seen[0].scenario if field == "scenario" else seen[0].scenarios
    lesson_01, lesson_04 = (str(REPO / "scenarios" / name) for name in ("01-first-seed.yaml", "04-seed-cap.yaml"))
    assert opened == ({"scenario": lesson_01}.get(field) or [lesson_01, lesson_04])


def test_train_bc_holds_the_shipped_lessons_out_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seen = capture_dispatch(monkeypatch)

    assert cli.main(["train-bc", "--out", "bc.pt"]) == 0

    assert seen[0].scenarios == []  # generated scenarios only: the lessons are what it is judged on


def test_train_bc_refuses_an_out_folder_that_does_not_exist_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    seen = capture_dispatch(monkeypatch)

    assert cli.main(["train-bc", "--quick"]) == 2  # the default --out, policies/lstm-bc.pt: no policies/ here

    assert seen == []
    line = assert_one_error_line(capsys.readouterr().err)
    assert line == f"{ERROR_PREFIX}--out policies/lstm-bc.pt: the folder policies does not exist"


def test_a_file_that_exists_wins_over_a_lesson_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "01", TINY_SCENARIO)

    assert cli.main(["run", "01"]) == 0

    assert "tiny: 6 decisions by heuristic" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["run", "check", "tui"])
@pytest.mark.parametrize("name", ["20", "prune-need-hold"])
def test_an_unknown_lesson_lists_the_lessons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str, name: str
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main([name] if command == "tui" else [command, name]) == 2

    line = assert_one_error_line(capsys.readouterr().err, f"unknown lesson {name!r}", "01 first-seed", "15 governor")
    assert ("did you mean 'prune-needs-hold'?" in line) == (name == "prune-need-hold")


def test_an_unknown_policy_lists_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["run", "01", "--policy", "lstm-cb"]) == 2

    assert_one_error_line(capsys.readouterr().err, "unknown policy 'lstm-cb'", "lstm-bc", "lstm-untrained")


def capture_dispatch(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each command's entry point replaced by one that records the arguments it was handed."""
    import tamiyo_tui.session.headless as headless
    import tamiyo_tui.training.agree_command as agreement
    import tamiyo_tui.training.bc as bc
    import tamiyo_tui.tui.launch as launch

    seen: list[Any] = []

    def record(args: Any) -> int:
        seen.append(args)
        return 0

    for module, name in [
        (launch, "inspect_command"),
        (headless, "run_command"),
        (headless, "check_command"),
        (agreement, "agree_command"),
        (bc, "train_bc_command"),
    ]:
        monkeypatch.setattr(module, name, record)
    return seen


# --- bad input: exit 2, one line, never a traceback ------------------------------------------------------

BAD_SCENARIOS = {
    "malformed-yaml": "schema: 1\nname: [unclosed\n",
    "unknown-key": TINY_SCENARIO.replace("episode_length: 6", "episode_lenght: 6"),
    "wrong-type": TINY_SCENARIO.replace("episode_length: 6", "episode_length: six"),
    "unknown-stage": TINY_SCENARIO + "initial:\n  r0c0: {stage: GROWING, blueprint: norm}\n",
    "unknown-blueprint": TINY_SCENARIO.replace("blueprint: NORM", "blueprint: WARP"),
    "unknown-slot": TINY_SCENARIO.replace("slot: r0c0, blueprint", "slot: r5c5, blueprint"),
}
BAD_SCENARIO_FIELDS = {
    "malformed-yaml": "invalid YAML",
    "unknown-key": "episode_lenght",
    "wrong-type": "episode_length",
    "unknown-stage": "initial.r0c0.stage",
    "unknown-blueprint": "events[0].action.blueprint",
    "unknown-slot": "events[0].action.slot",
}


@pytest.mark.parametrize("command", ["run", "check", "tui"])
@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_a_bad_scenario_is_one_line_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    path = str(write(tmp_path / f"{case}.yaml", BAD_SCENARIOS[case]))

    code = cli.main([path] if command == "tui" else [command, path])

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err, f"{case}.yaml:", BAD_SCENARIO_FIELDS[case])
    assert re.match(rf"{ERROR_PREFIX}{re.escape(path)}:\d+:\d+: ", line), line


@pytest.mark.parametrize("command", ["run", "check", "tui"])
def test_a_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    path = str(tmp_path / "gone.yaml")

    code = cli.main([path] if command == "tui" else [command, path])

    assert code == 2
    # A file that is not there has no line to point at: none is made up.
    assert assert_one_error_line(capsys.readouterr().err) == f"{ERROR_PREFIX}{path}: file not found"


@pytest.mark.parametrize(
    ("name", "message"), [("gone.yaml", "file not found"), ("gone.pt", "checkpoint file not found")]
)
@pytest.mark.parametrize("command", ["run", "tui"])
def test_a_missing_policy_file_or_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, message: str
) -> None:
    scenario = str(write(tmp_path / "tiny.yaml", TINY_SCENARIO))
    policy = str(tmp_path / name)

    code = cli.main([scenario, "--policy", policy] if command == "tui" else [command, scenario, "--policy", policy])

    assert code == 2
    assert assert_one_error_line(capsys.readouterr().err) == f"{ERROR_PREFIX}{policy}: {message}"


SEED_RULE = "must be an integer ≥ 0 and below 2**63"
BAD_OPTION_VALUES = {
    "steps-not-a-number": (["run", "{s}", "--steps", "abc"], "argument --steps: must be an integer ≥ 1, got 'abc'"),
    "steps-zero": (["run", "{s}", "--steps", "0"], "argument --steps: must be an integer ≥ 1, got '0'"),
    "run-seed-negative": (["run", "{s}", "--seed", "-1"], f"argument --seed: {SEED_RULE}, got '-1'"),
    "run-seed-2**63": (["run", "{s}", "--seed", str(2**63)], f"argument --seed: {SEED_RULE}, got '{2**63}'"),
    "tui-seed-negative": (["{s}", "--seed", "-1"], f"argument --seed: {SEED_RULE}, got '-1'"),
    "tui-seed-not-a-number": (["{s}", "--seed", "1.5"], f"argument --seed: {SEED_RULE}, got '1.5'"),
    # With --quick and one scenario, so that a wrongly accepted value costs seconds, not a training run.
    "train-bc-seed": (["train-bc", "{s}", "--quick", "--seed", "-3"], f"argument --seed: {SEED_RULE}, got '-3'"),
    "train-bc-epochs": (
        ["train-bc", "{s}", "--quick", "--epochs", "0"],
        "argument --epochs: must be an integer ≥ 1, got '0'",
    ),
    "agree-show": (
        ["agree", "heuristic", "lstm", "{s}", "--show", "-1"],
        "argument --show: must be an integer ≥ 0, got '-1'",
    ),
    "agree-seeds-2**63": (
        ["agree", "heuristic", "lstm", "{s}", "--seeds", f"5,{2**63}"],
        f"--seeds: {2**63}: {SEED_RULE}",
    ),
}


@pytest.mark.parametrize("case", list(BAD_OPTION_VALUES))
def test_a_bad_option_value_names_the_option_and_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    scenario = str(write(tmp_path / "tiny.yaml", TINY_SCENARIO))
    args, message = BAD_OPTION_VALUES[case]

    code = cli.main(
        [arg.replace("{s}", scenario) for arg in args] + ["--out", str(tmp_path / "out")] * (args[0] == "train-bc")
    )

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line.startswith(ERROR_PREFIX + message), line
    assert "_int" not in line and "invalid" not in line  # never an internal function's name


def test_the_seed_option_and_the_scenario_key_share_one_bound() -> None:
    from tamiyo_tui.sim.errors import ScenarioError
    from tamiyo_tui.sim.loader import parse_scenario

    assert cli.seed(str(MAX_SEED)) == MAX_SEED
    with pytest.raises(argparse.ArgumentTypeError):
        cli.seed(str(MAX_SEED + 1))
    text = "schema: 1\nname: s\ndescription: d\nhost: {{val_accuracy: [50.0]}}\nseed: {}\n"
    assert parse_scenario(text.format(MAX_SEED), "s.yaml").seed == MAX_SEED
    with pytest.raises(ScenarioError, match="below 2\\*\\*63"):
        parse_scenario(text.format(MAX_SEED + 1), "s.yaml")


def test_a_usage_error_is_one_line_that_points_at_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run"]) == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line == f"{ERROR_PREFIX}the following arguments are required: SCENARIO (see: tamiyo-tui run --help)"


def test_an_unknown_policy_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--policy", "ppo"])

    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "ppo", "unknown policy")


def test_a_bad_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    policy = write(tmp_path / "typo.yaml", "bundle: lstm\ndescription: d\ninit_sed: 3\n")

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--policy", str(policy)])

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line == f"{ERROR_PREFIX}{policy}:3:1: unknown key 'init_sed' (did you mean 'init_seed'?)"


def test_a_checkpoint_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    (tmp_path / "x.pt").write_bytes(bytes(range(256)) * 4)

    completed = run_cli("run", "tiny.yaml", "--policy", "x.pt", "--device", "cpu", cwd=tmp_path)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert_one_error_line(completed.stderr, "x.pt", "not a readable torch checkpoint")


def test_a_checkpoint_for_another_slot_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tamiyo_tui.domain.slots import SlotConfig
    from tamiyo_tui.policy.checkpoint import save_checkpoint
    from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle

    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    # A layout that contains the scenario's slots is fine (the scenario is widened); this one does not.
    save_checkpoint(tmp_path / "elsewhere.pt", LSTMPolicyBundle(slot_config=SlotConfig(("r5c5", "r5c6"))))

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--policy", str(tmp_path / "elsewhere.pt")])

    assert code == 2
    assert "do not contain the scenario's slots" in assert_one_error_line(capsys.readouterr().err, "elsewhere.pt")


def test_an_out_file_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)
    out = tmp_path / "no-such-dir" / "out.jsonl"

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--out", str(out)])

    assert code == 2
    assert (
        assert_one_error_line(capsys.readouterr().err)
        == f"{ERROR_PREFIX}{out}: cannot write: No such file or directory"
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: --device cuda is valid here")
def test_cuda_on_a_machine_without_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--device", "cuda"])

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line == f"{ERROR_PREFIX}CUDA is not available on this machine; use --device cpu or auto"


def test_an_unknown_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tiny.yaml", TINY_SCENARIO)

    code = cli.main(["run", str(tmp_path / "tiny.yaml"), "--device", "tpu"])

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line == f"{ERROR_PREFIX}Unknown device 'tpu': expected one of auto, cpu, cuda, cuda:N"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "header"\n', ":1: malformed record ("),
        ("", ": empty file (no header line)"),
        ('{"type": "decision"}\n', ':1: expected a header line ({"type": "header", ...})'),
    ],
    ids=["bad-json", "empty", "no-header"],
)
def test_review_of_a_malformed_record_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    pytest.importorskip("tamiyo_tui.tui.launch", reason="the review command is not built yet")
    path = write(tmp_path / "decisions.jsonl", content)

    code = cli.main(["review", str(path)])

    assert code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert line.startswith(f"{ERROR_PREFIX}{path}{message}"), line


def test_review_of_a_missing_record_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tamiyo_tui.tui.launch", reason="the review command is not built yet")
    path = tmp_path / "gone.jsonl"

    code = cli.main(["review", str(path)])

    assert code == 2
    assert (
        assert_one_error_line(capsys.readouterr().err)
        == f"{ERROR_PREFIX}{path}: cannot open: No such file or directory"
    )


def test_a_bad_scenario_in_a_real_process_prints_one_line(tmp_path: Path) -> None:
    write(tmp_path / "typo.yaml", BAD_SCENARIOS["unknown-key"])

    completed = run_cli("check", "typo.yaml", cwd=tmp_path)

    assert completed.returncode == 2
    assert completed.stdout == ""
    line = assert_one_error_line(completed.stderr)
    assert line == f"{ERROR_PREFIX}typo.yaml:4:1: unknown key 'episode_lenght' (did you mean 'episode_length'?)"
