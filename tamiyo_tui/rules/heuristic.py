"""The rule-based Tamiyo controller (the reference's heuristic), deciding complete factored actions under the masks.

The reference heuristic picks from a flat action list (WAIT, GERMINATE_<BLUEPRINT>, FOSSILIZE, PRUNE,
ADVANCE) and never looks at masks. Here every decision is also a full ``FactoredAction`` whose eight head
choices the mask rules allow: when the rule's intended op is masked for its target, the controller WAITs
instead and says why in the reason text, quoting the mask rule.

Pure Python: the controller's whole state is a handful of numbers (``state_dict``), so a session can
snapshot it before each step and restore it exactly on step-back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from tamiyo_tui.domain.actions import (
    DEFAULT_HEAD_OPTIONS,
    HEAD_NAMES,
    VALID_TOPOLOGIES,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
    blueprints_for_topology,
)
from tamiyo_tui.domain.alpha import TARGET_TOLERANCE, AlphaMode
from tamiyo_tui.domain.constants import (
    DEFAULT_BLUEPRINT_PENALTY_DECAY,
    DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE,
    DEFAULT_BLUEPRINT_PENALTY_THRESHOLD,
    DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE,
    DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE,
    DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE,
    DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE,
    DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT,
    DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY,
)
from tamiyo_tui.domain.observation import Observation, SlotReport
from tamiyo_tui.domain.stages import FAILURE_STAGES, TERMINAL_STAGES, SeedStage
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs, explain_masks

# --- the flat action enum ------------------------------------------------------------------------------

# Parameter estimates per registered blueprint; they only fix the order of the GERMINATE_* members.
BLUEPRINT_PARAM_ESTIMATES: dict[str, dict[str, int]] = {
    "cnn": {
        "noop": 0,
        "norm": 100,
        "attention": 2000,
        "depthwise": 4800,
        "bottleneck": 12000,
        "conv_small": 18000,
        "conv_light": 37000,
        "conv_heavy": 74000,
    },
    "transformer": {
        "noop": 0,
        "norm": 800,
        "lora": 6000,
        "lora_large": 25000,
        "attention": 50000,
        "flex_attention": 55000,
        "mlp_small": 300000,
        "mlp": 1200000,
    },
}
for _topology, _estimates in BLUEPRINT_PARAM_ESTIMATES.items():
    assert set(_estimates) == {bp.to_blueprint_id() for bp in blueprints_for_topology(_topology)}, _topology

_GERMINATE_PREFIX = "GERMINATE_"


def _check_topology(topology: str) -> None:
    if topology not in VALID_TOPOLOGIES:
        raise ValueError(f"Unknown topology '{topology}'. Valid: {sorted(VALID_TOPOLOGIES)}")


@cache
def build_action_enum(topology: str) -> type[IntEnum]:
    """The flat enum ("CnnAction"/"TransformerAction"): WAIT, GERMINATE_* smallest first, FOSSILIZE, PRUNE, ADVANCE."""
    _check_topology(topology)
    estimates = BLUEPRINT_PARAM_ESTIMATES[topology]
    germinate = [_GERMINATE_PREFIX + bp.upper() for bp in sorted(estimates, key=estimates.__getitem__)]
    names = ["WAIT", *germinate, "FOSSILIZE", "PRUNE", "ADVANCE"]
    return IntEnum(f"{topology.title()}Action", [(name, value) for value, name in enumerate(names)])


def available_blueprints(topology: str) -> frozenset[str]:
    """Blueprint ids the flat enum can germinate for ``topology`` (``noop`` included, as in the reference)."""
    return frozenset(
        member.name.removeprefix(_GERMINATE_PREFIX).lower()
        for member in build_action_enum(topology)
        if member.name.startswith(_GERMINATE_PREFIX)
    )


# --- configuration -------------------------------------------------------------------------------------

DEFAULT_BLUEPRINT_ROTATION: tuple[str, ...] = ("conv_light", "conv_heavy", "attention", "norm", "depthwise")
# The reference's default rotation is CNN-only. This one keeps its shape for transformers: a light
# adapter, its heavy variant, attention, the cheapest block, then one more topology-specific block. The
# MLP blueprints (0.3M–1.2M params, 4–16× the heaviest CNN default) are left out on purpose.
DEFAULT_TRANSFORMER_ROTATION: tuple[str, ...] = ("lora", "lora_large", "attention", "norm", "flex_attention")

_PENALTY_FLOOR = 0.1  # decayed penalties below this are forgotten
_PLATEAU_FOR_FULL_CONFIDENCE = 5.0
_IMPROVEMENT_FOR_FULL_CONFIDENCE = 5.0


@dataclass(frozen=True)
class HeuristicConfig:
    """The heuristic's thresholds; defaults are the reference's ``HeuristicPolicyConfig``."""

    plateau_epochs_to_germinate: int = DEFAULT_PLATEAU_EPOCHS_TO_GERMINATE
    min_epochs_before_germinate: int = DEFAULT_MIN_EPOCHS_BEFORE_GERMINATE
    prune_after_epochs_without_improvement: int = DEFAULT_PRUNE_AFTER_EPOCHS_WITHOUT_IMPROVEMENT
    prune_if_accuracy_drops_by: float = DEFAULT_PRUNE_IF_ACCURACY_DROPS_BY  # percentage points
    min_improvement_to_fossilize: float = DEFAULT_MIN_IMPROVEMENT_TO_FOSSILIZE
    embargo_epochs_after_prune: int = DEFAULT_EMBARGO_EPOCHS_AFTER_PRUNE
    blueprint_rotation: tuple[str, ...] = DEFAULT_BLUEPRINT_ROTATION
    blueprint_penalty_on_prune: float = DEFAULT_BLUEPRINT_PENALTY_ON_PRUNE
    blueprint_penalty_decay: float = DEFAULT_BLUEPRINT_PENALTY_DECAY
    blueprint_penalty_threshold: float = DEFAULT_BLUEPRINT_PENALTY_THRESHOLD
    ransomware_contribution_threshold: float = 0.1
    ransomware_improvement_threshold: float = 0.0

    def __post_init__(self) -> None:
        # Policy files give lists; a tuple keeps the config hashable and immutable.
        object.__setattr__(self, "blueprint_rotation", tuple(self.blueprint_rotation))
        if not self.blueprint_rotation:
            raise ValueError("blueprint_rotation must name at least one blueprint")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> HeuristicConfig:
        """Build from a policy file's options; unknown keys are an error, not silently ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown heuristic config field(s): {unknown}. Valid: {sorted(known)}")
        return cls(**data)

    def rotation_for(self, topology: str) -> tuple[str, ...]:
        """The rotation to use for ``topology``, validated against its flat action enum.

        Decision (the reference fails here instead): a transformer heuristic whose rotation equals the
        CNN default gets ``DEFAULT_TRANSFORMER_ROTATION``. Any other rotation is used as given.
        """
        rotation = self.blueprint_rotation
        if topology == "transformer" and rotation == DEFAULT_BLUEPRINT_ROTATION:
            rotation = DEFAULT_TRANSFORMER_ROTATION
        available = available_blueprints(topology)
        invalid = sorted(set(rotation) - available)
        if invalid:
            raise ValueError(
                f"blueprint_rotation contains blueprints not available for topology '{topology}': "
                f"{invalid}. Available: {sorted(available)}"
            )
        return rotation


# --- decisions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeuristicDecision:
    """One heuristic decision: the factored action sent, its flat name, whom it targets, and why."""

    action: FactoredAction
    flat_action: str  # "WAIT", "GERMINATE_CONV_LIGHT", "PRUNE", ...
    target_slot: str | None
    target_seed_id: str | None
    reason: str
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Primitives only (head indices by name), for snapshots and records."""
        return {
            "action": self.action.to_head_indices(),
            "flat_action": self.flat_action,
            "target_slot": self.target_slot,
            "target_seed_id": self.target_seed_id,
            "reason": self.reason,
            "confidence": self.confidence,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeuristicDecision:
        return cls(
            action=FactoredAction.from_head_indices(data["action"]),
            flat_action=str(data["flat_action"]),
            target_slot=data["target_slot"],
            target_seed_id=data["target_seed_id"],
            reason=str(data["reason"]),
            confidence=float(data["confidence"]),
        )

    def __str__(self) -> str:
        text = f"Action: {self.flat_action}"
        if self.target_seed_id:
            text += f" | Target: {self.target_seed_id}"
        if self.reason:
            text += f" | Reason: {self.reason}"
        return text


@dataclass(frozen=True)
class _Intent:
    """What the heuristic's rules want, before the masks have their say."""

    op: LifecycleOp
    reason: str
    confidence: float = 1.0
    slot_id: str | None = None
    seed: SlotReport | None = None
    blueprint_id: str | None = None  # GERMINATE only
    next_blueprint_index: int = 0  # GERMINATE only: the rotation index once this germination is issued


_STATE_KEYS = frozenset({"blueprint_index", "germination_count", "last_prune_epoch", "last_decay_epoch", "penalties"})


class HeuristicTamiyo:
    """The reference heuristic controller, made mask-aware. One instance per environment (it keeps state)."""

    def __init__(self, config: HeuristicConfig | None = None, topology: str = "cnn") -> None:
        _check_topology(topology)
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
        """Apply the decision rules to ``obs`` and return an action every head of which ``explanation`` allows."""
        if obs.topology != self.topology:
            raise ValueError(
                f"Observation topology '{obs.topology}' does not match the heuristic's topology '{self.topology}'"
            )
        epoch = obs.host.epoch
        self._decay_penalties(epoch)
        live = [
            (slot_id, report)
            for slot_id in obs.slot_config.slot_ids
            if (report := obs.report(slot_id)) is not None
            and report.stage not in TERMINAL_STAGES
            and report.stage not in FAILURE_STAGES
        ]
        intent = self._manage_seeds(live) if live else self._consider_germination(obs, explanation)
        decision = self._realise(intent, obs, explanation)
        self._history.append(decision)
        return decision

    def _decay_penalties(self, epoch: int) -> None:
        # Once per epoch, however many decisions that epoch holds.
        if epoch <= self.last_decay_epoch:
            return
        decayed = {bp: p * self.config.blueprint_penalty_decay for bp, p in self.penalties.items()}
        self.penalties = {bp: p for bp, p in decayed.items() if p >= _PENALTY_FLOOR}
        self.last_decay_epoch = epoch

    def _consider_germination(self, obs: Observation, explanation: MaskExplanation) -> _Intent:
        cfg = self.config
        host = obs.host
        since_prune = host.epoch - self.last_prune_epoch
        if since_prune < cfg.embargo_epochs_after_prune:
            return _Intent(LifecycleOp.WAIT, f"Embargo ({since_prune}/{cfg.embargo_epochs_after_prune} since prune)")
        if not host.host_stabilized:
            return _Intent(LifecycleOp.WAIT, "Host not stabilized")
        if host.epoch < cfg.min_epochs_before_germinate:
            return _Intent(LifecycleOp.WAIT, f"Too early (epoch {host.epoch})")
        if host.plateau_epochs < cfg.plateau_epochs_to_germinate:
            return _Intent(LifecycleOp.WAIT, "Training progressing normally")
        blueprint_id, next_index = self._next_blueprint()
        germinate_slots = explanation.verdict("op", LifecycleOp.GERMINATE.name).slots
        return _Intent(
            LifecycleOp.GERMINATE,
            f"Plateau detected ({host.plateau_epochs} epochs)",
            confidence=min(1.0, host.plateau_epochs / _PLATEAU_FOR_FULL_CONFIDENCE),
            slot_id=germinate_slots[0] if germinate_slots else None,
            blueprint_id=blueprint_id,
            next_blueprint_index=next_index,
        )

    def _next_blueprint(self) -> tuple[str, int]:
        """The rotation's next blueprint not penalised past the threshold, and the index after choosing it.

        Only a peek: the index moves when the germination is actually issued.
        """
        rotation = self.rotation
        index = self.blueprint_index
        for _ in rotation:
            candidate = rotation[index % len(rotation)]
            index += 1
            if self.penalties.get(candidate, 0.0) < self.config.blueprint_penalty_threshold:
                return candidate, index
        # All penalised: the least penalised wins (min keeps the first on ties), after a full cycle.
        return min(rotation, key=lambda bp: self.penalties.get(bp, 0.0)), index

    def _should_prune(self, seed: SlotReport) -> bool:
        if seed.epochs_in_stage < self.config.prune_after_epochs_without_improvement:
            return False
        return seed.improvement_since_stage_start < -self.config.prune_if_accuracy_drops_by

    def _manage_seeds(self, live: list[tuple[str, SlotReport]]) -> _Intent:
        for slot_id, seed in live:
            intent = self._manage_seed(slot_id, seed)
            if intent is not None:
                return intent
        return _Intent(LifecycleOp.WAIT, "Seeds progressing normally")

    def _manage_seed(self, slot_id: str, seed: SlotReport) -> _Intent | None:
        def targeted(op: LifecycleOp, reason: str, confidence: float = 1.0) -> _Intent:
            return _Intent(op, reason, confidence, slot_id=slot_id, seed=seed)

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
            improvement = contribution if contribution is not None else total
            if improvement > cfg.min_improvement_to_fossilize:
                return targeted(
                    LifecycleOp.FOSSILIZE,
                    f"Fossilizing: {improvement:+.2f}% contribution",
                    min(1.0, improvement / _IMPROVEMENT_FOR_FULL_CONFIDENCE),
                )
            return targeted(LifecycleOp.PRUNE, f"No improvement in HOLDING ({improvement:+.2f}%)")
        return None  # DORMANT and UNKNOWN seeds are not the heuristic's business

    # -- from intent to a masked-valid factored action -----------------------------------------------------

    def _realise(self, intent: _Intent, obs: Observation, explanation: MaskExplanation) -> HeuristicDecision:
        action = self._factored_action(intent, obs, explanation)
        blocker = self._mask_blocker(intent, action, obs, explanation)
        if blocker is not None:
            # A blocked seed-management op still names its seed; a blocked germination has no target.
            target_slot = intent.slot_id if intent.seed is not None else None
            intent = _Intent(LifecycleOp.WAIT, f"{intent.reason} but {blocker}", slot_id=target_slot, seed=intent.seed)
            action = self._factored_action(intent, obs, explanation)
        self._commit(intent, obs.host.epoch)
        return HeuristicDecision(
            action=action,
            flat_action=self._flat_name(intent),
            target_slot=intent.slot_id,
            target_seed_id=intent.seed.seed_id if intent.seed is not None else None,
            reason=intent.reason,
            confidence=intent.confidence,
        )

    def _flat_name(self, intent: _Intent) -> str:
        if intent.op == LifecycleOp.GERMINATE:
            assert intent.blueprint_id is not None
            return self._action_enum[_GERMINATE_PREFIX + intent.blueprint_id.upper()].name
        return self._action_enum[intent.op.name].name

    def _factored_action(self, intent: _Intent, obs: Observation, explanation: MaskExplanation) -> FactoredAction:
        def preferred(head: str) -> int:
            """The domain default when allowed, else the first allowed option."""
            mask = explanation.mask(head)
            default = int(DEFAULT_HEAD_OPTIONS[head])
            if mask[default]:
                return default
            return _first_allowed(head, mask)

        heads = {head: preferred(head) for head in HEAD_NAMES if head in DEFAULT_HEAD_OPTIONS}
        slot_mask = explanation.mask("slot")
        slot_ids = obs.slot_config.slot_ids
        if intent.slot_id is not None and (intent.op != LifecycleOp.WAIT or slot_mask[slot_ids.index(intent.slot_id)]):
            heads["slot"] = slot_ids.index(intent.slot_id)
        else:
            heads["slot"] = _first_allowed("slot", slot_mask)
        heads["op"] = int(intent.op)
        if intent.op == LifecycleOp.GERMINATE:
            assert intent.blueprint_id is not None
            heads["blueprint"] = int(BlueprintAction[intent.blueprint_id.upper()])
            heads["style"] = int(GerminationStyle.SIGMOID_ADD)
            heads["tempo"] = int(TempoAction.STANDARD)
            heads["alpha_target"] = int(AlphaTargetAction.FULL)  # the heuristic always targets full amplitude
        elif intent.op == LifecycleOp.PRUNE:
            heads["alpha_speed"] = int(AlphaSpeedAction.INSTANT)  # an immediate prune, as the reference does
        return FactoredAction.from_head_indices(heads)

    def _mask_blocker(
        self, intent: _Intent, action: FactoredAction, obs: Observation, explanation: MaskExplanation
    ) -> str | None:
        """Why the masks forbid ``action`` (for the WAIT reason), or None when every head allows it."""
        op_verdict = explanation.heads["op"][action.op]
        if not op_verdict.allowed:
            return f"{op_verdict.option} is masked: {op_verdict.reason}"
        slot_verdict = explanation.heads["slot"][action.slot_idx]
        if not slot_verdict.allowed:
            return f"{op_verdict.option} is masked for {slot_verdict.option}: {slot_verdict.reason}"
        if intent.op != LifecycleOp.WAIT and intent.seed is not None and intent.slot_id not in op_verdict.slots:
            # The op head is optimistic (another slot allows the op); ask the rules about this slot alone.
            inputs = dataclasses.replace(MaskInputs.from_observation(obs), enabled_slots=(intent.slot_id,))
            slot_only = explain_masks(inputs).verdict("op", op_verdict.option)
            return f"{op_verdict.option} is masked for {intent.slot_id}: {slot_only.reason}"
        for head, option in action.to_head_indices().items():
            verdict = explanation.heads[head][option]
            if not verdict.allowed:
                return f"{head} {verdict.option} is masked: {verdict.reason}"
        return None

    def _commit(self, intent: _Intent, epoch: int) -> None:
        """State changes that happen only when the op is really issued."""
        if intent.op == LifecycleOp.GERMINATE:
            self.blueprint_index = intent.next_blueprint_index
            self.germination_count += 1
        elif intent.op == LifecycleOp.PRUNE:
            assert intent.seed is not None
            self.last_prune_epoch = epoch
            blueprint = intent.seed.blueprint_id
            self.penalties[blueprint] = self.penalties.get(blueprint, 0.0) + self.config.blueprint_penalty_on_prune


def _first_allowed(head: str, mask: tuple[bool, ...]) -> int:
    for index, allowed in enumerate(mask):
        if allowed:
            return index
    raise ValueError(f"Every option of head '{head}' is masked; the heuristic has nothing it may choose")


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
