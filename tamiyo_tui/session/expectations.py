"""Evaluate a scenario's ``expect`` entries against the decision records of a run (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.sim.scenario import Expectation

EMPTY = "EMPTY"


@dataclass(frozen=True, slots=True)
class CheckFailure:
    expectation: Expectation
    what: str  # e.g. "masks.op.PRUNE"
    expected: str
    got: str

    def __str__(self) -> str:
        source = self.expectation.source
        return (
            f"{source.file}:{source.line}: at epoch {self.expectation.at}: "
            f"{self.what}: expected {self.expected}, got {self.got}"
        )


def count_checks(expectation: Expectation) -> int:
    return (
        sum(len(options) for options in expectation.masks.values())
        + len(expectation.stage)
        + len(expectation.action)
        + (expectation.accepted is not None)
        + len(expectation.why)
    )


def evaluate(expectation: Expectation, record: DecisionRecord | None) -> list[CheckFailure]:
    """Every check of ``expectation`` that ``record`` (the decision of that epoch) does not satisfy."""
    if record is None:
        return [
            CheckFailure(
                expectation,
                "decision",
                f"a decision at epoch {expectation.at}",
                "no decision (the run stopped earlier)",
            )
        ]
    failures: list[CheckFailure] = []

    def check(what: str, expected: object, got: object) -> None:
        if expected != got:
            failures.append(CheckFailure(expectation, what, str(expected), str(got)))

    for head, options in expectation.masks.items():
        head_record = record.heads[head]
        for option, allowed in options.items():
            got = head_record.mask[head_record.options.index(option)]
            check(f"masks.{head}.{option}", "allowed" if allowed else "masked", "allowed" if got else "masked")
    for slot_id, stage in expectation.stage.items():
        summary = record.observation.slots.get(slot_id)
        check(f"stage.{slot_id}", stage, EMPTY if summary is None else summary.stage)
    for head, option in expectation.action.items():
        check(f"action.{head}", option, record.action[head])
    outcome = record.outcome
    if expectation.accepted is not None and expectation.accepted != outcome.accepted:
        got = "accepted" if outcome.accepted else f"rejected ({outcome.reason})"
        failures.append(CheckFailure(expectation, "accepted", "accepted" if expectation.accepted else "rejected", got))
    for key, fragment in expectation.why.items():
        head, option = key.split(".", 1)
        head_record = record.heads[head]
        reason = head_record.reasons[head_record.options.index(option)]
        if fragment not in reason:
            failures.append(CheckFailure(expectation, f"why.{key}", f"a reason containing {fragment!r}", repr(reason)))
    return failures


@dataclass(frozen=True, slots=True)
class TakenStep:
    """A decision already carried out on the shown branch, as the script checks read it."""

    epoch: int
    action: dict[str, str]  # head -> option name
    accepted: bool


def script_departure(
    expectations: tuple[Expectation, ...],
    epoch: int,
    slots: dict[str, str],
    masks: dict[str, dict[str, bool]],
    taken: tuple[TakenStep, ...],
) -> str | None:
    """Why the run is no longer on the lesson's script at ``epoch``, or None while it is.

    The lesson's narration was written for the state its ``expect`` entries describe: off script means an
    earlier decision was not the one the lesson expected (an override, another policy), or this epoch's
    state (``slots``: slot id -> stage or EMPTY; ``masks``: head -> option -> allowed) is not the one it
    expects. The first difference found is the one named."""
    by_epoch = {step.epoch: step for step in taken}
    for expectation in sorted(expectations, key=lambda e: e.at):
        if expectation.at < epoch and (step := by_epoch.get(expectation.at)) is not None:
            for head, option in expectation.action.items():
                if step.action.get(head) != option:
                    return (
                        f"epoch {expectation.at} carried out {head} {step.action.get(head)}; "
                        f"the lesson expects {head} {option}"
                    )
            if expectation.accepted is not None and expectation.accepted != step.accepted:
                said = "rejected" if expectation.accepted else "accepted"
                return f"epoch {expectation.at}'s action was {said}, which the lesson does not expect"
        elif expectation.at == epoch:
            for slot_id, stage in expectation.stage.items():
                if slots.get(slot_id, EMPTY) != stage:
                    return f"{slot_id} is {slots.get(slot_id, EMPTY)}; the lesson expects {stage} here"
            for head, options in expectation.masks.items():
                for option, allowed in options.items():
                    got = masks.get(head, {}).get(option)
                    if got is not None and got != allowed:
                        word = "allowed" if got else "masked"
                        return f"{head}.{option} is {word}; the lesson expects it {'allowed' if allowed else 'masked'}"
    return None
