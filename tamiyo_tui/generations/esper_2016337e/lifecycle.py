"""The lifecycle rules of the 2016337e generation that differ from 60205274's (``sim/gates.py``).

Permissive G2 (the gate to BLENDING) there asks for more than one epoch of training: at least
``MIN_BLENDING_EPOCHS`` epochs in the current stage, gradients measured, none exploding, and a gradient
health of at least ``MIN_GRADIENT_HEALTH_FOR_BLENDING``. The reference reads the epochs of the stage the
seed is in when the gate is asked, that is TRAINING, although the constant is named for blending. The
check names are the reference's, so a rejection reads as a training run logs it.
"""

from __future__ import annotations

MIN_BLENDING_EPOCHS = 10  # 60205274: 3
MIN_GRADIENT_HEALTH_FOR_BLENDING = 0.7
EPISODE_LENGTH = 150  # the trainer's default episode (60205274: 25)


def permissive_g2_checks(
    epochs_in_stage: int, *, gradient_measured: bool, exploding: bool, gradient_health: float
) -> list[tuple[bool, str]]:
    """(passed, name) per check, in the reference's order."""
    trained = epochs_in_stage >= MIN_BLENDING_EPOCHS
    checks = [
        (
            trained,
            f"trained_{epochs_in_stage}_epochs"
            if trained
            else f"insufficient_training_{epochs_in_stage}_of_{MIN_BLENDING_EPOCHS}",
        )
    ]
    if not gradient_measured:
        return [*checks, (False, "gradient_health_not_measured")]
    if exploding:
        return [*checks, (False, "exploding_gradients")]
    healthy = gradient_health >= MIN_GRADIENT_HEALTH_FOR_BLENDING
    health_check = (
        f"gradient_health_{gradient_health:.2f}"
        if healthy
        else f"gradient_health_low_{gradient_health:.2f}_need_{MIN_GRADIENT_HEALTH_FOR_BLENDING:.2f}"
    )
    return [*checks, (True, "no_exploding_gradients"), (healthy, health_check)]


CONTRIBUTION_VELOCITY_DECAY = 0.7  # the trainer's EMA of the change between counterfactual measurements


def contribution_velocity(velocity: float, previous: float | None, measured: float) -> float:
    """A seed's contribution trend after a new counterfactual ``measured``: unchanged at the first measurement
    (``previous`` None), else the EMA of the change since the previous one."""
    if previous is None:
        return velocity
    return CONTRIBUTION_VELOCITY_DECAY * velocity + (1 - CONTRIBUTION_VELOCITY_DECAY) * (measured - previous)
