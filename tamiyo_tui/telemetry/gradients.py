"""The gradient signals a scenario's blueprints get, inferred from the G2 verdicts the telemetry recorded.

Under 2016337e's permissive gates G2 (TRAINING → BLENDING) passes on ten epochs in TRAINING, no exploding
gradients and a gradient health ≥ 0.7; the verdict names the health it read (``gradient_health_0.83`` or
``gradient_health_low_0.50_need_0.70``) and ``exploding_gradients`` when it failed on that. The trainer
measures health per seed and epoch, a scenario gives one value per blueprint, so a blueprint whose seeds
were read on both sides of 0.7 cannot reproduce every verdict: the side more verdicts fell on is kept and
the conflict is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tamiyo_tui.generations.esper_2016337e.lifecycle import MIN_GRADIENT_HEALTH_FOR_BLENDING
from tamiyo_tui.telemetry.episode import GateVerdict

_HEALTH = re.compile(r"^gradient_health_(?:low_)?(\d+(?:\.\d+)?)")
# Above the norm at which the trainer's telemetry flags a gradient as exploding (EXPLODING_GRADIENT_NORM = 100).
EXPLODING_NORM = 150.0
DEFAULT_HEALTH = 1.0  # what the reference reports for a seed it has no reason to doubt


@dataclass(frozen=True, slots=True)
class BlueprintSignals:
    blueprint: str
    gradient_health: float
    gradient_norm: float
    evidence: str  # one line for the scenario's header: where the values come from


def _health_read(verdict: GateVerdict) -> float | None:
    for check in (*verdict.checks_passed, *verdict.checks_failed):
        match = _HEALTH.match(check)
        if match:
            return float(match.group(1))
    return None


def infer_signals(blueprints: list[str], gates: tuple[GateVerdict, ...]) -> list[BlueprintSignals]:
    out = []
    for blueprint in blueprints:
        mine = [g for g in gates if g.gate == "G2" and g.blueprint == blueprint]
        readings = [h for h in (_health_read(g) for g in mine) if h is not None]
        exploding = any("exploding_gradients" in g.checks_failed for g in mine)
        norm = EXPLODING_NORM if exploding else 1.0
        if not readings:
            why = "no G2 health reading recorded" + (" (G2 failed on exploding gradients)" if exploding else "")
            out.append(BlueprintSignals(blueprint, DEFAULT_HEALTH, norm, f"{why}: health {DEFAULT_HEALTH:.2f} assumed"))
            continue
        healthy = [h for h in readings if h >= MIN_GRADIENT_HEALTH_FOR_BLENDING]
        low = [h for h in readings if h < MIN_GRADIENT_HEALTH_FOR_BLENDING]
        # The lowest healthy reading or the highest low one: either keeps the verdicts on its side of 0.7.
        health = min(healthy) if len(healthy) >= len(low) else max(low)
        seen = ", ".join(f"{h:.2f}" for h in sorted(set(readings)))
        evidence = f"G2 read health {seen} in {len(readings)} verdict(s): {health:.2f} used"
        if healthy and low:
            evidence += (
                f" (readings on both sides of {MIN_GRADIENT_HEALTH_FOR_BLENDING:.2f}: one value cannot give all)"
            )
        out.append(BlueprintSignals(blueprint, health, norm, evidence))
    return out
