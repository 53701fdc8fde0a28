"""The branch list (``B``): every branch of the live run, the current one first, like lazygit's reflog.

An override (or stepping on with another bundle or sampling mode) forks the run; the replaced future is
kept as an abandoned branch, never dropped. Enter switches to the highlighted branch (its decisions are
replayed exactly when stepped through) and the branch left becomes an abandoned one in its turn. The names
(``branch N``, the id its newest decisions carry) are the ones the timeline, the export and a review use.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tamiyo_tui.session.view import BranchView
from tamiyo_tui.tui.visuals import BRANCH


def branch_label(view: BranchView) -> str:
    if view.current:
        return f"● branch {view.branch} (current) · {view.steps} steps"
    return f"{BRANCH} branch {view.branch} · left the current one at step {view.fork_step} · {view.steps} steps"


class BranchesScreen(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,B", "dismiss", "Close")]

    def __init__(self, branches: tuple[BranchView, ...]) -> None:
        super().__init__()
        self.branches = branches

    def compose(self) -> ComposeResult:
        with Vertical(id="branches-dialog", classes="dialog"):
            yield Static("Branches", classes="dialog-title")
            yield OptionList(*(Option(branch_label(b), id=str(b.branch)) for b in self.branches), id="branch-list")
            yield Static("↑/↓ pick · enter switches to it · esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next(b for b in self.branches if str(b.branch) == event.option.id)
        self.dismiss(None if chosen.current else chosen.branch)
