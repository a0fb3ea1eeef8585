r"""Residual blocks for MLPs, their plain twins, and per-block gradient norms.

A residual block adds its input back to what its branch computes (He et al.
2016, *Deep residual learning for image recognition*):

$$
h_{l} = h_{l-1} + F(h_{l-1}), \qquad
\frac{\partial h_l}{\partial h_{l-1}} = I + J_F ,
$$

so a gradient reaching $h_l$ passes to $h_{l-1}$ through the identity as well
as through the branch. A *plain* block (`shortcut=False`) keeps the same branch
and drops the addition. Two orders of the layers in the branch:

| `order` | block computes | branch $F$ |
|---|---|---|
| `"post"` (2016a) | $\operatorname{relu}(S h + F(h))$ | Linear → BN → ReLU → Linear → BN |
| `"pre"` (2016b) | $S h + F(h)$ | BN → ReLU → Linear → BN → ReLU → Linear |

$S$ is the identity when the block keeps the width, and a learned projection
$P$ (an `nn.Linear` without bias) when it changes it ("option B" of He et al.
2016a). In the post-activation block the ReLU after the addition sits on the
identity path, so its Jacobian is $D\,(S + J_F)$ with $D$ the ReLU's 0/1
diagonal mask; the pre-activation block (He et al. 2016b, *Identity mappings in
deep residual networks*) leaves the identity path clean. With
`batchnorm=False` the BN layers are left out (`nn.Identity`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

import torch
from torch import Tensor, nn

__all__ = ["Order", "ResidualBlock", "block_gradient_norms", "residual_mlp"]

Order: TypeAlias = Literal["post", "pre"]
"""Where the activation sits: after the addition (`"post"`) or inside the branch only (`"pre"`)."""


class ResidualBlock(nn.Module):
    r"""One residual block (or, with `shortcut=False`, its plain twin) for vectors.

    `fc1` maps `in_features` to `out_features`, `fc2` keeps `out_features`;
    `norm1` and `norm2` are the BatchNorms of the table in the module docstring
    (`nn.Identity` with `batchnorm=False`); `projection` is `None` when the widths
    agree (identity shortcut) or when `shortcut=False`, else
    `nn.Linear(in_features, out_features, bias=False)`.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.residual import ResidualBlock

        torch.manual_seed(0)
        x = torch.randn(5, 8)
        pre = ResidualBlock(8, 8, order="pre", batchnorm=False)
        branch = pre.fc2(F.relu(pre.fc1(F.relu(x))))
        torch.testing.assert_close(pre(x), x + branch)  # identity shortcut
        wide = ResidualBlock(8, 12, order="post", batchnorm=False)
        branch = wide.fc2(F.relu(wide.fc1(x)))
        torch.testing.assert_close(wide(x), F.relu(x @ wide.projection.weight.T + branch))
        plain = ResidualBlock(8, 8, shortcut=False, batchnorm=False)
        print(plain)
        assert plain.projection is None
        torch.testing.assert_close(plain(x), F.relu(plain.fc2(F.relu(plain.fc1(x)))))
        ```
    """

    def __init__(
        self,
        in_features: int,
        out_features: int | None = None,
        *,
        order: Order = "post",
        shortcut: bool = True,
        batchnorm: bool = True,
    ) -> None:
        super().__init__()
        if order not in ("post", "pre"):
            raise ValueError(f"order must be 'post' or 'pre', got {order!r}")
        out = in_features if out_features is None else out_features
        self.order: Order = order
        self.shortcut = shortcut
        self.fc1 = nn.Linear(in_features, out)
        self.fc2 = nn.Linear(out, out)
        norm1_size = out if order == "post" else in_features
        self.norm1: nn.Module = nn.BatchNorm1d(norm1_size) if batchnorm else nn.Identity()
        self.norm2: nn.Module = nn.BatchNorm1d(out) if batchnorm else nn.Identity()
        self.projection: nn.Linear | None = (
            nn.Linear(in_features, out, bias=False) if shortcut and in_features != out else None
        )

    def branch(self, h: Tensor) -> Tensor:
        """$F(h)$: the block without its shortcut (and, for `"post"`, without the last ReLU).

        Examples:
            ```python
            import torch
            from dlref.residual import ResidualBlock

            block = ResidualBlock(4, order="pre", batchnorm=False)
            h = torch.randn(3, 4)
            assert torch.equal(block(h), h + block.branch(h))
            print(block.branch(h).shape)
            ```
        """
        if self.order == "post":
            out: Tensor = self.norm2(self.fc2(torch.relu(self.norm1(self.fc1(h)))))
        else:
            out = self.fc2(torch.relu(self.norm2(self.fc1(torch.relu(self.norm1(h))))))
        return out

    def skip(self, h: Tensor) -> Tensor:
        """$S h$: the input itself, or its projection when the widths differ.

        Examples:
            ```python
            import torch
            from dlref.residual import ResidualBlock

            h = torch.randn(3, 4)
            assert torch.equal(ResidualBlock(4).skip(h), h)
            wide = ResidualBlock(4, 6)
            print(wide.skip(h).shape)
            assert torch.equal(wide.skip(h), h @ wide.projection.weight.T)
            ```
        """
        return h if self.projection is None else self.projection(h)

    def forward(self, h: Tensor) -> Tensor:
        out = self.branch(h)
        if self.shortcut:
            out = self.skip(h) + out
        return torch.relu(out) if self.order == "post" else out


def residual_mlp(
    in_features: int,
    width: int,
    n_blocks: int,
    out_features: int,
    *,
    order: Order = "post",
    shortcut: bool = True,
    batchnorm: bool = True,
    seed: int = 0,
) -> nn.Sequential:
    """A stem, `n_blocks` `ResidualBlock`s of `width`, and a linear head.

    `"post"`: `Linear(in, width) → BN → ReLU → blocks → Linear(width, out)`;
    `"pre"`: `Linear(in, width) → blocks → BN → ReLU → Linear(width, out)` (the
    last block's sum still needs its activation). With `shortcut=False` the
    same layers are stacked without the additions: a plain network with
    `2 n_blocks + 2` linear layers. Parameters are PyTorch's default
    initialisation, drawn from `seed` alone (the global random state is forked
    and restored), so a residual model and its plain twin built with the same
    seed start from identical weights.

    Examples:
        ```python
        import torch
        from dlref.residual import ResidualBlock, residual_mlp

        res = residual_mlp(2, 16, 3, 3, seed=1)
        plain = residual_mlp(2, 16, 3, 3, shortcut=False, seed=1)
        print(res)
        same = [torch.equal(a, b) for a, b in zip(res.parameters(), plain.parameters())]
        assert all(same)  # one initialisation, two wirings
        x = torch.randn(8, 2)
        assert res(x).shape == (8, 3)
        assert sum(isinstance(m, ResidualBlock) for m in res) == 3
        ```
    """
    if n_blocks < 0:
        raise ValueError(f"n_blocks must be at least 0, got {n_blocks}")

    def norm() -> nn.Module:
        return nn.BatchNorm1d(width) if batchnorm else nn.Identity()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        stem: list[nn.Module] = [nn.Linear(in_features, width)]
        if order == "post":
            stem += [norm(), nn.ReLU()]
        blocks = [
            ResidualBlock(width, order=order, shortcut=shortcut, batchnorm=batchnorm)
            for _ in range(n_blocks)
        ]
        tail: list[nn.Module] = [norm(), nn.ReLU()] if order == "pre" else []
        return nn.Sequential(*stem, *blocks, *tail, nn.Linear(width, out_features))


def block_gradient_norms(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
) -> list[float]:
    r"""$\lVert \partial L / \partial h_l \rVert_F$ at the output $h_l$ of each `ResidualBlock`.

    The list is in the order `model.modules()` yields the blocks (input to output
    for an `nn.Sequential`). One forward and backward pass of `loss_fn(model(x), y)`
    in the model's current mode; forward hooks (removed before returning, also on
    error) keep each block's output and `torch.autograd.grad` takes the gradients,
    so the parameters' `.grad` are left alone. A `model` in training mode with
    BatchNorm updates its running statistics, as any forward pass would.

    Examples:
        ```python
        import torch
        import torch.nn.functional as F
        from dlref.residual import block_gradient_norms, residual_mlp

        torch.manual_seed(0)
        x, y = torch.randn(32, 2), torch.randint(0, 3, (32,))
        model = residual_mlp(2, 8, 4, 3, order="pre", batchnorm=False)
        norms = block_gradient_norms(model, x, y, F.cross_entropy)
        print([f"{n:.3f}" for n in norms])
        # the last block's output feeds the head directly: compare with autograd
        h4 = model[:5](x)  # the stem and the four blocks
        logits = model[5:](h4)  # BN (here nn.Identity), ReLU, head
        (g,) = torch.autograd.grad(F.cross_entropy(logits, y), h4)
        assert abs(norms[-1] - g.norm().item()) < 1e-6
        ```
    """
    blocks = [m for m in model.modules() if isinstance(m, ResidualBlock)]
    if not blocks:
        raise ValueError("the model has no ResidualBlock")
    outputs: dict[int, Tensor] = {}

    def keep(index: int) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], None]:
        def hook(_module: nn.Module, _inputs: tuple[Tensor, ...], output: Tensor) -> None:
            outputs[index] = output

        return hook

    handles = [b.register_forward_hook(keep(i)) for i, b in enumerate(blocks)]
    try:
        loss = loss_fn(model(x), y)
    finally:
        for handle in handles:
            handle.remove()
    grads = torch.autograd.grad(loss, [outputs[i] for i in range(len(blocks))])
    return [float(g.norm()) for g in grads]
