"""``tamiyo-tui query``: SQL over the ``decisions`` view of real record files and real esper-lite telemetry."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

import pytest

from tamiyo_tui import cli
from tamiyo_tui.query.sources import classify
from tamiyo_tui.query.views import open_decisions

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
TELEMETRY = REPO / "tests" / "data" / "esper-2016337e-telemetry" / "events.jsonl"
# Karn's names for the columns the two sources share (Karn's decisions view at esper-lite 2016337e).
KARN_COLUMNS = (
    "event_id", "timestamp", "run_dir", "group_id", "env_id", "episode_idx", "inner_epoch", "action_name",
    "action_success", "total_reward", "value_estimate", "action_confidence", "decision_entropy", "slot_id",
    "blueprint_id", "style", "tempo_idx", "alpha_target", "alpha_speed", "alpha_curve", "op_masked",
    "slot_masked", "alpha_curve_masked", "head_op_confidence", "head_alpha_curve_confidence", "head_op_entropy",
    "head_alpha_curve_entropy",
)  # fmt: skip


@pytest.fixture(scope="module")
def record_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run.jsonl"
    assert cli.main(["run", "02", "--policy", "lstm-bc", "--out", str(out)]) == 0
    return out


def decisions_of(*paths: Path):
    return open_decisions(classify([str(path) for path in paths]))


def test_every_last_action_row_of_the_telemetry_is_a_decision_with_karns_columns() -> None:
    connection = decisions_of(TELEMETRY)
    columns = {column for column, *_ in connection.execute("SELECT * FROM decisions LIMIT 0").description}
    assert set(KARN_COLUMNS) <= columns
    count, envs, epochs = connection.execute(
        "SELECT count(*), count(DISTINCT env_id), max(inner_epoch) FROM decisions"
    ).fetchone()
    assert (count, envs, epochs) == (40, 2, 20)
    # decision_entropy is written as a string in the file; the view reads it as a number.
    first = json.loads(next(line for line in TELEMETRY.open() if '"last_action"' in line))["data"]
    (entropy,) = connection.execute(
        f"SELECT decision_entropy FROM decisions WHERE env_id = {first['env_id']} AND inner_epoch = "
        f"{first['inner_epoch']} AND episode_idx = {first['episode_idx']}"
    ).fetchone()
    assert entropy == pytest.approx(float(first["decision_entropy"]))
    (run_dir,) = connection.execute("SELECT DISTINCT run_dir FROM decisions").fetchone()
    assert run_dir == "esper-2016337e-telemetry"


def test_a_record_file_reads_as_decisions_in_telemetrys_meaning(record_file: Path) -> None:
    lines = [json.loads(line) for line in record_file.read_text().splitlines()]
    header, decided = lines[0], [line for line in lines if line["type"] == "decision"]
    rows = (
        decisions_of(record_file)
        .execute(
            "SELECT step, inner_epoch, action_name, action_confidence, head_op_entropy, decision_entropy, op_masked, "
            "blueprint_id, policy, generation FROM decisions ORDER BY step"
        )
        .fetchall()
    )
    assert len(rows) == len(decided)
    for row, record in zip(rows, decided, strict=True):
        op = record["heads"]["op"]
        chosen = op["options"].index(op["chosen"])
        step, epoch, action, confidence, entropy, raw, forced, blueprint, policy, generation = row
        assert (step, epoch, action) == (record["step"], record["epoch"], record["action"]["op"])
        assert confidence == pytest.approx(op["probs"][chosen])
        assert entropy == pytest.approx(op["entropy"])
        valid = op["valid_count"]
        assert raw == pytest.approx(op["entropy"] * math.log(valid) if valid > 1 else 0.0)
        assert forced == (valid == 1)
        assert blueprint == record["action"]["blueprint"].lower()
        assert (policy, generation) == (header["policy_id"], header["generation"])


def test_records_and_telemetry_answer_one_query_together(record_file: Path, tmp_path: Path) -> None:
    # A --telemetry-dir folder holds one telemetry_*/events.jsonl per run.
    run = tmp_path / "telemetry_2026-12-02_043050"
    run.mkdir()
    shutil.copy(TELEMETRY, run / "events.jsonl")
    counts = dict(
        decisions_of(record_file, tmp_path).execute("SELECT source, count(*) FROM decisions GROUP BY source").fetchall()
    )
    assert counts == {"tamiyo-tui": 10, "esper-lite": 40}


def test_the_command_prints_a_table_csv_and_json(record_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT action_name, count(*) AS n FROM decisions GROUP BY 1 ORDER BY 1"
    assert cli.main(["query", str(TELEMETRY), sql]) == 0
    table = capsys.readouterr().out
    assert "action_name" in table and "GERMINATE" in table and "row(s)" in table

    assert cli.main(["query", str(TELEMETRY), sql, "--csv"]) == 0
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(row["n"]) for row in parsed) == 40

    assert cli.main(["query", str(TELEMETRY), str(record_file), sql, "--json"]) == 0
    assert sum(row["n"] for row in json.loads(capsys.readouterr().out)) == 50


@pytest.mark.parametrize(
    ("make", "sql", "message"),
    [
        (lambda tmp: tmp / "missing.jsonl", "SELECT 1", "missing.jsonl: no such file or folder"),
        (lambda tmp: _written(tmp / "bad.jsonl", "{not json\n"), "SELECT 1", "bad.jsonl:1: not a JSON line"),
        (lambda tmp: _written(tmp / "other.jsonl", '{"a": 1}\n'), "SELECT 1", "other.jsonl:1: neither"),
        (lambda tmp: TELEMETRY, "SELECT nope FROM decisions", "SQL: "),
        (lambda tmp: tmp, "SELECT 1", "a folder with no events.jsonl"),
    ],
    ids=["missing", "not-json", "other-json", "bad-sql", "empty-folder"],
)
def test_bad_input_is_one_line_and_exit_code_2(
    make, sql: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["query", str(make(tmp_path)), sql]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_malformed_line_is_left_out_and_named_by_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = TELEMETRY.read_text().splitlines(keepends=True)
    decision = next(index for index, line in enumerate(lines) if '"last_action"' in line)
    lines[decision] = lines[decision][:200] + "\n"  # a decision's line cut short, as a killed writer leaves it
    broken = _written(tmp_path / "events.jsonl", "".join(lines))
    assert cli.main(["query", str(broken), "SELECT count(*) AS n FROM decisions", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [{"n": 39}]
    assert f"{broken}: 1 malformed line(s) left out: {decision + 1}" in captured.err
