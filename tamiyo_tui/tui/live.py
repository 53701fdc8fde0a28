"""The live inspector: an ``InspectionSession`` driven from the engine thread, answering with Frames.

This module imports torch (through the session), so only the engine thread imports it, after the first
frame is on screen. Every method runs there; what it returns is immutable and safe to hand to the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tamiyo_tui.domain.actions import FactoredAction
from tamiyo_tui.rules.masks import MaskExplanation
from tamiyo_tui.session.decide import BundleDecision
from tamiyo_tui.session.headless import OpenedRun, open_run
from tamiyo_tui.session.jsonl import RecordWriter
from tamiyo_tui.session.recording import head_records, summarize_observation
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.session import Comparison, InspectionSession, SessionFinished
from tamiyo_tui.tui.engine import OPERATION_ERRORS, LoadRequest
from tamiyo_tui.tui.frames import (
    HEAD_DISPLAY_ORDER,
    HISTORY_POINTS,
    BranchMarker,
    ComparedHead,
    ComparisonView,
    Decision,
    Frame,
    TimelineItem,
    TimelineRow,
    Update,
    action_label,
    scenario_notes,
    scripted_label,
    verdicts_from_heads,
)
from tamiyo_tui.tui.visuals import REJECTED


def rejection_notice(record: DecisionRecord) -> str:
    return (
        f"epoch {record.epoch}: {record.source} {action_label(record.action)} "
        f"{REJECTED} rejected: {record.outcome.reason}"
    )


class LiveInspector:
    read_only = False

    def __init__(self, opened: OpenedRun) -> None:
        self.opened = opened
        self.session: InspectionSession = opened.session

    @classmethod
    def open(cls, request: LoadRequest) -> LiveInspector:
        """Load the scenario and policies and start a session (imports torch: call on the engine thread)."""
        return cls(
            open_run(
                request.scenario_path,
                policy=request.policy,
                device=request.device,
                seed=request.seed,
                deterministic=request.deterministic,
            )
        )

    # --- operations -----------------------------------------------------------------------------------

    def current(self) -> Update:
        return Update(self.frame())

    def step(self) -> Update:
        return self._carry_out(self.session.step)

    def override(self, action: FactoredAction) -> Update:
        return self._carry_out(lambda: self.session.override(action))

    def back(self) -> Update:
        if self.session.position == 0:
            return Update(self.frame(), "Already at the first decision")
        self.session.step_back(1)
        return Update(self.frame())

    def switch_bundle(self) -> Update:
        name = self.session.switch_bundle()
        return Update(self.frame(), f"Active bundle: {name}")

    def toggle_sampling(self) -> Update:
        self.session.set_deterministic(not self.session.deterministic)
        mode = "deterministic (most likely option)" if self.session.deterministic else "sampling"
        return Update(self.frame(), f"Decisions are now {mode}")

    def compare(self) -> ComparisonView:
        return comparison_view(self.session.compare(), self.session.active)

    def record(self, step: int) -> DecisionRecord:
        return self.session.record(step)

    def export(self, path: Path) -> int:
        """Write the header and every decision up to the current position; returns how many."""
        records = self.session.records()
        with RecordWriter(path, self.opened.header) as writer:
            for record in records:
                writer.write(record)
        return len(records)

    def _carry_out(self, operation: Callable[[], DecisionRecord]) -> Update:
        try:
            record = operation()
        except SessionFinished:
            return Update(self.frame(), f"The episode is over (epoch {self.session.scenario.episode_length})")
        except OPERATION_ERRORS as err:
            return Update(self.frame(), f"policy error: {err}", "error")
        if record.outcome.accepted:
            return Update(self.frame())
        return Update(self.frame(), rejection_notice(record), "warning")

    # --- the frame ------------------------------------------------------------------------------------

    def frame(self) -> Frame:
        session = self.session
        header = self.opened.header
        last = session.record(session.position - 1) if session.position else None
        common: dict[str, Any] = {
            "scenario": header.scenario_name,
            "episode_length": header.episode_length,
            "position": session.position,
            "policy_id": header.policy_id,
            "device": header.device,
            "telemetry_features": header.telemetry_features,
            "deterministic": session.deterministic,
            "timeline": self._timeline(),
            "last": last,
        }
        if session.done:
            accuracy, loss = self._history(HISTORY_POINTS)
            assert last is not None, "an episode cannot end before its first decision"
            return Frame(
                epoch=last.epoch,
                observation=last.observation,
                verdicts=verdicts_from_heads(last.heads),
                decision=Decision(last.bundle, last.heads, last.value, last.hidden_norm, last.heuristic_reason),
                bundle=session.active,
                notes=last.notes,
                accuracy=accuracy,
                loss=loss,
                done=True,
                **common,
            )
        accuracy, loss = self._history(HISTORY_POINTS - 1)
        observation = session.observation()
        explanation = session.explanation()
        decision, error = None, None
        try:
            decision = _decision_view(session.pending_decisions()[session.active], explanation)
        except OPERATION_ERRORS as err:
            error = f"policy error: {err}"
        return Frame(
            epoch=session.epoch,
            observation=summarize_observation(observation),
            verdicts=explanation.heads,
            decision=decision,
            bundle=session.active,
            notes=scenario_notes(session.scenario, session.epoch),
            accuracy=(*accuracy, observation.host.val_accuracy),
            loss=(*loss, observation.host.val_loss),
            scripted=scripted_label(session.scenario, session.epoch),
            error=error,
            **common,
        )

    def _history(self, points: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Host accuracy and loss of the last ``points`` decisions taken on this branch."""
        session = self.session
        steps = range(max(0, session.position - points), session.position)
        hosts = [session.record(step).observation.host for step in steps]
        return tuple(h.val_accuracy for h in hosts), tuple(h.val_loss for h in hosts)

    def _timeline(self) -> tuple[TimelineItem, ...]:
        session = self.session
        config = session.scenario.slot_config
        markers = {branch.fork_step: branch for branch in session.branches}
        items: list[TimelineItem] = []
        for entry in session.entries:
            if entry.step in markers:
                branch = markers.pop(entry.step)
                items.append(BranchMarker(branch.fork_step, branch.branch, len(branch.entries)))
            items.append(
                TimelineRow(
                    step=entry.step,
                    epoch=entry.epoch,
                    action=action_label(entry.action.option_names(config)),
                    source=entry.source,
                    accepted=entry.accepted,
                    branch=entry.branch,
                    notes=scenario_notes(session.scenario, entry.epoch),
                    future=entry.step >= session.position,
                )
            )
        # A branch abandoned at the very end of the current one (nothing has been taken since the fork).
        items.extend(BranchMarker(b.fork_step, b.branch, len(b.entries)) for b in markers.values())
        return tuple(items)


def _decision_view(decision: BundleDecision, explanation: MaskExplanation) -> Decision:
    """The pending decision in the record's per-head shape (masks and reasons from the rule set)."""
    heads = head_records(explanation, decision)
    return Decision(decision.bundle, heads, decision.value, decision.hidden_norm, decision.reason)


def comparison_view(comparison: Comparison, active: str) -> ComparisonView:
    by_head = {compared.head: compared for compared in comparison.heads}
    heads = []
    for head in HEAD_DISPLAY_ORDER:
        choices = {}
        for bundle, option in by_head[head].choices.items():
            decision = comparison.decisions[bundle]
            index = decision.action.to_head_indices()[head]
            choices[bundle] = (option, decision.heads[head].probs[index])
        heads.append(ComparedHead(head, choices, by_head[head].agree))
    return ComparisonView(
        epoch=comparison.epoch,
        active=active,
        bundles=tuple(comparison.decisions),
        heads=tuple(heads),
        values={bundle: decision.value for bundle, decision in comparison.decisions.items()},
    )
