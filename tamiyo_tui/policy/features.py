"""Observation → feature vector: the layout, a vectorized batch extractor and a readable per-env reference.

The layout is the reference's *batched* one (what a policy trained by the vectorized trainer saw):
``BASE_FEATURE_SIZE`` host features, then one ``SLOT_FEATURE_SIZE`` block per slot in slot-config order,
and no telemetry block. ``docs/features.md`` has the full table and the choices made where the
reference's two extractors disagree.

``batch_features`` is the hot path: it gathers plain numbers in Python, makes one tensor, and does every
clamp, scale and one-hot as a whole-batch tensor op. ``observation_features`` states the same rules field
by field in plain Python; the tests hold the two equal.

No NaN ever leaves either extractor: a NaN in a loss column becomes the loss cap (as the reference's dict
path does for a missing loss), a NaN anywhere else becomes 0.0.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from operator import attrgetter
from typing import Any

import torch

from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX, BLUEPRINT_IDS, NUM_BLUEPRINTS, TEMPO_TO_EPOCHS, TempoAction
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HISTORY_LENGTH, Observation, SlotReport
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


def get_feature_size(slot_config: SlotConfig) -> int:
    """Length of one observation's feature vector under ``slot_config``."""
    return BASE_FEATURE_SIZE + SLOT_FEATURE_SIZE * slot_config.num_slots


MULTISLOT_FEATURE_SIZE = get_feature_size(SlotConfig.default())
assert MULTISLOT_FEATURE_SIZE == 140


def slot_block_start(slot_index: int) -> int:
    """Index of the first feature of the slot at ``slot_index`` (slot-config order)."""
    return BASE_FEATURE_SIZE + SLOT_FEATURE_SIZE * slot_index


def feature_names(slot_config: SlotConfig) -> tuple[str, ...]:
    """One name per feature, e.g. ``base.val_loss``, ``r0c1.stage.TRAINING``, ``r0c1.blueprint.conv_light``.

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


# --- per-env reference (plain Python) ------------------------------------------------------------------


def observation_features(obs: Observation) -> list[float]:
    """The feature vector of one observation, computed field by field (the readable reference path)."""
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
    return features


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
        _raw(report.alpha_target),
        report.alpha_mode / ALPHA_MODE_SCALE,
        min(report.alpha_steps_total, episode_length) / episode_length,
        min(report.alpha_steps_done, episode_length) / episode_length,
        min(report.time_to_target, episode_length) / episode_length,
        _clamp(report.alpha_velocity, 1.0),
        (report.alpha_algorithm - ALPHA_ALGORITHM_SHIFT) / ALPHA_ALGORITHM_SCALE,
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
    observations: Sequence[Observation], device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """``[B, D]`` features built one env at a time (one tensor per env, then stacked): the slow path."""
    _shared_slot_ids(observations)
    return torch.stack([torch.tensor(observation_features(obs), dtype=dtype, device=device) for obs in observations])


# --- vectorized batch path -----------------------------------------------------------------------------

# Each env is gathered as one record of plain numbers:
#   base columns 0 .. SEED_UTILISATION−1 in layout order (HostMetrics scalars, padded histories,
#   total_params), then total_seeds, max_seeds, max_epochs, then one record per slot: the scalar slot
#   features in layout order, the stage value, the blueprint index.
_HOST_SCALARS = tuple(feature for feature in BaseFeature if feature < BaseFeature.LOSS_HISTORY)
assert list(BaseFeature)[len(_HOST_SCALARS) :] == [
    BaseFeature.LOSS_HISTORY,
    BaseFeature.ACCURACY_HISTORY,
    BaseFeature.TOTAL_PARAMS,
    BaseFeature.SEED_UTILISATION,
]
assert BaseFeature.SEED_UTILISATION == BASE_FEATURE_SIZE - 1
_get_host_scalars = attrgetter(*(feature.name.lower() for feature in _HOST_SCALARS))
_get_env_counts = attrgetter("total_params", "total_seeds", "max_seeds", "max_epochs")
_HISTORY_PADDING = tuple((0.0,) * (HISTORY_LENGTH - recorded) for recorded in range(HISTORY_LENGTH + 1))
_TOTAL_SEEDS_COLUMN = BaseFeature.SEED_UTILISATION.value
_MAX_SEEDS_COLUMN = _TOTAL_SEEDS_COLUMN + 1
_MAX_EPOCHS_COLUMN = _MAX_SEEDS_COLUMN + 1
_ENV_RECORD_SIZE = _MAX_EPOCHS_COLUMN + 1

_SLOT_SCALARS = tuple(feature for feature in SlotFeature if feature not in SLOT_WIDTHS)
assert _SLOT_SCALARS[0] is SlotFeature.IS_ACTIVE
# IS_ACTIVE is not a report field (it is 1.0 for every report); the stage value rides along at the end.
_get_report_fields = attrgetter(*(feature.name.lower() for feature in _SLOT_SCALARS[1:]), "stage")
_STAGE_COLUMN = len(_SLOT_SCALARS)
_BLUEPRINT_COLUMN = _STAGE_COLUMN + 1
_SLOT_RECORD_SIZE = _BLUEPRINT_COLUMN + 1

# One-hot tables indexed by stage value / blueprint index. Their last row is all zeros and stands for an
# absent slot, an invalid stage value or an unknown blueprint id; reserved stage values also map to zeros.
_NO_STAGE = max(STAGE_TO_INDEX) + 1
_NO_BLUEPRINT = NUM_BLUEPRINTS


def _stage_one_hot_by_value() -> torch.Tensor:
    table = torch.zeros(_NO_STAGE + 1, NUM_STAGES, dtype=torch.float64)
    for value, index in STAGE_TO_INDEX.items():
        table[value, index] = 1.0
    return table


_STAGE_ONE_HOT = _stage_one_hot_by_value()
_BLUEPRINT_ONE_HOT = torch.cat(
    [torch.eye(NUM_BLUEPRINTS, dtype=torch.float64), torch.zeros(1, NUM_BLUEPRINTS, dtype=torch.float64)]
)


def _absent_slot_record() -> tuple[float, ...]:
    record = [0.0] * _SLOT_RECORD_SIZE
    record[_SLOT_SCALARS.index(SlotFeature.BLEND_TEMPO_EPOCHS)] = float(ABSENT_SLOT_TEMPO_EPOCHS)
    record[_SLOT_SCALARS.index(SlotFeature.ALPHA_ALGORITHM)] = ALPHA_ALGORITHM_SHIFT  # reads as ADD → 0.0
    record[_STAGE_COLUMN] = _NO_STAGE
    record[_BLUEPRINT_COLUMN] = _NO_BLUEPRINT
    return tuple(record)


_ABSENT_SLOT_RECORD = _absent_slot_record()


def _slot_block_pieces() -> tuple[tuple[slice, SlotFeature | slice], ...]:
    """The slot layout as (block span, source) pairs; a source is a one-hot member or a run of scalar columns."""
    pieces: list[tuple[slice, SlotFeature | slice]] = []
    for feature in SlotFeature:
        span = slice(feature.value, feature.value + SLOT_WIDTHS.get(feature, 1))
        if feature in SLOT_WIDTHS:
            pieces.append((span, feature))
            continue
        column = _SLOT_SCALARS.index(feature)
        source = slice(column, column + 1)
        if pieces and isinstance(pieces[-1][1], slice) and pieces[-1][1].stop == column:
            run_span, run_source = pieces.pop()
            span, source = slice(run_span.start, span.stop), slice(run_source.start, source.stop)
        pieces.append((span, source))
    return tuple(pieces)


_SLOT_BLOCK_PIECES = _slot_block_pieces()


@dataclass(frozen=True, slots=True)
class _ColumnScaling:
    """``Scaling`` spread over columns, as float64 vectors that broadcast over the batch."""

    shift: torch.Tensor
    scale: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor
    nan_value: torch.Tensor
    per_episode: torch.Tensor  # bool

    @classmethod
    def of(cls, scalings: Sequence[Scaling]) -> _ColumnScaling:
        def column(values: Sequence[float | bool], dtype: torch.dtype = torch.float64) -> torch.Tensor:
            return torch.tensor(values, dtype=dtype)

        return cls(
            shift=column([s.shift for s in scalings]),
            scale=column([s.scale for s in scalings]),
            low=column([s.low for s in scalings]),
            high=column([s.high for s in scalings]),
            nan_value=column([s.nan_value for s in scalings]),
            per_episode=column([s.per_episode for s in scalings], torch.bool),
        )

    def apply(self, values: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        scaled = ((values - self.shift) / (self.scale if scale is None else scale)).clamp(self.low, self.high)
        return torch.where(scaled.isnan(), self.nan_value, scaled)


_BASE_COLUMNS = _ColumnScaling.of([BASE_SCALING[f] for f in BaseFeature for _ in range(BASE_WIDTHS.get(f, 1))])
_SLOT_COLUMNS = _ColumnScaling.of([SLOT_SCALING[f] for f in _SLOT_SCALARS])


def batch_features(
    observations: Sequence[Observation], device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """``[B, D]`` features for a batch that shares one slot config, equal to ``batch_features_reference``.

    Raises ``ValueError`` for an empty batch or for observations whose slot configs differ.
    """
    slot_ids = _shared_slot_ids(observations)
    batch, num_slots = len(observations), len(slot_ids)
    flat = _gather(observations, slot_ids)
    # torch.tensor(list) costs ~10× more per element than packing the list into a buffer first. The math runs
    # in float64 and is rounded once on the way into `features`, exactly as the reference's values are.
    raw = torch.frombuffer(bytearray(struct.pack(f"{len(flat)}d", *flat)), dtype=torch.float64).view(batch, -1)
    features = torch.empty(batch, BASE_FEATURE_SIZE + num_slots * SLOT_FEATURE_SIZE, dtype=dtype)

    # Turning total_seeds into the utilisation in place makes raw's first columns the whole base block.
    raw[:, _TOTAL_SEEDS_COLUMN] /= raw[:, _MAX_SEEDS_COLUMN].clamp(min=1.0)
    features[:, :BASE_FEATURE_SIZE] = _BASE_COLUMNS.apply(raw[:, :BASE_FEATURE_SIZE])

    records = raw[:, _ENV_RECORD_SIZE:].view(batch, num_slots, _SLOT_RECORD_SIZE)
    episode_length = raw[:, _MAX_EPOCHS_COLUMN].clamp(min=1.0).view(batch, 1, 1)
    scalars = _SLOT_COLUMNS.apply(
        records[..., :_STAGE_COLUMN], torch.where(_SLOT_COLUMNS.per_episode, episode_length, _SLOT_COLUMNS.scale)
    )
    stage_values = records[..., _STAGE_COLUMN].long()
    # Out-of-range values would index past the table or wrap around from its end.
    stage_rows = torch.where((stage_values >= 0) & (stage_values < _NO_STAGE), stage_values, _NO_STAGE)
    one_hots = {
        SlotFeature.STAGE: _STAGE_ONE_HOT[stage_rows],
        SlotFeature.BLUEPRINT: _BLUEPRINT_ONE_HOT[records[..., _BLUEPRINT_COLUMN].long()],
    }
    blocks = features[:, BASE_FEATURE_SIZE:].view(batch, num_slots, SLOT_FEATURE_SIZE)
    for span, source in _SLOT_BLOCK_PIECES:
        blocks[..., span] = scalars[..., source] if isinstance(source, slice) else one_hots[source]
    return features.to(device=device)


def _gather(observations: Sequence[Observation], slot_ids: tuple[str, ...]) -> list[float]:
    flat: list[float] = []
    extend, append = flat.extend, flat.append
    blueprint_index = BLUEPRINT_ID_TO_INDEX.get
    for obs in observations:
        host = obs.host
        extend(_get_host_scalars(host))
        losses = host.loss_history[-HISTORY_LENGTH:]
        extend(_HISTORY_PADDING[len(losses)])
        extend(losses)
        accuracies = host.accuracy_history[-HISTORY_LENGTH:]
        extend(_HISTORY_PADDING[len(accuracies)])
        extend(accuracies)
        extend(_get_env_counts(obs))
        for report in map(obs.slots.get, slot_ids):
            if report is None:
                extend(_ABSENT_SLOT_RECORD)
                continue
            append(1.0)
            extend(_get_report_fields(report))
            append(blueprint_index(report.blueprint_id, _NO_BLUEPRINT))
    return flat


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
