"""The devices page shows these PyTorch errors as PyTorch prints them and relies on their
wording; these tests fail if a new torch changes it."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def _mismatch_error(other: torch.device) -> str:
    model = nn.Linear(4, 2).to(other)
    with pytest.raises(RuntimeError) as info:
        model(torch.randn(8, 4))
    return str(info.value)


def test_meta_and_cpu_do_not_mix() -> None:
    message = _mismatch_error(torch.device("meta"))
    assert "is not on the expected device" in message
    assert "cpu" in message and "meta" in message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_and_cpu_do_not_mix() -> None:
    message = _mismatch_error(torch.device("cuda"))
    assert "Expected all tensors to be on the same device" in message
    assert "cpu" in message and "cuda" in message


@pytest.mark.parametrize("other", ["meta", "cuda"])
def test_a_zero_dim_cpu_tensor_mixes_with_any_device(other: str) -> None:
    if other == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    assert (torch.ones(3, device=other) * torch.tensor(2.0)).device.type == other
    with pytest.raises(RuntimeError):
        torch.ones(3, device=other) * torch.tensor([2.0])


def test_deterministic_mode_refuses_put_and_fills_empty() -> None:
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        with pytest.raises(RuntimeError, match="does not have a deterministic implementation"):
            torch.zeros(4).put_(torch.tensor([0, 0]), torch.tensor([1.0, 2.0]))
        assert torch.empty(5).isnan().all()
    finally:
        torch.use_deterministic_algorithms(before)
