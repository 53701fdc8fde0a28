"""The options of ``query``, ``export`` and ``diff``: argparse only, so ``--help`` imports no DuckDB.

The CLI hands in its parser class (its one-line error contract) and its integer types (their messages), so
these commands report bad options exactly as the others do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Count = Callable[[str], int]


def build_parser(
    command: str, parser_class: type[argparse.ArgumentParser], *, positive: Count, non_negative: Count
) -> argparse.ArgumentParser:
    if command == "query":
        return _query_parser(parser_class, positive)
    if command == "export":
        return _export_parser(parser_class)
    if command == "diff":
        return _diff_parser(parser_class, non_negative)
    raise ValueError(f"not a query command: {command!r}")


def _query_parser(parser_class: type[argparse.ArgumentParser], positive: Count) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="tamiyo-tui query",
        description="Run SQL (DuckDB) over the `decisions` view: one row per decision of this tool's record files "
        "(`run --out`, the inspector's export), of esper-lite telemetry (an events.jsonl, or a --telemetry-dir "
        "folder) and of `export --parquet` folders, with Karn's column names where they overlap. "
        "See docs/query.md.",
        epilog="example: tamiyo-tui query run.jsonl telemetry/ "
        '"SELECT action_name, count(*) FROM decisions GROUP BY 1"',
    )
    parser.add_argument("files_and_sql", nargs="+", metavar="FILE… SQL", help="files or folders, then the SQL")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    output.add_argument("--json", action="store_true", help="print a JSON list of rows instead of a table")
    parser.add_argument(
        "--max-rows", type=positive, default=100, metavar="N", help="rows the table shows (default: 100)"
    )
    return parser


def _export_parser(parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="tamiyo-tui export",
        description="Write the `decisions` view of record files and esper-lite telemetry (what `query` reads) as "
        "Parquet (zstd), one folder per run and episode, for DuckDB or Spark; `query` reads the folder back as "
        "the same view. See docs/query.md.",
        epilog="example: tamiyo-tui export run.jsonl telemetry/ --parquet decisions-parquet",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="record files, events.jsonl files or folders")
    parser.add_argument(
        "--parquet", required=True, metavar="OUT_DIR", help="a new (or empty) folder; never overwritten"
    )
    return parser


def _diff_parser(parser_class: type[argparse.ArgumentParser], non_negative: Count) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="tamiyo-tui diff",
        description="Compare two recorded runs decision by decision, aligned by epoch: the first divergence, "
        "agreement per head (where both sides' ops read it) and the command that opens the divergence. A side is "
        "a record file (`run --out`: its current branch) or an esper-lite events.jsonl (one env's episode). "
        "Exit 0 when identical, 1 when they diverge, 2 on bad input. See docs/diff.md.",
        epilog="example: tamiyo-tui diff ours.jsonl telemetry/events.jsonl --env-b 1",
    )
    parser.add_argument("a", metavar="A", help="a record file or an events.jsonl")
    parser.add_argument("b", metavar="B", help="a record file or an events.jsonl")
    for suffix, which in (
        ("", "every side that is telemetry"),
        ("-a", "side A (over --env / --episode)"),
        ("-b", "side B (over --env / --episode)"),
    ):
        parser.add_argument(f"--env{suffix}", type=non_negative, metavar="E", help=f"the env_id of {which}")
        parser.add_argument(f"--episode{suffix}", type=non_negative, metavar="K", help=f"the episode_idx of {which}")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON instead of tables")
    return parser
