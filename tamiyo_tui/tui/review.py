"""Review mode: a recorded run (JSONL) drives every panel; stepping moves from record to record.

Pure Python (no torch): a review opens instantly and never needs the policy that made the records.
"""

from __future__ import annotations

from tamiyo_tui.session.jsonl import RecordedRun
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.tui.frames import (
    HISTORY_POINTS,
    BranchMarker,
    Decision,
    Frame,
    TimelineItem,
    TimelineRow,
    Update,
    action_label,
    verdicts_from_heads,
)


def recorded_timeline(decisions: tuple[DecisionRecord, ...]) -> tuple[TimelineItem, ...]:
    """Every record, with a marker wherever the branch id changes (an override started a new branch).

    Rows are numbered by their index in the file, which is what ``ReviewInspector.record`` takes.
    """
    items: list[TimelineItem] = []
    for index, record in enumerate(decisions):
        if index and record.branch != decisions[index - 1].branch:
            items.append(BranchMarker(index, record.branch, 0))
        items.append(
            TimelineRow(
                step=index,
                epoch=record.epoch,
                action=action_label(record.action),
                source=record.source,
                accepted=record.outcome.accepted,
                branch=record.branch,
                notes=record.notes,
            )
        )
    return tuple(items)


class ReviewInspector:
    read_only = True

    def __init__(self, run: RecordedRun) -> None:
        if not run.decisions:
            raise ValueError("a review needs at least one decision record")
        self.run = run
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

    def frame(self) -> Frame:
        header = self.run.header
        record = self.run.decisions[self.index]
        history = self.run.decisions[max(0, self.index + 1 - HISTORY_POINTS) : self.index + 1]
        return Frame(
            scenario=header.scenario_name,
            episode_length=header.episode_length,
            position=self.index,
            epoch=record.epoch,
            observation=record.observation,
            verdicts=verdicts_from_heads(record.heads),
            decision=Decision(record.bundle, record.heads, record.value, record.hidden_norm, record.heuristic_reason),
            bundle=record.bundle,
            policy_id=header.policy_id,
            device=header.device,
            telemetry_features=header.telemetry_features,
            deterministic=record.deterministic,
            notes=record.notes,
            accuracy=tuple(r.observation.host.val_accuracy for r in history),
            loss=tuple(r.observation.host.val_loss for r in history),
            timeline=self._timeline,
            last=record,
            done=self.index + 1 == len(self.run.decisions),
            read_only=True,
        )
