"""The seed-lifecycle simulator: one environment of the reference's PPO loop, one epoch per decision.

Per epoch (``docs/simulator.md``, One epoch): ``observe()`` applies the scenario's events, runs the "train and validate"
part (host accuracy with the seeds' contributions, counterfactuals, the governor's check, accuracy
records, the signal tracker) and returns the Observation the policy decides on; ``apply(action)`` rolls
back first if the governor panicked, carries out the action the way the training loop's op handlers do,
ticks every slot (``step_epoch``) and moves to the next epoch.

``snapshot``/``restore`` copy the whole mutable state, and every random number is a pure function of
(scenario seed, epoch), so restoring and continuing reproduces a run exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

from tamiyo_tui.domain.actions import TEMPO_TO_EPOCHS, FactoredAction, LifecycleOp, blueprints_for_topology
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.feedback import FeedbackTracker
from tamiyo_tui.sim.governor import SCRIPTED_ROLLBACK, Governor, random_guess_loss
from tamiyo_tui.sim.host import BATCHES_PER_EPOCH, HostModel, Measurement, SeedEffect, measure
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE, GovernorEvent, Scenario, SlotEvent, SourcePos
from tamiyo_tui.sim.seed_state import GRADIENT_STAGES, SeedState, prune_refusal, records_accuracy, set_baselines
from tamiyo_tui.sim.signals import SignalTracker
from tamiyo_tui.sim.slot import (
    PRUNE_BY_POLICY,
    QUIRK_ADVANCE_ON_HOLDING,
    QUIRK_INSTANT_PRUNE_DURING_RAMP,
    ActionOutcome,
    OpResult,
    SeedSlot,
    StageTransition,
)
from tamiyo_tui.sim.starting_slot import seed_from_initial, starting_slot_problems

__all__ = ["ActionOutcome", "SimSnapshot", "Simulator", "StageTransition"]


@dataclass(frozen=True, slots=True)
class SimSnapshot:
    """The simulator's whole mutable state. Its objects are copies no simulator holds, and ``restore``
    copies them again, so a snapshot stays as it was taken however often it is restored."""

    epoch: int
    observed: bool  # the epoch's events and validation have run
    serial: int  # the last seed serial handed out
    panic: str  # the governor's verdict on this epoch's loss, "" for none
    governor: Governor
    tracker: SignalTracker
    seeds: tuple[SeedState | None, ...]  # per slot, in slot order
    feedback: FeedbackTracker | None  # kept under a lifecycle whose policy reads run feedback


def _fail(message: str) -> OpResult:
    return OpResult(False, message)


class Simulator:
    """Runs a scenario epoch by epoch. See the module docstring for the per-epoch contract."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._host = HostModel(scenario)
        self._slots = [SeedSlot(slot_id) for slot_id in scenario.slot_config.slot_ids]
        self._slot_by_id = {slot.slot_id: slot for slot in self._slots}
        self._enabled = frozenset(
            scenario.slot_config.slot_ids if scenario.enabled_slots is None else scenario.enabled_slots
        )
        self._tracker = SignalTracker()
        self._governor = Governor(random_guess_loss(self._host.num_classes))
        self._epoch = 1
        self._observed = False
        self._serial = 0
        self._panic = ""
        self._observation: Observation | None = None
        self._feedback = FeedbackTracker() if scenario.lifecycle == ESPER_2016337E_LIFECYCLE else None
        self._check_events()
        self._place_initial_seeds()

    # --- the public contract ------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The epoch about to be decided (1-based)."""
        return self._epoch

    @property
    def done(self) -> bool:
        return self._epoch > self.scenario.episode_length

    @property
    def slot_ids(self) -> tuple[str, ...]:
        return self.scenario.slot_config.slot_ids

    @property
    def governor_override_active(self) -> bool:
        """True in an epoch with a `governor: override` event (masks then lift PRUNE's alpha-mode rule)."""
        return any(
            isinstance(event, GovernorEvent) and event.kind == "override"
            for event in self.scenario.events_at(self._epoch)
        )

    def observe(self) -> Observation:
        """The observation of the current epoch, before its action. Idempotent within an epoch."""
        if self.done:
            raise RuntimeError(f"the episode ended after epoch {self.scenario.episode_length}")
        if not self._observed:
            fresh = self._apply_slot_events()
            self._train_and_validate(fresh)
            self._observed = True
            self._observation = None
        if self._observation is None:
            self._observation = self._build_observation()
        return self._observation

    def final_state(self) -> Observation:
        """Once the episode is over: the state the last action and tick left (host metrics: the last epoch's)."""
        if not self.done:
            raise RuntimeError("the episode is still running: observe() its current epoch")
        return self._build_observation()

    def apply(self, action: FactoredAction) -> ActionOutcome:
        """Carry out the epoch's action (observing first if needed), tick every slot, go to the next epoch.

        An action the lifecycle cannot carry out is rejected with a reason and changes no seed; the
        epoch still advances, as a WAIT would.
        """
        observed = self.observe()
        transitions: list[StageTransition] = []
        rollback_reason = self._rollback_reason()
        if rollback_reason:
            for slot in self._slots:
                transitions.extend(slot.prune(rollback_reason).transitions)
            self._governor.on_rollback()
        result = self._execute(action)
        transitions.extend(result.transitions)
        for slot in self._slots:
            transitions.extend(slot.step_epoch())
        if self._feedback is not None:
            emptied = [slot.slot_id for slot in self._slots if slot.state is None]
            self._feedback.after_action(observed.slots, action.op, result.ok, emptied)
        self._epoch += 1
        self._observed = False
        self._panic = ""
        self._observation = None
        return ActionOutcome(result.ok, result.message, tuple(transitions), result.quirks, bool(rollback_reason))

    def snapshot(self) -> SimSnapshot:
        """A copy of the whole mutable state; ``restore`` returns to it."""
        seeds = tuple(slot.state for slot in self._slots)
        state = SimSnapshot(
            self._epoch, self._observed, self._serial, self._panic, self._governor, self._tracker, seeds, self._feedback
        )
        return copy.deepcopy(state)

    def restore(self, snapshot: SimSnapshot) -> None:
        """Return to a snapshot taken from a simulator of the same scenario."""
        if len(snapshot.seeds) != len(self._slots):
            raise ValueError("snapshot does not match this scenario's slots")
        state = copy.deepcopy(snapshot)
        for slot, seed in zip(self._slots, state.seeds, strict=True):
            slot.state = seed
        self._epoch, self._observed, self._serial, self._panic = state.epoch, state.observed, state.serial, state.panic
        self._governor, self._tracker, self._feedback = state.governor, state.tracker, state.feedback
        self._observation = None

    def seed_state(self, slot_id: str) -> SeedState | None:
        """A copy of a slot's full seed state (metrics the observation leaves out, e.g. best accuracy)."""
        return copy.deepcopy(self._slot_by_id[slot_id].state)

    # --- setup --------------------------------------------------------------------------------------

    def _check_events(self) -> None:
        for event in self.scenario.events:
            if isinstance(event, SlotEvent) and event.slot_id not in self._slot_by_id:
                raise _scenario_error(event.source, "events", f"slot event names unknown slot {event.slot_id!r}")

    def _place_initial_seeds(self) -> None:
        unknown = sorted(set(self.scenario.initial) - set(self._slot_by_id))
        if unknown:
            raise ValueError(f"initial names unknown slots {unknown}")
        placed: list[SeedState] = []
        for slot in self._slots:
            initial = self.scenario.initial.get(slot.slot_id)
            if initial is None:
                continue
            problems = starting_slot_problems(initial)
            if problems:
                message = "; ".join(problem.message for problem in problems)
                raise _scenario_error(initial.source, f"initial.{slot.slot_id}", message)
            seed = seed_from_initial(
                slot.slot_id,
                initial,
                serial=self._serial + 1,
                effect=self.scenario.blueprint_effect(initial.blueprint),
            )
            if seed is not None:
                self._serial += 1
                slot.state = seed
                placed.append(seed)
        # A seed that starts with a history gets epoch 1's accuracy as its baseline, so its improvement
        # starts at 0 instead of measuring against an accuracy of 0 it never had.
        set_baselines(placed, self._measure().val_accuracy)

    # --- one epoch ----------------------------------------------------------------------------------

    def _apply_slot_events(self) -> list[SeedState]:
        created: list[SeedState] = []
        for event in self.scenario.events_at(self._epoch):
            if not isinstance(event, SlotEvent):
                continue
            slot = self._slot_by_id[event.slot_id]
            try:
                if slot.force(event.fields, serial=self._serial + 1, effect_for=self.scenario.blueprint_effect):
                    self._serial += 1
                    assert slot.state is not None
                    created.append(slot.state)
            except ValueError as error:
                raise _scenario_error(event.source, "events", f"slot event at epoch {event.at}: {error}") from None
        return created

    def _present_seeds(self) -> list[SeedState]:
        """Seeds whose module exists, in slot order (cooldown slots keep a state but no module)."""
        return [slot.state for slot in self._slots if slot.state is not None and slot.state.has_module]

    def _measure(self) -> Measurement:
        measured = [
            SeedEffect(seed.slot_id, seed.alpha, seed.contribution) for seed in self._present_seeds() if seed.alpha > 0
        ]
        return measure(self._host.host_accuracy(self._epoch), measured)

    def _train_and_validate(self, fresh: list[SeedState]) -> None:
        present = self._present_seeds()
        measurement = self._measure()
        for seed in present:
            seed.interaction_sum = seed.boost_received = seed.upstream_alpha_sum = seed.downstream_alpha_sum = 0.0
            if seed.slot_id in measurement.counterfactual:
                # Under the 2016337e lifecycle (the one with run feedback) the trainer also tracks its trend.
                seed.measure_counterfactual(measurement.counterfactual[seed.slot_id], trend=self._feedback is not None)
                seed.interaction_sum = measurement.interaction_sum[seed.slot_id]
                seed.boost_received = measurement.boost_received[seed.slot_id]
                seed.upstream_alpha_sum = measurement.upstream_alpha_sum[seed.slot_id]
                seed.downstream_alpha_sum = measurement.downstream_alpha_sum[seed.slot_id]
                if self._feedback is not None:
                    self._feedback.counterfactual_measured(seed.slot_id)
        metrics = self._host.epoch_metrics(self._epoch, measurement)
        self._governor.maybe_snapshot(self._epoch)
        self._panic = self._governor.check_vital_signs(metrics.val_loss)
        set_baselines([seed for seed in fresh if seed.has_module], measurement.val_accuracy)
        for state in (slot.state for slot in self._slots if slot.state is not None):
            if records_accuracy(state, self.scenario.lifecycle_in_force):
                state.record_accuracy(measurement.val_accuracy)
        for seed in present:
            effect = self.scenario.blueprint_effect(seed.blueprint_id)
            seed.gradient_ratio = effect.gradient_ratio
            measured = (effect.gradient_norm, effect.gradient_health) if seed.stage in GRADIENT_STAGES else None
            seed.sync_telemetry(epoch=self._epoch, max_epochs=self.scenario.episode_length, gradient=measured)
        self._tracker.update(
            val_loss=metrics.val_loss,
            val_accuracy=measurement.val_accuracy,
            train_loss=metrics.train_loss,
            train_accuracy=metrics.train_accuracy,
        )

    def _build_observation(self) -> Observation:
        present = self._present_seeds()
        scenario = self.scenario
        return Observation(
            host=self._tracker.metrics(epoch=self._epoch, global_step=self._epoch * BATCHES_PER_EPOCH),
            slots={slot.slot_id: slot.report() for slot in self._slots},
            slot_config=scenario.slot_config,
            enabled_slots=scenario.enabled_slots,
            topology=scenario.topology,
            total_seeds=len(present),
            max_seeds=scenario.max_seeds,
            min_prune_age=scenario.prune_age_in_force,
            total_params=self._host.params + sum(seed.seed_params for seed in present),
            max_epochs=scenario.episode_length,
            feedback=None if self._feedback is None else self._feedback.record(self.slot_ids),
        )

    def _rollback_reason(self) -> str:
        if self._panic:
            return self._panic
        scripted = any(
            isinstance(event, GovernorEvent) and event.kind == "rollback"
            for event in self.scenario.events_at(self._epoch)
        )
        return SCRIPTED_ROLLBACK if scripted else ""

    # --- the training loop's op handlers ------------------------------------------------------------

    def _execute(self, action: FactoredAction) -> OpResult:
        if action.op == LifecycleOp.WAIT:
            return OpResult(True, "WAIT")
        if not 0 <= action.slot_idx < len(self._slots):
            return _fail(f"slot index {action.slot_idx} is out of range (this scenario has {len(self._slots)} slots)")
        slot = self._slots[action.slot_idx]
        if slot.slot_id not in self._enabled:
            return _fail(f"{slot.slot_id} is not in enabled_slots; the policy may not target it")
        handlers: dict[LifecycleOp, Callable[[SeedSlot, FactoredAction], OpResult]] = {
            LifecycleOp.GERMINATE: self._germinate,
            LifecycleOp.SET_ALPHA_TARGET: self._set_alpha_target,
            LifecycleOp.PRUNE: self._prune,
            LifecycleOp.FOSSILIZE: self._fossilize,
            LifecycleOp.ADVANCE: self._advance,
        }
        return handlers[action.op](slot, action)

    def _germinate(self, slot: SeedSlot, action: FactoredAction) -> OpResult:
        if slot.state is not None:
            cooling = "; a cooling-down slot is not empty" if not slot.state.has_module else ""
            return _fail(f"{slot.slot_id} is not empty (it is {slot.state.stage.name}{cooling})")
        # The reference leaves the cap to the mask; executing it too keeps forced overrides within the cap.
        cap, in_use = self.scenario.max_seeds, len(self._present_seeds())
        if cap > 0 and in_use >= cap:
            return _fail(f"seed cap reached: {in_use} of max_seeds {cap} seeds in use")
        if action.blueprint not in blueprints_for_topology(self.scenario.topology):
            return _fail(f"{action.blueprint.name} is not registered for the {self.scenario.topology} topology")
        result = slot.germinate(
            serial=self._serial + 1,
            blueprint_id=action.blueprint_id,
            style=action.style,
            tempo_epochs=TEMPO_TO_EPOCHS[action.tempo],
            alpha_target=action.alpha_target_value,
            effect=self.scenario.blueprint_effect(action.blueprint_id),
        )
        if result.ok:
            self._serial += 1
        return result

    def _advance(self, slot: SeedSlot, action: FactoredAction) -> OpResult:
        on_holding = slot.state is not None and slot.state.stage == SeedStage.HOLDING
        result = slot.advance(self.scenario.gates, lifecycle=self.scenario.lifecycle_in_force)
        if result.ok and on_holding:
            # advance_stage() with no target from HOLDING means FOSSILIZED, without the FOSSILIZE handler's alpha snap.
            return replace(
                result,
                message=f"{result.message} (ADVANCE on a HOLDING seed fossilizes it: reference quirk)",
                quirks=(QUIRK_ADVANCE_ON_HOLDING,),
            )
        return result

    def _fossilize(self, slot: SeedSlot, action: FactoredAction) -> OpResult:
        seed = slot.state
        if seed is None or seed.stage != SeedStage.HOLDING:
            where = "empty" if seed is None else seed.stage.name
            return _fail(f"{slot.slot_id} is {where}: only a HOLDING seed can be fossilized")
        result = slot.advance(
            self.scenario.gates,
            target=SeedStage.FOSSILIZED,
            cause="FOSSILIZE",
            lifecycle=self.scenario.lifecycle_in_force,
        )
        if result.ok:
            seed.set_alpha(1.0)
        return result

    def _prune(self, slot: SeedSlot, action: FactoredAction) -> OpResult:
        seed = slot.state
        if seed is None:
            return _fail(f"{slot.slot_id} is empty: nothing to prune")
        if not seed.has_module:
            return _fail(f"{slot.slot_id} is {seed.stage.name}: its seed was already pruned (cooling down)")
        refusal = prune_refusal(seed, self.scenario)
        if refusal is not None:
            return _fail(f"{slot.slot_id} {refusal}")
        if action.alpha_speed_steps == 0:
            ramping = seed.controller.alpha_mode != AlphaMode.HOLD
            result = slot.prune(PRUNE_BY_POLICY)
            if result.ok and ramping:
                # Under 60205274 only the mask requires mode HOLD; the prune itself goes through mid-ramp.
                return replace(result, quirks=(QUIRK_INSTANT_PRUNE_DURING_RAMP,))
            return result
        return slot.schedule_prune(
            action.alpha_speed_steps, action.alpha_curve_value, action.alpha_curve.to_steepness()
        )

    def _set_alpha_target(self, slot: SeedSlot, action: FactoredAction) -> OpResult:
        seed = slot.state
        if seed is not None and not seed.has_module:
            return _fail(f"{slot.slot_id} is {seed.stage.name}: its seed was pruned, there is no alpha to set")
        return slot.set_alpha_target(
            action.alpha_target_value,
            action.alpha_speed_steps,
            action.alpha_curve_value,
            action.alpha_curve.to_steepness(),
            action.alpha_algorithm_value,
        )


def _scenario_error(source: SourcePos, field: str, message: str) -> ScenarioError:
    """Some problems only show once the lifecycle runs; report them at the scenario entry that caused them."""
    return ScenarioError(source.file, source.line, source.col, field, message)
