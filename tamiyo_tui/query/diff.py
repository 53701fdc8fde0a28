"""Two recorded runs, decision by decision: each side read through the ``decisions`` view, aligned by epoch.

A side is a record file (``tamiyo-tui run --out``, the inspector's export) or an esper-lite ``events.jsonl``.
Both are read through the view so that both speak its vocabulary (a blueprint in lower case, the target as a
number, the tempo as an index): a record and telemetry compare without a translation of their own here.

- A record file: its current branch, the records an export writes first (steps rising from the start;
  abandoned branches follow, each starting again at its fork). A file of ``run --out`` is all branch 0.
- Telemetry: one env's episode, chosen by ``--env``/``--episode`` (or per side, ``--env-a`` …); when the file
  holds exactly one episode that the options leave open, it is that one.

A head is compared only where both sides' ops read it (``HEADS_USED_BY_OP``): the blueprint of a WAIT is no
decision, and telemetry does not even record it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from shlex import quote

import duckdb

from tamiyo_tui.domain.actions import HEAD_NAMES, HEADS_USED_BY_OP
from tamiyo_tui.errors import InputError
from tamiyo_tui.query.sources import classify
from tamiyo_tui.query.views import open_decisions
from tamiyo_tui.session.jsonl import read_run

# The op first (it decides which other heads count), then the rest in the action's head order.
HEADS: tuple[str, ...] = ("op", *(head for head in HEAD_NAMES if head != "op"))
# Each head's column in the decisions view; alpha_target as a number on both sides (a record's is a decimal).
HEAD_COLUMNS = {
    "op": "action_name",
    "slot": "slot_id",
    "blueprint": "blueprint_id",
    "style": "style",
    "tempo": "tempo_idx",
    "alpha_target": "alpha_target::DOUBLE",
    "alpha_speed": "alpha_speed",
    "alpha_curve": "alpha_curve",
}
assert set(HEAD_COLUMNS) == set(HEADS)


@dataclass(frozen=True, slots=True)
class Decision:
    epoch: int
    choices: dict[str, object]  # head → the option chosen, as the view spells it

    @property
    def op(self) -> str:
        return str(self.choices["op"])

    def label(self) -> str:
        """The op and the options of the heads it reads: what was decided, and nothing that was not."""
        used = HEADS_USED_BY_OP.get(self.op, ("op",))
        return " ".join([self.op, *(f"{head}={self.choices[head]}" for head in HEADS if head in used[1:])])


@dataclass(frozen=True, slots=True)
class Side:
    name: str  # "A" or "B"
    path: str
    kind: str  # "record" or "telemetry"
    decisions: dict[int, Decision]  # by epoch
    env: int | None = None  # telemetry: the env and episode read
    episode: int | None = None

    def describe(self) -> str:
        where = "record file, current branch" if self.kind == "record" else f"env {self.env}, episode {self.episode}"
        epochs = sorted(self.decisions)
        span = f"epochs {epochs[0]}–{epochs[-1]}" if epochs else "no epochs"
        return f"{self.path} ({where}; {len(epochs)} decision(s), {span})"

    def open_command(self, epoch: int) -> str:
        """The command that opens this side's decision at ``epoch`` in the inspector (a telemetry episode is
        named by its episode_idx, which the trainer counts across environments)."""
        if self.kind == "record":
            return f"tamiyo-tui review {quote(self.path)} --at {epoch}"
        return f"tamiyo-tui review {quote(self.path)} --episode {self.episode} --at {epoch}"


@dataclass(frozen=True, slots=True)
class Comparison:
    a: Side
    b: Side
    agree: dict[str, int]  # head → epochs where both sides chose the same option
    compared: dict[str, int]  # head → epochs where both sides' ops read the head
    first: int | None  # the first epoch where they differ (a head, or an epoch only one side has)
    only_a: tuple[int, ...]
    only_b: tuple[int, ...]

    @property
    def identical(self) -> bool:
        return self.first is None


def read_side(name: str, path: str, shared: tuple[int | None, int | None], own: tuple[int | None, int | None]) -> Side:
    """One side: ``shared`` are ``--env``/``--episode`` (for every telemetry side), ``own`` this side's
    ``--env-a``/``--episode-a`` (or ``-b``), which win, and which a record file refuses."""
    sources = classify([path])
    if sources.parquet or len(sources.records) + len(sources.telemetry) != 1:
        raise InputError(f"{name} {path}: diff takes one record file or one events.jsonl per side")
    connection = open_decisions(sources)
    columns = ", ".join(f"{column} AS {head}" for head, column in HEAD_COLUMNS.items())
    if sources.records:
        if own != (None, None):
            option = f"--env-{name.lower()}" if own[0] is not None else f"--episode-{name.lower()}"
            raise InputError(f"{option}: side {name} ({path}) is a record file; the option selects telemetry")
        keys = _current_branch(path)
        rows = connection.execute(f"SELECT step, branch, inner_epoch, {columns} FROM decisions").fetchall()
        current = sorted((row for row in rows if (row[0], row[1]) in keys), key=lambda row: row[0])
        return Side(name, path, "record", _by_epoch(name, path, [row[2:] for row in current]))
    env, episode = (mine if mine is not None else both for mine, both in zip(own, shared, strict=True))
    env, episode = _episode(name, path, connection, env, episode)
    rows = connection.execute(
        f"SELECT inner_epoch, {columns} FROM decisions WHERE env_id = ? AND episode_idx = ? ORDER BY inner_epoch",
        [env, episode],
    ).fetchall()
    return Side(name, path, "telemetry", _by_epoch(name, path, rows), env, episode)


def _current_branch(path: str) -> set[tuple[int, int]]:
    """The (step, branch) of each record on the current branch: a step and branch name one node of the
    run's tree (an export's abandoned branches repeat steps, never a step of the same branch)."""
    keys: list[tuple[int, int]] = []
    for record in read_run(path).decisions:
        if keys and record.step <= keys[-1][0]:
            break  # the first abandoned branch
        keys.append((record.step, record.branch))
    return set(keys)


def _episode(
    name: str, path: str, connection: duckdb.DuckDBPyConnection, env: int | None, episode: int | None
) -> tuple[int, int]:
    """The (env, episode) the options leave: exactly one, or a message naming those there are."""
    pairs = connection.execute(
        "SELECT DISTINCT env_id, episode_idx FROM decisions ORDER BY ALL",
    ).fetchall()
    matching = [p for p in pairs if env in (None, p[0]) and episode in (None, p[1])]
    if len(matching) == 1:
        return matching[0]
    held = ", ".join(f"env {e} episode {k}" for e, k in pairs) or "none"
    options = f"--env-{name.lower()} / --episode-{name.lower()} (or --env / --episode)"
    if not matching:
        raise InputError(f"{name} {Path(path)}: no decision at the env and episode chosen; it holds: {held}")
    raise InputError(f"{name} {Path(path)}: {len(matching)} episodes ({held}); choose one with {options}")


def _by_epoch(name: str, path: str, rows: list[tuple]) -> dict[int, Decision]:
    decisions: dict[int, Decision] = {}
    for epoch, *choices in rows:
        if epoch in decisions:
            raise InputError(f"{name} {path}: two decisions at epoch {epoch}; diff aligns one per epoch")
        decisions[epoch] = Decision(epoch, dict(zip(HEADS, choices, strict=True)))
    if not decisions:
        raise InputError(f"{name} {path}: no decision to compare")
    return decisions


def heads_compared(a: Decision, b: Decision) -> tuple[str, ...]:
    """The heads both ops read (the op always): another head's choice changed nothing on one side."""
    used_a, used_b = HEADS_USED_BY_OP.get(a.op, ("op",)), HEADS_USED_BY_OP.get(b.op, ("op",))
    return tuple(head for head in HEADS if head in used_a and head in used_b)


def compare(a: Side, b: Side) -> Comparison:
    agree = dict.fromkeys(HEADS, 0)
    compared = dict.fromkeys(HEADS, 0)
    first = None
    for epoch in sorted(a.decisions.keys() | b.decisions.keys()):
        left, right = a.decisions.get(epoch), b.decisions.get(epoch)
        if left is None or right is None:
            first = epoch if first is None else first
            continue
        for head in heads_compared(left, right):
            compared[head] += 1
            same = left.choices[head] == right.choices[head]
            agree[head] += same
            if not same and first is None:
                first = epoch
    return Comparison(
        a,
        b,
        agree,
        compared,
        first,
        tuple(sorted(a.decisions.keys() - b.decisions.keys())),
        tuple(sorted(b.decisions.keys() - a.decisions.keys())),
    )
