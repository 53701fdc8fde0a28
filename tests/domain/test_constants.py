"""Pins the reference constants in ``tamiyo_tui.domain.constants`` to their spec values and types.

Sources: the reference's leyline constants, embargo, heuristic defaults, signal tracker, governor and
lifecycle constants.
"""

from __future__ import annotations

import pytest

from tamiyo_tui.domain import constants

SPEC_CONSTANTS: list[tuple[str, object]] = [
    # leyline constants
    ("LEYLINE_VERSION", "0.2.0"),
    ("MIN_PRUNE_AGE", 1),
    ("FULL_EVALUATION_AGE", 10),
    ("MIN_HOLDING_EPOCHS", 5),
    ("MASKED_LOGIT_VALUE", -1e4),
    ("DEFAULT_EPISODE_LENGTH", 25),
    ("DEFAULT_LSTM_HIDDEN_DIM", 128),
    ("DEFAULT_FEATURE_DIM", 128),
    ("DEFAULT_GAMMA", 0.995),
    ("DEFAULT_MIN_BLENDING_EPOCHS", 3),
    ("DEFAULT_MIN_FOSSILIZE_CONTRIBUTION", 1.0),
    ("DEFAULT_MIN_TRAINING_IMPROVEMENT", 0.5),
    # embargo and lifecycle constants
    ("DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE", 5),
    ("DEFAULT_GRADIENT_RATIO_THRESHOLD", 0.10),
    ("DEFAULT_BLENDING_TOTAL_STEPS", 5),
    # signal tracker
    ("DEFAULT_STABILIZATION_THRESHOLD", 0.03),
    ("DEFAULT_STABILIZATION_EPOCHS", 3),
    ("DEFAULT_PLATEAU_THRESHOLD_PCT", 0.5),
    ("DEFAULT_SIGNAL_HISTORY_WINDOW", 10),
    # heuristic defaults
    ("DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE", 3),
    ("DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE", 5),
    ("DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT", 5),
    ("DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY", 2.0),
    ("DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE", 0.5),
    ("DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE", 2.0),
    ("DEFAULT_BLUEPRINT_PENALTY_DECAY", 0.5),
    ("DEFAULT_BLUEPRINT_PENALTY_THRESHOLD", 3.0),
    # governor
    ("GOVERNOR_SENSITIVITY", 6.0),
    ("GOVERNOR_LOSS_MULTIPLIER", 3.0),
    ("GOVERNOR_ABSOLUTE_THRESHOLD", 12.0),
    ("GOVERNOR_DEATH_PENALTY", 10.0),
    ("GOVERNOR_HISTORY_WINDOW", 20),
    ("GOVERNOR_MIN_PANICS", 3),
    ("GOVERNOR_SNAPSHOT_EVERY", 5),
]


@pytest.mark.parametrize(("name", "expected"), SPEC_CONSTANTS, ids=[name for name, _ in SPEC_CONSTANTS])
def test_constant_value_and_type(name: str, expected: object) -> None:
    actual = getattr(constants, name)
    assert actual == expected
    # A float written as an int (or the reverse) would change arithmetic and formatting downstream.
    assert type(actual) is type(expected)


def test_default_max_seeds_means_unlimited() -> None:
    # The reference's None is spelled 0 here: the scenario key `max_seeds` defaults to 0 = unlimited,
    # and the reference maps None → 0 before any comparison.
    assert constants.DEFAULT_MAX_SEEDS == 0
    assert type(constants.DEFAULT_MAX_SEEDS) is int


def test_masked_logit_value_is_finite_and_half_precision_safe() -> None:
    # The reference's mask value: chosen instead of -inf or finfo.min so fp16/bf16 logits stay finite.
    assert constants.MASKED_LOGIT_VALUE == -10000.0
    assert -65504.0 < constants.MASKED_LOGIT_VALUE < 0.0
