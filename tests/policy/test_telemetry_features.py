"""The telemetry feature block: the reference's extractor on random snapshots, and what the simulator
puts in each seed's snapshot epoch by epoch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from observations import observation_from_json

from tamiyo_tui.domain.observation import SeedTelemetry
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy.features import (
    TELEMETRY_FEATURE_SIZE,
    feature_names,
    features_tensor,
    get_feature_size,
    observation_features,
    telemetry_features,
    uses_telemetry,
)
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import load_scenario

VECTORS = Path(__file__).parent.parent / "vectors" / "telemetry-60205274.json"
SCENARIO = Path(__file__).parent.parent / "data" / "telemetry-signals.yaml"


def test_the_block_equals_the_reference_extractor_on_random_snapshots() -> None:
    cases = json.loads(VECTORS.read_text())["cases"]
    assert len(cases) >= 100
    for case in cases:
        assert telemetry_features(SeedTelemetry(**case["snapshot"])) == case["features"], case["snapshot"]


def test_no_snapshot_is_26_zeros() -> None:
    assert telemetry_features(None) == [0.0] * TELEMETRY_FEATURE_SIZE


def test_three_slots_with_telemetry_are_218_features_and_both_layouts_are_recognised() -> None:
    config = SlotConfig.default()
    assert get_feature_size(config, telemetry=True) == 218
    assert len(feature_names(config, telemetry=True)) == 218
    assert uses_telemetry(218, config) and not uses_telemetry(140, config)
    with pytest.raises(ValueError, match="fit no layout"):
        uses_telemetry(141, config)


def _session() -> InspectionSession:
    scenario = load_scenario(SCENARIO)
    policies = load_policies(resolve_policy("heuristic"), scenario, device="cpu")
    return InspectionSession(scenario, policies.runner, active=policies.active)


def _snapshots_by_epoch() -> dict[int, SeedTelemetry | None]:
    session = _session()
    seen: dict[int, SeedTelemetry | None] = {}
    while not session.done:
        obs = session.observation()
        report = obs.slots["r0c0"]
        seen[obs.host.epoch] = None if report is None else report.telemetry
        if report is not None and report.stage not in (SeedStage.PRUNED, SeedStage.EMBARGOED, SeedStage.RESETTING):
            assert report.telemetry.accuracy == obs.host.val_accuracy  # what the seed recorded this epoch
        features = observation_features(obs, telemetry=True)
        batched = features_tensor([obs], dtype=torch.float64, telemetry=True)[0].tolist()
        assert features == batched
        assert features[-3 * TELEMETRY_FEATURE_SIZE :][:TELEMETRY_FEATURE_SIZE] == telemetry_features(
            None if report is None else report.telemetry
        )
        session.step()
    return seen


def test_the_simulator_syncs_each_seed_snapshot_as_the_trainer_does() -> None:
    seen = _snapshots_by_epoch()
    assert seen[1] is None  # germinated at the end of epoch 1
    germinated = seen[2]
    assert germinated is not None and germinated.stage == SeedStage.GERMINATED
    # Not trained yet: gradients not measured, so the defaults stay; alpha 0, so no accuracy delta.
    assert (germinated.gradient_norm, germinated.gradient_health, germinated.has_exploding) == (0.0, 1.0, False)
    assert germinated.accuracy_delta == 0.0 and germinated.epoch == 2 and germinated.max_epochs == 12
    training = seen[3]
    assert training.stage == SeedStage.TRAINING
    assert (training.gradient_norm, training.gradient_health, training.has_exploding) == (150.0, 0.6, True)
    assert training.accuracy_delta == 0.0
    blending = seen[5]
    assert blending.stage == SeedStage.BLENDING and blending.accuracy_delta != 0.0
    assert blending.alpha_mode == 1 and blending.time_to_target > 0
    # Pruned at the end of epoch 6: the snapshot is never synced again and keeps its last live values.
    for epoch in (7, 8, 9):
        assert seen[epoch] == seen[6], epoch
    assert seen[7].stage == SeedStage.BLENDING and seen[7].epoch == 6


def test_a_restored_snapshot_reproduces_every_telemetry_value() -> None:
    session = _session()
    for _ in range(6):
        session.step()
    before = session.observation().slots["r0c0"].telemetry
    session.step()
    session.step_back()
    assert session.observation().slots["r0c0"].telemetry == before


FEATURE_VECTORS = Path(__file__).parent.parent / "vectors" / "features-telemetry-60205274.json"


def test_whole_observations_with_telemetry_equal_the_reference_batched_extractor() -> None:
    cases = json.loads(FEATURE_VECTORS.read_text())["cases"]
    assert len(cases) >= 100
    for case in cases:
        obs = observation_from_json(case["observation"])
        ours = torch.tensor(observation_features(obs, telemetry=True), dtype=torch.float32).tolist()
        batched = features_tensor([obs], telemetry=True)[0].tolist()
        assert len(ours) == len(case["features"]) == 218
        assert ours == case["features"], [
            (name, mine, theirs)
            for name, mine, theirs in zip(feature_names(obs.slot_config, True), ours, case["features"], strict=True)
            if mine != theirs
        ]
        assert batched == ours
