"""Obs V3 features equal the 2016337e reference's ``batch_obs_to_features`` on 1,000 random observations with
random run feedback (``tools/make_2016337e_vectors.py``), NaN and infinite values included: 100 recorded in
full (three slots and 2x2) and 900 drawn again here from their seed (three slots, 2x2, one slot, 3x3), each
checked against a digest of the observation the reference saw."""

from __future__ import annotations

import array
import base64
import json
import math
from pathlib import Path

import pytest
from observations import an_observation, observation_digest, observation_from_json, seeded_feature_case

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


def float32s(text: str) -> list[float]:
    values = array.array("f")
    values.frombytes(base64.b64decode(text))
    return list(values)


def assert_features_equal(observation, feedback: dict, expected: list[float], blueprints_expected: list[int]) -> None:
    features, blueprints = observation_features_v3(observation, feedback_from_json(feedback))
    assert len(features) == feature_size(observation.slot_config.num_slots) == len(expected)
    mismatched = [i for i, (a, b) in enumerate(zip(features, expected, strict=True)) if not same(a, b)]
    assert not mismatched, [(i, features[i], expected[i]) for i in mismatched[:5]]
    assert blueprints == blueprints_expected


@pytest.mark.parametrize("start", range(0, len(VECTORS["seeded"]), 50))
def test_seeded_features_equal_the_reference_on_every_layout(start: int) -> None:
    for case in VECTORS["seeded"][start : start + 50]:
        observation, feedback = seeded_feature_case(case["seed"], case["slot_ids"])
        assert observation_digest(observation) == case["digest"], "tests/observations.py draws differently now"
        assert_features_equal(observation, feedback, float32s(case["features_f32"]), case["blueprint_indices"])


def test_the_vectors_cover_every_layout_unknowns_and_empty_slots() -> None:
    cases = VECTORS["cases"]
    assert {len(case["observation"]["slot_ids"]) for case in cases} == {3, 4}
    assert sum(UNKNOWN in case["features"] for case in cases) > 50
    assert sum(-1 in case["blueprint_indices"] for case in cases) > 50
    seeded = VECTORS["seeded"]
    assert len(cases) + len(seeded) >= 1000
    assert {len(case["slot_ids"]) for case in seeded} == {1, 3, 4, 9}
    assert sum(UNKNOWN in float32s(case["features_f32"]) for case in seeded) > 400
    assert sum(-1 in case["blueprint_indices"] for case in seeded) > 400
    assert state_dim(3) == feature_size(3) == 116


def test_an_episode_length_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_epochs is 0"):
        observation_features_v3(an_observation(max_epochs=0), RunFeedback())
