"""MaskedCategorical: masking, normalized entropy, and the two validation errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE
from tamiyo_tui.policy.distributions import InvalidStateMachineError, MaskedCategorical


def bool_mask(*rows: tuple[int, ...]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.bool)


def test_uniform_over_the_valid_options_has_entropy_one() -> None:
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, -5.0, 3.0]])
    mask = bool_mask((1, 1, 1, 1), (1, 1, 0, 1))
    entropy = MaskedCategorical(logits, mask).entropy()
    torch.testing.assert_close(entropy, torch.tensor([1.0, 1.0]))


def test_a_single_valid_option_has_entropy_exactly_zero() -> None:
    logits = torch.tensor([[0.5, -2.0, 1.0]])
    entropy = MaskedCategorical(logits, bool_mask((0, 1, 0))).entropy()
    assert entropy.tolist() == [0.0]


def test_entropy_is_raw_entropy_over_ln_of_the_valid_count() -> None:
    logits = torch.tensor([[math.log(3.0), 0.0, 7.0]])  # valid probabilities 3/4 and 1/4
    entropy = MaskedCategorical(logits, bool_mask((1, 1, 0))).entropy()
    raw = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    torch.testing.assert_close(entropy, torch.tensor([raw / math.log(2.0)]))


def test_masked_options_get_no_probability() -> None:
    logits = torch.tensor([[10.0, 0.0, 10.0, 0.0]])
    dist = MaskedCategorical(logits, bool_mask((0, 1, 0, 1)))
    probs = dist.probs[0]
    assert float(probs[0]) < 1e-30 and float(probs[2]) < 1e-30
    torch.testing.assert_close(probs[[1, 3]], torch.tensor([0.5, 0.5]))
    assert dist.masked_logits[0, 0].item() == MASKED_LOGIT_VALUE
    assert dist.mode().tolist() == [1]


def test_samples_only_valid_options_and_log_prob_matches_probs() -> None:
    torch.manual_seed(0)
    logits = torch.randn(64, 5)
    mask = torch.rand(64, 5) > 0.5
    mask[:, 4] = True  # every row keeps an option
    dist = MaskedCategorical(logits, mask)
    actions = dist.sample()
    assert mask.gather(1, actions.unsqueeze(1)).all()
    expected = dist.probs.gather(1, actions.unsqueeze(1)).squeeze(1).log()
    torch.testing.assert_close(dist.log_prob(actions), expected)
    valid_logits = logits.masked_fill(~mask, -math.inf)
    torch.testing.assert_close(
        dist.log_prob(actions), torch.log_softmax(valid_logits, dim=-1).gather(1, actions[:, None])[:, 0]
    )


def test_a_row_without_any_valid_option_is_a_state_machine_error() -> None:
    mask = bool_mask((1, 0), (0, 0))
    with pytest.raises(InvalidStateMachineError) as caught:
        MaskedCategorical(torch.zeros(2, 2), mask)
    assert isinstance(caught.value, RuntimeError)
    assert str(caught.value).startswith("No valid actions available")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_logits_are_rejected(bad: float) -> None:
    logits = torch.tensor([[0.0, bad, 1.0]])
    with pytest.raises(ValueError, match="inf/nan") as caught:
        MaskedCategorical(logits, bool_mask((1, 1, 1)))
    message = str(caught.value)
    assert f"nan_count={int(math.isnan(bad))}" in message
    assert f"inf_count={int(math.isinf(bad))}" in message
    assert "min=0, max=1" in message


def test_the_mask_is_checked_before_the_logits() -> None:
    with pytest.raises(InvalidStateMachineError):
        MaskedCategorical(torch.tensor([[math.nan, 0.0]]), bool_mask((0, 0)))


def test_validation_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MaskedCategorical, "validate", False)
    dist = MaskedCategorical(torch.zeros(1, 2), bool_mask((0, 0)))  # would raise with validation on
    assert dist.masked_logits.tolist() == [[MASKED_LOGIT_VALUE, MASKED_LOGIT_VALUE]]


@settings(max_examples=100, deadline=None)
@given(
    rows=st.integers(min_value=1, max_value=6),
    width=st.integers(min_value=1, max_value=13),
    data=st.data(),
)
def test_normalized_entropy_stays_in_unit_interval(rows: int, width: int, data: st.DataObject) -> None:
    logit = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False, allow_infinity=False)
    logits = torch.tensor(
        data.draw(st.lists(st.lists(logit, min_size=width, max_size=width), min_size=rows, max_size=rows))
    )
    mask_rows = data.draw(
        st.lists(st.lists(st.booleans(), min_size=width, max_size=width).filter(any), min_size=rows, max_size=rows)
    )
    mask = torch.tensor(mask_rows, dtype=torch.bool)
    entropy = MaskedCategorical(logits, mask).entropy()
    assert entropy.shape == (rows,)
    assert bool(((entropy >= 0.0) & (entropy <= 1.0 + 1e-5)).all()), entropy
    single = mask.sum(dim=-1) == 1
    assert (entropy[single] == 0.0).all()
