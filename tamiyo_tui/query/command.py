"""``tamiyo-tui query FILE… "SQL"``: SQL over the ``decisions`` view, printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence

import duckdb
from rich.console import Console
from rich.table import Table

from tamiyo_tui.errors import InputError
from tamiyo_tui.query.sources import classify
from tamiyo_tui.query.views import open_decisions


def query_command(args: argparse.Namespace) -> int:
    *paths, sql = args.files_and_sql
    if not paths:
        raise InputError('query needs at least one FILE before the SQL, e.g. tamiyo-tui query run.jsonl "SELECT …"')
    connection = open_decisions(classify(paths))
    try:
        cursor = connection.execute(sql)
        if cursor.description is None:
            raise InputError("SQL: a statement, not a query: there are no rows to show")
        columns, rows = [column for column, *_ in cursor.description], cursor.fetchall()
    except duckdb.Error as error:
        raise InputError("SQL: " + "; ".join(str(error).splitlines())) from None
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif args.json:
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str, indent=2))
    else:
        _print_table(columns, rows, args.max_rows)
    return 0


def _print_table(columns: Sequence[str], rows: Sequence[tuple], max_rows: int) -> None:
    table = Table(caption=f"{len(rows):,} row(s)" + (f", the first {max_rows:,} shown" if len(rows) > max_rows else ""))
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows[:max_rows]:
        table.add_row(*(_cell(value) for value in row))
    Console().print(table)


def _cell(value: object) -> str:
    if value is None:
        return "[dim]NULL[/dim]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("[", "\\[")
