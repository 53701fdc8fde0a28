"""Behaviour cloning: the rollouts it learns from, a real (tiny) training run, and the shipped policy files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from tamiyo_tui import cli
from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.checkpoint import load_checkpoint
from tamiyo_tui.rules.heuristic import HeuristicConfig
from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.loading import untrained_lstm
from tamiyo_tui.session.policy_spec import resolve_policy
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import AccuracyGenerator, ActionEvent
from tamiyo_tui.training.bc import BCConfig, FeatureScaler, TrainingData, train_bc
from tamiyo_tui.training.generator import HELD_OUT_SEEDS
from tamiyo_tui.training.rollouts import (
    TRAINING_SLOT_CONFIG,
    Variation,
    play_heuristic,
    vary_scenario,
)

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "scenarios"
POLICIES = REPO / "policies"
FIRST_SEED = str(LESSONS / "01-first-seed.yaml")  # one slot
OPTIMISTIC = str(LESSONS / "13-optimistic-op-mask.yaml")  # two slots
ENABLED_SLOTS = str(LESSONS / "05-enabled-slots.yaml")  # three slots, only r0c1 enabled
SHIPPED = POLICIES / "lstm-bc.pt"  # the generated-scenario training (docs/policies.md)
METADATA_KEYS = {
    "trainer",
    "tool_version",
    "torch_version",
    "training_config",
    "data_sha256",
    "seed",
    "epochs",
    "final_loss",
    "initial_loss",
    "train_episodes",
    "train_steps",
    "scripted_steps",
    "feature_normalization",
    "temperatures",
}


def quick_config() -> BCConfig:
    return BCConfig.quick((FIRST_SEED, OPTIMISTIC))


# --- rollouts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FIRST_SEED, OPTIMISTIC])
def test_a_widened_lesson_plays_exactly_as_written(path: str) -> None:
    scenario = load_scenario(path)
    wide = scenario.widened_to(TRAINING_SLOT_CONFIG)

    narrow_run, wide_run = play_heuristic(scenario), play_heuristic(wide)

    assert wide.slot_config == SlotConfig.for_grid(3, 3)
    assert wide.enabled_slots == scenario.slot_config.slot_ids
    assert wide_run.epochs == narrow_run.epochs
    for head in HEAD_NAMES:  # slot indices agree too: the lesson's slots come first in the 3 × 3 layout
        assert torch.equal(wide_run.actions[head], narrow_run.actions[head]), head
    assert torch.equal(wide_run.scripted, narrow_run.scripted)


def test_widening_keeps_a_scenarios_own_enabled_slots_and_refuses_a_foreign_slot() -> None:
    scenario = load_scenario(ENABLED_SLOTS)
    assert scenario.widened_to(SlotConfig.default()) is scenario
    wide = scenario.widened_to(TRAINING_SLOT_CONFIG)
    assert (wide.slot_config.num_slots, wide.enabled_slots) == (9, ("r0c1",))

    with pytest.raises(ValueError, match=r"slots \['r0c2'\] are not in the layout \['r0c0', 'r0c1'\]"):
        scenario.widened_to(SlotConfig(("r0c0", "r0c1")))


def test_a_variation_is_a_pure_function_of_scenario_name_and_seed() -> None:
    scenario = load_scenario(FIRST_SEED)

    assert vary_scenario(scenario, 3) == vary_scenario(scenario, 3)
    assert vary_scenario(scenario, 3).host != vary_scenario(scenario, 4).host
    assert vary_scenario(scenario, 3).seed == 3


def test_a_variation_shifts_and_stretches_the_accuracy_curve_around_its_first_epoch() -> None:
    variation = dataclasses.replace(
        Variation.draw("any", 0), accuracy_shift=2.0, accuracy_gain=1.5, plateau_shift=-2, noise=0.25
    )
    scenario = load_scenario(FIRST_SEED)

    host = variation.host(scenario.host)
    generator = variation.host(dataclasses.replace(scenario.host, val_accuracy=AccuracyGenerator(50.0, 60.0, 6)))

    # Lesson 01 starts 40, 52, 60: each epoch's distance to 40 grows by 1.5, then everything moves up 2.
    assert host.val_accuracy[:3] == pytest.approx((42.0, 60.0, 72.0))
    assert generator.val_accuracy == AccuracyGenerator(start=52.0, end=67.0, plateau_at=4, noise=0.25)


def test_a_variation_without_scripts_drops_only_the_action_events() -> None:
    scenario = load_scenario(FIRST_SEED)
    variation = dataclasses.replace(Variation.draw(scenario.name, 0), keep_scripts=False)
    lesson = load_scenario(OPTIMISTIC)

    varied = variation.apply(lesson, 0)

    assert not any(isinstance(event, ActionEvent) for event in varied.events)
    assert len(varied.events) == sum(not isinstance(event, ActionEvent) for event in lesson.events) > 0


def test_the_heuristic_still_decides_where_a_script_acts() -> None:
    episode = play_heuristic(load_scenario(OPTIMISTIC))

    # Epoch 1 forces FOSSILIZE on r0c1 and epoch 2 ADVANCE on r0c0; the heuristic itself would fossilize
    # the HOLDING seed r0c0 (contribution +2.00) at epoch 1.
    assert episode.scripted[:3].tolist() == [True, True, False]
    assert (int(episode.actions["op"][0]), int(episode.actions["slot"][0])) == (4, 0)


# --- training ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("bc") / "quick.pt"
    return out, train_bc(quick_config(), out)


def test_a_quick_run_writes_a_checkpoint_that_loads_weights_only(quick_run: tuple[Path, object]) -> None:
    out, result = quick_run

    loaded = load_checkpoint(out)
    raw = torch.load(out, weights_only=True)

    assert raw["format"] == "tamiyo-tui-policy"
    assert loaded.bundle.slot_config == TRAINING_SLOT_CONFIG
    assert set(loaded.metadata) == METADATA_KEYS
    assert json.loads(str(loaded.metadata["training_config"]))["epochs"] == 2
    assert set(json.loads(str(loaded.metadata["temperatures"]))) == set(HEAD_NAMES)
    assert loaded.metadata["data_sha256"] == result.data_sha256
    for key, tensor in result.bundle.state_dict().items():
        assert torch.equal(loaded.bundle.state_dict()[key], tensor), key


def test_a_quick_run_lowers_the_loss(quick_run: tuple[Path, object]) -> None:
    _, result = quick_run

    assert len(result.losses) == 2
    assert result.losses[-1] < result.losses[0]
    assert result.metadata["train_episodes"] == 6 + 2 * 3  # six generated, two scenario files × seeds 0-2


def test_training_is_reproducible_and_restores_the_torch_settings(quick_run: tuple[Path, object]) -> None:
    _, first = quick_run
    settings = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())

    again = train_bc(quick_config())

    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == settings
    assert again.data_sha256 == first.data_sha256
    assert again.losses == first.losses
    for key, tensor in first.bundle.state_dict().items():
        assert torch.equal(again.bundle.state_dict()[key], tensor), key


def test_folding_the_scaler_gives_the_same_logits_on_raw_features() -> None:
    torch.manual_seed(0)
    bundle = untrained_lstm(load_scenario(ENABLED_SLOTS))
    features = torch.randn(3, 5, bundle.feature_dim) * 50 + 10
    features[..., 7] = 4.0  # a constant feature: scale 0, so the folded network ignores it
    scaler = FeatureScaler.fit(features, torch.ones(3, 5, dtype=torch.bool))
    with torch.no_grad():
        before = bundle.network(scaler(features))["op_logits"]
        scaler.fold_into(bundle)
        after = bundle.network(features)["op_logits"]
        features[..., 7] = 1e6
        ignored = bundle.network(features)["op_logits"]

    assert scaler.scale[7] == 0.0
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ignored, before, rtol=1e-4, atol=1e-4)


def test_padding_is_invalid_and_allows_every_option() -> None:
    short = play_heuristic(load_scenario(ENABLED_SLOTS).widened_to(TRAINING_SLOT_CONFIG))
    long = play_heuristic(load_scenario(FIRST_SEED).widened_to(TRAINING_SLOT_CONFIG))

    data = TrainingData.from_episodes([short, long])

    assert data.features.shape[:2] == (2, 16)
    assert data.valid.sum(dim=1).tolist() == [10, 16]
    assert bool(data.masks["op"][0, 10:].all())
    assert data.steps == 26


def test_episodes_of_different_layouts_do_not_mix() -> None:
    episodes = [play_heuristic(load_scenario(ENABLED_SLOTS)), play_heuristic(load_scenario(FIRST_SEED))]

    with pytest.raises(ValueError, match="feature sizes 140 and 62"):
        TrainingData.from_episodes(episodes)


def test_the_data_hash_covers_the_actions() -> None:
    episode = play_heuristic(load_scenario(ENABLED_SLOTS))
    changed = dataclasses.replace(episode, actions={**episode.actions, "tempo": episode.actions["tempo"] + 1})

    assert TrainingData.from_episodes([episode]).sha256() == TrainingData.from_episodes([episode]).sha256()
    assert TrainingData.from_episodes([changed]).sha256() != TrainingData.from_episodes([episode]).sha256()


def test_the_train_bc_command_writes_the_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.pt"

    code = cli.main(["train-bc", FIRST_SEED, ENABLED_SLOTS, "--quick", "--epochs", "1", "--out", str(out)])

    assert code == 0
    assert load_checkpoint(out).metadata["epochs"] == 1
    assert f"wrote {out}" in capsys.readouterr().out.replace("\n", "")


# --- the shipped policies ------------------------------------------------------------------------------


def test_the_shipped_checkpoint_loads_weights_only_and_is_small() -> None:
    loaded = load_checkpoint(SHIPPED)
    config = json.loads(str(loaded.metadata["training_config"]))

    assert SHIPPED.stat().st_size < 5 * 1024 * 1024
    assert torch.load(SHIPPED, weights_only=True)["version"] == 1
    assert set(loaded.metadata) == METADATA_KEYS
    assert len(str(loaded.metadata["data_sha256"])) == 64
    assert loaded.bundle.slot_config == SlotConfig.for_grid(3, 3)
    trained, validated = range(*config["generated"]), range(*config["validation"])
    assert not set(trained) & set(validated)
    assert not (set(trained) | set(validated)) & set(range(*HELD_OUT_SEEDS))
    assert config["scenarios"] == []  # the lessons are held out


def test_the_policy_files_resolve() -> None:
    heuristic = resolve_policy(str(POLICIES / "heuristic.yaml"))
    untrained = resolve_policy(str(POLICIES / "lstm-untrained.yaml"))
    cloned = resolve_policy(str(POLICIES / "lstm-bc.yaml"))

    assert (heuristic.bundle, heuristic.checkpoint) == ("heuristic", None)
    assert HeuristicConfig.from_mapping(heuristic.heuristic) == HeuristicConfig()
    assert set(heuristic.heuristic) == {field.name for field in dataclasses.fields(HeuristicConfig)}
    assert (untrained.bundle, untrained.checkpoint, untrained.init_seed) == ("lstm", None, 0)
    assert (cloned.bundle, cloned.checkpoint) == ("lstm", POLICIES / "lstm-bc.pt")


def test_the_cloned_policy_is_sure_where_the_untrained_one_is_not() -> None:
    # Lesson 05, epoch 3: r0c1 holds a GERMINATED seed, so the heuristic advances it (ops WAIT, PRUNE,
    # ADVANCE are valid). The untrained net is near uniform; the cloned one picks ADVANCE with confidence.
    decisions = {}
    for name in ("lstm-untrained", "lstm-bc"):
        session = open_run(
            ENABLED_SLOTS, policy=str(POLICIES / f"{name}.yaml"), device="cpu", deterministic=True
        ).session
        session.step()
        session.step()
        decisions[name] = session.pending_decisions()

    assert decisions["lstm-bc"]["heuristic"].chosen["op"] == "ADVANCE"
    assert decisions["lstm-bc"]["lstm"].chosen["op"] == "ADVANCE"
    assert decisions["lstm-bc"]["lstm"].heads["op"].entropy < 0.5
    assert decisions["lstm-untrained"]["lstm"].heads["op"].entropy > 0.99


def test_the_train_bc_help_states_the_trainers_defaults() -> None:
    # The parser does not import the trainer (torch) to print its help, so the numbers are written there.
    help_text = " ".join(cli.build_command_parser("train-bc").format_help().split())
    config = BCConfig()

    assert f"training epochs (default: the trainer's, {config.epochs})" in help_text
    assert f"generated training episodes (default: {config.generated[1] - config.generated[0]})" in help_text
