"""Review of esper-lite telemetry: the decisions training made, one at a time, in episode, env, epoch order.

The first decision is found by reading the file from its start, so the first frame shows while DuckDB
indexes the whole file (``TelemetryIndex.build``, on a worker thread); navigation, the jump keys and the
episode's timeline start once the index is ready. Every shown decision is read back from the file at the
offset the index keeps. Pure Python and DuckDB: no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.jumps import JUMP_LABELS
from tamiyo_tui.session.telemetry_index import Located, TelemetryIndex
from tamiyo_tui.session.telemetry_records import (
    TelemetryDecision,
    decision_from_event,
    event_summary,
    is_decision,
    one_run_events,
)
from tamiyo_tui.session.view import Severity
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE

TelemetryJump = Literal["rejected", "uncertain", "unlikely"]
# What ]/[ look for, in the order f cycles them. Telemetry records one policy: no disagreement to find.
TELEMETRY_JUMPS: tuple[TelemetryJump, ...] = ("rejected", "uncertain", "unlikely")
TELEMETRY_JUMP_LABELS = JUMP_LABELS | {"unlikely": "low-probability op (at most half as likely as its likeliest)"}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    epoch: int | None  # the decision's, or the step an event happened in; None: after the episode's last
    text: str
    idx: int | None = None  # a decision's place in the review; None for an event
    rejected: bool = False


@dataclass(frozen=True, slots=True)
class TelemetryFrame:
    file: str
    decision: TelemetryDecision
    position: int | None  # the decision's idx; None until the index is ready
    total: int | None
    episode_number: int | None  # 1-based, among the file's episodes
    episodes: int | None
    timeline: tuple[TimelineEntry, ...]
    indexing: str | None  # what the index build is doing; None once it is ready
    malformed: tuple[int, ...]  # line numbers that are not JSON
    jump: TelemetryJump
    generation: str = ESPER_2016337E_LIFECYCLE  # the policy generation whose telemetry this is


@dataclass(frozen=True, slots=True)
class TelemetryUpdate:
    frame: TelemetryFrame
    notice: str | None = None
    severity: Severity = "information"


def is_telemetry(path: Path) -> bool:
    """Whether ``path`` is esper-lite telemetry: a folder with an events.jsonl, or a file of events."""
    if path.is_dir():
        return any(path.rglob("events.jsonl"))
    try:
        with path.open(encoding="utf-8") as lines:
            first = next((line for line in lines if line.strip()), "")
        return "event_type" in json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError, TypeError):
        return False


class TelemetryReview:
    read_only = True

    def __init__(self, path: Path, *, episode: int | None = None, epoch: int | None = None) -> None:
        """``episode`` / ``epoch``: where to open once indexed (the first decision of that episode, from that
        epoch on); until then the first frame is the file's first decision."""
        self.path = one_run_events(path)
        self._start = (episode, epoch)
        self.start_problem: str | None = None  # why the review could not open where it was asked to
        self.index = TelemetryIndex(self.path)
        self._phase = "waiting"
        self._jump: TelemetryJump = "rejected"
        self._idx = 0
        self._ready = False
        self._shown = self._first_decision()

    # --- the index ---------------------------------------------------------------------------------------

    def build_index(self) -> None:
        """Index the file (seconds for a large one): call it off the UI thread, then ``current()`` again."""

        def on_phase(phase: str) -> None:
            self._phase = phase

        self.index.build(on_phase)
        if self.index.count == 0:
            raise InputError(
                f"{self.path}: no decision (ANALYTICS_SNAPSHOT of kind last_action) in {self.index.lines} lines"
            )
        self._episodes = self.index.episodes()
        try:
            self._idx = self._start_index()
        except InputError as error:  # the review opens anyway, at the first decision, and says why
            self.start_problem = str(error)
        self._shown = self._read(self._idx)
        self._ready = True  # last: the UI thread reads the index only from now on

    def _start_index(self) -> int:
        episode, epoch = self._start
        if episode is None and epoch is None:
            return 0
        episodes = [e.episode for e in self._episodes] if episode is None else [episode]
        found = next((i for e in episodes if (i := self.index.first_of(e, None, epoch)) is not None), None)
        if found is None:
            have = ", ".join(str(e.episode) for e in self._episodes[:12])
            where = f"episode {episode}" if episode is not None else "any episode"
            raise InputError(f"{self.path}: no decision in {where} at epoch {epoch or 1} or later (episodes: {have}…)")
        return found

    def indexing(self) -> str | None:
        if self._ready:
            return None
        progress = self.index.progress()
        return f"indexing: {self._phase}" + ("" if progress is None else f" {progress:.0f}%")

    # --- navigation ----------------------------------------------------------------------------------

    def current(self, notice: str | None = None, severity: Severity = "information") -> TelemetryUpdate:
        return TelemetryUpdate(self.frame(), notice, severity)

    def step(self) -> TelemetryUpdate:
        return self._move(lambda: self._idx + 1, "End of the telemetry")

    def back(self) -> TelemetryUpdate:
        return self._move(lambda: self._idx - 1, "Already at the first decision")

    def go_to(self, idx: int) -> TelemetryUpdate:
        return self._move(lambda: idx, "No such decision")

    def episode(self, direction: int) -> TelemetryUpdate:
        """The first decision of the next (1) or previous (-1) episode."""

        def target() -> int:
            number = self._episode_number() - 1 + direction
            return self._episodes[number].first if 0 <= number < len(self._episodes) else -1

        return self._move(target, "No later episode" if direction > 0 else "No earlier episode")

    def other_env(self) -> TelemetryUpdate:
        """The same epoch in the nearest episode that another environment played at the same time."""

        def target() -> int:
            here = self._shown
            later = [e for e in self._episodes if e.env != here.env and e.episode > here.episode]
            earlier = [e for e in self._episodes if e.env != here.env and e.episode < here.episode]
            for episode in ([later[0]] if later else []) + ([earlier[-1]] if earlier else []):
                found = self.index.first_of(episode.episode, episode.env, here.epoch)
                if found is not None:
                    return found
            return -1

        return self._move(target, "No other environment in this telemetry")

    def jump(self, direction: int) -> TelemetryUpdate:
        def target() -> int:
            found = self.index.find(self._idx, direction, self._jump)
            return -1 if found is None else found

        label = TELEMETRY_JUMP_LABELS[self._jump]
        return self._move(target, f"No {'later' if direction > 0 else 'earlier'} {label}")

    def cycle_jump(self) -> TelemetryUpdate:
        self._jump = TELEMETRY_JUMPS[(TELEMETRY_JUMPS.index(self._jump) + 1) % len(TELEMETRY_JUMPS)]
        return self.current(f"]/[ now jump to the next/previous {TELEMETRY_JUMP_LABELS[self._jump]}")

    def _move(self, target, refused: str) -> TelemetryUpdate:
        if not self._ready:
            return self.current(f"Still {self.indexing()}: navigation starts when the index is ready", "warning")
        idx = target()
        if not 0 <= idx < self.index.count:
            return self.current(refused)
        self._idx, self._shown = idx, self._read(idx)
        return self.current()

    # --- frames --------------------------------------------------------------------------------------

    def frame(self) -> TelemetryFrame:
        ready = self._ready
        return TelemetryFrame(
            file=str(self.path),
            decision=self._shown,
            position=self._idx if ready else None,
            total=self.index.count if ready else None,
            episode_number=self._episode_number() if ready else None,
            episodes=len(self._episodes) if ready else None,
            timeline=self._timeline() if ready else (TimelineEntry(self._shown.epoch, self._shown.label, None),),
            indexing=self.indexing(),
            malformed=self.index.malformed,
            jump=self._jump,
        )

    def _episode_number(self) -> int:
        return next(n for n, e in enumerate(self._episodes, start=1) if e.first <= self._idx < e.first + e.count)

    def _timeline(self) -> tuple[TimelineEntry, ...]:
        here = self._shown
        events: dict[int | None, list[str]] = {}
        placed = self.index.events_of(here.episode, here.env)
        for (epoch, _), event in zip(placed, self._events_at([place for _, place in placed]), strict=True):
            events.setdefault(epoch, []).append(event_summary(event))
        rows: list[TimelineEntry] = []
        for idx, epoch, op, slot, rejected in self.index.epochs_of(here.episode, here.env):
            label = op if op == "WAIT" or not slot else f"{op} {slot}"
            rows.append(TimelineEntry(epoch, label, idx, rejected))
            rows += [TimelineEntry(epoch, text) for text in events.pop(epoch, [])]
        rows += [TimelineEntry(None, text) for texts in events.values() for text in texts]
        return tuple(rows)

    def _read(self, idx: int) -> TelemetryDecision:
        place = self.index.located(idx)
        (event,) = self._events_at([place])
        if not is_decision(event):
            raise InputError(f"{self.path}:{place.line}: the file changed since it was indexed; open it again")
        return decision_from_event(event, place.line)

    def _events_at(self, places: list[Located]) -> list[dict]:
        """The events at ``places``, read with one open of the file (a frame's timeline reads dozens)."""
        events = []
        with self.path.open("rb") as raw:
            for place in places:
                raw.seek(place.offset)
                events.append(json.loads(raw.read(place.length)))
        return events

    def _first_decision(self) -> TelemetryDecision:
        """The first decision in the file, read line by line (the first frame, before any index)."""
        try:
            with self.path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue  # counted and reported by the index
                    if isinstance(event, dict) and is_decision(event):
                        return decision_from_event(event, number)
        except OSError as error:
            raise InputError(f"{self.path}: {error.strerror}") from None
        raise InputError(f"{self.path}: no decision (ANALYTICS_SNAPSHOT of kind last_action) in the file")
