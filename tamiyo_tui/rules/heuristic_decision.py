"""A heuristic decision, and how the rules' intent becomes a factored action that the masks allow.

The rules (``heuristic.py``) say what they want as an ``Intent``: an op, a target and a reason. ``realise``
fills in all eight heads, preferring each head's default where the masks allow it; when a mask forbids
the intent, the decision is a WAIT whose reason quotes the mask rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from tamiyo_tui.domain.actions import (
    DEFAULT_HEAD_OPTIONS,
    HEAD_NAMES,
    AlphaSpeedAction,
    AlphaTargetAction,
    BlueprintAction,
    FactoredAction,
    GerminationStyle,
    LifecycleOp,
    TempoAction,
)
from tamiyo_tui.domain.observation import Observation, SlotReport
from tamiyo_tui.rules.heuristic_config import GERMINATE_PREFIX
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs, explain_masks

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
class Intent:
    """What the heuristic's rules want, before the masks have their say."""

    op: LifecycleOp
    reason: str
    confidence: float = 1.0
    slot_id: str | None = None
    seed: SlotReport | None = None
    blueprint_id: str | None = None  # GERMINATE only


# --- from an intent to a factored action the masks allow --------------------------------------------------


def realise(
    intent: Intent, obs: Observation, explanation: MaskExplanation, action_enum: type[IntEnum]
) -> HeuristicDecision:
    """The decision that carries ``intent`` out, or a WAIT saying which mask rule forbids it."""
    action = _factored_action(intent, obs, explanation)
    blocker = _mask_blocker(intent, action, obs, explanation)
    if blocker is not None:
        # A blocked seed-management op still names its seed; a blocked germination has no target.
        target_slot = intent.slot_id if intent.seed is not None else None
        intent = Intent(LifecycleOp.WAIT, f"{intent.reason} but {blocker}", slot_id=target_slot, seed=intent.seed)
        action = _factored_action(intent, obs, explanation)
    return HeuristicDecision(
        action=action,
        flat_action=_flat_name(intent, action_enum),
        target_slot=intent.slot_id,
        target_seed_id=intent.seed.seed_id if intent.seed is not None else None,
        reason=intent.reason,
        confidence=intent.confidence,
    )


def _flat_name(intent: Intent, action_enum: type[IntEnum]) -> str:
    if intent.op == LifecycleOp.GERMINATE:
        assert intent.blueprint_id is not None
        return action_enum[GERMINATE_PREFIX + intent.blueprint_id.upper()].name
    return action_enum[intent.op.name].name


def _factored_action(intent: Intent, obs: Observation, explanation: MaskExplanation) -> FactoredAction:
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


def _mask_blocker(intent: Intent, action: FactoredAction, obs: Observation, explanation: MaskExplanation) -> str | None:
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


def _first_allowed(head: str, mask: tuple[bool, ...]) -> int:
    for index, allowed in enumerate(mask):
        if allowed:
            return index
    raise ValueError(f"Every option of head '{head}' is masked; the heuristic has nothing it may choose")
