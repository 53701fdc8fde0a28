"""Review: a recorded run (JSONL) answers like an inspector; stepping moves from record to record.

Pure Python (no torch): a review opens instantly and never needs the policy that made the records.
"""

from __future__ import annotations

from pathlib import Path

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.expectations import EMPTY, TakenStep, script_departure
from tamiyo_tui.session.frames import build_frame
from tamiyo_tui.session.jsonl import RecordedRun, RecordFileError, read_run
from tamiyo_tui.session.jumps import JumpKind, find, nothing_found
from tamiyo_tui.session.records import DecisionRecord, RunHeader
from tamiyo_tui.session.view import HISTORY_POINTS, BranchMarker, Frame, TimelineItem, TimelineRow, Update, action_label
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import Expectation


def recorded_timeline(decisions: tuple[DecisionRecord, ...]) -> tuple[TimelineItem, ...]:
    """Every record, with the markers a live run shows: where an override started a branch, and before each
    abandoned branch an export appends after the current one (its steps start again at its fork).

    Rows carry their index in the file (what ``ReviewInspector.record`` takes) and show their step.
    """
    items: list[TimelineItem] = []
    for index, record in enumerate(decisions):
        previous = decisions[index - 1] if index else None
        if previous is not None and record.step <= previous.step:
            length = next(
                (
                    n
                    for n in range(1, len(decisions) - index)
                    if decisions[index + n].step <= decisions[index + n - 1].step
                ),
                len(decisions) - index,
            )
            items.append(BranchMarker(record.step, record.branch, length))
        elif previous is not None and record.branch != previous.branch:
            items.append(BranchMarker(record.step, record.branch, 0))
        items.append(
            TimelineRow(
                step=index,
                epoch=record.epoch,
                action=action_label(record.action),
                source=record.source,
                accepted=record.outcome.accepted,
                branch=record.branch,
                notes=record.notes,
                bundle=record.bundle,
                number=record.step,
            )
        )
    return tuple(items)


def open_review(records_path: str) -> ReviewInspector:
    """The recorded run in a file; one that cannot be read, or holds no decision, raises a RecordFileError."""
    run = read_run(records_path)
    if not run.decisions:
        raise RecordFileError(f"{records_path}: no decision records to review (only a header)")
    return ReviewInspector(run, recorded_expectations(run.header))


def recorded_expectations(header: RunHeader) -> tuple[Expectation, ...]:
    """The lesson's ``expect`` entries, when the scenario the run recorded is still there, unchanged (same
    SHA-256): then review marks where the run left the script, as the live inspector does. Otherwise none."""
    path = Path(header.scenario_path)
    if not path.is_file():
        return ()
    try:
        scenario = load_scenario(path)
    except InputError:
        return ()
    return scenario.expect if scenario.sha256 == header.scenario_sha256 else ()


def path_to(decisions: tuple[DecisionRecord, ...], index: int) -> tuple[DecisionRecord, ...]:
    """The records that led to ``decisions[index]`` on its branch: walking back, each step below the last (an
    appended abandoned branch starts again at its fork, so its earlier steps are found before it)."""
    path: list[DecisionRecord] = []
    for record in reversed(decisions[:index]):
        if record.step < (path[-1] if path else decisions[index]).step:
            path.append(record)
    return tuple(reversed(path))


class ReviewInspector:
    read_only = True

    def __init__(self, run: RecordedRun, expect: tuple[Expectation, ...] = ()) -> None:
        if not run.decisions:
            raise ValueError("a review needs at least one decision record")
        self.run = run
        self.expect = expect  # the lesson's script, when its file could be read (``recorded_expectations``)
        self.index = 0
        self._timeline = recorded_timeline(run.decisions)

    def current(self) -> Update:
        return Update(self.frame())

    def step(self) -> Update:
        if self.index + 1 >= len(self.run.decisions):
            return Update(self.frame(), f"End of the recorded run ({len(self.run.decisions)} decisions)")
        self.index += 1
        return Update(self.frame())

    def back(self) -> Update:
        if self.index == 0:
            return Update(self.frame(), "Already at the first decision")
        self.index -= 1
        return Update(self.frame())

    def record(self, step: int) -> DecisionRecord:
        return self.run.decisions[step]

    def go_to(self, index: int) -> Update:
        """Show record ``index`` (the timeline cursor moves the panels with it)."""
        self.index = min(max(index, 0), len(self.run.decisions) - 1)
        return Update(self.frame())

    def jump(self, kind: JumpKind, direction: int) -> Update:
        count = len(self.run.decisions)
        steps = range(self.index + 1, count) if direction > 0 else range(self.index - 1, -1, -1)
        index = find(self.record, steps, kind)
        if index is None:
            return Update(self.frame(), nothing_found(kind, direction))
        return self.go_to(index)

    def frame(self) -> Frame:
        decisions = self.run.decisions
        record = decisions[self.index]
        return build_frame(
            self.run.header,
            record,
            position=self.index,
            bundle=record.bundle,
            deterministic=record.deterministic,
            earlier=(r.observation.host for r in decisions[max(0, self.index + 1 - HISTORY_POINTS) : self.index]),
            timeline=self._timeline,
            last=record,
            done=self.index + 1 == len(decisions),
            read_only=True,
            final=self.run.final_after(record),
            off_script=self._off_script(),
        )

    def _off_script(self) -> str | None:
        if not self.expect:
            return None
        record = self.run.decisions[self.index]
        taken = tuple(
            TakenStep(r.epoch, dict(r.action), r.outcome.accepted) for r in path_to(self.run.decisions, self.index)
        )
        slots = {slot_id: EMPTY if s is None else s.stage for slot_id, s in record.observation.slots.items()}
        masks = {head: dict(zip(h.options, h.mask, strict=True)) for head, h in record.heads.items()}
        return script_departure(self.expect, record.epoch, slots, masks, taken)
