"""Pins slot ids and SlotConfig (the reference's)."""

from __future__ import annotations

import dataclasses

import pytest

from tamiyo_tui.domain.slots import (
    SlotConfig,
    SlotIdError,
    format_slot_id,
    parse_slot_id,
    slot_sort_key,
    validate_slot_id,
    validate_slot_ids,
)

# --- slot id format ------------------------------------------------------------------------------------


def test_slot_id_error_is_a_value_error() -> None:
    assert issubclass(SlotIdError, ValueError)


@pytest.mark.parametrize(
    ("row", "col", "expected"), [(0, 0, "r0c0"), (0, 2, "r0c2"), (3, 11, "r3c11"), (10, 0, "r10c0")]
)
def test_format_slot_id(row: int, col: int, expected: str) -> None:
    assert format_slot_id(row, col) == expected


def test_format_slot_id_negative_row() -> None:
    with pytest.raises(SlotIdError, match=r"^Row must be non-negative, got -1$"):
        format_slot_id(-1, 0)


def test_format_slot_id_negative_column() -> None:
    with pytest.raises(SlotIdError, match=r"^Column must be non-negative, got -1$"):
        format_slot_id(0, -1)


@pytest.mark.parametrize(
    ("slot_id", "expected"),
    [("r0c0", (0, 0)), ("r1c2", (1, 2)), ("r12c7", (12, 7)), ("r01c002", (1, 2)), ("r00c00", (0, 0))],
)
def test_parse_slot_id(slot_id: str, expected: tuple[int, int]) -> None:
    parsed = parse_slot_id(slot_id)
    assert parsed == expected
    assert all(type(part) is int for part in parsed)


@pytest.mark.parametrize(
    ("legacy", "canonical"),
    [("early", "r0c0"), ("mid", "r0c1"), ("late", "r0c2"), ("EARLY", "r0c0"), ("Mid", "r0c1"), ("LaTe", "r0c2")],
)
def test_parse_slot_id_rejects_legacy_names(legacy: str, canonical: str) -> None:
    with pytest.raises(SlotIdError) as error:
        parse_slot_id(legacy)
    assert canonical in str(error.value)
    assert not str(error.value).startswith("Invalid slot ID format")


@pytest.mark.parametrize(
    "bad", ["", "r0", "c0", "R0C0", "r0c", "rc0", "r-1c0", "r0c0 ", " r0c0", "r0c0x", "r1.5c0", "x"]
)
def test_parse_slot_id_rejects_bad_format(bad: str) -> None:
    with pytest.raises(SlotIdError) as error:
        parse_slot_id(bad)
    assert str(error.value).startswith(f"Invalid slot ID format: '{bad}'")
    assert "rXcY" in str(error.value)


@pytest.mark.parametrize(
    ("slot_id", "valid"),
    [("r0c0", True), ("r2c10", True), ("r01c1", True), ("early", False), ("mid", False), ("bogus", False), ("", False)],
)
def test_validate_slot_id(slot_id: str, valid: bool) -> None:
    assert validate_slot_id(slot_id) is valid


def test_slot_sort_key_is_row_major() -> None:
    assert slot_sort_key("r1c0") == (1, 0)
    ids = ["r1c0", "r0c10", "r0c2", "r10c0", "r2c1", "r0c1"]
    assert sorted(ids, key=slot_sort_key) == ["r0c1", "r0c2", "r0c10", "r1c0", "r2c1", "r10c0"]


def test_validate_slot_ids_sorts_and_keeps_duplicates() -> None:
    given = ["r1c0", "r0c10", "r0c2", "r0c2"]
    result = validate_slot_ids(given)
    assert result == ["r0c2", "r0c2", "r0c10", "r1c0"]
    assert given == ["r1c0", "r0c10", "r0c2", "r0c2"]
    assert result is not given


def test_validate_slot_ids_raises_on_invalid() -> None:
    with pytest.raises(SlotIdError, match=r"^Invalid slot ID format: 'bad'"):
        validate_slot_ids(["r0c0", "bad", "r0c1"])
    with pytest.raises(SlotIdError):
        validate_slot_ids(["r0c0", "late"])


# --- SlotConfig ----------------------------------------------------------------------------------------


def test_default_config() -> None:
    config = SlotConfig.default()
    assert config.slot_ids == ("r0c0", "r0c1", "r0c2")
    assert config.num_slots == 3


def test_for_grid_is_row_major() -> None:
    config = SlotConfig.for_grid(2, 3)
    assert config.slot_ids == ("r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2")
    assert config.num_slots == 6


def test_empty_config_rejected() -> None:
    with pytest.raises(ValueError, match=r"^SlotConfig requires at least one slot$"):
        SlotConfig(())


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(ValueError, match=r"^SlotConfig slot_ids must be unique, found duplicates") as error:
        SlotConfig(("r0c0", "r0c1", "r0c0"))
    assert "r0c0" in str(error.value)
    assert "r0c1" not in str(error.value)


def test_ids_are_not_format_checked() -> None:
    assert SlotConfig(("alpha", "beta")).num_slots == 2


def test_index_lookups() -> None:
    config = SlotConfig.for_grid(2, 3)
    assert [config.index_for_slot_id(slot_id) for slot_id in config.slot_ids] == [0, 1, 2, 3, 4, 5]
    assert [config.slot_id_for_index(index) for index in range(6)] == list(config.slot_ids)


def test_index_for_unknown_slot_id_raises() -> None:
    with pytest.raises(ValueError):
        SlotConfig.default().index_for_slot_id("r5c5")


@pytest.mark.parametrize("index", [-1, -3, 3, 100])
def test_slot_id_for_out_of_range_index_raises(index: int) -> None:
    with pytest.raises(IndexError):
        SlotConfig.default().slot_id_for_index(index)


def test_channels_default_to_zero() -> None:
    config = SlotConfig.default()
    assert [config.channels_for_slot(slot_id) for slot_id in config.slot_ids] == [0, 0, 0]
    assert config.channels_for_slot("r9c9") == 0


@pytest.mark.parametrize(
    ("slot_ids", "shape"),
    [
        (("r0c0", "r0c1", "r0c2"), (1, 3)),
        (("r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2"), (2, 3)),
        (("r0c0", "r1c2"), (2, 3)),
        (("r0c0",), (1, 1)),
    ],
)
def test_grid_shape(slot_ids: tuple[str, ...], shape: tuple[int, int]) -> None:
    assert SlotConfig(slot_ids).grid_shape() == shape


def test_for_grid_shape_round_trip() -> None:
    assert SlotConfig.for_grid(3, 4).grid_shape() == (3, 4)


def test_config_is_frozen_and_comparable() -> None:
    config = SlotConfig.default()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.slot_ids = ("r0c0",)  # type: ignore[misc]
    assert config == SlotConfig(("r0c0", "r0c1", "r0c2"))
    assert config == SlotConfig.for_grid(1, 3)
