"""The sweep's vectorized features equal ``observation_features`` exactly, row by row."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from observations import a_report, an_observation, observation_from_json, random_observation

from tamiyo_tui.domain.observation import HostMetrics, Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import get_feature_size, observation_features
from tamiyo_tui.sweep.features import SLOT_COLUMNS, batch_features

FEATURE_VECTORS = Path(__file__).parent.parent / "vectors" / "features-telemetry-60205274.json"


def _reference(observations: list[Observation], telemetry: bool = False, dtype: torch.dtype = torch.float32):
    return torch.stack([torch.tensor(observation_features(obs, telemetry), dtype=dtype) for obs in observations])


@pytest.mark.parametrize(
    "config", [SlotConfig.default(), SlotConfig.for_grid(2, 3), SlotConfig(("r0c0",))], ids=["1x3", "2x3", "1x1"]
)
@pytest.mark.parametrize("telemetry", [False, True], ids=["plain", "telemetry"])
def test_batch_equals_the_readable_path_on_random_observations(config: SlotConfig, telemetry: bool) -> None:
    rng = random.Random(20251228)
    observations = [random_observation(rng, config) for _ in range(200)]
    batch = batch_features(observations, telemetry=telemetry)
    assert batch.dtype == torch.float32
    assert batch.shape == (200, get_feature_size(config, telemetry))
    assert torch.equal(batch, _reference(observations, telemetry))
    assert not batch.isnan().any()


def test_batch_honours_dtype_and_device() -> None:
    observations = [random_observation(random.Random(seed), SlotConfig.default()) for seed in range(3)]
    batch = batch_features(observations, device="cpu", dtype=torch.float64)
    assert batch.dtype == torch.float64
    assert batch.device.type == "cpu"
    assert batch.tolist() == [observation_features(obs) for obs in observations]


def test_a_slot_missing_from_the_mapping_reads_as_empty() -> None:
    three_slots = Observation(host=HostMetrics(), slots={"r0c1": a_report("r0c1")}, slot_config=SlotConfig.default())
    one_slot = Observation(host=HostMetrics(), slots={}, slot_config=SlotConfig(("r0c0",)))
    for obs in (three_slots, one_slot):
        assert batch_features([obs, obs], dtype=torch.float64).tolist() == [observation_features(obs)] * 2


@pytest.mark.parametrize(
    ("host_fields", "report_fields", "observation_fields"),
    [
        ({}, {"stage": 3.0}, {}),
        ({}, {"stage": 3.5}, {}),
        ({"epoch": 2.5}, {"alpha_steps_total": 2.5, "blend_tempo_epochs": 5.0}, {"max_epochs": 20.0}),
        ({}, {}, {"total_params": 2**70}),
    ],
    ids=["integral-float-stage", "fractional-stage", "float-counts", "int-past-int64"],
)
def test_batch_equals_the_readable_path_when_an_int_field_holds_another_number(
    host_fields: dict[str, object], report_fields: dict[str, object], observation_fields: dict[str, object]
) -> None:
    host = HostMetrics(**host_fields)  # type: ignore[arg-type]
    obs = an_observation(host, {"r0c0": a_report(**report_fields)}, **observation_fields)
    assert batch_features([obs, obs], dtype=torch.float64).tolist() == [observation_features(obs)] * 2


def test_records_are_read_by_attribute_name_not_by_field_order() -> None:
    """A report type with the same attributes in reversed order gives the same features: nothing in the
    gather depends on how SlotReport (or HostMetrics) orders its fields."""
    rng = random.Random(5)
    obs = random_observation(rng, SlotConfig.default())
    names = [field for field in SLOT_COLUMNS if field != "blueprint"] + ["blueprint_id", "telemetry"]
    Reversed = dataclasses.make_dataclass("Reversed", list(reversed(names)), frozen=True)
    host_names = [name for name in dir(obs.host) if not name.startswith("_") and not callable(getattr(obs.host, name))]
    ReversedHost = dataclasses.make_dataclass("ReversedHost", list(reversed(host_names)), frozen=True)
    shuffled = dataclasses.replace(
        obs,
        host=ReversedHost(**{name: getattr(obs.host, name) for name in host_names}),
        slots={
            slot_id: None if report is None else Reversed(**{name: getattr(report, name) for name in names})
            for slot_id, report in obs.slots.items()
        },
    )
    assert torch.equal(batch_features([shuffled]), batch_features([obs]))
    assert torch.equal(batch_features([obs]), _reference([obs]))


_finite_or_special = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60, deadline=None)
@given(
    loss=_finite_or_special,
    delta=_finite_or_special,
    history=st.lists(_finite_or_special, max_size=7),
    contribution=st.none() | _finite_or_special,
    scaffolding=_finite_or_special,
    steps=st.integers(-5, 60),
    max_epochs=st.integers(0, 60),
)
def test_batch_equals_the_readable_path_for_any_float(
    loss: float,
    delta: float,
    history: list[float],
    contribution: float | None,
    scaffolding: float,
    steps: int,
    max_epochs: int,
) -> None:
    host = HostMetrics(
        val_loss=loss, best_val_loss=loss, loss_delta=delta, accuracy_delta=delta, loss_history=tuple(history)
    )
    report = a_report(
        counterfactual_contribution=contribution,
        alpha_velocity=delta,
        interaction_sum=scaffolding,
        boost_received=scaffolding,
        alpha_steps_total=steps,
        time_to_target=steps,
    )
    obs = an_observation(host, {"r0c0": report}, max_epochs=max_epochs)
    assert batch_features([obs], dtype=torch.float64)[0].tolist() == observation_features(obs)


def test_mixed_and_empty_batches_are_rejected() -> None:
    with pytest.raises(ValueError, match="share one slot config"):
        batch_features([an_observation(), an_observation(slot_config=SlotConfig.for_grid(2, 3))])
    with pytest.raises(ValueError, match="at least one observation"):
        batch_features([])


def test_the_reference_trainers_telemetry_vectors_come_out_of_the_batch_path() -> None:
    """The reference implementation's own batched features, recorded with telemetry (218 per observation)."""
    cases = json.loads(FEATURE_VECTORS.read_text())["cases"]
    observations = [observation_from_json(case["observation"]) for case in cases]
    batch = batch_features(observations, telemetry=True)
    assert batch.tolist() == [case["features"] for case in cases]
    assert not math.isnan(batch.sum().item())
