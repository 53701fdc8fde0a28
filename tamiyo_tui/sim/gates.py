"""Quality gates G0–G5 in the reference's two modes, strict and permissive.

A gate reads a seed's state and says which named checks passed and failed; the failure names follow
the reference's spelling so that a reason such as ``G2 failed: no_training_epochs`` matches what a
training run logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tamiyo_tui.domain.alpha import TARGET_TOLERANCE, AlphaMode
from tamiyo_tui.domain.constants import (
    DEFAULT_GRADIENT_RATIO_THRESHOLD,
    DEFAULT_MIN_BLENDING_EPOCHS,
    DEFAULT_MIN_FOSSILIZE_CONTRIBUTION,
    DEFAULT_MIN_TRAINING_IMPROVEMENT,
)
from tamiyo_tui.domain.stages import GATE_FOR_TARGET, GateLevel, SeedStage
from tamiyo_tui.generations.esper_2016337e import lifecycle as lifecycle_2016337e
from tamiyo_tui.generations.esper_2016337e.constants import GENERATION as NAME_2016337E
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE, ESPER_60205274_LIFECYCLE, GateMode

if TYPE_CHECKING:
    from tamiyo_tui.sim.seed_state import SeedState

# Scores scale improvement (G2) and contribution (G5) onto [0, 1] by these many points.
G2_SCORE_SCALE = 5.0
G5_SCORE_SCALE = 10.0


@dataclass(frozen=True, slots=True)
class GateResult:
    gate: GateLevel
    passed: bool
    score: float
    checks_passed: tuple[str, ...]
    checks_failed: tuple[str, ...]
    message: str


def _result(gate: GateLevel, score: float, checks: list[tuple[bool, str]], whose: str = "") -> GateResult:
    """``whose``: the generation whose rule this gate applies, named in the message when it is a later one's."""
    passed = tuple(name for ok, name in checks if ok)
    failed = tuple(name for ok, name in checks if not ok)
    rule = f" ({whose}'s rule)" if whose else ""
    message = f"{gate.name} passed{rule}" if not failed else f"{gate.name} failed{rule}: {', '.join(failed)}"
    return GateResult(gate, not failed, score, passed, failed, message)


def _g0(seed: SeedState) -> GateResult:
    checks = [
        (bool(seed.seed_id), "seed_id_present" if seed.seed_id else "missing_seed_id"),
        (bool(seed.blueprint_id), "blueprint_present" if seed.blueprint_id else "missing_blueprint_id"),
    ]
    return _result(GateLevel.G0, 1.0 if all(ok for ok, _ in checks) else 0.0, checks)


def _g1(seed: SeedState) -> GateResult:
    germinated = seed.stage == SeedStage.GERMINATED
    name = "germinated" if germinated else f"not_germinated_{seed.stage.name}"
    return _result(GateLevel.G1, 1.0 if germinated else 0.0, [(germinated, name)])


def _g2(seed: SeedState, mode: GateMode, lifecycle: str) -> GateResult:
    improvement = seed.improvement_since_stage_start
    score = min(1.0, improvement / G2_SCORE_SCALE) if improvement > 0 else 0.0
    epochs = seed.epochs_in_stage
    if mode == "permissive" and lifecycle == ESPER_2016337E_LIFECYCLE:
        checks = lifecycle_2016337e.permissive_g2_checks(
            epochs,
            gradient_measured=seed.gradient_measured,
            exploding=seed.telemetry.has_exploding,
            gradient_health=seed.telemetry.gradient_health,
        )
        return _result(GateLevel.G2, score, checks, whose=NAME_2016337E)
    if mode == "permissive":
        ready = epochs >= 1
        return _result(GateLevel.G2, score, [(ready, f"training_epochs_{epochs}" if ready else "no_training_epochs")])
    improved = improvement >= DEFAULT_MIN_TRAINING_IMPROVEMENT
    dwelled = epochs >= DEFAULT_MIN_BLENDING_EPOCHS
    ratio = seed.gradient_ratio
    gradient_ok = ratio >= DEFAULT_GRADIENT_RATIO_THRESHOLD
    return _result(
        GateLevel.G2,
        score,
        [
            (
                improved,
                f"global_improvement_{improvement:.2f}%"
                if improved
                else f"global_improvement_insufficient_{improvement:.2f}%",
            ),
            (dwelled, f"seed_ready_{epochs}" if dwelled else "seed_not_ready"),
            (gradient_ok, f"seed_gradient_ok_{ratio:.2f}" if gradient_ok else f"seed_gradient_low_{ratio:.2f}"),
        ],
    )


def _g3(seed: SeedState, mode: GateMode) -> GateResult:
    controller = seed.controller
    target, alpha = controller.alpha_target, controller.alpha
    full = target >= 1.0 - TARGET_TOLERANCE
    at_target = controller.alpha_mode == AlphaMode.HOLD and abs(alpha - target) <= TARGET_TOLERANCE
    checks = [
        (full, "alpha_target_full" if full else f"alpha_target_not_full_{target:.2f}"),
        (
            at_target,
            "alpha_at_target"
            if at_target
            else f"alpha_not_at_target_{alpha:.2f}_mode_{AlphaMode(controller.alpha_mode).name}",
        ),
    ]
    if mode == "strict":
        epochs = seed.epochs_in_stage
        dwelled = epochs >= DEFAULT_MIN_BLENDING_EPOCHS
        checks.append((dwelled, f"blending_complete_{epochs}" if dwelled else f"blending_incomplete_{epochs}"))
    return _result(GateLevel.G3, alpha, checks)


def _g5(seed: SeedState, mode: GateMode) -> GateResult:
    contribution = seed.counterfactual
    if contribution is None:
        # is_healthy is never cleared at runtime in the reference, so "unhealthy" cannot occur here.
        return _result(GateLevel.G5, 0.0, [(False, "counterfactual_not_available"), (True, "healthy")])
    score = min(1.0, contribution / G5_SCORE_SCALE) if contribution > 0 else 0.0
    checks = [(True, "counterfactual_available"), (True, "healthy")]
    if mode == "strict":
        threshold = DEFAULT_MIN_FOSSILIZE_CONTRIBUTION
        enough = contribution >= threshold
        checks.append(
            (
                enough,
                f"sufficient_contribution_{contribution:.2f}%"
                if enough
                else f"insufficient_contribution_{contribution:.2f}%_below_{threshold:.1f}%",
            )
        )
    return _result(GateLevel.G5, score, checks)


def evaluate_gate(
    target: SeedStage, seed: SeedState, mode: GateMode, lifecycle: str = ESPER_60205274_LIFECYCLE
) -> GateResult:
    """The gate guarding a move to ``target``; targets without a gate of their own use G0, as the reference does.
    ``lifecycle`` names the generation whose rules apply (``Scenario.lifecycle``)."""
    gate = GATE_FOR_TARGET.get(target, GateLevel.G0)
    if gate == GateLevel.G1:
        return _g1(seed)
    if gate == GateLevel.G2:
        return _g2(seed, mode, lifecycle)
    if gate == GateLevel.G3:
        return _g3(seed, mode)
    if gate == GateLevel.G5:
        return _g5(seed, mode)
    return _g0(seed)
