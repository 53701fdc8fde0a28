"""Turn a ``--device`` string into a torch.device, with errors a user can act on; CPU threading for inspection."""

from __future__ import annotations

import torch

from tamiyo_tui.device_spec import DEVICE_CHOICES, DeviceError, parse_device_spec

__all__ = ["DEVICE_CHOICES", "DeviceError", "resolve_device", "use_one_cpu_thread"]


def resolve_device(spec: str) -> torch.device:
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` (the current CUDA device) or ``cuda:N``.

    Raises ``DeviceError`` for any other spelling, for CUDA on a machine without it, and for an index
    past the last CUDA device.
    """
    kind, index = parse_device_spec(spec)
    if kind == "auto":
        return _current_cuda_device() if torch.cuda.is_available() else torch.device("cpu")
    if kind == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DeviceError("CUDA is not available on this machine; use --device cpu or auto")
    if index is None:
        return _current_cuda_device()
    count = torch.cuda.device_count()
    if index >= count:
        raise DeviceError(f"CUDA device {index} is out of range: this machine has {count} (cuda:0 to cuda:{count - 1})")
    return torch.device("cuda", index)


def _current_cuda_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device())


def use_one_cpu_thread() -> None:
    """Run torch's CPU ops on the calling thread only.

    An inspection session decides one state at a time: its tensors are far below the size at which
    intra-op parallelism pays, while the pool's idle workers spin on the other cores after each op. In
    the TUI that spinning takes the core the event loop renders on (measured with bench/ui_bench.py:
    the engine's step took ~3× longer with the default pool on a 2-core machine).
    """
    torch.set_num_threads(1)
