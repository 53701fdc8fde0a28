"""``tamiyo-tui diff A B`` on real record files and real esper-lite telemetry; each expectation is worked out
here from the raw lines, not through the decisions view the command reads."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tamiyo_tui import cli
from tamiyo_tui.domain.actions import HEADS_USED_BY_OP
from tamiyo_tui.session.telemetry_review import TelemetryReview

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
TELEMETRY = REPO / "tests" / "data" / "esper-2016337e-telemetry" / "events.jsonl"
HEADS = ("op", "slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve")
# Telemetry's field for each head.
FIELDS = {
    "op": "action_name",
    "slot": "slot_id",
    "blueprint": "blueprint_id",
    "style": "style",
    "tempo": "tempo_idx",
    "alpha_target": "alpha_target",
    "alpha_speed": "alpha_speed",
    "alpha_curve": "alpha_curve",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("runs")
    heuristic, untrained = folder / "heuristic.jsonl", folder / "untrained.jsonl"
    assert cli.main(["run", "02", "--out", str(heuristic)]) == 0
    assert cli.main(["run", "02", "--policy", "lstm-untrained", "--seed", "1", "--out", str(untrained)]) == 0
    return heuristic, untrained


def record_actions(path: Path) -> dict[int, dict[str, object]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {line["epoch"]: line["action"] for line in lines if line["type"] == "decision"}


def telemetry_actions(env: int) -> dict[int, dict[str, object]]:
    actions = {}
    for line in TELEMETRY.read_text().splitlines():
        event = json.loads(line)
        data = event.get("data") or {}
        if event["event_type"] == "ANALYTICS_SNAPSHOT" and data.get("kind") == "last_action" and data["env_id"] == env:
            actions[data["inner_epoch"]] = {head: data[field] for head, field in FIELDS.items()}
    return actions


def expected(a: dict[int, dict], b: dict[int, dict]) -> tuple[int | None, dict[str, list[int]]]:
    """The first epoch that differs and, per head, [agree, compared] over the heads both ops read."""
    counts = {head: [0, 0] for head in HEADS}
    first = None
    for epoch in sorted(a.keys() | b.keys()):
        if epoch not in a or epoch not in b:
            first = epoch if first is None else first
            continue
        used = set(HEADS_USED_BY_OP[a[epoch]["op"]]) & set(HEADS_USED_BY_OP[b[epoch]["op"]])
        for head in used:
            same = a[epoch][head] == b[epoch][head]
            counts[head][0] += same
            counts[head][1] += 1
            if not same and first is None:
                first = epoch
    return first, counts


def diff_json(capsys: pytest.CaptureFixture[str], *args: str, code: int) -> dict:
    assert cli.main(["diff", *args, "--json"]) == code
    return json.loads(capsys.readouterr().out)


def test_a_run_against_itself_is_identical(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    heuristic, _ = runs
    assert cli.main(["diff", str(heuristic), str(heuristic)]) == 0
    out = capsys.readouterr().out
    assert "Identical" in out and "divergence" not in out
    report = diff_json(capsys, str(heuristic), str(heuristic), code=0)
    assert report["identical"] and report["first_divergence"] is None
    assert report["heads"]["op"] == {"agree": 10, "compared": 10}


def test_two_record_files_diverge_where_their_actions_do(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    heuristic, untrained = runs
    first, counts = expected(record_actions(heuristic), record_actions(untrained))
    assert first is not None  # the two policies do differ on this lesson
    report = diff_json(capsys, str(heuristic), str(untrained), code=1)
    assert report["first_divergence"]["epoch"] == first
    assert {head: [c["agree"], c["compared"]] for head, c in report["heads"].items()} == counts
    assert report["first_divergence"]["a"]["action"].startswith(record_actions(heuristic)[first]["op"])
    command = f"tamiyo-tui review {heuristic} --at {first}"
    assert command in report["first_divergence"]["open"]

    assert cli.main(["diff", str(heuristic), str(untrained)]) == 1
    out = capsys.readouterr().out
    assert f"First divergence at epoch {first}" in out and command in out
    for head in HEADS:
        assert head in out


def test_abandoned_branches_of_an_export_are_not_compared(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export appends each abandoned branch after the current one, its steps starting again at its fork:
    the same epochs again, with other actions. The diff reads the current branch only."""
    heuristic, untrained = runs
    header, *decisions = heuristic.read_text().splitlines()
    abandoned = [json.loads(line) for line in untrained.read_text().splitlines()[1:] if '"decision"' in line][3:]
    for record in abandoned:
        record["branch"] = 1
    exported = tmp_path / "exported.jsonl"
    exported.write_text("\n".join([header, *decisions, *map(json.dumps, abandoned)]) + "\n")
    assert diff_json(capsys, str(exported), str(heuristic), code=0)["identical"]


def test_a_record_file_against_telemetry_compares_one_envs_episode(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    heuristic, _ = runs
    ours = {
        epoch: {**action, "blueprint": action["blueprint"].lower(), "tempo": 1, "alpha_target": None}
        for epoch, action in record_actions(heuristic).items()
    }
    theirs = telemetry_actions(1)
    for epoch, action in ours.items():  # the target's value and the tempo's index, as telemetry writes them
        line = next(json.loads(line) for line in heuristic.read_text().splitlines() if f'"epoch": {epoch},' in line)
        action["alpha_target"] = {"HALF": 0.5, "SEVENTY": 0.7, "FULL": 1.0}[line["action"]["alpha_target"]]
        action["tempo"] = line["heads"]["tempo"]["options"].index(line["action"]["tempo"])
    first, counts = expected(ours, theirs)
    report = diff_json(capsys, str(heuristic), str(TELEMETRY), "--env-b", "1", code=1)
    assert (report["b"]["env"], report["b"]["episode"], report["b"]["epochs"]) == (1, 1, 20)
    assert report["first_divergence"]["epoch"] == first
    assert report["only_b"] == list(range(11, 21))
    assert {head: [c["agree"], c["compared"]] for head, c in report["heads"].items()} == counts
    command = next(c for c in report["first_divergence"]["open"] if "--episode" in c)
    assert command.endswith(f"--episode 1 --at {first}")
    # The printed command opens the telemetry review at that very decision.
    args = cli.build_command_parser("review").parse_args(shlex.split(command)[2:])
    review = TelemetryReview(Path(args.records), episode=args.episode, epoch=args.at)
    review.build_index()
    shown = review.frame().decision
    assert (shown.env, shown.episode, shown.epoch, shown.action) == (1, 1, first, theirs[first]["op"])


def test_two_envs_of_one_telemetry_file(capsys: pytest.CaptureFixture[str]) -> None:
    first, counts = expected(telemetry_actions(0), telemetry_actions(1))
    report = diff_json(capsys, str(TELEMETRY), str(TELEMETRY), "--env-a", "0", "--episode-b", "1", code=1)
    assert (report["a"]["env"], report["b"]["env"]) == (0, 1)
    assert report["first_divergence"]["epoch"] == first
    assert {head: [c["agree"], c["compared"]] for head, c in report["heads"].items()} == counts
    # --env applies to both telemetry sides: env 1 against itself.
    assert diff_json(capsys, str(TELEMETRY), str(TELEMETRY), "--env", "1", code=0)["identical"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tel}", "{tel}"], "2 episodes (env 0 episode 0, env 1 episode 1); choose one with --env-a"),
        (["{rec}", "{tel}", "--env", "5"], "no decision at the env and episode chosen"),
        (["{rec}", "{tel}", "--env-a", "0", "--env-b", "0"], "--env-a: side A"),
        (["{rec}", "{rec}", "--episode", "0"], "both sides are record files"),
        (["{rec}", "missing.jsonl"], "missing.jsonl: no such file or folder"),
        (["{rec}", "{data}"], "diff takes one record file or one events.jsonl per side"),
        (["{rec}", "{tel}", "--env-b", "x"], "--env-b: must be an integer ≥ 0"),
    ],
    ids=["ambiguous", "no-such-env", "env-on-a-record", "env-on-records", "missing", "a-folder", "not-a-number"],
)
def test_bad_input_is_one_line_and_exit_code_2(
    args: list[str], message: str, runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    for run in ("telemetry_1", "telemetry_2"):
        (data / run).mkdir(parents=True)
        (data / run / "events.jsonl").write_text(TELEMETRY.read_text())
    names = {"tel": str(TELEMETRY), "rec": str(runs[0]), "data": str(data)}
    assert cli.main(["diff", *(arg.format(**names) for arg in args)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and not captured.out
