"""The generation records: the one spoken here is wired to its real pieces; a later one is only recognised."""

from __future__ import annotations

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.features import get_feature_size, observation_features
from tamiyo_tui.policy.generation import ESPER_60205274, RECOGNISED_ONLY, SPOKEN, recognised_only
from tamiyo_tui.policy.network import FactoredRecurrentActorCritic
from tamiyo_tui.rules.masks import explain_masks


def test_the_spoken_generation_is_made_of_the_modules_every_layer_uses() -> None:
    assert SPOKEN == (ESPER_60205274,)
    assert ESPER_60205274.features is observation_features
    assert ESPER_60205274.feature_size is get_feature_size
    assert ESPER_60205274.explain_masks is explain_masks
    assert ESPER_60205274.network is FactoredRecurrentActorCritic
    assert ESPER_60205274.feature_size(SlotConfig.default(), False) == 140


def test_a_later_checkpoint_is_recognised_by_its_modules_or_its_version() -> None:
    (later,) = RECOGNISED_ONLY
    assert recognised_only({"q_head.0.weight": None}) is later
    assert recognised_only({}, checkpoint_version=2) is later
    assert recognised_only(FactoredRecurrentActorCritic(140).state_dict(), checkpoint_version=1) is None
    assert later.trainer_checkpoint_version != ESPER_60205274.id.trainer_checkpoint_version
