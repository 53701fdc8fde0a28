"""A sweep file opened in the TUI: the findings list, and the inspector opened at the finding chosen,
replayed to the very decision the sweep flagged."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_harness import WIDE, settle, until

from tamiyo_tui import cli
from tamiyo_tui.session.findings import SweepFile, read_sweep_file
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.tui import launch
from tamiyo_tui.tui.capture import screen_text
from tamiyo_tui.tui.launch import build_finding_app, build_live_app
from tamiyo_tui.tui.screens.findings import FindingsApp

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sweep: an untrained network on lesson 04, whose decisions are often worth a look."""
    path = tmp_path_factory.mktemp("sweep") / "sweep.jsonl"
    assert (
        cli.main(["sweep", "04", "--seeds", "0-2", "--policy", "lstm-untrained", "--device", "cpu", "--out", str(path)])
        == 0
    )
    return path


def loaded(path: Path) -> SweepFile:
    sweep = read_sweep_file(path)
    assert len(sweep.findings) >= 3
    return sweep


async def test_the_list_shows_the_ranked_findings_and_enter_opens_the_one_highlighted(sweep_file: Path) -> None:
    sweep = loaded(sweep_file)
    app = FindingsApp(sweep, str(sweep_file))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert f"{len(sweep.findings)} worth a look" in text
        first, second = sweep.findings[:2]
        assert first.command() in text  # the highlighted finding's detail, the first at the start
        await pilot.press("down")
        await until(pilot, lambda: second.command() in screen_text(app), "the second finding's detail")
        await pilot.press("enter")
        await until(pilot, lambda: app.return_value is not None, "the app exits with the finding")
    assert app.return_value == second


async def test_q_leaves_the_list_without_a_finding(sweep_file: Path) -> None:
    app = FindingsApp(loaded(sweep_file), str(sweep_file), cursor=2)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert app.query_one(DataTable).cursor_row == 2
        await pilot.press("q")
    assert app.return_value is None


def test_review_goes_from_the_list_to_the_inspector_and_back_until_q(
    sweep_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = loaded(sweep_file)
    answers = iter([sweep.findings[1], sweep.findings[0], None])  # what the list's user picks, each time
    cursors: list[int] = []
    inspected: list[object] = []

    def list_run(self: FindingsApp) -> object:
        cursors.append(self.start_row)
        return next(answers)

    monkeypatch.setattr(FindingsApp, "run", list_run)
    monkeypatch.setattr(launch, "build_finding_app", lambda finding: finding)
    monkeypatch.setattr(launch, "run_app", lambda app: inspected.append(app) or 0)

    assert launch.review_sweep(str(sweep_file)) == 0
    assert cursors == [0, 1, 0]  # the list comes back where it was left
    assert inspected == [sweep.findings[1], sweep.findings[0]]


async def test_a_finding_opens_the_inspector_at_its_decision_replayed(sweep_file: Path, tmp_path: Path) -> None:
    finding = loaded(sweep_file).findings[0]
    app = build_finding_app(finding, export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.frame.decision is not None, "the policy's decision on screen")
        frame = app.frame
        assert (frame.epoch, frame.position) == (finding.epoch, finding.step)
        chosen = {head: record.chosen for head, record in frame.decision.heads.items()}
        assert finding.action.split()[0] == chosen["op"]  # the very decision the sweep flagged
        assert f"epoch {finding.epoch}/" in screen_text(app)


async def test_at_opens_any_epoch_and_steps_on_from_there(tmp_path: Path) -> None:
    app = build_live_app(scenario_path("01"), policy="heuristic", device="cpu", export_dir=tmp_path, at=9)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.frame.decision is not None, "the decision of epoch 9")
        assert (app.frame.epoch, app.frame.position) == (9, 8)
        await pilot.press("n")
        await settle(pilot)
        assert app.frame.epoch == 10


def test_review_tells_a_sweep_file_from_a_decisions_file(sweep_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(launch, "review_sweep", lambda path: opened.append(path) or 0)
    assert cli.main(["review", str(sweep_file)]) == 0
    assert opened == [str(sweep_file)]


def test_a_sweep_without_findings_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "quiet.jsonl"
    assert (
        cli.main(["sweep", "01", "--seeds", "0", "--policy", "heuristic", "--device", "cpu", "--out", str(path)]) == 0
    )
    capsys.readouterr()
    assert cli.main(["review", str(path)]) == 2
    assert capsys.readouterr().err == f"tamiyo-tui: error: {path}: the sweep found no decision worth a look\n"


@pytest.mark.parametrize("at", ["0", "17"])
def test_an_epoch_outside_the_episode_is_one_line(at: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["01", "--at", at]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tamiyo-tui: error: ")
    assert ("must be an integer ≥ 1" if at == "0" else "decides at epochs 1 to 16") in err
