"""Turn one step (observation, mask explanation, the bundle's numbers, the outcome) into a DecisionRecord, and
a run into its header; what the scenario says about an epoch (its notes, its scripted action). Pure: no torch."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tamiyo_tui import __version__
from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction
from tamiyo_tui.domain.alpha import ALPHA_MODE_NAMES
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import STAGE_NAMES
from tamiyo_tui.generations.esper_2016337e import masks as masks_2016337e
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs, explain_masks
from tamiyo_tui.session.records import (
    CriticRecord,
    DecisionRecord,
    HeadRecord,
    HostSummary,
    ObservationSummary,
    OutcomeRecord,
    RunHeader,
    SlotSummary,
    Source,
    TransitionRecord,
)
from tamiyo_tui.sim.scenario import (
    ESPER_2016337E_LIFECYCLE,
    ESPER_60205274_LIFECYCLE,
    ActionEvent,
    ActionSpec,
    NoteEvent,
    Scenario,
)
from tamiyo_tui.sim.simulator import ActionOutcome

if TYPE_CHECKING:  # decide.py imports torch; building a record from its numbers must not
    from tamiyo_tui.session.decide import BundleDecision
    from tamiyo_tui.session.policy_spec import PolicySpec

EMPTY = "EMPTY"


def run_header(
    scenario: Scenario,
    spec: PolicySpec,
    *,
    device: str,
    checkpoint_sha256: str | None = None,
    telemetry_features: bool = False,
) -> RunHeader:
    """The header of a run of ``scenario`` by ``spec``'s policy. Before the policy has loaded (the TUI's first
    frame) ``device`` is the one asked for, and the checkpoint's hash and the telemetry flag are not known."""
    return RunHeader(
        tool_version=__version__,
        scenario_name=scenario.name,
        scenario_sha256=scenario.sha256,
        scenario_path=scenario.path,
        policy_id=spec.policy_id,
        checkpoint_sha256=checkpoint_sha256,
        device=device,
        seed=scenario.seed,
        slot_ids=scenario.slot_config.slot_ids,
        episode_length=scenario.episode_length,
        telemetry_features=telemetry_features,
        generation=scenario.lifecycle_in_force,
    )


def scenario_notes(scenario: Scenario, epoch: int) -> tuple[str, ...]:
    return tuple(event.text for event in scenario.events_at(epoch) if isinstance(event, NoteEvent))


def scripted_action(scenario: Scenario, epoch: int) -> ActionSpec | None:
    """The scenario's action for ``epoch``, which replaces the policy's, if it has one."""
    for event in scenario.events_at(epoch):
        if isinstance(event, ActionEvent):
            return event.action
    return None


def mask_inputs(
    observation: Observation, *, governor_override: bool, lifecycle: str = ESPER_60205274_LIFECYCLE
) -> MaskInputs:
    """What the mask rules read in this state, with the rules of the generation in force (``lifecycle``) on."""
    if lifecycle == ESPER_2016337E_LIFECYCLE:
        return masks_2016337e.mask_inputs(observation, allow_governor_override=governor_override)
    return MaskInputs.from_observation(observation, allow_governor_override=governor_override)


def explain_state(
    observation: Observation, *, governor_override: bool, lifecycle: str | None = None
) -> MaskExplanation:
    """The rule set's verdict on every option of this state (what the why panel and the records show)."""
    return explain_masks(mask_inputs(observation, governor_override=governor_override, lifecycle=lifecycle))


def summarize_observation(obs: Observation) -> ObservationSummary:
    host = obs.host
    return ObservationSummary(
        host=HostSummary(
            val_accuracy=host.val_accuracy,
            val_loss=host.val_loss,
            train_accuracy=host.train_accuracy,
            train_loss=host.train_loss,
            accuracy_delta=host.accuracy_delta,
            plateau_epochs=host.plateau_epochs,
            host_stabilized=bool(host.host_stabilized),
            best_val_accuracy=host.best_val_accuracy,
        ),
        slots={
            slot_id: None
            if (report := obs.slots.get(slot_id)) is None
            else SlotSummary(
                stage=STAGE_NAMES[report.stage],
                blueprint=report.blueprint_id,
                alpha=report.alpha,
                alpha_target=report.alpha_target,
                alpha_mode=ALPHA_MODE_NAMES[report.alpha_mode],
                epochs_in_stage=report.epochs_in_stage,
                age=report.epochs_total,
                contribution=report.counterfactual_contribution,
                seed_id=report.seed_id,
            )
            for slot_id in obs.slot_config.slot_ids
        },
        enabled_slots=obs.enabled,
        seeds_used=obs.total_seeds,
        max_seeds=obs.max_seeds,
    )


def _log_softmax_at(logits: Sequence[float], index: int) -> float:
    top = max(logits)
    total = math.fsum(math.exp(v - top) for v in logits)
    return logits[index] - top - math.log(total)


def head_records(
    explanation: MaskExplanation,
    decision: BundleDecision,
    chosen: Mapping[str, str] | None = None,
) -> dict[str, HeadRecord]:
    """Each head's record: the rules' masks and reasons beside the bundle's numbers.

    ``chosen`` is the option carried out per head (an override or a script may differ from the
    bundle's own choice, the default); its log-prob is then how likely the bundle found it.
    """
    chosen = decision.chosen if chosen is None else chosen
    heads = {}
    for head in HEAD_NAMES:
        columns = explanation.columns(head)
        numbers = decision.heads[head]
        option = chosen[head]
        if option == decision.chosen[head]:
            log_prob = numbers.log_prob
        elif option in columns.options:
            log_prob = _log_softmax_at(numbers.masked_logits, columns.options.index(option))
        else:
            log_prob = -math.inf
        heads[head] = HeadRecord(
            options=columns.options,
            mask=columns.mask,
            reasons=columns.reasons,
            raw_logits=numbers.raw_logits,
            masked_logits=numbers.masked_logits,
            probs=numbers.probs,
            entropy=numbers.entropy,
            valid_count=columns.valid_count,
            chosen=option,
            log_prob=log_prob,
        )
    return heads


def build_record(
    *,
    step: int,
    epoch: int,
    branch: int,
    bundle: str,
    deterministic: bool,
    source: Source,
    observation: Observation,
    explanation: MaskExplanation,
    decision: BundleDecision,
    action: FactoredAction,
    outcome: ActionOutcome,
    notes: tuple[str, ...],
    governor_override: bool,
    others: Mapping[str, Mapping[str, str]] | None = None,
) -> DecisionRecord:
    """``others``: what each other bundle that decided on this state chose (the shadow decisions)."""
    carried_out = action.option_names(observation.slot_config)
    heads = head_records(explanation, decision, carried_out)
    return DecisionRecord(
        step=step,
        epoch=epoch,
        branch=branch,
        bundle=bundle,
        deterministic=deterministic,
        source=source,
        observation=summarize_observation(observation),
        heads=heads,
        action=carried_out,
        value=decision.value,
        outcome=OutcomeRecord(
            accepted=outcome.accepted,
            reason=outcome.reason,
            transitions=tuple(
                TransitionRecord(
                    slot_id=t.slot_id,
                    from_stage=EMPTY if t.from_stage is None else t.from_stage.name,
                    to_stage=EMPTY if t.to_stage is None else t.to_stage.name,
                    cause=t.cause,
                )
                for t in outcome.transitions
            ),
            quirks=tuple(outcome.quirks),
            rollback=outcome.rollback,
        ),
        heuristic_reason=decision.reason,
        hidden_norm=decision.hidden_norm,
        notes=notes,
        governor_override=governor_override,
        telemetry_features=decision.telemetry_features,
        others={bundle: dict(chosen) for bundle, chosen in (others or {}).items()},
        critic=critic_record(explanation, decision),
    )


def critic_record(explanation: MaskExplanation, decision: BundleDecision) -> CriticRecord | None:
    """The decision's critic by op name and slot id; None for a bundle without one."""
    critic = decision.critic
    if critic is None:
        return None
    return CriticRecord(
        q_values=dict(zip(explanation.columns("op").options, critic.q_values, strict=True)),
        contributions=dict(zip(explanation.columns("slot").options, critic.contributions, strict=True)),
        probs_before_floor=dict(critic.probs_before_floor),
    )
