"""What one screen shows: a ``Frame``, built from a live session (``live.py``), a recorded run
(``review.py``) or, before the policy has loaded, from the scenario's first observation alone.

Frames are immutable snapshots made wherever the data lives (live frames on the engine thread), so the
widgets only ever read plain data on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.rules.masks import MaskInputs, OptionVerdict, explain_masks
from tamiyo_tui.session.recording import summarize_observation
from tamiyo_tui.session.records import DecisionRecord, HeadRecord, ObservationSummary
from tamiyo_tui.sim.scenario import ActionEvent, NoteEvent, Scenario
from tamiyo_tui.sim.simulator import Simulator

# The op decides what the other heads mean, so it leads every per-head listing.
HEAD_DISPLAY_ORDER: tuple[str, ...] = ("op", *(head for head in HEAD_NAMES if head != "op"))
# Sparklines never show more epochs than this (the most recent ones).
HISTORY_POINTS = 120

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One bundle's numbers on the shown state, per head in the record's shape."""

    bundle: str
    heads: dict[str, HeadRecord]
    value: float | None
    hidden_norm: float | None = None
    reason: str | None = None  # the heuristic's reason text


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One decision carried out on the current branch."""

    step: int
    epoch: int
    action: str  # "GERMINATE r0c1 conv_light"
    source: str
    accepted: bool
    branch: int
    notes: tuple[str, ...] = ()
    future: bool = False  # after a step back: recorded but not yet re-taken


@dataclass(frozen=True, slots=True)
class BranchMarker:
    """Where an override forked the run: live, the replaced future is kept as the abandoned `branch`;
    in review, `branch` is the new branch that begins here."""

    fork_step: int
    branch: int
    abandoned_steps: int  # 0 in review mode: a recorded run holds only the branch that was kept


TimelineItem = TimelineRow | BranchMarker


@dataclass(frozen=True, slots=True)
class Frame:
    scenario: str
    episode_length: int
    position: int  # decisions taken before the shown state; in review, the shown record's index
    epoch: int
    observation: ObservationSummary
    verdicts: dict[str, tuple[OptionVerdict, ...]]
    decision: Decision | None  # None while the policy loads, or when it failed on this state
    bundle: str
    policy_id: str
    device: str
    deterministic: bool
    notes: tuple[str, ...] = ()
    accuracy: tuple[float, ...] = ()
    loss: tuple[float, ...] = ()
    timeline: tuple[TimelineItem, ...] = ()
    last: DecisionRecord | None = None  # live: the decision just carried out; review: the shown record
    scripted: str | None = None  # the scenario's action for this epoch, which replaces the policy's
    done: bool = False
    error: str | None = None  # why the policy has no decision on this state, as a sentence
    read_only: bool = False
    telemetry_features: bool = False  # the LSTM reads the telemetry feature blocks

    @property
    def loading(self) -> bool:
        return self.decision is None and self.error is None and not self.read_only


@dataclass(frozen=True, slots=True)
class ComparedHead:
    head: str
    choices: dict[str, tuple[str, float]]  # bundle -> (chosen option, its probability)
    agree: bool


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """Every loaded bundle's choice on the same state, head by head."""

    epoch: int
    active: str
    bundles: tuple[str, ...]
    heads: tuple[ComparedHead, ...]  # in HEAD_DISPLAY_ORDER
    values: dict[str, float | None]

    @property
    def disagreements(self) -> tuple[str, ...]:
        return tuple(compared.head for compared in self.heads if not compared.agree)


@dataclass(frozen=True, slots=True)
class Update:
    """A frame to show, plus what to tell the operator about how it came about."""

    frame: Frame
    notice: str | None = None
    severity: Severity = "information"


class Inspector(Protocol):
    """What both a live session and a recorded run offer the app."""

    read_only: bool

    def current(self) -> Update: ...

    def step(self) -> Update: ...

    def back(self) -> Update: ...

    def record(self, step: int) -> DecisionRecord: ...


def action_label(action: dict[str, str]) -> str:
    """The heads that matter for the op, e.g. ``GERMINATE r0c1 CONV_LIGHT`` or ``WAIT``."""
    op = action["op"]
    if op == LifecycleOp.WAIT.name:
        return op
    parts = [op, action["slot"]]
    if op == LifecycleOp.GERMINATE.name:
        parts.append(action["blueprint"])
    elif op == LifecycleOp.SET_ALPHA_TARGET.name:
        parts.append(action["alpha_target"])
    return " ".join(parts)


def scenario_notes(scenario: Scenario, epoch: int) -> tuple[str, ...]:
    return tuple(event.text for event in scenario.events_at(epoch) if isinstance(event, NoteEvent))


def scripted_label(scenario: Scenario, epoch: int) -> str | None:
    for event in scenario.events_at(epoch):
        if isinstance(event, ActionEvent):
            return action_label(event.action.to_factored(scenario.slot_config).option_names(scenario.slot_config))
    return None


def verdicts_from_heads(heads: dict[str, HeadRecord]) -> dict[str, tuple[OptionVerdict, ...]]:
    """A record's masks and reasons in the rule set's shape, so every panel reads one shape."""
    return {
        head: tuple(
            OptionVerdict(head, option, allowed, reason)
            for option, allowed, reason in zip(record.options, record.mask, record.reasons, strict=True)
        )
        for head, record in heads.items()
    }


def first_frame(scenario: Scenario, *, bundle: str, policy_id: str, device: str, deterministic: bool) -> Frame:
    """The scenario's first state from the pure simulator and rule set: shown before torch has loaded."""
    simulator = Simulator(scenario)
    observation = simulator.observe()
    explanation = explain_masks(
        MaskInputs.from_observation(observation, allow_governor_override=simulator.governor_override_active)
    )
    return Frame(
        scenario=scenario.name,
        episode_length=scenario.episode_length,
        position=0,
        epoch=simulator.epoch,
        observation=summarize_observation(observation),
        verdicts=explanation.heads,
        decision=None,
        bundle=bundle,
        policy_id=policy_id,
        device=device,
        deterministic=deterministic,
        notes=scenario_notes(scenario, simulator.epoch),
        accuracy=(observation.host.val_accuracy,),
        loss=(observation.host.val_loss,),
        scripted=scripted_label(scenario, simulator.epoch),
    )
