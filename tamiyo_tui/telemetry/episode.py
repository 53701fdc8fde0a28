"""One recorded episode of esper-lite telemetry (a Nissa ``events.jsonl``), read for `scenario-from`.

The facts used (seen in a real 2016337e run): the ``TRAINING_STARTED`` event carries the slot layout, the
episode length and the run's seed; each decision is an ``ANALYTICS_SNAPSHOT`` of kind ``last_action`` whose
``slot_states`` are the stages *before* that epoch's action; ``EPOCH_COMPLETED`` of inner epoch t is the
validation the decision of epoch t reads; a ``SEED_GATE_EVALUATED`` precedes the decision row of the ADVANCE
that asked for it. ``episode_idx`` numbers episodes over the whole run (env 0 has 0, 2, 4, … with two envs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.telemetry_names import DECISION_EVENT, DECISION_KIND
from tamiyo_tui.session.telemetry_records import one_run_events

EMPTY = "EMPTY"
STAGE_NAMES = frozenset(stage.name for stage in SeedStage) | {EMPTY}


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded decision (heads the op does not use are None, as the telemetry leaves them)."""

    epoch: int
    op: str
    slot: str | None
    success: bool
    stages: dict[str, str]  # slot → stage name before the action, EMPTY for no seed
    blueprint: str | None = None
    style: str | None = None
    tempo_idx: int | None = None
    alpha_target: float | None = None
    alpha_speed: str | None = None
    alpha_curve: str | None = None


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """A gate the trainer evaluated, attached to the decision (epoch) that asked for it."""

    epoch: int
    slot: str
    blueprint: str | None  # the seed's blueprint, from the germination in that slot
    gate: str
    passed: bool
    checks_passed: tuple[str, ...]
    checks_failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecordedEpisode:
    path: str
    run: str  # the run's folder name (esper-lite writes one telemetry_<stamp>/ folder per run)
    env: int
    episode: int
    slot_ids: tuple[str, ...]
    seed: int
    task: str
    topology: str
    val_accuracy: tuple[float, ...]  # per epoch, epoch 1 first
    val_loss: tuple[float, ...]
    decisions: tuple[Decision, ...]
    gates: tuple[GateVerdict, ...]

    @property
    def length(self) -> int:
        return len(self.decisions)


def _events(path: Path):
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise InputError(
                    f"{path}:{number}: not JSON: not esper-lite telemetry (a Nissa events.jsonl)"
                ) from None
            if not isinstance(event, dict) or "event_type" not in event:
                raise InputError(f"{path}:{number}: not an esper-lite telemetry event (no 'event_type')")
            data = event.get("data")
            yield number, event["event_type"], data if isinstance(data, dict) else {}


def _stage_name(path: Path, number: int, text: object) -> str:
    # "Training 0%", "Embargoed 0%", "Empty": the stage is the first word.
    name = str(text).split(" ", 1)[0].upper()
    if name not in STAGE_NAMES:
        raise InputError(f"{path}:{number}: slot state {text!r} names no seed stage")
    return name


def _decision(path: Path, number: int, data: dict) -> Decision:
    try:
        stages = {slot: _stage_name(path, number, state) for slot, state in data["slot_states"].items()}
        return Decision(
            epoch=int(data["inner_epoch"]),
            op=str(data["action_name"]),
            slot=data.get("slot_id"),
            success=bool(data["action_success"]),
            stages=stages,
            blueprint=data.get("blueprint_id"),
            style=data.get("style"),
            tempo_idx=data.get("tempo_idx"),
            alpha_target=data.get("alpha_target"),
            alpha_speed=data.get("alpha_speed"),
            alpha_curve=data.get("alpha_curve"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(f"{path}:{number}: a last_action snapshot without a usable {error}") from None


def _mine(data: dict, env: int, episode: int) -> bool:
    return data.get("env_id") == env and data.get("episode_idx") == episode


def read_episode(given: str, env: int, episode: int) -> RecordedEpisode:
    path = one_run_events(given)
    started: dict | None = None
    topology = "cnn"
    decisions: list[Decision] = []
    gates: list[GateVerdict] = []
    pending: list[tuple[dict, str | None]] = []  # gate verdicts waiting for the decision row that asked
    blueprint_in: dict[str, str] = {}
    validation: dict[int, tuple[float, float]] = {}
    seen: dict[int, list[int]] = {}
    for number, kind, data in _events(path):
        if kind == "TRAINING_STARTED" and started is None:
            started = data
        elif kind == "MORPHOLOGY_CAUSAL_LOG" and data.get("topology"):
            topology = str(data["topology"])
        elif kind == DECISION_EVENT and data.get("kind") == DECISION_KIND:
            seen.setdefault(data.get("env_id"), []).append(data.get("episode_idx"))
            if _mine(data, env, episode):
                decision = _decision(path, number, data)
                decisions.append(decision)
                gates += [_verdict(decision.epoch, gate, bp) for gate, bp in pending]
                pending = []
        elif not _mine(data, env, episode):
            continue
        elif kind == "SEED_GERMINATED":
            blueprint_in[str(data.get("slot_id"))] = str(data.get("blueprint_id"))
        elif kind == "SEED_GATE_EVALUATED":
            pending.append((data, blueprint_in.get(str(data.get("slot_id")))))
        elif kind == "EPOCH_COMPLETED":
            validation[int(data["inner_epoch"])] = (float(data["val_accuracy"]), float(data["val_loss"]))
    if started is None and not seen:
        raise InputError(f"{path}: no TRAINING_STARTED and no decisions: not esper-lite telemetry of a training run")
    if not decisions:
        envs = "; ".join(f"env {e}: episodes {_ranges(sorted(set(k)))}" for e, k in sorted(seen.items(), key=str))
        raise InputError(f"{path}: no decisions of env {env}, episode {episode} (recorded: {envs or 'none'})")
    if started is None:
        raise InputError(f"{path}: no TRAINING_STARTED event, so the slot layout is unknown")
    epochs = [d.epoch for d in decisions]
    if epochs != list(range(1, len(epochs) + 1)):
        raise InputError(f"{path}: env {env}, episode {episode}: decisions of epochs {epochs}, not 1 to {len(epochs)}")
    missing = [e for e in epochs if e not in validation]
    if missing:
        raise InputError(f"{path}: env {env}, episode {episode}: no EPOCH_COMPLETED for epochs {missing}")
    return RecordedEpisode(
        path=str(path),
        run=path.parent.name or path.stem,
        env=env,
        episode=episode,
        slot_ids=tuple(str(s) for s in started.get("slot_ids") or sorted(decisions[0].stages)),
        seed=int(started.get("seed") or 0),
        task=str(started.get("task") or "unknown"),
        topology=topology,
        val_accuracy=tuple(validation[e][0] for e in epochs),
        val_loss=tuple(validation[e][1] for e in epochs),
        decisions=tuple(decisions),
        gates=tuple(gates),
    )


def _verdict(epoch: int, data: dict, blueprint: str | None) -> GateVerdict:
    return GateVerdict(
        epoch=epoch,
        slot=str(data.get("slot_id")),
        blueprint=blueprint,
        gate=str(data.get("gate")),
        passed=bool(data.get("passed")),
        checks_passed=tuple(data.get("checks_passed") or ()),
        checks_failed=tuple(data.get("checks_failed") or ()),
    )


def _ranges(values: list[int]) -> str:
    """0, 2, 4, … 58 reads better than thirty numbers; short lists are written out."""
    if len(values) <= 6:
        return ", ".join(str(v) for v in values)
    return f"{', '.join(str(v) for v in values[:3])}, … {values[-1]}"
