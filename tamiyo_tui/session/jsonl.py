"""Streaming JSONL for decision records: a header line, then one decision per line; after the records of a
branch that reached the end of its episode, a ``final`` line with the state its last decision left."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.records import RECORD_SCHEMA, DecisionRecord, FinalState, ObservationSummary, RunHeader


class RecordFileError(InputError):
    """A decision-record file that cannot be read; the message names the file and line."""


def _finite_or_none(value: Any) -> Any:
    # JSON has no NaN/inf; keep the file strict JSON so any tool can read it.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


class RecordWriter:
    """Writes the header on open and flushes after every record, so a crash loses nothing written."""

    def __init__(self, path: str | os.PathLike[str], header: RunHeader) -> None:
        self.path = Path(path)
        try:
            self._file: IO[str] = self.path.open("w", encoding="utf-8")
        except OSError as err:  # a directory that does not exist, no permission: the user's to fix
            raise RecordFileError(f"{path}: cannot write: {err.strerror}") from None
        self._write(header.to_json())

    def write(self, record: DecisionRecord | FinalState) -> None:
        self._write(record.to_json())

    def _write(self, data: dict[str, Any]) -> None:
        self._file.write(json.dumps(_finite_or_none(data), allow_nan=False, ensure_ascii=False))
        self._file.write("\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class RecordedRun:
    header: RunHeader
    decisions: tuple[DecisionRecord, ...]
    finals: tuple[FinalState, ...] = ()  # one per branch that reached the end

    def final_after(self, record: DecisionRecord) -> ObservationSummary | None:
        """The state ``record`` left, when it was the last decision of its branch's episode."""
        return next((f.observation for f in self.finals if (f.step, f.branch) == (record.step, record.branch)), None)


def iter_records(path: str | os.PathLike[str]) -> Iterator[RunHeader | DecisionRecord | FinalState]:
    name = str(path)
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as err:
        raise RecordFileError(f"{name}: cannot open: {err.strerror}") from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                kind = data.get("type")
                if line_no == 1 and kind != "header":
                    raise RecordFileError(f'{name}:1: expected a header line ({{"type": "header", ...}})')
                if kind == "header":
                    if data.get("schema") != RECORD_SCHEMA:
                        raise RecordFileError(f"{name}:{line_no}: unsupported record schema {data.get('schema')!r}")
                    yield RunHeader.from_json(data)
                elif kind == "decision":
                    yield DecisionRecord.from_json(data)
                elif kind == "final":
                    yield FinalState.from_json(data)
                else:
                    raise RecordFileError(f"{name}:{line_no}: unknown record type {kind!r}")
            except RecordFileError:
                raise
            except UnicodeDecodeError:
                raise RecordFileError(f"{name}:{line_no}: not UTF-8 text") from None
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise RecordFileError(f"{name}:{line_no}: malformed record ({err})") from None


def read_run(path: str | os.PathLike[str]) -> RecordedRun:
    header: RunHeader | None = None
    decisions: list[DecisionRecord] = []
    finals: list[FinalState] = []
    try:
        for item in iter_records(path):
            if isinstance(item, RunHeader):
                header = item
            elif isinstance(item, FinalState):
                finals.append(item)
            else:
                decisions.append(item)
    except UnicodeDecodeError:
        raise RecordFileError(f"{path}: not UTF-8 text") from None
    if header is None:
        raise RecordFileError(f"{path}: empty file (no header line)")
    return RecordedRun(header, tuple(decisions), tuple(finals))
