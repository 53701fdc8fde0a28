"""Obs V3, the 2016337e observation: 23 base features, 31 per slot, and each slot's blueprint index apart.

The network embeds the blueprint indices itself (−1: no seed), so they are not features. A value that is
not known yet is ``UNKNOWN`` (−1.0), outside the range of the feature it stands for: a history step not yet
observed, a slot whose gradient health or counterfactual was never measured. Epoch-like counts are divided
by the episode length (``Observation.max_epochs``), clipped at 1.

Besides the state, V3 reads what only the run knows (``RunFeedback``, which a simulator under this
generation's lifecycle keeps in ``Observation.feedback``): whether the last action succeeded and which op
it was, and per slot the previous gradient health and the epochs since the last counterfactual measurement.
"""

from __future__ import annotations

import math

from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX, LifecycleOp
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HISTORY_LENGTH, Observation, RunFeedback, SlotReport
from tamiyo_tui.domain.stages import SeedStage, stage_to_one_hot
from tamiyo_tui.generations.esper_2016337e.constants import BASE_FEATURES, SLOT_FEATURES, UNKNOWN

GAMMA = 0.995  # the trainer's discount: a counterfactual measured n epochs ago counts GAMMA ** n
SYMLOG_SCALE = 7.0  # symlog values are divided by it
CONTRIBUTION_SCALE = 10.0  # percentage points that map to ±1
INTERACTION_SCALE = 10.0
BLEND_TEMPO_SCALE = 12.0
_ALPHA_MODE_MAX = max(int(mode) for mode in AlphaMode)
_ALPHA_ALGORITHM_MIN = min(int(each) for each in AlphaAlgorithm)
_ALPHA_ALGORITHM_RANGE = max(max(int(each) for each in AlphaAlgorithm) - _ALPHA_ALGORITHM_MIN, 1)
_COUNTED_AS_HOLDING = (SeedStage.HOLDING, SeedStage.FOSSILIZED)


def feature_size(num_slots: int) -> int:
    return BASE_FEATURES + SLOT_FEATURES * num_slots


def symlog(x: float) -> float:
    """Sign-preserving log(1 + |x|)."""
    return math.log1p(x) if x >= 0 else -math.log1p(-x)


def observation_features_v3(
    observation: Observation, feedback: RunFeedback | None = None
) -> tuple[list[float], list[int]]:
    """The V3 feature vector of ``observation`` and its blueprint indices, one per configured slot.
    ``feedback`` defaults to the observation's own, else to that of a run before its first action."""
    feedback = feedback or observation.feedback or RunFeedback()
    if observation.max_epochs < 1:
        raise ValueError(f"Obs V3 divides by the episode length; max_epochs is {observation.max_epochs}")
    horizon = float(observation.max_epochs)
    reports = [observation.slots.get(slot_id) for slot_id in observation.slot_config.slot_ids]
    features = _base(observation, feedback, [report for report in reports if report is not None], horizon)
    blueprints = []
    for slot_id, report in zip(observation.slot_config.slot_ids, reports, strict=True):
        if report is None:
            features += [0.0] * SLOT_FEATURES
            blueprints.append(-1)
        else:
            features += _slot(report, feedback, slot_id, horizon)
            blueprints.append(BLUEPRINT_ID_TO_INDEX.get(report.blueprint_id, -1))
    return features, blueprints


def _base(observation: Observation, feedback: RunFeedback, present: list[SlotReport], horizon: float) -> list[float]:
    host, slots = observation.host, float(observation.slot_config.num_slots)
    losses = _last(host.loss_history)
    accuracies = _last(host.accuracy_history)
    return [
        min(float(host.epoch), horizon) / horizon,
        symlog(host.val_loss) / SYMLOG_SCALE,
        host.val_accuracy / 100.0,
        *(UNKNOWN if loss is None else symlog(loss) / SYMLOG_SCALE for loss in losses),
        *(UNKNOWN if accuracy is None else accuracy / 100.0 for accuracy in accuracies),
        sum(report.stage == SeedStage.TRAINING for report in present) / slots,
        sum(report.stage == SeedStage.BLENDING for report in present) / slots,
        sum(report.stage in _COUNTED_AS_HOLDING for report in present) / slots,
        1.0 if feedback.last_action_success else 0.0,
        *(1.0 if int(op) == feedback.last_action_op else 0.0 for op in LifecycleOp),
    ]


def _slot(report: SlotReport, feedback: RunFeedback, slot_id: str, horizon: float) -> list[float]:
    contribution = report.counterfactual_contribution
    telemetry = report.telemetry
    block = [
        1.0,  # a seed is here
        *stage_to_one_hot(int(report.stage)),
        report.alpha,
        _unit(0.0 if contribution is None else contribution / CONTRIBUTION_SCALE),
        _unit(report.contribution_velocity / CONTRIBUTION_SCALE),
        float(report.blend_tempo_epochs) / BLEND_TEMPO_SCALE,
        report.alpha_target,
        float(report.alpha_mode) / max(_ALPHA_MODE_MAX, 1),
        min(float(report.alpha_steps_total), horizon) / horizon,
        min(float(report.alpha_steps_done), horizon) / horizon,
        min(float(report.time_to_target), horizon) / horizon,
        _unit(report.alpha_velocity),
        float(report.alpha_algorithm - _ALPHA_ALGORITHM_MIN) / _ALPHA_ALGORITHM_RANGE,
        _unit(report.interaction_sum / INTERACTION_SCALE),
    ]
    if telemetry is None:
        block += [0.0, 0.0, 0.0, 0.0]  # unmeasured gradients are no evidence of health
    else:
        norm = telemetry.gradient_norm
        block += [
            symlog(norm) / SYMLOG_SCALE if math.isfinite(norm) else 0.0,
            _gradient_health(telemetry.gradient_health, slot_id),
            1.0 if telemetry.has_vanishing else 0.0,
            1.0 if telemetry.has_exploding else 0.0,
        ]
    previous = dict(feedback.gradient_health_prev).get(slot_id, UNKNOWN)
    if not math.isfinite(previous):
        raise ValueError(f"slot {slot_id}: previous gradient health is {previous}, not a number in [0, 1]")
    since = dict(feedback.epochs_since_counterfactual).get(slot_id)
    block += [
        previous,
        min(float(report.epochs_in_stage), horizon) / horizon,
        UNKNOWN if since is None else GAMMA**since,
        min(float(report.epochs_total), horizon) / horizon,
    ]
    return block


def _gradient_health(value: float | None, slot_id: str) -> float:
    if value is None:
        return 0.0
    if not math.isfinite(value):
        raise ValueError(f"slot {slot_id}: gradient health is {value}, not a number in [0, 1]")
    return max(-1.0, min(float(value), 1.0))


def _unit(value: float) -> float:
    """``value`` clipped to [−1, 1] (a NaN comes out as −1.0, as the reference's clip gives it)."""
    return max(-1.0, min(value, 1.0))


def _last(history: tuple[float, ...]) -> list[float | None]:
    """The last ``HISTORY_LENGTH`` values, oldest first, None for steps not observed yet."""
    recent = list(history[-HISTORY_LENGTH:])
    return [None] * (HISTORY_LENGTH - len(recent)) + recent
