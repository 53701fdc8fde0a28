"""What one screen shows, as immutable records: a ``Frame`` and what comes with it, and what an inspector offers.

``tamiyo_tui.session.frames.build_frame`` builds every Frame, wherever the data lives (a live session's
frames on the TUI's engine thread), so a view only ever reads plain data. Everything a view needs to
read comes from the session: the rule set's per-option verdict (``OptionVerdict``) is named here for it.
Pure: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tamiyo_tui.domain.actions import HEAD_NAMES, HEADS_USED_BY_OP, FactoredAction, LifecycleOp
from tamiyo_tui.rules.masks import OptionVerdict
from tamiyo_tui.session.records import FIRST_GENERATION, CriticRecord, DecisionRecord, HeadRecord, ObservationSummary

__all__ = [
    "HEAD_DISPLAY_ORDER",
    "HISTORY_POINTS",
    "OPERATION_ERRORS",
    "REJECTED",
    "BranchMarker",
    "BranchView",
    "ComparedHead",
    "ComparisonView",
    "Decision",
    "Exported",
    "Frame",
    "Inspector",
    "JumpKind",
    "LiveControls",
    "NothingToExport",
    "OptionVerdict",
    "Severity",
    "TimelineItem",
    "TimelineRow",
    "Update",
    "action_label",
    "heads_read_by",
]

# The op decides what the other heads mean, so it leads every per-head listing.
HEAD_DISPLAY_ORDER: tuple[str, ...] = ("op", *(head for head in HEAD_NAMES if head != "op"))
# Sparklines never show more epochs than this (the most recent ones).
HISTORY_POINTS = 120
# The mark of a rejected action, in the notices written here and in every panel that draws one.
REJECTED = "✗"

# What can go wrong in a policy call without being a bug: bad input found late (a checkpoint, a device:
# InputError is a ValueError), NaN/inf logits or an impossible sampled action (ValueError /
# InvalidStateMachineError, a RuntimeError), a failed file write (OSError).
OPERATION_ERRORS: tuple[type[Exception], ...] = (ValueError, RuntimeError, OSError)

Severity = Literal["information", "warning", "error"]
# What the jump keys look for (``tamiyo_tui.session.jumps``).
JumpKind = Literal["rejected", "disagreement", "uncertain", "unlikely"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One bundle's numbers on the shown state, per head in the record's shape."""

    bundle: str
    heads: dict[str, HeadRecord]
    value: float | None
    hidden_norm: float | None = None
    reason: str | None = None  # the heuristic's reason text
    critic: CriticRecord | None = None  # a 2016337e network's V/Q/contribution heads and pre-floor probabilities

    @property
    def op(self) -> str:
        return self.heads["op"].chosen

    def reads(self, head: str) -> bool:
        """Whether the chosen op reads ``head``: the others are carried along but change nothing."""
        return head in heads_read_by(self.op)


@dataclass(frozen=True, slots=True)
class CriticView:
    """The critic of one decision as the inspector shows it: Q over the valid ops, best first."""

    value: float | None
    valid_q: tuple[tuple[str, float], ...]
    contributions: dict[str, float]

    @property
    def margin(self) -> float | None:
        """How far the best valid op's Q is above the second's; None with fewer than two valid ops."""
        return self.valid_q[0][1] - self.valid_q[1][1] if len(self.valid_q) > 1 else None


def critic_view(decision: Decision) -> CriticView | None:
    if decision.critic is None:
        return None
    op = decision.heads["op"]
    return CriticView(
        decision.value, tuple(decision.critic.valid_q(op.mask, op.options)), decision.critic.contributions
    )


def heads_read_by(op: str) -> tuple[str, ...]:
    """The heads an op reads (``op`` itself included): WAIT reads none of the others."""
    return HEADS_USED_BY_OP[op]


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
    bundle: str = ""  # the bundle that was active (for a policy row: the one that chose)
    number: int | None = None  # the step to show when ``step`` is not it (review: ``step`` is a file index)


@dataclass(frozen=True, slots=True)
class BranchMarker:
    """Where the run forked: ``abandoned_steps`` > 0, the abandoned ``branch`` (its steps) leaves here; 0, the
    ``branch`` an override started begins here. Live and in review alike."""

    fork_step: int
    branch: int
    abandoned_steps: int


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
    lstm_trained: bool = True  # False: the LSTM bundle is an untrained network (no checkpoint)
    off_script: str | None = None  # why the run has left the lesson's script (its notes may not fit)
    final: bool = False  # done: ``observation`` is the state after the last decision, not before it
    generation: str = FIRST_GENERATION  # the policy generation whose rules and network the run uses

    @property
    def loading(self) -> bool:
        return self.decision is None and self.error is None and not self.read_only


@dataclass(frozen=True, slots=True)
class ComparedHead:
    head: str
    choices: dict[str, tuple[str, float]]  # bundle -> (chosen option, its probability)
    agree: bool
    # Read by every bundle's chosen op (``op`` always is): only then does a difference on it count.
    relevant: bool = True
    # bundle -> its probability of the option the *other* bundle chose (two bundles compared)
    other_choice: dict[str, float] = field(default_factory=dict)
    # Total variation between the bundles' distributions over the valid options (½ Σ |p − q|), 0 = same.
    divergence: float | None = None


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """Every loaded bundle's choice on the same state, head by head."""

    epoch: int
    active: str
    bundles: tuple[str, ...]
    heads: tuple[ComparedHead, ...]  # in HEAD_DISPLAY_ORDER
    values: dict[str, float | None]
    lstm_trained: bool = True

    @property
    def disagreements(self) -> tuple[str, ...]:
        """The heads that differ and matter: a head one op does not read is left out."""
        return tuple(compared.head for compared in self.heads if not compared.agree and compared.relevant)

    @property
    def relevant(self) -> tuple[str, ...]:
        return tuple(compared.head for compared in self.heads if compared.relevant)


@dataclass(frozen=True, slots=True)
class BranchView:
    """One branch for the branch list: the current one (``fork_step`` None) or an abandoned one."""

    branch: int
    fork_step: int | None  # where it left the current branch
    steps: int  # decisions on its path, from the first
    current: bool = False


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path  # where it was written (never over an earlier file)
    decisions: int  # on the current branch
    abandoned_decisions: int
    abandoned_branches: int

    def notice(self) -> str:
        text = f"Exported {self.decisions} decisions to {self.path}"
        if self.abandoned_branches:
            text += f" with {self.abandoned_branches} abandoned branch(es), {self.abandoned_decisions} decisions"
        return text


class NothingToExport(ValueError):
    """No decision taken yet: a file of a header alone is one review refuses, so none is written."""


@dataclass(frozen=True, slots=True)
class Update:
    """A frame to show, plus what to tell the operator about how it came about."""

    frame: Frame
    notice: str | None = None
    severity: Severity = "information"


class Inspector(Protocol):
    """What both a live session and a recorded run offer a view."""

    read_only: bool

    def current(self) -> Update: ...

    def step(self) -> Update: ...

    def back(self) -> Update: ...

    def record(self, step: int) -> DecisionRecord: ...

    def jump(self, kind: JumpKind, direction: int) -> Update: ...


class LiveControls(Inspector, Protocol):
    """What only a live session offers on top: every call may run the policy, so a view makes it off its
    event loop (the TUI: on its engine thread)."""

    def override(self, action: FactoredAction) -> Update: ...

    def switch_bundle(self) -> Update: ...

    def toggle_sampling(self) -> Update: ...

    def compare(self) -> ComparisonView: ...

    def export(self, path: Path) -> Exported: ...

    @property
    def unsaved(self) -> bool: ...

    def switch_branch(self, branch: int) -> Update: ...

    def branch_list(self) -> tuple[BranchView, ...]: ...


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
