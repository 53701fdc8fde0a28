"""The record modal: one decision's full record, as the JSONL export holds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER, action_label
from tamiyo_tui.tui.visuals import (
    CHOSEN,
    EMPTY_STAGE,
    MASKED,
    MODE_ARROWS,
    NO_VALUE,
    fmt_logit,
    fmt_prob,
    fmt_value,
    stage_text,
    verdict_text,
)


def _facts(record: DecisionRecord) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    outcome = verdict_text(record.outcome.accepted).append(f" {record.outcome.reason}")
    rows: list[tuple[str, RenderableType]] = [
        ("action", " ".join(f"{head}={record.action[head]}" for head in HEAD_DISPLAY_ORDER)),
        ("outcome", outcome),
        (
            "source",
            f"{record.source} · bundle {record.bundle} · {'deterministic' if record.deterministic else 'sampled'}",
        ),
        ("value", f"{fmt_value(record.value, 3)} · hidden norm {fmt_value(record.hidden_norm, 3)}"),
    ]
    for transition in record.outcome.transitions:
        moved = Text(f"{transition.slot_id}: ").append_text(stage_text(transition.from_stage))
        moved.append(" → ").append_text(stage_text(transition.to_stage)).append(f" ({transition.cause})", style="dim")
        rows.append(("transition", moved))
    if record.outcome.quirks:
        rows.append(("quirks", ", ".join(record.outcome.quirks)))
    if record.outcome.rollback:
        rows.append(("rollback", "the governor rolled the host back this epoch"))
    if record.telemetry_features is not None:
        rows.append(("features", "with the telemetry blocks" if record.telemetry_features else "no telemetry blocks"))
    if record.critic is not None:
        op = record.heads["op"]
        valid_q = record.critic.valid_q(op.mask, op.options)
        margin = f" · margin {valid_q[0][1] - valid_q[1][1]:.3f}" if len(valid_q) > 1 else " · one valid op"
        rows.append(("Q(s, op)", " > ".join(f"{name} {q:+.3f}" for name, q in valid_q) + margin))
        contributions = " ".join(f"{slot} {value:+.3f}" for slot, value in record.critic.contributions.items())
        rows.append(("contribution", f"predicted per slot: {contributions}"))
    if record.heuristic_reason:
        rows.append(("heuristic", record.heuristic_reason))
    if record.notes:
        rows.append(("notes", " · ".join(record.notes)))
    if record.governor_override:
        rows.append(("governor", "override active: PRUNE's alpha-mode rule was lifted"))
    for name, value in rows:
        table.add_row(name, value)
    return table


_HEAD_COLUMNS = ("head", "option", "p", "raw", "masked", "why")


def _heads(record: DecisionRecord) -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False, title="heads", title_justify="left")
    floored = record.critic is not None  # a 2016337e network: p is after its probability floor
    columns = ("head", "option", "p", "p unfloored", "raw", "masked", "why") if floored else _HEAD_COLUMNS
    for column in columns:
        table.add_column(column, justify="left" if column in ("head", "option", "why") else "right")
    for head in HEAD_DISPLAY_ORDER:
        h = record.heads[head]
        table.add_section()
        for index, option in enumerate(h.options):
            allowed = h.mask[index]
            glyphs = (CHOSEN if option == h.chosen else " ") + (" " if allowed else MASKED)
            label = f"{head} {h.entropy:.2f}·{h.valid_count}" if index == 0 else ""
            before = record.critic.probs_before_floor[head][index] if record.critic is not None else None
            table.add_row(
                label,
                Text(glyphs + option, style="bold" if option == h.chosen else ("" if allowed else "dim")),
                fmt_prob(h.probs[index]) if allowed else MASKED,
                *(() if before is None else (fmt_prob(before) if allowed else MASKED,)),
                fmt_logit(h.raw_logits[index]),
                fmt_logit(h.masked_logits[index]) if allowed else MASKED,
                Text(h.reasons[index], style="" if allowed else "dim"),
            )
    return table


def _observation(record: DecisionRecord) -> Table:
    host = record.observation.host
    table = Table(expand=True, show_edge=False, pad_edge=False, title="observation", title_justify="left")
    for column in ("slot", "stage", "blueprint", "alpha", "in stage", "age", "contrib"):
        table.add_column(column)
    for slot_id, slot in record.observation.slots.items():
        if slot is None:
            table.add_row(slot_id, stage_text(EMPTY_STAGE), "", "", "", "", "")
            continue
        table.add_row(
            slot_id,
            stage_text(slot.stage),
            slot.blueprint,
            f"{slot.alpha:.2f}→{slot.alpha_target:.2f} {MODE_ARROWS[slot.alpha_mode]}",
            str(slot.epochs_in_stage),
            str(slot.age),
            NO_VALUE if slot.contribution is None else f"{slot.contribution:+.2f}",
        )
    table.caption = (
        f"host acc {host.val_accuracy:.2f} (Δ {host.accuracy_delta:+.2f}, best {host.best_val_accuracy:.2f}) · "
        f"loss {host.val_loss:.3f} · plateau {host.plateau_epochs} · "
        f"{'stabilized' if host.host_stabilized else 'not stabilized'} · "
        f"seeds {record.observation.seeds_used}/{record.observation.max_seeds or '∞'}"
    )
    return table


def record_renderable(record: DecisionRecord) -> Group:
    title = Text(
        f"Decision {record.step} · epoch {record.epoch} · branch {record.branch} · {action_label(record.action)}",
        style="bold",
    )
    return Group(title, Text(), _facts(record), Text(), _heads(record), Text(), _observation(record))


# Asks for the record of a step and hands it to the callback once it is there (the app's engine thread).
Fetch = Callable[[int, Callable[[DecisionRecord], None]], None]


class RecordScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("right,n", "neighbour(1)", "Next record"),
        Binding("left,b", "neighbour(-1)", "Previous record"),
    ]

    def __init__(
        self, record: DecisionRecord, step: int | None = None, fetch: Fetch | None = None, last_step: int = 0
    ) -> None:
        """``step``: the timeline's number of the record (in review its place in the file), from 0 to
        ``last_step``; ``fetch`` gets a neighbour's record."""
        super().__init__()
        self.record = record
        self.step = record.step if step is None else step
        self._fetch = fetch
        self._last_step = last_step

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="record-dialog", classes="dialog"):
            yield Static(record_renderable(self.record), id="record-body")
            yield Static("esc closes · ↑/↓ scroll · →/n next record · ←/b previous", classes="dialog-hint")

    def action_neighbour(self, delta: int) -> None:
        step = self.step + delta
        if self._fetch is None or not 0 <= step <= self._last_step:
            self.notify("No record " + ("after" if delta > 0 else "before") + " this one", severity="warning")
            return
        self._fetch(step, lambda record: self.show(step, record))

    def show(self, step: int, record: DecisionRecord) -> None:
        self.step, self.record = step, record
        self.query_one("#record-body", Static).update(record_renderable(record))
        self.query_one("#record-dialog", VerticalScroll).scroll_home(animate=False)

    def on_mount(self) -> None:
        self.query_one("#record-dialog").focus()
