"""The root of every "bad input" error: the CLI prints one as a single line and exits with code 2.

Scenario, policy-file, checkpoint, record-file and device errors all derive from ``InputError``; their
messages already name the file, line and field, so nothing else is added when they are shown.
"""

from __future__ import annotations

EXIT_BAD_INPUT = 2  # the exit code of every bad-input error, on every command and from the TUI


class InputError(ValueError):
    """Input the user can fix (a file, a flag); never a bug in tamiyo-tui."""
