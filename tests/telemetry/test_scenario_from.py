"""``tamiyo-tui scenario-from``: real esper-lite telemetry (2016337e) → a scenario that replays the episode.

The faithfulness test reads the telemetry itself (raw JSON lines, not the module's reader) and runs the
written file through the loader and the simulator, so a mistake in the reader or the replay cannot hide
behind itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tamiyo_tui import cli
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import ActionEvent
from tamiyo_tui.sim.simulator import Simulator
from tamiyo_tui.telemetry.episode import GateVerdict, read_episode
from tamiyo_tui.telemetry.gradients import infer_signals
from tamiyo_tui.telemetry.scenario_from import NOT_RECONSTRUCTED

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parents[1] / "data"
FIRST = DATA / "esper-2016337e-telemetry" / "events.jsonl"  # episodes 0 (env 0) and 1 (env 1)
LAST = DATA / "esper-2016337e-telemetry-ep58" / "events.jsonl"  # episodes 58 (env 0) and 59 (env 1)
EPISODES = [(FIRST, 0, 0), (FIRST, 1, 1), (LAST, 0, 58), (LAST, 1, 59)]


def recorded_decisions(path: Path, env: int, episode: int) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        r["data"]
        for r in rows
        if r["event_type"] == "ANALYTICS_SNAPSHOT"
        and r["data"].get("kind") == "last_action"
        and (r["data"]["env_id"], r["data"]["episode_idx"]) == (env, episode)
    ]


def write(tmp_path: Path, telemetry: Path, env: int, episode: int, name: str = "replay.yaml") -> Path:
    out = tmp_path / name
    assert (
        cli.main(["scenario-from", str(telemetry), "--env", str(env), "--episode", str(episode), "--out", str(out)])
        == 0
    )
    return out


@pytest.mark.parametrize(("telemetry", "env", "episode"), EPISODES)
def test_the_replay_follows_the_recorded_lifecycle_epoch_by_epoch(
    tmp_path: Path, telemetry: Path, env: int, episode: int
) -> None:
    scenario = load_scenario(str(write(tmp_path, telemetry, env, episode)))
    assert scenario.lifecycle == "esper-2016337e"
    recorded = recorded_decisions(telemetry, env, episode)
    assert scenario.episode_length == len(recorded) == 20
    sim = Simulator(scenario)
    stages_matched = outcomes_matched = 0
    for row in recorded:
        epoch = row["inner_epoch"]
        assert sim.epoch == epoch
        observed = sim.observe()
        stages = {s: "EMPTY" if r is None else r.stage.name for s, r in observed.slots.items()}
        want = {s: text.split(" ")[0].upper() for s, text in row["slot_states"].items()}
        stages_matched += stages == want
        (event,) = [e for e in scenario.events_at(epoch) if isinstance(e, ActionEvent)]
        assert event.action.op.name == row["action_name"]
        outcomes_matched += sim.apply(event.action.to_factored(scenario.slot_config)).accepted == row["action_success"]
    # Measured: every epoch of the four episodes (80 of 80), and of all 60 episodes of the full run (1,200).
    assert (stages_matched, outcomes_matched) == (20, 20)


def test_the_written_file_passes_check_and_its_header_says_what_is_missing(tmp_path: Path, capsys) -> None:
    out = write(tmp_path, LAST, 0, 58)
    text = out.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#") and not line.startswith("  ")]
    assert (
        "# Replayed by the simulator: stages as recorded in 20 of 20 epochs; "
        "actions accepted/rejected as recorded in 20 of 20." in header
    )
    for item in NOT_RECONSTRUCTED:
        assert f"#   - {item}" in header
    assert 'name: "esper-2016337e-telemetry-ep58 · env 0, episode 58"' in text
    # Episode 58 holds the run's only SET_ALPHA_TARGET and a PRUNE, both scripted with their recorded heads.
    set_alpha = (
        '{op: "SET_ALPHA_TARGET", slot: "r0c0", style: "LINEAR_MULTIPLY", alpha_target: "FULL", '
        'alpha_speed: "FAST", alpha_curve: "LINEAR"}'
    )
    assert f"  - at: 20\n    action: {set_alpha}" in text
    assert (
        '  - at: 18\n    action: {op: "PRUNE", slot: "r0c1", alpha_speed: "SLOW", alpha_curve: "SIGMOID_GENTLE"}'
        in text
    )
    capsys.readouterr()
    assert cli.main(["check", str(out)]) == 0
    assert "0 failed" in capsys.readouterr().out


def test_a_verdict_the_simulator_cannot_follow_is_named_in_the_header_and_left_out_of_expect(tmp_path: Path) -> None:
    # The recording edited: epoch 5's ADVANCE (G2: 1 of 10 epochs) claimed accepted. Nothing we script can
    # make the simulator's G2 pass after one epoch, so the writer must say so instead of expecting it.
    lines = FIRST.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        row = json.loads(line)
        data = row["data"] or {}
        if data.get("kind") == "last_action" and (data["env_id"], data["inner_epoch"]) == (0, 5):
            assert (data["action_name"], data["action_success"]) == ("ADVANCE", False)
            data["action_success"] = True
            lines[i] = json.dumps(row) + "\n"
    edited = tmp_path / "edited" / "events.jsonl"
    edited.parent.mkdir()
    edited.write_text("".join(lines), encoding="utf-8")
    out = write(tmp_path, edited.parent, 0, 0)
    text = out.read_text(encoding="utf-8")
    assert "actions accepted/rejected as recorded in 19 of 20" in text
    assert "# Where the replay parts from the recording (no `expect` there):" in text
    assert (
        "#   epoch 5: the replay rejects ADVANCE r0c2 "
        "(r0c2: G2 failed (2016337e's rule): insufficient_training_1_of_10), recorded accepted" in text
    )
    assert cli.main(["check", str(out)]) == 0


def test_g2_health_is_read_per_blueprint_from_the_recorded_verdicts() -> None:
    episode = read_episode(str(FIRST), 0, 0)
    # Episode 0: G2 read depthwise's health as 1.00 (epoch 5) and refused conv_light with gradient_health_low_0.50.
    signals = {s.blueprint: s for s in infer_signals(["depthwise", "conv_light"], episode.gates)}
    assert signals["conv_light"].gradient_health == 0.5
    assert signals["depthwise"].evidence == "G2 read health 1.00 in 1 verdict(s): 1.00 used"
    # Episode 58's depthwise seed was pruned before any G2: nothing read, the default assumed.
    (unread,) = infer_signals(["depthwise"], read_episode(str(LAST), 0, 58).gates)
    assert (unread.gradient_health, unread.evidence) == (1.0, "no G2 health reading recorded: health 1.00 assumed")

    def g2(health: str, passed: bool) -> GateVerdict:
        return GateVerdict(1, "r0c0", "norm", "G2", passed, (health,) if passed else (), () if passed else (health,))

    mixed = infer_signals(["norm"], (g2("gradient_health_0.83", True), g2("gradient_health_0.90", True),
                                     g2("gradient_health_low_0.50_need_0.70", False)))  # fmt: skip
    assert mixed[0].gradient_health == 0.83 and "both sides" in mixed[0].evidence
    low = infer_signals(["norm"], (g2("gradient_health_low_0.67_need_0.70", False),))
    assert low[0].gradient_health == 0.67


def test_the_default_name_and_stdout(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["scenario-from", str(FIRST.parent), "--env", "1", "--episode", "1"]) == 0
    written = tmp_path / "esper-2016337e-telemetry-env1-ep1.yaml"
    assert written.is_file() and f"wrote {written.name}: 20 epochs" in capsys.readouterr().out
    assert cli.main(["scenario-from", str(FIRST), "--env", "1", "--episode", "1", "--out", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == written.read_text(encoding="utf-8")
    assert captured.err.startswith("scenario-from: stages as recorded in 20 of 20 epochs")


def test_an_existing_file_is_never_overwritten(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("precious\n", encoding="utf-8")
    assert cli.main(["scenario-from", str(FIRST), "--env", "0", "--episode", "0", "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "precious\n"
    assert "never overwrites" in capsys.readouterr().err


def _two_runs(tmp_path: Path) -> Path:
    for run in ("telemetry_a", "telemetry_b"):
        (tmp_path / "two" / run).mkdir(parents=True)
        shutil.copy(FIRST, tmp_path / "two" / run / "events.jsonl")
    return tmp_path / "two"


@pytest.mark.parametrize(
    ("target", "env", "episode", "says"),
    [
        (lambda t: t / "missing.jsonl", 0, 0, "missing.jsonl: file not found"),
        (lambda t: FIRST, 0, 1, "no decisions of env 0, episode 1 (recorded: env 0: episodes 0; env 1: episodes 1)"),
        (lambda t: FIRST, 5, 0, "no decisions of env 5, episode 0"),
        (lambda t: Path(__file__), 0, 0, "not JSON: not esper-lite telemetry"),
        (lambda t: DATA / "esper-2016337e-telemetry" / "README.md", 0, 0, "not JSON"),
        (lambda t: t, 0, 0, "a folder with no events.jsonl under it"),
        (_two_runs, 0, 0, "2 runs under it (telemetry_a, telemetry_b)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, target, env: int, episode: int, says: str) -> None:
    given = target(tmp_path)
    code = cli.main(
        ["scenario-from", str(given), "--env", str(env), "--episode", str(episode), "--out", str(tmp_path / "o.yaml")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("tamiyo-tui: error: ") and says in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o.yaml").exists()


def test_a_json_file_that_is_not_telemetry(tmp_path: Path, capsys) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text('{"header": {"schema": 1}}\n', encoding="utf-8")
    assert cli.main(["scenario-from", str(records), "--env", "0", "--episode", "0"]) == 2
    assert "records.jsonl:1: not an esper-lite telemetry event (no 'event_type')" in capsys.readouterr().err
