"""Features for many observations at once, equal to ``observation_features`` row by row.

``observation_features`` (``tamiyo_tui/policy/features.py``) is the readable rule set, one field at a time.
Here one Python loop gathers each observation's plain numbers, read by attribute name, into one flat list;
``struct`` packs the list into one buffer; every ratio, clamp, scale and one-hot is then a whole-batch
tensor op in float64, rounded once into the output dtype, as the readable path rounds each value once.
The layout, the scalings and the constants all come from ``policy/features.py``, so the two paths cannot
drift apart in what they compute, only in how; ``tests/sweep/test_sweep_features.py`` holds them exactly equal.
"""

from __future__ import annotations

import functools
import itertools
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import get_type_hints

import torch

from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX, NUM_BLUEPRINTS
from tamiyo_tui.domain.observation import HISTORY_LENGTH, HostMetrics, Observation, SeedTelemetry, SlotReport
from tamiyo_tui.domain.stages import INDEX_TO_STAGE, NUM_STAGES, STAGE_TO_INDEX
from tamiyo_tui.policy.features import (
    ABSENT_SLOT_TEMPO_EPOCHS,
    ALPHA_ALGORITHM_SHIFT,
    BASE_FEATURE_SIZE,
    BASE_SCALING,
    BASE_WIDTHS,
    RAW,
    SLOT_FEATURE_SIZE,
    SLOT_SCALING,
    SLOT_WIDTHS,
    BaseFeature,
    Scaling,
    SlotFeature,
    left_padded,
    shared_slot_ids,
    telemetry_features,
)

# --- what one observation's record holds -----------------------------------------------------------------

# The host block's scalar sources: each BaseFeature before the histories is named after its HostMetrics field.
HOST_FIELDS = tuple(feature.name.lower() for feature in BaseFeature if feature < BaseFeature.LOSS_HISTORY)
# Then the two histories (HISTORY_LENGTH columns each), then these Observation fields: total_params and
# total_seeds are the host block's last two features (total_seeds becomes the seed utilisation in place),
# max_seeds and max_epochs are what the ratios divide by.
OBSERVATION_FIELDS = ("total_params", "total_seeds", "max_seeds", "max_epochs")
ENV_COLUMNS = (
    *HOST_FIELDS,
    *("loss_history",) * HISTORY_LENGTH,
    *("accuracy_history",) * HISTORY_LENGTH,
    *OBSERVATION_FIELDS,
)
assert len(HOST_FIELDS) + 2 * HISTORY_LENGTH + 2 == BASE_FEATURE_SIZE

# A slot's record: its stage value, the source of every one-column slot feature (each SlotFeature after
# IS_ACTIVE is named after its SlotReport attribute; ``contribution`` is the report's property, the
# counterfactual when measured), then the blueprint's index.
SLOT_SCALARS = tuple(f for f in SlotFeature if f not in SLOT_WIDTHS and f is not SlotFeature.IS_ACTIVE)
assert [int(f) for f in SLOT_SCALARS] == list(range(SlotFeature.STAGE + NUM_STAGES, SlotFeature.BLUEPRINT))
SLOT_COLUMNS = ("stage", *(feature.name.lower() for feature in SLOT_SCALARS), "blueprint")

_read_host = attrgetter(*HOST_FIELDS)
_read_observation = attrgetter(*OBSERVATION_FIELDS)
_read_report = attrgetter(*SLOT_COLUMNS[:-1])

_STAGE_COLUMN = SLOT_COLUMNS.index("stage")
_BLUEPRINT_COLUMN = SLOT_COLUMNS.index("blueprint")
_SCALAR_COLUMNS = slice(_STAGE_COLUMN + 1, _BLUEPRINT_COLUMN)
_TOTAL_SEEDS_COLUMN = ENV_COLUMNS.index("total_seeds")
_MAX_SEEDS_COLUMN = ENV_COLUMNS.index("max_seeds")
_MAX_EPOCHS_COLUMN = ENV_COLUMNS.index("max_epochs")
assert _TOTAL_SEEDS_COLUMN == BaseFeature.SEED_UTILISATION

# The blueprint column holds the index in BLUEPRINT_IDS, or one of these two, which set no bit. IS_ACTIVE is
# read off this column too, so an empty slot needs no column of its own.
_UNKNOWN_BLUEPRINT = NUM_BLUEPRINTS
_EMPTY_SLOT = NUM_BLUEPRINTS + 1
_NO_STAGE = max(STAGE_TO_INDEX) + 1  # an empty slot's stage value; it sets no bit either


def _int_fields(*record_types: type) -> frozenset[str]:
    """Names of the fields declared as int (IntEnum and bool included)."""
    return frozenset(
        name
        for record_type in record_types
        for name, hint in get_type_hints(record_type).items()
        if isinstance(hint, type) and issubclass(hint, int)
    )


# Packed as int64 rather than float64: struct turns an int into a double through a temporary float object,
# which made the int columns (a third of the values) cost as much to pack as all the float ones.
_INT_COLUMNS = _int_fields(HostMetrics, Observation, SlotReport) | {"blueprint"}


def _empty_slot_record() -> tuple[float, ...]:
    """What an empty slot's record holds: values the slot math below turns into the absent-slot block."""
    record: dict[str, float] = dict.fromkeys(SLOT_COLUMNS, 0)
    record["blend_tempo_epochs"] = ABSENT_SLOT_TEMPO_EPOCHS
    record["alpha_algorithm"] = ALPHA_ALGORITHM_SHIFT  # reads as 0.0 once shifted
    record["stage"] = _NO_STAGE
    record["blueprint"] = _EMPTY_SLOT
    return tuple(int(value) if column in _INT_COLUMNS else float(value) for column, value in record.items())


_EMPTY_SLOT_RECORD = _empty_slot_record()


# --- the scaling, spread over record columns -------------------------------------------------------------


def _runs(flags: Sequence[object]) -> list[tuple[slice, object]]:
    """Runs of equal consecutive flags, as (columns, flag): ``[0, 0, 5]`` → ``[(0:2, 0), (2:3, 5)]``."""
    runs, start = [], 0
    for flag, run in itertools.groupby(flags):
        stop = start + len(list(run))
        runs.append((slice(start, stop), flag))
        start = stop
    return runs


@dataclass(frozen=True, slots=True)
class _ColumnScaling:
    """``Scaling`` per record column, as float64 vectors that broadcast over the batch.

    A per-episode column is divided by the episode length before this applies (its ``scale`` is 1).
    """

    shift: torch.Tensor
    scale: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor
    nan_fills: tuple[tuple[slice, float], ...]  # runs of columns whose NaN becomes something other than 0.0

    @classmethod
    def of(cls, scalings: Sequence[Scaling]) -> _ColumnScaling:
        def column(values: Sequence[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float64)

        assert all(s.scale == 1.0 for s in scalings if s.per_episode)
        return cls(
            shift=column([s.shift for s in scalings]),
            scale=column([s.scale for s in scalings]),
            low=column([s.low for s in scalings]),
            high=column([s.high for s in scalings]),
            nan_fills=tuple((run, value) for run, value in _runs([s.nan_value for s in scalings]) if value != 0.0),
        )

    def apply_(self, values: torch.Tensor) -> None:
        """Scales ``values`` (columns last) in place and leaves no NaN."""
        values.sub_(self.shift).div_(self.scale).clamp_(self.low, self.high)
        for columns, nan_value in self.nan_fills:
            values[..., columns].nan_to_num_(nan=nan_value, posinf=math.inf, neginf=-math.inf)
        values.nan_to_num_(nan=0.0, posinf=math.inf, neginf=-math.inf)


_ENV_SCALINGS = [
    *(BASE_SCALING[f] for f in BaseFeature for _ in range(BASE_WIDTHS.get(f, 1))),
    *[RAW] * (len(ENV_COLUMNS) - BASE_FEATURE_SIZE),
]
# RAW for the stage and blueprint columns: the one-hot bits are read from them before the scaling runs.
_SLOT_SCALINGS = [RAW, *(SLOT_SCALING[f] for f in SLOT_SCALARS), RAW]
_PER_EPISODE_RUNS = [run for run, per_episode in _runs([s.per_episode for s in _SLOT_SCALINGS]) if per_episode]
assert len(_PER_EPISODE_RUNS) == 1
_PER_EPISODE_COLUMNS = _PER_EPISODE_RUNS[0]


@dataclass(frozen=True, slots=True)
class _RecordLayout:
    """What the batch math needs to know about an observation's record, for one slot count."""

    struct_format: str  # e.g. "2q6dq…": each run of int or float columns as one code
    int_columns: torch.Tensor  # bool per column: packed as int64
    scaling: _ColumnScaling


@functools.cache
def _record_layout(num_slots: int) -> _RecordLayout:
    columns = (*ENV_COLUMNS, *SLOT_COLUMNS * num_slots)
    codes = ["q" if column in _INT_COLUMNS else "d" for column in columns]
    return _RecordLayout(
        struct_format="".join(f"{run.stop - run.start}{code}" for run, code in _runs(codes)),
        int_columns=torch.tensor([code == "q" for code in codes]),
        scaling=_ColumnScaling.of([*_ENV_SCALINGS, *_SLOT_SCALINGS * num_slots]),
    )


_STAGE_VALUES = torch.tensor([INDEX_TO_STAGE[index] for index in range(NUM_STAGES)], dtype=torch.float64)
_BLUEPRINT_INDICES = torch.arange(NUM_BLUEPRINTS, dtype=torch.float64)
_STAGE_SPAN = slice(SlotFeature.STAGE, SlotFeature.STAGE + NUM_STAGES)
_SCALAR_SPAN = slice(SLOT_SCALARS[0], SLOT_SCALARS[-1] + 1)
_BLUEPRINT_SPAN = slice(SlotFeature.BLUEPRINT, SlotFeature.BLUEPRINT + NUM_BLUEPRINTS)


# --- the batch path -----------------------------------------------------------------------------------------


def batch_features(
    observations: Sequence[Observation],
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    telemetry: bool = False,
) -> torch.Tensor:
    """``[B, D]`` features of observations that share one slot config; row b equals
    ``observation_features(observations[b], telemetry)``. ``ValueError`` for an empty or mixed batch."""
    features = _features_without_telemetry(observations, dtype)
    if telemetry:
        # Built per observation, as the reference's batched extractor builds it: only telemetry policies pay.
        slot_ids = observations[0].slot_config.slot_ids
        blocks = [
            [value for slot_id in slot_ids for value in telemetry_features(_telemetry_of(obs, slot_id))]
            for obs in observations
        ]
        features = torch.cat([features, torch.tensor(blocks, dtype=dtype)], dim=1)
    return features.to(device=device)


def _telemetry_of(obs: Observation, slot_id: str) -> SeedTelemetry | None:
    report = obs.slots.get(slot_id)
    return None if report is None else report.telemetry


def _features_without_telemetry(observations: Sequence[Observation], dtype: torch.dtype) -> torch.Tensor:
    slot_ids = shared_slot_ids(observations)
    batch, num_slots = len(observations), len(slot_ids)
    layout = _record_layout(num_slots)
    records = _packed(_gather(observations, slot_ids), batch, layout)  # float64, free to change in place
    env = records[:, : len(ENV_COLUMNS)]
    slots = records[:, len(ENV_COLUMNS) :].view(batch, num_slots, len(SLOT_COLUMNS))
    features = torch.empty(batch, BASE_FEATURE_SIZE + num_slots * SLOT_FEATURE_SIZE, dtype=dtype)
    blocks = features[:, BASE_FEATURE_SIZE:].view(batch, num_slots, SLOT_FEATURE_SIZE)

    # The bits are compared straight into the blocks, before the scaling could touch the columns they read.
    # Comparing values, rather than indexing a table, leaves an invalid stage or unknown blueprint all zeros.
    torch.ne(slots[..., _BLUEPRINT_COLUMN], _EMPTY_SLOT, out=blocks[..., SlotFeature.IS_ACTIVE])
    torch.eq(slots[..., _STAGE_COLUMN, None], _STAGE_VALUES, out=blocks[..., _STAGE_SPAN])
    torch.eq(slots[..., _BLUEPRINT_COLUMN, None], _BLUEPRINT_INDICES, out=blocks[..., _BLUEPRINT_SPAN])

    env[:, _TOTAL_SEEDS_COLUMN] /= env[:, _MAX_SEEDS_COLUMN].clamp(min=1.0)
    slots[..., _PER_EPISODE_COLUMNS] /= env[:, _MAX_EPOCHS_COLUMN, None, None].clamp(min=1.0)
    layout.scaling.apply_(records)
    features[:, :BASE_FEATURE_SIZE] = env[:, :BASE_FEATURE_SIZE]
    blocks[..., _SCALAR_SPAN] = slots[..., _SCALAR_COLUMNS]
    return features


def _gather(observations: Sequence[Observation], slot_ids: tuple[str, ...]) -> list[float]:
    """Every observation's record, one after the other, as one flat list of plain numbers."""
    flat: list[float] = []
    extend, append = flat.extend, flat.append
    blueprint_index = BLUEPRINT_ID_TO_INDEX.get
    for obs in observations:
        host = obs.host
        extend(_read_host(host))
        # Past the first epochs a history holds exactly HISTORY_LENGTH values and goes in as it is.
        losses, accuracies = host.loss_history, host.accuracy_history
        extend(losses if len(losses) == HISTORY_LENGTH else left_padded(losses))
        extend(accuracies if len(accuracies) == HISTORY_LENGTH else left_padded(accuracies))
        extend(_read_observation(obs))
        reports = obs.slots
        for slot_id in slot_ids:
            # A slots mapping without some configured slot reads that slot as empty, as the reference does.
            report = reports.get(slot_id)
            if report is None:
                extend(_EMPTY_SLOT_RECORD)
            else:
                extend(_read_report(report))
                append(blueprint_index(report.blueprint_id, _UNKNOWN_BLUEPRINT))
    return flat


@functools.lru_cache(maxsize=8)
def _batch_struct(record_format: str, batch: int) -> struct.Struct:
    # Compiling a whole batch's format costs about as much as packing with it, so each batch size compiles
    # once; a sweep's batch shrinks only as episodes end.
    return struct.Struct(record_format * batch)


def _packed(values: list[float], batch: int, layout: _RecordLayout) -> torch.Tensor:
    """The gathered values as a float64 ``[batch, record size]`` tensor."""
    # Packing the list into a buffer first is about ten times cheaper per value than torch.tensor(list).
    try:
        buffer = bytearray(_batch_struct(layout.struct_format, batch).pack(*values))
    except struct.error:
        # A declared-int field holds a float (or an int past int64): doubles take any number, only slower.
        buffer = bytearray(struct.pack(f"{len(values)}d", *values))
        return torch.frombuffer(buffer, dtype=torch.float64).view(batch, -1)
    as_floats = torch.frombuffer(buffer, dtype=torch.float64).view(batch, -1)
    as_ints = torch.frombuffer(buffer, dtype=torch.int64).view(batch, -1)
    return torch.where(layout.int_columns, as_ints, as_floats)
