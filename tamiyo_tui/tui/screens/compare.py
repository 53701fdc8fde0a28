"""The compare modal: each loaded bundle's choice on the current state, head by head, disagreements marked."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tamiyo_tui.session.view import ComparisonView
from tamiyo_tui.tui.visuals import DISAGREE, NOT_READ, fmt_prob, fmt_value

DISAGREE_STYLE = "bold yellow"
COMPACT_WIDTH = 100


def bundle_title(view: ComparisonView, bundle: str) -> str:
    name = f"{bundle} (untrained)" if bundle == "lstm" and not view.lstm_trained else bundle
    return f"{name} (acting)" if bundle == view.active else name


def comparison_table(view: ComparisonView, *, compact: bool = False) -> Table:
    """Per head: each bundle's choice and its probability, each bundle's probability of the other's choice,
    the total variation between the two over the valid options; heads an op does not read are marked ○."""
    # Compact (an 80-column dialog): no padding beside the column rules, so every column fits uncut.
    table = Table(expand=True, show_edge=False, pad_edge=False, padding=(0, 0) if compact else (0, 1))
    table.add_column("  head", style="bold", no_wrap=True, min_width=14)
    pair = len(view.bundles) == 2
    for index, bundle in enumerate(view.bundles):
        table.add_column(bundle_title(view, bundle), no_wrap=True, overflow="ellipsis")
        if pair:
            other = view.bundles[1 - index]
            table.add_column(f"p({other[:4]})", justify="right", no_wrap=True)
    if pair:
        table.add_column("TV", justify="right", no_wrap=True, min_width=4)
    for compared in view.heads:
        cells: list[Text | str] = []
        for bundle in view.bundles:
            option, prob = compared.choices[bundle]
            cells.append(Text(f"{option} {fmt_prob(prob)}"))
            if pair:  # a head the ops do not both read has no numbers worth comparing
                shown = compared.other_choice and compared.relevant
                cells.append(fmt_prob(compared.other_choice[bundle]) if shown else "")
        if pair:
            shown = compared.divergence is not None and compared.relevant
            cells.append(f"{compared.divergence:.2f}" if shown else "")
        # The mark leads the row (a narrow dialog cuts the right-hand columns first).
        if not compared.relevant:
            table.add_row(f"{NOT_READ} {compared.head}", *cells, style="dim")
        else:
            mark = " " if compared.agree else DISAGREE
            table.add_row(f"{mark} {compared.head}", *cells, style="" if compared.agree else DISAGREE_STYLE)
    values = [fmt_value(view.values[b], 3) for b in view.bundles]
    if pair:
        values = [values[0], "", values[1], "", ""]
    table.add_row("  value", *values, style="dim")
    return table


def comparison_title(view: ComparisonView) -> Text:
    count = len(view.disagreements)
    relevant = len(view.relevant)
    title = Text(f"Compare at epoch {view.epoch}: ", style="bold")
    if count:
        title.append(f"{count} of {relevant} relevant heads disagree ({DISAGREE})", style=DISAGREE_STYLE)
    else:
        title.append(f"every relevant head agrees ({relevant})", style="green")
    ignored = len(view.heads) - relevant
    if ignored:
        title.append(f" · {NOT_READ} {ignored} heads not read by both ops, not counted", style="dim")
    return title


HINT = (
    "p(X): the bundle on the left's probability of X's choice · TV: total variation of the two over the "
    "valid options (0 same, 1 disjoint) · esc closes"
)


class CompareScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,c,q", "dismiss", "Close")]

    def __init__(self, view: ComparisonView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-dialog", classes="dialog"):
            yield Static(comparison_title(self.view), id="compare-title")
            compact = self.app.size.width < COMPACT_WIDTH
            yield Static(comparison_table(self.view, compact=compact), id="compare-table")
            yield Static(HINT, classes="dialog-hint")
