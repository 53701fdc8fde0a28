"""Pins the reference constants in ``tamiyo_tui.domain.constants`` to their spec values and types.

Sources: domain.md §11 (leyline constants), §1.2 (embargo), §9.3 (heuristic defaults), §9.5 (signal
tracker); lifecycle.md §8.3/§8.5 (governor) and §10 (lifecycle constants).
"""

from __future__ import annotations

import pytest

from tamiyo_tui.domain import constants

SPEC_CONSTANTS: list[tuple[str, object]] = [
    # domain.md §11
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
    # domain.md §1.2 and lifecycle.md §10
    ("DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE", 5),
    ("DEFAULT_GRADIENT_RATIO_THRESHOLD", 0.10),
    ("DEFAULT_BLENDING_TOTAL_STEPS", 5),
    # domain.md §9.5, lifecycle.md §8.1/§8.2
    ("DEFAULT_STABILIZATION_THRESHOLD", 0.03),
    ("DEFAULT_STABILIZATION_EPOCHS", 3),
    ("DEFAULT_PLATEAU_THRESHOLD_PCT", 0.5),
    ("DEFAULT_SIGNAL_HISTORY_WINDOW", 10),
    # domain.md §9.3
    ("DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE", 3),
    ("DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE", 5),
    ("DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT", 5),
    ("DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY", 2.0),
    ("DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE", 0.5),
    ("DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE", 2.0),
    ("DEFAULT_BLUEPRINT_PENALTY_DECAY", 0.5),
    ("DEFAULT_BLUEPRINT_PENALTY_THRESHOLD", 3.0),
    # lifecycle.md §8.3 and §8.5
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
    # The reference's None is spelled 0 here: product.md's scenario key `max_seeds` defaults to 0 = unlimited,
    # and lifecycle.md §9 maps None → 0 before any comparison.
    assert constants.DEFAULT_MAX_SEEDS == 0
    assert type(constants.DEFAULT_MAX_SEEDS) is int


def test_masked_logit_value_is_finite_and_half_precision_safe() -> None:
    # domain.md §5: chosen instead of -inf or finfo.min so fp16/bf16 logits stay finite.
    assert constants.MASKED_LOGIT_VALUE == -10000.0
    assert -65504.0 < constants.MASKED_LOGIT_VALUE < 0.0
