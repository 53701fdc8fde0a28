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
from tamiyo_tui.tui.visuals import DISAGREE, fmt_prob, fmt_value

DISAGREE_STYLE = "bold yellow"


def comparison_table(view: ComparisonView) -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("head", style="bold")
    for bundle in view.bundles:
        table.add_column(f"{bundle} (acting)" if bundle == view.active else bundle)
    table.add_column("", width=1)
    for compared in view.heads:
        cells = [Text(f"{option} {fmt_prob(prob)}") for option, prob in (compared.choices[b] for b in view.bundles)]
        style = "" if compared.agree else DISAGREE_STYLE
        table.add_row(compared.head, *cells, "" if compared.agree else DISAGREE, style=style)
    table.add_row("value", *(fmt_value(view.values[b], 3) for b in view.bundles), "", style="dim")
    return table


def comparison_title(view: ComparisonView) -> Text:
    count = len(view.disagreements)
    title = Text(f"Compare at epoch {view.epoch}: ", style="bold")
    if count:
        title.append(f"{count} of {len(view.heads)} heads disagree ({DISAGREE})", style=DISAGREE_STYLE)
    else:
        title.append("every head agrees", style="green")
    return title


class CompareScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,c,q", "dismiss", "Close")]

    def __init__(self, view: ComparisonView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-dialog", classes="dialog"):
            yield Static(comparison_title(self.view), id="compare-title")
            yield Static(comparison_table(self.view), id="compare-table")
            yield Static("esc closes", classes="dialog-hint")
