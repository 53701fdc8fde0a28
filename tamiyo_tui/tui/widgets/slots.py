"""The slot grid, laid out in the slot ids' rows × cols shape, one card per slot."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.geometry import Size
from textual.widget import Widget

from tamiyo_tui.domain.slots import SlotConfig, SlotIdError, parse_slot_id
from tamiyo_tui.session.records import ObservationSummary, SlotSummary
from tamiyo_tui.tui.visuals import (
    COOLDOWN,
    EMPTY_STAGE,
    MODE_ARROWS,
    alpha_bar,
    cooldown_left,
    stage_text,
)
from tamiyo_tui.tui.widgets.text_line import TextLine

# Below this many content rows a card folds its five lines into three (the compact layout).
FULL_CARD_ROWS = 5


def card_lines(summary: SlotSummary | None, *, enabled: bool, width: int, rows: int) -> list[Text]:
    """A slot's card: stage (+ cooldown), blueprint, alpha bar, epochs in stage / age, contribution."""
    if summary is None:
        lines = [stage_text(EMPTY_STAGE), Text("no seed", style="dim")]
        if not enabled:
            lines.append(Text("disabled", style="italic dim"))
        return lines
    stage = stage_text(summary.stage)
    left = cooldown_left(summary.stage, summary.epochs_in_stage)
    if left is not None:
        stage.append(f" {COOLDOWN}{left}", style="bold")
    numbers = f" {summary.alpha:.2f}→{summary.alpha_target:.2f}{MODE_ARROWS[summary.alpha_mode]}"
    alpha = Text("α ").append_text(alpha_bar(summary.alpha, summary.alpha_target, width - 2 - len(numbers)))
    alpha.append(numbers)
    contribution = "—" if summary.contribution is None else f"{summary.contribution:+.2f}"
    if left is not None:
        # The seed is gone (pruned): no age that grows, no contribution; the slot only counts down.
        gone = Text("seed gone · cooling down" if width >= 24 else "seed gone", style="dim")
        if rows >= FULL_CARD_ROWS:
            lines = [stage, Text(f"was {summary.blueprint}", style="dim"), alpha, gone, Text("")]
        else:
            stage.append(f" was {summary.blueprint}", style="dim")
            lines = [stage, alpha, gone]
    elif rows >= FULL_CARD_ROWS:
        lines = [
            stage,
            Text(summary.blueprint),
            alpha,
            Text(f"in stage {summary.epochs_in_stage} · age {summary.age}"),
            Text(f"contrib {contribution}"),
        ]
    else:
        stage.append(f" {summary.blueprint}", style="")
        counts = f"st {summary.epochs_in_stage} · age {summary.age} · c {contribution}"
        if len(counts) > width:  # three cards side by side: the short form keeps every number
            counts = f"st{summary.epochs_in_stage} age{summary.age} c{contribution}"
        lines = [stage, alpha, Text(counts)]
    if not enabled:
        lines[-1] = Text("disabled", style="italic")
        for line in lines:
            line.stylize("dim")
    return lines


class SlotCard(TextLine):
    """One slot. Holds the slot's summary and lays its card out for whatever size the layout gives it."""

    def __init__(self, slot_id: str) -> None:
        super().__init__(id=f"slot-{slot_id}", classes="slot-card")
        self.slot_id = slot_id
        self.border_title = slot_id
        self._summary: SlotSummary | None = None
        self._enabled = True
        self._shown = False

    def show(self, summary: SlotSummary | None, *, enabled: bool) -> None:
        if (summary, enabled) == (self._summary, self._enabled) and self._shown:
            return  # most slots do not change on most steps: leave them unpainted
        self._summary, self._enabled, self._shown = summary, enabled, True
        self.set_class(not enabled, "-disabled")
        self.set_class(summary is None, "-empty")
        self.show_sized(self._card_text)

    def _card_text(self, size: Size) -> Text:
        lines = card_lines(self._summary, enabled=self._enabled, width=max(size.width, 8), rows=size.height)
        text = Text("\n").join(lines[: max(size.height, 1)])
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text


class SlotGrid(Grid):
    """Cards placed by their ``rXcY`` id; ids that do not parse go left to right on one row."""

    def __init__(self, slot_ids: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.slot_ids = slot_ids
        self.rows, self.cols = SlotConfig(slot_ids).grid_shape()

    def compose(self) -> ComposeResult:
        by_cell = dict(zip(self._cells(), self.slot_ids, strict=True))
        for row in range(self.rows):
            for col in range(self.cols):
                slot_id = by_cell.get((row, col))
                yield SlotCard(slot_id) if slot_id is not None else Widget(classes="slot-gap")

    def on_mount(self) -> None:
        self.styles.grid_size_columns = self.cols
        self.styles.grid_size_rows = self.rows

    def show(self, observation: ObservationSummary) -> None:
        enabled = set(observation.enabled_slots)
        for card in self.query(SlotCard):
            card.show(observation.slots.get(card.slot_id), enabled=card.slot_id in enabled)

    def _cells(self) -> list[tuple[int, int]]:
        try:
            return [parse_slot_id(slot_id) for slot_id in self.slot_ids]
        except SlotIdError:
            return [(0, col) for col in range(len(self.slot_ids))]
