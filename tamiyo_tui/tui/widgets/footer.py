"""The footer: the commands that can be used now, as many as the width holds without cutting ``q Quit``.

Textual's footer shows every binding marked ``show``; below ``FULL_FOOTER_WIDTH`` columns this one drops
the padding, the palette key and the commands the command table marks ``narrow_footer=False`` (they stay in
the help screen and the palette), so the last entry (quit) is always on screen. The app sets ``narrow`` on
every resize and the footer is composed again at once, not one resize later.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # the footer's own entry widget (no public name in Textual 8)

from tamiyo_tui.tui.commands import COMMANDS

FULL_FOOTER_WIDTH = 100
WIDE_ONLY: frozenset[str] = frozenset(command.action for command in COMMANDS if not command.narrow_footer)


class CommandFooter(Footer):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.narrow = False

    def fit(self, width: int) -> None:
        narrow = width < FULL_FOOTER_WIDTH
        if narrow == self.narrow and self.compact == narrow:
            return
        self.narrow = narrow
        self.compact = narrow
        self.show_command_palette = not narrow
        self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if self.narrow and isinstance(widget, FooterKey) and widget.action in WIDE_ONLY:
                continue
            yield widget
