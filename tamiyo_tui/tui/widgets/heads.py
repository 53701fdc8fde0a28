"""The heads panel: all eight heads, every option with its probability (masked ones with a glyph and
no number), normalized entropy with the valid count, the op logits raw and masked, the chosen option,
the value estimate. With focus, ↑/↓ (k/j) pick an option and shift+↑/↓ (K/J) a head; the why panel
explains the picked option."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message

from tamiyo_tui.session.records import HeadRecord
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER, CriticView, Frame, OptionVerdict, critic_view
from tamiyo_tui.tui.visuals import (
    CHOSEN,
    CHOSEN_STYLE,
    ERROR_STYLE,
    MASKED,
    MASKED_STYLE,
    NOT_READ,
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
    """The entropy with what the masks left of the head: ``forced`` (one valid option, so Hₙ 0.00 is no
    collapsed policy), ``3/6 valid`` (restricted) or ``6 valid`` (free). Hₙ: the normalized entropy, 0 = one
    option certain, 1 = every valid option equally likely."""
    valid, options = record.valid_count, len(record.options)
    room = "forced" if valid == 1 else f"{valid} valid" if valid == options else f"{valid}/{options} valid"
    return f"{ENTROPY} {record.entropy:.2f} · {room}"


ENTROPY = "Hₙ"
LEGEND = f"{ENTROPY} normalized entropy · {NOT_READ} head not read by the op"


def short_option(option: str) -> str:
    """An option's name in a logit column's five cells."""
    return SHORT_OPTIONS.get(option, option[: LOGIT_WIDTH - 1])


SHORT_OPTIONS = {"GERMINATE": "GERM", "SET_ALPHA_TARGET": "SETα", "FOSSILIZE": "FOSS", "ADVANCE": "ADV"}


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
            wrapped = "\n".join(textwrap.wrap(decision.reason, max(width, 20)))  # never cut: the reason is the point
            line.append(reason if line.cell_len + len(reason) <= width else f"\n{wrapped}", style="italic")
        critic = critic_view(decision)
        if critic is not None:
            line.append("\n").append_text(critic_text(critic))
    return line


def critic_text(critic: CriticView) -> Text:
    """Two lines: ``critic ADV -0.014 > WAIT -0.020 (margin 0.006)``, Q(s, op) over the valid ops best first,
    then each slot's predicted contribution."""
    text = Text("critic ", style="bold")
    text.append(" > ".join(f"{short_option(op)} {q:+.3f}" for op, q in critic.valid_q))
    if critic.margin is not None:
        text.append(f" (margin {critic.margin:.3f})", style="dim")
    text.append("\ncontrib " + " ".join(f"{slot} {value:+.2f}" for slot, value in critic.contributions.items()))
    return text


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


def _logit_lines(record: HeadRecord, verdicts: tuple[OptionVerdict, ...]) -> list[Text]:
    """The op's logits in labelled columns: what the network said (raw, masked options included: a debugger
    wants to see that its favourite was masked) and what the mask left (masked: ⊘)."""
    labels = Text(f"{INDENT}{'logits':<7}", style="dim")
    raw = Text(f"{INDENT}{'raw':<7}", style="dim")
    masked = Text(f"{INDENT}{'masked':<7}", style="dim")
    for index, verdict in enumerate(verdicts):
        name = short_option(verdict.option) if verdict.allowed else MASKED + short_option(verdict.option)[:4]
        labels.append(f"{name:>{LOGIT_WIDTH}}", style="bold" if record.chosen == verdict.option else "")
        raw.append(f"{fmt_logit(record.raw_logits[index]):>{LOGIT_WIDTH}}", style="" if verdict.allowed else "italic")
        cell = fmt_logit(record.masked_logits[index]) if verdict.allowed else MASKED
        masked.append(f"{cell:>{LOGIT_WIDTH}}", style="" if verdict.allowed else "dim")
    return [labels, raw, masked]


def heads_text(frame: Frame, width: int, selection: Selection | None) -> tuple[Text, dict[Selection, int]]:
    """The panel's text at ``width`` cells, and the line each option landed on (to scroll to it)."""
    lines: list[Text] = [*_summary_line(frame, width).split("\n"), Text(LEGEND, style="dim")]
    where: dict[Selection, int] = {}
    decision = frame.decision
    for head in HEAD_DISPLAY_ORDER:
        verdicts = frame.verdicts[head]
        record = decision.heads[head] if decision is not None else None
        read = decision is None or decision.reads(head)
        title = Text(f"{head:<{HEAD_NAME_WIDTH}}", style="bold" if read else "dim")
        if record is not None and not read:
            # Carried along, changes nothing: say what made it irrelevant before any number that looks collapsed.
            # No entropy on the title: a forced-irrelevant head is not a collapsed one (unfolded, its options say).
            title.append(f"{NOT_READ} not read by {decision.op}", style="yellow")  # type: ignore[union-attr]
            title.append(f"  {CHOSEN} {record.chosen}", style="dim")
            if selection is not None and selection.head == head:
                title.append(f" · {entropy_label(record)}", style="dim")
        elif record is not None:
            # The entropy first: a narrow panel cuts the chosen option's name, which the options show too.
            title.append(entropy_label(record), style="cyan")
            title.append(f"  {CHOSEN} {record.chosen}", style="bold")
        else:
            title.append(f"{sum(v.allowed for v in verdicts)} valid", style="cyan")
        lines.append(title)
        if not read and selection is not None and selection.head != head:
            continue  # folded to its title: shift+↓ to it unfolds its options (and the why explains them)
        tokens = [
            _option_token(verdict, index, record, selection == Selection(head, index))
            for index, verdict in enumerate(verdicts)
        ]
        flowed, placed = _flow(tokens, width)
        if not read:
            for line in flowed:
                line.stylize("dim")
        where.update({Selection(head, index): len(lines) + line for index, line in enumerate(placed)})
        lines.extend(flowed)
        if head == "op" and record is not None:
            lines.extend(_logit_lines(record, verdicts))
    for line in lines:
        line.truncate(width, overflow="ellipsis")
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
        # The arrows step everywhere (not the container's horizontal scroll): the key panel says so.
        Binding("right", "app.step", "Step", show=False),
        Binding("left", "app.back", "Back", show=False),
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
        self._visible = 0
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
        region = self.scrollable_content_region
        if self._frame is not None and (region.width, region.height) != (self._width, self._visible):
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
        # The body fills the panel (blank lines pad it) and grows only when its text does not fit, and then
        # never shrinks: a change of height costs a layout pass over the whole screen, and wrapping makes
        # the line count wobble from step to step. Text that fits never shows a scrollbar.
        lines = len(text.plain.split("\n"))
        visible = self._visible = self.scrollable_content_region.height
        height = max(lines, self._height) if lines > visible else visible
        if lines < height:
            text.append("\n" * (height - lines))
        body = self.query_one("#heads-body", TextLine)
        if height != self._height:
            body.styles.height = height
        self._height = height
        body.set_text(text)

    def _option_count(self, head: str) -> int:
        return len(self._frame.verdicts[head]) if self._frame is not None else 1

    def _clamped(self, selection: Selection) -> Selection:
        return Selection(selection.head, min(selection.index, self._option_count(selection.head) - 1))
