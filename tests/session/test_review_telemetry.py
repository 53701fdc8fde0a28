"""Review of real esper-lite telemetry (a slice of a 2016337e training run): the order, the jumps, the
events on the timeline and the malformed lines, against what the file itself says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tamiyo_tui import cli
from tamiyo_tui.domain.actions import HEADS_USED_BY_OP
from tamiyo_tui.errors import InputError
from tamiyo_tui.session.jumps import HIGH_ENTROPY, LOW_PROBABILITY
from tamiyo_tui.session.telemetry_review import TelemetryReview, is_telemetry

pytestmark = pytest.mark.timeout(120)

SLICES = Path(__file__).resolve().parents[1] / "data" / "esper-2016337e-telemetry"
TELEMETRY = SLICES / "events.jsonl"  # episodes 0 and 1
LATER = SLICES / "episodes-46-47.jsonl"  # a later batch, with low-probability op choices
KEY = {"alpha_curve": "curve"}


def recorded(path: Path = TELEMETRY) -> list[dict]:
    """The file's decisions in the review's order: episode, environment, epoch."""
    events = [json.loads(line) for line in path.read_text().splitlines()]
    decisions = [e["data"] for e in events if e["event_type"] == "ANALYTICS_SNAPSHOT"]
    decisions = [d for d in decisions if d["kind"] == "last_action"]
    return sorted(decisions, key=lambda d: (d["episode_idx"], d["env_id"], d["inner_epoch"]))


@pytest.fixture
def review() -> TelemetryReview:
    opened = TelemetryReview(TELEMETRY)
    opened.build_index()
    return opened


def test_the_first_frame_needs_no_index_and_shows_the_first_decision_as_recorded() -> None:
    opened = TelemetryReview(TELEMETRY)  # not indexed
    frame = opened.frame()
    first = recorded()[0]
    assert frame.position is None and frame.indexing is not None
    decision = frame.decision
    assert (decision.env, decision.episode, decision.epoch, decision.action) == (0, 0, 1, first["action_name"])
    op = decision.heads[0]
    assert op.head == "op" and op.confidence == pytest.approx(first["head_telemetry"]["op_confidence"])
    assert decision.decision_entropy == pytest.approx(float(first["decision_entropy"]))  # a string in the file
    assert "Still indexing" in (opened.step().notice or "")


def test_stepping_walks_every_decision_in_episode_env_epoch_order(review: TelemetryReview) -> None:
    expected = recorded()
    seen = [review.frame().decision]
    while (update := review.step()).notice is None:
        seen.append(update.frame.decision)
    assert [(d.episode, d.env, d.epoch, d.action) for d in seen] == [
        (d["episode_idx"], d["env_id"], d["inner_epoch"], d["action_name"]) for d in expected
    ]
    assert review.frame().total == len(expected) == 40


def reads_uncertain(d: dict) -> bool:
    return any(
        not d[f"{h}_masked"] and d["head_telemetry"][f"{KEY.get(h, h)}_entropy"] >= HIGH_ENTROPY
        for h in HEADS_USED_BY_OP[d["action_name"]]
    )


def reads_unlikely(d: dict) -> bool:
    likeliest = max([d["action_confidence"], *(p for _, p in d["alternatives"])])
    return d["action_confidence"] <= LOW_PROBABILITY * likeliest


RULES = {"rejected": lambda d: not d["action_success"], "uncertain": reads_uncertain, "unlikely": reads_unlikely}


@pytest.mark.parametrize("path", [TELEMETRY, LATER], ids=["episodes-0-1", "episodes-46-47"])
@pytest.mark.parametrize("kind", list(RULES))
def test_each_jump_lands_where_the_file_says(path: Path, kind: str) -> None:
    review = TelemetryReview(path)
    review.build_index()
    expected = [index for index, d in enumerate(recorded(path)) if RULES[kind](d)]
    while review.frame().jump != kind:
        review.cycle_jump()
    landed = []
    while (update := review.jump(1)).notice is None:
        landed.append(update.frame.position)
    assert landed == [index for index in expected if index > 0]  # from the first decision on
    assert "No later" in (update.notice or "")


def test_both_slices_hold_every_kind_the_jumps_find() -> None:
    for kind, rule in RULES.items():
        assert any(rule(d) for path in (TELEMETRY, LATER) for d in recorded(path)), kind


def test_episodes_and_environments(review: TelemetryReview) -> None:
    frame = review.episode(1).frame
    assert (frame.decision.episode, frame.decision.env, frame.episode_number, frame.episodes) == (1, 1, 2, 2)
    review.step()
    review.step()
    assert review.other_env().frame.decision.env == 0  # the same epoch in episode 0, which env 0 played
    assert (review.frame().decision.episode, review.frame().decision.epoch) == (0, 3)
    assert review.episode(-1).notice == "No earlier episode"


def test_the_timeline_puts_each_lifecycle_event_in_the_step_that_wrote_it(review: TelemetryReview) -> None:
    rows = review.frame().timeline
    texts = [row.text for row in rows]
    # Episode 0 of env 0: GERMINATE r0c2 at epoch 1 (its SEED_GERMINATED written just before the decision).
    assert texts[:2] == ["GERMINATE r0c2", "r0c2 germinated depthwise"]
    rejected = next(row for row in rows if row.rejected)
    after = texts[rows.index(rejected) + 1]
    assert after.startswith("r0c2 G2 → BLENDING failed: insufficient_training")
    assert rows[-1].epoch is None and rows[-1].text.startswith("PPO update: policy_loss")


def test_malformed_lines_are_counted_with_their_numbers(tmp_path: Path) -> None:
    lines = TELEMETRY.read_text().splitlines(keepends=True)
    lines[49:49] = ["{this is not json\n"]
    lines[150:150] = ['{"event_type": "ANALYTICS_SNAPSHOT", "data": {"kind": "last_action"\n']
    broken = tmp_path / "events.jsonl"
    broken.write_text("".join(lines))
    opened = TelemetryReview(broken)
    opened.build_index()
    assert opened.frame().malformed == (50, 151)
    assert opened.frame().total == 40  # the other lines all read


def test_a_folder_opens_its_one_run_and_refuses_two(tmp_path: Path) -> None:
    (tmp_path / "telemetry_a").mkdir()
    shutil.copy(TELEMETRY, tmp_path / "telemetry_a" / "events.jsonl")
    assert is_telemetry(tmp_path)
    assert TelemetryReview(tmp_path).path.parent.name == "telemetry_a"
    (tmp_path / "telemetry_b").mkdir()
    shutil.copy(TELEMETRY, tmp_path / "telemetry_b" / "events.jsonl")
    with pytest.raises(InputError, match="2 runs under it"):
        TelemetryReview(tmp_path)


def test_telemetry_without_decisions_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(line for line in TELEMETRY.open() if '"last_action"' not in line))
    assert cli.main(["review", str(events)]) == 2
    err = capsys.readouterr().err
    assert "no decision (ANALYTICS_SNAPSHOT of kind last_action)" in err and len(err.strip().splitlines()) == 1


def test_it_opens_at_an_episode_and_epoch_once_indexed() -> None:
    review = TelemetryReview(TELEMETRY, episode=1, epoch=5)
    assert review.frame().decision.episode == 0  # the first frame: the file's first decision
    review.build_index()
    shown = review.frame().decision
    assert (shown.env, shown.episode, shown.epoch) == (1, 1, 5)
    missing = TelemetryReview(TELEMETRY, episode=7)
    missing.build_index()  # opens anyway, at the first decision, and says why
    assert missing.frame().position == 0
    assert "no decision in episode 7" in (missing.start_problem or "")
