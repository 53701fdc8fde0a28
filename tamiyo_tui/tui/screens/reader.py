"""The reader (``w``): every word the main screen may have had to cut, in full, scrolling.

The narration of this epoch (and whether the run has left the lesson's script), the why of the option
picked in the heads panel, the heuristic's reason and the latest outcome. Panels that cut their text end it
with ``… w: read all``; this is where it all is, at every terminal size.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tamiyo_tui.session.view import Frame
from tamiyo_tui.tui.visuals import NOTE, OFF_SCRIPT, REJECTED_STYLE
from tamiyo_tui.tui.widgets.header import outcome_text
from tamiyo_tui.tui.widgets.heads import Selection
from tamiyo_tui.tui.widgets.why import why_text


def _section(title: str, body: Text) -> list[Text]:
    return [Text(title, style="bold underline"), body, Text()]


def reader_text(frame: Frame, selection: Selection) -> Text:
    parts: list[Text] = []
    narration = Text()
    if frame.off_script:
        narration.append(f"{OFF_SCRIPT} off script: {frame.off_script}\n", style=REJECTED_STYLE)
        if frame.notes:
            narration.append(
                "The lesson wrote this note for its own run, not for the state on screen:\n", style="italic"
            )
    if frame.scripted:
        narration.append(f"scripted this epoch: {frame.scripted} (replaces the policy's choice)\n", style="bold")
    narration.append("\n".join(f"{NOTE} {note}" for note in frame.notes) if frame.notes else "no note for this epoch")
    parts += _section(f"Narration · epoch {frame.epoch}", narration)
    if frame.decision is not None or frame.verdicts:
        parts += _section("Why", why_text(frame, selection))
    if frame.decision is not None and frame.decision.reason:
        parts += _section("Heuristic's reason", Text(frame.decision.reason))
    parts += _section("Latest decision", outcome_text(frame))
    return Text("\n").join(parts)


class ReaderScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,w,q", "dismiss", "Close")]

    def __init__(self, frame: Frame, selection: Selection) -> None:
        super().__init__()
        self.frame = frame
        self.selection = selection
        self.text = reader_text(frame, selection)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reader-dialog", classes="dialog"):
            yield Static(self.text, id="reader-body")
            yield Static("esc closes · ↑/↓ scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#reader-dialog").focus()
