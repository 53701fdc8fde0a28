"""Feature extraction: the layout, every normalisation rule, and the tensor of a batch of observations."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
import torch
from observations import a_report, an_observation, random_observation

from tamiyo_tui.domain.actions import BLUEPRINT_IDS, BlueprintAction
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HostMetrics, Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy.features import (
    BASE_FEATURE_SIZE,
    MULTISLOT_FEATURE_SIZE,
    SLOT_FEATURE_SIZE,
    BaseFeature,
    SlotFeature,
    feature_names,
    features_tensor,
    get_feature_size,
    observation_features,
    slot_block_start,
)

Extractor = Callable[[Observation], list[float]]


def _as_tensor(obs: Observation) -> list[float]:
    # float64 so the tensor can be compared with exact Python values.
    return features_tensor([obs], dtype=torch.float64)[0].tolist()


EXTRACTORS = pytest.mark.parametrize("extract", [observation_features, _as_tensor], ids=["list", "tensor"])


def _slot_block(features: list[float], slot_index: int = 0) -> list[float]:
    start = slot_block_start(slot_index)
    return features[start : start + SLOT_FEATURE_SIZE]


def _one_slot_features(extract: Extractor, max_epochs: int = 25, **fields: object) -> list[float]:
    return _slot_block(extract(an_observation(reports={"r0c0": a_report(**fields)}, max_epochs=max_epochs)))


# --- layout --------------------------------------------------------------------------------------------


def test_base_offsets_match_the_spec_table() -> None:
    expected = {
        "EPOCH": 0,
        "GLOBAL_STEP": 1,
        "TRAIN_LOSS": 2,
        "VAL_LOSS": 3,
        "LOSS_DELTA": 4,
        "TRAIN_ACCURACY": 5,
        "VAL_ACCURACY": 6,
        "ACCURACY_DELTA": 7,
        "PLATEAU_EPOCHS": 8,
        "BEST_VAL_ACCURACY": 9,
        "BEST_VAL_LOSS": 10,
        "LOSS_HISTORY": 11,
        "ACCURACY_HISTORY": 16,
        "TOTAL_PARAMS": 21,
        "SEED_UTILISATION": 22,
    }
    assert {feature.name: int(feature) for feature in BaseFeature} == expected
    assert BASE_FEATURE_SIZE == 23


def test_slot_offsets_match_the_spec_table() -> None:
    expected = {
        "IS_ACTIVE": 0,
        "STAGE": 1,
        "ALPHA": 11,
        "CONTRIBUTION": 12,
        "CONTRIBUTION_VELOCITY": 13,
        "BLEND_TEMPO_EPOCHS": 14,
        "ALPHA_TARGET": 15,
        "ALPHA_MODE": 16,
        "ALPHA_STEPS_TOTAL": 17,
        "ALPHA_STEPS_DONE": 18,
        "TIME_TO_TARGET": 19,
        "ALPHA_VELOCITY": 20,
        "ALPHA_ALGORITHM": 21,
        "INTERACTION_SUM": 22,
        "BOOST_RECEIVED": 23,
        "UPSTREAM_ALPHA_SUM": 24,
        "DOWNSTREAM_ALPHA_SUM": 25,
        "BLUEPRINT": 26,
    }
    assert {feature.name: int(feature) for feature in SlotFeature} == expected
    assert SLOT_FEATURE_SIZE == 39


@pytest.mark.parametrize(("num_slots", "size"), [(1, 62), (2, 101), (3, 140), (4, 179), (5, 218)])
def test_feature_size_per_slot_count(num_slots: int, size: int) -> None:
    config = SlotConfig.for_grid(1, num_slots)
    assert get_feature_size(config) == size
    assert len(feature_names(config)) == size
    assert len(observation_features(an_observation(slot_config=config))) == size
    assert features_tensor([an_observation(slot_config=config)] * 2).shape == (2, size)


def test_default_config_is_the_multislot_size_and_blocks_start_at_23_plus_39k() -> None:
    assert get_feature_size(SlotConfig.default()) == MULTISLOT_FEATURE_SIZE == 140
    assert [slot_block_start(k) for k in range(4)] == [23, 62, 101, 140]


def test_feature_names_place_each_feature_at_its_index() -> None:
    names = feature_names(SlotConfig.default())
    assert len(set(names)) == len(names)
    assert names[3] == "base.val_loss"
    assert names[11:16] == tuple(f"base.loss_history.t-{age}" for age in (4, 3, 2, 1, 0))
    assert names[22] == "base.seed_utilisation"
    assert names[62] == "r0c1.is_active"
    assert names[62 + 1 + 3] == "r0c1.stage.TRAINING"
    assert names[62 + 1 + 5] == "r0c1.stage.HOLDING"
    assert names[62 + 14] == "r0c1.blend_tempo_epochs"
    assert names[62 + 26 + 1] == "r0c1.blueprint.conv_light"
    assert names[-1] == "r0c2.blueprint.flex_attention"


# --- base features -------------------------------------------------------------------------------------


@EXTRACTORS
def test_raw_host_fields_pass_through(extract: Extractor) -> None:
    host = HostMetrics(
        epoch=7, global_step=3500, train_accuracy=61.5, val_accuracy=150.0, plateau_epochs=4, best_val_accuracy=62.25
    )
    features = extract(an_observation(host, total_params=1_234_567))
    assert features[BaseFeature.EPOCH] == 7.0
    assert features[BaseFeature.GLOBAL_STEP] == 3500.0
    assert features[BaseFeature.TRAIN_ACCURACY] == 61.5
    assert features[BaseFeature.VAL_ACCURACY] == 150.0  # raw: no clamp on accuracies
    assert features[BaseFeature.PLATEAU_EPOCHS] == 4.0
    assert features[BaseFeature.BEST_VAL_ACCURACY] == 62.25
    assert features[BaseFeature.TOTAL_PARAMS] == 1_234_567.0


@EXTRACTORS
@pytest.mark.parametrize(
    "field", ["train_loss", "val_loss", "loss_delta", "accuracy_delta", "best_val_loss"], ids=lambda name: name
)
@pytest.mark.parametrize(("value", "expected"), [(2.5, 2.5), (25.0, 10.0), (-25.0, -10.0), (math.inf, 10.0)])
def test_losses_and_deltas_clamp_to_ten(extract: Extractor, field: str, value: float, expected: float) -> None:
    features = extract(an_observation(HostMetrics(**{field: value})))
    assert features[BaseFeature[field.upper()]] == expected


@EXTRACTORS
def test_first_epoch_loss_delta_and_default_best_val_loss_are_infinite_and_read_ten(extract: Extractor) -> None:
    features = extract(an_observation(HostMetrics(loss_delta=math.inf)))  # best_val_loss defaults to +inf
    assert features[BaseFeature.LOSS_DELTA] == 10.0
    assert features[BaseFeature.BEST_VAL_LOSS] == 10.0
    assert extract(an_observation(HostMetrics(loss_delta=-math.inf)))[BaseFeature.LOSS_DELTA] == -10.0


@EXTRACTORS
def test_nan_reads_as_the_loss_cap_in_loss_columns_and_zero_elsewhere(extract: Extractor) -> None:
    nan = math.nan
    host = HostMetrics(
        train_loss=nan,
        val_loss=nan,
        best_val_loss=nan,
        loss_delta=nan,
        accuracy_delta=nan,
        val_accuracy=nan,
        loss_history=(nan,),
        accuracy_history=(nan,),
    )
    features = extract(an_observation(host))
    assert features[BaseFeature.TRAIN_LOSS] == 10.0
    assert features[BaseFeature.VAL_LOSS] == 10.0
    assert features[BaseFeature.BEST_VAL_LOSS] == 10.0
    assert features[BaseFeature.LOSS_HISTORY + 4] == 10.0
    assert features[BaseFeature.LOSS_DELTA] == 0.0
    assert features[BaseFeature.ACCURACY_DELTA] == 0.0
    assert features[BaseFeature.VAL_ACCURACY] == 0.0
    assert features[BaseFeature.ACCURACY_HISTORY + 4] == 0.0
    assert not any(math.isnan(value) for value in features)


@EXTRACTORS
def test_histories_are_left_padded_with_zero_and_keep_the_last_five(extract: Extractor) -> None:
    short = extract(an_observation(HostMetrics(loss_history=(1.5, 2.5), accuracy_history=(40.0, 120.0))))
    assert short[11:16] == [0.0, 0.0, 0.0, 1.5, 2.5]
    assert short[16:21] == [0.0, 0.0, 0.0, 40.0, 120.0]  # accuracies stay raw
    long = extract(an_observation(HostMetrics(loss_history=(9.0, 8.0, 50.0, 1.0, -30.0, 2.0, 3.0))))
    assert long[11:16] == [10.0, 1.0, -10.0, 2.0, 3.0]  # last five, clamped to ±10
    assert extract(an_observation(HostMetrics()))[11:21] == [0.0] * 10


@EXTRACTORS
@pytest.mark.parametrize(("total", "maximum", "expected"), [(0, 4, 0.0), (1, 4, 0.25), (3, 3, 1.0), (2, 0, 2.0)])
def test_seed_utilisation_divides_by_at_least_one(
    extract: Extractor, total: int, maximum: int, expected: float
) -> None:
    features = extract(an_observation(total_seeds=total, max_seeds=maximum))
    assert features[BaseFeature.SEED_UTILISATION] == expected


# --- per-slot features ---------------------------------------------------------------------------------


@EXTRACTORS
def test_absent_slot_is_zeros_except_standard_tempo(extract: Extractor) -> None:
    block = _slot_block(extract(an_observation()), 1)
    expected = [0.0] * SLOT_FEATURE_SIZE
    expected[SlotFeature.BLEND_TEMPO_EPOCHS] = 5 / 12
    assert block == expected


@EXTRACTORS
@pytest.mark.parametrize("stage", list(SeedStage), ids=lambda stage: stage.name)
def test_every_reported_stage_is_active_with_its_one_hot_bit(extract: Extractor, stage: SeedStage) -> None:
    block = _one_slot_features(extract, stage=stage)
    stage_bits = block[SlotFeature.STAGE : SlotFeature.STAGE + 10]
    assert block[SlotFeature.IS_ACTIVE] == 1.0  # cooldown and fossilized slots included
    expected_index = list(SeedStage).index(stage)
    assert stage_bits == [1.0 if i == expected_index else 0.0 for i in range(10)]


@EXTRACTORS
def test_holding_sets_stage_index_five(extract: Extractor) -> None:
    block = _one_slot_features(extract, stage=SeedStage.HOLDING)
    assert block[SlotFeature.STAGE + 5] == 1.0
    assert sum(block[SlotFeature.STAGE : SlotFeature.STAGE + 10]) == 1.0


@EXTRACTORS
@pytest.mark.parametrize("stage_value", [5, 11, 42, -1, -3])
def test_invalid_stage_value_gives_an_all_zero_stage_one_hot(extract: Extractor, stage_value: int) -> None:
    block = _one_slot_features(extract, stage=stage_value)
    assert block[SlotFeature.IS_ACTIVE] == 1.0
    assert block[SlotFeature.STAGE : SlotFeature.STAGE + 10] == [0.0] * 10


@EXTRACTORS
@pytest.mark.parametrize("blueprint", list(BlueprintAction), ids=lambda member: member.name)
def test_blueprint_one_hot_sits_at_the_enum_value(extract: Extractor, blueprint: BlueprintAction) -> None:
    block = _one_slot_features(extract, blueprint_id=blueprint.to_blueprint_id())
    bits = block[SlotFeature.BLUEPRINT :]
    assert len(bits) == len(BLUEPRINT_IDS) == 13
    assert bits == [1.0 if i == blueprint.value else 0.0 for i in range(13)]


@EXTRACTORS
@pytest.mark.parametrize("blueprint_id", ["", "no_such_blueprint", "CONV_LIGHT"])
def test_unknown_blueprint_id_gives_zeros(extract: Extractor, blueprint_id: str) -> None:
    assert _one_slot_features(extract, blueprint_id=blueprint_id)[SlotFeature.BLUEPRINT :] == [0.0] * 13


@EXTRACTORS
def test_alpha_and_alpha_target_are_raw(extract: Extractor) -> None:
    block = _one_slot_features(extract, alpha=0.375, alpha_target=0.7)
    assert block[SlotFeature.ALPHA] == 0.375
    assert block[SlotFeature.ALPHA_TARGET] == 0.7


@EXTRACTORS
@pytest.mark.parametrize(
    ("counterfactual", "improvement", "expected"),
    [(5.0, -8.0, 0.5), (None, -4.0, -0.4), (25.0, 0.0, 1.0), (-25.0, 0.0, -1.0), (None, 30.0, 1.0), (math.nan, 0, 0.0)],
)
def test_contribution_is_counterfactual_else_improvement_over_ten_clamped(
    extract: Extractor, counterfactual: float | None, improvement: float, expected: float
) -> None:
    block = _one_slot_features(
        extract, counterfactual_contribution=counterfactual, improvement_since_stage_start=improvement
    )
    assert block[SlotFeature.CONTRIBUTION] == expected


@EXTRACTORS
@pytest.mark.parametrize(("velocity", "expected"), [(0.0, 0.0), (2.5, 0.25), (-40.0, -1.0), (12.0, 1.0)])
def test_contribution_velocity_over_ten_clamped(extract: Extractor, velocity: float, expected: float) -> None:
    assert _one_slot_features(extract, contribution_velocity=velocity)[SlotFeature.CONTRIBUTION_VELOCITY] == expected


@EXTRACTORS
@pytest.mark.parametrize("tempo", [3, 5, 8])
def test_tempo_over_twelve(extract: Extractor, tempo: int) -> None:
    assert _one_slot_features(extract, blend_tempo_epochs=tempo)[SlotFeature.BLEND_TEMPO_EPOCHS] == tempo / 12


@EXTRACTORS
@pytest.mark.parametrize(("mode", "expected"), [(AlphaMode.HOLD, 0.0), (AlphaMode.UP, 0.5), (AlphaMode.DOWN, 1.0)])
def test_alpha_mode_over_two(extract: Extractor, mode: AlphaMode, expected: float) -> None:
    assert _one_slot_features(extract, alpha_mode=mode)[SlotFeature.ALPHA_MODE] == expected


@EXTRACTORS
@pytest.mark.parametrize(
    ("algorithm", "expected"), [(AlphaAlgorithm.ADD, 0.0), (AlphaAlgorithm.MULTIPLY, 0.5), (AlphaAlgorithm.GATE, 1.0)]
)
def test_alpha_algorithm_minus_one_over_two(extract: Extractor, algorithm: AlphaAlgorithm, expected: float) -> None:
    assert _one_slot_features(extract, alpha_algorithm=algorithm)[SlotFeature.ALPHA_ALGORITHM] == expected


@EXTRACTORS
@pytest.mark.parametrize(
    ("max_epochs", "steps", "expected"), [(25, 5, 0.2), (25, 25, 1.0), (25, 40, 1.0), (20, 5, 0.25), (0, 3, 1.0)]
)
def test_step_counts_are_fractions_of_the_episode_capped_at_one(
    extract: Extractor, max_epochs: int, steps: int, expected: float
) -> None:
    block = _one_slot_features(
        extract, max_epochs=max_epochs, alpha_steps_total=steps, alpha_steps_done=steps, time_to_target=steps
    )
    assert block[SlotFeature.ALPHA_STEPS_TOTAL] == expected
    assert block[SlotFeature.ALPHA_STEPS_DONE] == expected
    assert block[SlotFeature.TIME_TO_TARGET] == expected


@EXTRACTORS
@pytest.mark.parametrize(("velocity", "expected"), [(0.125, 0.125), (3.0, 1.0), (-2.0, -1.0)])
def test_alpha_velocity_clamps_to_one(extract: Extractor, velocity: float, expected: float) -> None:
    assert _one_slot_features(extract, alpha_velocity=velocity)[SlotFeature.ALPHA_VELOCITY] == expected


@EXTRACTORS
@pytest.mark.parametrize(
    ("field", "scale"),
    [("interaction_sum", 10.0), ("boost_received", 5.0), ("upstream_alpha_sum", 3.0), ("downstream_alpha_sum", 3.0)],
)
def test_scaffolding_features_cap_at_one_with_no_lower_bound(extract: Extractor, field: str, scale: float) -> None:
    offset = SlotFeature[field.upper()]
    assert _one_slot_features(extract, **{field: scale / 2})[offset] == 0.5
    assert _one_slot_features(extract, **{field: scale * 4})[offset] == 1.0
    assert _one_slot_features(extract, **{field: -scale * 3})[offset] == -3.0


@EXTRACTORS
def test_slot_blocks_follow_slot_config_order_on_a_grid(extract: Extractor) -> None:
    config = SlotConfig.for_grid(2, 3)
    reports = {"r1c1": a_report("r1c1", SeedStage.BLENDING, alpha=0.5)}
    features = extract(an_observation(reports=reports, slot_config=config))
    assert len(features) == 23 + 6 * 39
    active = [_slot_block(features, k)[SlotFeature.IS_ACTIVE] for k in range(6)]
    assert active == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert _slot_block(features, 4)[SlotFeature.ALPHA] == 0.5


@pytest.mark.parametrize(
    "config", [SlotConfig.default(), SlotConfig.for_grid(2, 3), SlotConfig(("r0c0",))], ids=["1x3", "2x3", "1x1"]
)
def test_the_tensor_holds_every_observations_features_rounded_once(config: SlotConfig) -> None:
    rng = random.Random(11)
    observations = [random_observation(rng, config) for _ in range(200)]
    batch = features_tensor(observations)
    expected = torch.tensor([observation_features(obs) for obs in observations], dtype=torch.float64)
    assert batch.dtype == torch.float32
    assert batch.shape == (200, get_feature_size(config))
    assert torch.equal(batch, expected.float())
    assert not batch.isnan().any()


def test_the_tensor_honours_dtype_and_device() -> None:
    observations = [an_observation(), an_observation(reports={"r0c1": a_report("r0c1")})]
    batch = features_tensor(observations, device="cpu", dtype=torch.float64)
    assert batch.dtype == torch.float64
    assert batch.device.type == "cpu"
    assert batch.tolist() == [observation_features(obs) for obs in observations]


def test_a_slot_missing_from_the_mapping_reads_as_empty() -> None:
    three_slots = Observation(host=HostMetrics(), slots={"r0c1": a_report("r0c1")}, slot_config=SlotConfig.default())
    with_empty = Observation(
        host=HostMetrics(),
        slots={"r0c0": None, "r0c1": a_report("r0c1"), "r0c2": None},
        slot_config=SlotConfig.default(),
    )
    assert observation_features(three_slots) == observation_features(with_empty)


def test_mixed_slot_configs_are_rejected() -> None:
    mixed = [an_observation(), an_observation(slot_config=SlotConfig.for_grid(2, 3))]
    with pytest.raises(ValueError, match="share one slot config"):
        features_tensor(mixed)
    with pytest.raises(ValueError, match="at least one observation"):
        features_tensor([])
