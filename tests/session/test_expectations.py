"""``expect`` checks against hand-built decision records: each kind passes when it holds, and a failure reads
``file:line: at epoch E: what: expected X, got Y``."""

from __future__ import annotations

import pytest

from tamiyo_tui.domain.actions import OP_NAMES
from tamiyo_tui.session.expectations import CheckFailure, count_checks, evaluate
from tamiyo_tui.session.records import (
    DecisionRecord,
    HeadRecord,
    HostSummary,
    ObservationSummary,
    OutcomeRecord,
    SlotSummary,
)
from tamiyo_tui.sim.scenario import Expectation, SourcePos

SOURCE = SourcePos("scenarios/07-test.yaml", 42, 5)
WHERE = "scenarios/07-test.yaml:42: at epoch 3"

PRUNE_REASON = "alpha mode is UP, not HOLD"
OP_ALLOWED = {"WAIT": True, "GERMINATE": True, "SET_ALPHA_TARGET": False, "PRUNE": False, "FOSSILIZE": False}
OP_REASONS = {
    "WAIT": "always allowed",
    "GERMINATE": "empty enabled slot(s): r0c1",
    "SET_ALPHA_TARGET": "r0c0 is BLENDING with alpha mode UP",
    "PRUNE": PRUNE_REASON,
    "FOSSILIZE": "only a HOLDING seed can be fossilized: r0c0 is BLENDING",
    "ADVANCE": "seed in GERMINATED/TRAINING/BLENDING: r0c0",
}


def head(options: tuple[str, ...], allowed: tuple[bool, ...], reasons: tuple[str, ...], chosen: str) -> HeadRecord:
    uniform = tuple(1.0 / sum(allowed) if ok else 0.0 for ok in allowed)
    return HeadRecord(
        options=options,
        mask=allowed,
        reasons=reasons,
        raw_logits=(0.0,) * len(options),
        masked_logits=tuple(0.0 if ok else -1e4 for ok in allowed),
        probs=uniform,
        entropy=1.0,
        valid_count=sum(allowed),
        chosen=chosen,
        log_prob=-1.0,
    )


def make_record(*, op: str = "GERMINATE", accepted: bool = True, reason: str = "r0c1: germinated") -> DecisionRecord:
    """Epoch 3 on two slots: r0c0 BLENDING (ramping), r0c1 empty; the action carried out is ``op`` on r0c1."""
    allowed = tuple(OP_ALLOWED.get(name, True) for name in OP_NAMES)
    blending = SlotSummary(
        stage="BLENDING",
        blueprint="conv_light",
        alpha=0.4,
        alpha_target=1.0,
        alpha_mode="UP",
        epochs_in_stage=2,
        age=6,
        contribution=0.8,
    )
    return DecisionRecord(
        step=2,
        epoch=3,
        branch=0,
        bundle="heuristic",
        deterministic=False,
        source="policy",
        observation=ObservationSummary(
            host=HostSummary(50.0, 1.0, 52.0, 0.9, 0.5, 1, True, 50.0),
            slots={"r0c0": blending, "r0c1": None},
            enabled_slots=("r0c0", "r0c1"),
            seeds_used=1,
            max_seeds=0,
        ),
        heads={
            "slot": head(("r0c0", "r0c1"), (True, True), ("enabled", "enabled"), "r0c1"),
            "op": head(OP_NAMES, allowed, tuple(OP_REASONS[name] for name in OP_NAMES), op),
        },
        action={"slot": "r0c1", "op": op},
        value=None,
        outcome=OutcomeRecord(accepted=accepted, reason=reason),
    )


def expect(**checks: object) -> Expectation:
    return Expectation(at=3, source=SOURCE, **checks)  # type: ignore[arg-type]


# --- each kind of check, passing and failing --------------------------------------------------------------


@pytest.mark.parametrize(
    "expectation",
    [
        expect(masks={"op": {"GERMINATE": True, "PRUNE": False, "WAIT": True}}),
        expect(stage={"r0c0": "BLENDING", "r0c1": "EMPTY"}),
        expect(action={"op": "GERMINATE", "slot": "r0c1"}),
        expect(accepted=True),
        expect(why={"op.PRUNE": "alpha mode is UP", "op.GERMINATE": "r0c1"}),
        expect(),
    ],
    ids=["masks", "stage", "action", "accepted", "why", "nothing"],
)
def test_checks_that_hold_report_nothing(expectation: Expectation) -> None:
    assert evaluate(expectation, make_record()) == []


@pytest.mark.parametrize(
    ("expectation", "record", "lines"),
    [
        (
            expect(masks={"op": {"PRUNE": True, "GERMINATE": False, "WAIT": True}}),
            make_record(),
            [
                f"{WHERE}: masks.op.PRUNE: expected allowed, got masked",
                f"{WHERE}: masks.op.GERMINATE: expected masked, got allowed",
            ],
        ),
        (
            expect(stage={"r0c0": "HOLDING", "r0c1": "GERMINATED"}),
            make_record(),
            [
                f"{WHERE}: stage.r0c0: expected HOLDING, got BLENDING",
                f"{WHERE}: stage.r0c1: expected GERMINATED, got EMPTY",
            ],
        ),
        (
            expect(stage={"r0c0": "EMPTY"}),
            make_record(),
            [f"{WHERE}: stage.r0c0: expected EMPTY, got BLENDING"],
        ),
        (
            expect(action={"op": "WAIT", "slot": "r0c1"}),
            make_record(),
            [f"{WHERE}: action.op: expected WAIT, got GERMINATE"],
        ),
        (
            expect(accepted=True),
            make_record(op="PRUNE", accepted=False, reason="r0c1 is empty: nothing to prune"),
            [f"{WHERE}: accepted: expected accepted, got rejected (r0c1 is empty: nothing to prune)"],
        ),
        (
            expect(accepted=False),
            make_record(),
            [f"{WHERE}: accepted: expected rejected, got accepted"],
        ),
        (
            expect(why={"op.PRUNE": "too young"}),
            make_record(),
            [f"{WHERE}: why.op.PRUNE: expected a reason containing 'too young', got '{PRUNE_REASON}'"],
        ),
    ],
    ids=["masks", "stage", "stage-empty", "action", "accepted-true", "accepted-false", "why"],
)
def test_checks_that_fail_say_where_what_expected_and_got(
    expectation: Expectation, record: DecisionRecord, lines: list[str]
) -> None:
    assert [str(failure) for failure in evaluate(expectation, record)] == lines


def test_one_expectation_reports_every_failed_check_in_order() -> None:
    expectation = expect(
        masks={"op": {"PRUNE": True}},
        stage={"r0c1": "TRAINING"},
        action={"op": "WAIT"},
        accepted=False,
        why={"op.FOSSILIZE": "HOLDING seed", "op.SET_ALPHA_TARGET": "nope"},
    )

    failures = evaluate(expectation, make_record())

    assert [f.what for f in failures] == [
        "masks.op.PRUNE",
        "stage.r0c1",
        "action.op",
        "accepted",
        "why.op.SET_ALPHA_TARGET",
    ]
    assert all(f.expectation is expectation for f in failures)


def test_an_epoch_the_run_never_reached() -> None:
    failures = evaluate(expect(accepted=True), None)

    assert failures == [
        CheckFailure(
            expect(accepted=True), "decision", "a decision at epoch 3", "no decision (the run stopped earlier)"
        )
    ]
    assert (
        str(failures[0])
        == f"{WHERE}: decision: expected a decision at epoch 3, got no decision (the run stopped earlier)"
    )


def test_count_checks_counts_each_option_slot_head_and_fragment() -> None:
    expectation = expect(
        masks={"op": {"PRUNE": True, "WAIT": True}, "slot": {"r0c0": True}},
        stage={"r0c0": "BLENDING", "r0c1": "EMPTY"},
        action={"op": "WAIT"},
        accepted=True,
        why={"op.PRUNE": "x"},
    )
    assert count_checks(expectation) == 3 + 2 + 1 + 1 + 1
    assert count_checks(expect()) == 0
    assert count_checks(expect(accepted=False)) == 1
