"""The heads panel: all eight heads, every option with its probability (masked ones with a glyph and
no number), normalized entropy with the valid count, the op logits raw and masked, the chosen option,
the value estimate. With focus, ↑/↓ (k/j) pick an option and shift+↑/↓ (K/J) a head; the why panel
explains the picked option."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message

from tamiyo_tui.session.records import HeadRecord
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER, Frame, OptionVerdict
from tamiyo_tui.tui.visuals import (
    CHOSEN,
    CHOSEN_STYLE,
    ERROR_STYLE,
    MASKED,
    MASKED_STYLE,
    fmt_logit,
    fmt_prob,
    fmt_value,
)
from tamiyo_tui.tui.widgets.text_line import TextLine

INDENT = "  "
GAP = "  "
HEAD_NAME_WIDTH = 13
LOGIT_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Selection:
    head: str
    index: int


def entropy_label(record: HeadRecord) -> str:
    """``0.00 · 1 valid`` reads as *forced*, not *collapsed*: the count is why the entropy is what it is."""
    return f"{record.entropy:.2f} · {record.valid_count} valid"


def _summary_line(frame: Frame, width: int) -> Text:
    line = Text()
    if frame.loading:
        line.append("loading policy… ", style="italic yellow")
        line.append("(masks from the rule set)", style="dim")
    elif frame.decision is None:
        line.append(f"⚠ {frame.error}", style=ERROR_STYLE)
    else:
        decision = frame.decision
        line.append(decision.bundle, style="bold cyan")
        line.append(f" · value {fmt_value(decision.value, 3)}")
        if decision.hidden_norm is not None:
            line.append(f" · ‖h‖ {decision.hidden_norm:.2f}", style="dim")
        if decision.reason:
            reason = f" · {decision.reason}"
            # On the same line when it fits: every line saved keeps another head on screen.
            line.append(reason if line.cell_len + len(reason) <= width else f"\n{decision.reason}", style="italic")
    return line


def _option_token(verdict: OptionVerdict, index: int, record: HeadRecord | None, selected: bool) -> Text:
    chosen = record is not None and record.chosen == verdict.option
    glyphs = (CHOSEN if chosen else "") + ("" if verdict.allowed else MASKED)
    token = Text(glyphs + verdict.option)
    if verdict.allowed and record is not None:
        token.append(f" {fmt_prob(record.probs[index])}")
    style = CHOSEN_STYLE if chosen else ("" if verdict.allowed else MASKED_STYLE)
    token.stylize(style)
    if selected:
        token.stylize("underline")
        token = Text("[").append_text(token).append("]")
    return token


def _flow(tokens: list[Text], width: int) -> tuple[list[Text], list[int]]:
    """Tokens left to right, wrapped between tokens (never inside one) at ``width``; also the line of
    each token."""
    lines: list[Text] = []
    placed: list[int] = []
    line = Text(INDENT)
    for token in tokens:
        if line.cell_len > len(INDENT) and line.cell_len + len(GAP) + token.cell_len > width:
            lines.append(line)
            line = Text(INDENT)
        if line.cell_len > len(INDENT):
            line.append(GAP)
        line.append_text(token)
        placed.append(len(lines))
    lines.append(line)
    return lines, placed


def _logit_line(label: str, values: tuple[float, ...], verdicts: tuple[OptionVerdict, ...]) -> Text:
    line = Text(f"{INDENT}{label:<7}", style="dim")
    for value, verdict in zip(values, verdicts, strict=True):
        cell = fmt_logit(value) if verdict.allowed else MASKED
        line.append(f"{cell:>{LOGIT_WIDTH}}", style="" if verdict.allowed else "dim")
    return line


def heads_text(frame: Frame, width: int, selection: Selection | None) -> tuple[Text, dict[Selection, int]]:
    """The panel's text at ``width`` cells, and the line each option landed on (to scroll to it)."""
    lines: list[Text] = [_summary_line(frame, width)]
    where: dict[Selection, int] = {}
    for head in HEAD_DISPLAY_ORDER:
        verdicts = frame.verdicts[head]
        record = frame.decision.heads[head] if frame.decision is not None else None
        title = Text(f"{head:<{HEAD_NAME_WIDTH}}", style="bold")
        if record is not None:
            # The entropy first: a narrow panel cuts the chosen option's name, which the options show too.
            title.append(entropy_label(record), style="cyan")
            title.append(f"  {CHOSEN} {record.chosen}", style="bold")
        else:
            title.append(f"{sum(v.allowed for v in verdicts)} valid", style="cyan")
        lines.append(title)
        tokens = [
            _option_token(verdict, index, record, selection == Selection(head, index))
            for index, verdict in enumerate(verdicts)
        ]
        flowed, placed = _flow(tokens, width)
        where.update({Selection(head, index): len(lines) + line for index, line in enumerate(placed)})
        lines.extend(flowed)
        if head == "op" and record is not None:
            lines.append(_logit_line("raw", record.raw_logits, verdicts))
            lines.append(_logit_line("masked", record.masked_logits, verdicts))
    text = Text("\n").join(lines)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text, where


class HeadsPanel(VerticalScroll, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Next option", show=False),
        Binding("up,k", "move(-1)", "Previous option", show=False),
        Binding("shift+down,J", "move_head(1)", "Next head", show=False),
        Binding("shift+up,K", "move_head(-1)", "Previous head", show=False),
    ]

    class Selected(Message):
        """The picked option changed; the why panel follows it."""

        def __init__(self, selection: Selection) -> None:
            super().__init__()
            self.selection = selection

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._frame: Frame | None = None
        self.selection = Selection("op", 0)
        self._picked = False  # until the operator picks an option, the selection follows the chosen op
        self._lines: dict[Selection, int] = {}
        self._width = 0
        self._height = 0

    def compose(self) -> ComposeResult:
        yield TextLine(id="heads-body")

    def show(self, frame: Frame) -> None:
        self._frame = frame
        if not self._picked and frame.decision is not None:
            self.selection = Selection("op", frame.decision.heads["op"].chosen_index)
        self.selection = self._clamped(self.selection)
        self._paint()

    def on_resize(self) -> None:
        if self._frame is not None and self.scrollable_content_region.width != self._width:
            self._paint()

    def action_move(self, delta: int) -> None:
        order = [Selection(head, i) for head in HEAD_DISPLAY_ORDER for i in range(self._option_count(head))]
        here = order.index(self.selection)
        self._select(order[(here + delta) % len(order)])

    def action_move_head(self, delta: int) -> None:
        head = HEAD_DISPLAY_ORDER[(HEAD_DISPLAY_ORDER.index(self.selection.head) + delta) % len(HEAD_DISPLAY_ORDER)]
        self._select(self._clamped(Selection(head, self.selection.index)))

    def _select(self, selection: Selection) -> None:
        self._picked = True
        self.selection = selection
        self._paint()
        self.post_message(self.Selected(selection))
        line = self._lines.get(selection, 0)
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if not top <= line < top + height:
            self.scroll_to(y=max(line - height // 2, 0), animate=False)

    def _paint(self) -> None:
        if self._frame is None:
            return
        self._width = self.scrollable_content_region.width
        text, self._lines = heads_text(self._frame, max(self._width, 20), self.selection)
        # The body never shrinks (blank lines pad it): a change of height would cost a layout pass over
        # the whole screen, and wrapping makes the line count wobble from step to step.
        lines = len(text.plain.split("\n"))
        if lines < self._height:
            text.append("\n" * (self._height - lines))
        body = self.query_one("#heads-body", TextLine)
        if lines > self._height:
            body.styles.height = lines  # the one case that needs a layout pass
        self._height = max(lines, self._height)
        body.set_text(text)

    def _option_count(self, head: str) -> int:
        return len(self._frame.verdicts[head]) if self._frame is not None else 1

    def _clamped(self, selection: Selection) -> Selection:
        return Selection(selection.head, min(selection.index, self._option_count(selection.head) - 1))
