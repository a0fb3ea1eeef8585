"""The PyTorch errors that the Part 5 pages show, and the parts of their text the pages rely on.

The pages print these messages as PyTorch raises them; a page's prose (and a
check on `checkpoints`) refers to what they say. If an upgrade of PyTorch
changes the wording, these tests fail and the pages need a look.
"""

from __future__ import annotations

import io
import pickle

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader


class _Greeting:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("hello",))


def test_weights_only_refuses_a_pickled_callable() -> None:
    # checkpoints: "The message names the function the file asked for, and the two ways out"
    buffer = io.BytesIO()
    torch.save({"weight": torch.ones(2), "note": _Greeting()}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError) as info:
        torch.load(buffer, weights_only=True)
    message = str(info.value)
    assert "Weights only load failed" in message
    assert "Unsupported global: GLOBAL print" in message
    assert "weights_only` set to `False`" in message
    assert "add_safe_globals" in message


def test_weights_only_refuses_a_whole_model_and_names_its_class() -> None:
    # checkpoints prints the line that contains "Unsupported global"
    buffer = io.BytesIO()
    torch.save(nn.Sequential(nn.Linear(2, 1)), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError) as info:
        torch.load(buffer)
    lines = [line for line in str(info.value).splitlines() if "Unsupported global" in line]
    assert len(lines) == 1 and "torch.nn.modules.container.Sequential" in lines[0]


def test_load_state_dict_messages() -> None:
    # checkpoints: missing / unexpected keys, and a size mismatch even with strict=False
    saved = nn.Sequential(nn.Linear(4, 3)).state_dict()
    renamed = nn.ModuleDict({"head": nn.Linear(4, 3)})
    with pytest.raises(RuntimeError) as info:
        renamed.load_state_dict(saved)
    assert 'Missing key(s) in state_dict: "head.weight", "head.bias"' in str(info.value)
    assert 'Unexpected key(s) in state_dict: "0.weight", "0.bias"' in str(info.value)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        nn.Sequential(nn.Linear(4, 5)).load_state_dict(saved, strict=False)


def test_plain_list_module_errors() -> None:
    # modules: an optimizer over no parameters, and a float64 input to float32 layers
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torch.optim.SGD([], lr=0.1)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        nn.Linear(3, 2)(torch.ones(1, 3, dtype=torch.float64))


def test_default_collate_refuses_samples_of_different_lengths() -> None:
    # datasets-and-loaders
    samples = [torch.zeros(2, 3), torch.zeros(4, 3)]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        next(iter(DataLoader(samples, batch_size=2)))
