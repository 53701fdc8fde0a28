"""The rule-based Tamiyo controller (the reference's heuristic), deciding complete factored actions under the masks.

The reference heuristic picks from a flat action list (WAIT, GERMINATE_<BLUEPRINT>, FOSSILIZE, PRUNE,
ADVANCE) and never looks at masks. Here every decision is also a full ``FactoredAction`` whose eight head
choices the mask rules allow: when the rule's intended op is masked for its target, the controller WAITs
instead and says why in the reason text, quoting the mask rule (``heuristic_decision.py``). The
thresholds and the flat enum are in ``heuristic_config.py``.

Pure Python: the controller's whole state is a handful of numbers (``state_dict``), so a session can
snapshot it before each step and restore it exactly on step-back.

Memory. The reference commits its counters inside ``decide``, before anything is executed; that is right
for its loop, which executes every decision, and wrong for a controller that only shadows another policy.
Here ``propose`` decides without touching the memory, and ``carried_out`` commits a step by the action
that really was carried out, whoever chose it (``decide`` is both, for a caller that acts on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tamiyo_tui.domain.actions import FactoredAction, LifecycleOp
from tamiyo_tui.domain.alpha import TARGET_TOLERANCE, AlphaMode
from tamiyo_tui.domain.observation import Observation, SlotReport
from tamiyo_tui.domain.stages import FAILURE_STAGES, TERMINAL_STAGES, SeedStage
from tamiyo_tui.rules.heuristic_config import (
    BLUEPRINT_PARAM_ESTIMATES,
    DEFAULT_BLUEPRINT_ROTATION,
    DEFAULT_TRANSFORMER_ROTATION,
    HeuristicConfig,
    available_blueprints,
    build_action_enum,
    check_topology,
)
from tamiyo_tui.rules.heuristic_decision import HeuristicDecision, Intent, realise
from tamiyo_tui.rules.masks import MaskExplanation

_PENALTY_FLOOR = 0.1  # decayed penalties below this are forgotten
_PLATEAU_FOR_FULL_CONFIDENCE = 5.0
_IMPROVEMENT_FOR_FULL_CONFIDENCE = 5.0
_STATE_KEYS = frozenset({"blueprint_index", "germination_count", "last_prune_epoch", "last_decay_epoch", "penalties"})


class HeuristicTamiyo:
    """The reference heuristic controller, made mask-aware. One instance per environment (it keeps state).

    The three class flags are the rules later generations of the reference changed
    (``tamiyo_tui/generations``); as set here they are 60205274's.
    """

    waits_without_free_slot = False  # WAIT "No available slots" before a plateau germination
    fossilizes_without_counterfactual = True  # judge a HOLDING seed by its total improvement until measured
    rotates_when_all_penalised = False  # all blueprints penalised: rotate through them by penalty, not min

    def __init__(self, config: HeuristicConfig | None = None, topology: str = "cnn") -> None:
        check_topology(topology)
        self.config = config or HeuristicConfig()
        self.topology = topology
        self.rotation = self.config.rotation_for(topology)
        self._action_enum = build_action_enum(topology)
        self._history: list[HeuristicDecision] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything: rotation position, penalties, prune epoch and the decision history."""
        self.blueprint_index = 0
        self.germination_count = 0
        self.last_prune_epoch = -100
        self.last_decay_epoch = -1
        self.penalties: dict[str, float] = {}
        self._history.clear()

    @property
    def decisions(self) -> list[HeuristicDecision]:
        return list(self._history)

    # -- snapshot ------------------------------------------------------------------------------------------

    def state_dict(self, include_history: bool = False) -> dict[str, Any]:
        """Everything that shapes the next decision, as primitives; ``load_state_dict`` restores it exactly.

        The decision log (``decisions``) is deliberately left out: it does not influence any decision, and
        the session snapshots this state on every step, so it must stay small and constant-size. Pass
        ``include_history=True`` to carry the log along as well.
        """
        return {
            "blueprint_index": self.blueprint_index,
            "germination_count": self.germination_count,
            "last_prune_epoch": self.last_prune_epoch,
            "last_decay_epoch": self.last_decay_epoch,
            "penalties": dict(self.penalties),
        } | ({"decisions": [decision.to_dict() for decision in self._history]} if include_history else {})

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        missing = sorted(_STATE_KEYS - set(state))
        unknown = sorted(set(state) - _STATE_KEYS - {"decisions"})
        if missing or unknown:
            raise ValueError(f"Not a heuristic state: missing keys {missing}, unknown keys {unknown}")
        self.blueprint_index = int(state["blueprint_index"])
        self.germination_count = int(state["germination_count"])
        self.last_prune_epoch = int(state["last_prune_epoch"])
        self.last_decay_epoch = int(state["last_decay_epoch"])
        self.penalties = {str(bp): float(p) for bp, p in state["penalties"].items()}
        self._history = [HeuristicDecision.from_dict(decision) for decision in state.get("decisions", ())]

    # -- deciding ------------------------------------------------------------------------------------------

    def decide(self, obs: Observation, explanation: MaskExplanation) -> HeuristicDecision:
        """Apply the decision rules to ``obs`` and commit the decision to memory as carried out.

        This is the reference's contract (its loop executes every decision it gets), for a caller that
        acts on what it is given. A caller that only asks (a shadow, a comparison) uses ``propose`` and,
        once the step is taken, ``carried_out`` with whatever action really was.
        """
        decision = self.propose(obs, explanation)
        self.carried_out(obs, decision.action)
        self._history.append(decision)
        return decision

    def propose(self, obs: Observation, explanation: MaskExplanation) -> HeuristicDecision:
        """The action the rules choose on ``obs`` (every head allowed by ``explanation``); memory is left as is."""
        if obs.topology != self.topology:
            raise ValueError(
                f"Observation topology '{obs.topology}' does not match the heuristic's topology '{self.topology}'"
            )
        saved = self._memory()
        try:
            # The decision sees this epoch's decayed penalties; the decay itself is committed by carried_out.
            self._decay_penalties(obs.host.epoch)
            # Only the enabled slots' seeds, for every rule (the reference's loop hands ``decide`` nothing
            # else): a seed the policy may not target neither holds back germination nor stalls the seed loop.
            live = [
                (slot_id, report)
                for slot_id in obs.enabled
                if (report := obs.report(slot_id)) is not None
                and report.stage not in TERMINAL_STAGES
                and report.stage not in FAILURE_STAGES
            ]
            intent = self._manage_seeds(live) if live else self._consider_germination(obs, explanation)
            return realise(intent, obs, explanation, self._action_enum)
        finally:
            self._restore_memory(saved)

    def carried_out(self, obs: Observation, action: FactoredAction, *, accepted: bool = True) -> None:
        """Commit what the step taken on ``obs`` means for the memory, whoever chose ``action``.

        The memory follows what happens in the run, never what was merely proposed:

        - the penalties decay once per epoch, whatever the action (time passes);
        - an accepted PRUNE of an enabled slot's seed starts the embargo and penalises the seed's blueprint;
        - an accepted GERMINATE counts as a germination, and moves the rotation on when its blueprint is the
          one the rotation offers next (the heuristic's own germination always is);
        - anything else, and any action the lifecycle rejected, leaves the rest of the memory as it was.
        """
        epoch = obs.host.epoch
        self._decay_penalties(epoch)
        if not accepted or action.op not in (LifecycleOp.GERMINATE, LifecycleOp.PRUNE):
            return
        slot_id = obs.slot_config.slot_ids[action.slot_idx]
        if slot_id not in obs.enabled:
            return
        if action.op == LifecycleOp.GERMINATE:
            self.germination_count += 1
            blueprint_id, next_index = self._next_blueprint()
            if action.blueprint_id == blueprint_id:
                self.blueprint_index = next_index
            return
        seed = obs.report(slot_id)
        if seed is None:
            return
        self.last_prune_epoch = epoch
        self.penalties[seed.blueprint_id] = (
            self.penalties.get(seed.blueprint_id, 0.0) + self.config.blueprint_penalty_on_prune
        )

    def _memory(self) -> tuple[int, int, int, int, dict[str, float]]:
        return (
            self.blueprint_index,
            self.germination_count,
            self.last_prune_epoch,
            self.last_decay_epoch,
            dict(self.penalties),
        )

    def _restore_memory(self, memory: tuple[int, int, int, int, dict[str, float]]) -> None:
        self.blueprint_index, self.germination_count, self.last_prune_epoch, self.last_decay_epoch, penalties = memory
        self.penalties = dict(penalties)

    def _decay_penalties(self, epoch: int) -> None:
        # Once per epoch, however many decisions that epoch holds.
        if epoch <= self.last_decay_epoch:
            return
        decayed = {bp: p * self.config.blueprint_penalty_decay for bp, p in self.penalties.items()}
        self.penalties = {bp: p for bp, p in decayed.items() if p >= _PENALTY_FLOOR}
        self.last_decay_epoch = epoch

    def _consider_germination(self, obs: Observation, explanation: MaskExplanation) -> Intent:
        cfg = self.config
        host = obs.host
        since_prune = host.epoch - self.last_prune_epoch
        if since_prune < cfg.embargo_epochs_after_prune:
            return Intent(LifecycleOp.WAIT, f"Embargo ({since_prune}/{cfg.embargo_epochs_after_prune} since prune)")
        if not host.host_stabilized:
            return Intent(LifecycleOp.WAIT, "Host not stabilized")
        if host.epoch < cfg.min_epochs_before_germinate:
            return Intent(LifecycleOp.WAIT, f"Too early (epoch {host.epoch})")
        if self.waits_without_free_slot and not any(obs.report(slot_id) is None for slot_id in obs.enabled):
            return Intent(LifecycleOp.WAIT, "No available slots")
        if host.plateau_epochs < cfg.plateau_epochs_to_germinate:
            return Intent(LifecycleOp.WAIT, "Training progressing normally")
        blueprint_id, _ = self._next_blueprint()
        germinate_slots = explanation.verdict("op", LifecycleOp.GERMINATE.name).slots
        return Intent(
            LifecycleOp.GERMINATE,
            f"Plateau detected ({host.plateau_epochs} epochs)",
            confidence=min(1.0, host.plateau_epochs / _PLATEAU_FOR_FULL_CONFIDENCE),
            slot_id=germinate_slots[0] if germinate_slots else None,
            blueprint_id=blueprint_id,
        )

    def _next_blueprint(self) -> tuple[str, int]:
        """The rotation's next blueprint not penalised past the threshold, and the index after choosing it.

        Only a peek: the index moves in ``carried_out``, once a germination of that blueprint really happens.
        """
        rotation = self.rotation
        index = self.blueprint_index
        for _ in rotation:
            candidate = rotation[index % len(rotation)]
            index += 1
            if self.penalties.get(candidate, 0.0) < self.config.blueprint_penalty_threshold:
                return candidate, index
        if self.rotates_when_all_penalised:
            # All penalised: the rotation continues through them, least penalised first (ties by name).
            by_penalty = sorted(rotation, key=lambda bp: (self.penalties.get(bp, 0.0), bp))
            return by_penalty[self.blueprint_index % len(rotation)], self.blueprint_index + 1
        # All penalised: the least penalised wins (min keeps the first on ties), after a full cycle.
        return min(rotation, key=lambda bp: self.penalties.get(bp, 0.0)), index

    def _should_prune(self, seed: SlotReport) -> bool:
        if seed.epochs_in_stage < self.config.prune_after_epochs_without_improvement:
            return False
        return seed.improvement_since_stage_start < -self.config.prune_if_accuracy_drops_by

    def _manage_seeds(self, live: list[tuple[str, SlotReport]]) -> Intent:
        for slot_id, seed in live:
            intent = self._manage_seed(slot_id, seed)
            if intent is not None:
                return intent
        return Intent(LifecycleOp.WAIT, "Seeds progressing normally")

    def _manage_seed(self, slot_id: str, seed: SlotReport) -> Intent | None:
        def targeted(op: LifecycleOp, reason: str, confidence: float = 1.0) -> Intent:
            return Intent(op, reason, confidence, slot_id=slot_id, seed=seed)

        cfg = self.config
        if seed.stage == SeedStage.GERMINATED:
            return targeted(LifecycleOp.ADVANCE, "Advance to TRAINING")
        if seed.stage == SeedStage.TRAINING:
            if self._should_prune(seed):
                return targeted(LifecycleOp.PRUNE, "Failing in TRAINING")
            return targeted(
                LifecycleOp.ADVANCE, f"Advance to BLENDING (improvement {seed.improvement_since_stage_start:+.2f}%)"
            )
        if seed.stage == SeedStage.BLENDING:
            if self._should_prune(seed):
                return targeted(LifecycleOp.PRUNE, "Failing in BLENDING")
            at_full_amplitude = (
                seed.alpha_target >= 1.0 - TARGET_TOLERANCE
                and seed.alpha_mode == AlphaMode.HOLD
                and abs(seed.alpha - seed.alpha_target) <= TARGET_TOLERANCE
            )
            if at_full_amplitude:
                return targeted(LifecycleOp.ADVANCE, "Advance to HOLDING (full amplitude reached)")
            return targeted(LifecycleOp.WAIT, f"Blending: alpha={seed.alpha:.2f}")
        if seed.stage == SeedStage.HOLDING:
            contribution = seed.counterfactual_contribution
            total = seed.total_improvement
            if (
                contribution is not None
                and contribution > cfg.ransomware_contribution_threshold
                and total < cfg.ransomware_improvement_threshold
            ):
                return targeted(
                    LifecycleOp.PRUNE,
                    f"Ransomware pattern: contribution {contribution:+.2f}% but total improvement {total:+.2f}%",
                )
            if contribution is None and not self.fossilizes_without_counterfactual:
                return targeted(LifecycleOp.WAIT, "Awaiting counterfactual contribution before fossilization")
            improvement = contribution if contribution is not None else total
            if improvement > cfg.min_improvement_to_fossilize:
                return targeted(
                    LifecycleOp.FOSSILIZE,
                    f"Fossilizing: {improvement:+.2f}% contribution",
                    min(1.0, improvement / _IMPROVEMENT_FOR_FULL_CONFIDENCE),
                )
            return targeted(LifecycleOp.PRUNE, f"No improvement in HOLDING ({improvement:+.2f}%)")
        return None  # DORMANT and UNKNOWN seeds are not the heuristic's business


__all__ = [
    "BLUEPRINT_PARAM_ESTIMATES",
    "DEFAULT_BLUEPRINT_ROTATION",
    "DEFAULT_TRANSFORMER_ROTATION",
    "HeuristicConfig",
    "HeuristicDecision",
    "HeuristicTamiyo",
    "available_blueprints",
    "build_action_enum",
]
