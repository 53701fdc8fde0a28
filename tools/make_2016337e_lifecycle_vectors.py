"""Write the 2016337e lifecycle vectors: one reference SeedSlot driven through random op sequences.

    ESPER_LITE_2016337E=/path/to/esper-lite-at-2016337e python tools/make_2016337e_lifecycle_vectors.py

The path is a checkout (or ``git archive``) of tachyon-beep/esper-lite at 2016337e; the reference's
``kasmina`` SeedSlot is imported from its ``src`` folder and called, nothing of it is copied here. Needs torch
(the reference slot is an ``nn.Module``); runs only outside CI. Writes ``tests/vectors/esper-2016337e-lifecycle.json``,
which ``tests/generations/test_lifecycle_2016337e_parity.py`` replays on our pure-Python slot.

What is driven. ``SEQUENCES`` sequences (seeds 0..N-1, ``random.Random(seed)``), each of 20-40 epochs on one
slot ``r0c0`` (8 channels, CNN topology, permissive ``QualityGates`` as the RL trainer builds them,
``fast_mode``). Every epoch, in the order of the reference trainer's epoch:

1. **Validation signals** (inputs, drawn every epoch whatever the stage, so a replay reads the same values):
   ``acc`` (validation accuracy), ``cf`` (a counterfactual, or null when this epoch does not measure one) and
   ``grad`` ([norm, health], or null when no gradient statistics came this epoch). How they reach the seed:

   - ``cf``: stored as the seed's counterfactual when the seed's module exists and its alpha is above 0 (a
     seed with alpha 0 is not ablated by the trainer);
   - ``acc``: ``record_accuracy`` on **every slot with a state**, cooldown stages included: the 2016337e
     trainer's validation loop skips only an empty slot, so a PRUNED/EMBARGOED/RESETTING seed's stage counter
     moves twice per epoch (here and in ``step_epoch``);
   - ``grad``: ``sync_telemetry`` with ``gradient_norm``/``gradient_health`` and the flags ``has_exploding =
     norm > 100``, ``has_vanishing = norm < 1e-7`` when the seed's module exists, it is in TRAINING or BLENDING
     (the stages whose parameters train) and ``grad`` is not null; otherwise ``sync_telemetry`` without gradient
     values (the trainer's fallback, which leaves an unmeasured seed unmeasured). Mapping: the trainer measures
     gradients per batch and derives the flags from per-layer counts; our simulator has no batches, so one
     (norm, health) per epoch and the flags from the norm stand for that measurement.

2. **One op** (``op`` and its arguments; ``accepted`` is what the reference returned):

   - ``germinate`` (blueprint from the CNN registry, ``blend`` + ``algorithm`` one of our four germination
     styles, ``tempo`` 3/5/8, ``target`` 0.5/0.7/1.0): accepted when it did not raise;
   - ``advance`` (``advance_stage()``, the table's next stage) and ``fossilize`` (``advance_stage(FOSSILIZED)``):
     the gate result's ``passed``;
   - ``prune`` (the instant ``prune``), ``schedule_prune`` (``steps`` 0/3/5/8, ``curve``, ``steepness``) and
     ``set_alpha_target`` (``target``, ``steps``, ``curve``, ``steepness``, ``algorithm``): the returned bool;
   - ``wait``: nothing (``accepted`` null).

   These are the slot's operations, not the trainer's op handlers: the handlers' own checks (the prune age,
   the mask's alpha-mode rule, the seed cap, PRUNE always going through ``schedule_prune``) are outside this
   comparison; ``tests/generations/test_masks_2016337e.py`` covers the masks.

3. ``step_epoch()``.

Recorded per epoch: the stage and alpha after the op (``after_op``) and after ``step_epoch`` (``after_tick``),
the stage as its name or ``"EMPTY"``. The op mix leans on waiting in TRAINING so that permissive G2's ten epochs
are reached, and ``grad``/``cf`` are sometimes missing, exploding or unhealthy, so that G2 and G5 both pass and
fail. Not compared: germinations whose blend id and alpha algorithm do not form one of our styles (the reference
rejects e.g. ``gated`` without GATE; our germinate takes a style, which cannot express them), and the per-sample
gate network GATE attaches (no alpha of its own on the slot).
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "esper-2016337e-lifecycle.json"
SEQUENCES = 120
SLOT_ID = "r0c0"
CHANNELS = 8
STYLES = (("linear", "ADD"), ("linear", "MULTIPLY"), ("sigmoid", "ADD"), ("gated", "GATE"))
TEMPOS = (3, 5, 8)
TARGETS = (0.5, 0.7, 1.0)
GERMINATION_TARGETS = (0.5, 0.7, 1.0, 1.0, 1.0)  # mostly full, so that G3 (HOLDING) is reached
STEPS = (0, 3, 5, 8)
CURVES = ("LINEAR", "COSINE", "SIGMOID")
STEEPNESS = (6.0, 12.0, 24.0)
GRADIENT_STAGES = ("TRAINING", "BLENDING")


def _reference():
    root = os.environ.get("ESPER_LITE_2016337E")
    if not root:
        sys.exit("set ESPER_LITE_2016337E to a checkout of esper-lite at 2016337e")
    sys.path.insert(0, str(Path(root) / "src"))
    from esper.kasmina.blueprints import BlueprintRegistry
    from esper.kasmina.slot import QualityGates, SeedSlot
    from esper.leyline import SeedStage
    from esper.leyline.alpha import AlphaAlgorithm, AlphaCurve

    blueprints = sorted(spec.name for spec in BlueprintRegistry.list_for_topology("cnn"))
    return SeedSlot, QualityGates, SeedStage, AlphaAlgorithm, AlphaCurve, blueprints


def _signals(rng: random.Random) -> dict:
    """One epoch's validation inputs; some are missing or bad on purpose (G2 and G5 must fail sometimes)."""
    grad = None
    if rng.random() < 0.85:
        norm = rng.choice((*(rng.uniform(0.05, 5.0) for _ in range(5)), rng.uniform(101.0, 500.0)))
        health = rng.choice((*(rng.uniform(0.7, 1.0) for _ in range(4)), rng.uniform(0.3, 0.75)))
        grad = [round(norm, 4), round(health, 4)]
    cf = round(rng.uniform(-2.0, 6.0), 4) if rng.random() < 0.8 else None
    return {"acc": round(rng.uniform(40.0, 90.0), 4), "cf": cf, "grad": grad}


def _op(rng: random.Random, stage: str, blueprints: list[str]) -> dict:
    """An op, weighted by the stage so that every stage is reached and left both ways."""
    weights = {
        "EMPTY": {"germinate": 6, "wait": 2, "advance": 1, "prune": 1},
        "GERMINATED": {"advance": 8, "wait": 2, "prune": 0.3, "schedule_prune": 0.3, "set_alpha_target": 0.5},
        "TRAINING": {"wait": 14, "advance": 5, "prune": 0.2, "schedule_prune": 0.2, "set_alpha_target": 0.5},
        "BLENDING": {"wait": 5, "advance": 4, "set_alpha_target": 3, "schedule_prune": 1, "prune": 0.5},
        "HOLDING": {"fossilize": 3, "advance": 1, "set_alpha_target": 3, "schedule_prune": 1, "prune": 0.5, "wait": 2},
        "FOSSILIZED": {"wait": 4, "prune": 1, "schedule_prune": 1, "set_alpha_target": 1, "advance": 1},
    }.get(stage, {"wait": 6, "germinate": 2, "prune": 1, "advance": 1, "set_alpha_target": 1})
    names = list(weights)
    name = rng.choices(names, weights=[weights[n] for n in names])[0]
    op: dict = {"op": name}
    if name == "germinate":
        blend, algorithm = rng.choice(STYLES)
        op |= {"blueprint": rng.choice(blueprints), "blend": blend, "algorithm": algorithm}
        op |= {"tempo": rng.choice(TEMPOS), "target": rng.choice(GERMINATION_TARGETS)}
    elif name in ("schedule_prune", "set_alpha_target"):
        op |= {"steps": rng.choice(STEPS), "curve": rng.choice(CURVES), "steepness": rng.choice(STEEPNESS)}
        if name == "set_alpha_target":
            op |= {"target": rng.choice(TARGETS), "algorithm": rng.choice(("ADD", "MULTIPLY", "GATE"))}
    return op


def _state(slot) -> list:
    return ["EMPTY", 0.0] if slot.state is None else [slot.state.stage.name, float(slot.state.alpha)]


def run_sequence(seed: int, ref) -> dict:
    SeedSlot, QualityGates, SeedStage, AlphaAlgorithm, AlphaCurve, blueprints = ref
    rng = random.Random(seed)
    slot = SeedSlot(SLOT_ID, channels=CHANNELS, gates=QualityGates(permissive=True), fast_mode=True)
    epochs = []
    n_epochs = rng.randint(20, 40)
    for epoch in range(1, n_epochs + 1):
        signals = _signals(rng)
        state = slot.state
        if state is not None and slot.is_active and signals["cf"] is not None and state.alpha > 0:
            state.metrics.counterfactual_contribution = signals["cf"]
        if state is not None:
            state.metrics.record_accuracy(signals["acc"])
        if state is not None and slot.is_active:
            grad = signals["grad"] if state.stage.name in GRADIENT_STAGES else None
            if grad is None:
                state.sync_telemetry(epoch=epoch, max_epochs=n_epochs)
            else:
                norm, health = grad
                state.sync_telemetry(
                    gradient_norm=norm,
                    gradient_health=health,
                    has_vanishing=norm < 1e-7,
                    has_exploding=norm > 100.0,
                    epoch=epoch,
                    max_epochs=n_epochs,
                )
        op = _op(rng, _state(slot)[0], blueprints)
        accepted = _apply(slot, op, SeedStage, AlphaAlgorithm, AlphaCurve)
        after_op = _state(slot)
        slot.step_epoch()
        epochs.append({**signals, **op, "accepted": accepted, "after_op": after_op, "after_tick": _state(slot)})
    return {"seed": seed, "epochs": epochs}


def _apply(slot, op: dict, SeedStage, AlphaAlgorithm, AlphaCurve) -> bool | None:
    name = op["op"]
    if name == "wait":
        return None
    if name == "germinate":
        try:
            slot.germinate(
                op["blueprint"],
                blend_algorithm_id=op["blend"],
                blend_tempo_epochs=op["tempo"],
                alpha_algorithm=AlphaAlgorithm[op["algorithm"]],
                alpha_target=op["target"],
            )
        except (RuntimeError, ValueError):
            return False
        return True
    if name == "advance":
        return bool(slot.advance_stage().passed)
    if name == "fossilize":
        return bool(slot.advance_stage(SeedStage.FOSSILIZED).passed)
    if name == "prune":
        return bool(slot.prune(reason="policy_prune"))
    curve = AlphaCurve[op["curve"]]
    if name == "schedule_prune":
        return bool(slot.schedule_prune(steps=op["steps"], curve=curve, steepness=op["steepness"]))
    return bool(
        slot.set_alpha_target(
            alpha_target=op["target"],
            steps=op["steps"],
            curve=curve,
            steepness=op["steepness"],
            alpha_algorithm=AlphaAlgorithm[op["algorithm"]],
        )
    )


def main() -> None:
    ref = _reference()
    sequences = [run_sequence(seed, ref) for seed in range(SEQUENCES)]
    payload = {
        "reference": "esper-lite 2016337e, kasmina.slot.SeedSlot",
        "slot": SLOT_ID,
        "gates": "permissive",
        "sequences": sequences,
    }
    OUT.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    epochs = sum(len(s["epochs"]) for s in sequences)
    print(f"wrote {OUT.name}: {len(sequences)} sequences, {epochs} epochs, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
