"""The host signal tracker: plateau count, stabilization latch, best values and short histories.

Mirrors the reference's SignalTracker (``docs/simulator.md``, Signals and governor).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from tamiyo_tui.domain.constants import (
    DEFAULT_PLATEAU_THRESHOLD_PCT,
    DEFAULT_SIGNAL_HISTORY_WINDOW,
    DEFAULT_STABILIZATION_EPOCHS,
    DEFAULT_STABILIZATION_THRESHOLD,
)
from tamiyo_tui.domain.observation import HISTORY_LENGTH, HostMetrics

# An epoch only counts as stable if the loss did not jump by half (guards against a loss that "stops
# improving" because it exploded).
STABLE_LOSS_GROWTH_LIMIT = 1.5
MIN_PREVIOUS_LOSS = 1e-8


def _loss_window() -> deque[float]:
    return deque(maxlen=DEFAULT_SIGNAL_HISTORY_WINDOW)


def _accuracy_window() -> deque[float]:
    # Only the last HISTORY_LENGTH accuracies are ever read (the history and the previous value).
    return deque(maxlen=HISTORY_LENGTH)


@dataclass
class SignalTracker:
    """Folds each epoch's host metrics into the signals the policy observes."""

    plateau_epochs: int = 0
    stable_count: int = 0
    host_stabilized: bool = False
    best_val_accuracy: float = 0.0
    train_loss: float = 0.0
    train_accuracy: float = 0.0
    loss_window: deque[float] = field(default_factory=_loss_window)
    accuracy_window: deque[float] = field(default_factory=_accuracy_window)

    def update(self, *, val_loss: float, val_accuracy: float, train_loss: float, train_accuracy: float) -> None:
        """Record one epoch (call once per epoch, after validation)."""
        previous_loss = self.loss_window[-1] if self.loss_window else math.inf
        previous_accuracy = self.accuracy_window[-1] if self.accuracy_window else 0.0

        if val_accuracy - previous_accuracy < DEFAULT_PLATEAU_THRESHOLD_PCT:
            self.plateau_epochs += 1
        else:
            self.plateau_epochs = 0

        # Stability is judged only against a usable previous loss, so from the second epoch on.
        if math.isfinite(previous_loss) and previous_loss > MIN_PREVIOUS_LOSS:
            delta = previous_loss - val_loss
            stable = (
                delta >= 0.0
                and delta / previous_loss < DEFAULT_STABILIZATION_THRESHOLD
                and val_loss < STABLE_LOSS_GROWTH_LIMIT * previous_loss
            )
            self.stable_count = self.stable_count + 1 if stable else 0
            if self.stable_count >= DEFAULT_STABILIZATION_EPOCHS:
                self.host_stabilized = True

        self.best_val_accuracy = max(self.best_val_accuracy, val_accuracy)
        self.train_loss = train_loss
        self.train_accuracy = train_accuracy
        self.loss_window.append(val_loss)
        self.accuracy_window.append(val_accuracy)

    def metrics(self, *, epoch: int, global_step: int) -> HostMetrics:
        """The signals after the latest update, as the observation shows them."""
        losses, accuracies = self.loss_window, self.accuracy_window
        val_loss = losses[-1] if losses else 0.0
        val_accuracy = accuracies[-1] if accuracies else 0.0
        previous_loss = losses[-2] if len(losses) >= 2 else math.inf
        previous_accuracy = accuracies[-2] if len(accuracies) >= 2 else 0.0
        finite_losses = [loss for loss in losses if not math.isnan(loss)]
        return HostMetrics(
            epoch=epoch,
            global_step=global_step,
            train_loss=self.train_loss,
            val_loss=val_loss,
            loss_delta=previous_loss - val_loss,
            train_accuracy=self.train_accuracy,
            val_accuracy=val_accuracy,
            accuracy_delta=val_accuracy - previous_accuracy,
            plateau_epochs=self.plateau_epochs,
            host_stabilized=self.host_stabilized,
            best_val_accuracy=self.best_val_accuracy,
            best_val_loss=min(finite_losses) if finite_losses else math.inf,
            loss_history=tuple(losses)[-HISTORY_LENGTH:],
            accuracy_history=tuple(accuracies)[-HISTORY_LENGTH:],
        )
