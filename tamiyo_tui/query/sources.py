"""Which files a query reads, and what each is: a tamiyo-tui record file or esper-lite telemetry.

A record file (``tamiyo-tui run --out``, the inspector's export) starts with a ``header`` line; a telemetry
file is Nissa's ``events.jsonl`` (every line an event with ``event_type``). A folder stands for the
telemetry files under it: esper-lite's ``--telemetry-dir`` writes one ``telemetry_*/events.jsonl`` per run;
or, when it holds ``*.parquet`` files, for an export of the view (``tamiyo-tui export --parquet``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tamiyo_tui.errors import InputError


@dataclass(frozen=True, slots=True)
class Sources:
    records: tuple[str, ...] = ()  # tamiyo-tui record files
    telemetry: tuple[str, ...] = ()  # esper-lite events.jsonl files
    parquet: tuple[str, ...] = ()  # folders written by ``tamiyo-tui export --parquet``


def classify(paths: list[str]) -> Sources:
    """The files ``paths`` name, sorted by kind; anything else is refused, naming the file and line."""
    records: list[str] = []
    telemetry: list[str] = []
    parquet: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(str(events) for events in path.rglob("events.jsonl"))
            exported = next(path.rglob("*.parquet"), None) is not None
            if found and exported:
                raise InputError(f"{given}: a folder with both events.jsonl and Parquet files; name one of them")
            if not found and not exported:
                raise InputError(
                    f"{given}: a folder with no events.jsonl under it (esper-lite's --telemetry-dir) "
                    "and no *.parquet (tamiyo-tui export --parquet)"
                )
            if exported:
                parquet.append(given)
            telemetry += found
        elif not path.is_file():
            raise InputError(f"{given}: no such file or folder")
        elif _first_record(path).get("type") == "header":
            records.append(str(path))
        else:
            telemetry.append(str(path))
    return Sources(tuple(records), tuple(telemetry), tuple(parquet))


def _first_record(path: Path) -> dict:
    """The first non-empty line as a JSON object, checked to be one of the two kinds a query reads."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: not a JSON line ({error.msg})") from None
            if not isinstance(record, dict) or ("type" not in record and "event_type" not in record):
                raise InputError(
                    f"{path}:{number}: neither a tamiyo-tui record file (a 'header' line first) "
                    "nor esper-lite telemetry (events with 'event_type')"
                )
            if "type" in record and record["type"] != "header":
                kind = record["type"]
                raise InputError(f"{path}:{number}: field 'type' is {kind!r}; a record file starts with its header")
            return record
    raise InputError(f"{path}: the file is empty")
