"""Value → member and value → name tables for enums read on every decision.

``SomeEnum(value)`` and ``member.name`` each run a Python-level function in the enum machinery; on the
per-step path (records, mask reasons, the decoded action) a dict lookup does the same job for a fraction
of the cost. The tables are built from the enum itself, so they cannot drift from it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

E = TypeVar("E", bound=IntEnum)


def members_by_value(enum: type[E]) -> dict[int, E]:
    return {member.value: member for member in enum}


def names_by_value(enum: type[IntEnum]) -> dict[int, str]:
    return {member.value: member.name for member in enum}


def member_of(table: dict[int, E], enum: type[E], value: int) -> E:
    """``enum(value)`` through ``table``; an unknown value raises the enum's own ``ValueError``."""
    try:
        return table[value]
    except KeyError:
        return enum(value)
