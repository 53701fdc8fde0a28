"""``tamiyo-tui export --parquet``: real record files and real telemetry written as Parquet, read back by DuckDB
directly and by ``tamiyo-tui query`` as the same ``decisions`` view."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tamiyo_tui import cli
from tamiyo_tui.query.sources import classify
from tamiyo_tui.query.views import open_decisions

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
TELEMETRY = REPO / "tests" / "data" / "esper-2016337e-telemetry" / "events.jsonl"


@pytest.fixture(scope="module")
def record_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "ours.jsonl"
    assert cli.main(["run", "02", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def exported(record_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "parquet"
    assert cli.main(["export", str(record_file), str(TELEMETRY), "--parquet", str(out)]) == 0
    return out


def test_the_export_is_zstd_parquet_in_one_folder_per_run_and_episode(exported: Path) -> None:
    folders = sorted(str(path.parent.relative_to(exported)) for path in exported.rglob("*.parquet"))
    assert folders == [
        "run=esper-2016337e-telemetry/episode_idx=0",
        "run=esper-2016337e-telemetry/episode_idx=1",
        "run=ours/episode_idx=0",
    ]
    connection = duckdb.connect()
    files = f"'{exported}/**/*.parquet'"
    rows = connection.execute(
        f"SELECT run, episode_idx, count(*) FROM read_parquet({files}, hive_partitioning = true) GROUP BY ALL "
        "ORDER BY ALL"
    ).fetchall()
    assert rows == [("esper-2016337e-telemetry", 0, 20), ("esper-2016337e-telemetry", 1, 20), ("ours", 0, 10)]
    codecs = {codec for (codec,) in connection.execute(f"SELECT compression FROM parquet_metadata({files})").fetchall()}
    assert codecs == {"ZSTD"}


def test_a_query_over_the_export_answers_as_over_the_jsonl(
    record_file: Path, exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jsonl, parquet = (
        open_decisions(classify([str(record_file), str(TELEMETRY)])),
        open_decisions(classify([str(exported)])),
    )
    # The same names, types and order, partition columns included: `SELECT *` reads the same.
    assert parquet.execute("DESCRIBE decisions").fetchall() == jsonl.execute("DESCRIBE decisions").fetchall()
    everything = "SELECT * FROM decisions ORDER BY ALL"
    assert parquet.execute(everything).fetchall() == jsonl.execute(everything).fetchall()

    sql = (
        "SELECT run, source, action_name, count(*) AS n, avg(head_op_entropy) AS h, sum(alpha_target) AS t "
        "FROM decisions GROUP BY ALL ORDER BY ALL"
    )
    assert cli.main(["query", str(record_file), str(TELEMETRY), sql, "--json"]) == 0
    from_jsonl = json.loads(capsys.readouterr().out)
    assert cli.main(["query", str(exported), sql, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_jsonl
    assert {row["run"] for row in from_jsonl} == {"ours", "esper-2016337e-telemetry"}


def test_an_empty_folder_is_a_fine_target(record_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert cli.main(["export", str(record_file), "--parquet", str(out)]) == 0
    assert len(list(out.rglob("*.parquet"))) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: _written(tmp / "out" / "keep.txt", "mine").parent, "exists and is not empty"),
        (lambda tmp: _written(tmp / "out.txt", "mine"), "a file, not a folder"),
        (lambda tmp: tmp / "missing" / "out", "does not exist"),
    ],
    ids=["not-empty", "a-file", "no-parent"],
)
def test_export_never_overwrites_and_says_why_in_one_line(
    make, message: str, record_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = make(tmp_path)
    before = sorted(path.read_text() for path in tmp_path.rglob("*") if path.is_file())
    assert cli.main(["export", str(record_file), "--parquet", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(path.read_text() for path in tmp_path.rglob("*") if path.is_file()) == before
    assert not list(tmp_path.rglob("*.parquet"))


def test_export_needs_parquet_and_files(record_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", str(record_file)]) == 2
    assert "--parquet" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "nope.jsonl"), "--parquet", str(tmp_path / "out")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_folder_of_both_telemetry_and_parquet_is_refused(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = tmp_path / "mixed"
    (mixed / "telemetry_1").mkdir(parents=True)
    (mixed / "telemetry_1" / "events.jsonl").write_text(TELEMETRY.read_text())
    for parquet in exported.rglob("*.parquet"):
        target = mixed / "export" / parquet.relative_to(exported)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(parquet.read_bytes())
    assert cli.main(["query", str(mixed), "SELECT count(*) FROM decisions"]) == 2
    assert "both events.jsonl and Parquet files" in capsys.readouterr().err
    # Named one by one, the two answer together.
    assert (
        cli.main(
            [
                "query",
                str(mixed / "export"),
                str(mixed / "telemetry_1"),
                "SELECT count(*) AS n FROM decisions",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out) == [{"n": 90}]


def _written(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
