"""The timeline: every decision of the current branch (op, slot, source, ✓/✗, notes) with branch markers.
↑/↓ (k/j) move the cursor, enter (or a click) opens that decision's full record.

It draws only the rows that fit its fixed height, so a step repaints this panel alone: a scrolling list
would change its virtual size on every step and make Textual lay out the whole screen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from tamiyo_tui.session.view import BranchMarker, Frame
from tamiyo_tui.tui.visuals import BRANCH, NOTE, SWITCH, verdict_text

CURSOR_STYLE = "reverse"
# What ]/[ jump to, in the timeline's title (the kinds of tamiyo_tui.session.jumps).
JUMP_SHORT: dict[str, str] = {"rejected": "✗", "disagreement": "≠", "uncertain": "high Hₙ", "unlikely": "low p"}


@dataclass(frozen=True, slots=True)
class Row:
    text: Text
    step: int | None = None  # None: a marker, not a decision (the cursor skips it)


def source_label(source: str, bundle: str) -> str:
    """Who chose: the bundle for a policy decision (``lstm``, ``heuristic``), else ``override`` / ``script``."""
    return bundle if source == "policy" and bundle else source


def row_text(
    row_step: int, epoch: int, accepted: bool, action: str, source: str, notes: tuple[str, ...], bundle: str = ""
) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{row_step:>3} e{epoch:<3} ", style="dim")
    text.append_text(verdict_text(accepted))
    text.append(f" {action} ")
    text.append(source_label(source, bundle), style="bold magenta" if source == "override" else "dim")
    if notes:
        text.append(f" {NOTE} " + " · ".join(notes), style="italic")
    return text


def marker_text(marker: BranchMarker) -> Text:
    if marker.abandoned_steps:
        words = f"branch {marker.branch} abandoned at step {marker.fork_step} ({marker.abandoned_steps} steps)"
    else:
        words = f"branch {marker.branch} begins at step {marker.fork_step}"
    return Text(f"  {BRANCH} {words}", style="yellow")


def timeline_rows(frame: Frame) -> tuple[list[Row], int | None]:
    """The rows to show and the one the cursor starts on: the shown record (review) or the last decision
    taken (live). Live, a "now" marker sits where the next decision goes."""
    rows: list[Row] = []
    cursor = None
    here = "done" if frame.done else f"now · epoch {frame.epoch} · {frame.bundle} acts"
    now = Row(Text(f"  ── {here} ──", style="bold cyan"))
    acting = ""  # the bundle active on the row above: a change is a switch point
    for item in frame.timeline:
        if isinstance(item, BranchMarker):
            rows.append(Row(marker_text(item)))
            continue
        if not frame.read_only and item.step == frame.position:
            rows.append(now)
        if acting and item.bundle and item.bundle != acting:
            rows.append(Row(Text(f"  {SWITCH} switched to {item.bundle}", style="cyan")))
        acting = item.bundle or acting
        number = item.step if item.number is None else item.number
        text = row_text(number, item.epoch, item.accepted, item.action, item.source, item.notes, item.bundle)
        current = frame.read_only and item.step == frame.position
        text = Text("▸" if current else " ", style="bold").append_text(text)
        if item.future:
            text.stylize("dim")
        if current or (not frame.read_only and item.step == frame.position - 1):
            cursor = len(rows)
        rows.append(Row(text, item.step))
    if not frame.read_only and now not in rows:
        rows.append(now)
    return rows, cursor


class Timeline(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Next decision", show=False),
        Binding("up,k", "move(-1)", "Previous decision", show=False),
        Binding("home", "move(-1_000_000)", "First decision", show=False),
        Binding("end", "move(1_000_000)", "Last decision", show=False),
        Binding("enter", "open", "Open record", show=False),
    ]

    class Moved(Message):
        """The cursor moved to another decision (a review shows it)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Opened(Message):
        """A decision was picked: show its record."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._rows: list[Row] = []
        self._cursor: int | None = None
        self._anchor: int | None = None  # the row kept in view (the "now" marker or the cursor)
        self._top = 0
        self._shown: object = None

    def show(self, frame: Frame) -> None:
        key = (frame.timeline, frame.position, frame.done, frame.epoch, frame.bundle)
        if key == self._shown:
            return
        self._shown = key
        self._rows, self._cursor = timeline_rows(frame)
        self._reveal(len(self._rows) - 1 if self._rows and self._rows[-1].step is None else self._cursor)

    def show_jump_kind(self, kind: str) -> None:
        self.border_title = f"timeline · ]/[ jump to {JUMP_SHORT[kind]}"

    @property
    def cursor_step(self) -> int | None:
        return None if self._cursor is None else self._rows[self._cursor].step

    def action_move(self, delta: int) -> None:
        selectable = [i for i, row in enumerate(self._rows) if row.step is not None]
        if not selectable:
            return
        if self._cursor is None:
            target = selectable[-1 if delta < 0 else 0]
        else:
            here = selectable.index(self._cursor)
            target = selectable[min(max(here + delta, 0), len(selectable) - 1)]
        self._cursor = target
        self._reveal(target)
        step = self._rows[target].step
        assert step is not None
        self.post_message(self.Moved(step))

    def action_open(self) -> None:
        if self.cursor_step is not None:
            self.post_message(self.Opened(self.cursor_step))

    def on_click(self, event: events.Click) -> None:
        index = self._top + event.y
        if 0 <= index < len(self._rows) and self._rows[index].step is not None:
            self._cursor = index
            self.refresh()
            self.action_open()

    def on_resize(self) -> None:
        self._reveal(self._anchor)

    def render(self) -> RenderResult:
        lines = []
        for index in range(self._top, min(self._top + self._height, len(self._rows))):
            text = self._rows[index].text
            if index == self._cursor and self.has_focus:
                text = text.copy()
                text.stylize(CURSOR_STYLE)
            lines.append(text)
        return Text("\n").join(lines)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    @property
    def _height(self) -> int:
        return max(self.content_size.height, 1)

    def _reveal(self, index: int | None) -> None:
        """Scroll (by moving the first shown row) just enough for row ``index`` to be on screen, repaint."""
        self._anchor = index
        height = self._height
        if index is not None:
            if index < self._top:
                self._top = index
            elif index >= self._top + height:
                self._top = index - height + 1
        self._top = max(0, min(self._top, max(len(self._rows) - height, 0)))
        last = min(self._top + height, len(self._rows))
        self.border_subtitle = f"{self._top + 1}–{last} of {len(self._rows)}" if len(self._rows) > height else ""
        self.refresh()
