"""dlref.data's Dataset and collate helpers: DigitsDataset, ink_points, pad_collate."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlref.data import DigitsDataset, digits, ink_points, pad_collate


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return digits(seed=0, standardize=True)


def test_digits_dataset_items_match_tensor_dataset(data) -> None:  # type: ignore[no-untyped-def]
    ours = DigitsDataset(data, "val")
    theirs = TensorDataset(*data.val)
    assert len(ours) == len(theirs) == data.y_val.shape[0]
    for (xa, ya), (xb, yb) in zip(DataLoader(ours, 100), DataLoader(theirs, 100), strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_digits_dataset_applies_the_transform_on_access(data) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def flip(image: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return image.flip(-1)

    ds = DigitsDataset(data, "train", transform=flip)
    assert not calls
    image, label = ds[3]
    assert torch.equal(image, data.x_train[3].flip(-1)) and int(label) == int(data.y_train[3])
    assert len(calls) == 1
    with pytest.raises(ValueError, match="split"):
        DigitsDataset(data, "test")


def test_ink_points_lists_the_inked_pixels_in_reading_order() -> None:
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(5, 8, 8, generator=gen)
    sequences = ink_points(images.unsqueeze(1), threshold=0.6)
    for image, points in zip(images, sequences, strict=True):
        expected = [
            (r / 7, c / 7, float(image[r, c]))
            for r in range(8)
            for c in range(8)
            if image[r, c] >= 0.6
        ]
        assert points.shape == (len(expected), 3) and points.dtype == torch.float32
        assert torch.allclose(points, torch.tensor(expected))
    assert ink_points(torch.zeros(1, 8, 8))[0].shape == (0, 3)
    with pytest.raises(ValueError):
        ink_points(torch.zeros(8, 8))


def test_pad_collate_agrees_with_pad_sequence() -> None:
    gen = torch.Generator().manual_seed(1)
    sequences = [torch.randn(n, 3, generator=gen) for n in (4, 1, 6, 6, 2)]
    padded, lengths, labels = pad_collate(
        [(s, i) for i, s in enumerate(sequences)], padding_value=-1.0
    )
    reference = nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=-1.0)
    assert torch.equal(padded, reference)
    assert lengths.tolist() == [4, 1, 6, 6, 2] and labels.tolist() == [0, 1, 2, 3, 4]
    assert lengths.dtype == labels.dtype == torch.int64


def test_pad_collate_rejects_mismatched_features_and_empty_batches() -> None:
    with pytest.raises(ValueError, match="feature shape"):
        pad_collate([(torch.zeros(2, 3), 0), (torch.zeros(2, 4), 1)])
    with pytest.raises(ValueError):
        pad_collate([])
