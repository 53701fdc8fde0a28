"""Our seed slot under the 2016337e lifecycle follows the reference's SeedSlot: on every committed random op
sequence (``tools/make_2016337e_lifecycle_vectors.py``, whose docstring states the protocol and its mappings)
the stage and alpha after each op and after each ``step_epoch``, and whether each op was accepted, equal what
the reference recorded. Pure Python: the vectors hold the reference's answers, no torch is needed here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tamiyo_tui.domain.actions import STYLE_TO_KASMINA
from tamiyo_tui.domain.alpha import AlphaAlgorithm, AlphaCurve
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE, BlueprintEffect
from tamiyo_tui.sim.seed_state import GRADIENT_STAGES, records_accuracy
from tamiyo_tui.sim.slot import PRUNE_BY_POLICY, SeedSlot

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "esper-2016337e-lifecycle.json").read_text())
SEQUENCES = VECTORS["sequences"]
STYLE_FOR = {(blend, algorithm.name): style for style, (blend, algorithm) in STYLE_TO_KASMINA.items()}
ALPHA_TOLERANCE = 1e-6


def _validate(slot: SeedSlot, epoch: int, signals: dict, max_epochs: int) -> None:
    """The validation inputs reach our seed as the simulator's epoch hands them over (``Simulator.observe``)."""
    seed = slot.state
    if seed is None:
        return
    if seed.has_module and signals["cf"] is not None and seed.alpha > 0:
        seed.measure_counterfactual(signals["cf"], trend=True)
    if records_accuracy(seed, ESPER_2016337E_LIFECYCLE):
        seed.record_accuracy(signals["acc"])
    if seed.has_module:
        measured = signals["grad"] is not None and seed.stage in GRADIENT_STAGES
        seed.sync_telemetry(epoch=epoch, max_epochs=max_epochs, gradient=tuple(signals["grad"]) if measured else None)


def _apply(slot: SeedSlot, op: dict, serial: int) -> bool | None:
    name = op["op"]
    if name == "wait":
        return None
    if name == "germinate":
        return slot.germinate(
            serial=serial,
            blueprint_id=op["blueprint"],
            style=STYLE_FOR[op["blend"], op["algorithm"]],
            tempo_epochs=op["tempo"],
            alpha_target=op["target"],
            effect=BlueprintEffect(),
        ).ok
    if name == "advance":
        return slot.advance("permissive", lifecycle=ESPER_2016337E_LIFECYCLE).ok
    if name == "fossilize":
        return slot.advance(
            "permissive", target=SeedStage.FOSSILIZED, cause="FOSSILIZE", lifecycle=ESPER_2016337E_LIFECYCLE
        ).ok
    if name == "prune":
        return slot.prune(PRUNE_BY_POLICY).ok
    curve = AlphaCurve[op["curve"]]
    if name == "schedule_prune":
        return slot.schedule_prune(op["steps"], curve, op["steepness"]).ok
    assert name == "set_alpha_target", name
    return slot.set_alpha_target(op["target"], op["steps"], curve, op["steepness"], AlphaAlgorithm[op["algorithm"]]).ok


def _state(slot: SeedSlot) -> tuple[str, float]:
    return ("EMPTY", 0.0) if slot.state is None else (slot.state.stage.name, slot.state.alpha)


def _check(where: str, ours: tuple[str, float], theirs: list) -> None:
    assert ours[0] == theirs[0], f"{where}: stage {ours[0]}, the reference's {theirs[0]}"
    assert abs(ours[1] - theirs[1]) <= ALPHA_TOLERANCE, f"{where}: alpha {ours[1]!r}, the reference's {theirs[1]!r}"


def replay(sequence: dict) -> None:
    """Raises AssertionError at the first epoch where ours and the reference's slot part."""
    slot = SeedSlot(VECTORS["slot"])
    epochs = sequence["epochs"]
    serial = 0
    for epoch, record in enumerate(epochs, start=1):
        where = f"sequence {sequence['seed']}, epoch {epoch} ({record['op']})"
        _validate(slot, epoch, record, len(epochs))
        serial += record["op"] == "germinate"
        accepted = _apply(slot, record, serial)
        assert accepted == record["accepted"], f"{where}: accepted {accepted}, the reference's {record['accepted']}"
        _check(f"{where}, after the op", _state(slot), record["after_op"])
        slot.step_epoch()
        _check(f"{where}, after step_epoch", _state(slot), record["after_tick"])


def test_the_vectors_cover_the_lifecycle() -> None:
    """Enough sequences, and every stage and op outcome the comparison is meant to exercise."""
    assert len(SEQUENCES) >= 100
    stages = {record[key][0] for s in SEQUENCES for record in s["epochs"] for key in ("after_op", "after_tick")}
    assert stages >= {stage.name for stage in SeedStage if stage not in (SeedStage.UNKNOWN, SeedStage.DORMANT)}
    outcomes = {(record["op"], record["accepted"]) for s in SEQUENCES for record in s["epochs"]}
    for op in ("germinate", "advance", "fossilize", "prune", "schedule_prune", "set_alpha_target"):
        assert (op, True) in outcomes, op
        assert (op, False) in outcomes or op == "fossilize", op


@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda s: f"seq{s['seed']}")
def test_stage_alpha_and_verdicts_equal_the_reference(sequence: dict) -> None:
    replay(sequence)


def test_a_perturbed_vector_fails() -> None:
    """The comparison can fail: one alpha moved past the tolerance is caught, with its sequence and epoch."""
    sequence = next(s for s in SEQUENCES if any(r["after_tick"][1] > 0 for r in s["epochs"]))
    index = next(i for i, r in enumerate(sequence["epochs"]) if r["after_tick"][1] > 0)
    bent = json.loads(json.dumps(sequence))
    bent["epochs"][index]["after_tick"][1] += 1e-4
    with pytest.raises(AssertionError, match=f"sequence {sequence['seed']}, epoch {index + 1} "):
        replay(bent)
