"""Agreement reports: the counting rules, self-agreement, and the shipped policy on held-out seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamiyo_tui import cli
from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.errors import InputError
from tamiyo_tui.training.agreement import (
    AgreementReport,
    Difference,
    compare_policies,
    differing_states,
    parse_seeds,
)
from tamiyo_tui.training.agreement_render import render_markdown

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "scenarios"
BC_POLICY = str(REPO / "policies" / "lstm-bc.yaml")
# One slot, two slots (optimistic op mask), three slots with a seed cap, a transformer, the ransomware rule.
SAMPLE = tuple(
    str(LESSONS / name)
    for name in (
        "01-first-seed.yaml",
        "13-optimistic-op-mask.yaml",
        "04-seed-cap.yaml",
        "06-transformer-blueprints.yaml",
        "14-ransomware-prune.yaml",
    )
)
HELD_OUT = (1000, 1013)  # training used seeds 0-39 (and each lesson as written)
OP_THRESHOLD, SLOT_THRESHOLD = 90.0, 85.0

WAIT_A = {head: "x" for head in HEAD_NAMES} | {"op": "WAIT", "slot": "r0c0"}
PRUNE_A = WAIT_A | {"op": "PRUNE"}


def test_the_slot_head_counts_only_where_a_targets_a_slot() -> None:
    report = AgreementReport("a", "b", (None,))

    report.add_decision("lesson", None, 1, WAIT_A, WAIT_A | {"slot": "r0c1"})
    report.add_decision("lesson", None, 2, PRUNE_A, PRUNE_A | {"slot": "r0c1"})
    report.add_decision("lesson", 7, 3, PRUNE_A, WAIT_A)

    assert report.decisions == 3
    assert (report.head("op").agree, report.head("op").total) == (2, 3)
    assert (report.head("slot").agree, report.head("slot").total) == (1, 2)
    assert report.head("tempo").percent == 100.0
    assert report.differences == [
        Difference("lesson", None, 2, "slot", "r0c0", "r0c1"),
        Difference("lesson", 7, 3, "op", "PRUNE", "WAIT"),
    ]
    assert list(differing_states(report)) == [("lesson", None, 2), ("lesson", 7, 3)]


def test_a_blueprint_is_a_difference_only_where_one_side_germinates() -> None:
    """On a WAIT both sides write a filler blueprint; listing those buried the real differences (5,796 of
    5,948 held-out decisions listed as differing, for 152 op disagreements)."""
    report = AgreementReport("a", "b", (None,))
    germinate = WAIT_A | {"op": "GERMINATE", "blueprint": "NORM"}

    report.add_decision("lesson", None, 1, WAIT_A | {"blueprint": "NORM"}, WAIT_A | {"blueprint": "CONV_LIGHT"})
    report.add_decision("lesson", None, 2, WAIT_A | {"blueprint": "NORM"}, germinate | {"blueprint": "CONV_LIGHT"})
    report.add_decision("lesson", None, 3, germinate, germinate | {"blueprint": "CONV_LIGHT"})

    assert {(d.epoch, d.head) for d in report.differences} == {(2, "op"), (2, "blueprint"), (3, "blueprint")}


def test_the_markdown_report() -> None:
    report = AgreementReport("heuristic", "lstm-bc.yaml", (5, 6))
    report.add_decision("L", 5, 4, PRUNE_A, WAIT_A)
    report.episodes = 1

    text = render_markdown(report)

    assert text.startswith("Agreement of `lstm-bc.yaml` with `heuristic` (acting): 1 episode, seeds 5–6, 1 decision.")
    assert "| op | all decisions | 0 | 1 | 0.0 % |" in text
    assert "| slot | A's op ≠ WAIT | 1 | 1 | 100.0 % |" in text
    assert "| L | 0.0 % (0/1) | 100.0 % (1/1) |" in text
    assert "| L | 5 | 4 | op: PRUNE → WAIT |" in text


@pytest.mark.parametrize(
    ("text", "seeds"), [("1000-1002", [1000, 1001, 1002]), ("3,7", [3, 7]), ("0-1, 5", [0, 1, 5]), ("9", [9])]
)
def test_seed_ranges(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a-b", "5-3", "1--2"])
def test_bad_seed_ranges(text: str) -> None:
    with pytest.raises(InputError, match="--seeds"):
        parse_seeds(text)


@pytest.mark.parametrize("policy", ["heuristic", BC_POLICY])
def test_a_policy_agrees_with_itself_everywhere(policy: str) -> None:
    report = compare_policies(policy, policy, SAMPLE[:2], seeds=(None, 1000))

    assert report.episodes == 4
    assert report.decisions > 0
    assert all(report.head(head).percent == 100.0 for head in HEAD_NAMES)
    assert report.differences == []


def test_the_shipped_policy_agrees_with_the_heuristic_on_held_out_seeds() -> None:
    report = compare_policies("heuristic", BC_POLICY, SAMPLE, seeds=HELD_OUT)

    assert report.episodes == len(SAMPLE) * len(HELD_OUT)
    assert report.head("op").percent >= OP_THRESHOLD, render_markdown(report)
    assert report.head("slot").percent >= SLOT_THRESHOLD, render_markdown(report)


def test_the_untrained_policy_does_not_pass_for_the_heuristic() -> None:
    report = compare_policies("heuristic", "lstm", SAMPLE[:1])

    assert report.head("op").percent < OP_THRESHOLD


def test_a_shadowing_heuristic_b_is_moved_on_by_what_a_did_not_by_its_own_proposals(tmp_path: Path) -> None:
    """Issue #11, shadow policy B: A never germinates, so B's rotation never leaves conv_light."""
    patient = tmp_path / "patient.yaml"
    patient.write_text(
        "bundle: heuristic\ndescription: never sees a long enough plateau\n"
        "heuristic: {plateau_epochs_to_germinate: 1000}\n",
        encoding="utf-8",
    )

    report = compare_policies(str(patient), "heuristic", SAMPLE[:1])

    proposed = [(d.epoch, d.b) for d in report.differences if d.head == "op"]
    blueprints = {d.b for d in report.differences if d.head == "blueprint"}
    assert proposed == [(epoch, "GERMINATE") for epoch in range(7, 17)]  # B's plateau lasts to the end
    assert blueprints == {"CONV_LIGHT"}


def test_a_scenario_outside_the_checkpoint_layout_is_bad_input(tmp_path: Path) -> None:
    scenario = tmp_path / "second-row.yaml"
    scenario.write_text(
        "schema: 1\nname: second row\ndescription: a slot the checkpoint has never seen\n"
        "slots: [r3c0]\nhost: {val_accuracy: [50.0]}\n",
        encoding="utf-8",
    )

    with pytest.raises(InputError, match=r"slots \['r3c0'\] are not in the layout"):
        compare_policies("heuristic", BC_POLICY, [str(scenario)])


def test_the_agree_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markdown = tmp_path / "report.md"

    code = cli.main(["agree", "heuristic", "heuristic", SAMPLE[0], "--seeds", "1000", "--markdown", str(markdown)])

    out = " ".join(capsys.readouterr().out.split())  # Rich wraps at the console width
    assert code == 0
    assert "agreement of heuristic with heuristic (acting): 1 episode, seed 1000, 24 decisions" in out
    assert markdown.read_text(encoding="utf-8").startswith("Agreement of `heuristic` with `heuristic`")
