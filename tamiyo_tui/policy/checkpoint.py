"""LSTM policy checkpoints: our versioned file format, and plain state_dicts saved by the reference trainer.

Every file is read with ``torch.load(..., weights_only=True)``: only tensors and primitive containers
are unpickled, never arbitrary objects, so opening a checkpoint cannot run code.

Versioned format (a dict)::

    {"format": "tamiyo-tui-policy", "version": 1, "bundle": "lstm", "slot_ids": [...],
     "feature_dim": int, "hidden_dim": int, "lstm_layers": int, "state_dict": {...}, "metadata": {...}}

A reference file is a bare state_dict (keys ``feature_net.0.weight`` …, possibly prefixed ``_orig_mod.``
by torch.compile); its shapes give the slot count, observation size, hidden size and layer count.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.lstm_bundle import LSTM_POLICY_NAME, LSTMPolicyBundle

CHECKPOINT_FORMAT = "tamiyo-tui-policy"
CHECKPOINT_VERSION = 1
COMPILED_PREFIX = "_orig_mod."

Primitive = str | int | float | bool | None
_LSTM_LAYER_KEY = re.compile(r"^lstm\.weight_ih_l(\d+)$")


class CheckpointError(InputError):
    """A checkpoint that cannot be used; the message names the file and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class LoadedCheckpoint:
    bundle: LSTMPolicyBundle
    metadata: dict[str, Primitive]  # empty for a reference state_dict
    sha256: str


def save_checkpoint(
    path: str | Path, bundle: LSTMPolicyBundle, metadata: Mapping[str, Primitive] | None = None
) -> None:
    """Write ``bundle`` in the versioned format; ``metadata`` values must be str, int, float, bool or None."""
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str | int | float | bool)):
            raise ValueError(f"checkpoint metadata must map str to str/int/float/bool/None, got {key!r}: {value!r}")
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "bundle": LSTM_POLICY_NAME,
            "slot_ids": list(bundle.slot_config.slot_ids),
            "feature_dim": bundle.feature_dim,
            "hidden_dim": bundle.hidden_dim,
            "lstm_layers": bundle.num_lstm_layers,
            "state_dict": {key: tensor.detach().cpu() for key, tensor in bundle.state_dict().items()},
            "metadata": metadata,
        },
        path,
    )


def load_checkpoint(
    path: str | Path, device: torch.device | str = "cpu", slot_config: SlotConfig | None = None
) -> LoadedCheckpoint:
    """Read a versioned checkpoint or a reference state_dict into a new LSTM bundle on ``device``.

    ``slot_config`` names the slots of a reference state_dict (which records only their count; the
    default is one row ``r0c0 … r0c{n-1}``); for a versioned file it must match the recorded slot ids.
    Raises ``CheckpointError`` for a missing, unreadable or unknown file and for weights that do not fit.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types for a file that is not a checkpoint
        # torch's own text goes on to suggest weights_only=False, which this tool never does: keep its first line.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({first_line})") from error
    reference = _as_reference_state_dict(content)
    if isinstance(content, dict) and "format" in content:
        bundle, metadata = _from_versioned(path, content, slot_config)
    elif reference is not None:
        bundle, metadata = _from_reference(path, reference, slot_config), {}
    else:
        raise CheckpointError(
            f"{path}: neither a {CHECKPOINT_FORMAT} checkpoint nor a policy state_dict "
            f"(top-level {type(content).__name__}{_key_preview(content)})"
        )
    bundle.to(resolve_device(device) if isinstance(device, str) else device)
    return LoadedCheckpoint(bundle=bundle, metadata=metadata, sha256=sha256_file(path))


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file's bytes (recorded in decision logs to identify the weights)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _from_versioned(
    path: Path, content: dict[str, Any], slot_config: SlotConfig | None
) -> tuple[LSTMPolicyBundle, dict[str, Primitive]]:
    if content["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: unknown checkpoint format {content['format']!r} (expected {CHECKPOINT_FORMAT!r})"
        )
    if content.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: unknown checkpoint format version {content.get('version')!r} "
            f"(this tamiyo-tui reads version {CHECKPOINT_VERSION})"
        )
    if content.get("bundle") != LSTM_POLICY_NAME:
        raise CheckpointError(
            f"{path}: checkpoint is for bundle {content.get('bundle')!r}, expected {LSTM_POLICY_NAME!r}"
        )
    try:
        recorded = SlotConfig(tuple(content["slot_ids"]))
        feature_dim, hidden_dim, layers = (int(content[key]) for key in ("feature_dim", "hidden_dim", "lstm_layers"))
        state_dict, metadata = content["state_dict"], dict(content["metadata"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: malformed {CHECKPOINT_FORMAT} checkpoint ({error})") from error
    if slot_config is not None and slot_config.slot_ids != recorded.slot_ids:
        raise CheckpointError(
            f"{path}: checkpoint was saved for slots {list(recorded.slot_ids)}, not {list(slot_config.slot_ids)}"
        )
    bundle = LSTMPolicyBundle(
        feature_dim=feature_dim, hidden_dim=hidden_dim, num_lstm_layers=layers, slot_config=recorded
    )
    _load_weights(path, bundle, state_dict)
    return bundle, metadata


def _from_reference(path: Path, state_dict: dict[str, Any], slot_config: SlotConfig | None) -> LSTMPolicyBundle:
    """Build the bundle the reference trainer's shapes describe, then load its weights."""
    try:
        num_slots = state_dict["slot_head.2.weight"].shape[0]
        feature_dim = state_dict["feature_net.0.weight"].shape[1]
        hidden_dim = state_dict["lstm.weight_hh_l0"].shape[1]
    except (KeyError, IndexError) as error:
        raise CheckpointError(
            f"{path}: state_dict lacks the shapes that define the policy (missing {error})"
        ) from error
    layers = sum(1 for key in state_dict if _LSTM_LAYER_KEY.match(key))
    if slot_config is None:
        slot_config = SlotConfig.for_grid(1, num_slots)
    elif slot_config.num_slots != num_slots:
        raise CheckpointError(f"{path}: weights have {num_slots} slots, the given slot config {slot_config.num_slots}")
    bundle = LSTMPolicyBundle(
        feature_dim=feature_dim, hidden_dim=hidden_dim, num_lstm_layers=layers, slot_config=slot_config
    )
    _load_weights(path, bundle, state_dict)
    return bundle


def _load_weights(path: Path, bundle: LSTMPolicyBundle, state_dict: Mapping[str, Any]) -> None:
    """Load after listing every missing key, unexpected key and shape mismatch (not just the first)."""
    expected = bundle.state_dict()
    problems = [f"missing key: {key}" for key in expected if key not in state_dict]
    problems += [f"unexpected key: {key}" for key in state_dict if key not in expected]
    problems += [
        f"{key}: expected {tuple(expected[key].shape)}, got {_shape_of(value)}"
        for key, value in state_dict.items()
        if key in expected and _shape_of(value) != tuple(expected[key].shape)
    ]
    if problems:
        raise CheckpointError(f"{path}: weights do not fit the LSTM policy:\n  " + "\n  ".join(problems))
    bundle.load_state_dict(dict(state_dict))


def _shape_of(value: Any) -> tuple[int, ...] | str:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else f"a {type(value).__name__}, not a tensor"


def _as_reference_state_dict(content: Any) -> dict[str, Any] | None:
    """``content`` with any torch.compile prefix stripped, when it looks like the network's state_dict."""
    if not isinstance(content, dict) or not all(isinstance(key, str) for key in content):
        return None
    stripped = {key.removeprefix(COMPILED_PREFIX): value for key, value in content.items()}
    return stripped if "feature_net.0.weight" in stripped else None


def _key_preview(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    keys = list(content)[:5]
    return f" with keys {keys}" + (" …" if len(content) > 5 else "")
