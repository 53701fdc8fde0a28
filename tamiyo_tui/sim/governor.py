"""The governor (Tolaria): vital signs on the validation loss, snapshots, and the rollback verdict.

Follows the reference's governor (``docs/simulator.md``). The simulator has no weights to restore, so a
"snapshot" only records the epoch it was taken at; what a rollback does to the seeds is carried out by
the simulator.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

from tamiyo_tui.domain.constants import (
    GOVERNOR_ABSOLUTE_THRESHOLD,
    GOVERNOR_HISTORY_WINDOW,
    GOVERNOR_LOSS_MULTIPLIER,
    GOVERNOR_MIN_PANICS,
    GOVERNOR_SENSITIVITY,
    GOVERNOR_SNAPSHOT_EVERY,
)

PANIC_NAN = "governor_nan"
PANIC_LOBOTOMY = "governor_lobotomy"
PANIC_DIVERGENCE = "governor_divergence"
SCRIPTED_ROLLBACK = "governor_rollback"  # a scenario's `governor: rollback` event

# The statistical rules need this much history before they judge a loss.
MIN_HISTORY_FOR_CHECKS = 10
LOBOTOMY_MEAN_FRACTION = 0.6  # the run had been learning: mean history below 60 % of a random guess
LOBOTOMY_TOLERANCE = 0.065  # and the loss is back within 6.5 % of a random guess


def random_guess_loss(num_classes: int) -> float:
    return math.log(max(num_classes, 2))


def _history() -> deque[float]:
    return deque(maxlen=GOVERNOR_HISTORY_WINDOW)


@dataclass
class Governor:
    """Watches the validation loss and decides when training has to be rolled back."""

    random_guess: float
    consecutive_anomalies: int = 0
    last_snapshot_epoch: int = 0  # taken at construction, then every GOVERNOR_SNAPSHOT_EVERY epochs
    history: deque[float] = field(default_factory=_history)

    def maybe_snapshot(self, epoch: int) -> None:
        if epoch % GOVERNOR_SNAPSHOT_EVERY == 0:
            self.last_snapshot_epoch = epoch

    def check_vital_signs(self, val_loss: float) -> str:
        """The panic reason for this epoch's loss, or "" when training may go on."""
        if not math.isfinite(val_loss):
            self.consecutive_anomalies = GOVERNOR_MIN_PANICS
            return PANIC_NAN
        if len(self.history) < MIN_HISTORY_FOR_CHECKS:
            self.history.append(val_loss)
            return ""
        mean = statistics.fmean(self.history)
        if (
            mean < LOBOTOMY_MEAN_FRACTION * self.random_guess
            and abs(val_loss - self.random_guess) < LOBOTOMY_TOLERANCE * self.random_guess
        ):
            return PANIC_LOBOTOMY
        # The population standard deviation in float arithmetic (statistics.pstdev works in exact fractions and
        # can round differently, which could move a verdict that sits on the threshold).
        spread = math.sqrt(math.fsum((loss - mean) ** 2 for loss in self.history) / len(self.history))
        anomaly = (
            val_loss > GOVERNOR_ABSOLUTE_THRESHOLD
            and val_loss > mean + GOVERNOR_SENSITIVITY * spread
            and val_loss > GOVERNOR_LOSS_MULTIPLIER * mean
        )
        if not anomaly:
            self.history.append(val_loss)
            self.consecutive_anomalies = 0
            return ""
        # An anomalous loss stays out of the history so it cannot drag the baseline up.
        self.consecutive_anomalies += 1
        return PANIC_DIVERGENCE if self.consecutive_anomalies >= GOVERNOR_MIN_PANICS else ""

    def on_rollback(self) -> None:
        self.consecutive_anomalies = 0
