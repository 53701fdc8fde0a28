"""The one Frame builder. A frame shows either a state still to be decided (``PendingState``: the preview
before the policy has loaded, a live session's current state) or a decision already carried out (a
``DecisionRecord``: the last one of a finished live run, or a recorded run's in review); the rest is what
the run is and where it stands. Pure: no torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.rules.masks import MaskExplanation
from tamiyo_tui.session.recording import (
    critic_record,
    head_records,
    scenario_notes,
    scripted_action,
    summarize_observation,
)
from tamiyo_tui.session.records import DecisionRecord, HeadRecord, HostSummary, ObservationSummary, RunHeader
from tamiyo_tui.session.view import HISTORY_POINTS, Decision, Frame, OptionVerdict, TimelineItem, action_label
from tamiyo_tui.sim.scenario import Scenario

if TYPE_CHECKING:  # decide.py imports torch; a frame is built from its numbers without it
    from tamiyo_tui.session.decide import BundleDecision


@dataclass(frozen=True, slots=True)
class PendingState:
    """A state whose decision is still to be carried out: what the rules, the policy and the scenario say."""

    epoch: int
    observation: ObservationSummary
    verdicts: dict[str, tuple[OptionVerdict, ...]]
    decision: Decision | None  # None while the policy loads, or when it failed on this state
    error: str | None
    notes: tuple[str, ...]
    scripted: str | None  # the scenario's action for this epoch, as a label


def pending_state(
    scenario: Scenario,
    epoch: int,
    observation: Observation,
    explanation: MaskExplanation,
    decision: BundleDecision | None = None,
    error: str | None = None,
) -> PendingState:
    script = scripted_action(scenario, epoch)
    return PendingState(
        epoch=epoch,
        observation=summarize_observation(observation),
        verdicts=explanation.heads,
        decision=None if decision is None else decision_view(decision, explanation),
        error=error,
        notes=scenario_notes(scenario, epoch),
        scripted=None
        if script is None
        else action_label(script.to_factored(scenario.slot_config).option_names(scenario.slot_config)),
    )


def decision_view(decision: BundleDecision, explanation: MaskExplanation) -> Decision:
    """A pending decision in the record's per-head shape (masks and reasons from the rule set)."""
    heads = head_records(explanation, decision)
    critic = critic_record(explanation, decision)
    return Decision(decision.bundle, heads, decision.value, decision.hidden_norm, decision.reason, critic)


def verdicts_from_heads(heads: dict[str, HeadRecord]) -> dict[str, tuple[OptionVerdict, ...]]:
    """A record's masks and reasons in the rule set's shape, so every panel reads one shape."""
    return {
        head: tuple(
            OptionVerdict(head, option, allowed, reason)
            for option, allowed, reason in zip(record.options, record.mask, record.reasons, strict=True)
        )
        for head, record in heads.items()
    }


def build_frame(
    header: RunHeader,
    shown: PendingState | DecisionRecord,
    *,
    position: int,
    bundle: str,
    deterministic: bool,
    earlier: Iterable[HostSummary] = (),
    timeline: tuple[TimelineItem, ...] = (),
    last: DecisionRecord | None = None,
    done: bool = False,
    read_only: bool = False,
    final: ObservationSummary | None = None,
    off_script: str | None = None,
) -> Frame:
    """What one screen shows. ``earlier``: the host of each state before the shown one, oldest first (the
    sparklines show the last ``HISTORY_POINTS`` of them, the shown state's included). ``final``: at the end,
    the state after the last decision, which the slots then show (the heads still show that decision)."""
    if isinstance(shown, DecisionRecord):
        state = PendingState(
            epoch=shown.epoch,
            observation=shown.observation,
            verdicts=verdicts_from_heads(shown.heads),
            decision=Decision(
                shown.bundle, shown.heads, shown.value, shown.hidden_norm, shown.heuristic_reason, shown.critic
            ),
            error=None,
            notes=shown.notes,
            scripted=None,  # carried out already: the record says what was done and by whom
        )
    else:
        state = shown
    hosts = (*earlier, state.observation.host)[-HISTORY_POINTS:]
    return Frame(
        scenario=header.scenario_name,
        episode_length=header.episode_length,
        position=position,
        epoch=state.epoch,
        observation=state.observation if final is None else final,
        verdicts=state.verdicts,
        decision=state.decision,
        bundle=bundle,
        policy_id=header.policy_id,
        device=header.device,
        deterministic=deterministic,
        notes=state.notes,
        accuracy=tuple(host.val_accuracy for host in hosts),
        loss=tuple(host.val_loss for host in hosts),
        timeline=timeline,
        last=last,
        scripted=state.scripted,
        done=done,
        error=state.error,
        read_only=read_only,
        telemetry_features=header.telemetry_features,
        lstm_trained=header.checkpoint_sha256 is not None,
        off_script=off_script,
        final=final is not None,
        generation=header.generation,
    )
