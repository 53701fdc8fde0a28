"""Alpha (blend amplitude) enums and the alpha controller's pure scheduling logic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum


class AlphaMode(IntEnum):
    HOLD = 0
    UP = 1
    DOWN = 2


ALPHA_MODE_NAMES: dict[int, str] = {member.value: member.name for member in AlphaMode}


class AlphaCurve(IntEnum):
    LINEAR = 1
    COSINE = 2
    SIGMOID = 3


class AlphaAlgorithm(IntEnum):
    ADD = 1
    MULTIPLY = 2
    GATE = 3  # per-sample gating, composed like ADD


DEFAULT_STEEPNESS = 12.0
MIN_STEEPNESS = 0.1
TARGET_TOLERANCE = 1e-6


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def _sigmoid(x: float) -> float:
    # Split by sign so steep curves never overflow math.exp.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def progress(t: float, curve: AlphaCurve, steepness: float = DEFAULT_STEEPNESS) -> float:
    """Eased progress in [0, 1] for a linear time fraction ``t``."""
    t = _clamp01(t)
    if curve == AlphaCurve.LINEAR:
        return t
    if curve == AlphaCurve.COSINE:
        return 0.5 * (1.0 - math.cos(math.pi * t))
    if curve == AlphaCurve.SIGMOID:
        low, high = _sigmoid(-steepness / 2), _sigmoid(steepness / 2)
        if high == low:
            return t
        return (_sigmoid(steepness * (t - 0.5)) - low) / (high - low)
    raise ValueError(f"Unknown alpha curve: {curve!r}")


@dataclass
class AlphaController:
    """Moves alpha from ``alpha_start`` to ``alpha_target`` over ``alpha_steps_total`` ticks."""

    alpha: float = 0.0
    alpha_start: float = 0.0
    alpha_target: float = 0.0
    alpha_mode: AlphaMode = AlphaMode.HOLD
    alpha_curve: AlphaCurve = AlphaCurve.LINEAR
    alpha_steepness: float = DEFAULT_STEEPNESS
    alpha_steps_total: int = 0
    alpha_steps_done: int = 0

    def __post_init__(self) -> None:
        self.alpha = _clamp01(self.alpha)
        self.alpha_start = _clamp01(self.alpha_start)
        self.alpha_target = _clamp01(self.alpha_target)
        self.alpha_mode = AlphaMode(self.alpha_mode)
        self.alpha_curve = AlphaCurve(self.alpha_curve)
        self.alpha_steepness = max(MIN_STEEPNESS, self.alpha_steepness)
        self.alpha_steps_total = max(0, self.alpha_steps_total)
        self.alpha_steps_done = min(max(0, self.alpha_steps_done), self.alpha_steps_total)

    def retarget(
        self,
        *,
        alpha_target: float,
        alpha_steps_total: int,
        alpha_curve: AlphaCurve | None = None,
        alpha_steepness: float | None = None,
    ) -> None:
        if self.alpha_mode != AlphaMode.HOLD:
            raise ValueError("AlphaController.retarget is only allowed from HOLD")
        target = _clamp01(alpha_target)
        self.alpha_steps_total = max(0, alpha_steps_total)
        self.alpha_steps_done = 0
        self.alpha_start = self.alpha
        self.alpha_target = target
        if alpha_curve is not None:
            self.alpha_curve = AlphaCurve(alpha_curve)
        if alpha_steepness is not None:
            self.alpha_steepness = max(MIN_STEEPNESS, alpha_steepness)
        if target > self.alpha:
            self.alpha_mode = AlphaMode.UP
        elif target < self.alpha:
            self.alpha_mode = AlphaMode.DOWN
        else:
            self.alpha_mode = AlphaMode.HOLD
            self.alpha = target
        if self.alpha_steps_total == 0:
            self.alpha = target
            self.alpha_mode = AlphaMode.HOLD

    def step(self) -> bool:
        """One tick. True only on the tick that reaches the target."""
        if self.alpha_mode == AlphaMode.HOLD or self.alpha_steps_total == 0:
            return False
        self.alpha_steps_done += 1
        if self.alpha_steps_done >= self.alpha_steps_total:
            self.alpha_steps_done = self.alpha_steps_total
            self.alpha = self.alpha_target
            self.alpha_mode = AlphaMode.HOLD
            return True
        eased = progress(self.alpha_steps_done / self.alpha_steps_total, self.alpha_curve, self.alpha_steepness)
        value = _clamp01(self.alpha_start + (self.alpha_target - self.alpha_start) * eased)
        low, high = sorted((self.alpha_start, self.alpha_target))
        self.alpha = min(high, max(low, value))
        return False

    @property
    def time_to_target(self) -> int:
        return max(self.alpha_steps_total - self.alpha_steps_done, 0)

    @property
    def alpha_velocity(self) -> float:
        if self.alpha_mode == AlphaMode.HOLD or self.alpha_steps_total == 0:
            return 0.0
        return (self.alpha_target - self.alpha_start) / self.alpha_steps_total

    def to_dict(self) -> dict[str, float | int]:
        return {
            "alpha": self.alpha,
            "alpha_start": self.alpha_start,
            "alpha_target": self.alpha_target,
            "alpha_mode": int(self.alpha_mode),
            "alpha_curve": int(self.alpha_curve),
            "alpha_steepness": self.alpha_steepness,
            "alpha_steps_total": self.alpha_steps_total,
            "alpha_steps_done": self.alpha_steps_done,
        }

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> AlphaController:
        return cls(
            alpha=float(data["alpha"]),
            alpha_start=float(data["alpha_start"]),
            alpha_target=float(data["alpha_target"]),
            alpha_mode=AlphaMode(int(data["alpha_mode"])),
            alpha_curve=AlphaCurve(int(data["alpha_curve"])),
            alpha_steepness=float(data.get("alpha_steepness", DEFAULT_STEEPNESS)),
            alpha_steps_total=int(data["alpha_steps_total"]),
            alpha_steps_done=int(data["alpha_steps_done"]),
        )
