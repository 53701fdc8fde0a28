"""The screen as plain text: what snapshot tests compare, what docs quote, what the UI bench waits for.

It renders the screen the way ``App.export_screenshot`` does (Textual's compositor, every layer including
modal screens over the main one), then keeps the characters only, so a capture reads like the terminal.
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_text(app: App[object]) -> str:
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    # Textual has no public text export; this mirrors App.export_screenshot, minus the SVG step.
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    lines = console.export_text(styles=False).splitlines()
    return "\n".join(line.rstrip() for line in lines[:height]) + "\n"
