"""The two routes of build_policy_batch (per-env for a few envs, vectorized for many) give equal tensors."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from tamiyo_tui.domain.actions import FactoredAction, LifecycleOp
from tamiyo_tui.policy.batch import SMALL_BATCH, build_policy_batch
from tamiyo_tui.policy.features import batch_features
from tamiyo_tui.policy.masks import masks_from_observations
from tamiyo_tui.rules.masks import MaskInputs, compute_masks
from tamiyo_tui.sim.scenario import AccuracyGenerator, HostScript, Scenario
from tamiyo_tui.sim.simulator import Simulator


def _observations(count: int) -> list:
    scenario = Scenario(
        name="batch",
        description="varied states",
        host=HostScript(val_accuracy=AccuracyGenerator(40.0, 70.0, 8, 0.3)),
        episode_length=count,
    )
    sim = Simulator(scenario)
    ops = [LifecycleOp.GERMINATE, LifecycleOp.ADVANCE, LifecycleOp.ADVANCE, LifecycleOp.WAIT, LifecycleOp.PRUNE]
    observations = []
    for epoch in range(count):
        observations.append(sim.observe())
        sim.apply(FactoredAction.from_indices(epoch % 3, 1, 2, 0, 2, 0, 0, ops[epoch % len(ops)]))
    return observations


@pytest.mark.parametrize("size", [1, 3, SMALL_BATCH - 1])
@pytest.mark.parametrize("override", [False, True])
def test_the_per_env_route_equals_the_vectorized_paths(size: int, override: bool) -> None:
    observations = _observations(20)[-size:]
    batch = build_policy_batch(observations, allow_governor_override=override)
    assert torch.equal(batch.features, batch_features(observations))
    expected = masks_from_observations(observations, allow_governor_override=override)
    assert batch.masks.keys() == expected.keys()
    for head, mask in expected.items():
        assert torch.equal(batch.masks[head], mask), head


def test_masks_the_caller_already_has_are_used_as_given() -> None:
    observation = _observations(6)[-1]
    rows = compute_masks(MaskInputs.from_observation(observation))
    batch = build_policy_batch([observation], mask_rows=[rows])
    assert [bool(v) for v in batch.masks["op"][0]] == list(rows["op"])


def test_a_large_batch_takes_the_vectorized_route_with_the_same_result() -> None:
    observations = _observations(30)
    batch = build_policy_batch(observations)
    assert batch.features.shape == (30, 140)
    assert torch.equal(batch.masks["op"], masks_from_observations(observations)["op"])


@pytest.mark.parametrize("total_params", [10**6, 10**39, 3.4028236e38])
def test_the_per_env_route_rounds_every_value_as_the_vectorized_path_does(total_params: float) -> None:
    # 1e39 is past float32's range (struct refuses it; torch makes it inf); 3.4028236e38 rounds down to the max.
    observation = dataclasses.replace(_observations(6)[-1], total_params=total_params)
    features = build_policy_batch([observation]).features
    assert torch.equal(features, batch_features([observation]))
    assert features.dtype == torch.float32
