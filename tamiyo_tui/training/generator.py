"""Procedurally generated scenarios: the distribution the behaviour-cloned policy is trained and judged on.

``generated_scenario(seed)`` is a pure function of the seed: it draws a scenario description (the same
mapping a scenario file holds, schema 1), dumps it as YAML and reads it back with the ordinary loader, so
every generated scenario is one a user could have written and passes the same validation.

What a seed draws (uniformly unless said otherwise; ``docs/policies.md`` has the table):

- the slot grid, 1–3 rows × 1–3 columns, and sometimes a strict subset of it as ``enabled_slots``;
- the topology (cnn or transformer), the gate mode (permissive or strict), a seed cap, ``min_prune_age``;
- the episode length (8–30 epochs);
- host curves: an accuracy that rises, flattens (per-epoch gains around the 0.5-point plateau threshold),
  sometimes dips, and a loss whose relative steps straddle the 3 % stabilization threshold, sometimes with
  a divergence spike the governor reacts to;
- blueprint contributions on both sides of the fossilize threshold (and below zero);
- starting seeds in enabled slots, in any live stage, fossils included, and sometimes one "judged" BLENDING
  seed whose fate the accuracy curve decides (``_judged_seed``);
- scripted interventions: ``action:`` events (germinations, prunes with and without a ramp, advances,
  fossilizations, retargets with SET_ALPHA_TARGET, some of them invalid on purpose), ``governor:`` events
  (rollback, override) and ``host:`` events (a sudden accuracy drop).

Seeds are split by range (``TRAIN_SEEDS``, ``VALIDATION_SEEDS``, ``HELD_OUT_SEEDS``) so that the trainer,
the temperature fit and the agreement report never share a scenario.
"""

from __future__ import annotations

import random
from typing import Any

import yaml

from tamiyo_tui.domain.actions import blueprints_for_topology
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.sim.loader import parse_scenario
from tamiyo_tui.sim.scenario import Scenario

MAX_ROWS = MAX_COLS = 3
# The one slot layout the shipped checkpoint is saved for: every grid up to 3 × 3 is a subset of it.
TRAINING_GRID = SlotConfig.for_grid(MAX_ROWS, MAX_COLS)

# Disjoint seed ranges [start, stop): training, temperature fit (validation), the agreement report.
TRAIN_SEEDS = (0, 100_000)
VALIDATION_SEEDS = (100_000, 200_000)
HELD_OUT_SEEDS = (200_000, 300_000)

EPISODE_LENGTH = (8, 30)
ENABLED_SUBSET_PROBABILITY = 0.35
SEED_CAP_PROBABILITY = 0.25
STRICT_GATES_PROBABILITY = 0.35
TRANSFORMER_PROBABILITY = 0.35
INITIAL_SEED_PROBABILITY = 0.3  # per enabled slot
SCRIPTED_ACTIONS = (0, 4)  # how many `action:` events
GOVERNOR_EVENT_PROBABILITY = 0.25
HOST_DROP_PROBABILITY = 0.15
DIVERGENCE_PROBABILITY = 0.1
GENERATOR_CURVE_PROBABILITY = 0.25  # the host accuracy as {start, end, plateau_at, noise} instead of a list
# Judgement states the heuristic's rules turn on, made common enough to be learned (issue #16: lessons 04, 14):
# a contribution within half a point of the 0.5-point fossilize threshold, and a host that loses accuracy
# while a seed blends or holds (its total improvement goes negative while its contribution stays positive:
# the ransomware rule, whose total improvement the LSTM can only read off the accuracy history).
NEAR_THRESHOLD_PROBABILITY = 0.3  # per contribution drawn
NEAR_THRESHOLD = (0.0, 1.0)
DECLINE_PROBABILITY = 0.2  # the accuracy falls after an early rise (if any) instead of flattening
DECLINE_GAIN = (-0.8, -0.1)  # points an epoch
EARLY_DROP_PROBABILITY = 0.25  # a lasting 0.5–4 point drop in epochs 1–4, while the starting seeds blend and hold
EARLY_DROP = (0.5, 4.0)
# Two rules read an accuracy the features do not carry (the seed's total improvement, its improvement since
# its stage began) and decide about one held-out decision in 300 with the draws above: too few to learn where
# they flip (lesson 14 was a coin toss). This share of scenarios, drawn from a stream of its own so that every
# other scenario is the one the draws above make, starts one seed that the host's accuracy then judges
# (``_judged_seed``): at full amplitude while the host drops (the ransomware rule), or parked at a partial
# target while the host drifts, sometimes dropping (the failing-in-BLENDING rule and its WAIT).
JUDGED_SEED_PROBABILITY = 0.2
JUDGED_CONTRIBUTION = (0.2, 3.0)  # above the ransomware rule's 0.1
# Where the host's validation loss starts, per topology: a language model's cross-entropy over a vocabulary
# starts higher (lesson 06's transformer sits at 3.4, above every CNN draw).
LOSS_START = {"cnn": (0.3, 2.5), "transformer": (0.5, 6.0)}

_INITIAL_STAGES = ("GERMINATED", "TRAINING", "BLENDING", "BLENDING", "HOLDING", "HOLDING", "FOSSILIZED")
_ALPHA_TARGETS = {"HALF": 0.5, "SEVENTY": 0.7, "FULL": 1.0}
_SCRIPTED_OPS = ("GERMINATE", "GERMINATE", "PRUNE", "PRUNE", "ADVANCE", "FOSSILIZE", "SET_ALPHA_TARGET")
_SPEEDS = ("INSTANT", "FAST", "MEDIUM", "SLOW")
_CURVES = ("LINEAR", "COSINE", "SIGMOID_GENTLE", "SIGMOID", "SIGMOID_SHARP")
_STYLES = ("LINEAR_ADD", "LINEAR_MULTIPLY", "SIGMOID_ADD", "GATED_GATE")


def generated_scenario(seed: int) -> Scenario:
    """The scenario seed ``seed`` draws (a pure function of the seed)."""
    return parse_scenario(generated_yaml(seed), file=f"<generated {seed}>")


def generated_yaml(seed: int) -> str:
    """The scenario file seed ``seed`` draws, as YAML text."""
    return yaml.safe_dump(generated_mapping(seed), sort_keys=False, allow_unicode=True)


def generated_mapping(seed: int) -> dict[str, Any]:
    """The scenario description seed ``seed`` draws, as the mapping a scenario file holds."""
    if seed < 0:
        raise ValueError(f"a generated scenario's seed must be ≥ 0, got {seed}")
    rng = random.Random(f"tamiyo-generated#{seed}")  # a str seed is hashed: stable across processes
    rows, cols = rng.randint(1, MAX_ROWS), rng.randint(1, MAX_COLS)
    slots = list(SlotConfig.for_grid(rows, cols).slot_ids)
    enabled = list(slots)
    if len(slots) > 1 and rng.random() < ENABLED_SUBSET_PROBABILITY:
        enabled = sorted(rng.sample(slots, rng.randint(1, len(slots) - 1)), key=slots.index)
    topology = "transformer" if rng.random() < TRANSFORMER_PROBABILITY else "cnn"
    length = rng.randint(*EPISODE_LENGTH)
    blueprints = sorted(bp.name.lower() for bp in blueprints_for_topology(topology))
    scenario: dict[str, Any] = {
        "schema": 1,
        "name": f"generated {seed}",
        "description": f"A procedurally generated scenario (tamiyo_tui.training.generator, seed {seed}).",
        "seed": seed,
        "episode_length": length,
        "topology": topology,
        "slots": {"rows": rows, "cols": cols},
        "gates": "strict" if rng.random() < STRICT_GATES_PROBABILITY else "permissive",
        "min_prune_age": rng.choice((1, 1, 1, 2, 3)),
    }
    if enabled != slots:
        scenario["enabled_slots"] = enabled
    if rng.random() < SEED_CAP_PROBABILITY:
        scenario["max_seeds"] = rng.randint(1, 3)
    scenario["host"] = _host(rng, length, topology)
    scenario["blueprints"] = _blueprints(rng, blueprints)
    initial = _initial(rng, enabled, blueprints)
    if initial:
        scenario["initial"] = initial
    _judged_seed(random.Random(f"tamiyo-generated-judged#{seed}"), scenario, enabled, blueprints)
    events = _events(rng, length, slots, enabled, blueprints)
    if events:
        scenario["events"] = events
    return scenario


def _host(rng: random.Random, length: int, topology: str) -> dict[str, Any]:
    start = rng.uniform(30.0, 85.0)
    if rng.random() < GENERATOR_CURVE_PROBABILITY:
        accuracy: Any = {
            "start": round(start, 2),
            "end": round(min(99.0, start + rng.uniform(0.5, 15.0)), 2),
            "plateau_at": rng.randint(1, max(1, length - 2)),
            "noise": round(rng.uniform(0.0, 0.4), 3),
        }
    else:
        accuracy = _accuracy_curve(rng, start, length)
    host: dict[str, Any] = {"val_accuracy": accuracy}
    if rng.random() < 0.8:
        host["val_loss"] = _loss_curve(rng, length, LOSS_START[topology])
    if rng.random() < 0.15:
        host["num_classes"] = rng.choice((10, 100, 1000))
    return host


def _accuracy_curve(rng: random.Random, start: float, length: int) -> list[float]:
    """Rising, then flattening (or declining) at a drawn epoch; gains around the plateau threshold; sometimes a
    lasting dip, early or late."""
    rise_until = rng.randint(0, length)
    rise_gain = rng.uniform(0.4, 2.5)
    flat_gain = rng.uniform(-0.1, 0.7)
    if rng.random() < DECLINE_PROBABILITY:
        # Early, so that the seeds blending and holding in it are judged while the host declines.
        rise_until, flat_gain = rng.randint(0, length // 3), rng.uniform(*DECLINE_GAIN)
    jitter = rng.uniform(0.0, 0.3)
    dip_draw = rng.random()
    dip_at, dip = None, 0.0
    if dip_draw < 0.2:
        dip_at, dip = rng.randint(2, length), rng.uniform(1.0, 5.0)
    elif dip_draw < 0.2 + EARLY_DROP_PROBABILITY:
        dip_at, dip = rng.randint(1, min(4, length - 1)), rng.uniform(*EARLY_DROP)
    values, value = [], start
    for epoch in range(length):
        if epoch:
            gain = rise_gain if epoch < rise_until else flat_gain
            value += gain + rng.uniform(-jitter, jitter)
            if epoch == dip_at:
                value -= dip
        values.append(_accuracy_point(value))
    return values


def _accuracy_point(value: float) -> float:
    """One epoch of a drawn accuracy curve: kept within 1–99.5 %, three decimals."""
    return round(min(99.5, max(1.0, value)), 3)


def _loss_curve(rng: random.Random, length: int, start: tuple[float, float]) -> list[float]:
    """A falling phase, then a flat one, sometimes a divergence spike.

    The host counts as stabilized after three epochs in a row whose loss fell by less than 3 %: falling
    steps are 3.2–10.8 %, flat ones 0–3 %, so a phase mostly reads as what it is and the epochs near the
    threshold are the close calls.
    """
    value = rng.uniform(*start)
    fast_until = rng.randint(0, length)
    fast, slow = rng.uniform(0.04, 0.09), rng.uniform(0.0, 0.025)
    values = []
    for epoch in range(length):
        if epoch:
            value *= 1.0 - (fast if epoch < fast_until else slow) * rng.uniform(0.8, 1.2)
        values.append(round(max(0.01, value), 4))
    if length > 13 and rng.random() < DIVERGENCE_PROBABILITY:
        spike_at = rng.randint(10, length - 3)
        for epoch in range(spike_at, min(length, spike_at + rng.randint(1, 4))):
            values[epoch] = round(rng.uniform(15.0, 60.0), 2)
    return values


def _blueprints(rng: random.Random, blueprints: list[str]) -> dict[str, Any]:
    effects: dict[str, Any] = {"default": {"contribution": _contribution(rng, -1.0, 3.0)}}
    for blueprint in rng.sample(blueprints, rng.randint(0, min(3, len(blueprints)))):
        effects[blueprint] = {"contribution": _contribution(rng, -1.5, 3.5)}
    return effects


def _contribution(rng: random.Random, low: float, high: float) -> float:
    """Uniform over [low, high], or (NEAR_THRESHOLD_PROBABILITY) over the half point either side of the fossilize
    threshold: a uniform draw puts one contribution in eight there, too few to learn where the rule flips."""
    if rng.random() < NEAR_THRESHOLD_PROBABILITY:
        return round(rng.uniform(*NEAR_THRESHOLD), 2)
    return round(rng.uniform(low, high), 2)


def _initial(rng: random.Random, enabled: list[str], blueprints: list[str]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for slot_id in enabled:
        if rng.random() >= INITIAL_SEED_PROBABILITY:
            continue
        stage = rng.choice(_INITIAL_STAGES)
        in_stage = rng.randint(0, 7)
        slot: dict[str, Any] = {
            "stage": stage,
            "blueprint": rng.choice(blueprints),
            "epochs_in_stage": in_stage,
            "epochs_total": in_stage + rng.randint(0, 8),
        }
        if stage == "BLENDING":
            target = rng.choice((1.0, 1.0, 0.7, 0.5))
            if rng.random() < 0.5:
                steps_total = rng.randint(2, 8)
                steps_done = rng.randint(0, steps_total - 1)
                slot |= {
                    "alpha": round(target * steps_done / steps_total, 4),
                    "alpha_target": target,
                    "alpha_mode": "UP",
                    "steps_total": steps_total,
                    "steps_done": steps_done,
                    "style": rng.choice(_STYLES),
                }
            else:
                slot |= {"alpha": target, "alpha_target": target}
        elif stage in ("HOLDING", "FOSSILIZED"):
            slot["alpha"] = 1.0
        if stage in ("BLENDING", "HOLDING") and rng.random() < 0.5:
            slot["contribution"] = _contribution(rng, -1.0, 3.0)
        initial[slot_id] = slot
    return initial


def _judged_seed(rng: random.Random, scenario: dict[str, Any], enabled: list[str], blueprints: list[str]) -> None:
    """Sometimes (``JUDGED_SEED_PROBABILITY``): one BLENDING seed in an enabled slot and the accuracy that judges it.

    Half of them are at full amplitude: the seed moves to HOLDING at epoch 1 and is first judged at epoch 2, so
    a drop at epoch 1 comes before that judgement (total improvement below 0: the ransomware rule prunes) and
    one at epoch 2 after it (it fossilizes). The others are parked at a partial target, where the heuristic
    waits unless the accuracy has fallen more than 2 points since the stage began (once 5 epochs in it).
    """
    if rng.random() >= JUDGED_SEED_PROBABILITY:
        return
    length = scenario["episode_length"]
    in_stage = rng.randint(1, 7)
    seed = {
        "stage": "BLENDING",
        "blueprint": rng.choice(blueprints),
        "alpha": 1.0,
        "epochs_in_stage": in_stage,
        "epochs_total": in_stage + rng.randint(2, 8),
        "contribution": round(rng.uniform(*JUDGED_CONTRIBUTION), 2),
    }
    if rng.random() < 0.5:
        drop_at: int | None = rng.choice((1, 1, 2))
    else:
        seed["alpha"] = seed["alpha_target"] = rng.choice((0.5, 0.7))
        drop_at = rng.randint(1, min(8, length - 1)) if rng.random() < 0.5 else None
    scenario.setdefault("initial", {})[rng.choice(enabled)] = seed
    accuracy, value = [], rng.uniform(30.0, 85.0)
    drop, gain, jitter = rng.uniform(*EARLY_DROP), rng.uniform(-0.3, 0.5), rng.uniform(0.0, 0.3)
    for epoch in range(length):
        if epoch:
            value += gain + rng.uniform(-jitter, jitter) - (drop if epoch == drop_at else 0.0)
        accuracy.append(_accuracy_point(value))
    scenario["host"]["val_accuracy"] = accuracy


def _events(
    rng: random.Random, length: int, slots: list[str], enabled: list[str], blueprints: list[str]
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(rng.randint(*SCRIPTED_ACTIONS)):
        # Mostly the enabled slots (where an action can succeed), sometimes any slot of the grid.
        slot_id = rng.choice(enabled if rng.random() < 0.85 else slots)
        events.append({"at": rng.randint(1, length), "action": _scripted_action(rng, slot_id, blueprints)})
    if rng.random() < GOVERNOR_EVENT_PROBABILITY:
        events.append({"at": rng.randint(2, length), "governor": rng.choice(("rollback", "override"))})
    if rng.random() < HOST_DROP_PROBABILITY:
        events.append({"at": rng.randint(2, length), "host": {"val_accuracy": round(rng.uniform(20.0, 60.0), 2)}})
    events.sort(key=lambda event: event["at"])
    return events


def _scripted_action(rng: random.Random, slot_id: str, blueprints: list[str]) -> dict[str, Any]:
    op = rng.choice(_SCRIPTED_OPS)
    action: dict[str, Any] = {"op": op, "slot": slot_id}
    if op == "GERMINATE":
        action["blueprint"] = rng.choice(blueprints).upper()
        if rng.random() < 0.3:
            action["alpha_target"] = rng.choice(tuple(_ALPHA_TARGETS))
        if rng.random() < 0.3:
            action["tempo"] = rng.choice(("FAST", "STANDARD", "SLOW"))
    elif op in ("PRUNE", "SET_ALPHA_TARGET"):
        action["alpha_speed"] = rng.choice(_SPEEDS)
        action["alpha_curve"] = rng.choice(_CURVES)
        if op == "SET_ALPHA_TARGET":
            action["alpha_target"] = rng.choice(tuple(_ALPHA_TARGETS))
    return action
