"""Slot ids (``r{row}c{col}``) and the slot configuration that fixes the slot head's index order."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_SLOT_ID_PATTERN = re.compile(r"^r(\d+)c(\d+)$")
_LEGACY_SLOT_NAMES = {"early": "r0c0", "mid": "r0c1", "late": "r0c2"}


class SlotIdError(ValueError):
    """A slot id that is not of the canonical ``rXcY`` form."""


def format_slot_id(row: int, col: int) -> str:
    if row < 0:
        raise SlotIdError(f"Row must be non-negative, got {row}")
    if col < 0:
        raise SlotIdError(f"Column must be non-negative, got {col}")
    return f"r{row}c{col}"


def parse_slot_id(slot_id: str) -> tuple[int, int]:
    legacy = _LEGACY_SLOT_NAMES.get(slot_id.lower()) if isinstance(slot_id, str) else None
    if legacy is not None:
        raise SlotIdError(f"Legacy slot name '{slot_id}' is no longer supported; use '{legacy}' instead")
    match = _SLOT_ID_PATTERN.match(slot_id) if isinstance(slot_id, str) else None
    if match is None:
        raise SlotIdError(f"Invalid slot ID format: '{slot_id}'. Expected format: 'rXcY' (e.g. 'r0c1')")
    return int(match.group(1)), int(match.group(2))


def validate_slot_id(slot_id: str) -> bool:
    try:
        parse_slot_id(slot_id)
    except SlotIdError:
        return False
    return True


def slot_sort_key(slot_id: str) -> tuple[int, int]:
    """Row-major order. It defines the slot head's action indices, so it must never change."""
    return parse_slot_id(slot_id)


def validate_slot_ids(slot_ids: list[str]) -> list[str]:
    for slot_id in slot_ids:
        parse_slot_id(slot_id)
    return sorted(slot_ids, key=slot_sort_key)


@dataclass(frozen=True)
class SlotConfig:
    slot_ids: tuple[str, ...]
    _channels: tuple[tuple[str, int], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not self.slot_ids:
            raise ValueError("SlotConfig requires at least one slot")
        duplicates = {slot_id for slot_id, count in Counter(self.slot_ids).items() if count > 1}
        if duplicates:
            raise ValueError(f"SlotConfig slot_ids must be unique, found duplicates: {duplicates}")

    @property
    def num_slots(self) -> int:
        return len(self.slot_ids)

    def slot_id_for_index(self, index: int) -> str:
        if index < 0:
            raise IndexError(f"slot index must be non-negative, got {index}")
        return self.slot_ids[index]

    def index_for_slot_id(self, slot_id: str) -> int:
        return self.slot_ids.index(slot_id)

    def channels_for_slot(self, slot_id: str) -> int:
        return dict(self._channels).get(slot_id, 0)

    def grid_shape(self) -> tuple[int, int]:
        """Rows × cols of the smallest grid that holds every (parsable) slot id; 1×N otherwise."""
        try:
            cells = [parse_slot_id(slot_id) for slot_id in self.slot_ids]
        except SlotIdError:
            return 1, self.num_slots
        return max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1

    @classmethod
    def default(cls) -> SlotConfig:
        return cls(("r0c0", "r0c1", "r0c2"))

    @classmethod
    def for_grid(cls, rows: int, cols: int) -> SlotConfig:
        return cls(tuple(format_slot_id(r, c) for r in range(rows) for c in range(cols)))
