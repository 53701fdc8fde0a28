"""Turn a ``--device`` string into a torch.device, with errors a user can act on."""

from __future__ import annotations

import re

import torch

from tamiyo_tui.errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")
_CUDA_INDEX = re.compile(r"^cuda:(\d+)$")


class DeviceError(InputError):
    """A ``--device`` value this machine cannot honour (still a ValueError, as it always was)."""


def resolve_device(spec: str) -> torch.device:
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` (the current CUDA device) or ``cuda:N``.

    Raises ``DeviceError`` for any other spelling, for CUDA on a machine without it, and for an index
    past the last CUDA device.
    """
    normalized = spec.strip().lower()
    if normalized == "auto":
        return _current_cuda_device() if torch.cuda.is_available() else torch.device("cpu")
    if normalized == "cpu":
        return torch.device("cpu")
    index_match = _CUDA_INDEX.match(normalized)
    if normalized != "cuda" and index_match is None:
        raise DeviceError(f"Unknown device '{spec}': expected one of {', '.join(DEVICE_CHOICES)}")
    if not torch.cuda.is_available():
        raise DeviceError("CUDA is not available on this machine; use --device cpu or auto")
    if index_match is None:
        return _current_cuda_device()
    index, count = int(index_match.group(1)), torch.cuda.device_count()
    if index >= count:
        raise DeviceError(f"CUDA device {index} is out of range: this machine has {count} (cuda:0 to cuda:{count - 1})")
    return torch.device("cuda", index)


def _current_cuda_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device())
