"""A Rich progress display with one bar per phase, shared by ``train-bc`` and ``agree``."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class PhaseDisplay:
    """One bar per phase; does nothing without a console. ``transient``: the bars leave once done."""

    def __init__(self, console: Console | None, transient: bool = False) -> None:
        self._progress = (
            None
            if console is None
            else Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=console,
                transient=transient,
            )
        )

    def __enter__(self) -> PhaseDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def task(self, description: str, total: int) -> Callable[[str], None]:
        """Add a bar; the returned function advances it by one and sets its status text."""
        progress = self._progress
        if progress is None:
            return lambda status: None
        task = progress.add_task(description, total=total, status="")
        return lambda status: progress.update(task, advance=1, status=status)
