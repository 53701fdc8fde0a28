"""``tamiyo-tui review SWEEP.jsonl``: a sweep's findings as a list; enter opens the inspector at one.

The list is an app of its own, which exits with the finding chosen: the launcher then opens the inspector
at it (``tamiyo-tui SCENARIO --seed S --at EPOCH``, replayed) and, once that is quit, the list again, its
cursor where it was. The findings come ranked from the file, as ``tamiyo-tui sweep`` printed them.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from tamiyo_tui.session.findings import FLAG_NAMES, Finding, SweepFile

COLUMNS = ("#", "score", "scenario", "seed", "policy", "epoch", "action", "flags")


def sweep_summary(sweep: SweepFile, source: str) -> str:
    header = sweep.header
    counts = " · ".join(f"{name} {header.flag_counts.get(name, 0)}" for name in FLAG_NAMES)
    return (
        f"{source} · {header.episodes} episodes · {header.decisions} decisions on {header.device} · "
        f"{len(sweep.findings)} worth a look ({counts})"
    )


def finding_detail(finding: Finding) -> Text:
    """The highlighted finding: every flag with its detail, and the command that opens it."""
    text = Text()
    for flag in finding.flags:
        text.append(f"{flag.name}", style="bold").append(f": {flag.detail}\n")
    return text.append(finding.command(), style="cyan")


class FindingsApp(App[Finding | None]):
    """The findings of one sweep file; exits with the one chosen (enter), or None (q)."""

    TITLE = "tamiyo-tui · sweep findings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open in the inspector"),
        Binding("q,escape", "quit", "Quit"),
    ]
    CSS = """
    #sweep-summary { height: auto; padding: 0 1; text-style: bold; }
    #findings { height: 1fr; }
    #finding-detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $accent; }
    """

    def __init__(self, sweep: SweepFile, source: str, cursor: int = 0) -> None:
        super().__init__()
        self.sweep = sweep
        self.source = source
        self.start_row = min(max(cursor, 0), max(len(sweep.findings) - 1, 0))  # where the cursor starts

    def compose(self) -> ComposeResult:
        yield Static(sweep_summary(self.sweep, self.source), id="sweep-summary")
        yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        yield Static(id="finding-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for rank, finding in enumerate(self.sweep.findings, start=1):
            table.add_row(
                str(rank),
                f"{finding.score:.2f}",
                finding.scenario,
                str(finding.seed),
                finding.policy_id,
                str(finding.epoch),
                finding.action,
                ", ".join(finding.flag_names),
            )
        table.move_cursor(row=self.start_row)
        table.focus()
        self._show_detail(self.start_row)

    @property
    def highlighted(self) -> Finding | None:
        if not self.sweep.findings:
            return None
        return self.sweep.findings[self.query_one(DataTable).cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        if self.highlighted is not None:
            self.exit(self.highlighted)

    def _show_detail(self, row: int) -> None:
        if 0 <= row < len(self.sweep.findings):
            self.query_one("#finding-detail", Static).update(finding_detail(self.sweep.findings[row]))
