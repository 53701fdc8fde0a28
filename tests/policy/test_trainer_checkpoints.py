"""Checkpoints as the reference trainer writes them (``PPOAgent.save`` at 60205274), in both feature
layouts, and files of the later policy generation, which are named and refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tamiyo_tui.cli import main
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.checkpoint import CheckpointError, load_checkpoint
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "scenarios" / "01-first-seed.yaml"
# The config keys PPOAgent.save writes at 60205274 (values as its defaults would give them).
TRAINER_CONFIG = {
    "gamma": 0.995,
    "gae_lambda": 0.97,
    "clip_ratio": 0.2,
    "entropy_coef": 0.05,
    "entropy_coef_start": None,
    "entropy_coef_end": None,
    "entropy_coef_min": 0.01,
    "adaptive_entropy_floor": False,
    "entropy_anneal_steps": 0,
    "entropy_coef_per_head": None,
    "value_coef": 0.5,
    "clip_value": True,
    "value_clip": 10.0,
    "target_kl": 0.015,
    "recurrent_n_epochs": 1,
    "lstm_hidden_dim": 128,
    "chunk_length": 25,
    "num_envs": 4,
    "max_steps_per_env": 25,
    "n_epochs": 10,
    "batch_size": 64,
    "max_grad_norm": 0.5,
    "weight_decay": 0.0,
    "compile_mode": "off",
}


def trained(telemetry: bool, seed: int = 7) -> LSTMPolicyBundle:
    """A network with weights far from the initialization, so decisions depend on every input."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        bundle = LSTMPolicyBundle(telemetry=telemetry)
        with torch.no_grad():
            for param in bundle.network.parameters():
                param.add_(torch.randn_like(param) * 0.2)
    return bundle


def save_as_trainer(bundle: LSTMPolicyBundle, path: Path, **changes: object) -> Path:
    """``torch.save`` of exactly the dict PPOAgent.save builds, with a real optimizer state."""
    optimizer = torch.optim.Adam(bundle.network.parameters(), lr=3e-4)
    bundle.network(torch.zeros(1, 1, bundle.feature_dim))["value"].sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    content = {
        "checkpoint_version": 1,
        "network_state_dict": bundle.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "train_steps": 1234,
        "config": dict(TRAINER_CONFIG, lstm_hidden_dim=bundle.hidden_dim),
        "architecture": {
            "state_dim": bundle.feature_dim,
            "slot_ids": bundle.slot_config.slot_ids,  # a tuple, as SlotConfig holds it
            "num_slots": bundle.slot_config.num_slots,
        },
        **changes,
    }
    torch.save(content, path)
    return path


def save_bare(bundle: LSTMPolicyBundle, path: Path) -> Path:
    torch.save(bundle.state_dict(), path)
    return path


def decisions(path: Path, out: Path) -> list[dict]:
    assert main(["run", str(LESSON), "--policy", str(path), "--out", str(out), "--device", "cpu"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    header, body = records[0], records[1:]
    assert header["type"] == "header"
    return [record for record in body if record["type"] == "decision"]  # the episode's end adds a final line


@pytest.mark.parametrize(("telemetry", "features"), [(False, 140), (True, 218)])
def test_a_trainer_file_decides_exactly_as_its_bare_state_dict(
    tmp_path: Path, telemetry: bool, features: int, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = trained(telemetry)
    trainer_file = save_as_trainer(bundle, tmp_path / "ppo.pt")
    bare_file = save_bare(bundle, tmp_path / "bare.pt")
    loaded = load_checkpoint(trainer_file)
    assert loaded.bundle.feature_dim == features and loaded.bundle.use_telemetry is telemetry
    assert loaded.metadata == {"source": "PPOAgent.save", "checkpoint_version": 1, "train_steps": 1234}
    from_trainer = decisions(trainer_file, tmp_path / "a.jsonl")
    from_bare = decisions(bare_file, tmp_path / "b.jsonl")
    assert len(from_trainer) == 16
    assert from_trainer == from_bare
    assert {record["telemetry_features"] for record in from_trainer if record["bundle"] == "lstm"} == {telemetry}


def test_telemetry_changes_what_the_network_sees(tmp_path: Path) -> None:
    # The same weights but for the 78 telemetry inputs decide differently once those inputs are read.
    with_telemetry = trained(True)
    assert decisions(save_bare(with_telemetry, tmp_path / "t.pt"), tmp_path / "t.jsonl") != decisions(
        save_bare(trained(True, seed=8), tmp_path / "u.pt"), tmp_path / "u.jsonl"
    )


def test_the_trainer_files_slot_ids_name_the_layout(tmp_path: Path) -> None:
    bundle = LSTMPolicyBundle(slot_config=SlotConfig(("r0c0", "r1c0", "r2c0")))
    loaded = load_checkpoint(save_as_trainer(bundle, tmp_path / "ppo.pt")).bundle
    assert loaded.slot_config.slot_ids == ("r0c0", "r1c0", "r2c0")


def test_a_compiled_networks_prefix_is_stripped_inside_a_trainer_file(tmp_path: Path) -> None:
    bundle = trained(False)
    path = tmp_path / "ppo.pt"
    save_as_trainer(bundle, path)
    content = torch.load(path, weights_only=True)
    content["network_state_dict"] = {f"_orig_mod.{k}": v for k, v in content["network_state_dict"].items()}
    torch.save(content, path)
    assert load_checkpoint(path).bundle.feature_dim == 140


def test_recorded_sizes_that_contradict_the_weights_are_named(tmp_path: Path) -> None:
    bundle = trained(False)
    architecture = {"state_dim": 218, "slot_ids": ("r0c0", "r0c1", "r0c2")}
    path = save_as_trainer(bundle, tmp_path / "ppo.pt", architecture=architecture)
    with pytest.raises(CheckpointError, match=r"architecture.state_dim is 218, but the network's weights have 140"):
        load_checkpoint(path)


def later_generation_file(path: Path) -> Path:
    """The top level PPOAgent.save writes at 2016337e, with a few of that network's keys."""
    torch.save(
        {
            "checkpoint_version": 2,
            "value_head_schema_version": 2,
            "network_state_dict": {
                "feature_net.0.weight": torch.zeros(512, 128),
                "state_value_head.0.weight": torch.zeros(256, 512),
                "q_head.0.weight": torch.zeros(256, 512),
                "blueprint_embedding.embedding.weight": torch.zeros(14, 4),
                "slot_head.2.weight": torch.zeros(3, 256),
            },
            "optimizer_state_dict": {},
            "value_normalizer_state_dict": {},
            "train_steps": 10,
            "aux_training_step": 0,
            "config": {"lstm_hidden_dim": 512},
            "architecture": {"state_dim": 116, "slot_ids": ("r0c0", "r0c1", "r0c2"), "num_slots": 3},
        },
        path,
    )
    return path


def test_a_later_generation_file_that_lacks_part_of_its_network_names_the_part(tmp_path: Path) -> None:
    path = later_generation_file(tmp_path / "v2.pt")
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert "\n" not in message
    assert message == f"{path}: field 'network_state_dict' lacks 'lstm.layer_norms.0.weight' of the 2016337e network"


def test_a_bare_state_dict_of_the_later_generation_is_named(tmp_path: Path) -> None:
    content = torch.load(later_generation_file(tmp_path / "v2.pt"), weights_only=True)
    path = tmp_path / "bare-v2.pt"
    torch.save(content["network_state_dict"], path)
    with pytest.raises(CheckpointError, match=r"bare-v2.pt: state_dict: looks like a checkpoint of esper-lite's later"):
        load_checkpoint(path)


def test_the_cli_refuses_a_later_generation_file_in_one_line(tmp_path: Path) -> None:
    path = later_generation_file(tmp_path / "v2.pt")
    result = subprocess.run(
        [sys.executable, "-m", "tamiyo_tui", "run", str(LESSON), "--policy", str(path), "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tamiyo-tui: error: ") and "2016337e network" in lines[0], (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_file_the_2016337e_reference_saved_opens_as_a_policy_of_that_generation() -> None:
    """The reference's own PPOAgent.save file (tools/make_2016337e_vectors.py) opens with its layout, depth,
    train steps and observation statistics, as a bundle of its own generation."""
    reference_file = Path(__file__).resolve().parent.parent / "vectors" / "esper-2016337e-checkpoint.pt"
    loaded = load_checkpoint(reference_file)
    assert isinstance(loaded.bundle, Policy2016337eBundle)
    assert loaded.bundle.slot_config.slot_ids == ("r0c0", "r0c1", "r0c2")
    assert (loaded.bundle.num_lstm_layers, loaded.bundle.hidden_dim) == (2, 32)
    assert loaded.bundle.has_normalizer
    assert loaded.metadata == {
        "source": "PPOAgent.save",
        "checkpoint_version": 2,
        "train_steps": 0,
        "generation": "esper-2016337e",
        "observation_statistics": True,
    }
