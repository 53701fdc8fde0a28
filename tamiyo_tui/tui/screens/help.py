"""The help modal: every key, straight from the command table."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tamiyo_tui.tui.commands import COMMANDS, PANEL_KEYS, keys_label


def keys_table() -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("command", style="bold", no_wrap=True)
    table.add_column("what it does")
    for command in COMMANDS:
        suffix = " (not in review mode)" if command.live_only else ""
        table.add_row(keys_label(command), command.title, command.description + suffix)
    table.add_section()
    for where, keys, what in PANEL_KEYS:
        table.add_row(keys, where, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static("tamiyo-tui keys", classes="dialog-title")
            yield Static(keys_table(), id="help-keys")
            yield Static("esc closes", classes="dialog-hint")
