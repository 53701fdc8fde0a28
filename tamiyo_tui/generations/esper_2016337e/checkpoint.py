"""The checkpoint file of the 2016337e generation: what ``PPOAgent.save`` writes at that commit.

    {"checkpoint_version": 2, "value_head_schema_version": 2, "network_state_dict": {...},
     "optimizer_state_dict": {...}, "value_normalizer_state_dict": {...}, "train_steps": int,
     "aux_training_step": int, "config": {"lstm_hidden_dim": int, ...},
     "architecture": {"state_dim": int, "slot_ids": [...], "num_slots": int},
     "metadata"?: {"obs_normalizer_contract": {...}, "obs_normalizer_mean": [...], "obs_normalizer_var": [...],
                   "obs_normalizer_count": float, "obs_normalizer_momentum": float | None, ...}}

The network's widths and depth are read off its state_dict (the file does not state them); the observation
normalizer, when the trainer saved one, is applied as the trainer applies it: (x − mean) / √(var + 1e-4),
clipped to ±10. Read with ``torch.load(weights_only=True)``; every refusal names the file and the field.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.constants import (
    BASE_FEATURES,
    CHECKPOINT_VERSION,
    SLOT_FEATURES,
    VALUE_HEAD_SCHEMA_VERSION,
    state_dim,
)
from tamiyo_tui.generations.esper_2016337e.network import FactoredRecurrentActorCritic2016337e

NORMALIZER_EPSILON = 1e-4  # the trainer's RunningMeanStd default; the file does not carry it
NORMALIZER_CLIP = 10.0
_LAYER_KEY = re.compile(r"^lstm\.layers\.(\d+)\.weight_ih_l0$")


@dataclass(frozen=True, slots=True)
class ObservationNormalizer:
    mean: torch.Tensor  # [state_dim]
    var: torch.Tensor
    count: float
    momentum: float | None

    def normalize(self, features: torch.Tensor) -> torch.Tensor:
        mean, var = self.mean.to(features), self.var.to(features)
        return torch.clamp((features - mean) / torch.sqrt(var + NORMALIZER_EPSILON), -NORMALIZER_CLIP, NORMALIZER_CLIP)


@dataclass(frozen=True, slots=True)
class Checkpoint2016337e:
    path: Path
    network: FactoredRecurrentActorCritic2016337e
    slot_config: SlotConfig
    train_steps: int
    normalizer: ObservationNormalizer | None  # None: the trainer saved no observation statistics
    metadata: Mapping[str, Any]


def is_2016337e_checkpoint(checkpoint: Mapping[str, Any]) -> bool:
    return checkpoint.get("checkpoint_version") == CHECKPOINT_VERSION and "network_state_dict" in checkpoint


def read_checkpoint(path: Path, data: bytes | None = None) -> Checkpoint2016337e:
    """The network and observation statistics of a 2016337e ``PPOAgent.save`` file (``data``: its bytes)."""
    try:
        raw = data if data is not None else path.read_bytes()
        loaded = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except OSError as error:
        raise InputError(f"{path}: cannot read the checkpoint ({error.strerror or error})") from None
    except Exception as error:  # torch.load's refusals have no common type
        raise InputError(f"{path}: not a checkpoint torch can read safely ({type(error).__name__}: {error})") from None
    if not isinstance(loaded, Mapping):
        raise InputError(f"{path}: a checkpoint is a mapping of fields, found {type(loaded).__name__}")
    return from_fields(path, loaded)


def from_fields(path: Path, checkpoint: Mapping[str, Any]) -> Checkpoint2016337e:
    def field(name: str, kind: type | tuple[type, ...], where: Mapping[str, Any] = checkpoint, prefix: str = "") -> Any:
        if name not in where:
            raise InputError(f"{path}: field '{prefix}{name}' is missing (a 2016337e PPOAgent.save file has it)")
        value = where[name]
        if not isinstance(value, kind):
            raise InputError(
                f"{path}: field '{prefix}{name}' should be {_kind_name(kind)}, found {type(value).__name__}"
            )
        return value

    for name, expected in (
        ("checkpoint_version", CHECKPOINT_VERSION),
        ("value_head_schema_version", VALUE_HEAD_SCHEMA_VERSION),
    ):
        if field(name, int) != expected:
            raise InputError(f"{path}: field '{name}' is {checkpoint[name]}; the 2016337e generation writes {expected}")
    architecture = field("architecture", Mapping)
    slot_ids = tuple(field("slot_ids", (list, tuple), architecture, "architecture."))
    try:
        slot_config = SlotConfig(slot_ids)
    except ValueError as error:
        raise InputError(f"{path}: field 'architecture.slot_ids' {list(slot_ids)}: {error}") from None
    declared = field("state_dim", int, architecture, "architecture.")
    if declared != state_dim(slot_config.num_slots):
        raise InputError(
            f"{path}: field 'architecture.state_dim' is {declared}, but Obs V3 has {BASE_FEATURES} + "
            f"{SLOT_FEATURES} × {slot_config.num_slots} = {state_dim(slot_config.num_slots)} features for its slots"
        )
    state_dict = field("network_state_dict", Mapping)
    network = _network(path, state_dict, declared, slot_config)
    metadata = checkpoint.get("metadata") or {}
    return Checkpoint2016337e(
        path=path,
        network=network,
        slot_config=slot_config,
        train_steps=field("train_steps", int),
        normalizer=_normalizer(path, metadata, declared),
        metadata=metadata,
    )


def _network(
    path: Path, state_dict: Mapping[str, Any], declared_dim: int, slot_config: SlotConfig
) -> FactoredRecurrentActorCritic2016337e:
    try:
        feature_dim = int(state_dict["feature_net.0.weight"].shape[0])
        hidden_dim = int(state_dict["lstm.layer_norms.0.weight"].shape[0])
    except (KeyError, AttributeError, IndexError) as error:
        raise InputError(f"{path}: field 'network_state_dict' lacks {error} of the 2016337e network") from None
    layers = 1 + max((int(match[1]) for key in state_dict if (match := _LAYER_KEY.match(key))), default=0)
    network = FactoredRecurrentActorCritic2016337e(declared_dim, slot_config, feature_dim, hidden_dim, layers)
    try:
        network.load_state_dict(dict(state_dict))
    except RuntimeError as error:
        first = str(error).split("\n\t")[1:2] or [str(error)]
        raise InputError(
            f"{path}: field 'network_state_dict' does not fit the 2016337e network: {first[0].strip()}"
        ) from None
    return network.train(False)  # inference mode for dropout (what Module.eval does)


def _normalizer(path: Path, metadata: Mapping[str, Any], declared_dim: int) -> ObservationNormalizer | None:
    if "obs_normalizer_mean" not in metadata:
        return None
    contract = metadata.get("obs_normalizer_contract") or {}
    if contract.get("state_dim", declared_dim) != declared_dim:
        raise InputError(
            f"{path}: field 'metadata.obs_normalizer_contract.state_dim' is {contract['state_dim']}, "
            f"the network reads {declared_dim} features"
        )
    mean = torch.tensor(metadata["obs_normalizer_mean"], dtype=torch.float32)
    var = torch.tensor(metadata.get("obs_normalizer_var", []), dtype=torch.float32)
    if mean.shape != (declared_dim,) or var.shape != (declared_dim,):
        raise InputError(
            f"{path}: fields 'metadata.obs_normalizer_mean'/'_var' hold {mean.numel()}/{var.numel()} values, "
            f"the network reads {declared_dim} features"
        )
    momentum = metadata.get("obs_normalizer_momentum")
    return ObservationNormalizer(mean, var, float(metadata.get("obs_normalizer_count", 0.0)), momentum)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"Mapping": "a mapping", "int": "an integer", "list": "a list", "tuple": "a list"}.get(k.__name__, k.__name__)
        for k in kinds
    )
