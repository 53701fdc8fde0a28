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
