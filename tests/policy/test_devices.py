"""resolve_device: every accepted spelling, and an actionable error for everything else."""

from __future__ import annotations

import pytest
import torch

from tamiyo_tui.policy.devices import resolve_device


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("spec", ["cpu", "CPU", " cpu "])
def test_cpu(spec: str) -> None:
    assert resolve_device(spec) == torch.device("cpu")


def test_auto_without_cuda_is_cpu(no_gpu: None) -> None:
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_with_cuda_is_the_current_cuda_device(two_gpus: None) -> None:
    assert resolve_device("auto") == torch.device("cuda", 0)


def test_cuda_and_cuda_index(two_gpus: None) -> None:
    assert resolve_device("cuda") == torch.device("cuda", 0)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)


def test_cuda_index_out_of_range(two_gpus: None) -> None:
    with pytest.raises(ValueError) as error:
        resolve_device("cuda:2")
    assert str(error.value) == "CUDA device 2 is out of range: this machine has 2 (cuda:0 to cuda:1)"


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "CUDA:3"])
def test_cuda_requested_without_cuda(no_gpu: None, spec: str) -> None:
    with pytest.raises(ValueError) as error:
        resolve_device(spec)
    assert str(error.value) == "CUDA is not available on this machine; use --device cpu or auto"


@pytest.mark.parametrize("spec", ["gpu", "cuda:", "cuda:x", "cuda:-1", "mps", ""])
def test_unknown_spec(spec: str) -> None:
    with pytest.raises(ValueError) as error:
        resolve_device(spec)
    assert str(error.value) == f"Unknown device '{spec}': expected one of auto, cpu, cuda, cuda:N"


def test_this_machine() -> None:
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
        assert resolve_device("auto").type == "cuda"
    else:
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
