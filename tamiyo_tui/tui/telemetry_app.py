"""``tamiyo-tui review TELEMETRY``: the decisions esper-lite recorded while training, in the inspector's panels.

The panels are the inspector's (slots, heads, host → reward, timeline, why → what telemetry leaves out), fed
a ``TelemetryFrame``; what the telemetry does not record is said to be so, never filled in. The index is
built on a worker thread once the first frame is up; the status line shows its progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tamiyo_tui.session.telemetry_records import NOT_RECORDED
from tamiyo_tui.session.telemetry_review import TELEMETRY_JUMP_LABELS, TelemetryFrame, TelemetryReview, TelemetryUpdate
from tamiyo_tui.tui.notices import OneNoticeApp

PANELS = ("slot-states", "heads", "host", "timeline", "why")
TITLES = {"slot-states": "slots", "host": "reward", "why": "not recorded"}


class TelemetryApp(OneNoticeApp):
    CSS_PATH = "styles.tcss"
    # The inspector's slot panel is a grid of cards without a border of its own; here it is one text panel.
    CSS = "#slot-states { height: auto; padding: 0 1; }"
    TITLE = "tamiyo-tui review"
    BINDINGS: ClassVar = [
        Binding("n,right", "step", "Step"),
        Binding("b,left", "back", "Back"),
        Binding("pagedown", "episode(1)", "Episode+", key_display="PgDn"),
        Binding("pageup", "episode(-1)", "Episode−", key_display="PgUp"),
        Binding("E", "other_env", "Env"),
        Binding("right_square_bracket", "jump(1)", "Jump", key_display="]"),
        Binding("left_square_bracket", "jump(-1)", "Jump back", key_display="["),
        Binding("f", "cycle_jump", "Jump to"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, review: TelemetryReview) -> None:
        super().__init__()
        self.review = review
        self.frame = review.frame()

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="note")
        yield Static(id="outcome")
        with Grid(id="main"):
            for panel in PANELS:
                yield Static(id=panel)
        yield Footer()

    def on_mount(self) -> None:
        for panel in PANELS:
            self.query_one(f"#{panel}").border_title = TITLES.get(panel, panel)
        self._show(self.frame)
        self._progress = self.set_interval(0.25, self._show_progress)
        # Indexing starts once the first frame is painted: on a busy machine its thread would delay that paint.
        self.call_after_refresh(self._start_indexing)

    def _start_indexing(self) -> None:
        self.run_worker(self.review.build_index, thread=True, exit_on_error=False, name="index")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "index":
            return
        if event.state == WorkerState.SUCCESS:
            self._progress.stop()
            update = self.review.current()
            malformed = update.frame.malformed
            if malformed:
                self.notify(f"{len(malformed)} malformed line(s) skipped: {_lines(malformed)}", severity="warning")
            if self.review.start_problem:
                self.notify(self.review.start_problem, severity="warning")
            self._apply(update)
        elif event.state == WorkerState.ERROR:
            self._progress.stop()
            self.notify(f"The index could not be built: {event.worker.error}", severity="error")

    def _show_progress(self) -> None:
        self.query_one("#status", Static).update(_status(self.review.frame()))

    # --- actions -------------------------------------------------------------------------------------

    def action_step(self) -> None:
        self._apply(self.review.step())

    def action_back(self) -> None:
        self._apply(self.review.back())

    def action_episode(self, direction: int) -> None:
        self._apply(self.review.episode(direction))

    def action_other_env(self) -> None:
        self._apply(self.review.other_env())

    def action_jump(self, direction: int) -> None:
        self._apply(self.review.jump(direction))

    def action_cycle_jump(self) -> None:
        self._apply(self.review.cycle_jump())

    def _apply(self, update: TelemetryUpdate) -> None:
        self._show(update.frame)
        if update.notice:
            self.notify(update.notice, severity=update.severity)

    # --- rendering -----------------------------------------------------------------------------------

    def _show(self, frame: TelemetryFrame) -> None:
        self.frame = frame
        decision = frame.decision
        self.query_one("#status", Static).update(_status(frame))
        self.query_one("#note", Static).update(
            Text(f"{Path(frame.file).name}:{decision.line} · recorded by esper-lite's trainer ({decision.timestamp})")
        )
        mark = "?" if decision.success is None else ("✓" if decision.success else "✗")
        self.query_one("#outcome", Static).update(Text(f"{mark} {decision.label}", style="bold"))
        self.query_one("#slot-states", Static).update(_slots(frame))
        self.query_one("#heads", Static).update(_heads(frame))
        self.query_one("#host", Static).update(_reward(frame))
        timeline = self.query_one("#timeline", Static)
        timeline.update(_timeline(frame, timeline.content_region.height or 20))
        self.query_one("#why", Static).update(_not_recorded(frame))


def _lines(numbers: tuple[int, ...], shown: int = 8) -> str:
    listed = ", ".join(map(str, numbers[:shown]))
    return listed + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def _status(frame: TelemetryFrame) -> Text:
    d = frame.decision
    parts = ["review", f"esper-lite telemetry · {frame.generation}", f"env {d.env}"]
    parts.append(f"episode {d.episode}" + (f" ({frame.episode_number}/{frame.episodes})" if frame.episodes else ""))
    parts.append(f"epoch {d.epoch}")
    if frame.total is not None and frame.position is not None:
        parts.append(f"decision {frame.position + 1:,}/{frame.total:,}")
    parts.append(frame.indexing or f"]/[: {frame.jump}")
    return Text(" · ".join(parts))


def _slots(frame: TelemetryFrame) -> Table:
    table = Table.grid(padding=(0, 2))
    for slot, state in frame.decision.slot_states.items():
        table.add_row(Text(slot, style="bold" if slot == frame.decision.slot else ""), state)
    if not frame.decision.slot_states:
        table.add_row("slot states: not recorded")
    return table


def _heads(frame: TelemetryFrame) -> Table:
    d = frame.decision
    table = Table(box=None, pad_edge=False, padding=(0, 1))
    for column in ("head", "chosen", "p", "Hₙ", ""):
        table.add_column(column, justify="right" if column in ("p", "Hₙ") else "left")
    for head in d.heads:
        chosen = head.chosen if head.chosen is not None else Text("—", style="dim")
        forced = "forced" if head.forced else ""
        table.add_row(head.head, chosen, _num(head.confidence, ".2f"), _num(head.entropy, ".2f"), forced)
    table.add_row("", "", "", "", "")
    table.add_row("value", _num(d.value, "+.3f"), "", "", "")
    table.add_row("op entropy", f"{_num(d.decision_entropy, '.3f')} nats (raw)", "", "", "")
    alternatives = ", ".join(f"{name} {p:.2f}" for name, p in d.alternatives) or "not recorded"
    table.add_row("alternatives", alternatives, "", "", "")
    return table


def _reward(frame: TelemetryFrame) -> Table:
    d = frame.decision
    table = Table.grid(padding=(0, 2))
    table.add_row(Text("total", style="bold"), _num(d.reward, "+.4f"))
    numbers = [(k, v) for k, v in d.reward_components.items() if isinstance(v, int | float) and v]
    for name, value in sorted(numbers, key=lambda item: -abs(float(item[1])))[:8]:
        table.add_row(name, f"{float(value):+.4f}")
    if not numbers:
        table.add_row(Text("every component 0 or not recorded", style="dim"), "")
    return table


def _timeline(frame: TelemetryFrame, height: int) -> Text:
    """The episode's decisions and events, scrolled so that the shown decision is in view."""
    lines: list[Text] = []
    here = 0
    for entry in frame.timeline:
        if entry.idx is None:
            lines.append(Text(f"      {entry.text}", style="dim"))
            continue
        current = entry.idx == frame.position or (frame.position is None and entry.epoch == frame.decision.epoch)
        here = len(lines) if current else here
        mark, rejected = "▶" if current else " ", "✗ " if entry.rejected else ""
        lines.append(Text(f"{mark} e{entry.epoch:<3} {rejected}{entry.text}", style="bold" if current else ""))
    start = max(0, min(here - height // 3, len(lines) - height))
    return Text("\n").join(lines[start : start + height])


def _not_recorded(frame: TelemetryFrame) -> Text:
    text = Text(
        f"Telemetry records the chosen options, their confidence and entropy; {', '.join(NOT_RECORDED)} "
        "are not recorded, so no mask reasons or logits are shown. "
        f"]/[ jump to the next/previous {TELEMETRY_JUMP_LABELS[frame.jump]} (f changes it)."
    )
    if frame.malformed:
        text.append(f"\n{len(frame.malformed)} malformed line(s) skipped: {_lines(frame.malformed)}", style="yellow")
    return text


def _num(value: float | None, spec: str) -> Text | str:
    return Text("not recorded", style="dim") if value is None else format(value, spec)
