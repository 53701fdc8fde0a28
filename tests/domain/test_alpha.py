"""Pins the alpha contracts (the reference's): enums, easing curves and the controller."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaController, AlphaCurve, AlphaMode, progress

TOLERANCE = 1e-6

# The reference's check values: alpha after ticks 1..4 of a 0→1 ramp over 5 ticks.
CHECK_TABLE = [
    (AlphaCurve.LINEAR, 12.0, (0.2, 0.4, 0.6, 0.8)),
    (AlphaCurve.COSINE, 12.0, (0.095492, 0.345492, 0.654508, 0.904508)),
    (AlphaCurve.SIGMOID, 6.0, (0.10432, 0.33908, 0.66092, 0.89568)),
    (AlphaCurve.SIGMOID, 12.0, (0.024244, 0.230141, 0.769859, 0.975756)),
    (AlphaCurve.SIGMOID, 24.0, (0.00074, 0.083168, 0.916832, 0.99926)),
]

# The reference's ramp table: alpha after ticks 1..N of a 0→1 ramp, printed to 4 decimals.
RAMP_TABLE = [
    (3, AlphaCurve.LINEAR, 12.0, (0.3333, 0.6667, 1.0)),
    (3, AlphaCurve.COSINE, 12.0, (0.25, 0.75, 1.0)),
    (3, AlphaCurve.SIGMOID, 12.0, (0.1173, 0.8827, 1.0)),
    (5, AlphaCurve.LINEAR, 12.0, (0.2, 0.4, 0.6, 0.8, 1.0)),
    (5, AlphaCurve.COSINE, 12.0, (0.0955, 0.3455, 0.6545, 0.9045, 1.0)),
    (5, AlphaCurve.SIGMOID, 6.0, (0.1043, 0.3391, 0.6609, 0.8957, 1.0)),
    (5, AlphaCurve.SIGMOID, 12.0, (0.0242, 0.2301, 0.7699, 0.9758, 1.0)),
    (5, AlphaCurve.SIGMOID, 24.0, (0.0007, 0.0832, 0.9168, 0.9993, 1.0)),
    (8, AlphaCurve.LINEAR, 12.0, (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0)),
    (8, AlphaCurve.SIGMOID, 12.0, (0.0086, 0.0452, 0.1808, 0.5, 0.8192, 0.9548, 0.9914, 1.0)),
]
FOUR_DECIMALS = 5e-5

DICT_KEYS = {
    "alpha",
    "alpha_start",
    "alpha_target",
    "alpha_mode",
    "alpha_curve",
    "alpha_steepness",
    "alpha_steps_total",
    "alpha_steps_done",
}


def ramp(
    steps: int, curve: AlphaCurve, steepness: float, start: float = 0.0, target: float = 1.0
) -> tuple[AlphaController, list[float], list[bool]]:
    """Runs a full retargeted ramp and returns the controller, alpha after each tick, and step() results."""
    controller = AlphaController(alpha=start)
    controller.retarget(alpha_target=target, alpha_steps_total=steps, alpha_curve=curve, alpha_steepness=steepness)
    alphas: list[float] = []
    reached: list[bool] = []
    for _ in range(steps):
        reached.append(controller.step())
        alphas.append(controller.alpha)
    return controller, alphas, reached


# --- enums ---------------------------------------------------------------------------------------------


def test_alpha_mode_values() -> None:
    assert {member.name: member.value for member in AlphaMode} == {"HOLD": 0, "UP": 1, "DOWN": 2}


def test_alpha_curve_values_start_at_one() -> None:
    assert {member.name: member.value for member in AlphaCurve} == {"LINEAR": 1, "COSINE": 2, "SIGMOID": 3}


def test_alpha_algorithm_values_start_at_one() -> None:
    assert {member.name: member.value for member in AlphaAlgorithm} == {"ADD": 1, "MULTIPLY": 2, "GATE": 3}


# --- construction --------------------------------------------------------------------------------------


def test_controller_defaults() -> None:
    assert AlphaController().to_dict() == {
        "alpha": 0.0,
        "alpha_start": 0.0,
        "alpha_target": 0.0,
        "alpha_mode": 0,
        "alpha_curve": 1,
        "alpha_steepness": 12.0,
        "alpha_steps_total": 0,
        "alpha_steps_done": 0,
    }


def test_construction_clamps_alphas_to_unit_interval() -> None:
    high = AlphaController(alpha=1.5, alpha_start=2.0, alpha_target=7.0)
    assert (high.alpha, high.alpha_start, high.alpha_target) == (1.0, 1.0, 1.0)
    low = AlphaController(alpha=-0.5, alpha_start=-1.0, alpha_target=-3.0)
    assert (low.alpha, low.alpha_start, low.alpha_target) == (0.0, 0.0, 0.0)
    inside = AlphaController(alpha=0.25, alpha_start=0.5, alpha_target=0.75)
    assert (inside.alpha, inside.alpha_start, inside.alpha_target) == (0.25, 0.5, 0.75)


@pytest.mark.parametrize(
    ("given_steepness", "expected"), [(0.0, 0.1), (-5.0, 0.1), (0.05, 0.1), (0.1, 0.1), (6.0, 6.0)]
)
def test_construction_floors_steepness(given_steepness: float, expected: float) -> None:
    assert AlphaController(alpha_steepness=given_steepness).alpha_steepness == expected


@pytest.mark.parametrize(
    ("total", "done", "expected_total", "expected_done"),
    [(-3, 0, 0, 0), (5, -2, 5, 0), (5, 7, 5, 5), (5, 3, 5, 3), (-1, 4, 0, 0)],
)
def test_construction_floors_and_caps_steps(total: int, done: int, expected_total: int, expected_done: int) -> None:
    controller = AlphaController(alpha_steps_total=total, alpha_steps_done=done)
    assert (controller.alpha_steps_total, controller.alpha_steps_done) == (expected_total, expected_done)


# --- retarget ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [AlphaMode.UP, AlphaMode.DOWN])
def test_retarget_only_from_hold(mode: AlphaMode) -> None:
    controller = AlphaController(alpha=0.5, alpha_mode=mode, alpha_steps_total=5)
    with pytest.raises(ValueError, match="only allowed from HOLD"):
        controller.retarget(alpha_target=1.0, alpha_steps_total=3)


def test_retarget_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        AlphaController().retarget(1.0, 5)  # type: ignore[misc]


def test_retarget_up() -> None:
    controller = AlphaController(alpha=0.25, alpha_steps_total=4, alpha_steps_done=4)
    controller.retarget(alpha_target=0.75, alpha_steps_total=5)
    assert controller.alpha_mode is AlphaMode.UP
    assert controller.alpha == 0.25
    assert controller.alpha_start == 0.25
    assert controller.alpha_target == 0.75
    assert controller.alpha_steps_total == 5
    assert controller.alpha_steps_done == 0


def test_retarget_down() -> None:
    controller = AlphaController(alpha=0.8)
    controller.retarget(alpha_target=0.2, alpha_steps_total=3)
    assert controller.alpha_mode is AlphaMode.DOWN
    assert (controller.alpha, controller.alpha_start, controller.alpha_target) == (0.8, 0.8, 0.2)


def test_retarget_clamps_target_and_floors_steps() -> None:
    controller = AlphaController(alpha=0.5)
    controller.retarget(alpha_target=1.7, alpha_steps_total=4)
    assert controller.alpha_target == 1.0
    assert controller.alpha_mode is AlphaMode.UP

    instant = AlphaController(alpha=0.5)
    instant.retarget(alpha_target=-0.3, alpha_steps_total=-2)
    assert instant.alpha_steps_total == 0
    assert (instant.alpha, instant.alpha_target) == (0.0, 0.0)
    assert instant.alpha_mode is AlphaMode.HOLD


@pytest.mark.parametrize("target", [0.0, 0.3, 1.0])
def test_retarget_with_zero_steps_snaps(target: float) -> None:
    controller = AlphaController(alpha=0.6)
    controller.retarget(alpha_target=target, alpha_steps_total=0)
    assert controller.alpha == target
    assert controller.alpha_target == target
    assert controller.alpha_start == 0.6
    assert controller.alpha_mode is AlphaMode.HOLD
    assert controller.step() is False
    assert controller.alpha == target


def test_retarget_keeps_curve_and_steepness_unless_given() -> None:
    controller = AlphaController(alpha_curve=AlphaCurve.COSINE, alpha_steepness=6.0)
    controller.retarget(alpha_target=1.0, alpha_steps_total=3)
    assert (controller.alpha_curve, controller.alpha_steepness) == (AlphaCurve.COSINE, 6.0)
    controller.alpha_mode = AlphaMode.HOLD
    controller.retarget(alpha_target=0.5, alpha_steps_total=3, alpha_curve=AlphaCurve.SIGMOID, alpha_steepness=24.0)
    assert (controller.alpha_curve, controller.alpha_steepness) == (AlphaCurve.SIGMOID, 24.0)


def test_retarget_floors_given_steepness() -> None:
    controller = AlphaController()
    controller.retarget(alpha_target=1.0, alpha_steps_total=3, alpha_steepness=0.0)
    assert controller.alpha_steepness == 0.1


def test_retarget_to_current_value_quirk() -> None:
    # A reference quirk: nothing moves, yet steps_total keeps the requested steps.
    controller = AlphaController(alpha=0.4)
    controller.retarget(alpha_target=0.4, alpha_steps_total=5)
    assert controller.alpha_mode is AlphaMode.HOLD
    assert controller.alpha == 0.4
    assert controller.alpha_steps_total == 5
    assert controller.alpha_steps_done == 0
    assert controller.time_to_target == 5
    assert controller.alpha_velocity == 0.0
    assert controller.step() is False
    assert controller.alpha_steps_done == 0
    assert controller.time_to_target == 5


# --- step ----------------------------------------------------------------------------------------------


def test_step_in_hold_is_a_noop() -> None:
    controller = AlphaController(alpha=0.3, alpha_target=0.9, alpha_steps_total=5, alpha_steps_done=1)
    before = controller.to_dict()
    assert controller.step() is False
    assert controller.to_dict() == before


def test_step_with_zero_total_is_a_noop() -> None:
    controller = AlphaController(alpha=0.3, alpha_target=0.9, alpha_mode=AlphaMode.UP, alpha_steps_total=0)
    before = controller.to_dict()
    assert controller.step() is False
    assert controller.to_dict() == before


def test_step_snaps_on_last_tick_and_returns_true_only_then() -> None:
    controller, alphas, reached = ramp(5, AlphaCurve.SIGMOID, 12.0, start=0.0, target=1.0)
    assert reached == [False, False, False, False, True]
    assert alphas[-1] == 1.0
    assert controller.alpha_mode is AlphaMode.HOLD
    assert controller.alpha_steps_done == 5
    assert controller.step() is False
    assert controller.alpha == 1.0
    assert controller.alpha_steps_done == 5


def test_step_general_segment_up() -> None:
    _, alphas, _ = ramp(3, AlphaCurve.LINEAR, 12.0, start=0.2, target=0.8)
    assert alphas == pytest.approx([0.4, 0.6, 0.8], abs=TOLERANCE)


def test_step_general_segment_down() -> None:
    controller, alphas, reached = ramp(5, AlphaCurve.COSINE, 12.0, start=1.0, target=0.0)
    assert alphas == pytest.approx([0.904508, 0.654508, 0.345492, 0.095492, 0.0], abs=TOLERANCE)
    assert reached == [False, False, False, False, True]
    assert controller.alpha == 0.0


@given(
    start=st.floats(min_value=0.0, max_value=1.0),
    target=st.floats(min_value=0.0, max_value=1.0),
    steps=st.integers(min_value=1, max_value=12),
    curve=st.sampled_from(list(AlphaCurve)),
    steepness=st.floats(min_value=0.1, max_value=60.0),
)
def test_step_is_monotone_and_never_overshoots(
    start: float, target: float, steps: int, curve: AlphaCurve, steepness: float
) -> None:
    _, alphas, reached = ramp(steps, curve, steepness, start=start, target=target)
    low, high = min(start, target), max(start, target)
    path = [start, *alphas]
    assert all(low <= value <= high for value in alphas)
    if target > start:
        assert all(a <= b for a, b in pairwise(path))
        assert reached == [False] * (steps - 1) + [True]
    elif target < start:
        assert all(a >= b for a, b in pairwise(path))
        assert reached == [False] * (steps - 1) + [True]
    else:
        assert reached == [False] * steps
    assert alphas[-1] == target


# --- easing curves -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("curve", "steepness", "expected"), CHECK_TABLE)
def test_progress_check_table(curve: AlphaCurve, steepness: float, expected: tuple[float, ...]) -> None:
    values = [progress(t, curve, steepness) for t in (0.2, 0.4, 0.6, 0.8)]
    assert values == pytest.approx(list(expected), abs=TOLERANCE)


@pytest.mark.parametrize(("curve", "steepness", "expected"), CHECK_TABLE)
def test_controller_check_table(curve: AlphaCurve, steepness: float, expected: tuple[float, ...]) -> None:
    _, alphas, _ = ramp(5, curve, steepness)
    assert alphas[:4] == pytest.approx(list(expected), abs=TOLERANCE)
    assert alphas[4] == 1.0


@pytest.mark.parametrize(("steps", "curve", "steepness", "expected"), RAMP_TABLE)
def test_lifecycle_ramp_table(steps: int, curve: AlphaCurve, steepness: float, expected: tuple[float, ...]) -> None:
    _, alphas, _ = ramp(steps, curve, steepness)
    assert alphas == pytest.approx(list(expected), abs=FOUR_DECIMALS)


@pytest.mark.parametrize("curve", list(AlphaCurve))
@pytest.mark.parametrize("steepness", [0.1, 6.0, 12.0, 24.0])
def test_progress_endpoints_and_clamping(curve: AlphaCurve, steepness: float) -> None:
    assert progress(0.0, curve, steepness) == pytest.approx(0.0, abs=1e-12)
    assert progress(1.0, curve, steepness) == pytest.approx(1.0, abs=1e-12)
    assert progress(-0.5, curve, steepness) == pytest.approx(0.0, abs=1e-12)
    assert progress(1.5, curve, steepness) == pytest.approx(1.0, abs=1e-12)
    assert progress(0.5, curve, steepness) == pytest.approx(0.5, abs=1e-12)


def test_progress_linear_and_cosine_ignore_steepness() -> None:
    assert progress(0.3, AlphaCurve.LINEAR, 6.0) == progress(0.3, AlphaCurve.LINEAR, 24.0) == 0.3
    assert progress(0.2, AlphaCurve.COSINE, 6.0) == pytest.approx(0.095492, abs=TOLERANCE)
    assert progress(0.2, AlphaCurve.COSINE, 24.0) == pytest.approx(0.095492, abs=TOLERANCE)


def test_progress_sigmoid_with_flat_logistic_falls_back_to_linear() -> None:
    # Steepness 0 makes σ(1) == σ(0); the reference returns t unchanged.
    assert progress(0.3, AlphaCurve.SIGMOID, 0.0) == 0.3


@pytest.mark.parametrize("bad_curve", [0, 4, 99])
def test_progress_rejects_unknown_curve(bad_curve: int) -> None:
    with pytest.raises(ValueError):
        progress(0.5, bad_curve)  # type: ignore[arg-type]


# --- serialisation and derived quantities --------------------------------------------------------------


def test_to_dict_from_dict_round_trip_mid_ramp() -> None:
    controller = AlphaController(alpha=0.1)
    controller.retarget(alpha_target=0.9, alpha_steps_total=8, alpha_curve=AlphaCurve.SIGMOID, alpha_steepness=6.0)
    controller.step()
    controller.step()
    data = controller.to_dict()
    assert set(data) == DICT_KEYS
    assert data["alpha_mode"] == 1
    assert data["alpha_curve"] == 3
    assert type(data["alpha_mode"]) is int
    assert type(data["alpha_curve"]) is int
    assert data["alpha_steepness"] == 6.0
    assert (data["alpha_steps_total"], data["alpha_steps_done"]) == (8, 2)
    assert (data["alpha_start"], data["alpha_target"]) == (0.1, 0.9)

    restored = AlphaController.from_dict(data)
    assert restored == controller
    assert restored.alpha_mode is AlphaMode.UP
    assert restored.alpha_curve is AlphaCurve.SIGMOID
    for _ in range(6):
        assert restored.step() == controller.step()
        assert restored.alpha == controller.alpha
    assert restored.alpha == 0.9


def test_from_dict_defaults_missing_steepness_to_12() -> None:
    data = AlphaController(alpha_steepness=24.0).to_dict()
    del data["alpha_steepness"]
    assert AlphaController.from_dict(data).alpha_steepness == 12.0


def test_time_to_target_and_velocity_during_up_ramp() -> None:
    controller = AlphaController()
    controller.retarget(alpha_target=1.0, alpha_steps_total=5)
    assert controller.time_to_target == 5
    assert controller.alpha_velocity == pytest.approx(0.2, abs=TOLERANCE)
    controller.step()
    controller.step()
    assert controller.time_to_target == 3
    assert controller.alpha_velocity == pytest.approx(0.2, abs=TOLERANCE)
    for _ in range(3):
        controller.step()
    assert controller.time_to_target == 0
    assert controller.alpha_velocity == 0.0


def test_velocity_during_down_ramp_is_negative() -> None:
    controller = AlphaController(alpha=1.0)
    controller.retarget(alpha_target=0.5, alpha_steps_total=5)
    assert controller.alpha_velocity == pytest.approx(-0.1, abs=TOLERANCE)


def test_velocity_zero_when_hold_or_no_steps() -> None:
    assert AlphaController(alpha_target=1.0, alpha_steps_total=5).alpha_velocity == 0.0
    assert AlphaController(alpha_target=1.0, alpha_mode=AlphaMode.UP, alpha_steps_total=0).alpha_velocity == 0.0


def test_time_to_target_never_negative() -> None:
    assert AlphaController(alpha_steps_total=3, alpha_steps_done=9).time_to_target == 0
    assert AlphaController().time_to_target == 0
