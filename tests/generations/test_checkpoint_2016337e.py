"""A file written by the 2016337e reference's own ``PPOAgent.save`` (``tools/make_2016337e_vectors.py``)
opens: its network is the one the reference ran, its observation statistics normalize as the reference's
normalizer does, and bad files are refused with the file and the field named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.checkpoint import from_fields, is_2016337e_checkpoint, read_checkpoint
from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
FILE = VECTORS / "esper-2016337e-checkpoint.pt"


@pytest.fixture(scope="module")
def fields() -> dict:
    return torch.load(FILE, weights_only=True)


def test_the_reference_file_opens_with_its_layout_depth_and_statistics(fields) -> None:
    assert is_2016337e_checkpoint(fields)
    checkpoint = read_checkpoint(FILE)
    assert checkpoint.slot_config.slot_ids == ("r0c0", "r0c1", "r0c2")
    assert (checkpoint.network.lstm_layers, checkpoint.network.lstm_hidden_dim) == (2, 32)
    assert checkpoint.normalizer is not None and checkpoint.normalizer.momentum == 0.99
    assert checkpoint.metadata["obs_normalizer_contract"]["state_dim"] == 116


def test_its_network_decides_as_the_reference_did_on_normalized_observations() -> None:
    checkpoint = read_checkpoint(FILE)
    expected = torch.load(VECTORS / "esper-2016337e-checkpoint-decisions.pt", weights_only=True)
    normalized = checkpoint.normalizer.normalize(expected["observations"])
    torch.testing.assert_close(normalized, expected["normalized"], atol=1e-6, rtol=0)
    ours = checkpoint.network.get_action(
        normalized, expected["blueprint_indices"], deterministic=True, probability_floor=PROBABILITY_FLOOR
    )
    for head in HEAD_NAMES:
        assert torch.equal(ours.action[head], expected[f"action_{head}"]), head
        torch.testing.assert_close(ours.log_prob[head], expected[f"log_prob_{head}"], atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.value, expected["value"], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(checkpoint_version=1), "field 'checkpoint_version' is 1"),
        (lambda f: f.update(value_head_schema_version=1), "field 'value_head_schema_version' is 1"),
        (lambda f: f.pop("architecture"), "field 'architecture' is missing"),
        (lambda f: f["architecture"].update(state_dim=140), "field 'architecture.state_dim' is 140"),
        (lambda f: f["architecture"].update(slot_ids=["r0c0", "r0c0", "r0c1"]), "'architecture.slot_ids'"),
        (lambda f: f["network_state_dict"].pop("q_head.0.weight"), "does not fit the 2016337e network"),
        (lambda f: f["metadata"].update(obs_normalizer_mean=[0.0] * 3), "'metadata.obs_normalizer_mean'"),
    ],
)
def test_a_bad_field_is_named(fields, change, message: str) -> None:
    broken = {
        **fields,
        "architecture": dict(fields["architecture"]),
        "network_state_dict": dict(fields["network_state_dict"]),
        "metadata": dict(fields["metadata"]),
    }
    change(broken)
    with pytest.raises(InputError, match=re.escape(f"{FILE}: ") + ".*" + re.escape(message)):
        from_fields(FILE, broken)


def test_a_file_that_is_no_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(InputError, match=r"junk\.pt: not a checkpoint torch can read safely"):
        read_checkpoint(junk)
    with pytest.raises(InputError, match=r"missing\.pt: cannot read the checkpoint"):
        read_checkpoint(tmp_path / "missing.pt")
