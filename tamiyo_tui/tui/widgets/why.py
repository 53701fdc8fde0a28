"""The why panel: for the option picked in the heads panel, the rule that masks or allows it, in words."""

from __future__ import annotations

from rich.text import Text

from tamiyo_tui.session.view import Frame
from tamiyo_tui.tui.visuals import ACCEPTED, CHOSEN, MASKED, NOT_READ, fmt_prob
from tamiyo_tui.tui.widgets.heads import Selection
from tamiyo_tui.tui.widgets.text_line import TextLine


def why_text(frame: Frame, selection: Selection) -> Text:
    verdict = frame.verdicts[selection.head][selection.index]
    text = Text()
    text.append(f"{selection.head}.{verdict.option} ", style="bold")
    if verdict.allowed:
        text.append(f"{ACCEPTED} allowed", style="green")
    else:
        text.append(f"{MASKED} masked", style="bold red")
    record = frame.decision.heads[selection.head] if frame.decision is not None else None
    if record is not None:
        if verdict.allowed:
            text.append(f" · p {fmt_prob(record.probs[selection.index])}")
        if record.chosen == verdict.option:
            text.append(f" · {CHOSEN} chosen", style="bold")
    text.append("\n")
    if frame.decision is not None and not frame.decision.reads(selection.head):
        text.append(
            f"{NOT_READ} op {frame.decision.op} does not read the {selection.head} head: "
            "whatever it picks changes nothing this epoch\n",
            style="yellow",
        )
    text.append(verdict.reason)
    if verdict.slots and selection.head == "op":
        text.append(f"\nslots that allow it: {', '.join(verdict.slots)}", style="dim")
    if not verdict.allowed:
        text.append("\nforcing it (o) is allowed: the lifecycle rejects it and says why", style="dim italic")
    return text


class WhyPanel(TextLine):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(mark_cut=True, **kwargs)

    def show(self, frame: Frame, selection: Selection) -> None:
        self.set_text(why_text(frame, selection))
