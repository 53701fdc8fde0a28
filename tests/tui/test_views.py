"""The pure pieces behind the panels: frames from the rule set, the heads text, the timeline rows, formats."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tui_harness import write_lesson

from tamiyo_tui.session.preview import open_preview
from tamiyo_tui.session.records import HeadRecord
from tamiyo_tui.session.view import HEAD_DISPLAY_ORDER, BranchMarker, Decision, TimelineRow, action_label
from tamiyo_tui.tui.visuals import cooldown_left, fmt_logit, sparkline
from tamiyo_tui.tui.widgets.heads import Selection, heads_text
from tamiyo_tui.tui.widgets.timeline import timeline_rows


@pytest.fixture
def frame(tmp_path: Path):
    return open_preview(str(write_lesson(tmp_path)), policy="heuristic", device="cpu").first_frame()


def decided(frame, chosen: dict[str, str]):
    """The frame with a made-up decision: uniform over each head's allowed options."""
    heads = {}
    for head, verdicts in frame.verdicts.items():
        mask = tuple(v.allowed for v in verdicts)
        probs = tuple((1.0 / sum(mask)) if allowed else 0.0 for allowed in mask)
        logits = tuple(0.5 if allowed else -1e4 for allowed in mask)
        heads[head] = HeadRecord(
            options=tuple(v.option for v in verdicts),
            mask=mask,
            reasons=tuple(v.reason for v in verdicts),
            raw_logits=logits,
            masked_logits=logits,
            probs=probs,
            entropy=1.0 if sum(mask) > 1 else 0.0,
            valid_count=sum(mask),
            chosen=chosen.get(head, verdicts[[v.allowed for v in verdicts].index(True)].option),
            log_prob=0.0,
        )
    return dataclasses.replace(frame, decision=Decision("lstm", heads, 0.25, 1.5))


def test_the_first_frame_comes_from_the_rule_set_alone(frame) -> None:
    assert frame.loading
    assert frame.epoch == 1
    assert frame.observation.slots["r0c0"].stage == "TRAINING"
    assert frame.observation.slots["r0c2"] is None
    assert frame.notes == ("r0c1 cools down after a prune",)
    assert [v.allowed for v in frame.verdicts["op"]] == [True, False, False, True, False, True]


def test_masked_options_carry_a_glyph_and_no_number(frame) -> None:
    text, _ = heads_text(decided(frame, {"op": "ADVANCE"}), 200, None)
    plain = text.plain
    assert "⊘FOSSILIZE  " in plain and "⊘FOSSILIZE 0" not in plain
    assert "▶ADVANCE 0.33" in plain
    assert "slot         Hₙ 1.00 · 2/3 valid  ▶ r0c0" in plain
    assert "lstm · value +0.250 · ‖h‖ 1.50" in plain
    assert "Hₙ normalized entropy" in plain  # the number before "· N valid" says what it is
    lines = plain.splitlines()
    labels = next(line for line in lines if line.strip().startswith("logits"))
    assert labels.split()[1:] == ["WAIT", "⊘GERM", "⊘SETα", "PRUNE", "⊘FOSS", "ADV"]
    raw = next(line for line in lines if line.strip().startswith("raw"))
    assert raw.split()[1:] == ["+0.50", "-1e4", "-1e4", "+0.50", "-1e4", "+0.50"]  # the network's own opinion
    masked = next(line for line in lines if line.strip().startswith("masked"))
    assert masked.split()[1:] == ["+0.50", "⊘", "⊘", "+0.50", "⊘", "+0.50"]


def test_heads_the_op_does_not_read_are_marked_folded_and_say_what_forced_them(frame) -> None:
    text, lines = heads_text(decided(frame, {"op": "WAIT"}), 120, Selection("op", 0))
    plain = text.plain
    assert "style        ○ not read by WAIT  ▶ SIGMOID_ADD\n" in plain  # no entropy that looks collapsed
    assert "LINEAR_ADD" not in plain  # folded to its title line
    assert not any(selection.head == "style" for selection in lines)
    text, lines = heads_text(decided(frame, {"op": "WAIT"}), 120, Selection("style", 0))
    assert "[⊘LINEAR_ADD]" in text.plain  # picking an option of it unfolds it
    assert "style        ○ not read by WAIT  ▶ SIGMOID_ADD · Hₙ 0.00 · forced" in text.plain
    text, _ = heads_text(decided(frame, {"op": "ADVANCE"}), 120, Selection("op", 0))
    assert "slot         Hₙ" in text.plain and "style        ○ not read by ADVANCE" in text.plain


def test_loading_lists_the_masks_without_probabilities(frame) -> None:
    plain = heads_text(frame, 200, None)[0].plain
    assert plain.startswith("loading policy…")
    assert "op           3 valid" in plain
    assert "0." not in plain.split("\n", 1)[1]  # no probability anywhere yet


def test_options_wrap_between_tokens_and_the_selection_knows_its_line(frame) -> None:
    chosen = {"op": "GERMINATE"}  # reads every head but alpha_speed and alpha_curve
    text, lines = heads_text(decided(frame, chosen), 46, Selection("blueprint", 12))  # the heads panel at 80×24
    rows = text.plain.split("\n")
    assert all(len(row) <= 46 for row in rows)
    assert "[⊘FLEX_ATTENTION]" in rows[lines[Selection("blueprint", 12)]]
    read = [h for h in HEAD_DISPLAY_ORDER if h not in ("alpha_speed", "alpha_curve")]
    assert set(lines) == {Selection(h, i) for h in read for i in range(len(frame.verdicts[h]))}


def test_the_timeline_marks_now_branches_and_the_future(frame) -> None:
    row = TimelineRow(0, 1, "ADVANCE r0c0", "policy", True, 0, bundle="heuristic")
    future = TimelineRow(1, 2, "WAIT", "policy", True, 0, future=True, bundle="lstm")
    live = dataclasses.replace(frame, position=1, epoch=2, timeline=(row, BranchMarker(1, 0, 3), future))
    rows, cursor = timeline_rows(live)
    assert [r.text.plain.strip() for r in rows] == [
        "0 e1   ✓ ADVANCE r0c0 heuristic",
        "⑂ branch 0 abandoned at step 1 (3 steps)",
        "── now · epoch 2 · heuristic acts ──",
        "⇄ switched to lstm",
        "1 e2   ✓ WAIT lstm",
    ]
    assert cursor == 0
    assert [r.step for r in rows] == [0, None, None, None, 1]


@pytest.mark.parametrize(
    ("stage", "epochs_in_stage", "left"),
    [("EMBARGOED", 0, 5), ("EMBARGOED", 4, 1), ("RESETTING", 0, 1), ("HOLDING", 3, None)],
)
def test_cooldown_countdown(stage: str, epochs_in_stage: int, left: int | None) -> None:
    assert cooldown_left(stage, epochs_in_stage) == left


@pytest.mark.parametrize(
    ("value", "shown"), [(-1e4, "-1e4"), (0.0123, "+0.01"), (-0.5, "-0.50"), (12.34, "+12.3"), (150.0, "+150")]
)
def test_logits_fit_five_cells(value: float, shown: str) -> None:
    assert fmt_logit(value) == shown


def test_action_labels_name_what_matters_for_the_op() -> None:
    base = {"slot": "r0c1", "blueprint": "NORM", "alpha_target": "HALF"}
    assert action_label({**base, "op": "WAIT"}) == "WAIT"
    assert action_label({**base, "op": "GERMINATE"}) == "GERMINATE r0c1 NORM"
    assert action_label({**base, "op": "SET_ALPHA_TARGET"}) == "SET_ALPHA_TARGET r0c1 HALF"
    assert action_label({**base, "op": "PRUNE"}) == "PRUNE r0c1"


def test_sparkline_draws_one_cell_per_epoch_scaled_to_its_own_range() -> None:
    assert sparkline((1.0, 2.0, 3.0), 10) == "▁▅█"
    assert sparkline((0.0, 1.0, 2.0, 3.0), 2) == "▁█"  # the newest values, rescaled to what is shown
    assert sparkline((5.0, 5.0), 4) == "▄▄"  # a flat history sits mid-height
    assert sparkline((1.0, float("nan"), float("inf"), 3.0), 8) == "▁  █"  # a diverged value is a gap
    assert sparkline((float("nan"),), 8) == " "
    assert sparkline((1.0, 2.0), 0) == ""


def test_a_long_heuristic_reason_wraps_onto_lines_that_fit_and_loses_no_word(frame) -> None:
    reason = "Host not stabilized: the accuracy still moves by more than the threshold of 0.5 points per epoch"
    waiting = decided(frame, {"op": "WAIT"})
    shown = dataclasses.replace(waiting, decision=dataclasses.replace(waiting.decision, reason=reason))
    text, _ = heads_text(shown, 40, None)
    lines = text.plain.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert " ".join(lines[1:]).startswith(reason)
