"""Signal tracker, governor and the host/contribution model (``docs/simulator.md``)."""

from __future__ import annotations

import itertools
import math

import pytest

from tamiyo_tui.domain.actions import FactoredAction, LifecycleOp
from tamiyo_tui.sim.governor import (
    PANIC_DIVERGENCE,
    PANIC_LOBOTOMY,
    PANIC_NAN,
    Governor,
    random_guess_loss,
)
from tamiyo_tui.sim.host import (
    AccuracyGenerator,
    HostAccuracy,
    HostModel,
    SeedEffect,
    epoch_noise,
    generator_trend,
    loss_from_accuracy,
    measure,
)
from tamiyo_tui.sim.scenario import ActionSpec, HostEvent, HostScript, Scenario
from tamiyo_tui.sim.signals import SignalTracker
from tamiyo_tui.sim.simulator import Simulator


def feed(tracker: SignalTracker, losses: list[float], accuracies: list[float] | None = None) -> None:
    for index, loss in enumerate(losses):
        accuracy = 50.0 if accuracies is None else accuracies[index]
        tracker.update(val_loss=loss, val_accuracy=accuracy, train_loss=loss, train_accuracy=accuracy)


# --- signal tracker --------------------------------------------------------------------------------


def test_plateau_counts_epochs_below_half_a_point_and_resets_on_progress() -> None:
    tracker = SignalTracker()
    counts = []
    for accuracy in (40.0, 40.4, 40.6, 41.2, 41.3, 41.3):
        tracker.update(val_loss=1.0, val_accuracy=accuracy, train_loss=1.0, train_accuracy=accuracy)
        counts.append(tracker.plateau_epochs)
    # deltas: 40 (from 0), 0.4, 0.2, 0.6, 0.1, 0.0
    assert counts == [0, 1, 2, 0, 1, 2]


def test_stabilization_latches_at_epoch_four_at_the_earliest() -> None:
    tracker = SignalTracker()
    latched = []
    for _ in range(5):
        feed(tracker, [1.0])
        latched.append(tracker.host_stabilized)
    assert latched == [False, False, False, True, True]


def test_stabilization_needs_three_consecutive_small_non_negative_improvements() -> None:
    tracker = SignalTracker()
    feed(tracker, [1.0, 0.99, 0.98, 0.97 * 1.04])  # a regression breaks the run
    assert tracker.stable_count == 0 and not tracker.host_stabilized
    feed(tracker, [0.95])  # a 6 % improvement is progress, not stability
    assert tracker.stable_count == 0
    feed(tracker, [0.945, 0.94])
    assert not tracker.host_stabilized
    feed(tracker, [0.94])
    assert tracker.host_stabilized
    feed(tracker, [5.0, 9.0])
    assert tracker.host_stabilized  # a latch never lets go


def test_metrics_first_epoch_deltas_best_loss_window_and_histories() -> None:
    tracker = SignalTracker()
    feed(tracker, [2.0], [30.0])
    first = tracker.metrics(epoch=1, global_step=100)
    assert (first.loss_delta, first.accuracy_delta, first.best_val_loss) == (math.inf, 30.0, 2.0)
    losses = [0.5] + [1.0 + 0.1 * i for i in range(10)]  # 0.5 falls out of the 10-wide window
    feed(tracker, losses, [40.0 + i for i in range(11)])
    metrics = tracker.metrics(epoch=12, global_step=1200)
    assert metrics.best_val_loss == pytest.approx(1.0)
    assert metrics.loss_history == pytest.approx((1.5, 1.6, 1.7, 1.8, 1.9))
    assert metrics.accuracy_history == (46.0, 47.0, 48.0, 49.0, 50.0)
    assert metrics.loss_delta == pytest.approx(-0.1)
    assert metrics.accuracy_delta == pytest.approx(1.0)
    assert metrics.best_val_accuracy == 50.0


# --- governor --------------------------------------------------------------------------------------


def test_governor_nan_and_inf_panic_at_once() -> None:
    governor = Governor(random_guess_loss(10))
    assert governor.check_vital_signs(math.nan) == PANIC_NAN
    assert governor.consecutive_anomalies == 3
    assert governor.check_vital_signs(math.inf) == PANIC_NAN
    assert len(governor.history) == 0


def test_governor_only_collects_history_below_ten_entries() -> None:
    governor = Governor(random_guess_loss(10))
    assert [governor.check_vital_signs(100.0 if i == 5 else 1.0) for i in range(10)] == [""] * 10
    assert len(governor.history) == 10


def test_governor_divergence_needs_three_consecutive_anomalies_kept_out_of_history() -> None:
    governor = Governor(random_guess_loss(10))
    for _ in range(10):
        governor.check_vital_signs(1.0)
    assert [governor.check_vital_signs(50.0) for _ in range(2)] == ["", ""]
    assert governor.check_vital_signs(1.0) == ""  # a normal epoch resets the run
    assert [governor.check_vital_signs(50.0) for _ in range(3)] == ["", "", PANIC_DIVERGENCE]
    assert len(governor.history) == 11
    governor.on_rollback()
    assert governor.consecutive_anomalies == 0


def test_governor_anomaly_needs_the_absolute_threshold() -> None:
    governor = Governor(random_guess_loss(10))
    for _ in range(10):
        governor.check_vital_signs(1.0)
    assert [governor.check_vital_signs(11.9) for _ in range(4)] == [""] * 4  # huge jump but below 12.0


def test_governor_lobotomy_when_a_learning_run_falls_back_to_a_random_guess() -> None:
    guess = random_guess_loss(10)
    governor = Governor(guess)
    for _ in range(10):
        governor.check_vital_signs(0.5)
    assert governor.check_vital_signs(guess * 1.05) == PANIC_LOBOTOMY
    assert governor.check_vital_signs(guess * 1.2) == ""


def test_governor_snapshot_epochs() -> None:
    governor = Governor(random_guess_loss(10))
    for epoch in range(1, 13):
        governor.maybe_snapshot(epoch)
        governor.check_vital_signs(1.0 / epoch)
    assert governor.last_snapshot_epoch == 10


# --- host and contribution model -------------------------------------------------------------------


def test_loss_from_accuracy_spans_random_guess_to_zero() -> None:
    assert loss_from_accuracy(10.0, 10) == pytest.approx(math.log(10))
    assert loss_from_accuracy(100.0, 10) == 0.0
    assert loss_from_accuracy(55.0, 10) == pytest.approx(math.log(10) / 2)


def test_generator_rises_to_end_at_plateau_and_stays() -> None:
    generator = AccuracyGenerator(start=40.0, end=70.0, plateau_at=11)
    trend = [generator_trend(generator, epoch) for epoch in range(1, 16)]
    assert trend[0] == 40.0 and trend[10:] == [70.0] * 5
    assert all(later >= earlier for earlier, later in itertools.pairwise(trend))
    assert trend[5] == pytest.approx(40.0 + 30.0 * 0.75)  # ease-out: 3/4 of the way at half time


def test_noise_is_a_pure_bounded_function_of_seed_and_epoch() -> None:
    values = [epoch_noise(7, epoch, 0.5) for epoch in range(1, 30)]
    assert values == [epoch_noise(7, epoch, 0.5) for epoch in range(1, 30)]
    assert all(-0.5 <= value <= 0.5 for value in values)
    assert values != [epoch_noise(8, epoch, 0.5) for epoch in range(1, 30)]
    assert epoch_noise(7, 3, 0.0) == 0.0


def host_model(**overrides: object) -> HostModel:
    fields: dict[str, object] = {"name": "h", "description": "", "host": HostScript(val_accuracy=(50.0, 52.0, 53.0))}
    fields.update(overrides)
    return HostModel(Scenario(**fields))  # type: ignore[arg-type]


def test_scripted_values_repeat_the_last_and_events_override_from_their_epoch_on() -> None:
    model = host_model(events=(HostEvent(at=5, metrics={"val_accuracy": 20.0}),))
    assert [model.host_accuracy(epoch).value for epoch in range(1, 8)] == [50.0, 52.0, 53.0, 53.0, 20.0, 20.0, 20.0]


def test_derived_metrics_follow_the_accuracy() -> None:
    model = host_model()
    metrics = model.epoch_metrics(1, measure(HostAccuracy(55.0, 55.0), []))
    assert metrics.val_loss == pytest.approx(math.log(10) / 2)
    assert metrics.train_accuracy == 57.0
    assert metrics.train_loss == pytest.approx(loss_from_accuracy(57.0, 10))


def test_counterfactual_is_alpha_times_contribution_and_sums_follow_slot_order() -> None:
    result = measure(HostAccuracy(60.0, 60.0), [SeedEffect("r0c0", 0.5, 2.0), SeedEffect("r0c2", 1.0, 3.0)])
    assert result.val_accuracy == pytest.approx(64.0)
    assert result.counterfactual == pytest.approx({"r0c0": 1.0, "r0c2": 3.0})
    assert result.upstream_alpha_sum == {"r0c0": 0.0, "r0c2": 0.5}
    assert result.downstream_alpha_sum == {"r0c0": 1.0, "r0c2": 0.0}
    assert result.interaction_sum == {"r0c0": 0.0, "r0c2": 0.0}  # pairs need 3 to 4 measured seeds


def test_pair_interactions_use_the_reference_formula_with_three_seeds() -> None:
    seeds = [SeedEffect("a", 1.0, 1.0), SeedEffect("b", 1.0, 2.0), SeedEffect("c", 1.0, 4.0)]
    result = measure(HostAccuracy(50.0, 50.0), seeds)
    # I_ij = acc(only i, j on) - acc(all but i) - acc(all but j) + acc(none) = -2 x (the third seed's share)
    assert result.interaction_sum == pytest.approx({"a": -8.0 - 4.0, "b": -8.0 - 2.0, "c": -4.0 - 2.0})
    assert result.boost_received == {"a": 0.0, "b": 0.0, "c": 0.0}


def test_accuracies_are_clamped_so_a_saturated_host_shows_less_contribution() -> None:
    result = measure(HostAccuracy(99.0, 99.0), [SeedEffect("r0c0", 1.0, 3.0)])
    assert result.val_accuracy == 100.0
    assert result.counterfactual == {"r0c0": 1.0}


# --- signals through the simulator -----------------------------------------------------------------


def run_host(host: HostScript, epochs: int) -> list:
    sim = Simulator(Scenario(name="s", description="", host=host, episode_length=epochs))
    wait = ActionSpec(LifecycleOp.WAIT).to_factored(sim.scenario.slot_config)
    observed = []
    for _ in range(epochs):
        observed.append(sim.observe().host)
        sim.apply(wait)
    return observed


def test_a_flattening_generator_stabilizes_near_its_plateau() -> None:
    host = HostScript(val_accuracy=AccuracyGenerator(start=30.0, end=80.0, plateau_at=12, noise=0.4))
    observed = run_host(host, 20)
    first_latched = next(metrics.epoch for metrics in observed if metrics.host_stabilized)
    assert 8 <= first_latched <= 14
    assert observed[-1].plateau_epochs >= 5


def test_a_steadily_rising_host_never_stabilizes() -> None:
    observed = run_host(HostScript(val_accuracy=tuple(20.0 + 3.0 * e for e in range(25))), 20)
    assert not any(metrics.host_stabilized for metrics in observed)
    assert all(metrics.plateau_epochs == 0 for metrics in observed)


def test_divergent_scripted_loss_makes_the_governor_roll_back() -> None:
    losses = (1.0,) * 10 + (40.0, 40.0, 40.0)
    sim = Simulator(Scenario(name="g", description="", host=HostScript(val_accuracy=(50.0,), val_loss=losses)))
    wait = FactoredAction.from_indices(0, 1, 2, 1, 2, 0, 0, 0)
    rollbacks = [sim.apply(wait).rollback for _ in range(13)]
    assert rollbacks == [False] * 12 + [True]
