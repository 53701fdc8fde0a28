"""A fixed-height text panel drawn with Textual's Line API, repainting only the lines that changed.

A ``Static`` turns its whole text into Textual content and every row into strips on each update; in the
inspector most rows of most panels are the same from one step to the next (a slot card's blueprint, the
why panel's reason), and the conversion dominated a step's repaint. Here the text is wrapped once per
width, each row becomes a ``Strip`` only when it is drawn, and an update marks just the rows whose text
differs, so the compositor leaves the others alone.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

# What the last visible row of a panel that marks its cuts ends with when more text follows below it.
CUT_MARK = "…"
CUT_HINT = " w: read all"


class TextLine(Widget):
    """Its height comes from the stylesheet, so an update never needs a layout pass over the screen; an
    update with the same text (most panels on most steps) costs nothing.

    With ``mark_cut`` a text longer than the panel never loses its end silently: the last row that fits
    ends with ``…`` and the key that shows the whole text (``w``, the reader)."""

    def __init__(self, *, mark_cut: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.mark_cut = mark_cut
        self._text = Text()
        self._rows: list[Text] = []  # the text wrapped at ``_rows_width``
        self._rows_width = -1
        self._strips: dict[int, Strip] = {}
        self._lay_out: Callable[[Size], Text] | None = None  # see show_sized

    @property
    def text(self) -> Text:
        """What the panel shows, before wrapping."""
        return self._text

    def set_text(self, text: Text) -> None:
        if text == self._text:
            return
        self._text = text
        width = self.content_size.width
        if width <= 0 or width != self._rows_width:
            self._forget_rows()
            self.refresh()
            return
        old_rows = self._rows
        self._rows = self._wrap(width)
        changed = [
            y
            for y in range(max(len(old_rows), len(self._rows)))
            if (old_rows[y] if y < len(old_rows) else None) != (self._rows[y] if y < len(self._rows) else None)
        ]
        if self.mark_cut and changed and self.content_size.height > 0:
            changed.append(self.content_size.height - 1)  # the cut mark follows the row count
        for y in changed:
            self._strips.pop(y, None)
        if changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def show_sized(self, lay_out: Callable[[Size], Text]) -> None:
        """Show ``lay_out(content size)``, laid out again whenever the panel is resized."""
        self._lay_out = lay_out
        self.set_text(lay_out(self.content_size))

    def on_resize(self) -> None:
        self._forget_rows()
        if self._lay_out is not None:
            self.set_text(self._lay_out(self.content_size))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}  # drawn with the old colours

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._wrap(width))

    @property
    def is_cut(self) -> bool:
        """More rows than the panel shows at its size."""
        size = self.content_size
        return size.width > 0 and len(self._wrap(size.width)) > size.height

    def _row(self, y: int, width: int) -> Text:
        row = self._rows[y]
        if self.mark_cut and y == self.content_size.height - 1 and len(self._rows) > y + 1:
            hint = CUT_MARK + (CUT_HINT if width >= 3 * len(CUT_HINT) else "")
            row = row.copy()
            row.rstrip()
            row.truncate(max(width - len(hint), 0))
            row.append(hint, style="bold")
        return row

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if width != self._rows_width:
            self._rows, self._rows_width, self._strips = self._wrap(width), width, {}
        strip = self._strips.get(y)
        if strip is None:
            style = self.rich_style
            if y < len(self._rows):
                segments = self._row(y, width).render(self.app.console, end="")
                strip = Strip(segments).crop_extend(0, width, style).apply_style(style)
            else:
                strip = Strip.blank(width, style)
            self._strips[y] = strip
        return strip

    def _wrap(self, width: int) -> list[Text]:
        """The rows at ``width``, by the text's own wrap settings or else the stylesheet's text-wrap/overflow."""
        if width <= 0:
            return []
        styles = self.styles
        overflow = self._text.overflow or styles.text_overflow
        if self._text.no_wrap or styles.text_wrap == "nowrap":
            rows = self._text.split(allow_blank=True)  # Text.wrap would also try to justify every row
            for row in rows:
                row.truncate(width, overflow=overflow)
            return list(rows)
        return list(self._text.wrap(self.app.console, width, overflow=overflow))

    def _forget_rows(self) -> None:
        self._rows, self._rows_width, self._strips = [], -1, {}
