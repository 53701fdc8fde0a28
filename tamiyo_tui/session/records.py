"""Decision records (schema 1): one typed record per decision, and the run header.

Records are plain data (no torch) so that review mode and ``check`` can read them without loading a
policy. ``to_json``/``from_json`` round-trip exactly; the JSONL framing lives in ``jsonl.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tamiyo_tui.sim.scenario import ESPER_60205274_LIFECYCLE as FIRST_GENERATION

RECORD_SCHEMA = 1
Source = Literal["policy", "override", "script"]


@dataclass(frozen=True, slots=True)
class HostSummary:
    val_accuracy: float
    val_loss: float
    train_accuracy: float
    train_loss: float
    accuracy_delta: float
    plateau_epochs: int
    host_stabilized: bool
    best_val_accuracy: float


@dataclass(frozen=True, slots=True)
class SlotSummary:
    stage: str
    blueprint: str
    alpha: float
    alpha_target: float
    alpha_mode: str
    epochs_in_stage: int
    age: int
    contribution: float | None
    seed_id: str = ""


@dataclass(frozen=True, slots=True)
class ObservationSummary:
    host: HostSummary
    slots: dict[str, SlotSummary | None]  # every configured slot, in config order; None = empty
    enabled_slots: tuple[str, ...]
    seeds_used: int
    max_seeds: int

    @classmethod
    def from_json(cls, obs: dict[str, Any]) -> ObservationSummary:
        return cls(
            host=HostSummary(**obs["host"]),
            slots={sid: None if s is None else SlotSummary(**s) for sid, s in obs["slots"].items()},
            enabled_slots=tuple(obs["enabled_slots"]),
            seeds_used=obs["seeds_used"],
            max_seeds=obs["max_seeds"],
        )


@dataclass(frozen=True, slots=True)
class HeadRecord:
    """One head of one decision. Lists are indexed like ``options``."""

    options: tuple[str, ...]
    mask: tuple[bool, ...]
    reasons: tuple[str, ...]  # the rule behind each option, allowed or masked
    raw_logits: tuple[float, ...]
    masked_logits: tuple[float, ...]
    probs: tuple[float, ...]
    entropy: float  # normalized to [0, 1]
    valid_count: int
    chosen: str
    log_prob: float

    @property
    def chosen_index(self) -> int:
        return self.options.index(self.chosen)


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    slot_id: str
    from_stage: str  # "EMPTY" for an empty slot
    to_stage: str
    cause: str


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    accepted: bool
    reason: str
    transitions: tuple[TransitionRecord, ...] = ()
    quirks: tuple[str, ...] = ()
    rollback: bool = False


@dataclass(frozen=True, slots=True)
class CriticRecord:
    """What a network of the 2016337e generation says besides its choice (absent for 60205274's)."""

    q_values: dict[str, float]  # Q(s, op) for every op, by op name
    contributions: dict[str, float]  # predicted counterfactual contribution, by slot id
    probs_before_floor: dict[str, tuple[float, ...]]  # per head, indexed like its options

    def valid_q(self, op_mask: tuple[bool, ...], ops: tuple[str, ...]) -> list[tuple[str, float]]:
        """Q of the valid ops, best first."""
        return sorted(
            ((op, self.q_values[op]) for op, valid in zip(ops, op_mask, strict=True) if valid),
            key=lambda pair: -pair[1],
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CriticRecord:
        return cls(
            q_values=dict(data["q_values"]),
            contributions=dict(data["contributions"]),
            probs_before_floor={head: tuple(probs) for head, probs in data["probs_before_floor"].items()},
        )


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    step: int
    epoch: int
    branch: int
    bundle: str  # the bundle that decided (or would have, for an override/script): "lstm" | "heuristic"
    deterministic: bool
    source: Source
    observation: ObservationSummary
    heads: dict[str, HeadRecord]  # canonical head order
    action: dict[str, str]  # the action carried out: head -> option name
    value: float | None  # None for the heuristic (no value function)
    outcome: OutcomeRecord
    heuristic_reason: str | None = None
    hidden_norm: float | None = None
    notes: tuple[str, ...] = ()
    governor_override: bool = False
    # Whether the deciding network read the telemetry feature blocks; None when the heuristic decided.
    telemetry_features: bool | None = None
    # What every other loaded bundle chose on the same state (head -> option); empty when only one decided.
    others: dict[str, dict[str, str]] = field(default_factory=dict)
    # The critic of a 2016337e network; None otherwise, and then left out of the JSON (60205274's unchanged).
    critic: CriticRecord | None = None

    @property
    def op(self) -> str:
        return self.action["op"]

    @property
    def slot(self) -> str:
        return self.action["slot"]

    def to_json(self) -> dict[str, Any]:
        data = {"type": "decision", **asdict(self)}
        if self.critic is None:
            del data["critic"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DecisionRecord:
        obs = data["observation"]
        outcome = data["outcome"]
        return cls(
            step=data["step"],
            epoch=data["epoch"],
            branch=data["branch"],
            bundle=data["bundle"],
            deterministic=data["deterministic"],
            source=data["source"],
            observation=ObservationSummary.from_json(obs),
            heads={
                name: HeadRecord(
                    options=tuple(h["options"]),
                    mask=tuple(h["mask"]),
                    reasons=tuple(h["reasons"]),
                    raw_logits=tuple(h["raw_logits"]),
                    masked_logits=tuple(h["masked_logits"]),
                    probs=tuple(h["probs"]),
                    entropy=h["entropy"],
                    valid_count=h["valid_count"],
                    chosen=h["chosen"],
                    log_prob=h["log_prob"],
                )
                for name, h in data["heads"].items()
            },
            action=dict(data["action"]),
            value=data["value"],
            outcome=OutcomeRecord(
                accepted=outcome["accepted"],
                reason=outcome["reason"],
                transitions=tuple(TransitionRecord(**t) for t in outcome["transitions"]),
                quirks=tuple(outcome["quirks"]),
                rollback=outcome["rollback"],
            ),
            heuristic_reason=data["heuristic_reason"],
            hidden_norm=data["hidden_norm"],
            notes=tuple(data["notes"]),
            governor_override=data["governor_override"],
            telemetry_features=data.get("telemetry_features"),  # absent from files written before it existed
            others={bundle: dict(chosen) for bundle, chosen in data.get("others", {}).items()},
            critic=CriticRecord.from_json(data["critic"]) if data.get("critic") else None,
        )


@dataclass(frozen=True, slots=True)
class FinalState:
    """The state the last decision of a finished branch left (no decision is made on it): the line after
    that branch's records, so a review can show the end of the episode as the live inspector does."""

    step: int  # the last decision's step
    branch: int
    observation: ObservationSummary

    def to_json(self) -> dict[str, Any]:
        return {"type": "final", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FinalState:
        return cls(data["step"], data["branch"], ObservationSummary.from_json(data["observation"]))


@dataclass(frozen=True, slots=True)
class RunHeader:
    tool_version: str
    scenario_name: str
    scenario_sha256: str
    scenario_path: str
    policy_id: str
    checkpoint_sha256: str | None
    device: str
    seed: int
    slot_ids: tuple[str, ...]
    episode_length: int
    schema: int = RECORD_SCHEMA
    telemetry_features: bool = False  # the LSTM bundle's network reads the telemetry feature blocks
    # The esper-lite policy generation whose masks, lifecycle, heuristic and network the run used (a file
    # written before the field existed was of the first one).
    generation: str = FIRST_GENERATION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": "header", "schema": self.schema, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunHeader:
        fields = {k: v for k, v in data.items() if k != "type"}
        fields["slot_ids"] = tuple(fields["slot_ids"])
        return cls(**fields)
