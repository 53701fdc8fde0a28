"""The host panel: accuracy and loss sparklines, plateau count, stabilization latch, seeds used / cap.

The sparklines are plain text lines (one cell per epoch): Textual's Sparkline widget took ~2 ms to repaint
one row, a tenth of a step's whole budget.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from tamiyo_tui.session.view import Frame
from tamiyo_tui.tui.visuals import sparkline
from tamiyo_tui.tui.widgets.text_line import TextLine

# Narrower than this, the stats take four short lines instead of two long ones.
TWO_LINE_WIDTH = 50


def host_text(frame: Frame, width: int) -> Text:
    host = frame.observation.host
    observation = frame.observation
    cap = "∞" if observation.max_seeds == 0 else str(observation.max_seeds)
    parts = [
        Text(f"acc {host.val_accuracy:.1f} ({host.accuracy_delta:+.2f})", style="bold"),
        Text(f"best {host.best_val_accuracy:.1f} · loss {host.val_loss:.3f}"),
        Text(f"plateau {host.plateau_epochs} · ").append(
            "stabilized ✓" if host.host_stabilized else "not stabilized",
            style="" if host.host_stabilized else "dim",
        ),
        Text(f"seeds {observation.seeds_used}/{cap}"),
    ]
    if width >= TWO_LINE_WIDTH:
        parts = [parts[0].append(" ").append_text(parts[1]), parts[2].append(" · ").append_text(parts[3])]
    return Text("\n").join(parts)


class HostStats(Widget):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._frame: Frame | None = None

    def show(self, frame: Frame) -> None:
        self._frame = frame
        self.refresh()

    def on_resize(self) -> None:
        self.refresh(layout=True)  # two lines or four, by width

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 2 if width >= TWO_LINE_WIDTH else 4

    def render(self) -> RenderResult:
        return Text() if self._frame is None else host_text(self._frame, self.content_size.width)


class SparkLine(TextLine):
    """One row of bars, as many as its width holds."""

    def show(self, values: tuple[float, ...]) -> None:
        self.show_sized(lambda size: Text(sparkline(values, size.width)))


class HostPanel(Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(classes="spark-row"):
            yield Static("acc ", classes="spark-label")
            yield SparkLine(id="accuracy-spark")
        with Horizontal(classes="spark-row"):
            yield Static("loss", classes="spark-label")
            yield SparkLine(id="loss-spark")
        yield HostStats(id="host-stats")

    def show(self, frame: Frame) -> None:
        self.query_one("#accuracy-spark", SparkLine).show(frame.accuracy)
        self.query_one("#loss-spark", SparkLine).show(frame.loss)
        self.query_one(HostStats).show(frame)
