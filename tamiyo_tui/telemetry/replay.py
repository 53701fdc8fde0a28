"""Replay a written scenario with the simulator and hold it to the telemetry it came from, epoch by epoch.

This is the faithfulness measure of `scenario-from`: before each epoch's action, the stage of every slot
against the recorded ``slot_states``; after it, accepted or rejected against ``action_success``. The
scripted ``action:`` events are what the replay carries out, as the session would whatever policy runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from tamiyo_tui.domain.actions import FactoredAction, LifecycleOp
from tamiyo_tui.sim.scenario import ActionEvent, ActionSpec, Scenario
from tamiyo_tui.sim.simulator import Simulator
from tamiyo_tui.telemetry.episode import EMPTY, RecordedEpisode


@dataclass(frozen=True, slots=True)
class EpochReplay:
    epoch: int
    recorded: dict[str, str]  # slot → stage before the action, as recorded
    replayed: dict[str, str]  # slot → stage before the action, in the simulator
    op: str
    slot: str | None
    recorded_success: bool
    replayed_success: bool
    message: str  # the simulator's account of the action (a rejection names the failed check)

    @property
    def stages_match(self) -> bool:
        return self.recorded == self.replayed

    @property
    def outcome_matches(self) -> bool:
        return self.recorded_success == self.replayed_success

    def differences(self) -> list[str]:
        lines = [
            f"epoch {self.epoch}: {slot} is {self.replayed.get(slot)} in the replay, recorded {stage}"
            for slot, stage in self.recorded.items()
            if self.replayed.get(slot) != stage
        ]
        if not self.outcome_matches:
            verdict = "accepts" if self.replayed_success else "rejects"
            recorded = "accepted" if self.recorded_success else "rejected"
            what = f"{self.op} {self.slot}" if self.slot else self.op
            lines.append(f"epoch {self.epoch}: the replay {verdict} {what} ({self.message}), recorded {recorded}")
        return lines


def _scripted(scenario: Scenario, epoch: int) -> FactoredAction | None:
    for event in scenario.events_at(epoch):
        if isinstance(event, ActionEvent):
            return event.action.to_factored(scenario.slot_config)
    return None


def replay(scenario: Scenario, episode: RecordedEpisode) -> tuple[EpochReplay, ...]:
    """One entry per recorded decision; epochs past the scenario's end are not replayed."""
    sim = Simulator(scenario)
    wait = ActionSpec(LifecycleOp.WAIT).to_factored(scenario.slot_config)
    out: list[EpochReplay] = []
    for decision in episode.decisions:
        if sim.done:
            break
        observation = sim.observe()
        replayed = {slot: EMPTY if report is None else report.stage.name for slot, report in observation.slots.items()}
        outcome = sim.apply(_scripted(scenario, sim.epoch) or wait)
        out.append(
            EpochReplay(
                epoch=decision.epoch,
                recorded=dict(decision.stages),
                replayed=replayed,
                op=decision.op,
                slot=decision.slot,
                recorded_success=decision.success,
                replayed_success=outcome.accepted,
                message=outcome.reason,
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Faithfulness:
    epochs: int
    stages_matched: int  # epochs whose every slot's stage is as recorded
    outcomes_matched: int  # actions accepted or rejected as recorded

    def line(self) -> str:
        return (
            f"stages as recorded in {self.stages_matched} of {self.epochs} epochs; "
            f"actions accepted/rejected as recorded in {self.outcomes_matched} of {self.epochs}"
        )


def faithfulness(epochs: tuple[EpochReplay, ...]) -> Faithfulness:
    return Faithfulness(len(epochs), sum(e.stages_match for e in epochs), sum(e.outcome_matches for e in epochs))
