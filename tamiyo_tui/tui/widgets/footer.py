"""The footer: the commands that can be used now, as many as the width holds without cutting ``q Quit``.

Textual's footer shows every binding marked ``show``; below ``FULL_FOOTER_WIDTH`` columns this one drops
the padding and the palette key; a live run's footer leaves out the commands whose ``footer_min_width`` the
terminal does not reach (they stay in the help screen and the palette), so the last entry (quit) is always
on screen. A review has fewer commands, so all of its own fit. The app calls ``fit`` on every resize and the
footer is composed again at once, not one resize later.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # the footer's own entry widget (no public name in Textual 8)

from tamiyo_tui.tui.commands import COMMANDS

FULL_FOOTER_WIDTH = 100


class CommandFooter(Footer):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.hidden: frozenset[str] = frozenset()

    def fit(self, width: int, *, review: bool = False) -> None:
        narrow = width < FULL_FOOTER_WIDTH
        hidden = frozenset(command.action for command in COMMANDS if not review and width < command.footer_min_width)
        if (hidden, narrow) == (self.hidden, self.compact):
            return
        self.hidden = hidden
        self.compact = narrow
        self.show_command_palette = not narrow
        if self._bindings_ready:  # before the bindings are known the footer has composed nothing yet
            self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in self.hidden:
                continue
            yield widget
