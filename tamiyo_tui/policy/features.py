"""Observation → feature vector: the layout, its normalisation table, and one plain extractor.

The layout is the reference's *batched* one (what a policy trained by the vectorized trainer saw):
``BASE_FEATURE_SIZE`` host features, then one ``SLOT_FEATURE_SIZE`` block per slot in slot-config order,
then, for a policy trained with telemetry (the reference trainer's default), one ``TELEMETRY_FEATURE_SIZE``
block per slot read from each seed's telemetry snapshot. ``docs/features.md`` has the full table and the
choices made where the reference's two extractors disagree.

``observation_features`` reads each scalar by the name of its layout member and scales it by the
``BASE_SCALING`` / ``SLOT_SCALING`` table, so the table is the one statement of every normalisation (the
sweep's vectorized extractor reads the same table). No NaN ever leaves it: a NaN in a loss column becomes
the loss cap (as the reference's dict path does for a missing loss), a NaN anywhere else becomes 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import torch

from tamiyo_tui.domain.actions import BLUEPRINT_IDS, NUM_BLUEPRINTS, TEMPO_TO_EPOCHS, TempoAction
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HISTORY_LENGTH, Observation, SeedTelemetry, SlotReport
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
    """Offset of each feature inside one slot block. Width-1 members after IS_ACTIVE name SlotReport attributes."""

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


# --- normalisation (the reference's numbers; the sweep's vectorized extractor reads the same table) -------

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


# The slot block's alpha-controller columns, which the telemetry block repeats from its own snapshot.
CONTROLLER_FEATURES = tuple(f for f in SlotFeature if SlotFeature.ALPHA_TARGET <= f < SlotFeature.INTERACTION_SUM)

# The telemetry block's scales (the reference's numbers).
TELEMETRY_GRADIENT_NORM_CAP = 10.0
TELEMETRY_EPOCHS_IN_STAGE_CAP = 50
TELEMETRY_ACCURACY_SCALE = 100.0
TELEMETRY_ACCURACY_DELTA_SCALE = 10.0  # then clamped to ±1


# --- the extractor -------------------------------------------------------------------------------------


def observation_features(obs: Observation, telemetry: bool = False) -> list[float]:
    """The feature vector of one observation, in layout order.

    With ``telemetry`` each slot's telemetry block follows the slot blocks, in slot-config order. As in the
    reference's batched extractor, a slot's snapshot is read whether or not the slot is enabled.
    """
    episode_length = max(obs.max_epochs, 1)
    features = [value for feature in BaseFeature for value in _base_values(obs, feature)]
    for slot_id in obs.slot_config.slot_ids:
        features += _slot_features(obs.slots.get(slot_id), episode_length)
    if telemetry:
        for slot_id in obs.slot_config.slot_ids:
            features += telemetry_features(_telemetry_of(obs, slot_id))
    return features


def features_tensor(
    observations: Sequence[Observation],
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    telemetry: bool = False,
) -> torch.Tensor:
    """``[B, D]`` features of observations that share one slot config (``ValueError`` otherwise)."""
    shared_slot_ids(observations)
    rows = [observation_features(obs, telemetry) for obs in observations]
    # Computed in float64 and rounded once, as the reference's values are.
    return torch.tensor(rows, dtype=torch.float64).to(device=device, dtype=dtype)


def scaled(value: float, scaling: Scaling, episode_length: int = 1) -> float:
    """``value`` normalised by ``scaling``; ``episode_length`` is the scale of a per-episode column."""
    if math.isnan(value):
        return scaling.nan_value
    scale = episode_length if scaling.per_episode else scaling.scale
    return min(max((value - scaling.shift) / scale, scaling.low), scaling.high)


def _base_values(obs: Observation, feature: BaseFeature) -> list[float]:
    scaling = BASE_SCALING[feature]
    if feature is BaseFeature.LOSS_HISTORY:
        return [scaled(loss, scaling) for loss in left_padded(obs.host.loss_history)]
    if feature is BaseFeature.ACCURACY_HISTORY:
        return [scaled(accuracy, scaling) for accuracy in left_padded(obs.host.accuracy_history)]
    if feature is BaseFeature.TOTAL_PARAMS:
        return [scaled(obs.total_params, scaling)]
    if feature is BaseFeature.SEED_UTILISATION:
        return [scaled(obs.total_seeds / max(obs.max_seeds, 1), scaling)]
    return [scaled(getattr(obs.host, feature.name.lower()), scaling)]


def _slot_features(report: SlotReport | None, episode_length: int) -> list[float]:
    if report is None:
        block = [0.0] * SLOT_FEATURE_SIZE
        block[SlotFeature.BLEND_TEMPO_EPOCHS] = ABSENT_SLOT_TEMPO_EPOCHS / TEMPO_SCALE
        return block
    block: list[float] = []
    for feature in SlotFeature:
        if feature is SlotFeature.IS_ACTIVE:
            block.append(1.0)
        elif feature is SlotFeature.STAGE:
            block += _stage_bits(report.stage)
        elif feature is SlotFeature.BLUEPRINT:
            block += [1.0 if blueprint_id == report.blueprint_id else 0.0 for blueprint_id in BLUEPRINT_IDS]
        else:
            block.append(scaled(getattr(report, feature.name.lower()), SLOT_SCALING[feature], episode_length))
    return block


def _stage_bits(stage: int) -> list[float]:
    """The stage one-hot; a value that is no stage leaves every bit at 0, as the reference's dict path does."""
    bits = [0.0] * NUM_STAGES
    index = STAGE_TO_INDEX.get(stage)
    if index is not None:
        bits[index] = 1.0
    return bits


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
    episode_length = max(t.max_epochs, 1)
    scalars = [
        min(t.gradient_norm, TELEMETRY_GRADIENT_NORM_CAP) / TELEMETRY_GRADIENT_NORM_CAP,
        t.gradient_health,
        float(t.has_vanishing),
        float(t.has_exploding),
        min(t.epochs_in_stage, TELEMETRY_EPOCHS_IN_STAGE_CAP) / TELEMETRY_EPOCHS_IN_STAGE_CAP,
        t.accuracy / TELEMETRY_ACCURACY_SCALE,
        scaled(t.accuracy_delta / TELEMETRY_ACCURACY_DELTA_SCALE, Scaling(low=-1.0, high=1.0)),
        t.alpha,
        t.epoch / episode_length,
    ]
    # The alpha controller's columns read like the slot block's.
    scalars += [scaled(getattr(t, f.name.lower()), SLOT_SCALING[f], episode_length) for f in CONTROLLER_FEATURES]
    return _stage_bits(t.stage) + [scaled(value, RAW) for value in scalars]


def left_padded(history: Sequence[float]) -> tuple[float, ...]:
    """The last HISTORY_LENGTH values, oldest first, with 0.0 in front when fewer were recorded."""
    tail = tuple(history[-HISTORY_LENGTH:])
    return (0.0,) * (HISTORY_LENGTH - len(tail)) + tail


def shared_slot_ids(observations: Sequence[Observation]) -> tuple[str, ...]:
    """The slot ids every observation of a batch shares; ``ValueError`` for an empty or mixed batch."""
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
