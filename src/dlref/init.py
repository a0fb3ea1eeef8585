"""Weight initialisation schemes, and deep MLPs to try them on.

A fully connected layer computes `z = W a + b` with `fan_in` inputs and
`fan_out` outputs. With zero-mean weights drawn independently of each other and
of the inputs, each pre-activation has

    Var(z_j) = fan_in · Var(w) · E[a²] + Var(b)

and, backwards, each input gradient has
`Var(∂L/∂a_i) = fan_out · Var(w) · E[(∂L/∂z)²]`. A scheme picks `Var(w)` so that
one of these factors is 1:

| scheme | distribution of each weight | Var(w) |
|---|---|---|
| `default` | U(-1/√fan_in, 1/√fan_in) (PyTorch `nn.Linear`) | 1 / (3 fan_in) |
| `xavier_uniform` | U(-a, a), a = √(6 / (fan_in + fan_out)) | 2 / (fan_in + fan_out) |
| `xavier_normal` | N(0, 2 / (fan_in + fan_out)) | 2 / (fan_in + fan_out) |
| `he_uniform` | U(-a, a), a = √(6 / fan_in) | 2 / fan_in |
| `he_normal` | N(0, 2 / fan_in) | 2 / fan_in |
| `zeros` | 0 | 0 |
| `constant` | every weight equal to `value` | 0 |

`default` is what `nn.Linear` does on construction:
`kaiming_uniform_(weight, a=√5)`, whose bound √3 · √(2 / (1 + 5)) / √fan_in is
1/√fan_in, and a bias drawn from the same U(-1/√fan_in, 1/√fan_in). Every other
scheme sets the bias to zero. Xavier/Glorot (Glorot & Bengio 2010) is the
compromise between keeping the forward (fan_in) and the backward (fan_out)
variance for an activation with slope 1 at 0 (tanh): 2/(fan_in + fan_out) is the
harmonic mean of 1/fan_in and 1/fan_out. He/Kaiming (He et al. 2015) keeps the
forward variance of a ReLU network, where E[a²] = Var(z)/2 for z symmetric about 0.

The draws use the same calls as `torch.nn.init` in the same order, so for a
given generator they give the same numbers as `torch.nn.init`.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal, TypeAlias, get_args

import torch
from torch import Tensor, nn

from dlref.activations import ACTIVATIONS

Scheme: TypeAlias = Literal[
    "default", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "zeros", "constant"
]
SCHEMES: tuple[str, ...] = get_args(Scheme)
"""Every scheme `init_linear_` knows, in the order of the module's table."""

DESCRIPTIONS: dict[str, str] = {
    "default": "PyTorch nn.Linear default: kaiming_uniform_(a=√5) = U(-1/√fan_in, 1/√fan_in)",
    "xavier_uniform": "Xavier/Glorot uniform: U(-a, a), a = √(6/(fan_in+fan_out))",
    "xavier_normal": "Xavier/Glorot normal: N(0, 2/(fan_in+fan_out))",
    "he_uniform": "He/Kaiming uniform: U(-a, a), a = √(6/fan_in)",
    "he_normal": "He/Kaiming normal: N(0, 2/fan_in)",
    "zeros": "all weights 0",
    "constant": "all weights equal to one value",
}
"""One line per scheme: the distribution it draws from."""


def weight_variance(scheme: Scheme, fan_in: int, fan_out: int) -> float:
    """Var(w) of one weight under `scheme` (see the module's table); 0 for constant schemes.

    >>> weight_variance("he_normal", 100, 50)
    0.02

    Examples:
        ```python
        import torch
        from dlref.init import weight_variance

        g = torch.Generator().manual_seed(0)
        w = torch.nn.init.kaiming_normal_(torch.empty(200, 500), nonlinearity="relu", generator=g)
        print(w.var().item(), weight_variance("he_normal", 500, 200))
        assert abs(w.var().item() / weight_variance("he_normal", 500, 200) - 1) < 0.02
        default = torch.nn.Linear(500, 200).weight  # U(-1/√500, 1/√500)
        assert abs(default.var().item() / weight_variance("default", 500, 200) - 1) < 0.02
        ```
    """
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be at least 1, got {fan_in}, {fan_out}")
    if scheme == "default":
        return 1.0 / (3.0 * fan_in)
    if scheme in ("xavier_uniform", "xavier_normal"):
        return 2.0 / (fan_in + fan_out)
    if scheme in ("he_uniform", "he_normal"):
        return 2.0 / fan_in
    if scheme in ("zeros", "constant"):
        return 0.0
    raise ValueError(f"unknown scheme {scheme!r}; choose one of {SCHEMES}")


@torch.no_grad()
def init_linear_(
    layer: nn.Linear,
    scheme: Scheme,
    *,
    generator: torch.Generator | None = None,
    scale: float = 1.0,
    value: float = 0.0,
) -> nn.Linear:
    """Initialise `layer` in place with `scheme` and return it.

    Args:
        scheme: one of `SCHEMES` (the module docstring gives each distribution).
        generator: the random generator to draw from (on the layer's device); `None`
            uses torch's global one, as `torch.nn.init` does.
        scale: every weight is multiplied by it after the draw, so the standard deviation
            is `scale` times the scheme's and the variance `scale**2` times (use it to
            make an init deliberately too small or too large).
        value: the weight value of the `constant` scheme.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.init import init_linear_


        def seeded() -> torch.Generator:
            return torch.Generator().manual_seed(0)


        layer = init_linear_(nn.Linear(300, 100), "xavier_uniform", generator=seeded())
        same = nn.init.xavier_uniform_(torch.empty(100, 300), generator=seeded())
        torch.testing.assert_close(layer.weight.detach(), same)  # torch.nn.init's draw
        assert (layer.bias == 0).all()
        layer = init_linear_(nn.Linear(300, 100), "he_normal", generator=seeded())
        same = nn.init.kaiming_normal_(torch.empty(100, 300), generator=seeded())
        torch.testing.assert_close(layer.weight.detach(), same)
        print(layer.weight.std().item(), (2 / 300) ** 0.5)
        ```
    """
    weight = layer.weight
    fan_out, fan_in = weight.shape
    variance = weight_variance(scheme, fan_in, fan_out)
    if scheme == "default":
        bound = 1.0 / math.sqrt(fan_in)
        weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)
    else:
        if scheme in ("xavier_uniform", "he_uniform"):
            bound = math.sqrt(3.0 * variance)  # U(-a, a) has variance a²/3
            weight.uniform_(-bound, bound, generator=generator)
        elif scheme in ("xavier_normal", "he_normal"):
            weight.normal_(0.0, math.sqrt(variance), generator=generator)
        else:
            weight.fill_(value if scheme == "constant" else 0.0)
        if layer.bias is not None:
            layer.bias.zero_()
    weight.mul_(scale)
    return layer


def new_linear(
    fan_in: int,
    fan_out: int,
    scheme: Scheme = "default",
    *,
    generator: torch.Generator | None = None,
    scale: float = 1.0,
    value: float = 0.0,
) -> nn.Linear:
    """`nn.Linear(fan_in, fan_out)` on the CPU, initialised once, by `init_linear_` only.

    Unlike `nn.Linear(...)` followed by `init_linear_`, PyTorch's own default init is
    never drawn first (the layer is created on the meta device and then allocated),
    so with a `generator` torch's global random stream is left untouched.

    Examples:
        ```python
        import torch
        from dlref.init import new_linear

        torch.manual_seed(0)
        expected = torch.rand(3)
        torch.manual_seed(0)
        layer = new_linear(4, 2, "he_uniform", generator=torch.Generator().manual_seed(1))
        print(layer)
        assert torch.equal(torch.rand(3), expected)  # the global stream did not move
        torch.manual_seed(0)
        torch.nn.Linear(4, 2)  # nn.Linear draws its default init from the global stream
        assert not torch.equal(torch.rand(3), expected)
        ```
    """
    layer = nn.Linear(fan_in, fan_out, device="meta").to_empty(device="cpu")
    return init_linear_(layer, scheme, generator=generator, scale=scale, value=value)


class Block(nn.Module):
    """One hidden layer of `deep_mlp`: `h = act(bn(W a + b))`, or `a + h` when residual.

    The skip connection is added only when it is asked for and the input and
    output widths agree; BatchNorm (`nn.BatchNorm1d`, with its default
    initialisation: scale 1, shift 0) sits between the linear map and the
    activation when `batchnorm` is true. The linear map is built by `new_linear`
    with `init`, `generator`, `scale` and `value`.

    Examples:
        ```python
        import torch
        from dlref.init import Block

        x = torch.randn(4, 8)
        residual = Block(8, 8, "relu", residual=True, init="zeros")
        plain = Block(8, 8, "relu", init="zeros")
        assert torch.equal(residual(x), x)  # zero weights: the block adds relu(0) = 0 to its input
        assert torch.equal(plain(x), torch.zeros(4, 8))
        normed = Block(8, 16, "tanh", batchnorm=True)
        z = normed.norm(normed.linear(torch.randn(256, 8)))  # training mode: batch statistics
        print(z.mean().item(), z.std(correction=0).item())
        assert z.mean().abs() < 1e-5 and abs(z.std(correction=0).item() - 1) < 1e-3
        ```
    """

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        activation: str,
        *,
        batchnorm: bool = False,
        residual: bool = False,
        init: Scheme = "default",
        generator: torch.Generator | None = None,
        scale: float = 1.0,
        value: float = 0.0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {list(ACTIVATIONS)}"
            )
        self.linear = new_linear(
            fan_in, fan_out, init, generator=generator, scale=scale, value=value
        )
        self.norm: nn.Module = nn.BatchNorm1d(fan_out) if batchnorm else nn.Identity()
        self.act = ACTIVATIONS[activation].module()
        self.residual = residual and fan_in == fan_out

    def forward(self, a: Tensor) -> Tensor:
        h: Tensor = self.act(self.norm(self.linear(a)))
        return a + h if self.residual else h


def deep_mlp(
    in_features: int,
    width: int,
    depth: int,
    out_features: int,
    *,
    activation: str = "relu",
    init: Scheme = "he_normal",
    scale: float = 1.0,
    batchnorm: bool = False,
    residual: bool = False,
    value: float = 0.0,
    seed: int = 0,
) -> nn.Sequential:
    """A multilayer perceptron with `depth` linear layers, initialised with `init`.

    The layers are `depth - 1` hidden `Block`s (the first maps `in_features` to
    `width`, the others `width` to `width`), then a plain
    `nn.Linear(width, out_features)` that produces the outputs. Every linear layer,
    the output one included, is initialised by `init_linear_` with `init`, `scale`
    and `value`, from one generator seeded with `seed`, in order from input to
    output; torch's global random stream is left untouched. The model is built on
    the CPU (move it with `.to(device)`), so a seed gives the same weights on every
    device.

    Args:
        activation: a name from `dlref.activations.ACTIVATIONS`.
        batchnorm: put `nn.BatchNorm1d` before each hidden activation.
        residual: add the block's input to its output where the widths agree
            (every hidden block but the first).

    Examples:
        ```python
        import torch
        from dlref.init import deep_mlp

        x = torch.randn(1000, 100, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            he = deep_mlp(100, 100, 10, 100, init="he_normal")(x).pow(2).mean().item()
            default = deep_mlp(100, 100, 10, 100, init="default")(x).pow(2).mean().item()
        print(f"mean square after 10 layers: He {he:.3g}, PyTorch default {default:.3g}")
        # default: each layer keeps 1/6 of the mean square, and the biases add about 1/300
        assert 0.1 < he < 10 and default < 0.01
        ```
    """
    if depth < 2:
        raise ValueError(f"depth counts linear layers and must be at least 2, got {depth}")
    generator = torch.Generator().manual_seed(seed)
    sizes = [in_features] + [width] * (depth - 1)
    layers: list[nn.Module] = [
        Block(a, b, activation, batchnorm=batchnorm, residual=residual,
              init=init, generator=generator, scale=scale, value=value)
        for a, b in itertools.pairwise(sizes)
    ]  # fmt: skip
    layers.append(
        new_linear(width, out_features, init, generator=generator, scale=scale, value=value)
    )
    return nn.Sequential(*layers)
