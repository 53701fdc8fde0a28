"""The 2016337e heuristic differs from 60205274's by three rules, each shown on a state where the two
generations decide differently (and agree everywhere else the lessons take them)."""

from __future__ import annotations

from observations import a_report, an_observation

from tamiyo_tui.domain.actions import LifecycleOp
from tamiyo_tui.domain.observation import HostMetrics
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.generations.esper_2016337e.heuristic import HeuristicTamiyo2016337e
from tamiyo_tui.rules.heuristic import HeuristicConfig, HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskInputs, explain_masks

PLATEAU = HostMetrics(epoch=12, plateau_epochs=6, host_stabilized=True)


def propose(heuristic: HeuristicTamiyo, observation):
    return heuristic.propose(observation, explain_masks(MaskInputs.from_observation(observation)))


def test_no_free_slot_means_wait_before_looking_for_a_plateau() -> None:
    full = {slot: a_report(slot, SeedStage.FOSSILIZED) for slot in ("r0c0", "r0c1", "r0c2")}
    observation = an_observation(PLATEAU, full)
    assert propose(HeuristicTamiyo2016337e(), observation).reason == "No available slots"
    assert propose(HeuristicTamiyo(), observation).reason != "No available slots"
    # A free slot: both generations germinate on the plateau.
    one_free = an_observation(PLATEAU, {"r0c0": a_report("r0c0", SeedStage.FOSSILIZED)})
    for heuristic in (HeuristicTamiyo(), HeuristicTamiyo2016337e()):
        assert propose(heuristic, one_free).action.op == LifecycleOp.GERMINATE


def test_a_holding_seed_waits_for_its_counterfactual() -> None:
    config = HeuristicConfig()
    holding = a_report(
        "r0c0",
        SeedStage.HOLDING,
        counterfactual_contribution=None,
        total_improvement=config.min_improvement_to_fossilize + 2.0,
        epochs_total=6,
    )
    observation = an_observation(PLATEAU, {"r0c0": holding})
    assert propose(HeuristicTamiyo(config), observation).action.op == LifecycleOp.FOSSILIZE  # by its total
    later = propose(HeuristicTamiyo2016337e(config), observation)
    assert (later.action.op, later.reason) == (
        LifecycleOp.WAIT,
        "Awaiting counterfactual contribution before fossilization",
    )
    measured = an_observation(PLATEAU, {"r0c0": a_report("r0c0", SeedStage.HOLDING, counterfactual_contribution=3.0)})
    for heuristic in (HeuristicTamiyo(config), HeuristicTamiyo2016337e(config)):
        assert propose(heuristic, measured).action.op == LifecycleOp.FOSSILIZE


def test_when_every_blueprint_is_penalised_the_rotation_goes_on() -> None:
    config = HeuristicConfig()
    rotation = config.blueprint_rotation
    penalties = {bp: config.blueprint_penalty_threshold + 1.0 + index for index, bp in enumerate(rotation)}
    chosen: dict[str, list[str]] = {}
    for name, heuristic in (("60205274", HeuristicTamiyo(config)), ("2016337e", HeuristicTamiyo2016337e(config))):
        picks = []
        for _ in range(len(rotation)):
            heuristic.penalties = dict(penalties)
            blueprint, heuristic.blueprint_index = heuristic._next_blueprint()
            picks.append(blueprint)
        chosen[name] = picks
    assert set(chosen["60205274"]) == {rotation[0]}  # always the least penalised
    assert chosen["2016337e"] == sorted(rotation, key=lambda bp: (penalties[bp], bp))  # every one in turn
