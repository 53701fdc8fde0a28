"""The spelling of a ``--device`` value, checked without torch so the CLI can reject a typo at once."""

from __future__ import annotations

import re

from tamiyo_tui.errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")
_SPELLING = re.compile(r"^(auto|cpu|cuda(?::(\d+))?)$")


class DeviceError(InputError):
    """A ``--device`` value that is misspelt or that this machine cannot honour."""


def parse_device_spec(spec: str) -> tuple[str, int | None]:
    """``(kind, index)``: kind is auto, cpu or cuda; index is N for ``cuda:N``, else None."""
    match = _SPELLING.match(spec.strip().lower())
    if match is None:
        raise DeviceError(f"Unknown device '{spec}': expected one of {', '.join(DEVICE_CHOICES)}")
    kind = "cuda" if match.group(1).startswith("cuda") else match.group(1)
    return kind, None if match.group(2) is None else int(match.group(2))
