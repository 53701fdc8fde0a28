"""One notice on screen at a time.

Textual stacks every notification until its timeout; a burst of surplus keys ("the run is at its end", "still
loading…") then piles toasts over the why panel. A notice says what just happened, so the newest one
replaces whatever is showing.
"""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel


class OneNoticeApp(App[None]):
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
