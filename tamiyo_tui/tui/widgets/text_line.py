"""A fixed-height text panel that repaints only when its text changed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextLine(Static):
    """Its height comes from the stylesheet, so an update never needs a layout pass over the screen; an
    update with the same text (most panels on most steps) costs nothing."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text: Text | None = None

    def set_text(self, text: Text) -> None:
        if text == self._text:
            return
        self._text = text
        self.update(text, layout=False)
