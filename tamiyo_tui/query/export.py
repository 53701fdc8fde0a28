"""``tamiyo-tui export FILE… --parquet OUT_DIR``: the ``decisions`` view written as Parquet, one folder per
run and episode (Hive layout, ``run=…/episode_idx=…/``), so the SQL written for ``tamiyo-tui query`` runs
unchanged on DuckDB or Spark over the folder, and ``tamiyo-tui query OUT_DIR`` reads it back as the same view.

zstd: Parquet's best ratio that both DuckDB and Spark read without an extra codec.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from tamiyo_tui.errors import InputError
from tamiyo_tui.query.sources import classify
from tamiyo_tui.query.views import PARTITION_COLUMNS, open_decisions


def export_command(args: argparse.Namespace) -> int:
    out = Path(args.parquet)
    _check_target(out, args.parquet)
    connection = open_decisions(classify(args.files))
    (count,) = connection.execute("SELECT count(*) FROM decisions").fetchone()
    if not count:
        # An empty export would be a folder `query` cannot read back (no Parquet file in it).
        raise InputError("export: the files hold no decision to export")
    target = "'" + str(out).replace("'", "''") + "'"
    partitions = ", ".join(PARTITION_COLUMNS)
    try:
        # Rows in run, episode and epoch order within each file: what a reader of one partition expects.
        connection.execute(
            f"COPY (SELECT * FROM decisions ORDER BY run, episode_idx, env_id, inner_epoch, step, file) TO {target} "
            f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({partitions}))"
        )
    except duckdb.Error as error:
        raise InputError(f"--parquet {args.parquet}: " + "; ".join(str(error).splitlines())) from None
    (groups,) = connection.execute(f"SELECT count(*) FROM (SELECT DISTINCT {partitions} FROM decisions)").fetchone()
    print(f"{count:,} decision(s) in {groups:,} run × episode partition(s) → {out} (Parquet, zstd)")
    return 0


def _check_target(out: Path, given: str) -> None:
    """Never overwrite: the folder must be new or empty, and its parent must exist (a typo is not created)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--parquet {given}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"--parquet {given}: the folder exists and is not empty; export never overwrites")
    if not out.parent.is_dir():
        raise InputError(f"--parquet {given}: the folder {out.parent} does not exist")
