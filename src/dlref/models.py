"""Small model builders that several pages train: an MLP, a digits CNN, a LeNet-style CNN.

Every builder takes ``seed`` and initialises its parameters from it alone (the
global random state is forked and restored), so the same call gives the same
weights whatever a page has drawn before, and two builders called with the
same seed and the same layer shapes start from identical weights. The layers
and their initialisation are PyTorch's defaults; the builders only fix the
architecture, so a page can show ``print(model)`` and get a plain
``nn.Sequential``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import torch
from torch import nn

__all__ = ["digits_cnn", "lenet", "mlp"]


def _seeded(seed: int, build: Callable[[], nn.Sequential]) -> nn.Sequential:
    """Run ``build`` with the CPU random state set to ``seed``; restore the state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def mlp(
    sizes: Sequence[int],
    activation: Callable[[], nn.Module] | None = nn.ReLU,
    *,
    seed: int = 0,
) -> nn.Sequential:
    """Fully connected layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    With ``L = len(sizes) - 1`` linear layers, hidden vector ``h_0 = x`` and

        h_l = f(W_l h_{l-1} + b_l)   for l = 1 .. L-1,     output = W_L h_{L-1} + b_L,

    where ``f`` is ``activation()`` (a fresh module between every pair of linear
    layers, none after the last, so the output is logits). ``activation=None``
    stacks the linear layers with nothing between them: the composition is
    then itself one affine map ``x -> W_L ... W_1 x + b``.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.models import mlp

        model = mlp((2, 100, 25, 3))
        print(model)
        assert [type(m) for m in model] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
        assert torch.equal(mlp((2, 100, 25, 3))[0].weight, model[0].weight)  # same seed

        affine = mlp((3, 5, 2), activation=None)  # two linear layers are one affine map
        first, last = affine[0], affine[1]
        x = torch.randn(4, 3)
        weight = last.weight @ first.weight
        bias = last.weight @ first.bias + last.bias
        torch.testing.assert_close(affine(x), x @ weight.T + bias)
        ```
    """
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {tuple(sizes)}")
    if any(s < 1 for s in sizes):
        raise ValueError(f"layer sizes must be positive, got {tuple(sizes)}")

    def build() -> nn.Sequential:
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(pairwise(sizes)):
            if i > 0 and activation is not None:
                layers.append(activation())
            layers.append(nn.Linear(n_in, n_out))
        return nn.Sequential(*layers)

    return _seeded(seed, build)


def digits_cnn(
    channels: tuple[int, int] = (16, 32),
    dropout: float = 0.25,
    n_classes: int = 10,
    *,
    seed: int = 0,
) -> nn.Sequential:
    """A small CNN for 1×8×8 images (scikit-learn's digits), returning ``n_classes`` logits.

    With ``(c1, c2) = channels``, shapes for a batch of N::

        (N,1,8,8)  -Conv3x3(pad 1)-BatchNorm-ReLU-MaxPool2->  (N,c1,4,4)
                   -Conv3x3(pad 1)-BatchNorm-ReLU-MaxPool2->  (N,c2,2,2)
                   -Flatten-Dropout(p)-Linear(4·c2, n_classes)->  (N, n_classes)

    BatchNorm and Dropout make ``model.train()`` and ``model.eval()`` behave
    differently: in training mode BatchNorm normalises with the batch's own
    statistics (and updates its running averages) and Dropout zeroes each
    input with probability ``p`` and scales the rest by ``1/(1-p)``; in
    evaluation mode BatchNorm uses the running averages and Dropout is the
    identity.

    Examples:
        ```python
        import torch
        from dlref.models import digits_cnn

        torch.manual_seed(0)
        model = digits_cnn()
        x = torch.randn(4, 1, 8, 8)
        model.eval()
        out = model(x)
        print(out.shape)
        assert out.shape == (4, 10) and torch.equal(model(x), out)  # eval: repeatable
        model.train()
        assert not torch.allclose(model(x), out)  # batch statistics and dropout
        ```
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    c1, c2 = channels

    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(4 * c2, n_classes),
        )

    return _seeded(seed, build)


def lenet(in_channels: int = 3, n_outputs: int = 10, *, seed: int = 0) -> nn.Sequential:
    """A LeNet-5-style CNN for 32×32 inputs (the shape of PyTorch's beginner tutorial net).

    Shapes for a batch of N::

        (N,C,32,32) -Conv5x5(6)-ReLU-MaxPool2->  (N,6,14,14)
                    -Conv5x5(16)-ReLU-MaxPool2-> (N,16,5,5)
                    -Flatten-Linear(400,120)-ReLU-Linear(120,84)-ReLU-Linear(84,n_outputs)

    (conv: 32-5+1 = 28, pool: 14; conv: 14-5+1 = 10, pool: 5).

    Examples:
        ```python
        import torch
        from dlref.models import lenet

        model = lenet(in_channels=1, n_outputs=10)
        x = torch.zeros(2, 1, 32, 32)
        print(model[:6](x).shape)
        assert model[:6](x).shape == (2, 16, 5, 5)
        assert model(x).shape == (2, 10)
        ```
    """

    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, n_outputs),
        )

    return _seeded(seed, build)
