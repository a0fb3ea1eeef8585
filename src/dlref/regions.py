"""Linear pieces of ReLU networks on a scalar input, and the constructions that maximise them.

A ReLU network f: R -> R (``Linear -> ReLU -> ... -> Linear``) is continuous and
piecewise affine. Its *pieces* are the maximal intervals on which it is
affine; their number is one more than the number of kinks, the points where
the slope changes.

Counting bound (one input). A unit of layer l sees a function that is affine
on each of the P_{l-1} pieces left by the earlier layers, so it crosses zero at
most once per piece; n_l units add at most n_l P_{l-1} kinks:

$$
P_l \\le (n_l + 1) P_{l-1}, \\qquad P \\le \\prod_{l=1}^{L} (n_l + 1).
$$

For one hidden layer of width n this is n + 1, and it is attained.

Two ways to count are given: ``breakpoints`` follows the kinks exactly,
layer by layer (float64), and ``pieces_on_grid`` detects slope changes in
samples on a fine grid, an independent check that needs no knowledge of the
network.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

_F64 = torch.float64


def affine_layers(model: nn.Module) -> list[tuple[Tensor, Tensor]]:
    """The ``(W, b)`` of each ``Linear`` of a ``Linear, ReLU, ..., Linear`` stack, in float64.

    Raises ``ValueError`` unless the model is an ``nn.Sequential`` alternating
    ``Linear`` and ``ReLU``, with one input and one output.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.regions import affine_layers

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 1))
        (w1, b1), (w2, b2) = affine_layers(model)
        x = torch.tensor([[0.7]])
        by_hand = w2 @ torch.relu(w1 @ x.double() + b1[:, None]) + b2
        print(w1.dtype, by_hand)
        torch.testing.assert_close(by_hand, model(x).double())
        ```
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError("expected an nn.Sequential of Linear and ReLU layers")
    layers = list(model)
    ok = len(layers) % 2 == 1 and all(
        isinstance(m, nn.Linear if i % 2 == 0 else nn.ReLU) for i, m in enumerate(layers)
    )
    if not ok:
        raise ValueError("expected Linear, ReLU, Linear, ..., ReLU, Linear")
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    if linears[0].in_features != 1 or linears[-1].out_features != 1:
        raise ValueError("expected one input and one output")
    result = []
    for m in linears:
        w = m.weight.detach().to("cpu", _F64)
        b = (
            m.bias.detach().to("cpu", _F64)
            if m.bias is not None
            else torch.zeros(w.shape[0], dtype=_F64)
        )
        result.append((w, b))
    return result


def _forward(layers: list[tuple[Tensor, Tensor]], x: Tensor, upto: int) -> Tensor:
    """Pre-activations of layer ``upto`` (0-based) at the points x, shape ``(len(x), n)``."""
    h = x.reshape(-1, 1)
    for i, (w, b) in enumerate(layers):
        # a broadcast sum, not a matmul: these products are tiny, and a threaded
        # BLAS call costs far more than it saves on a busy machine
        z = (h.unsqueeze(1) * w).sum(-1) + b
        if i == upto:
            return z
        h = torch.relu(z)
    raise IndexError(upto)


def sample(model: nn.Module, lo: float, hi: float, n: int) -> tuple[Tensor, Tensor]:
    """``(x, f(x))`` on ``n`` evenly spaced points of ``[lo, hi]``, in float64 on the CPU.

    The network is evaluated from its ``(W, b)`` (see ``affine_layers``), so
    a float32 or GPU model is sampled in float64 all the same.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.regions import sample

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
        x, y = sample(model, -1.0, 1.0, 5)
        print(x, y)
        assert x.dtype == y.dtype == torch.float64
        torch.testing.assert_close(y.float(), model(x.float()[:, None]).squeeze(1).detach())
        ```
    """
    layers = affine_layers(model)
    x = torch.linspace(lo, hi, n, dtype=_F64)
    return x, _forward(layers, x, len(layers) - 1).reshape(-1)


def _crossings(z_at: Tensor, z_probe: Tensor, points: Tensor, step: float) -> Tensor:
    """Zeros of the columns of ``z_at``, functions affine between consecutive ``points``.

    ``z_at`` holds their values at ``points`` (shape ``(m, n)``), ``z_probe`` at
    ``points[0] - step`` and ``points[-1] + step`` (shape ``(2, n)``); beyond the
    ends the functions are affine too.
    """
    za, zb = z_at[:-1], z_at[1:]
    a, b = points[:-1].unsqueeze(1), points[1:].unsqueeze(1)
    inner = za * zb < 0
    t = za / torch.where(inner, za - zb, torch.ones_like(za))
    found = [(a + (b - a) * t)[inner]]
    # beyond the ends: z(p) + s (x - p), with the slope s measured at the probe
    for row, x_end, direction in ((0, points[0], -1.0), (-1, points[-1], 1.0)):
        end = z_at[row]
        slope = (z_probe[row] - end) / (direction * step)
        ok = (slope != 0) & (end != 0)
        root = x_end - end / torch.where(ok, slope, torch.ones_like(slope))
        found.append(root[ok & ((root - x_end) * direction > 0)])
    return torch.cat(found)


def _dedupe(x: Tensor, tol: float) -> Tensor:
    x = torch.sort(x).values
    if x.numel() < 2:
        return x
    keep = torch.ones_like(x, dtype=torch.bool)
    keep[1:] = x[1:] - x[:-1] > tol * torch.clamp(x[1:].abs(), min=1.0)
    return x[keep]


def breakpoints(
    model: nn.Module, lo: float = -math.inf, hi: float = math.inf, *, rtol: float = 1e-9
) -> Tensor:
    """The kinks of the network's output in the open interval ``(lo, hi)``, sorted (float64).

    Layer by layer: between consecutive kinks found so far, every pre-activation
    of the next layer is affine in x, so its zero there (if any) is found exactly
    by linear interpolation; it is a candidate kink. At the end, candidates where
    the output's slope does not change (relative difference below ``rtol``) are
    dropped, so the result is the set of true kinks. The interval may be the
    whole line (the default).

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.regions import affine_layers, breakpoints

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 1))
        kinks = breakpoints(model)
        (w, b), _ = affine_layers(model)  # one hidden layer: unit i bends at -b_i / w_i
        print(kinks)
        torch.testing.assert_close(kinks, torch.sort(-b / w[:, 0]).values)
        ```
    """
    layers = affine_layers(model)
    points = torch.tensor([0.0], dtype=_F64)  # an anchor; removed below unless it is a kink
    for depth in range(len(layers) - 1):
        step = float(points.abs().max()) + 1.0
        probes = torch.stack([points[0] - step, points[-1] + step])
        z_at = _forward(layers, points, depth)
        z_probe = _forward(layers, probes, depth)
        points = _dedupe(torch.cat([points, _crossings(z_at, z_probe, points, step)]), rtol)
    kinks = _true_kinks(layers, points, rtol)
    return kinks[(kinks > lo) & (kinks < hi)]


def _true_kinks(layers: list[tuple[Tensor, Tensor]], candidates: Tensor, rtol: float) -> Tensor:
    """The candidates at which the output's slope changes."""
    if candidates.numel() == 0:
        return candidates
    gaps = candidates[1:] - candidates[:-1]
    edge = gaps.min() / 2 if gaps.numel() else torch.tensor(1.0, dtype=_F64)
    edge = torch.clamp(edge, max=1.0)
    xs = torch.cat([candidates[:1] - edge, candidates, candidates[-1:] + edge])
    ys = _forward(layers, xs, len(layers) - 1).reshape(-1)
    slopes = (ys[1:] - ys[:-1]) / (xs[1:] - xs[:-1])
    left, right = slopes[:-1], slopes[1:]
    scale = torch.clamp(torch.maximum(left.abs(), right.abs()), min=1.0)
    return candidates[(right - left).abs() > rtol * scale]


def linear_pieces(
    model: nn.Module, lo: float = -math.inf, hi: float = math.inf, *, rtol: float = 1e-9
) -> int:
    """Number of maximal intervals of ``(lo, hi)`` on which the network is affine: kinks + 1.

    Examples:
        ```python
        from dlref.regions import linear_pieces, pieces_on_grid, random_relu_network, sample

        net = random_relu_network([4, 4], seed=0)
        _, y = sample(net, -3.0, 3.0, 30001)
        print(linear_pieces(net, -3.0, 3.0), pieces_on_grid(y))
        assert linear_pieces(net, -3.0, 3.0) == pieces_on_grid(y)  # exact count = grid count
        ```
    """
    return int(breakpoints(model, lo, hi, rtol=rtol).numel()) + 1


def pieces_on_grid(values: Tensor, *, rtol: float = 1e-6) -> int:
    """Pieces of a piecewise-affine function from its samples on a uniform grid.

    The slope on each grid cell is compared with the next; a change larger than
    ``rtol`` times the largest slope marks a kink. A kink strictly inside a cell
    changes the slope twice (into and out of that cell), so each run of
    consecutive changes counts as one kink. Kinks fewer than about two cells
    apart merge, so this is a lower bound that is exact on a fine enough grid.

    Examples:
        ```python
        import torch
        from dlref.regions import pieces_on_grid

        x = torch.linspace(-1, 1, 101, dtype=torch.float64)
        print(pieces_on_grid(x.abs()), pieces_on_grid(torch.relu(x) + torch.relu(x - 0.33)))
        assert pieces_on_grid(x.abs()) == 2
        assert pieces_on_grid(torch.relu(x) + torch.relu(x - 0.33)) == 3  # a kink inside a cell
        assert pieces_on_grid(torch.relu(x) + torch.relu(x - 0.01)) == 2  # one cell apart: merged
        ```
    """
    v = values.detach().to("cpu", _F64).reshape(-1)
    if v.numel() < 3:
        raise ValueError("need at least three samples")
    d = v[1:] - v[:-1]
    scale = float(d.abs().max())
    if scale == 0:
        return 1
    change = (d[1:] - d[:-1]).abs() > rtol * scale
    starts = change.clone()
    starts[1:] &= ~change[:-1]
    return int(starts.sum()) + 1


# --- constructions ------------------------------------------------------------------


def _linear(w: list[list[float]], b: list[float], dtype: torch.dtype) -> nn.Linear:
    weight = torch.tensor(w, dtype=dtype)
    # skip_init: no default initialisation, so the global random state is left alone
    layer: nn.Linear = skip_init(nn.Linear, weight.shape[1], weight.shape[0], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(torch.tensor(b, dtype=dtype))
    return layer


def tent(x: Tensor) -> Tensor:
    """The tent map: T(x) = 2x on [0, 1/2] and 2 - 2x on [1/2, 1].

    On [0, 1] it is T(x) = 2 relu(x) - 4 relu(x - 1/2): two ReLU units.

    Examples:
        ```python
        import torch
        from dlref.regions import tent

        x = torch.linspace(0, 1, 11, dtype=torch.float64)
        print(tent(x))
        torch.testing.assert_close(tent(x), torch.minimum(2 * x, 2 - 2 * x))
        ```
    """
    result: Tensor = 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)
    return result


def sawtooth_reference(x: Tensor, depth: int) -> Tensor:
    """T^k(x) = 1 - |(2^k x mod 2) - 1| on [0, 1]: 2^(k-1) teeth, 2^k affine pieces.

    Examples:
        ```python
        import torch
        from dlref.regions import pieces_on_grid, sawtooth_reference, tent

        x = torch.linspace(0, 1, 1001, dtype=torch.float64)
        composed = tent(tent(tent(x)))
        torch.testing.assert_close(sawtooth_reference(x, 3), composed)
        print(pieces_on_grid(composed))
        assert pieces_on_grid(composed) == 2**3
        ```
    """
    result: Tensor = 1 - ((2**depth * x) % 2 - 1).abs()
    return result


def sawtooth(depth: int, dtype: torch.dtype = _F64) -> nn.Sequential:
    """T composed ``depth`` times as a ReLU network with two units per hidden layer (Telgarsky).

    Hidden layer 1 computes (relu(x), relu(x - 1/2)); every later layer reads
    T = 2 h_1 - 4 h_2 from the previous one and computes the same two units of
    it; the output is 2 h_1 - 4 h_2. On [0, 1] it has 2^depth pieces with
    6 * depth + 1 parameters.

    Examples:
        ```python
        import torch
        from dlref.regions import linear_pieces, parameter_count, sample, sawtooth
        from dlref.regions import sawtooth_reference

        net = sawtooth(4)
        x, y = sample(net, 0.0, 1.0, 1001)
        torch.testing.assert_close(y, sawtooth_reference(x, 4))
        print(linear_pieces(net, 0.0, 1.0), parameter_count(net))
        assert linear_pieces(net, 0.0, 1.0) == 2**4 and parameter_count(net) == 6 * 4 + 1
        ```
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[nn.Module] = [_linear([[1.0], [1.0]], [0.0, -0.5], dtype), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [_linear([[2.0, -4.0], [2.0, -4.0]], [0.0, -0.5], dtype), nn.ReLU()]
    layers.append(_linear([[2.0, -4.0]], [0.0], dtype))
    return nn.Sequential(*layers)


def folded_zigzag(depth: int, dtype: torch.dtype = _F64) -> nn.Sequential:
    """``depth - 1`` tent layers, then two units that fold once more: 3 * 2^(depth-1) pieces.

    This attains the lower bound of Montúfar et al. (2014) for width 2 and one
    input, beating ``sawtooth``'s 2^depth with the same architecture. The
    last hidden layer reads y = T^(depth-1)(x), which sweeps [0, 1] once per
    piece of T^(depth-1), and the output is g(y) = 2 relu(y - 1/3) + relu(2/3 - y):
    slopes -1, 1, 2 on the three thirds of [0, 1]. Each sweep contributes three
    pieces, and where two sweeps meet the slopes differ, so nothing merges.

    Examples:
        ```python
        from dlref.regions import folded_zigzag, linear_pieces, pieces_on_grid, sample, sawtooth

        net = folded_zigzag(3)
        _, y = sample(net, 0.0, 1.0, 4801)
        print(linear_pieces(net, 0.0, 1.0), pieces_on_grid(y))
        assert linear_pieces(net, 0.0, 1.0) == 3 * 2**2 == pieces_on_grid(y)
        assert linear_pieces(sawtooth(3), 0.0, 1.0) == 2**3  # same widths, fewer pieces
        ```
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    first_b = [-1.0 / 3.0, 2.0 / 3.0]
    if depth == 1:
        layers: list[nn.Module] = [_linear([[1.0], [-1.0]], first_b, dtype), nn.ReLU()]
    else:
        layers = [_linear([[1.0], [1.0]], [0.0, -0.5], dtype), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [_linear([[2.0, -4.0], [2.0, -4.0]], [0.0, -0.5], dtype), nn.ReLU()]
        layers += [_linear([[2.0, -4.0], [-2.0, 4.0]], first_b, dtype), nn.ReLU()]
    layers.append(_linear([[2.0, 1.0]], [0.0], dtype))
    return nn.Sequential(*layers)


def shallow_zigzag(width: int, dtype: torch.dtype = _F64) -> nn.Sequential:
    """One hidden layer of ``width`` units with ``width + 1`` pieces on [0, 1], the most possible.

    Unit i is relu(x - (i+1)/(width+1)); the output weights 1, -2, 2, -2, ...
    make the slope go 0, 1, -1, 1, ... so every kink is a real one.

    Examples:
        ```python
        import torch
        from dlref.regions import breakpoints, linear_pieces, max_pieces_bound, shallow_zigzag

        net = shallow_zigzag(5)
        print(breakpoints(net))
        torch.testing.assert_close(breakpoints(net), torch.arange(1, 6, dtype=torch.float64) / 6)
        assert linear_pieces(net) == 6 == max_pieces_bound([5])
        ```
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    knots = [(i + 1) / (width + 1) for i in range(width)]
    out = [1.0] + [2.0 * (-1) ** i for i in range(1, width)]
    return nn.Sequential(
        _linear([[1.0]] * width, [-k for k in knots], dtype),
        nn.ReLU(),
        _linear([out], [0.0], dtype),
    )


def random_relu_network(
    widths: Sequence[int], *, seed: int = 0, dtype: torch.dtype = _F64
) -> nn.Sequential:
    """``Linear(1, n_1) -> ReLU -> ... -> Linear(n_L, 1)`` at PyTorch's default initialisation.

    Every weight and bias of a layer with fan-in m is drawn from U(-1/√m, 1/√m),
    which is what ``nn.Linear.reset_parameters`` gives, but from a local
    generator seeded by ``seed``.

    Examples:
        ```python
        import torch
        from dlref.regions import random_relu_network

        torch.manual_seed(0)
        before = torch.rand(1)
        net = random_relu_network([8, 8], seed=0)
        print(net)
        for layer in net[::2]:
            bound = layer.in_features**-0.5  # also PyTorch's bound: nn.Linear(m, n) draws within it
            assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
            assert torch.nn.Linear(layer.in_features, 8).weight.abs().max() <= bound
        assert torch.equal(random_relu_network([8, 8], seed=0)[2].weight, net[2].weight)
        torch.manual_seed(0)
        assert torch.equal(torch.rand(1), before)  # no global random numbers were used
        ```
    """
    if not widths or any(n < 1 for n in widths):
        raise ValueError(f"widths must be positive, got {list(widths)}")
    gen = torch.Generator().manual_seed(seed)
    sizes = [1, *widths, 1]
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1 / math.sqrt(fan_in)
        w = (torch.rand(fan_out, fan_in, generator=gen, dtype=dtype) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=dtype) * 2 - 1) * bound
        layers += [_linear(w.tolist(), b.tolist(), dtype), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def parameter_count(model: nn.Module) -> int:
    """Number of trainable numbers: Σ over parameters of their ``numel``.

    Examples:
        ```python
        from torch import nn
        from dlref.regions import parameter_count

        net = nn.Sequential(nn.Linear(1, 10), nn.ReLU(), nn.Linear(10, 1))
        print(parameter_count(net))
        assert parameter_count(net) == (1 * 10 + 10) + (10 * 1 + 1)
        net[0].bias.requires_grad_(False)  # frozen numbers are not counted
        assert parameter_count(net) == 21
        ```
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


# --- bounds -------------------------------------------------------------------------


def max_pieces_bound(widths: Sequence[int]) -> int:
    """∏_l (n_l + 1): an upper bound on the pieces of a ReLU network with one input.

    See the module docstring for the counting argument.

    Examples:
        ```python
        from dlref.regions import linear_pieces, max_pieces_bound, random_relu_network

        print(max_pieces_bound([3, 3]))
        assert max_pieces_bound([3, 3]) == 16
        counts = [linear_pieces(random_relu_network([3, 3], seed=s)) for s in range(5)]
        print(counts)  # random networks stay far below the bound
        assert max(counts) <= 16
        ```
    """
    bound: int = math.prod(n + 1 for n in widths)
    return bound


def montufar_lower_bound(n_inputs: int, widths: Sequence[int]) -> int:
    """Montúfar et al. (2014), Corollary 6: a lower bound on the *maximal* number of linear regions.

    For n_0 inputs and L hidden layers of widths n_i ≥ n_0, some choice of
    weights gives at least

    (∏_{i=1}^{L-1} ⌊n_i / n_0⌋^{n_0}) · Σ_{j=0}^{n_0} C(n_L, j)

    regions. With one hidden layer it is Σ_j C(n, j), the maximum for a single
    layer (n + 1 when n_0 = 1).

    Examples:
        ```python
        from dlref.regions import folded_zigzag, linear_pieces, montufar_lower_bound

        print(montufar_lower_bound(1, [2, 2, 2]), montufar_lower_bound(2, [4, 4]))
        assert montufar_lower_bound(1, [2, 2, 2]) == linear_pieces(folded_zigzag(3), 0.0, 1.0) == 12
        assert montufar_lower_bound(1, [5]) == 5 + 1
        assert montufar_lower_bound(2, [4, 4]) == 2**2 * (1 + 4 + 6)
        ```
    """
    if n_inputs < 1 or not widths or any(n < n_inputs for n in widths):
        raise ValueError("need n_inputs >= 1 and every width >= n_inputs")
    folds: int = math.prod((n // n_inputs) ** n_inputs for n in widths[:-1])
    return folds * sum(math.comb(widths[-1], j) for j in range(n_inputs + 1))


def as_dtype(model: nn.Module, dtype: torch.dtype = _F64) -> nn.Module:
    """A copy of ``model`` on the CPU in ``dtype`` (the original is left untouched).

    Examples:
        ```python
        import torch
        from dlref.regions import as_dtype

        model = torch.nn.Linear(1, 1)
        copy = as_dtype(model)
        print(copy.weight.dtype, model.weight.dtype)
        assert copy.weight.dtype == torch.float64 and model.weight.dtype == torch.float32
        assert copy.weight.item() == model.weight.item()  # float32 to float64 is exact
        ```
    """
    return copy.deepcopy(model).to("cpu", dtype)
