"""A policy of esper-lite's 2016337e generation, run by the session as `run` and the inspector run it.

The pieces are each measured against the reference in tests/generations; these tests show they are wired:
the checkpoint the reference saved decides every epoch of a real scenario through the bundle, under that
generation's masks, heuristic and lifecycle, and the run says which generation it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.checkpoint import read_checkpoint
from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR
from tamiyo_tui.generations.esper_2016337e.features import observation_features_v3
from tamiyo_tui.generations.esper_2016337e.heuristic import HeuristicTamiyo2016337e
from tamiyo_tui.generations.esper_2016337e.masks import mask_inputs, slot_by_op
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.rules.heuristic import HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskInputs, explain_masks
from tamiyo_tui.session.headless import open_run

TESTS = Path(__file__).resolve().parent.parent
CHECKPOINT = TESTS / "vectors" / "esper-2016337e-checkpoint.pt"
LESSON = TESTS.parent / "scenarios" / "01-first-seed.yaml"  # names no lifecycle
G2_SCENARIO = TESTS / "data" / "g2-2016337e.yaml"  # names lifecycle: esper-2016337e


def opened(path: Path, policy: str, **options):
    return open_run(str(path), policy=policy, device="cpu", **options)


def test_the_reference_checkpoint_brings_its_generation_to_a_lesson_that_names_none() -> None:
    run = opened(LESSON, str(CHECKPOINT))
    assert run.scenario.lifecycle == "esper-2016337e"
    assert run.header.generation == "esper-2016337e"
    assert isinstance(run.policies.runner.bundles["lstm"], Policy2016337eBundle)
    assert isinstance(run.policies.runner.bundles["heuristic"].heuristic, HeuristicTamiyo2016337e)
    # The why panel's verdicts and reasons are that generation's rules.
    observation = run.session.observation()
    assert run.session.explanation() == explain_masks(mask_inputs(observation))


@pytest.mark.parametrize("deterministic", [True, False])
def test_every_decision_is_the_checkpoints_network_on_v3_features_and_the_generations_masks(
    deterministic: bool,
) -> None:
    """The session's decisions equal the pieces composed by hand, epoch after epoch, sampled too."""
    run = opened(G2_SCENARIO, str(CHECKPOINT), deterministic=deterministic)
    reference = read_checkpoint(CHECKPOINT)
    hidden = reference.network.initial_hidden(1)
    session = run.session
    while not session.done:
        observation = session.observation()
        features, blueprints = observation_features_v3(observation)
        inputs = mask_inputs(observation, allow_governor_override=session.governor_override_active)
        explanation = explain_masks(inputs)
        assert session.explanation() == explanation
        expected = reference.network.get_action(
            reference.normalizer.normalize(torch.tensor([features])),
            torch.tensor([blueprints]),
            hidden,
            masks={head: torch.tensor([explanation.mask(head)]) for head in HEAD_NAMES},
            slot_by_op=torch.tensor([slot_by_op(explain_masks(mask_inputs(observation)), mask_inputs(observation))]),
            deterministic=deterministic,
            probability_floor=PROBABILITY_FLOOR,
            generator=torch.Generator().manual_seed(session.sample_seed),
        )
        hidden = expected.hidden
        decision = session.pending_decisions()["lstm"]
        assert decision.action == FactoredAction.from_indices(*(int(expected.action[head]) for head in HEAD_NAMES))
        assert decision.value == pytest.approx(float(expected.value), abs=1e-6)
        for head in HEAD_NAMES:
            assert decision.heads[head].probs == pytest.approx(expected.probs[head][0].tolist(), abs=1e-6)
        session.step()


def test_a_run_of_that_generation_writes_it_in_its_header(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "tamiyo_tui", "run", str(G2_SCENARIO), "--policy", "heuristic", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    header, *records, final = (json.loads(line) for line in out.read_text().splitlines())
    assert header["type"] == "header" and header["generation"] == "esper-2016337e"
    assert records and all(record["type"] == "decision" for record in records)
    assert final["type"] == "final"


def test_a_checkpoint_under_the_other_generations_lifecycle_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "old-rules.yaml"
    scenario.write_text(LESSON.read_text() + "\nlifecycle: esper-60205274\n")
    with pytest.raises(InputError, match=r"a policy of the esper-2016337e generation cannot run under .*old-rules"):
        opened(scenario, str(CHECKPOINT))


def test_a_60205274_run_keeps_its_records_and_header_generation() -> None:
    run = opened(LESSON, "heuristic")
    assert run.scenario.lifecycle is None
    assert run.header.generation == "esper-60205274"
    assert type(run.policies.runner.bundles["heuristic"].heuristic) is HeuristicTamiyo
    assert isinstance(run.policies.runner.bundles["lstm"], LSTMPolicyBundle)
    assert run.session.explanation() == explain_masks(MaskInputs.from_observation(run.session.observation()))
