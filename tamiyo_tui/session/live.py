"""The live inspector: an ``InspectionSession`` answering each operation with an immutable ``Frame``.

This module imports torch (through the session), so a view imports it only once its first frame is on
screen (``Preview.open``); every method runs where policy work runs (the TUI's engine thread), and what
it returns is safe to hand to another thread.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

from tamiyo_tui.domain.actions import FactoredAction
from tamiyo_tui.session.decide import BundleDecision
from tamiyo_tui.session.expectations import EMPTY, TakenStep, script_departure
from tamiyo_tui.session.frames import PendingState, build_frame, pending_state
from tamiyo_tui.session.headless import OpenedRun, start_run
from tamiyo_tui.session.jsonl import RecordWriter
from tamiyo_tui.session.jumps import JumpKind, find, nothing_found
from tamiyo_tui.session.policy_spec import PolicySpec
from tamiyo_tui.session.recording import summarize_observation
from tamiyo_tui.session.records import DecisionRecord, FinalState
from tamiyo_tui.session.session import Comparison, InspectionSession, SessionFinished
from tamiyo_tui.session.view import (
    HEAD_DISPLAY_ORDER,
    HISTORY_POINTS,
    OPERATION_ERRORS,
    REJECTED,
    BranchMarker,
    BranchView,
    ComparedHead,
    ComparisonView,
    Exported,
    Frame,
    NothingToExport,
    OptionVerdict,
    TimelineItem,
    TimelineRow,
    Update,
    action_label,
    heads_read_by,
)
from tamiyo_tui.sim.scenario import Scenario


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
        self.session.record_others = True  # disagreements can be found again, live and in an export
        self.exported = (0, 0)  # (steps, abandoned branches) at the last export

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        spec: PolicySpec,
        *,
        device: str = "auto",
        deterministic: bool = False,
        at: int | None = None,
    ) -> LiveInspector:
        """Load the policies and start a session on the scenario already read (imports torch); with ``at``,
        positioned at that epoch's decision: the episode is replayed up to it, step by step, exactly as
        ``tamiyo-tui run`` and ``tamiyo-tui sweep`` played it (the same sampling seeds per step)."""
        inspector = cls(start_run(scenario, spec, device=device, deterministic=deterministic))
        while at is not None and inspector.session.epoch < at and not inspector.session.done:
            inspector.session.step()
        return inspector

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
        session = self.session
        view = comparison_view(session.compare(), session.active, session.explanation().heads)
        return dataclasses.replace(view, lstm_trained=self.opened.header.checkpoint_sha256 is not None)

    def record(self, step: int) -> DecisionRecord:
        return self.session.record(step)

    def jump(self, kind: JumpKind, direction: int) -> Update:
        """To the state before the next (``direction`` 1) or previous (-1) decision of ``kind`` on the branch."""
        session = self.session
        here = session.position
        steps = range(here + 1, len(session.entries)) if direction > 0 else range(here - 1, -1, -1)
        step = find(session.record, steps, kind)
        if step is None:
            return Update(self.frame(), nothing_found(kind, direction))
        session.go_to(step)
        return Update(self.frame())

    def export(self, path: Path) -> Exported:
        """Write the header, every decision of the current branch up to the position, then each abandoned
        branch's own decisions (from its fork on), to ``path`` or, when that exists, the first free
        ``<stem>-2.jsonl``, ``-3``…: an export never overwrites one. With no decision taken it writes
        nothing (a review would refuse the file) and raises ``NothingToExport``."""
        records = self.session.records()
        if not records:
            raise NothingToExport("Nothing to export yet: take a decision first (n)")
        abandoned = abandoned_records(self.session)
        target = free_path(path)
        with RecordWriter(target, self.opened.header) as writer:
            for record in records:
                writer.write(record)
            if self.session.done:
                final = summarize_observation(self.session.final_observation())
                writer.write(FinalState(records[-1].step, records[-1].branch, final))
            for record in (record for branch in abandoned for record in branch):
                writer.write(record)
        self.exported = len(self.session.entries), len(self.session.branches)
        return Exported(target, len(records), sum(map(len, abandoned)), len(abandoned))

    @property
    def unsaved(self) -> bool:
        """Decisions taken (or branches made) since the last export."""
        return bool(self.session.entries) and self.exported != (len(self.session.entries), len(self.session.branches))

    def switch_branch(self, branch: int) -> Update:
        self.session.switch_branch(branch)
        return Update(self.frame(), f"On branch {branch} now, at step {self.session.position}: n replays it")

    def branch_list(self) -> tuple[BranchView, ...]:
        session = self.session
        current = BranchView(session.branch, None, len(session.entries), current=True)
        others = sorted(session.branches, key=lambda b: b.branch)
        return (current, *(BranchView(b.branch, b.fork_step, b.fork_step + len(b.entries)) for b in others))

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
        """The current state with the active bundle's pending decision; once the episode is over, the last
        decision carried out."""
        session = self.session
        last = session.record(session.position - 1) if session.position else None
        shown_step = session.position - 1 if session.done else session.position
        # The history first: a record that has left the cache is rebuilt by replay, which resets the cursor.
        earlier = range(max(0, shown_step - HISTORY_POINTS + 1), shown_step)
        hosts = tuple(session.record(step).observation.host for step in earlier)
        shown: PendingState | DecisionRecord
        final = None
        if session.done:
            assert last is not None, "an episode cannot end before its first decision"
            shown = last
            final = summarize_observation(session.final_observation())
        else:
            shown = self._pending()
        return build_frame(
            self.opened.header,
            shown,
            position=session.position,
            bundle=session.active,
            deterministic=session.deterministic,
            earlier=hosts,
            timeline=self._timeline(),
            last=last,
            done=session.done,
            final=final,
            off_script=None if session.done else self._off_script(shown),
        )

    def _off_script(self, shown: PendingState | DecisionRecord) -> str | None:
        """Why the run no longer follows the lesson's ``expect`` entries at the shown state, if it does not."""
        session = self.session
        if not session.scenario.expect or not isinstance(shown, PendingState):
            return None
        config = session.scenario.slot_config
        taken = tuple(
            TakenStep(entry.epoch, entry.action.option_names(config), entry.accepted)
            for entry in session.entries[: session.position]
        )
        slots = {slot_id: EMPTY if s is None else s.stage for slot_id, s in shown.observation.slots.items()}
        masks = {head: {v.option: v.allowed for v in verdicts} for head, verdicts in shown.verdicts.items()}
        return script_departure(session.scenario.expect, shown.epoch, slots, masks, taken)

    def _pending(self) -> PendingState:
        session = self.session
        observation = session.observation()
        explanation = session.explanation()
        try:
            decision = session.pending_decisions()[session.active]
        except OPERATION_ERRORS as err:
            return pending_state(
                session.scenario, session.epoch, observation, explanation, error=f"policy error: {err}"
            )
        return pending_state(session.scenario, session.epoch, observation, explanation, decision)

    def _timeline(self) -> tuple[TimelineItem, ...]:
        session = self.session
        config = session.scenario.slot_config
        markers: dict[int, list[BranchMarker]] = {}
        for b in sorted(session.branches, key=lambda b: b.branch):
            markers.setdefault(b.fork_step, []).append(BranchMarker(b.fork_step, b.branch, len(b.entries)))
        items: list[TimelineItem] = []
        for index, entry in enumerate(session.entries):
            items.extend(markers.pop(entry.step, ()))
            if index and entry.branch != session.entries[index - 1].branch:
                items.append(BranchMarker(entry.step, entry.branch, 0))  # an override started this branch
            items.append(
                TimelineRow(
                    step=entry.step,
                    epoch=entry.epoch,
                    action=action_label(entry.action.option_names(config)),
                    source=entry.source,
                    accepted=entry.accepted,
                    branch=entry.branch,
                    notes=session.notes_at(entry.epoch),
                    future=entry.step >= session.position,
                    bundle=entry.bundle,
                )
            )
        # A branch abandoned at the very end of the current one (nothing has been taken since the fork).
        items.extend(marker for group in markers.values() for marker in group)
        return tuple(items)


def abandoned_records(session: InspectionSession) -> list[list[DecisionRecord]]:
    """Each abandoned branch's own decisions (from its fork on), by branch id, rebuilt by replay; the session
    is back on its branch and at its position afterwards."""
    here, current = session.position, session.branch
    found = []
    for branch in sorted(b.branch for b in session.branches):
        session.switch_branch(branch)
        fork = next(b.fork_step for b in session.branches if b.branch == current)
        found.append([session.record(step) for step in range(fork, len(session.entries))])
        session.switch_branch(current)
    session.go_to(min(here, len(session.entries)))
    return found


def free_path(path: Path) -> Path:
    """``path`` if nothing is there, else the first ``<stem>-N<suffix>`` (N = 2, 3, …) that is free."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


def comparison_view(
    comparison: Comparison, active: str, verdicts: dict[str, tuple[OptionVerdict, ...]] | None = None
) -> ComparisonView:
    """Each bundle's choice per head; with the rules' ``verdicts``, also each bundle's probability of the
    other's choice and the total variation between the two over the valid options."""
    by_head = {compared.head: compared for compared in comparison.heads}
    ops = {bundle: decision.chosen["op"] for bundle, decision in comparison.decisions.items()}
    heads = []
    for head in HEAD_DISPLAY_ORDER:
        choices = {}
        probs = {}
        for bundle, option in by_head[head].choices.items():
            decision = comparison.decisions[bundle]
            index = decision.action.to_head_indices()[head]
            probs[bundle] = _probs(decision, head, index)
            choices[bundle] = (option, probs[bundle][index])
        relevant = all(head in heads_read_by(op) for op in ops.values())
        other_choice: dict[str, float] = {}
        divergence = None
        if len(probs) == 2:
            (first, p), (second, q) = probs.items()
            indices = {b: comparison.decisions[b].action.to_head_indices()[head] for b in (first, second)}
            other_choice = {first: p[indices[second]], second: q[indices[first]]}
            valid = [v.allowed for v in verdicts[head]] if verdicts is not None else [True] * len(p)
            divergence = 0.5 * math.fsum(abs(a - b) for a, b, ok in zip(p, q, valid, strict=False) if ok)
        heads.append(ComparedHead(head, choices, by_head[head].agree, relevant, other_choice, divergence))
    return ComparisonView(
        epoch=comparison.epoch,
        active=active,
        bundles=tuple(comparison.decisions),
        heads=tuple(heads),
        values={bundle: decision.value for bundle, decision in comparison.decisions.items()},
    )


def _probs(decision: BundleDecision, head: str, chosen: int) -> tuple[float, ...]:
    """A head's probabilities; a bundle without numbers for it put all of its weight on its choice."""
    probs = decision.heads[head].probs
    if probs is not None:
        return probs
    size = len(decision.heads[head].raw_logits or ()) or chosen + 1
    return tuple(1.0 if i == chosen else 0.0 for i in range(size))
