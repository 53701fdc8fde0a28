"""build_policy_batch: the plain features and the rule masks, as tensors on the policy's device."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.features import observation_features
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


@pytest.mark.parametrize("override", [False, True])
def test_the_batch_holds_each_observations_features_and_rule_masks(override: bool) -> None:
    observations = _observations(20)[-5:]
    batch = build_policy_batch(observations, allow_governor_override=override)
    expected_features = torch.tensor([observation_features(obs) for obs in observations], dtype=torch.float64)
    assert torch.equal(batch.features, expected_features.float())
    for row, obs in enumerate(observations):
        rules = compute_masks(MaskInputs.from_observation(obs, allow_governor_override=override))
        for head in HEAD_NAMES:
            assert batch.masks[head][row].tolist() == list(rules[head]), head
    assert batch.features.shape == (5, 140)


def test_masks_the_caller_already_has_are_used_as_given() -> None:
    observation = _observations(6)[-1]
    rows = compute_masks(MaskInputs.from_observation(observation))
    rows = {**rows, "tempo": (True, False, False)}  # not what the rules say: it must be taken as given
    batch = build_policy_batch([observation], mask_rows=[rows])
    assert batch.masks["tempo"][0].tolist() == [True, False, False]


def test_observations_of_different_slot_configs_are_refused() -> None:
    small = Scenario(
        name="one",
        description="",
        host=HostScript(val_accuracy=AccuracyGenerator(40.0, 70.0, 8, 0.3)),
        slot_config=SlotConfig(("r0c0",)),
        episode_length=3,
    )
    with pytest.raises(ValueError, match="share one slot config"):
        build_policy_batch([_observations(2)[0], Simulator(small).observe()])


@pytest.mark.parametrize("total_params", [10**6, 10**39, 3.4028236e38])
def test_every_value_is_rounded_once_to_float32(total_params: float) -> None:
    # 1e39 is past float32's range: it becomes inf, as torch's cast makes it; 3.4028236e38 rounds down to the max.
    observation = dataclasses.replace(_observations(6)[-1], total_params=total_params)
    features = build_policy_batch([observation]).features
    expected = torch.tensor([observation_features(observation)], dtype=torch.float64).to(torch.float32)
    assert torch.equal(features, expected)
    assert features.dtype == torch.float32
