"""An index of an esper-lite telemetry file, built by DuckDB: where every decision and event is, and what
the jump keys look for.

The file stays the store. DuckDB reads it once, as plain lines (so a malformed line keeps its number and is
reported, never dropped), and keeps per decision only what navigation needs: its place in the file (byte
offset and length), environment, episode and epoch, and whether it is a rejected action, a high-entropy or
a low-probability decision. A decision's full record is read back from the file at its offset when shown,
so a million decisions index in a few small columns and the resident memory stays small whatever the
file's size (``bench/review_bench.py``).

Decisions are ``ANALYTICS_SNAPSHOT`` events of kind ``last_action``. They are ordered by episode, then
environment, then epoch, and numbered in that order (``idx``), the order the review steps through.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tamiyo_tui.domain.actions import HEAD_NAMES, HEADS_USED_BY_OP
from tamiyo_tui.generations.esper_2016337e.telemetry_names import DECISION_EVENT, DECISION_KIND, head_telemetry_name
from tamiyo_tui.session.jumps import HIGH_ENTROPY, LOW_PROBABILITY

# The events that explain a decision, shown on the timeline at their environment, episode and epoch.
TIMELINE_EVENTS = (
    "SEED_GERMINATED",
    "SEED_STAGE_CHANGED",
    "SEED_GATE_EVALUATED",
    "SEED_PRUNED",
    "SEED_FOSSILIZED",
    "TAMIYO_INITIATED",
    "COUNTERFACTUAL_MATRIX_COMPUTED",
    "EPISODE_OUTCOME",
    "PPO_UPDATE_COMPLETED",
)
_MEMORY_LIMIT = "256MB"  # DuckDB's own buffers; the review's resident memory target is 500 MB in all


@dataclass(frozen=True, slots=True)
class Episode:
    episode: int
    env: int
    first: int  # idx of its first decision
    count: int


@dataclass(frozen=True, slots=True)
class Located:
    """Where one line of the file is."""

    line: int  # 1-based
    offset: int  # bytes from the file's start
    length: int  # bytes, without the newline


def _read_paths() -> dict[str, str]:
    """Every field the index reads from an event, by name: read in one ``json_extract_string`` call, which
    parses each line once (one parse per field held a parse per field and per batch in memory at once)."""
    paths = {
        "type": "$.event_type",
        "kind": "$.data.kind",
        "env": "$.data.env_id",
        "episode": "$.data.episode_idx",
        "epoch": "$.data.inner_epoch",
        "action": "$.data.action_name",
        "slot": "$.data.slot_id",
        "success": "$.data.action_success",
        "confidence": "$.data.action_confidence",
        # The op's recorded alternatives: its two likeliest other options, [[name, p], [name, p]].
        "alternative_1": "$.data.alternatives[0][1]",
        "alternative_2": "$.data.alternatives[1][1]",
    }
    for head in HEAD_NAMES:
        paths[f"{head}_forced"] = f"$.data.{head}_masked"
        paths[f"{head}_entropy"] = f"$.data.head_telemetry.{head_telemetry_name(head)}_entropy"
    return paths


_PATHS = _read_paths()


def _field(name: str, cast: str = "") -> str:
    value = f"v[{list(_PATHS).index(name) + 1}]"
    return f"({value})::{cast}" if cast else value


def _uncertain_sql() -> str:
    """High normalized entropy on a head the op reads and that had a choice (not forced)."""
    cases = []
    for op, heads in HEADS_USED_BY_OP.items():
        checks = " OR ".join(
            f"(NOT coalesce({_field(f'{head}_forced', 'BOOLEAN')}, false) AND "
            f"{_field(f'{head}_entropy', 'DOUBLE')} >= {HIGH_ENTROPY})"
            for head in heads
        )
        cases.append(f"WHEN '{op}' THEN ({checks})")
    return f"coalesce(CASE {_field('action')} {' '.join(cases)} END, false)"


def _unlikely_sql() -> str:
    """The op's chosen option at most LOW_PROBABILITY as likely as its likeliest."""
    confidence = _field("confidence", "DOUBLE")
    others = [f"coalesce({_field(name, 'DOUBLE')}, 0)" for name in ("alternative_1", "alternative_2")]
    return f"coalesce({confidence} <= {LOW_PROBABILITY} * greatest({confidence}, {', '.join(others)}), false)"


class TelemetryIndex:
    """The index of one telemetry file; ``build`` fills it (seconds for a large file: run it off the UI)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._folder = tempfile.TemporaryDirectory(prefix="tamiyo-review-")
        self._connection = duckdb.connect(str(Path(self._folder.name) / "index.duckdb"))
        self._connection.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
        self._connection.execute(f"SET temp_directory = '{self._folder.name}'")
        # One thread: the JSON of every thread's batch in flight is what outgrows the memory limit (measured:
        # two threads ran out of 256 MB on a 76 MB file), and the UI keeps the other core while it indexes.
        self._connection.execute("SET threads = 1")
        # Progress is tracked for the status line (``progress``), never printed over the TUI.
        self._connection.execute("SET enable_progress_bar = true")
        self._connection.execute("SET enable_progress_bar_print = false")
        self.ready = False
        self.malformed: tuple[int, ...] = ()  # line numbers of lines that are not JSON
        self.lines = 0
        self.count = 0  # decisions, once ready

    def progress(self) -> float | None:
        """How far the running build is, 0–100, or None when DuckDB cannot say (call from another thread)."""
        try:
            done = self._connection.query_progress()
        except duckdb.Error:
            return None
        return None if done < 0 else float(done)

    def build(self, on_phase: Callable[[str], None] | None = None) -> None:
        say = on_phase or (lambda phase: None)
        quoted = str(self.path).replace("'", "''")
        c = self._connection
        say("reading the file")
        types = ", ".join(f"'{name}'" for name in (*TIMELINE_EVENTS, DECISION_EVENT))
        # One pass over the text: each line one VARCHAR (a delimiter that never occurs in JSON lines), validated
        # once and parsed only when it is an event the review shows; only narrow columns go on from there, so
        # the numbering (line, byte offset: in file order) holds a few numbers per line, never the text.
        c.execute(f"""
            CREATE TABLE fields AS
            SELECT length, valid, {_field("type")} AS type, {_field("kind")} AS kind,
                   {_field("env", "INTEGER")} AS env, {_field("episode", "INTEGER")} AS episode,
                   {_field("epoch", "INTEGER")} AS epoch, {_field("action")} AS action, {_field("slot")} AS slot,
                   NOT coalesce({_field("success", "BOOLEAN")}, true) AS rejected,
                   {_uncertain_sql()} AS uncertain, {_unlikely_sql()} AS unlikely
            FROM (
                SELECT coalesce(strlen(column0), 0) AS length, valid,
                       CASE WHEN valid AND regexp_extract(column0, '"event_type": *"([A-Z_]+)"', 1) IN ({types})
                            THEN json_extract_string(column0, {list(_PATHS.values())}) END AS v
                FROM (
                    SELECT column0, column0 IS NULL OR trim(column0) = '' OR json_valid(column0) AS valid
                    FROM read_csv('{quoted}', columns = {{'column0': 'VARCHAR'}}, header = false,
                                  delim = chr(1), quote = '', escape = '', auto_detect = false)
                )
            )""")
        # Numbered apart, over the narrow table (kept in insertion order, the file's): a window over the
        # parsing itself held every line's JSON at once.
        c.execute("""
            CREATE TABLE parsed AS
            SELECT row_number() OVER () AS line,
                   sum(length + 1) OVER (ROWS UNBOUNDED PRECEDING) - length - 1 AS "offset", *
            FROM fields""")
        c.execute("DROP TABLE fields")
        self.lines = c.execute("SELECT count(*) FROM parsed").fetchone()[0]  # type: ignore[index]
        rows = c.execute("SELECT line FROM parsed WHERE NOT valid ORDER BY line").fetchall()
        self.malformed = tuple(line for (line,) in rows)
        say("indexing decisions")
        c.execute(f"""
            CREATE TABLE decisions AS
            SELECT row_number() OVER (ORDER BY episode, env, epoch, line) - 1 AS idx,
                   line, "offset", length, env, episode, epoch, action, slot, rejected, uncertain, unlikely
            FROM parsed WHERE type = '{DECISION_EVENT}' AND kind = '{DECISION_KIND}'""")
        say("indexing events")
        timeline = ", ".join(f"'{name}'" for name in TIMELINE_EVENTS)
        # An event's own ``epoch`` is not the episode's epoch, so it is placed where the file puts it: a step's
        # events are written while its action is carried out, before the step's decision row, so an event
        # belongs to the first decision of its environment and episode written after it (none: after the last).
        c.execute(f"""
            CREATE TABLE events AS
            SELECT e.line, e."offset", e.length, e.type, e.env, e.episode, d.epoch
            FROM (SELECT line, "offset", length, type, env, episode FROM parsed WHERE type IN ({timeline})) AS e
            ASOF LEFT JOIN decisions AS d ON e.env = d.env AND e.episode = d.episode AND e.line <= d.line""")
        c.execute("DROP TABLE parsed")  # the file holds the text; the index keeps places only
        c.execute("CREATE INDEX decisions_idx ON decisions (idx)")
        self.count = c.execute("SELECT count(*) FROM decisions").fetchone()[0]  # type: ignore[index]
        self.ready = True  # last: until now another thread may only ask ``progress``
        say("ready")

    # --- what the review asks once the index is ready ---------------------------------------------------

    def located(self, idx: int) -> Located:
        row = self._connection.execute('SELECT line, "offset", length FROM decisions WHERE idx = ?', [idx]).fetchone()
        if row is None:
            raise IndexError(idx)
        return Located(*row)

    def episodes(self) -> tuple[Episode, ...]:
        rows = self._connection.execute(
            "SELECT episode, any_value(env), min(idx), count(*) FROM decisions GROUP BY episode ORDER BY min(idx)"
        ).fetchall()
        return tuple(Episode(*row) for row in rows)

    def epochs_of(self, episode: int, env: int) -> tuple[tuple[int, int, str, str | None, bool], ...]:
        """One row per decision of the episode: (idx, epoch, op, slot, rejected)."""
        rows = self._connection.execute(
            "SELECT idx, epoch, action, slot, rejected FROM decisions WHERE episode = ? AND env = ? ORDER BY idx",
            [episode, env],
        ).fetchall()
        return tuple(tuple(row) for row in rows)  # type: ignore[misc]

    def find(self, start: int, direction: int, kind: str) -> int | None:
        """The next (``direction`` 1) or previous (-1) decision from ``start`` that is a ``kind``."""
        if kind not in ("rejected", "uncertain", "unlikely"):
            raise ValueError(f"telemetry cannot be searched for {kind!r}")
        order, compare = ("ASC", ">") if direction > 0 else ("DESC", "<")
        row = self._connection.execute(
            f"SELECT idx FROM decisions WHERE idx {compare} ? AND {kind} ORDER BY idx {order} LIMIT 1", [start]
        ).fetchone()
        return None if row is None else int(row[0])

    def first_of(self, episode: int, env: int | None = None, epoch: int | None = None) -> int | None:
        """The first decision of ``episode`` (of ``env``, from ``epoch`` on), or None."""
        row = self._connection.execute(
            "SELECT min(idx) FROM decisions WHERE episode = ? AND (? IS NULL OR env = ?) AND (? IS NULL OR epoch >= ?)",
            [episode, env, env, epoch, epoch],
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def events_of(self, episode: int, env: int) -> tuple[tuple[int | None, Located], ...]:
        """The timeline events of one episode, as (epoch or None, place): its own, and the PPO update that
        follows its last decision in the file (the update its batch fed)."""
        c = self._connection
        own = c.execute(
            'SELECT epoch, line, "offset", length FROM events WHERE episode = ? AND env = ? ORDER BY line',
            [episode, env],
        ).fetchall()
        update = c.execute(
            """SELECT NULL, line, "offset", length FROM events WHERE type = 'PPO_UPDATE_COMPLETED'
               AND line > (SELECT max(line) FROM decisions WHERE episode = ? AND env = ?) ORDER BY line LIMIT 1""",
            [episode, env],
        ).fetchall()
        return tuple((epoch, Located(line, offset, length)) for epoch, line, offset, length in [*own, *update])

    def close(self) -> None:
        self._connection.close()
        self._folder.cleanup()
