"""Calibration math: the temperature fit, folding it into a head, reliability bins, ECE, close calls."""

from __future__ import annotations

import pytest
import torch
from observations import a_report, an_observation

from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy.network import _head
from tamiyo_tui.training.calibration import (
    fit_temperature,
    fold_temperature,
    is_close_call,
    reliability,
    temperature_nll,
)


def test_the_fit_recovers_the_temperature_the_labels_were_drawn_with() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4000, 5, generator=generator) * 4.0
    targets = torch.multinomial(torch.softmax(logits / 2.5, dim=-1), 1, generator=generator).squeeze(1)

    fitted = fit_temperature(logits, targets)

    assert fitted == pytest.approx(2.5, rel=0.1)
    assert temperature_nll(logits, targets, fitted) <= temperature_nll(logits, targets, 1.0)
    assert temperature_nll(logits, targets, fitted) <= temperature_nll(logits, targets, 2.5) + 1e-9


def test_an_overconfident_head_is_cooled_and_a_sure_one_sharpened() -> None:
    logits = torch.tensor([[10.0, 0.0]] * 8 + [[0.0, 10.0]] * 2)
    wrong_sometimes = torch.tensor([0] * 6 + [1] * 2 + [1] * 2)  # 80 % of the sure choices are right
    always_right = logits.argmax(dim=1)

    assert fit_temperature(logits, wrong_sometimes) > 1.0
    assert fit_temperature(logits, always_right) < 1.0
    assert fit_temperature(logits[:0], always_right[:0]) == 1.0  # no data: left alone


def test_folding_a_temperature_divides_the_heads_logits() -> None:
    torch.manual_seed(0)
    head = _head(16, 4)
    trunk = torch.randn(3, 16)
    before = head(trunk).detach()

    fold_temperature(head, 2.0)

    assert torch.allclose(head(trunk).detach(), before / 2.0, atol=1e-6)


def test_reliability_bins_and_the_expected_calibration_error() -> None:
    confidences = [0.55, 0.55, 0.95, 0.97, 1.0, 0.5, 0.3]
    correct = [True, False, True, True, True, True, False]

    rel = reliability(confidences, correct)

    by_range = {(b.low, b.high): b for b in rel.bins if b.count}
    assert by_range[(0.5, 0.6)].count == 3  # 0.5 opens the second bin
    assert by_range[(0.0, 0.5)].count == 1
    assert by_range[(0.95, 0.99)].count == 2
    assert by_range[(0.99, 1.0)].count == 1  # 1.0 falls in the last bin
    assert by_range[(0.5, 0.6)].agreement == pytest.approx(2 / 3)
    expected = 3 / 7 * abs(2 / 3 - 1.6 / 3) + 1 / 7 * abs(0.0 - 0.3) + 2 / 7 * abs(1.0 - 0.96) + 1 / 7 * abs(1.0 - 1.0)
    assert rel.ece == pytest.approx(expected)
    assert rel.count == 7
    assert reliability([0.8] * 10, [True] * 8 + [False] * 2).ece == pytest.approx(0.0)
    assert reliability([], []).ece == 0.0
    with pytest.raises(ValueError):
        reliability([0.5], [])


def test_close_calls_are_states_on_a_rules_threshold() -> None:
    def holding(contribution: float) -> bool:
        report = a_report(stage=SeedStage.HOLDING, counterfactual_contribution=contribution)
        return is_close_call(an_observation(reports={"r0c0": report}))

    def training(improvement: float, epochs: int = 6) -> bool:
        report = a_report(stage=SeedStage.TRAINING, improvement_since_stage_start=improvement, epochs_in_stage=epochs)
        return is_close_call(an_observation(reports={"r0c0": report}))

    assert holding(0.7) and holding(0.1)  # the fossilize threshold is 0.5
    assert not holding(2.0) and not holding(-1.0)
    assert training(-2.3) and not training(1.0)  # the prune threshold is −2.0 after 5 epochs in the stage
    assert not training(-2.3, epochs=2)  # too young to be judged
    assert not is_close_call(an_observation())  # no seed: the germination rules count epochs
