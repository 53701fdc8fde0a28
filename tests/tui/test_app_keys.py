"""Every key, pressed for real through Textual's Pilot, checked by what the screen then shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_harness import WIDE, choose, lesson_app, outcome, press, screen, settle, until

from tamiyo_tui.session.jsonl import read_run
from tamiyo_tui.tui.app import TamiyoApp
from tamiyo_tui.tui.commands import COMMANDS, keys_label
from tamiyo_tui.tui.screens.compare import CompareScreen
from tamiyo_tui.tui.screens.help import HelpScreen
from tamiyo_tui.tui.screens.override import OverrideScreen
from tamiyo_tui.tui.screens.record import RecordScreen
from tamiyo_tui.tui.widgets.heads import HeadsPanel, Selection
from tamiyo_tui.tui.widgets.why import WhyPanel

pytestmark = pytest.mark.timeout(60)


def status_line(app: TamiyoApp) -> str:
    return screen(app).splitlines()[0]


def why(app: TamiyoApp) -> str:
    return str(app.query_one(WhyPanel).text)


async def test_the_first_frame_shows_the_scenario_and_then_the_policy(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = screen(app)
        assert "⏸ paused · epoch 1/14 · heuristic ⇄ lstm (untrained) · cpu · sample · UI lesson" in text
        assert "✎ r0c1 cools down after a prune" in text
        assert "TRAINING" in text
        assert "EMBARGOED ⏳4" in text  # 5 − epochs in stage (1) epochs of embargo left
        assert "disabled" in text
        assert "value —" in text  # the heuristic has no value function
        assert "⊘FOSSILIZE" in text  # masked: a glyph, never a number
        assert "op           Hₙ 0.00 · 3/6 valid  ▶ ADVANCE" in text  # Hₙ: the normalized entropy
        # style is not read by ADVANCE: marked so, with no entropy that would look collapsed
        assert "style        ○ not read by ADVANCE  ▶ SIGMOID_ADD" in text


async def test_n_and_right_each_take_one_decision(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert "epoch 2/14" in status_line(app)
        await press(pilot, "right", "n")
        text = screen(app)
        assert "epoch 4/14" in text
        assert "0 e1   ✓ ADVANCE r0c0 heuristic" in text
        assert "2 e3   ✓ WAIT heuristic ✎ Watch the op head" in text
        assert "BLENDING" in text  # r0c0 advanced from TRAINING on epoch 1
        assert "last: epoch 3 · heuristic WAIT ✓" in text


async def test_b_and_left_step_back_and_keep_the_future_on_the_timeline(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n")
        await press(pilot, "b")
        assert "epoch 3/14" in status_line(app)
        await press(pilot, "left")
        text = screen(app)
        assert "epoch 2/14" in text
        assert "── now · epoch 2 · heuristic acts ──" in text
        assert "2 e3   ✓ WAIT heuristic" in text  # still on the timeline, replayed by the next step
        await press(pilot, "left", "left")
        assert "epoch 1/14" in status_line(app)
        assert "TRAINING" in screen(app)


async def test_space_runs_until_paused_and_stops_at_the_end(tmp_path: Path) -> None:
    # Pilot waits for the CPU to go idle after a key, so ticks must leave idle time between them.
    app = lesson_app(tmp_path, episode_length=6, run_interval=0.15)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert app.running
        assert "▶ running" in status_line(app)
        await until(pilot, lambda: app.frame.epoch >= 3, "the run reached epoch 3")
        await pilot.press("space")
        await settle(pilot)
        assert not app.running
        assert "⏸ paused" in status_line(app)
        paused_at = app.frame.epoch
        await settle(pilot)
        assert app.frame.epoch == paused_at
        await pilot.press("space")
        await until(pilot, lambda: app.frame.done and not app.running, "the run stopped at the end")
        assert "■ done" in status_line(app)
        assert "epoch 6/6" in status_line(app)


async def test_o_forces_a_masked_action_and_shows_the_rejection(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("o", "right", "escape")  # escape cancels: nothing is carried out
        await settle(pilot)
        assert not isinstance(app.screen, OverrideScreen)
        assert "no decision yet" in screen(app)
        assert "epoch 1/14" in status_line(app)
        await pilot.press("o")
        assert isinstance(app.screen, OverrideScreen)
        await choose(pilot, "op", "FOSSILIZE")
        assert "⊘FOSSILIZE" in screen(app)
        assert "only a HOLDING seed can be fossilized" in screen(app)  # the modal's why line
        await choose(pilot, "slot", "r0c0")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, OverrideScreen)
        text = screen(app)
        assert "✗ rejected: r0c0 is TRAINING: only a HOLDING seed can be fossilized" in outcome(app)
        assert "0 e1   ✗ FOSSILIZE r0c0 override" in text
        assert "epoch 2/14" in text  # the epoch passes, as in the reference loop
        assert "TRAINING" in text  # and the seed is untouched


async def test_an_override_on_an_earlier_step_starts_a_branch(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "b", "b")
        await pilot.press("o")
        await choose(pilot, "op", "WAIT")
        await pilot.press("enter")
        await settle(pilot)
        text = screen(app)
        assert "⑂ branch 0 abandoned at step 1 (2 steps)" in text
        assert "1 e2   ✓ WAIT override" in text


async def test_p_switches_the_acting_bundle_and_d_toggles_sampling(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, policy="lstm")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        # The acting bundle first, then the one p switches to; an LSTM without a checkpoint says so.
        assert "epoch 1/14 · lstm (untrained) ⇄ heuristic · cpu · sample · UI lesson" in status_line(app)
        assert "‖h‖" in screen(app)  # the LSTM reports its hidden-state norm
        await press(pilot, "n", "p")
        text = screen(app)
        assert "epoch 2/14 · heuristic ⇄ lstm (untrained) · cpu" in text
        assert "heuristic · value —" in text
        assert "── now · epoch 2 · heuristic acts ──" in text
        await press(pilot, "n")
        text = screen(app)
        rows = {
            line.split("│")[1].split()[0]: line.split("│")[1]
            for line in text.splitlines()
            if " e1 " in line or " e2 " in line
        }
        assert " lstm" in rows["0"]  # which bundle acted, on every row
        assert "⇄ switched to heuristic" in text  # and where the switch happened
        assert " heuristic" in rows["1"]
        await press(pilot, "b", "p")
        assert "epoch 2/14 · lstm (untrained) ⇄ heuristic · cpu · sample" in status_line(app)
        await press(pilot, "d")
        assert "epoch 2/14 · lstm (untrained) ⇄ heuristic · cpu · deterministic" in status_line(app)
        op = app.frame.decision.heads["op"]
        assert op.chosen == op.options[op.probs.index(max(op.probs))]  # the most likely option
        await press(pilot, "d")
        assert " · sample · " in status_line(app)


async def test_c_compares_both_bundles_and_marks_disagreements(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, policy="lstm")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        view = app.screen.view
        assert set(view.bundles) == {"lstm", "heuristic"}
        text = screen(app)
        assert "Compare at epoch 1:" in text
        relevant = [compared for compared in view.heads if compared.relevant]
        assert f"{len(view.disagreements)} of {len(relevant)} relevant heads disagree" in text
        assert "lstm (untrained) (acting)" in text
        assert "p(heur)" in text and "p(lstm)" in text and "TV" in text
        assert view.disagreements, "an untrained LSTM and the heuristic agree on every head"
        for compared in view.heads:
            cells = [f"{option} {prob:.2f}" for option, prob in compared.choices.values()]
            row = next(line for line in text.splitlines() if all(cell in line for cell in cells))
            if compared.relevant:
                assert ("≠" in row) == (not compared.agree), row
                assert f"{compared.divergence:.2f}" in row
            else:  # a head one of the two ops does not read: marked, never counted
                assert "○" in row and "≠" not in row, row
        assert view.heads[0].head == "op" and view.heads[0].relevant  # the op head always counts
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)


async def test_e_exports_a_file_that_reads_back(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "e")
        path = tmp_path / "ui-lesson-decisions.jsonl"
        assert "Exported 3 decisions to" in screen(app)
        run = read_run(path)
        assert run.header.scenario_name == "UI lesson"
        assert [record.epoch for record in run.decisions] == [1, 2, 3]
        assert [record.op for record in run.decisions] == ["ADVANCE", "WAIT", "WAIT"]


async def test_question_mark_lists_every_key(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen(app)
        for command in COMMANDS:
            assert keys_label(command) in text and command.title in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_enter_on_the_timeline_opens_the_full_record(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        app.query_one("#timeline").focus()
        await pilot.press("up", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        text = screen(app)
        assert "Decision 0 · epoch 1 · branch 0 · ADVANCE r0c0" in text
        assert "r0c0: TRAINING → BLENDING" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordScreen)


async def test_heads_panel_keys_pick_options_and_the_why_panel_follows(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        heads = app.query_one(HeadsPanel)
        assert heads.has_focus
        assert heads.selection == Selection("op", 5)  # follows the chosen op (ADVANCE) until one is picked
        assert why(app).startswith("op.ADVANCE ✓ allowed · p 1.00 · ▶ chosen")
        await pilot.press("k")
        assert heads.selection == Selection("op", 4)
        assert why(app).startswith("op.FOSSILIZE ⊘ masked")
        assert "only a HOLDING seed can be fossilized: r0c0 is TRAINING" in why(app)
        await pilot.press("up")
        assert heads.selection == Selection("op", 3)
        await pilot.press("j", "down", "j")
        assert heads.selection == Selection("slot", 0)  # past the op's last option: the next head
        await pilot.press("J")
        assert heads.selection == Selection("blueprint", 0)
        assert why(app).startswith("blueprint.NOOP ⊘ masked")
        await pilot.press("K", "shift+up")
        assert heads.selection == Selection("op", 0)
        await pilot.press("right")  # the arrows still step while the heads panel has focus
        await settle(pilot)
        assert "epoch 2/14" in status_line(app)
        assert heads.selection == Selection("op", 0)  # a picked option stays picked


async def test_the_command_palette_runs_commands_from_the_same_table(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"step")
        await until(pilot, lambda: "Step (n/→)" in screen(app), "the palette offered Step")
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: app.frame.epoch == 2, "the palette's Step took a decision")
