"""The run feedback of esper-lite 2016337e's trainer (``RunFeedback``), kept as its trainer keeps it.

After each action: the action's verdict and op; for every slot that held a seed when the epoch was
observed, its gradient-health reading (when it has telemetry) and one more epoch since its counterfactual
(or 0 the first time the slot is tracked). A counterfactual measured in validation sets the slot back to 0;
a slot that is empty after the action is forgotten, so a new seed there starts unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.observation import RunFeedback, SlotReport

_V = TypeVar("_V")


@dataclass
class FeedbackTracker:
    last_action_success: bool = True
    last_action_op: int = int(LifecycleOp.WAIT)
    gradient_health_prev: dict[str, float] = field(default_factory=dict)
    epochs_since_counterfactual: dict[str, int] = field(default_factory=dict)

    def counterfactual_measured(self, slot_id: str) -> None:
        self.epochs_since_counterfactual[slot_id] = 0

    def after_action(
        self,
        observed: Mapping[str, SlotReport | None],
        op: LifecycleOp,
        accepted: bool,
        empty_now: Iterable[str],
    ) -> None:
        self.last_action_success, self.last_action_op = accepted, int(op)
        for slot_id, report in observed.items():
            if report is None:
                continue
            if report.telemetry is not None:
                self.gradient_health_prev[slot_id] = report.telemetry.gradient_health
            since = self.epochs_since_counterfactual.get(slot_id)
            self.epochs_since_counterfactual[slot_id] = 0 if since is None else since + 1
        for slot_id in empty_now:
            self.gradient_health_prev.pop(slot_id, None)
            self.epochs_since_counterfactual.pop(slot_id, None)

    def record(self, slot_ids: tuple[str, ...]) -> RunFeedback:
        return RunFeedback(
            last_action_success=self.last_action_success,
            last_action_op=self.last_action_op,
            gradient_health_prev=_in_slot_order(self.gradient_health_prev, slot_ids),
            epochs_since_counterfactual=_in_slot_order(self.epochs_since_counterfactual, slot_ids),
        )


def _in_slot_order(values: Mapping[str, _V], slot_ids: tuple[str, ...]) -> tuple[tuple[str, _V], ...]:
    return tuple((slot_id, values[slot_id]) for slot_id in slot_ids if slot_id in values)
