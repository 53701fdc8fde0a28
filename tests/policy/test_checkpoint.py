"""Checkpoints: our versioned format, reference-trainer state_dicts, and errors that name the problem."""

from __future__ import annotations

import ast
import copy
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import torch

import tamiyo_tui
from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, sha256_file
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.types import PolicyBatch


@dataclass
class TrainerState:
    """Stands in for an arbitrary pickled object, which a weights-only load must refuse."""

    step: int


@cache
def _prototype(slots: int, hidden: int) -> LSTMPolicyBundle:
    bundle = LSTMPolicyBundle(slot_config=SlotConfig.for_grid(1, slots), hidden_dim=hidden)
    with torch.no_grad():
        for param in bundle.network.parameters():
            param.copy_(torch.randn_like(param) * 0.1)
    return bundle


def trained_bundle(slots: int = 3, hidden: int = 128) -> LSTMPolicyBundle:
    return copy.deepcopy(_prototype(slots, hidden))


def assert_same_weights(loaded: LSTMPolicyBundle, original: LSTMPolicyBundle) -> None:
    expected = original.state_dict()
    actual = loaded.state_dict()
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


def decide(bundle: LSTMPolicyBundle) -> dict[str, list[float]]:
    torch.manual_seed(0)
    features = torch.randn(1, bundle.feature_dim)
    masks = {name: torch.ones(1, size, dtype=torch.bool) for name, size in bundle.network.head_sizes.items()}
    result = bundle.get_action(PolicyBatch((), features, masks), deterministic=True)
    return {name: result.heads.raw_logits[name].tolist() for name in HEAD_NAMES}


def reference_state_dict(bundle: LSTMPolicyBundle, prefix: str = "_orig_mod.") -> dict[str, torch.Tensor]:
    """What the reference trainer saves: the (compiled) network's state_dict, nothing else."""
    return {prefix + key: value for key, value in bundle.network.state_dict().items()}


# --- versioned format ----------------------------------------------------------------------------------


def test_versioned_round_trip_restores_weights_slots_and_metadata(tmp_path: Path) -> None:
    original = LSTMPolicyBundle(slot_config=SlotConfig.for_grid(2, 2), hidden_dim=32, num_lstm_layers=2)
    path = tmp_path / "policy.pt"
    metadata = {"description": "behaviour-cloned", "epochs": 12, "lr": 3e-4, "best": True, "note": None}
    save_checkpoint(path, original, metadata)

    loaded = load_checkpoint(path)
    assert loaded.metadata == metadata
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.bundle.slot_config == SlotConfig.for_grid(2, 2)
    assert (loaded.bundle.feature_dim, loaded.bundle.hidden_dim, loaded.bundle.num_lstm_layers) == (179, 32, 2)
    assert_same_weights(loaded.bundle, original)
    assert decide(loaded.bundle) == decide(original)


def test_versioned_file_holds_only_primitives_and_tensors(tmp_path: Path) -> None:
    path = tmp_path / "policy.pt"
    save_checkpoint(path, trained_bundle(), {"seed": 3})
    content = torch.load(path, weights_only=True)
    assert {key: content[key] for key in ("format", "version", "bundle", "slot_ids")} == {
        "format": "tamiyo-tui-policy",
        "version": 1,
        "bundle": "lstm",
        "slot_ids": ["r0c0", "r0c1", "r0c2"],
    }
    assert (content["feature_dim"], content["hidden_dim"], content["lstm_layers"]) == (140, 128, 1)
    assert content["metadata"] == {"seed": 3}
    assert "feature_net.0.weight" in content["state_dict"]


def test_metadata_must_be_primitive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="checkpoint metadata must map str to"):
        save_checkpoint(tmp_path / "policy.pt", trained_bundle(), {"history": [1, 2]})
    assert not (tmp_path / "policy.pt").exists()


def test_unknown_format_version_is_named(tmp_path: Path) -> None:
    path = tmp_path / "future.pt"
    save_checkpoint(path, trained_bundle())
    content = torch.load(path, weights_only=True)
    torch.save(content | {"version": 2}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == f"{path}: unknown checkpoint format version 2 (this tamiyo-tui reads version 1)"


def test_versioned_slot_config_must_match_when_given(tmp_path: Path) -> None:
    path = tmp_path / "policy.pt"
    save_checkpoint(path, trained_bundle())
    with pytest.raises(CheckpointError, match=r"saved for slots \['r0c0', 'r0c1', 'r0c2'\]"):
        load_checkpoint(path, slot_config=SlotConfig(("r0c0", "r1c0", "r2c0")))


# --- reference state_dicts -----------------------------------------------------------------------------


def test_reference_trainer_file_with_compile_prefix_loads_unchanged(tmp_path: Path) -> None:
    original = trained_bundle()
    path = tmp_path / "reference.pt"
    torch.save(reference_state_dict(original), path)
    loaded = load_checkpoint(path)
    assert loaded.metadata == {}
    assert loaded.sha256 == sha256_file(path)
    assert loaded.bundle.slot_config == SlotConfig.default()
    assert_same_weights(loaded.bundle, original)
    assert decide(loaded.bundle) == decide(original)


def test_reference_shapes_define_slots_observation_and_hidden_size(tmp_path: Path) -> None:
    original = trained_bundle(slots=4, hidden=64)
    path = tmp_path / "reference.pt"
    torch.save(reference_state_dict(original, prefix=""), path)
    bundle = load_checkpoint(path).bundle
    assert bundle.slot_config == SlotConfig(("r0c0", "r0c1", "r0c2", "r0c3"))
    assert (bundle.feature_dim, bundle.hidden_dim, bundle.num_lstm_layers) == (23 + 39 * 4, 64, 1)
    assert_same_weights(bundle, original)

    grid = load_checkpoint(path, slot_config=SlotConfig.for_grid(2, 2)).bundle
    assert grid.slot_config == SlotConfig.for_grid(2, 2)
    with pytest.raises(CheckpointError, match="weights have 4 slots, the given slot config 3"):
        load_checkpoint(path, slot_config=SlotConfig.default())


def test_state_dict_mismatch_names_the_keys_and_shapes_in_one_line(tmp_path: Path) -> None:
    weights = reference_state_dict(trained_bundle(), prefix="")
    del weights["lstm_ln.bias"]
    del weights["tempo_head.0.bias"]
    weights["extra_head.0.weight"] = torch.zeros(2, 2)
    weights["op_head.2.weight"] = torch.zeros(7, 64)
    weights["op_head.2.bias"] = torch.zeros(7)
    path = tmp_path / "mismatch.pt"
    torch.save(weights, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == (
        f"{path}: weights do not fit the LSTM policy; 45 keys, not 46; unexpected extra_head.0.weight; "
        "missing lstm_ln.bias, tempo_head.0.bias; "
        "shapes op_head.2.weight (7, 64) vs (6, 64), op_head.2.bias (7,) vs (6,)"
    )


# --- unusable files ------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.pt"
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == f"{path}: checkpoint file not found"
    assert isinstance(error.value, ValueError)


def test_file_that_is_not_a_torch_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.pt"
    path.write_text("bundle: lstm\n")
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == f"{path}: not a readable torch checkpoint (its bytes are not a file torch.save writes)"


def test_a_truncated_checkpoint_is_named_corrupted(tmp_path: Path) -> None:
    path = tmp_path / "half.pt"
    save_checkpoint(path, trained_bundle())
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value).startswith(f"{path}: not a readable torch checkpoint (truncated or corrupted: ")
    assert "\n" not in str(error.value)


def test_arbitrary_pickled_objects_are_refused_without_advising_an_unsafe_load(tmp_path: Path) -> None:
    path = tmp_path / "trainer.pt"
    torch.save({"trainer": TrainerState(step=5)}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == (
        f"{path}: not a readable torch checkpoint (it holds a Python object, {__name__}.TrainerState, "
        "and tamiyo-tui reads only tensors and plain containers)"
    )
    assert "weights_only" not in str(error.value)


def test_torch_file_of_another_kind(tmp_path: Path) -> None:
    path = tmp_path / "optimizer.pt"
    torch.save({"model": {}, "optimizer": {}}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value) == (
        f"{path}: not a policy checkpoint: neither tamiyo-tui's (tamiyo-tui-policy), the reference trainer's "
        "(PPOAgent.save) nor a policy state_dict (top-level dict with keys ['model', 'optimizer'])"
    )


def is_torch_load(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "load"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
    )


def test_every_torch_load_in_the_package_is_weights_only() -> None:
    package = Path(tamiyo_tui.__file__).parent
    calls = []
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if is_torch_load(node):
                weights_only = {kw.arg: kw.value for kw in node.keywords}.get("weights_only")
                calls.append((source.name, isinstance(weights_only, ast.Constant) and weights_only.value is True))
    assert calls, "expected at least the checkpoint loader"
    assert all(ok for _, ok in calls), calls
