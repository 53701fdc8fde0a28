"""LSTM policy checkpoints: our versioned file, the reference trainer's own file, and bare state_dicts.

Every file is read with ``torch.load(..., weights_only=True)``: only tensors and primitive containers
are unpickled, never arbitrary objects, so opening a checkpoint cannot run code. Three shapes are read:

- ours (``save_checkpoint``)::

    {"format": "tamiyo-tui-policy", "version": 1, "bundle": "lstm", "slot_ids": [...],
     "feature_dim": int, "hidden_dim": int, "lstm_layers": int, "state_dict": {...}, "metadata": {...}}

- the reference trainer's (``PPOAgent.save`` at 60205274)::

    {"checkpoint_version": 1, "network_state_dict": {...}, "optimizer_state_dict": {...},
     "train_steps": int, "config": {"lstm_hidden_dim": int, ...},
     "architecture": {"state_dim": int, "slot_ids": [...], "num_slots": int}, "metadata"?: {...}}

- a bare state_dict (keys ``feature_net.0.weight`` …, possibly prefixed ``_orig_mod.`` by torch.compile);
  its shapes give the slot count, observation size, hidden size and layer count.

The observation size tells whether the network reads the telemetry blocks (23 + 39 per slot without,
23 + 65 per slot with). A ``PPOAgent.save`` file of the later policy generation (esper-lite's Policy V2 at
2016337e, checkpoint_version 2) opens as a bundle of that generation (``policy/bundle_2016337e.py``); its
bare state_dict is recognised and named, never loaded into this network.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.checkpoint import from_fields, is_2016337e_checkpoint
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.features import uses_telemetry
from tamiyo_tui.policy.generation import ESPER_2016337E, ESPER_60205274, recognised_only
from tamiyo_tui.policy.lstm_bundle import LSTM_POLICY_NAME, LSTMPolicyBundle

CHECKPOINT_FORMAT = "tamiyo-tui-policy"
CHECKPOINT_VERSION = 1
COMPILED_PREFIX = "_orig_mod."
_ZIP_MAGIC = b"PK\x03\x04"
TRAINER_CHECKPOINT_VERSION = ESPER_60205274.id.trainer_checkpoint_version

Primitive = str | int | float | bool | None
_LSTM_LAYER_KEY = re.compile(r"^lstm\.weight_ih_l(\d+)$")


class CheckpointError(InputError):
    """A checkpoint that cannot be used; the message names the file and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class LoadedCheckpoint:
    bundle: LSTMPolicyBundle | Policy2016337eBundle  # the generation the file was trained in
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
    data = path.read_bytes()  # read once: the same bytes are loaded and hashed
    try:
        content = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types for a file that is not a checkpoint
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({_why_unreadable(data, error)})") from error
    reference = _as_reference_state_dict(content)
    if isinstance(content, dict) and "format" in content:
        bundle, metadata = _from_versioned(path, content, slot_config)
    elif isinstance(content, dict) and ("network_state_dict" in content or "checkpoint_version" in content):
        bundle, metadata = _from_trainer_file(path, content, slot_config)
    elif reference is not None:
        _refuse_later_generation(path, reference, "state_dict")
        bundle, metadata = _from_reference(path, reference, slot_config), {}
    else:
        raise CheckpointError(
            f"{path}: not a policy checkpoint: neither tamiyo-tui's ({CHECKPOINT_FORMAT}), the reference trainer's "
            f"(PPOAgent.save) nor a policy state_dict (top-level {type(content).__name__}{_key_preview(content)})"
        )
    bundle.to(resolve_device(device) if isinstance(device, str) else device)
    return LoadedCheckpoint(bundle=bundle, metadata=metadata, sha256=hashlib.sha256(data).hexdigest())


def _why_unreadable(data: bytes, error: Exception) -> str:
    """torch.load's reason in a few words. Its own text advises ``weights_only=False``, which would let the
    file run code; this tool never does that, so that advice is never repeated."""
    text = str(error)
    refused = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if refused:
        return f"it holds a Python object, {refused.group(1)}, and tamiyo-tui reads only tensors and plain containers"
    if not data.startswith(_ZIP_MAGIC):  # torch.save writes a zip archive
        return "its bytes are not a file torch.save writes"
    first_sentence = text.strip().splitlines()[0].split(". ")[0] if text.strip() else type(error).__name__
    return f"truncated or corrupted: {first_sentence}"


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


def _from_trainer_file(
    path: Path, content: dict[str, Any], slot_config: SlotConfig | None
) -> tuple[LSTMPolicyBundle | Policy2016337eBundle, dict[str, Primitive]]:
    """A ``PPOAgent.save`` file: the network's weights, with the slot layout and sizes the file records; a
    file of the 2016337e generation opens as a bundle of that generation."""
    version = content.get("checkpoint_version")
    network = _as_reference_state_dict(content.get("network_state_dict"))
    if is_2016337e_checkpoint(content):
        return _opened_2016337e(path, content, slot_config)
    if version != TRAINER_CHECKPOINT_VERSION:
        raise CheckpointError(
            _later_generation_message(path, network or {}, f"checkpoint_version {version!r}", content)
        )
    if network is None:
        raise CheckpointError(f"{path}: reference trainer checkpoint without a network_state_dict of the policy")
    _refuse_later_generation(path, network, "checkpoint_version 1")
    architecture = content.get("architecture")
    architecture = architecture if isinstance(architecture, dict) else {}
    recorded = _recorded_slots(path, architecture.get("slot_ids"))
    if recorded is not None and slot_config is not None and slot_config.slot_ids != recorded.slot_ids:
        raise CheckpointError(
            f"{path}: checkpoint was saved for slots {list(recorded.slot_ids)}, not {list(slot_config.slot_ids)}"
        )
    bundle = _from_reference(path, network, recorded or slot_config)
    config = content.get("config")
    config = config if isinstance(config, dict) else {}
    for recorded_size, name, actual in (
        (architecture.get("state_dim"), "architecture.state_dim", bundle.feature_dim),
        (config.get("lstm_hidden_dim"), "config.lstm_hidden_dim", bundle.hidden_dim),
    ):
        if recorded_size is not None and recorded_size != actual:
            raise CheckpointError(f"{path}: {name} is {recorded_size!r}, but the network's weights have {actual}")
    train_steps = content.get("train_steps")
    metadata: dict[str, Primitive] = {
        "source": "PPOAgent.save",
        "checkpoint_version": version,
        "train_steps": train_steps if isinstance(train_steps, int) else None,
    }
    return bundle, metadata


def _recorded_slots(path: Path, slot_ids: Any) -> SlotConfig | None:
    if slot_ids is None:
        return None
    try:
        return SlotConfig(tuple(slot_ids))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: architecture.slot_ids {slot_ids!r} is not a slot layout ({error})") from None


def _refuse_later_generation(path: Path, state_dict: Mapping[str, Any], what: str) -> None:
    if recognised_only(state_dict) is not None:
        raise CheckpointError(_later_generation_message(path, state_dict, what, None))


def _opened_2016337e(
    path: Path, content: Mapping[str, Any], slot_config: SlotConfig | None
) -> tuple[Policy2016337eBundle, dict[str, Primitive]]:
    """A 2016337e ``PPOAgent.save`` file, read by that generation's own reader (its refusals name the field)."""
    try:
        opened = from_fields(path, content)
    except InputError as error:
        network = _as_reference_state_dict(content.get("network_state_dict")) or {}
        if ESPER_2016337E.has_markers(network):  # that generation's network, with a field it cannot use
            raise CheckpointError(str(error)) from None
        what = f"checkpoint_version {content.get('checkpoint_version')!r}"
        raise CheckpointError(_later_generation_message(path, network, what, content)) from None
    if slot_config is not None and slot_config.slot_ids != opened.slot_config.slot_ids:
        raise CheckpointError(
            f"{path}: checkpoint was saved for slots {list(opened.slot_config.slot_ids)}, "
            f"not {list(slot_config.slot_ids)}"
        )
    metadata: dict[str, Primitive] = {
        "source": "PPOAgent.save",
        "checkpoint_version": content.get("checkpoint_version"),
        "train_steps": opened.train_steps,
        "generation": ESPER_2016337E.name,
        "observation_statistics": opened.normalizer is not None,
    }
    return Policy2016337eBundle.from_checkpoint(opened), metadata


def _later_generation_message(
    path: Path, state_dict: Mapping[str, Any], what: str, content: Mapping[str, Any] | None
) -> str:
    """One line: which generation the file looks like, and a few of the keys and shapes that differ."""
    extras = ""
    if content is not None and "value_head_schema_version" in content:
        extras = f", value_head_schema_version {content['value_head_schema_version']!r}"
    version = None if content is None else content.get("checkpoint_version")
    generation = recognised_only(state_dict, version)
    if generation is None and extras:  # only the later generation records a value-head schema
        generation = ESPER_2016337E
    looks_like = "another policy generation" if generation is None else generation.description
    differences = _differences(state_dict, _expected_keys(state_dict)) if state_dict else ""
    return (
        f"{path}: {what}{extras}: looks like a checkpoint of {looks_like}; this tamiyo-tui reads the "
        f"60205274 generation (checkpoint_version {TRAINER_CHECKPOINT_VERSION}){differences}"
    )


def _expected_keys(state_dict: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """This generation's state_dict for the slot count the weights give (three when they give none)."""
    try:
        num_slots = int(state_dict["slot_head.2.weight"].shape[0])
    except (KeyError, AttributeError, IndexError):
        num_slots = SlotConfig.default().num_slots
    return LSTMPolicyBundle(slot_config=SlotConfig.for_grid(1, num_slots)).state_dict()


def _differences(state_dict: Mapping[str, Any], expected: Mapping[str, torch.Tensor], shown: int = 3) -> str:
    """E.g. ``; 78 keys, not 46; unexpected q_head.0.weight, …; missing value_head.0.weight, …; shapes …``
    (empty when the keys and shapes fit)."""
    unexpected = [key for key in state_dict if key not in expected]
    missing = [key for key in expected if key not in state_dict]
    reshaped = [
        f"{key} {_shape_of(state_dict[key])} vs {tuple(expected[key].shape)}"
        for key in expected
        if key in state_dict and _shape_of(state_dict[key]) != tuple(expected[key].shape)
    ]
    parts = [f"{len(state_dict)} keys, not {len(expected)}"] if len(state_dict) != len(expected) else []
    for label, items in (("unexpected", unexpected), ("missing", missing), ("shapes", reshaped)):
        if items:
            parts.append(f"{label} " + ", ".join(items[:shown]) + (", …" if len(items) > shown else ""))
    return "; " + "; ".join(parts) if parts else ""


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
    try:
        uses_telemetry(feature_dim, slot_config)
    except ValueError as error:
        raise CheckpointError(f"{path}: the network's input: {error}") from None
    bundle = LSTMPolicyBundle(
        feature_dim=feature_dim, hidden_dim=hidden_dim, num_lstm_layers=layers, slot_config=slot_config
    )
    _load_weights(path, bundle, state_dict)
    return bundle


def _load_weights(path: Path, bundle: LSTMPolicyBundle, state_dict: Mapping[str, Any]) -> None:
    """Load, or name the keys and shapes that do not fit (several of each kind, not just the first)."""
    differences = _differences(state_dict, bundle.state_dict(), shown=6)
    if differences:
        raise CheckpointError(f"{path}: weights do not fit the LSTM policy{differences}")
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
