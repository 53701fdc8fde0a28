"""The top of the screen: what is being inspected and how, plus the outcome of the latest decision."""

from __future__ import annotations

from rich.text import Text

from tamiyo_tui.session.records import FIRST_GENERATION
from tamiyo_tui.session.view import Frame, action_label
from tamiyo_tui.tui.visuals import ACCEPTED, ERROR_STYLE, NOTE, OFF_SCRIPT, REJECTED, REJECTED_STYLE, SWITCH
from tamiyo_tui.tui.widgets.text_line import TextLine


def status_text(frame: Frame, *, running: bool) -> Text:
    """Run state, epoch, bundle, device, sampling mode, scenario: the most needed first, so a narrow
    terminal cuts only the scenario's name."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if frame.read_only:
        text.append("review (read-only)", style="bold magenta")
        if running:
            text.append(" ▶ playing", style="bold green")
    elif frame.done:
        text.append("■ done", style="bold")
    elif running:
        text.append("▶ running", style="bold green")
        text.append(" (stops at ✗)", style="green")
    else:
        text.append("⏸ paused", style="yellow")
    if frame.done and frame.final:
        text.append(f" · final state after epoch {frame.epoch}/{frame.episode_length} · ")
    else:
        text.append(f" · epoch {frame.epoch}/{frame.episode_length} · ")
    if frame.loading:
        text.append(f"{frame.policy_id} (loading…)", style="italic yellow")
    elif frame.read_only:
        text.append_text(bundle_label(frame, frame.bundle))
    else:
        # The acting bundle, then the one ``p`` switches to: the partner is named, untrained or not.
        text.append_text(bundle_label(frame, frame.bundle))
        partner = "heuristic" if frame.bundle == "lstm" else "lstm"
        text.append(f" {SWITCH} ", style="dim").append_text(bundle_label(frame, partner, style="dim"))
    text.append(f" · {frame.device}")
    if frame.generation != FIRST_GENERATION:  # the first generation is the default and goes unsaid
        text.append(f" · {frame.generation}", style="bold magenta")
    text.append(" · deterministic" if frame.deterministic else " · sample")
    text.append(" · ")
    text.append(frame.scenario, style="bold")
    return text


def bundle_label(frame: Frame, bundle: str, *, style: str = "bold cyan") -> Text:
    """``heuristic``, ``lstm (policies/lstm-bc.yaml)`` or ``lstm (untrained)``: which network the LSTM is."""
    text = Text(bundle, style=style)
    if bundle == "lstm":
        if frame.telemetry_features:
            text.append(" +telemetry", style="cyan" if style == "bold cyan" else style)
        if not frame.lstm_trained:
            text.append(" (untrained)", style="bold yellow" if style == "bold cyan" else style)
        elif frame.policy_id != bundle:
            text.append(f" ({frame.policy_id})", style="dim")
    return text


def note_text(frame: Frame) -> Text:
    """The scenario's narration for this epoch (lessons talk here), and any scripted action; first, when the
    run has left the lesson's script, a mark that says so (the narration was written for the script)."""
    text = Text()
    if frame.off_script:
        text.append(f"{OFF_SCRIPT} off script: {frame.off_script}", style=REJECTED_STYLE)
        text.append(" — the note is the lesson's, not this run's " if frame.notes else " ", style="italic")
    if frame.scripted:
        text.append(f"scripted this epoch: {frame.scripted} (replaces the policy's choice) ", style="bold")
    if frame.notes:
        text.append(f"{NOTE} " + " · ".join(frame.notes), style="italic")
    return text


def outcome_text(frame: Frame) -> Text:
    """The decision carried out last (live) or the shown record (review), and what the lifecycle said."""
    text = Text()
    if frame.error is not None:
        text.append(f"⚠ {frame.error}", style=ERROR_STYLE)
        return text
    record = frame.last
    if record is None:
        text.append("no decision yet — n steps, o overrides, ? lists every key", style="dim")
        return text
    text.append("this decision: " if frame.read_only else "last: ", style="dim")
    who = record.bundle if record.source == "policy" else record.source
    text.append(f"epoch {record.epoch} · {who} {action_label(record.action)} ")
    if record.outcome.accepted:
        text.append(f"{ACCEPTED} ", style="green")
        text.append(record.outcome.reason)
    else:
        text.append(f"{REJECTED} rejected: {record.outcome.reason}", style=REJECTED_STYLE)
    return text


class StatusHeader(TextLine):
    def show(self, frame: Frame, *, running: bool) -> None:
        self.set_text(status_text(frame, running=running))


class NoteLine(TextLine):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(mark_cut=True, **kwargs)

    def show(self, frame: Frame) -> None:
        self.set_text(note_text(frame))


class OutcomeLine(TextLine):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(mark_cut=True, **kwargs)

    def show(self, frame: Frame) -> None:
        self.set_text(outcome_text(frame))
