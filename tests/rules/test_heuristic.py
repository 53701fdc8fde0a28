"""The heuristic controller: every branch of its decision rules, its reason text, and its respect for the masks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    AlphaCurveAction,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import HostMetrics, Observation, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.rules.heuristic import (
    DEFAULT_BLUEPRINT_ROTATION,
    DEFAULT_TRANSFORMER_ROTATION,
    HeuristicConfig,
    HeuristicDecision,
    HeuristicTamiyo,
    build_action_enum,
)
from tamiyo_tui.rules.masks import MaskInputs, explain_masks

SLOTS = SlotConfig.default()  # r0c0, r0c1, r0c2


def host(epoch: int = 10, plateau: int = 3, stabilized: bool = True) -> HostMetrics:
    return HostMetrics(epoch=epoch, plateau_epochs=plateau, host_stabilized=stabilized)


def seed(stage: SeedStage, slot_id: str = "r0c0", **fields) -> SlotReport:
    defaults = {"seed_id": f"seed-{slot_id}", "blueprint_id": "conv_light", "epochs_total": 6}
    return SlotReport(slot_id=slot_id, stage=stage, **(defaults | fields))


def observe(*reports: SlotReport, at: HostMetrics | None = None, **settings_) -> Observation:
    slots: dict[str, SlotReport | None] = dict.fromkeys(SLOTS.slot_ids)
    slots.update({report.slot_id: report for report in reports})
    return Observation(host=at or host(), slots=slots, slot_config=SLOTS, **settings_)


def decide(controller: HeuristicTamiyo, obs: Observation) -> HeuristicDecision:
    return controller.decide(obs, explain_masks(MaskInputs.from_observation(obs)))


def assert_allowed_by_masks(decision: HeuristicDecision, obs: Observation) -> None:
    masks = explain_masks(MaskInputs.from_observation(obs)).masks()
    for head, option in decision.action.to_head_indices().items():
        assert masks[head][option], f"{head}={option} is masked ({decision})"


# --- the flat action enum and the configuration -----------------------------------------------------------


def test_flat_enums_order_blueprints_by_parameter_estimate() -> None:
    cnn = build_action_enum("cnn")
    transformer = build_action_enum("transformer")
    assert cnn.__name__ == "CnnAction"
    assert [m.name for m in cnn] == [
        "WAIT",
        "GERMINATE_NOOP",
        "GERMINATE_NORM",
        "GERMINATE_ATTENTION",
        "GERMINATE_DEPTHWISE",
        "GERMINATE_BOTTLENECK",
        "GERMINATE_CONV_SMALL",
        "GERMINATE_CONV_LIGHT",
        "GERMINATE_CONV_HEAVY",
        "FOSSILIZE",
        "PRUNE",
        "ADVANCE",
    ]
    assert transformer.__name__ == "TransformerAction"
    assert [m.name for m in transformer][1:9] == [
        "GERMINATE_NOOP",
        "GERMINATE_NORM",
        "GERMINATE_LORA",
        "GERMINATE_LORA_LARGE",
        "GERMINATE_ATTENTION",
        "GERMINATE_FLEX_ATTENTION",
        "GERMINATE_MLP_SMALL",
        "GERMINATE_MLP",
    ]
    assert (cnn["ADVANCE"].value, transformer["PRUNE"].value) == (11, 10)


def test_config_defaults_are_the_reference_values() -> None:
    config = HeuristicConfig()
    assert (
        config.plateau_epochs_to_germinate,
        config.min_epochs_before_germinate,
        config.prune_after_epochs_without_improvement,
        config.prune_if_accuracy_drops_by,
        config.min_improvement_to_fossilize,
        config.embargo_epochs_after_prune,
    ) == (3, 5, 5, 2.0, 0.5, 5)
    assert config.blueprint_rotation == ("conv_light", "conv_heavy", "attention", "norm", "depthwise")
    assert (config.blueprint_penalty_on_prune, config.blueprint_penalty_decay, config.blueprint_penalty_threshold) == (
        2.0,
        0.5,
        3.0,
    )
    assert (config.ransomware_contribution_threshold, config.ransomware_improvement_threshold) == (0.1, 0.0)


def test_config_from_mapping_takes_lists_and_rejects_unknown_fields() -> None:
    config = HeuristicConfig.from_mapping(
        {"blueprint_rotation": ["norm", "attention"], "embargo_epochs_after_prune": 2}
    )
    assert config.blueprint_rotation == ("norm", "attention")
    assert config.embargo_epochs_after_prune == 2
    with pytest.raises(ValueError, match=r"Unknown heuristic config field\(s\): \['plateau'\]"):
        HeuristicConfig.from_mapping({"plateau": 3})
    with pytest.raises(ValueError, match="blueprint_rotation must name at least one blueprint"):
        HeuristicConfig(blueprint_rotation=())


def test_invalid_explicit_rotation_raises_the_reference_message() -> None:
    with pytest.raises(ValueError) as cnn_error:
        HeuristicTamiyo(HeuristicConfig(blueprint_rotation=("conv_light", "lora", "mlp")))
    assert str(cnn_error.value) == (
        "blueprint_rotation contains blueprints not available for topology 'cnn': ['lora', 'mlp']. "
        "Available: ['attention', 'bottleneck', 'conv_heavy', 'conv_light', 'conv_small', 'depthwise', 'noop', 'norm']"
    )
    with pytest.raises(ValueError) as transformer_error:
        HeuristicTamiyo(HeuristicConfig(blueprint_rotation=("conv_light",)), topology="transformer")
    assert str(transformer_error.value).startswith(
        "blueprint_rotation contains blueprints not available for topology 'transformer': ['conv_light']. "
    )


def test_unknown_topology_and_mismatched_observation_are_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown topology 'rnn'"):
        HeuristicTamiyo(topology="rnn")
    with pytest.raises(ValueError, match="topology 'transformer' does not match the heuristic's topology 'cnn'"):
        decide(HeuristicTamiyo(), observe(topology="transformer"))


def test_transformer_with_the_default_rotation_germinates_a_transformer_blueprint() -> None:
    controller = HeuristicTamiyo(topology="transformer")
    assert controller.rotation == DEFAULT_TRANSFORMER_ROTATION
    obs = observe(topology="transformer")
    decision = decide(controller, obs)
    assert decision.flat_action == "GERMINATE_LORA"
    assert decision.action.blueprint == BlueprintAction.LORA
    assert_allowed_by_masks(decision, obs)
    assert HeuristicTamiyo(topology="cnn").rotation == DEFAULT_BLUEPRINT_ROTATION


# --- germination branch -----------------------------------------------------------------------------------


def test_not_stabilized_then_too_early_then_progressing_normally() -> None:
    controller = HeuristicTamiyo()
    assert decide(controller, observe(at=host(stabilized=False))).reason == "Host not stabilized"
    assert decide(controller, observe(at=host(epoch=4))).reason == "Too early (epoch 4)"
    normal = decide(controller, observe(at=host(plateau=2)))
    assert normal.reason == "Training progressing normally"
    assert (normal.flat_action, normal.target_slot, normal.target_seed_id) == ("WAIT", None, None)
    assert str(normal) == "Action: WAIT | Reason: Training progressing normally"


def test_plateau_germinates_in_rotation_order_into_the_first_enabled_empty_slot() -> None:
    controller = HeuristicTamiyo()
    fossil = seed(SeedStage.FOSSILIZED, "r0c1")  # terminal: not live, but the slot is occupied
    obs = observe(fossil, at=host(plateau=3), enabled_slots=("r0c1", "r0c2"))
    first = decide(controller, obs)
    assert first.flat_action == "GERMINATE_CONV_LIGHT"
    assert first.reason == "Plateau detected (3 epochs)"
    assert first.confidence == pytest.approx(0.6)
    assert (first.target_slot, first.target_seed_id) == ("r0c2", None)
    assert first.action == FactoredAction(
        slot_idx=2,
        blueprint=BlueprintAction.CONV_LIGHT,
        style=GerminationStyle.SIGMOID_ADD,
        tempo=TempoAction.STANDARD,
        alpha_target=AlphaTargetAction.FULL,
        alpha_speed=AlphaSpeedAction.INSTANT,
        alpha_curve=AlphaCurveAction.LINEAR,
        op=LifecycleOp.GERMINATE,
    )
    later = [decide(controller, observe(at=host(plateau=7))).flat_action for _ in range(5)]
    assert later == [
        "GERMINATE_CONV_HEAVY",
        "GERMINATE_ATTENTION",
        "GERMINATE_NORM",
        "GERMINATE_DEPTHWISE",
        "GERMINATE_CONV_LIGHT",
    ]
    assert controller.germination_count == 6
    assert controller.decisions[-1].confidence == 1.0


def test_a_prune_starts_the_embargo_countdown() -> None:
    controller = HeuristicTamiyo()
    pruned = decide(controller, observe(seed(SeedStage.HOLDING, total_improvement=0.2), at=host(epoch=10)))
    assert pruned.flat_action == "PRUNE"
    assert controller.last_prune_epoch == 10
    cooling = seed(SeedStage.EMBARGOED)  # a failure stage: not live
    waits = [decide(controller, observe(cooling, at=host(epoch=e))) for e in (11, 12, 14)]
    assert [d.reason for d in waits] == [
        "Embargo (1/5 since prune)",
        "Embargo (2/5 since prune)",
        "Embargo (4/5 since prune)",
    ]
    assert all(d.flat_action == "WAIT" and d.target_seed_id is None for d in waits)
    assert decide(controller, observe(cooling, at=host(epoch=15))).flat_action == "GERMINATE_CONV_LIGHT"


def test_masked_germination_waits_and_names_the_mask_reason_without_advancing_the_rotation() -> None:
    controller = HeuristicTamiyo()
    obs = observe(at=host(plateau=3), total_seeds=3, max_seeds=3)
    decision = decide(controller, obs)
    assert decision.flat_action == "WAIT"
    assert decision.action.op == LifecycleOp.WAIT
    assert decision.reason == (
        "Plateau detected (3 epochs) but GERMINATE is masked: seed cap reached: 3 of max_seeds 3 seeds in use"
    )
    assert (controller.blueprint_index, controller.germination_count) == (0, 0)
    assert_allowed_by_masks(decision, obs)


def test_a_rotation_blueprint_the_masks_forbid_is_not_germinated() -> None:
    controller = HeuristicTamiyo(HeuristicConfig(blueprint_rotation=("noop",)))
    decision = decide(controller, observe())
    assert decision.reason == (
        "Plateau detected (3 epochs) but blueprint NOOP is masked: "
        "NOOP is always masked: germinating nothing is not an action"
    )
    assert decision.action.op == LifecycleOp.WAIT


# --- blueprint penalties ----------------------------------------------------------------------------------


def test_prune_penalty_decays_once_per_epoch_until_forgotten() -> None:
    controller = HeuristicTamiyo()
    decide(controller, observe(seed(SeedStage.HOLDING, blueprint_id="conv_heavy"), at=host(epoch=10)))
    assert controller.penalties == {"conv_heavy": 2.0}
    history = []
    for epoch in (11, 11, 12, 13, 14, 15):
        decide(controller, observe(at=host(epoch=epoch, stabilized=False)))
        history.append(dict(controller.penalties))
    assert history == [
        {"conv_heavy": 1.0},
        {"conv_heavy": 1.0},  # a second decision in the same epoch does not decay again
        {"conv_heavy": 0.5},
        {"conv_heavy": 0.25},
        {"conv_heavy": 0.125},
        {},
    ]


def _controller_with_penalties(penalties: dict[str, float], epoch: int) -> HeuristicTamiyo:
    controller = HeuristicTamiyo()
    state = controller.state_dict() | {"penalties": penalties, "last_decay_epoch": epoch}
    controller.load_state_dict(state)
    return controller


def test_a_blueprint_at_the_penalty_threshold_is_skipped() -> None:
    controller = _controller_with_penalties({"conv_light": 3.0}, epoch=10)
    assert decide(controller, observe(at=host(epoch=10))).flat_action == "GERMINATE_CONV_HEAVY"
    assert controller.blueprint_index == 2


def test_when_every_blueprint_is_penalised_the_least_penalised_wins() -> None:
    penalties = {"conv_light": 4.0, "conv_heavy": 3.5, "attention": 3.0, "norm": 3.0, "depthwise": 5.0}
    controller = _controller_with_penalties(penalties, epoch=10)
    assert decide(controller, observe(at=host(epoch=10))).flat_action == "GERMINATE_ATTENTION"
    assert controller.blueprint_index == 5  # a full cycle was tried


# --- seed management --------------------------------------------------------------------------------------


def test_germinated_seed_is_advanced() -> None:
    decision = decide(HeuristicTamiyo(), observe(seed(SeedStage.GERMINATED, "r0c1")))
    assert (decision.flat_action, decision.reason) == ("ADVANCE", "Advance to TRAINING")
    assert (decision.target_slot, decision.target_seed_id, decision.action.slot_idx) == ("r0c1", "seed-r0c1", 1)
    assert decision.action.op == LifecycleOp.ADVANCE
    assert str(decision) == "Action: ADVANCE | Target: seed-r0c1 | Reason: Advance to TRAINING"


@pytest.mark.parametrize(
    ("epochs_in_stage", "improvement", "flat", "reason"),
    [
        (5, -2.5, "PRUNE", "Failing in TRAINING"),
        (4, -3.0, "ADVANCE", "Advance to BLENDING (improvement -3.00%)"),
        (5, -2.0, "ADVANCE", "Advance to BLENDING (improvement -2.00%)"),
        (9, 1.25, "ADVANCE", "Advance to BLENDING (improvement +1.25%)"),
    ],
)
def test_training_seed_is_pruned_only_after_five_epochs_of_a_large_drop(
    epochs_in_stage: int, improvement: float, flat: str, reason: str
) -> None:
    training = seed(SeedStage.TRAINING, epochs_in_stage=epochs_in_stage, improvement_since_stage_start=improvement)
    decision = decide(HeuristicTamiyo(), observe(training))
    assert (decision.flat_action, decision.reason) == (flat, reason)


def test_issued_prune_is_instant_and_updates_penalty_and_prune_epoch() -> None:
    controller = HeuristicTamiyo()
    failing = seed(SeedStage.TRAINING, epochs_in_stage=5, improvement_since_stage_start=-4.0)
    decision = decide(controller, observe(failing, at=host(epoch=12)))
    assert decision.action.op == LifecycleOp.PRUNE
    assert decision.action.alpha_speed == AlphaSpeedAction.INSTANT
    assert (controller.last_prune_epoch, controller.penalties) == (12, {"conv_light": 2.0})


def test_blending_advances_at_full_amplitude_and_waits_while_ramping() -> None:
    full = seed(SeedStage.BLENDING, alpha=1.0, alpha_target=1.0, alpha_mode=AlphaMode.HOLD)
    advanced = decide(HeuristicTamiyo(), observe(full))
    assert (advanced.flat_action, advanced.reason) == ("ADVANCE", "Advance to HOLDING (full amplitude reached)")
    ramping = seed(SeedStage.BLENDING, "r0c2", alpha=0.4567, alpha_target=1.0, alpha_mode=AlphaMode.UP)
    waiting = decide(HeuristicTamiyo(), observe(ramping))
    assert (waiting.flat_action, waiting.reason) == ("WAIT", "Blending: alpha=0.46")
    assert (waiting.target_seed_id, waiting.target_slot, waiting.action.slot_idx) == ("seed-r0c2", "r0c2", 2)
    partial = seed(SeedStage.BLENDING, alpha=0.7, alpha_target=0.7, alpha_mode=AlphaMode.HOLD)
    assert decide(HeuristicTamiyo(), observe(partial)).reason == "Blending: alpha=0.70"


def test_failing_blending_seed_is_pruned_when_holding_alpha_and_waits_when_ramping() -> None:
    failing = {"epochs_in_stage": 6, "improvement_since_stage_start": -2.5, "alpha": 0.5, "alpha_target": 1.0}
    held = decide(HeuristicTamiyo(), observe(seed(SeedStage.BLENDING, alpha_mode=AlphaMode.HOLD, **failing)))
    assert (held.flat_action, held.reason) == ("PRUNE", "Failing in BLENDING")
    controller = HeuristicTamiyo()
    obs = observe(seed(SeedStage.BLENDING, alpha_mode=AlphaMode.UP, **failing))
    ramping = decide(controller, obs)
    assert ramping.flat_action == "WAIT"
    assert ramping.reason == (
        "Failing in BLENDING but PRUNE is masked: needs a GERMINATED/TRAINING/BLENDING/HOLDING seed old enough "
        "and in alpha mode HOLD: r0c0 alpha mode is UP, not HOLD (a ramp is in progress)"
    )
    assert ramping.target_seed_id == "seed-r0c0"
    assert (controller.last_prune_epoch, controller.penalties) == (-100, {})  # nothing was pruned
    assert_allowed_by_masks(ramping, obs)


def test_prune_masked_for_the_target_while_another_slot_allows_it_names_the_target() -> None:
    young = seed(SeedStage.TRAINING, epochs_in_stage=5, improvement_since_stage_start=-3.0, epochs_total=0)
    old = seed(SeedStage.HOLDING, "r0c1", epochs_total=8)
    obs = observe(young, old)
    decision = decide(HeuristicTamiyo(), obs)
    assert decision.reason == (
        "Failing in TRAINING but PRUNE is masked for r0c0: needs a GERMINATED/TRAINING/BLENDING/HOLDING seed old "
        "enough and in alpha mode HOLD: r0c0 is 0 epoch(s) old, below min_prune_age 1"
    )
    assert decision.action.op == LifecycleOp.WAIT
    assert_allowed_by_masks(decision, obs)


def test_a_seed_in_a_disabled_slot_is_skipped_and_the_enabled_slots_seed_decides() -> None:
    obs = observe(seed(SeedStage.GERMINATED, "r0c1"), seed(SeedStage.TRAINING, "r0c2"), enabled_slots=("r0c0", "r0c2"))
    decision = decide(HeuristicTamiyo(), obs)
    assert (decision.flat_action, decision.target_slot) == ("ADVANCE", "r0c2")
    assert decision.reason == "Advance to BLENDING (improvement +0.00%)"
    assert decision.action.slot_idx == 2
    assert_allowed_by_masks(decision, obs)


def test_holding_ransomware_pattern_is_pruned() -> None:
    ransom = seed(SeedStage.HOLDING, counterfactual_contribution=0.3, total_improvement=-1.0)
    decision = decide(HeuristicTamiyo(), observe(ransom))
    assert decision.flat_action == "PRUNE"
    assert decision.reason == "Ransomware pattern: contribution +0.30% but total improvement -1.00%"


@pytest.mark.parametrize(
    ("counterfactual", "total", "flat", "reason", "confidence"),
    [
        (2.0, 1.0, "FOSSILIZE", "Fossilizing: +2.00% contribution", 0.4),
        (None, 0.8, "FOSSILIZE", "Fossilizing: +0.80% contribution", 0.16),
        (7.5, 1.0, "FOSSILIZE", "Fossilizing: +7.50% contribution", 1.0),
        (0.3, 5.0, "PRUNE", "No improvement in HOLDING (+0.30%)", 1.0),
        (None, -0.4, "PRUNE", "No improvement in HOLDING (-0.40%)", 1.0),
        (0.05, -1.0, "PRUNE", "No improvement in HOLDING (+0.05%)", 1.0),  # below the ransomware threshold
    ],
)
def test_holding_seed_is_fossilized_above_half_a_point_else_pruned(
    counterfactual: float | None, total: float, flat: str, reason: str, confidence: float
) -> None:
    holding = seed(SeedStage.HOLDING, counterfactual_contribution=counterfactual, total_improvement=total)
    decision = decide(HeuristicTamiyo(), observe(holding))
    assert (decision.flat_action, decision.reason) == (flat, reason)
    assert decision.confidence == pytest.approx(confidence)


def test_dormant_seeds_are_skipped_and_the_first_handled_seed_decides() -> None:
    dormant_only = decide(HeuristicTamiyo(), observe(seed(SeedStage.DORMANT)))
    assert (dormant_only.flat_action, dormant_only.reason) == ("WAIT", "Seeds progressing normally")
    both = observe(seed(SeedStage.DORMANT), seed(SeedStage.GERMINATED, "r0c1"), seed(SeedStage.TRAINING, "r0c2"))
    assert decide(HeuristicTamiyo(), both).target_slot == "r0c1"


def test_wait_heads_take_the_domain_defaults_and_the_first_allowed_slot() -> None:
    decision = decide(HeuristicTamiyo(), observe(at=host(stabilized=False), enabled_slots=("r0c1", "r0c2")))
    assert decision.action == FactoredAction(
        slot_idx=1,
        blueprint=BlueprintAction.NORM,
        style=GerminationStyle.SIGMOID_ADD,
        tempo=TempoAction.STANDARD,
        alpha_target=AlphaTargetAction.FULL,
        alpha_speed=AlphaSpeedAction.INSTANT,
        alpha_curve=AlphaCurveAction.LINEAR,
        op=LifecycleOp.WAIT,
    )


# --- snapshots --------------------------------------------------------------------------------------------


def _episode() -> list[Observation]:
    training = {"epochs_in_stage": 5, "improvement_since_stage_start": -3.0}
    return [
        observe(at=host(epoch=6)),
        observe(seed(SeedStage.GERMINATED), at=host(epoch=7)),
        observe(seed(SeedStage.TRAINING, **training), at=host(epoch=8)),
        observe(seed(SeedStage.PRUNED), at=host(epoch=9)),
        observe(at=host(epoch=12)),
        observe(at=host(epoch=13)),
        observe(seed(SeedStage.HOLDING, blueprint_id="conv_heavy", total_improvement=0.1), at=host(epoch=14)),
        observe(at=host(epoch=19)),
        observe(at=host(epoch=20)),
    ]


def test_state_dict_round_trip_reproduces_later_decisions() -> None:
    episode = _episode()
    original = HeuristicTamiyo()
    for obs in episode[:4]:
        decide(original, obs)
    assert "decisions" not in original.state_dict()  # the log never shapes a decision, so snapshots skip it
    snapshot = original.state_dict(include_history=True)
    assert snapshot | {"decisions": len(snapshot["decisions"])} == {
        "blueprint_index": 1,
        "germination_count": 1,
        "last_prune_epoch": 8,
        "last_decay_epoch": 9,
        "penalties": {"conv_light": 1.0},
        "decisions": 4,
    }
    assert snapshot["decisions"][2] == {
        "action": {
            "slot": 0,
            "blueprint": BlueprintAction.NORM,
            "style": GerminationStyle.SIGMOID_ADD,
            "tempo": TempoAction.STANDARD,
            "alpha_target": AlphaTargetAction.FULL,
            "alpha_speed": AlphaSpeedAction.INSTANT,
            "alpha_curve": AlphaCurveAction.LINEAR,
            "op": LifecycleOp.PRUNE,
        },
        "flat_action": "PRUNE",
        "target_slot": "r0c0",
        "target_seed_id": "seed-r0c0",
        "reason": "Failing in TRAINING",
        "confidence": 1.0,
    }
    expected = [str(decide(original, obs)) for obs in episode[4:]]
    assert expected[-1] == "Action: GERMINATE_NORM | Reason: Plateau detected (3 epochs)"

    fresh = HeuristicTamiyo()
    fresh.load_state_dict(snapshot)
    assert fresh.state_dict(include_history=True) == snapshot
    assert fresh.decisions == original.decisions[:4]
    assert [str(decide(fresh, obs)) for obs in episode[4:]] == expected

    original.load_state_dict(snapshot)  # step back on the same controller
    assert len(original.decisions) == 4
    assert [str(decide(original, obs)) for obs in episode[4:]] == expected
    assert len(original.decisions) == len(episode)


def test_load_state_dict_rejects_a_foreign_dict_and_reset_forgets_everything() -> None:
    controller = HeuristicTamiyo()
    with pytest.raises(ValueError, match=r"missing keys \['blueprint_index'"):
        controller.load_state_dict({"weights": 1})
    decide(controller, observe())
    controller.reset()
    assert controller.decisions == []
    assert controller.state_dict() == {
        "blueprint_index": 0,
        "germination_count": 0,
        "last_prune_epoch": -100,
        "last_decay_epoch": -1,
        "penalties": {},
    }


# --- the factored action never breaks a mask --------------------------------------------------------------

_reports = st.builds(
    SlotReport,
    slot_id=st.just("placeholder"),
    seed_id=st.sampled_from(["s1", "s2"]),
    blueprint_id=st.sampled_from(DEFAULT_BLUEPRINT_ROTATION),
    stage=st.sampled_from(list(SeedStage)),
    alpha=st.floats(0.0, 1.0),
    alpha_target=st.sampled_from([0.5, 0.7, 1.0]),
    alpha_mode=st.sampled_from(list(AlphaMode)),
    epochs_total=st.integers(0, 12),
    epochs_in_stage=st.integers(0, 12),
    counterfactual_contribution=st.none() | st.floats(-5.0, 5.0),
    improvement_since_stage_start=st.floats(-5.0, 5.0),
    total_improvement=st.floats(-5.0, 5.0),
)


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    config = draw(st.sampled_from([SLOTS, SlotConfig.for_grid(2, 2)]))
    slots = {sid: draw(st.none() | _reports.map(lambda r, sid=sid: _with_slot(r, sid))) for sid in config.slot_ids}
    enabled = draw(st.lists(st.sampled_from(config.slot_ids), min_size=1, unique=True))
    return Observation(
        host=host(epoch=draw(st.integers(0, 30)), plateau=draw(st.integers(0, 6)), stabilized=draw(st.booleans())),
        slots=slots,
        slot_config=config,
        enabled_slots=tuple(enabled),
        total_seeds=draw(st.integers(0, 4)),
        max_seeds=draw(st.integers(0, 4)),
        min_prune_age=draw(st.integers(0, 5)),
    )


def _with_slot(report: SlotReport, slot_id: str) -> SlotReport:
    return dataclasses.replace(report, slot_id=slot_id)


@settings(max_examples=150, deadline=None)
@given(
    obs=observations(),
    last_prune=st.integers(-100, 30),
    penalties=st.dictionaries(st.sampled_from(DEFAULT_BLUEPRINT_ROTATION), st.floats(0.1, 6.0)),
)
def test_every_head_choice_is_allowed_by_the_masks(
    obs: Observation, last_prune: int, penalties: dict[str, float]
) -> None:
    controller = HeuristicTamiyo()
    controller.load_state_dict(controller.state_dict() | {"last_prune_epoch": last_prune, "penalties": penalties})
    decision = decide(controller, obs)
    assert_allowed_by_masks(decision, obs)
    assert set(decision.action.to_head_indices()) == set(HEAD_NAMES)
    expected_op = "GERMINATE" if decision.flat_action.startswith("GERMINATE_") else decision.flat_action
    assert decision.action.op.name == expected_op


def test_the_rules_module_does_not_import_torch() -> None:
    code = "import sys, tamiyo_tui.rules.heuristic; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
