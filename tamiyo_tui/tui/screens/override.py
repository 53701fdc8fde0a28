"""The override modal: one row per head, ←/→ cycles that head's options (masked ones marked), enter
carries the action out. Masked options stay selectable: forcing one shows how the lifecycle rejects it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from tamiyo_tui.domain.actions import FactoredAction
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER, Frame, OptionVerdict
from tamiyo_tui.tui.visuals import ACCEPTED, MASKED

HEAD_NAME_WIDTH = 13


class HeadChoice(Widget, can_focus=True):
    """One head's option, changed with ←/→ (h/l)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "cycle(1)", "Next option", show=False),
        Binding("left,h", "cycle(-1)", "Previous option", show=False),
    ]
    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, choice: HeadChoice) -> None:
            super().__init__()
            self.choice = choice

    def __init__(self, head: str, verdicts: tuple[OptionVerdict, ...], index: int) -> None:
        super().__init__(id=f"choice-{head}", classes="head-choice")
        self.head = head
        self.verdicts = verdicts
        self.set_reactive(HeadChoice.index, index)

    @property
    def verdict(self) -> OptionVerdict:
        return self.verdicts[self.index]

    def action_cycle(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.verdicts)

    def watch_index(self) -> None:
        self.post_message(self.Changed(self))

    def on_focus(self) -> None:
        self.post_message(self.Changed(self))

    def render(self) -> RenderResult:
        verdict = self.verdict
        text = Text(f"{self.head:<{HEAD_NAME_WIDTH}}", style="bold")
        text.append("‹ ")
        if verdict.allowed:
            text.append(verdict.option)
        else:
            text.append(f"{MASKED}{verdict.option}", style="strike")
        text.append(" ›")
        text.append(f"  {self.index + 1}/{len(self.verdicts)}", style="dim")
        if not verdict.allowed:
            text.append("  masked", style="bold red")
        return text


class OverrideScreen(ModalScreen[FactoredAction | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("enter", "submit", "Carry out"),
        Binding("down", "app.focus_next", "Next head", show=False),
        Binding("up", "app.focus_previous", "Previous head", show=False),
    ]

    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame

    def compose(self) -> ComposeResult:
        frame = self.frame
        with Vertical(id="override-dialog"):
            yield Static(
                Text(f"Override epoch {frame.epoch}: ↑/↓ head · ←/→ option · enter carry out · esc cancel"),
                id="override-title",
            )
            for head in HEAD_DISPLAY_ORDER:
                yield HeadChoice(head, frame.verdicts[head], self._initial_index(head))
            yield Static(id="override-why")

    def on_mount(self) -> None:
        self.query_one(HeadChoice).focus()

    def on_head_choice_changed(self, event: HeadChoice.Changed) -> None:
        verdict = event.choice.verdict
        why = Text(f"{event.choice.head}.{verdict.option}: ", style="bold")
        if verdict.allowed:
            why.append(f"{ACCEPTED} allowed — {verdict.reason}")
        else:
            why.append(f"{MASKED} masked — {verdict.reason}", style="red")
            why.append("\ncarrying it out is allowed: the lifecycle will reject it and say why", style="dim")
        self.query_one("#override-why", Static).update(why)

    def action_submit(self) -> None:
        indices = {choice.head: choice.index for choice in self.query(HeadChoice)}
        self.dismiss(FactoredAction.from_head_indices(indices))

    def _initial_index(self, head: str) -> int:
        """Start from what the policy chose, so the operator changes only the heads they care about."""
        verdicts = self.frame.verdicts[head]
        if self.frame.decision is not None:
            return self.frame.decision.heads[head].chosen_index
        return next((i for i, verdict in enumerate(verdicts) if verdict.allowed), 0)
