"""The scripted host and the seed contribution model (the simulator's stand-in for training).

Everything here is a pure function of the scenario and the epoch (plus the seeds' alphas for the
contribution model), so replaying an epoch always produces the same numbers. ``docs/simulator.md``
describes the model in words.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from tamiyo_tui.sim.scenario import AccuracyGenerator, HostEvent, Scenario

# The reference counts a global step per training batch; the simulator has no batches, so it assumes a
# fixed number per epoch to keep the `global_step` feature on a plausible scale.
BATCHES_PER_EPOCH = 100
# Training accuracy sits this many points above validation when the script does not give it.
TRAIN_ACCURACY_GAP = 2.0
# Mixes the scenario seed with the epoch without relying on hash() (which is salted per process for str).
NOISE_SEED_STRIDE = 1_000_003
# The reference's fused validation measures "all off" from 2 seeds on and pairs for 3 to 4 seeds.
MIN_SEEDS_FOR_PAIRS = 3
MAX_SEEDS_FOR_PAIRS = 4

# The host metrics a scenario scripts, each with the (minimum, maximum) it may take: accuracies are
# percentages, losses are non-negative.
HOST_METRIC_RANGES: dict[str, tuple[float, float | None]] = {
    "val_accuracy": (0.0, 100.0),
    "val_loss": (0.0, None),
    "train_accuracy": (0.0, 100.0),
    "train_loss": (0.0, None),
}
HOST_METRIC_KEYS = tuple(HOST_METRIC_RANGES)


def _clamp_accuracy(value: float) -> float:
    return min(100.0, max(0.0, value))


def loss_from_accuracy(accuracy: float, num_classes: int) -> float:
    """A cross-entropy-like loss for an accuracy: ln(C) at chance level (100/C %), 0 at 100 %, linear between.

    Linear in accuracy, so a flattening accuracy curve gives a flattening loss and the stabilization
    latch (relative loss improvement below 3 % for 3 epochs) fires near the plateau.
    """
    classes = max(num_classes, 2)
    chance = 100.0 / classes
    return math.log(classes) * (100.0 - _clamp_accuracy(accuracy)) / (100.0 - chance)


def generator_trend(generator: AccuracyGenerator, epoch: int) -> float:
    """The noise-free curve: an ease-out rise from ``start`` (epoch 1) to ``end`` (epoch ``plateau_at``), then flat."""
    if generator.plateau_at <= 1:
        return generator.end
    t = min(1.0, max(0.0, (epoch - 1) / (generator.plateau_at - 1)))
    return generator.start + (generator.end - generator.start) * (1.0 - (1.0 - t) ** 2)


def epoch_noise(seed: int, epoch: int, amplitude: float) -> float:
    """Uniform noise in [-amplitude, amplitude], a pure function of (seed, epoch): replays never drift."""
    if amplitude <= 0.0:
        return 0.0
    return random.Random(seed * NOISE_SEED_STRIDE + epoch).uniform(-amplitude, amplitude)


def _scripted(values: Sequence[float], epoch: int) -> float:
    return values[min(epoch - 1, len(values) - 1)]


@dataclass(frozen=True, slots=True)
class HostAccuracy:
    """The host alone (no seed) at one epoch: the reported value and the noise-free trend behind it."""

    value: float
    trend: float


@dataclass(frozen=True, slots=True)
class EpochMetrics:
    """What the training loop reports for one epoch, besides the validation accuracy."""

    val_loss: float
    train_accuracy: float
    train_loss: float


@dataclass(frozen=True, slots=True)
class SeedEffect:
    """One measured seed (alpha > 0) as the contribution model sees it."""

    slot_id: str
    alpha: float
    contribution: float  # accuracy points at alpha 1


@dataclass(frozen=True, slots=True)
class Measurement:
    """The fused validation pass of one epoch (the reference's per-epoch validation), per measured slot id."""

    val_accuracy: float
    trend_accuracy: float
    counterfactual: dict[str, float]
    interaction_sum: dict[str, float]
    boost_received: dict[str, float]
    upstream_alpha_sum: dict[str, float]
    downstream_alpha_sum: dict[str, float]


def measure(host: HostAccuracy, seeds: Sequence[SeedEffect]) -> Measurement:
    """Run the ablation configs of the reference's fused validation on the additive model.

    ``seeds`` are the measured seeds in slot order. A config's accuracy is the host plus the sum of
    alpha·contribution over the seeds left on, clamped to [0, 100]. Counterfactuals, pair interactions
    (with the reference's formula, quirk included) and the upstream/downstream alpha sums follow from it.
    """

    def accuracy(on: frozenset[int], base: float) -> float:
        return _clamp_accuracy(base + sum(seeds[i].alpha * seeds[i].contribution for i in on))

    everyone = frozenset(range(len(seeds)))
    main = accuracy(everyone, host.value)
    solo_ablation = {i: accuracy(everyone - {i}, host.value) for i in everyone}
    counterfactual = {seeds[i].slot_id: main - solo_ablation[i] for i in everyone}
    interaction = {seed.slot_id: 0.0 for seed in seeds}
    boost = {seed.slot_id: 0.0 for seed in seeds}
    if MIN_SEEDS_FOR_PAIRS <= len(seeds) <= MAX_SEEDS_FOR_PAIRS:
        all_off = accuracy(frozenset(), host.value)
        for i in everyone:
            for j in everyone:
                if j <= i:
                    continue
                # The reference reads the "i disabled" accuracies as if they were "i alone" (a quirk, kept).
                pair = accuracy(frozenset({i, j}), host.value) - solo_ablation[i] - solo_ablation[j] + all_off
                for k in (i, j):
                    interaction[seeds[k].slot_id] += pair
                    boost[seeds[k].slot_id] = max(boost[seeds[k].slot_id], pair)
    alphas = [seed.alpha for seed in seeds]
    return Measurement(
        val_accuracy=main,
        trend_accuracy=accuracy(everyone, host.trend),
        counterfactual=counterfactual,
        interaction_sum=interaction,
        boost_received=boost,
        upstream_alpha_sum={seed.slot_id: sum(alphas[:i]) for i, seed in enumerate(seeds)},
        downstream_alpha_sum={seed.slot_id: sum(alphas[i + 1 :]) for i, seed in enumerate(seeds)},
    )


class HostModel:
    """The scenario's host script with its `host:` event overrides applied."""

    def __init__(self, scenario: Scenario) -> None:
        self._script = scenario.host
        self._seed = scenario.seed
        overrides: dict[str, list[tuple[int, float]]] = {key: [] for key in HOST_METRIC_KEYS}
        for event in scenario.events:
            if isinstance(event, HostEvent):
                for key, value in event.metrics.items():
                    if key not in overrides:
                        raise ValueError(f"host event at epoch {event.at}: unknown metric {key!r}")
                    overrides[key].append((event.at, float(value)))
        # Sorted by epoch; a later event in file order wins a tie, as it was written later.
        self._overrides = {key: sorted(entries, key=lambda entry: entry[0]) for key, entries in overrides.items()}

    @property
    def params(self) -> int:
        return self._script.params

    @property
    def num_classes(self) -> int:
        return self._script.num_classes

    def _override(self, key: str, epoch: int) -> float | None:
        found = None
        for at, value in self._overrides[key]:
            if at > epoch:
                break
            found = value
        return found

    def host_accuracy(self, epoch: int) -> HostAccuracy:
        override = self._override("val_accuracy", epoch)
        if override is not None:
            return HostAccuracy(override, override)
        script = self._script.val_accuracy
        if isinstance(script, AccuracyGenerator):
            trend = generator_trend(script, epoch)
            return HostAccuracy(_clamp_accuracy(trend + epoch_noise(self._seed, epoch, script.noise)), trend)
        value = _scripted(script, epoch)
        return HostAccuracy(value, value)

    def epoch_metrics(self, epoch: int, measurement: Measurement) -> EpochMetrics:
        """Loss and train metrics: the script's (or an override's) value, else derived from the accuracy."""
        val_loss = self._metric("val_loss", self._script.val_loss, epoch)
        if val_loss is None:
            val_loss = loss_from_accuracy(measurement.trend_accuracy, self.num_classes)
        train_accuracy = self._metric("train_accuracy", self._script.train_accuracy, epoch)
        if train_accuracy is None:
            train_accuracy = _clamp_accuracy(measurement.val_accuracy + TRAIN_ACCURACY_GAP)
        train_loss = self._metric("train_loss", self._script.train_loss, epoch)
        if train_loss is None:
            train_loss = loss_from_accuracy(train_accuracy, self.num_classes)
        return EpochMetrics(val_loss=val_loss, train_accuracy=train_accuracy, train_loss=train_loss)

    def _metric(self, key: str, script: tuple[float, ...] | None, epoch: int) -> float | None:
        override = self._override(key, epoch)
        if override is not None:
            return override
        if script:
            return _scripted(script, epoch)
        return None
