"""Observations for the feature tests: random ones (every field drawn, NaN and ±inf included) and the
reference's recorded ones (``observation_from_json``, the vectors under tests/vectors)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random

from tamiyo_tui.domain.actions import BLUEPRINT_IDS
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaMode
from tamiyo_tui.domain.observation import HostMetrics, Observation, SeedTelemetry, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage


def a_report(slot_id: str = "r0c0", stage: SeedStage = SeedStage.TRAINING, **fields: object) -> SlotReport:
    """A report with defaults for every field not given (a TRAINING conv_light seed)."""
    fields.setdefault("blueprint_id", "conv_light")
    return SlotReport(slot_id=slot_id, seed_id=f"seed-{slot_id}", stage=stage, **fields)


def an_observation(
    host: HostMetrics | None = None, reports: dict[str, SlotReport] | None = None, **fields: object
) -> Observation:
    """An observation on ``slot_config`` (default: three slots) whose other slots are empty."""
    config = fields.pop("slot_config", SlotConfig.default())
    slots = {slot_id: (reports or {}).get(slot_id) for slot_id in config.slot_ids}
    return Observation(host=host or HostMetrics(), slots=slots, slot_config=config, **fields)


SPECIAL_FLOATS = (math.inf, -math.inf, math.nan, 0.0, -0.0)


def random_float(rng: random.Random, low: float, high: float) -> float:
    return rng.choice(SPECIAL_FLOATS) if rng.random() < 0.05 else rng.uniform(low, high)


def random_telemetry(rng: random.Random) -> SeedTelemetry:
    return SeedTelemetry(
        stage=rng.choice(list(SeedStage)),
        gradient_norm=random_float(rng, 0.0, 20.0),
        gradient_health=rng.random(),
        has_vanishing=rng.random() < 0.2,
        has_exploding=rng.random() < 0.2,
        epochs_in_stage=rng.randint(0, 80),
        accuracy=rng.uniform(0.0, 100.0),
        accuracy_delta=random_float(rng, -20.0, 20.0),
        alpha=rng.random(),
        epoch=rng.randint(0, 30),
        max_epochs=rng.choice([0, 25, 40]),
        alpha_target=rng.choice([0.0, 0.5, 1.0]),
        alpha_mode=rng.choice(list(AlphaMode)),
        alpha_steps_total=rng.randint(0, 40),
        alpha_steps_done=rng.randint(0, 40),
        time_to_target=rng.randint(0, 40),
        alpha_velocity=random_float(rng, -2.0, 2.0),
        alpha_algorithm=rng.choice(list(AlphaAlgorithm)),
    )


def random_report(rng: random.Random, slot_id: str) -> SlotReport:
    steps_total = rng.randint(0, 40)
    return SlotReport(
        slot_id=slot_id,
        seed_id=f"seed-{rng.randint(0, 99)}",
        blueprint_id=rng.choice([*BLUEPRINT_IDS, "", "unknown"]),
        stage=rng.choice(list(SeedStage)),
        alpha=rng.random(),
        alpha_target=rng.choice([0.0, 0.5, 0.7, 1.0]),
        alpha_mode=rng.choice(list(AlphaMode)),
        alpha_steps_total=steps_total,
        alpha_steps_done=rng.randint(0, steps_total),
        time_to_target=rng.randint(0, 40),
        alpha_velocity=random_float(rng, -2.0, 2.0),
        alpha_algorithm=rng.choice(list(AlphaAlgorithm)),
        blend_tempo_epochs=rng.choice([3, 5, 8]),
        epochs_total=rng.randint(0, 25),
        counterfactual_contribution=None if rng.random() < 0.4 else random_float(rng, -30.0, 30.0),
        contribution_velocity=random_float(rng, -15.0, 15.0),
        improvement_since_stage_start=random_float(rng, -20.0, 20.0),
        interaction_sum=random_float(rng, -20.0, 20.0),
        boost_received=random_float(rng, -10.0, 10.0),
        upstream_alpha_sum=random_float(rng, -1.0, 6.0),
        downstream_alpha_sum=random_float(rng, -1.0, 6.0),
        telemetry=None if rng.random() < 0.3 else random_telemetry(rng),
    )


def random_observation(rng: random.Random, config: SlotConfig) -> Observation:
    host = HostMetrics(
        epoch=rng.randint(0, 25),
        global_step=rng.randint(0, 50_000),
        train_loss=random_float(rng, 0.0, 15.0),
        val_loss=random_float(rng, 0.0, 15.0),
        loss_delta=random_float(rng, -12.0, 12.0),
        train_accuracy=rng.uniform(0.0, 100.0),
        val_accuracy=rng.uniform(0.0, 100.0),
        accuracy_delta=random_float(rng, -15.0, 15.0),
        plateau_epochs=rng.randint(0, 10),
        best_val_accuracy=rng.uniform(0.0, 100.0),
        best_val_loss=random_float(rng, 0.0, 15.0),
        loss_history=tuple(random_float(rng, 0.0, 15.0) for _ in range(rng.randint(0, 8))),
        accuracy_history=tuple(rng.uniform(0.0, 100.0) for _ in range(rng.randint(0, 8))),
    )
    slots = {slot_id: random_report(rng, slot_id) if rng.random() < 0.6 else None for slot_id in config.slot_ids}
    return Observation(
        host=host,
        slots=slots,
        slot_config=config,
        total_seeds=rng.randint(0, 6),
        max_seeds=rng.choice([0, 1, 3, 5]),
        total_params=rng.randint(0, 5_000_000),
        max_epochs=rng.choice([0, 1, 25, 50]),
    )


def observation_from_json(data: dict) -> Observation:
    """An observation as tools/make_feature_vectors.py records it."""

    def report(fields: dict | None) -> SlotReport | None:
        if fields is None:
            return None
        fields = dict(fields)
        telemetry = fields.pop("telemetry")
        return SlotReport(
            **fields
            | {
                "stage": SeedStage(fields["stage"]),
                "alpha_mode": AlphaMode(fields["alpha_mode"]),
                "alpha_algorithm": AlphaAlgorithm(fields["alpha_algorithm"]),
                "telemetry": None if telemetry is None else SeedTelemetry(**telemetry),
            }
        )

    host = data["host"]
    return Observation(
        host=HostMetrics(
            **host | {"loss_history": tuple(host["loss_history"]), "accuracy_history": tuple(host["accuracy_history"])}
        ),
        slots={slot_id: report(fields) for slot_id, fields in data["slots"].items()},
        slot_config=SlotConfig(tuple(data["slot_ids"])),
        enabled_slots=None if data["enabled_slots"] is None else tuple(data["enabled_slots"]),
        topology=data["topology"],
        total_seeds=data["total_seeds"],
        max_seeds=data["max_seeds"],
        min_prune_age=data["min_prune_age"],
        total_params=data["total_params"],
        max_epochs=data["max_epochs"],
    )


def random_feedback(rng: random.Random, config: SlotConfig) -> dict:
    """Run feedback as the 2016337e feature vectors record it (plain JSON values)."""
    return {
        "last_action_success": rng.random() < 0.7,
        "last_action_op": rng.randrange(6),
        "gradient_health_prev": {s: rng.random() for s in config.slot_ids if rng.random() < 0.5},
        "epochs_since_counterfactual": {s: rng.randint(0, 40) for s in config.slot_ids if rng.random() < 0.5},
    }


def random_feature_case(rng: random.Random, config: SlotConfig) -> tuple[Observation, dict]:
    """One 2016337e feature case: a random observation (episode length 1, 25 or 150) and random feedback,
    drawn in the order tools/make_2016337e_vectors.py has always drawn them."""
    observation = random_observation(rng, config)
    observation = dataclasses.replace(observation, max_epochs=rng.choice([1, 25, 150]))
    return observation, random_feedback(rng, config)


def seeded_feature_case(seed: int, slot_ids: list[str]) -> tuple[Observation, dict]:
    """The feature case a vector file names by its seed and layout, drawn again rather than stored."""
    return random_feature_case(random.Random(seed), SlotConfig(tuple(slot_ids)))


def observation_digest(observation: Observation) -> str:
    """A short fingerprint of every field, so a vector drawn again can be told from the one recorded."""
    return hashlib.sha256(repr(observation).encode()).hexdigest()[:16]
