"""Checkpoint files as the reference trainer writes them, for the tests of every folder."""

from __future__ import annotations

from pathlib import Path

import torch

from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle


def trainer_file(path: Path, telemetry: bool) -> Path:
    """A ``PPOAgent.save`` file (checkpoint_version 1) of a fresh network, with or without telemetry."""
    bundle = LSTMPolicyBundle(telemetry=telemetry)
    torch.save(
        {
            "checkpoint_version": 1,
            "network_state_dict": bundle.state_dict(),
            "optimizer_state_dict": {},
            "train_steps": 0,
            "config": {"lstm_hidden_dim": bundle.hidden_dim},
            "architecture": {"state_dim": bundle.feature_dim, "slot_ids": bundle.slot_config.slot_ids, "num_slots": 3},
        },
        path,
    )
    return path
