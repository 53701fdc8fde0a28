"""Observation → feature vector: the layout, a vectorized batch extractor and a readable per-env reference.

The layout is the reference's *batched* one (what a policy trained by the vectorized trainer saw):
``BASE_FEATURE_SIZE`` host features, then one ``SLOT_FEATURE_SIZE`` block per slot in slot-config order,
then, for a policy trained with telemetry (the reference trainer's default), one ``TELEMETRY_FEATURE_SIZE``
block per slot read from each seed's telemetry snapshot. ``docs/features.md`` has the full table and the
choices made where the reference's two extractors disagree.

``batch_features`` is the hot path: one Python loop gathers each env's plain numbers into a flat record,
``struct`` packs the records into one buffer (fields declared int as int64, the rest as float64), and every
ratio, clamp, scale and one-hot is then a whole-batch tensor op. ``observation_features`` states the same
rules field by field in plain Python; the tests hold the two equal.

No NaN ever leaves either extractor: a NaN in a loss column becomes the loss cap (as the reference's dict
path does for a missing loss), a NaN anywhere else becomes 0.0.
"""

from __future__ import annotations

import functools
import itertools
import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from operator import attrgetter, itemgetter
from typing import Any, get_type_hints

import torch

from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX, BLUEPRINT_IDS, NUM_BLUEPRINTS, TEMPO_TO_EPOCHS, TempoAction
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HISTORY_LENGTH, HostMetrics, Observation, SeedTelemetry, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import INDEX_TO_STAGE, NUM_STAGES, STAGE_TO_INDEX

# --- layout --------------------------------------------------------------------------------------------


class BaseFeature(IntEnum):
    """Offset of each host feature. Members up to BEST_VAL_LOSS are named after their HostMetrics field."""

    EPOCH = 0
    GLOBAL_STEP = 1
    TRAIN_LOSS = 2
    VAL_LOSS = 3
    LOSS_DELTA = 4
    TRAIN_ACCURACY = 5
    VAL_ACCURACY = 6
    ACCURACY_DELTA = 7
    PLATEAU_EPOCHS = 8
    BEST_VAL_ACCURACY = 9
    BEST_VAL_LOSS = 10
    LOSS_HISTORY = 11
    ACCURACY_HISTORY = 16
    TOTAL_PARAMS = 21
    SEED_UTILISATION = 22


class SlotFeature(IntEnum):
    """Offset of each feature inside one slot block. Width-1 members after IS_ACTIVE are SlotReport fields."""

    IS_ACTIVE = 0
    STAGE = 1
    ALPHA = 11
    CONTRIBUTION = 12
    CONTRIBUTION_VELOCITY = 13
    BLEND_TEMPO_EPOCHS = 14
    ALPHA_TARGET = 15
    ALPHA_MODE = 16
    ALPHA_STEPS_TOTAL = 17
    ALPHA_STEPS_DONE = 18
    TIME_TO_TARGET = 19
    ALPHA_VELOCITY = 20
    ALPHA_ALGORITHM = 21
    INTERACTION_SUM = 22
    BOOST_RECEIVED = 23
    UPSTREAM_ALPHA_SUM = 24
    DOWNSTREAM_ALPHA_SUM = 25
    BLUEPRINT = 26


# Every member not listed here is one column wide.
BASE_WIDTHS: dict[BaseFeature, int] = {
    BaseFeature.LOSS_HISTORY: HISTORY_LENGTH,
    BaseFeature.ACCURACY_HISTORY: HISTORY_LENGTH,
}
SLOT_WIDTHS: dict[SlotFeature, int] = {SlotFeature.STAGE: NUM_STAGES, SlotFeature.BLUEPRINT: NUM_BLUEPRINTS}


def _contiguous_size(members: type[IntEnum], widths: Mapping[Any, int]) -> int:
    """The block size, after checking each member starts exactly where the previous one ends."""
    end = 0
    for member in members:
        assert member == end, f"{members.__name__}.{member.name} starts at {int(member)}, expected {end}"
        end += widths.get(member, 1)
    return end


BASE_FEATURE_SIZE = _contiguous_size(BaseFeature, BASE_WIDTHS)
SLOT_FEATURE_SIZE = _contiguous_size(SlotFeature, SLOT_WIDTHS)
assert (BASE_FEATURE_SIZE, SLOT_FEATURE_SIZE) == (23, 39)


# The optional telemetry block: one per slot, after all slot blocks (the reference's SeedTelemetry.to_features).
TELEMETRY_SCALARS = (
    "gradient_norm",
    "gradient_health",
    "has_vanishing",
    "has_exploding",
    "epochs_in_stage",
    "accuracy",
    "accuracy_delta",
    "alpha",
    "epoch_fraction",
    "alpha_target",
    "alpha_mode",
    "alpha_steps_total",
    "alpha_steps_done",
    "time_to_target",
    "alpha_velocity",
    "alpha_algorithm",
)
TELEMETRY_FEATURE_SIZE = NUM_STAGES + len(TELEMETRY_SCALARS)
assert TELEMETRY_FEATURE_SIZE == 26


def get_feature_size(slot_config: SlotConfig, telemetry: bool = False) -> int:
    """Length of one observation's feature vector under ``slot_config``, with or without the telemetry block."""
    per_slot = SLOT_FEATURE_SIZE + (TELEMETRY_FEATURE_SIZE if telemetry else 0)
    return BASE_FEATURE_SIZE + per_slot * slot_config.num_slots


def uses_telemetry(feature_dim: int, slot_config: SlotConfig) -> bool:
    """Whether a network reading ``feature_dim`` features expects the telemetry block; ValueError when
    ``feature_dim`` fits neither layout of ``slot_config``."""
    for telemetry in (False, True):
        if feature_dim == get_feature_size(slot_config, telemetry):
            return telemetry
    raise ValueError(
        f"{feature_dim} features fit no layout of {slot_config.num_slots} slots "
        f"({get_feature_size(slot_config)} without telemetry, {get_feature_size(slot_config, True)} with)"
    )


MULTISLOT_FEATURE_SIZE = get_feature_size(SlotConfig.default())
assert MULTISLOT_FEATURE_SIZE == 140


def slot_block_start(slot_index: int) -> int:
    """Index of the first feature of the slot at ``slot_index`` (slot-config order)."""
    return BASE_FEATURE_SIZE + SLOT_FEATURE_SIZE * slot_index


def feature_names(slot_config: SlotConfig, telemetry: bool = False) -> tuple[str, ...]:
    """One name per feature, e.g. ``base.val_loss``, ``r0c1.stage.TRAINING``, ``r0c1.blueprint.conv_light``,
    and with ``telemetry`` ``r0c1.telemetry.stage.TRAINING``, ``r0c1.telemetry.gradient_norm``.

    History columns run oldest to newest: ``base.loss_history.t-4`` … ``base.loss_history.t-0``.
    """
    names: list[str] = []
    for feature in BaseFeature:
        label = f"base.{feature.name.lower()}"
        width = BASE_WIDTHS.get(feature, 1)
        names += [label] if width == 1 else [f"{label}.t-{width - 1 - i}" for i in range(width)]
    for slot_id in slot_config.slot_ids:
        for slot_feature in SlotFeature:
            if slot_feature is SlotFeature.STAGE:
                names += [f"{slot_id}.stage.{INDEX_TO_STAGE[i].name}" for i in range(NUM_STAGES)]
            elif slot_feature is SlotFeature.BLUEPRINT:
                names += [f"{slot_id}.blueprint.{blueprint_id}" for blueprint_id in BLUEPRINT_IDS]
            else:
                names.append(f"{slot_id}.{slot_feature.name.lower()}")
    if telemetry:
        for slot_id in slot_config.slot_ids:
            names += [f"{slot_id}.telemetry.stage.{INDEX_TO_STAGE[i].name}" for i in range(NUM_STAGES)]
            names += [f"{slot_id}.telemetry.{name}" for name in TELEMETRY_SCALARS]
    return tuple(names)


# --- normalisation constants (the reference's numbers; both extractors read them from here) -------------

LOSS_CLAMP = 10.0  # losses, loss delta and accuracy delta are clamped to ±LOSS_CLAMP
CONTRIBUTION_SCALE = 10.0  # percentage points; contribution and its velocity are then clamped to ±1
TEMPO_SCALE = 12.0
INTERACTION_SCALE = 10.0
BOOST_SCALE = 5.0
ALPHA_SUM_SCALE = 3.0  # upstream and downstream alpha sums
ALPHA_MODE_SCALE = float(max(AlphaMode))  # HOLD 0, UP 0.5, DOWN 1
ALPHA_ALGORITHM_SHIFT = float(min(AlphaAlgorithm))  # ADD 0, MULTIPLY 0.5, GATE 1
ALPHA_ALGORITHM_SCALE = float(max(AlphaAlgorithm) - min(AlphaAlgorithm))
# An empty slot still reports the germination default tempo, so "no seed" reads like "standard tempo".
ABSENT_SLOT_TEMPO_EPOCHS = TEMPO_TO_EPOCHS[TempoAction.STANDARD]
assert ABSENT_SLOT_TEMPO_EPOCHS == 5


@dataclass(frozen=True, slots=True)
class Scaling:
    """How one scalar column is normalised: ``clamp((x − shift) / scale, low, high)``, then NaN → ``nan_value``.

    ``per_episode`` replaces ``scale`` by the observation's episode length, ``max(max_epochs, 1)``.
    """

    shift: float = 0.0
    scale: float = 1.0
    low: float = -math.inf
    high: float = math.inf
    nan_value: float = 0.0
    per_episode: bool = False


RAW = Scaling()
LOSS = Scaling(low=-LOSS_CLAMP, high=LOSS_CLAMP, nan_value=LOSS_CLAMP)  # a NaN loss reads as the worst loss
DELTA = Scaling(low=-LOSS_CLAMP, high=LOSS_CLAMP)
EPISODE_FRACTION = Scaling(high=1.0, per_episode=True)

BASE_SCALING: dict[BaseFeature, Scaling] = {
    BaseFeature.EPOCH: RAW,
    BaseFeature.GLOBAL_STEP: RAW,
    BaseFeature.TRAIN_LOSS: LOSS,
    BaseFeature.VAL_LOSS: LOSS,
    BaseFeature.LOSS_DELTA: DELTA,
    BaseFeature.TRAIN_ACCURACY: RAW,
    BaseFeature.VAL_ACCURACY: RAW,
    BaseFeature.ACCURACY_DELTA: DELTA,
    BaseFeature.PLATEAU_EPOCHS: RAW,
    BaseFeature.BEST_VAL_ACCURACY: RAW,
    BaseFeature.BEST_VAL_LOSS: LOSS,
    BaseFeature.LOSS_HISTORY: LOSS,
    BaseFeature.ACCURACY_HISTORY: RAW,
    BaseFeature.TOTAL_PARAMS: RAW,
    BaseFeature.SEED_UTILISATION: RAW,  # total_seeds / max(max_seeds, 1), formed before scaling
}
SLOT_SCALING: dict[SlotFeature, Scaling] = {
    SlotFeature.IS_ACTIVE: RAW,
    SlotFeature.ALPHA: RAW,
    SlotFeature.CONTRIBUTION: Scaling(scale=CONTRIBUTION_SCALE, low=-1.0, high=1.0),
    SlotFeature.CONTRIBUTION_VELOCITY: Scaling(scale=CONTRIBUTION_SCALE, low=-1.0, high=1.0),
    SlotFeature.BLEND_TEMPO_EPOCHS: Scaling(scale=TEMPO_SCALE),
    SlotFeature.ALPHA_TARGET: RAW,
    SlotFeature.ALPHA_MODE: Scaling(scale=ALPHA_MODE_SCALE),
    SlotFeature.ALPHA_STEPS_TOTAL: EPISODE_FRACTION,
    SlotFeature.ALPHA_STEPS_DONE: EPISODE_FRACTION,
    SlotFeature.TIME_TO_TARGET: EPISODE_FRACTION,
    SlotFeature.ALPHA_VELOCITY: Scaling(low=-1.0, high=1.0),
    SlotFeature.ALPHA_ALGORITHM: Scaling(shift=ALPHA_ALGORITHM_SHIFT, scale=ALPHA_ALGORITHM_SCALE),
    # The batched reference caps these from above only; see docs/features.md.
    SlotFeature.INTERACTION_SUM: Scaling(scale=INTERACTION_SCALE, high=1.0),
    SlotFeature.BOOST_RECEIVED: Scaling(scale=BOOST_SCALE, high=1.0),
    SlotFeature.UPSTREAM_ALPHA_SUM: Scaling(scale=ALPHA_SUM_SCALE, high=1.0),
    SlotFeature.DOWNSTREAM_ALPHA_SUM: Scaling(scale=ALPHA_SUM_SCALE, high=1.0),
}
assert set(BASE_SCALING) == set(BaseFeature)
assert set(SLOT_SCALING) == set(SlotFeature) - set(SLOT_WIDTHS)


# The telemetry block's scales (the reference's numbers).
TELEMETRY_GRADIENT_NORM_CAP = 10.0
TELEMETRY_EPOCHS_IN_STAGE_CAP = 50
TELEMETRY_ACCURACY_SCALE = 100.0
TELEMETRY_ACCURACY_DELTA_SCALE = 10.0  # then clamped to ±1


# --- per-env reference (plain Python) ------------------------------------------------------------------


def observation_features(obs: Observation, telemetry: bool = False) -> list[float]:
    """The feature vector of one observation, computed field by field (the readable reference path).

    With ``telemetry`` each slot's telemetry block follows the slot blocks, in slot-config order. As in the
    reference's batched extractor, a slot's snapshot is read whether or not the slot is enabled.
    """
    host = obs.host
    features = [
        _raw(host.epoch),
        _raw(host.global_step),
        _clamp(host.train_loss, LOSS_CLAMP, nan_value=LOSS_CLAMP),
        _clamp(host.val_loss, LOSS_CLAMP, nan_value=LOSS_CLAMP),
        _clamp(host.loss_delta, LOSS_CLAMP),  # the first epoch's +inf becomes +LOSS_CLAMP
        _raw(host.train_accuracy),
        _raw(host.val_accuracy),
        _clamp(host.accuracy_delta, LOSS_CLAMP),
        _raw(host.plateau_epochs),
        _raw(host.best_val_accuracy),
        _clamp(host.best_val_loss, LOSS_CLAMP, nan_value=LOSS_CLAMP),  # +inf before any epoch → +LOSS_CLAMP
    ]
    features += [_clamp(loss, LOSS_CLAMP, nan_value=LOSS_CLAMP) for loss in _left_padded(host.loss_history)]
    features += [_raw(accuracy) for accuracy in _left_padded(host.accuracy_history)]
    features.append(_raw(obs.total_params))
    features.append(obs.total_seeds / max(obs.max_seeds, 1))
    episode_length = max(obs.max_epochs, 1)
    for slot_id in obs.slot_config.slot_ids:
        features += _slot_features(obs.slots.get(slot_id), episode_length)
    if telemetry:
        for slot_id in obs.slot_config.slot_ids:
            features += telemetry_features(_telemetry_of(obs, slot_id))
    return features


def _telemetry_of(obs: Observation, slot_id: str) -> SeedTelemetry | None:
    report = obs.slots.get(slot_id)
    return None if report is None else report.telemetry


def telemetry_features(snapshot: SeedTelemetry | None) -> list[float]:
    """A slot's 26 telemetry features; zeros when the slot has no seed (or the seed no snapshot).

    The reference's formulas, with one difference: a NaN becomes 0.0, as everywhere in this module.
    """
    if snapshot is None:
        return [0.0] * TELEMETRY_FEATURE_SIZE
    t = snapshot
    stage = [0.0] * NUM_STAGES  # an invalid stage value leaves every bit at 0
    stage_index = STAGE_TO_INDEX.get(t.stage)
    if stage_index is not None:
        stage[stage_index] = 1.0
    episode_length = max(t.max_epochs, 1)
    scalars = [
        min(t.gradient_norm, TELEMETRY_GRADIENT_NORM_CAP) / TELEMETRY_GRADIENT_NORM_CAP,
        t.gradient_health,
        float(t.has_vanishing),
        float(t.has_exploding),
        min(t.epochs_in_stage, TELEMETRY_EPOCHS_IN_STAGE_CAP) / TELEMETRY_EPOCHS_IN_STAGE_CAP,
        t.accuracy / TELEMETRY_ACCURACY_SCALE,
        _clamp(t.accuracy_delta / TELEMETRY_ACCURACY_DELTA_SCALE, 1.0),
        t.alpha,
        t.epoch / episode_length,
        *_controller_features(t, episode_length),
    ]
    return stage + [_raw(value) for value in scalars]


def _controller_features(source: SlotReport | SeedTelemetry, episode_length: int) -> list[float]:
    """The alpha controller's seven columns, alike in the slot block and the telemetry block."""
    return [
        _raw(source.alpha_target),
        source.alpha_mode / ALPHA_MODE_SCALE,
        min(source.alpha_steps_total, episode_length) / episode_length,
        min(source.alpha_steps_done, episode_length) / episode_length,
        min(source.time_to_target, episode_length) / episode_length,
        _clamp(source.alpha_velocity, 1.0),
        (source.alpha_algorithm - ALPHA_ALGORITHM_SHIFT) / ALPHA_ALGORITHM_SCALE,
    ]


def _slot_features(report: SlotReport | None, episode_length: int) -> list[float]:
    if report is None:
        block = [0.0] * SLOT_FEATURE_SIZE
        block[SlotFeature.BLEND_TEMPO_EPOCHS] = ABSENT_SLOT_TEMPO_EPOCHS / TEMPO_SCALE
        return block
    stage = [0.0] * NUM_STAGES  # an invalid stage value leaves all ten bits at 0, as the dict path does
    stage_index = STAGE_TO_INDEX.get(report.stage)
    if stage_index is not None:
        stage[stage_index] = 1.0
    blueprint = [0.0] * NUM_BLUEPRINTS
    blueprint_index = BLUEPRINT_ID_TO_INDEX.get(report.blueprint_id)
    if blueprint_index is not None:
        blueprint[blueprint_index] = 1.0
    return [
        1.0,
        *stage,
        _raw(report.alpha),
        _clamp(report.contribution / CONTRIBUTION_SCALE, 1.0),
        _clamp(report.contribution_velocity / CONTRIBUTION_SCALE, 1.0),
        report.blend_tempo_epochs / TEMPO_SCALE,
        *_controller_features(report, episode_length),
        _cap_at_one(report.interaction_sum / INTERACTION_SCALE),
        _cap_at_one(report.boost_received / BOOST_SCALE),
        _cap_at_one(report.upstream_alpha_sum / ALPHA_SUM_SCALE),
        _cap_at_one(report.downstream_alpha_sum / ALPHA_SUM_SCALE),
        *blueprint,
    ]


def _raw(value: float) -> float:
    return 0.0 if math.isnan(value) else float(value)


def _clamp(value: float, bound: float, *, nan_value: float = 0.0) -> float:
    if math.isnan(value):
        return nan_value
    return min(max(float(value), -bound), bound)


def _cap_at_one(value: float) -> float:
    return 0.0 if math.isnan(value) else min(float(value), 1.0)


def _left_padded(history: Sequence[float]) -> tuple[float, ...]:
    """The last HISTORY_LENGTH values, oldest first, with 0.0 in front when fewer were recorded."""
    tail = tuple(history[-HISTORY_LENGTH:])
    return (0.0,) * (HISTORY_LENGTH - len(tail)) + tail


def batch_features_reference(
    observations: Sequence[Observation],
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    telemetry: bool = False,
) -> torch.Tensor:
    """``[B, D]`` features built one env at a time (one tensor per env, then stacked): the slow path."""
    _shared_slot_ids(observations)
    return torch.stack(
        [torch.tensor(observation_features(obs, telemetry), dtype=dtype, device=device) for obs in observations]
    )


# --- vectorized batch path -----------------------------------------------------------------------------

# The gather writes each env as one record of plain numbers, one column per name below: the sources of the
# host block in layout order (total_seeds becomes the seed utilisation in place), the Observation settings
# the slot math needs, then one slot record per slot in slot-config order. HostMetrics and SlotReport keep
# their feature fields in this order (checked below), so most of a record is copied as tuple slices.
_HOST_SCALARS = tuple(feature for feature in BaseFeature if feature < BaseFeature.LOSS_HISTORY)
assert list(BaseFeature)[len(_HOST_SCALARS) :] == [
    BaseFeature.LOSS_HISTORY,
    BaseFeature.ACCURACY_HISTORY,
    BaseFeature.TOTAL_PARAMS,
    BaseFeature.SEED_UTILISATION,
]
_ENV_COUNTS = ("total_params", "total_seeds", "max_seeds", "max_epochs")
_ENV_COLUMNS = (
    *(feature.name.lower() for feature in _HOST_SCALARS),
    *("loss_history",) * HISTORY_LENGTH,
    *("accuracy_history",) * HISTORY_LENGTH,
    *_ENV_COUNTS,
)
_HOST_SCALAR_FIELDS = slice(0, len(_HOST_SCALARS))
assert HostMetrics._fields[_HOST_SCALAR_FIELDS] == _ENV_COLUMNS[_HOST_SCALAR_FIELDS], "HostMetrics field order"
_get_env_counts = attrgetter(*_ENV_COUNTS)
_TOTAL_SEEDS_COLUMN = _ENV_COLUMNS.index("total_seeds")
_MAX_SEEDS_COLUMN = _ENV_COLUMNS.index("max_seeds")
_MAX_EPOCHS_COLUMN = _ENV_COLUMNS.index("max_epochs")
assert _TOTAL_SEEDS_COLUMN == BaseFeature.SEED_UTILISATION == BASE_FEATURE_SIZE - 1

# A slot record holds the stage value, the report fields behind the scalar slot features in layout order
# (one run of the block, ALPHA to DOWNSTREAM_ALPHA_SUM), then the blueprint column. The gather copies all
# but the blueprint as one SlotReport slice, whose contribution column holds improvement_since_stage_start,
# and writes a measured counterfactual over it.
_REPORT_SCALARS = tuple(f for f in SlotFeature if f not in SLOT_WIDTHS and f is not SlotFeature.IS_ACTIVE)
assert [int(f) for f in _REPORT_SCALARS] == list(range(SlotFeature.STAGE + NUM_STAGES, SlotFeature.BLUEPRINT))
_SLOT_COLUMNS = ("stage", *(feature.name.lower() for feature in _REPORT_SCALARS), "blueprint")
_SCALAR_COLUMNS = slice(1, 1 + len(_REPORT_SCALARS))
_STAGE_FIELD = SlotReport._fields.index("stage")
_REPORT_FEATURES = slice(_STAGE_FIELD, _STAGE_FIELD + len(_SLOT_COLUMNS) - 1)  # every slot column but the blueprint
# Where the contribution sits in the gathered list right after a report's slice went in (a negative index).
_CONTRIBUTION_FROM_END = _SLOT_COLUMNS.index("contribution") - (len(_SLOT_COLUMNS) - 1)
assert (
    *("contribution" if f == "improvement_since_stage_start" else f for f in SlotReport._fields[_REPORT_FEATURES]),
    "blueprint",
) == _SLOT_COLUMNS, "SlotReport field order"
_STAGE_COLUMN = _SLOT_COLUMNS.index("stage")
_BLUEPRINT_COLUMN = _SLOT_COLUMNS.index("blueprint")
# The blueprint column holds the blueprint's index in BLUEPRINT_IDS, or one of these two values, which set
# no bit. IS_ACTIVE is read off this column too, so an empty slot needs no column of its own.
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


# Columns packed as int64 rather than float64. struct turns an int into a double through a temporary float
# object, which made the int columns (a third of the values) cost as much to pack as all the float ones.
_INT_COLUMNS = _int_fields(HostMetrics, Observation, SlotReport) | {"blueprint"}


def _empty_slot_record() -> tuple[float, ...]:
    """What the gather writes for an empty slot: values the slot math turns into the absent-slot block."""
    record: dict[str, float] = dict.fromkeys(_SLOT_COLUMNS, 0)
    record["blend_tempo_epochs"] = ABSENT_SLOT_TEMPO_EPOCHS
    record["alpha_algorithm"] = ALPHA_ALGORITHM_SHIFT  # reads as ADD → 0.0
    record["stage"] = _NO_STAGE
    record["blueprint"] = _EMPTY_SLOT
    return tuple(int(value) if column in _INT_COLUMNS else float(value) for column, value in record.items())


_EMPTY_SLOT_RECORD = _empty_slot_record()


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
    """``Scaling`` spread over columns, as float64 vectors that broadcast over the batch.

    A per-episode column's ratio is formed before this applies: its ``scale`` is 1, so order does not matter.
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
        # The batch math costs what its passes over the records cost, so each step is one in-place pass.
        values.sub_(self.shift).div_(self.scale).clamp_(self.low, self.high)
        for columns, nan_value in self.nan_fills:
            values[..., columns].nan_to_num_(nan=nan_value, posinf=math.inf, neginf=-math.inf)
        values.nan_to_num_(nan=0.0, posinf=math.inf, neginf=-math.inf)


_BASE_COLUMN_SCALINGS = [BASE_SCALING[f] for f in BaseFeature for _ in range(BASE_WIDTHS.get(f, 1))]
_ENV_SCALINGS = [*_BASE_COLUMN_SCALINGS, *[RAW] * (len(_ENV_COLUMNS) - BASE_FEATURE_SIZE)]
# RAW for the stage and blueprint columns, which the one-hot bits read before scaling.
_SLOT_SCALINGS = [RAW, *(SLOT_SCALING[f] for f in _REPORT_SCALARS), RAW]
_PER_EPISODE_RUNS = [run for run, per_episode in _runs([s.per_episode for s in _SLOT_SCALINGS]) if per_episode]
assert len(_PER_EPISODE_RUNS) == 1
_PER_EPISODE_COLUMNS = _PER_EPISODE_RUNS[0]


@dataclass(frozen=True, slots=True)
class _RecordLayout:
    """What the batch math needs to know about an env record, for one slot count."""

    struct_format: str  # e.g. "2q6dq…": each run of int or float columns as one code
    int_columns: torch.Tensor  # bool per column: packed as int64
    scaling: _ColumnScaling


@functools.cache
def _record_layout(num_slots: int) -> _RecordLayout:
    columns = (*_ENV_COLUMNS, *_SLOT_COLUMNS * num_slots)
    codes = ["q" if column in _INT_COLUMNS else "d" for column in columns]
    return _RecordLayout(
        struct_format="".join(f"{run.stop - run.start}{code}" for run, code in _runs(codes)),
        int_columns=torch.tensor([code == "q" for code in codes]),
        scaling=_ColumnScaling.of([*_ENV_SCALINGS, *_SLOT_SCALINGS * num_slots]),
    )


_STAGE_VALUES = torch.tensor([INDEX_TO_STAGE[index] for index in range(NUM_STAGES)], dtype=torch.float64)
_BLUEPRINT_INDICES = torch.arange(NUM_BLUEPRINTS, dtype=torch.float64)
_STAGE_SPAN = slice(SlotFeature.STAGE, SlotFeature.STAGE + NUM_STAGES)
_REPORT_SCALAR_SPAN = slice(_REPORT_SCALARS[0], _REPORT_SCALARS[-1] + 1)
_BLUEPRINT_SPAN = slice(SlotFeature.BLUEPRINT, SlotFeature.BLUEPRINT + NUM_BLUEPRINTS)


def batch_features(
    observations: Sequence[Observation],
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    telemetry: bool = False,
) -> torch.Tensor:
    """``[B, D]`` features for a batch that shares one slot config, equal to ``batch_features_reference``.

    Raises ``ValueError`` for an empty batch or for observations whose slot configs differ.
    """
    features = _batch_features_without_telemetry(observations, dtype)
    if telemetry:
        # Built per env, as the reference's batched extractor builds it: only telemetry policies pay for it.
        slot_ids = observations[0].slot_config.slot_ids
        blocks = [
            [value for slot_id in slot_ids for value in telemetry_features(_telemetry_of(obs, slot_id))]
            for obs in observations
        ]
        features = torch.cat([features, torch.tensor(blocks, dtype=dtype)], dim=1)
    return features.to(device=device)


def _batch_features_without_telemetry(observations: Sequence[Observation], dtype: torch.dtype) -> torch.Tensor:
    slot_ids = _shared_slot_ids(observations)
    batch, num_slots = len(observations), len(slot_ids)
    layout = _record_layout(num_slots)
    # The math runs in float64 and is rounded once, on the way into `features`, as the reference's values are.
    records = _records(_gather(observations, slot_ids), batch, layout)
    env = records[:, : len(_ENV_COLUMNS)]
    slots = records[:, len(_ENV_COLUMNS) :].view(batch, num_slots, len(_SLOT_COLUMNS))
    features = torch.empty(batch, BASE_FEATURE_SIZE + num_slots * SLOT_FEATURE_SIZE, dtype=dtype)
    blocks = features[:, BASE_FEATURE_SIZE:].view(batch, num_slots, SLOT_FEATURE_SIZE)

    # The bits are compared straight into the blocks, before scaling could touch the columns they read.
    # Comparing values, rather than indexing a table, leaves an invalid stage or unknown blueprint all zeros.
    torch.ne(slots[..., _BLUEPRINT_COLUMN], _EMPTY_SLOT, out=blocks[..., SlotFeature.IS_ACTIVE])
    torch.eq(slots[..., _STAGE_COLUMN, None], _STAGE_VALUES, out=blocks[..., _STAGE_SPAN])
    torch.eq(slots[..., _BLUEPRINT_COLUMN, None], _BLUEPRINT_INDICES, out=blocks[..., _BLUEPRINT_SPAN])

    env[:, _TOTAL_SEEDS_COLUMN] /= env[:, _MAX_SEEDS_COLUMN].clamp(min=1.0)
    slots[..., _PER_EPISODE_COLUMNS] /= env[:, _MAX_EPOCHS_COLUMN, None, None].clamp(min=1.0)
    layout.scaling.apply_(records)
    features[:, :BASE_FEATURE_SIZE] = env[:, :BASE_FEATURE_SIZE]
    blocks[..., _REPORT_SCALAR_SPAN] = slots[..., _SCALAR_COLUMNS]
    return features


def _gather(observations: Sequence[Observation], slot_ids: tuple[str, ...]) -> list[float]:
    try:
        return _gather_records(observations, _reports_getter(slot_ids))
    except KeyError:
        # A slots mapping without some configured slot: the reference reads that slot as empty.
        return _gather_records(observations, lambda slots: tuple(map(slots.get, slot_ids)))


def _reports_getter(slot_ids: tuple[str, ...]) -> Callable[[Mapping[str, SlotReport | None]], tuple]:
    """A slots mapping's reports in slot-config order, with one C call per env where there are several."""
    if len(slot_ids) > 1:
        return itemgetter(*slot_ids)
    (slot_id,) = slot_ids
    return lambda slots: (slots[slot_id],)


def _gather_records(
    observations: Sequence[Observation], reports_of: Callable[[Mapping[str, SlotReport | None]], tuple]
) -> list[float]:
    """Every env's record, one after the other, as one flat list."""
    flat: list[float] = []
    extend, append = flat.extend, flat.append
    blueprint_index = BLUEPRINT_ID_TO_INDEX.get
    for obs in observations:
        host = obs.host
        extend(host[_HOST_SCALAR_FIELDS])
        # Past the first epochs a history holds exactly HISTORY_LENGTH values and goes in as it is.
        losses, accuracies = host.loss_history, host.accuracy_history
        extend(losses if len(losses) == HISTORY_LENGTH else _left_padded(losses))
        extend(accuracies if len(accuracies) == HISTORY_LENGTH else _left_padded(accuracies))
        extend(_get_env_counts(obs))
        for report in reports_of(obs.slots):
            if report is None:
                extend(_EMPTY_SLOT_RECORD)
                continue
            extend(report[_REPORT_FEATURES])
            # SlotReport.contribution's rule, inlined (the property call cost 0.14 µs per report).
            counterfactual = report.counterfactual_contribution
            if counterfactual is not None:
                flat[_CONTRIBUTION_FROM_END] = counterfactual
            append(blueprint_index(report.blueprint_id, _UNKNOWN_BLUEPRINT))
    return flat


@functools.lru_cache(maxsize=8)
def _batch_struct(record_format: str, batch: int) -> struct.Struct:
    # Compiling a whole batch's format takes about as long as packing with it, so each batch shape compiles
    # once (a trainer's batch size rarely changes; a new one costs about what packing as all-float did).
    return struct.Struct(record_format * batch)


def _records(values: list[float], batch: int, layout: _RecordLayout) -> torch.Tensor:
    """The gathered values as a float64 ``[batch, record size]`` tensor, free to change in place."""
    # torch.tensor(list) costs ~10× more per value than packing the list into a buffer first.
    try:
        buffer = bytearray(_batch_struct(layout.struct_format, batch).pack(*values))
    except struct.error:
        # A declared-int field holds a float (or an int past int64): doubles take any number, only slower.
        buffer = bytearray(struct.pack(f"{len(values)}d", *values))
        return torch.frombuffer(buffer, dtype=torch.float64).view(batch, -1)
    as_floats = torch.frombuffer(buffer, dtype=torch.float64).view(batch, -1)
    as_ints = torch.frombuffer(buffer, dtype=torch.int64).view(batch, -1)
    return torch.where(layout.int_columns, as_ints, as_floats)


def _shared_slot_ids(observations: Sequence[Observation]) -> tuple[str, ...]:
    if not observations:
        raise ValueError("feature extraction needs at least one observation")
    slot_ids = observations[0].slot_config.slot_ids
    for index, obs in enumerate(observations):
        if obs.slot_config.slot_ids != slot_ids:
            raise ValueError(
                f"all observations in a batch must share one slot config: observation {index} has "
                f"{obs.slot_config.slot_ids}, observation 0 has {slot_ids}"
            )
    return slot_ids
