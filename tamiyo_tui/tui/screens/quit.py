"""Quitting with decisions not exported yet: export and quit, quit anyway, or stay."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class QuitScreen(ModalScreen[str]):
    """Answers ``"export"``, ``"quit"`` or ``"stay"``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "answer('export')", "Export and quit"),
        Binding("q", "answer('quit')", "Quit without exporting"),
        Binding("escape", "answer('stay')", "Stay"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Static("Decisions taken since the last export are not saved.", classes="dialog-title")
            yield Static("e  export them, then quit\nq  quit without exporting\nesc  stay", id="quit-choices")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
