"""The one error type for bad input files (scenarios, policy files): it always says where and what."""

from __future__ import annotations

from tamiyo_tui.errors import InputError


class ScenarioError(InputError):
    """Bad input in a YAML file, pinned to ``file:line:col`` (1-based) and a field path.

    ``field`` is a path such as ``events[2].at`` or ``initial.r0c1.alpha``; it is empty when the whole
    document (or the file itself) is at fault, and ``str()`` then leaves it out. ``line`` and ``col`` are 0
    when there is no position to name (the file is missing or unreadable): ``str()`` names the file alone.
    """

    def __init__(self, file: str, line: int, col: int, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.col = col
        self.field = field
        self.message = message
        where = f"{file}:{line}:{col}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, int, int, str, str]]:
        # The default reduce would call __init__ with the rendered text only; keep every attribute.
        return (type(self), (self.file, self.line, self.col, self.field, self.message))
