"""One esper-lite telemetry decision (an ``ANALYTICS_SNAPSHOT`` of kind ``last_action``) as plain records,
and a one-line account of the events shown beside it on the timeline.

Only what the event holds: per head the chosen option, its confidence, its normalized entropy and whether it
was forced (esper-lite 2016337e's ``*_masked`` flags mean one valid option was left); the op's raw
``decision_entropy``; the value estimate; the reward and its components; the slot states as display strings;
the op's recorded alternatives. What telemetry does not record (full masks, logits, the observation, the
hidden state) has no field here at all, so nothing can show it as if it were known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamiyo_tui.domain.actions import TempoAction
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.telemetry_names import DECISION_EVENT, DECISION_KIND, head_telemetry_name
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER

NOT_RECORDED = ("full masks", "logits", "the observation", "the hidden state")


@dataclass(frozen=True, slots=True)
class TelemetryHead:
    head: str
    chosen: str | None  # None: telemetry left it out (a head the op does not use)
    confidence: float | None  # the chosen option's probability
    entropy: float | None  # normalized to [0, 1]
    forced: bool | None  # one valid option left


@dataclass(frozen=True, slots=True)
class TelemetryDecision:
    line: int  # in the file, 1-based
    event_id: str
    timestamp: str
    env: int
    episode: int
    epoch: int
    action: str  # the op
    success: bool | None
    slot: str | None
    heads: tuple[TelemetryHead, ...]  # in HEAD_DISPLAY_ORDER
    decision_entropy: float | None  # the op head's raw entropy (nats), as the trainer wrote it
    value: float | None
    reward: float | None
    reward_components: Mapping[str, object]
    slot_states: Mapping[str, str]  # slot -> "Training 0%", "Empty", …
    alternatives: tuple[tuple[str, float], ...]  # the op's other likely options

    @property
    def label(self) -> str:
        """``GERMINATE r0c2 depthwise``, ``WAIT``: the op and the options it reads that telemetry names."""
        head = {h.head: h.chosen for h in self.heads}
        parts = [self.action]
        if self.action != "WAIT" and self.slot:
            parts.append(self.slot)
        if self.action == "GERMINATE" and head.get("blueprint"):
            parts.append(str(head["blueprint"]))
        return " ".join(parts)


def _number(value: Any) -> float | None:
    """A number as the trainer wrote it (a numpy float may come as a string), or None."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _chosen(data: Mapping[str, Any], head: str) -> str | None:
    if head == "op":
        return data.get("action_name")
    if head == "slot":
        return data.get("slot_id")
    if head == "blueprint":
        return data.get("blueprint_id")
    if head == "tempo":
        index = data.get("tempo_idx")
        return None if index is None else TempoAction(int(index)).name
    value = data.get(head)
    return None if value is None else str(value)


def decision_from_event(event: Mapping[str, Any], line: int) -> TelemetryDecision:
    """The decision a ``last_action`` event records (``event`` a parsed line of the file)."""
    data = event["data"]
    telemetry = data.get("head_telemetry") or {}
    heads = tuple(
        TelemetryHead(
            head=head,
            chosen=_chosen(data, head),
            confidence=_number(telemetry.get(f"{head_telemetry_name(head)}_confidence")),
            entropy=_number(telemetry.get(f"{head_telemetry_name(head)}_entropy")),
            forced=data.get(f"{head}_masked"),
        )
        for head in HEAD_DISPLAY_ORDER
    )
    return TelemetryDecision(
        line=line,
        event_id=str(event.get("event_id", "")),
        timestamp=str(event.get("timestamp", "")),
        env=int(data["env_id"]),
        episode=int(data["episode_idx"]),
        epoch=int(data["inner_epoch"]),
        action=str(data.get("action_name")),
        success=data.get("action_success"),
        slot=data.get("slot_id"),
        heads=heads,
        decision_entropy=_number(data.get("decision_entropy")),
        value=_number(data.get("value_estimate")),
        reward=_number(data.get("total_reward")),
        reward_components=dict(data.get("reward_components") or {}),
        slot_states=dict(data.get("slot_states") or {}),
        alternatives=tuple((str(name), float(p)) for name, p in data.get("alternatives") or ()),
    )


def is_decision(event: Mapping[str, Any]) -> bool:
    data = event.get("data")
    return event.get("event_type") == DECISION_EVENT and isinstance(data, dict) and data.get("kind") == DECISION_KIND


def event_summary(event: Mapping[str, Any]) -> str:
    """One line for a timeline event: what happened, in the event's own words and numbers."""
    kind, data = str(event.get("event_type")), event.get("data") or {}
    slot = data.get("slot_id", "")
    if kind == "SEED_STAGE_CHANGED":
        return f"{slot} {data.get('from_stage')} → {data.get('to_stage')}"
    if kind == "SEED_GERMINATED":
        return f"{slot} germinated {data.get('blueprint_id')}"
    if kind == "SEED_PRUNED":
        return f"{slot} pruned ({data.get('initiator') or 'unknown'}{', auto' if data.get('auto_pruned') else ''})"
    if kind == "SEED_FOSSILIZED":
        return f"{slot} fossilized {data.get('blueprint_id')}"
    if kind == "SEED_GATE_EVALUATED":
        verdict = "passed" if data.get("passed") else "failed: " + ", ".join(map(str, data.get("checks_failed") or ()))
        return f"{slot} {data.get('gate')} → {data.get('target_stage')} {verdict}"
    if kind == "EPISODE_OUTCOME":
        reward, accuracy = _fmt(data.get("episode_reward")), _fmt(data.get("final_accuracy"))
        return f"episode over: reward {reward}, final accuracy {accuracy}"
    if kind == "PPO_UPDATE_COMPLETED":
        numbers = ", ".join(f"{name} {_fmt(data.get(name))}" for name in ("policy_loss", "value_loss", "entropy"))
        return f"PPO update: {numbers}"
    if kind == "COUNTERFACTUAL_MATRIX_COMPUTED":
        return f"counterfactual measured for {', '.join(map(str, data.get('slot_ids') or ()))}"
    return str(event.get("message") or kind)


def _fmt(value: Any) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:.3g}"


def one_run_events(given: str | Path) -> Path:
    """An events.jsonl, or a --telemetry-dir folder holding exactly one run's events.jsonl."""
    path = Path(given)
    if path.is_dir():
        found = sorted(path.rglob("events.jsonl"))
        if not found:
            raise InputError(f"{given}: a folder with no events.jsonl under it (esper-lite's --telemetry-dir)")
        if len(found) > 1:
            runs = ", ".join(str(p.parent.relative_to(path)) for p in found)
            raise InputError(f"{given}: {len(found)} runs under it ({runs}); name one run's events.jsonl")
        return found[0]
    if not path.exists():
        raise InputError(f"{given}: file not found")
    if not path.is_file():
        raise InputError(f"{given}: not a file")
    return path
