"""Decisions worth a look, as records: a finding, its flags, how findings rank, and the sweep file.

Pure data, no torch: ``tamiyo-tui sweep`` flags the decisions of every episode it runs
(``tamiyo_tui/sweep/flags.py``), and the TUI opens the sweep file it writes. A finding is a policy
decision (a scripted or overridden step never is) with at least one flag:

- ``rejected``: the lifecycle rejected the policy's action;
- ``disagreement``: the partner bundle (the one ``c`` compares with) chose otherwise on a head the active
  bundle's op uses;
- ``low_probability``: a sampled decision drew an option of probability below the threshold, on a head
  the op uses;
- ``high_entropy``: the op head's normalized entropy is at or above the threshold (two options or more);
- ``value_drop``: the value estimate fell by at least the threshold since the episode's previous decision.

Each flag has a strength from 1 (at the threshold) to 2 (far past it, or a rejection); a finding's score
is the sum, and findings rank by score (to two decimals), then by their place in the sweep. ``docs/sweep.md`` has the
thresholds and the file format.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import IO, Any

from tamiyo_tui.errors import InputError

SWEEP_FILE_VERSION = 1
FLAG_NAMES = ("rejected", "disagreement", "low_probability", "high_entropy", "value_drop")


class SweepFileError(InputError):
    """A sweep file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where each flag starts (``tamiyo-tui sweep --entropy-above/--probability-below/--value-drop``)."""

    high_entropy: float = 0.9  # the op head's normalized entropy, 0–1
    low_probability: float = 0.05  # the probability of a drawn option
    value_drop: float = 1.0  # in the value head's units, between consecutive decisions

    def __post_init__(self) -> None:
        if not 0.0 < self.high_entropy < 1.0:
            raise InputError(f"--entropy-above {self.high_entropy:g}: must lie between 0 and 1")
        if not 0.0 < self.low_probability < 1.0:
            raise InputError(f"--probability-below {self.low_probability:g}: must lie between 0 and 1")
        if not self.value_drop > 0.0:
            raise InputError(f"--value-drop {self.value_drop:g}: must be above 0")


@dataclass(frozen=True, slots=True)
class Flag:
    name: str  # one of FLAG_NAMES
    strength: float  # 1 at the threshold … 2 far past it
    detail: str  # what a reader sees in the table, e.g. "p(op=PRUNE) 0.012"


@dataclass(frozen=True, slots=True)
class Finding:
    """One flagged decision of one sweep episode, with what it takes to open it in the inspector."""

    scenario: str  # as the sweep was given it (a lesson name or a path), so the command reads the same
    scenario_name: str
    seed: int
    policy: str | None  # as given to --policy; None: the scenario's own policy key
    policy_id: str
    epoch: int
    step: int
    action: str  # the action carried out, as ``action_text`` writes it
    flags: tuple[Flag, ...]
    deterministic: bool = False
    device: str | None = None  # the --device the command needs for an exact replay; None: the default
    episode: int = 0  # the episode's place in the sweep (scenario, policy, seed order): ranks ties

    @property
    def score(self) -> float:
        return sum(flag.strength for flag in self.flags)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(flag.name for flag in self.flags)

    def command(self) -> str:
        """The command that opens the inspector at this decision: ``tamiyo-tui SCENARIO --seed S … --at E``."""
        words = ["tamiyo-tui", self.scenario, "--seed", str(self.seed)]
        if self.policy is not None:
            words += ["--policy", self.policy]
        if self.device is not None:
            words += ["--device", self.device]
        if self.deterministic:
            words.append("--deterministic")
        words += ["--at", str(self.epoch)]
        return shlex.join(words)

    def to_json(self) -> dict[str, Any]:
        return {"type": "finding", **asdict(self), "score": round(self.score, 6)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["flags"] = tuple(Flag(**flag) for flag in data["flags"])
        return cls(**values)


def rank_key(finding: Finding) -> tuple[float, int, int]:
    """Highest score first, to the two decimals the table shows; equal scores in sweep order. Scores that
    differ only in float rounding (a batch of another size) therefore rank alike, whatever the workers."""
    return (-round(finding.score, 2), finding.episode, finding.step)


@dataclass(frozen=True, slots=True)
class SweepHeader:
    """The first line of a sweep file: what ran, and how much of it."""

    tool_version: str
    scenarios: tuple[str, ...]
    seeds: str  # as given, e.g. "0-1023"
    policies: tuple[str | None, ...]
    device: str
    deterministic: bool
    thresholds: Thresholds
    episodes: int
    decisions: int
    findings: int
    flag_counts: dict[str, int] = field(default_factory=dict)
    version: int = SWEEP_FILE_VERSION

    def to_json(self) -> dict[str, Any]:
        return {"type": "sweep", **asdict(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SweepHeader:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["scenarios"] = tuple(values["scenarios"])
        values["policies"] = tuple(values["policies"])
        values["thresholds"] = Thresholds(**data["thresholds"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SweepFile:
    header: SweepHeader
    findings: tuple[Finding, ...]  # ranked, as written


def write_sweep_file(path: str | os.PathLike[str], header: SweepHeader, findings: list[Finding]) -> None:
    try:
        handle: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as err:
        raise SweepFileError(f"{os.fspath(path)}: cannot write: {err.strerror}") from None
    with handle:
        for item in (header, *findings):
            handle.write(json.dumps(item.to_json(), allow_nan=False, ensure_ascii=False))
            handle.write("\n")


def is_sweep_file(path: str | os.PathLike[str]) -> bool:
    """Whether the file's first line is a sweep header (anything unreadable is left to the other readers)."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = json.loads(handle.readline())
    except (OSError, ValueError):
        return False
    return isinstance(first, dict) and first.get("type") == "sweep"


def read_sweep_file(path: str | os.PathLike[str]) -> SweepFile:
    name = os.fspath(path)
    lines = _lines(name)
    header: SweepHeader | None = None
    findings: list[Finding] = []
    for line_no, line in lines:
        try:
            data = json.loads(line)
            kind = data.get("type") if isinstance(data, dict) else None
            if header is None:
                if kind != "sweep":
                    raise SweepFileError(f'{name}:{line_no}: expected a sweep header ({{"type": "sweep", ...}})')
                if data.get("version") != SWEEP_FILE_VERSION:
                    raise SweepFileError(f"{name}:{line_no}: unsupported sweep file version {data.get('version')!r}")
                header = SweepHeader.from_json(data)
            elif kind == "finding":
                findings.append(Finding.from_json(data))
            else:
                raise SweepFileError(f"{name}:{line_no}: unknown line type {kind!r}")
        except SweepFileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise SweepFileError(f"{name}:{line_no}: malformed line ({err})") from None
    if header is None:
        raise SweepFileError(f"{name}: empty file (no sweep header)")
    return SweepFile(header, tuple(findings))


def _lines(name: str) -> Iterator[tuple[int, str]]:
    try:
        with open(name, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    yield line_no, line
    except OSError as err:
        raise SweepFileError(f"{name}: cannot open: {err.strerror}") from None
    except UnicodeDecodeError:
        raise SweepFileError(f"{name}: not UTF-8 text") from None
