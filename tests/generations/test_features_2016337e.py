"""Obs V3 features equal the 2016337e reference's ``batch_obs_to_features`` on random observations with
random run feedback (``tools/make_2016337e_vectors.py``), NaN and infinite values included."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from observations import an_observation, observation_from_json

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.observation import RunFeedback
from tamiyo_tui.generations.esper_2016337e.constants import UNKNOWN, state_dim
from tamiyo_tui.generations.esper_2016337e.features import feature_size, observation_features_v3

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "esper-2016337e-features.json").read_text())


def feedback_from_json(data: dict) -> RunFeedback:
    return RunFeedback(
        last_action_success=data["last_action_success"],
        last_action_op=int(LifecycleOp(data["last_action_op"])),
        gradient_health_prev=tuple(data["gradient_health_prev"].items()),
        epochs_since_counterfactual=tuple(data["epochs_since_counterfactual"].items()),
    )


def same(ours: float, theirs: float) -> bool:
    """Equal as float32 holds them (the reference fills a float32 tensor); NaN equals NaN."""
    if math.isnan(theirs):
        return math.isnan(ours)
    return ours == pytest.approx(theirs, abs=1e-6, rel=1e-6)


@pytest.mark.parametrize("index", range(len(VECTORS["cases"])))
def test_features_and_blueprint_indices_equal_the_reference(index: int) -> None:
    case = VECTORS["cases"][index]
    observation = observation_from_json(case["observation"])
    features, blueprints = observation_features_v3(observation, feedback_from_json(case["feedback"]))
    assert len(features) == feature_size(observation.slot_config.num_slots) == len(case["features"])
    mismatched = [i for i, (a, b) in enumerate(zip(features, case["features"], strict=True)) if not same(a, b)]
    assert not mismatched, [(i, features[i], case["features"][i]) for i in mismatched[:5]]
    assert blueprints == case["blueprint_indices"]


def test_the_vectors_cover_both_layouts_unknowns_and_empty_slots() -> None:
    cases = VECTORS["cases"]
    assert {len(case["observation"]["slot_ids"]) for case in cases} == {3, 4}
    assert sum(UNKNOWN in case["features"] for case in cases) > 50
    assert sum(-1 in case["blueprint_indices"] for case in cases) > 50
    assert state_dim(3) == feature_size(3) == 116


def test_an_episode_length_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_epochs is 0"):
        observation_features_v3(an_observation(max_epochs=0), RunFeedback())
