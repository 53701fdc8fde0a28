"""`tamiyo-tui scenario-from`: a recorded esper-lite episode → a schema-1 scenario that replays it.

Design (docs/scenario-from.md):
- every recorded action becomes an ``action:`` event at its epoch, so the replay takes the recorded actions
  whatever policy runs, and a checkpoint stepped through the file is shown the recorded lifecycle;
- the host curve is the recorded validation accuracy and loss, and every blueprint contributes 0: the
  recorded accuracy already holds whatever the seeds added, and their share of it is not in the telemetry;
- the gradient health each blueprint gets is read off the recorded G2 verdicts (``gradients.py``);
- the file is replayed before it is written (``replay.py``): ``expect`` holds the stages and verdicts the
  simulator reproduces, and the header lists the epochs where it parts from the recording.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tamiyo_tui.domain.actions import ALPHA_TARGET_VALUES, AlphaTargetAction, TempoAction
from tamiyo_tui.errors import InputError
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import parse_scenario
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE
from tamiyo_tui.telemetry.episode import Decision, RecordedEpisode, read_episode
from tamiyo_tui.telemetry.gradients import BlueprintSignals, infer_signals
from tamiyo_tui.telemetry.replay import EpochReplay, faithfulness, replay

LIFECYCLE = ESPER_2016337E_LIFECYCLE  # the generation whose telemetry this reader knows

NOT_RECONSTRUCTED = (
    "seed contributions: the telemetry has the accuracy with the seeds, not each seed's share; every blueprint "
    "contributes 0 and the host curve is the recorded val_accuracy, so the accuracy is as recorded but "
    "counterfactuals, interactions and contribution features read 0",
    "gradient signals other than the health G2 reported: gradient norms, ratios and the vanishing flag are "
    "left at the defaults (an exploding verdict is given a norm above 100)",
    "train accuracy and train loss (null in this telemetry): derived by the simulator",
    "rewards, value estimates, the policy's probabilities, its observation normalizer and its LSTM state: a "
    "policy stepped through this file decides from its own fresh state",
    "the governor: its checks run on the recorded losses, but nothing of the trainer's governor is recorded",
    "the host's stabilization signal (TAMIYO_INITIATED) and the trainer's RNG streams",
    "heads the telemetry leaves null for an op (a GERMINATE's alpha speed and curve): scenario defaults",
)


def _name(value: float, options: tuple[float, ...], names: list[str], what: str) -> str:
    for option, name in zip(options, names, strict=True):
        if abs(option - value) < 1e-6:
            return name
    raise InputError(f"{what} {value} is none of {', '.join(f'{v:g}' for v in options)}")


def action_mapping(decision: Decision) -> dict[str, str]:
    """The scenario action for a recorded decision: only the heads the telemetry recorded for that op."""
    action = {"op": decision.op}
    if decision.op != "WAIT" and decision.slot is not None:
        action["slot"] = decision.slot
    if decision.blueprint is not None and decision.op == "GERMINATE":
        action["blueprint"] = decision.blueprint.upper()
    if decision.style is not None:
        action["style"] = decision.style
    if decision.tempo_idx is not None and decision.op == "GERMINATE":
        action["tempo"] = TempoAction(int(decision.tempo_idx)).name
    if decision.alpha_target is not None:
        targets = [member.name for member in AlphaTargetAction]
        action["alpha_target"] = _name(float(decision.alpha_target), ALPHA_TARGET_VALUES, targets, "alpha_target")
    if decision.alpha_speed is not None:
        action["alpha_speed"] = decision.alpha_speed
    if decision.alpha_curve is not None:
        action["alpha_curve"] = decision.alpha_curve
    return action


def _quote(value: object) -> str:
    # JSON is YAML: a quoted value cannot be misread (no `on`/`no` booleans, no dates); UTF-8 kept as is.
    return json.dumps(value, ensure_ascii=False)


def _flow(mapping: dict[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {_quote(value)}" for key, value in mapping.items()) + "}"


def _blueprints(episode: RecordedEpisode) -> list[str]:
    seen = [d.blueprint for d in episode.decisions if d.op == "GERMINATE" and d.blueprint and d.success]
    return list(dict.fromkeys(seen))


def _gate_note(episode: RecordedEpisode, decision: Decision) -> str:
    verdicts = [g for g in episode.gates if g.epoch == decision.epoch and g.slot == decision.slot]
    told = "; ".join(f"{g.gate} {'passed' if g.passed else 'failed: ' + ', '.join(g.checks_failed)}" for g in verdicts)
    outcome = "accepted" if decision.success else "rejected"
    where = f" {decision.slot}" if decision.slot else ""
    return f"Recorded: {decision.op}{where}, {outcome}" + (f" ({told})" if told else "")


def _body(episode: RecordedEpisode, signals: list[BlueprintSignals], expects: list[str]) -> list[str]:
    acc = ", ".join(f"{v:g}" for v in episode.val_accuracy)
    loss = ", ".join(f"{v:.6g}" for v in episode.val_loss)
    lines = [
        "schema: 1",
        f"name: {_quote(f'{episode.run} · env {episode.env}, episode {episode.episode}')}",
        "description: "
        + _quote(
            f"The recorded lifecycle of esper-lite episode {episode.episode} (env {episode.env}, task "
            f"{episode.task}), its actions scripted epoch by epoch; what could not be reconstructed is in the "
            "file's header."
        ),
        f"lifecycle: {LIFECYCLE}",
        "gates: permissive",
        f"topology: {episode.topology}",
        f"seed: {episode.seed}",
        f"episode_length: {episode.length}",
        f"slots: [{', '.join(episode.slot_ids)}]",
        "host:",
        f"  val_accuracy: [{acc}]",
        f"  val_loss: [{loss}]",
        "blueprints:",
        "  default: {contribution: 0.0}",
    ]
    for s in signals:
        lines.append(f"  # {s.blueprint}: {s.evidence}")
        lines.append(
            f"  {s.blueprint}: {{contribution: 0.0, gradient_norm: {s.gradient_norm:g}, "
            f"gradient_health: {s.gradient_health:g}}}"
        )
    lines.append("events:")
    for d in episode.decisions:
        if d.op != "WAIT":
            lines += [f"  - at: {d.epoch}", f"    note: {_quote(_gate_note(episode, d))}"]
        lines += [f"  - at: {d.epoch}", f"    action: {_flow(action_mapping(d))}"]
    lines.append("expect:" if expects else "expect: []")
    return lines + expects


def _expects(epochs: tuple[EpochReplay, ...], episode: RecordedEpisode) -> list[str]:
    """Checks for what the replay reproduces: `check` then passes, and fails if the simulator changes."""
    out = []
    for e, d in zip(epochs, episode.decisions, strict=False):
        entry = []
        if e.stages_match:
            entry.append(f"    stage: {_flow(e.recorded)}")
        if e.outcome_matches and d.op != "WAIT":
            entry.append(f"    action: {_flow({k: v for k, v in action_mapping(d).items() if k in ('op', 'slot')})}")
            entry.append(f"    accepted: {'true' if d.success else 'false'}")
        if entry:
            out += [f"  - at: {e.epoch}", *entry]
    return out


def _header(episode: RecordedEpisode, epochs: tuple[EpochReplay, ...]) -> list[str]:
    score = faithfulness(epochs)
    lines = [
        "Written by `tamiyo-tui scenario-from` from esper-lite telemetry:",
        f"  {episode.path}, env {episode.env}, episode {episode.episode}: {episode.length} epochs, "
        f"slots {' '.join(episode.slot_ids)}, task {episode.task}, run seed {episode.seed}.",
        "Every recorded action is scripted as an `action:` event, so the replay takes them whatever policy runs.",
        f"Replayed by the simulator: {score.line()}.",
    ]
    differences = [line for e in epochs for line in e.differences()]
    if differences:
        lines.append("Where the replay parts from the recording (no `expect` there):")
        lines += [f"  {line}" for line in differences]
    lines.append("What could not be reconstructed:")
    lines += [f"  - {item}" for item in NOT_RECONSTRUCTED]
    return [f"# {line}" if line else "#" for line in lines]


def scenario_from(episode: RecordedEpisode) -> tuple[str, tuple[EpochReplay, ...]]:
    """The scenario text and its replay against the recording."""
    signals = infer_signals(_blueprints(episode), episode.gates)
    draft = "\n".join(_body(episode, signals, [])) + "\n"
    try:
        epochs = replay(parse_scenario(draft, "<scenario-from>"), episode)
    except ScenarioError as error:
        # A recorded value our schema cannot express (a blueprint of another topology, say).
        raise InputError(f"{episode.path}: the recorded episode does not make a valid scenario: {error}") from None
    text = "\n".join([*_header(episode, epochs), *_body(episode, signals, _expects(epochs, episode))]) + "\n"
    parse_scenario(text, "<scenario-from>")  # what is written always loads
    return text, epochs


def default_out(episode: RecordedEpisode) -> str:
    return f"{episode.run}-env{episode.env}-ep{episode.episode}.yaml"


def scenario_from_command(args) -> int:
    episode = read_episode(args.telemetry, args.env, args.episode)
    text, epochs = scenario_from(episode)
    out = args.out or default_out(episode)
    summary = f"{faithfulness(epochs).line()} (the header lists the rest)"
    if out == "-":
        sys.stdout.write(text)
        print(f"scenario-from: {summary}", file=sys.stderr)
        return 0
    path = Path(out)
    if not path.parent.is_dir():
        raise InputError(f"--out {out}: the folder {path.parent} does not exist")
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite a file
            handle.write(text)
    except FileExistsError:
        raise InputError(f"--out {out}: the file exists; scenario-from never overwrites one") from None
    print(f"wrote {out}: {episode.length} epochs; {summary}")
    return 0
