"""One look for every figure on the site, with labels in English or Chinese.

Importing this module applies the house style: one figure size, a font list
that covers Chinese (Noto Sans CJK SC, with DejaVu Sans first for Latin text
and maths symbols), and one colour cycle. A missing glyph is an error rather
than a silent empty box, so a figure can never lose its labels unnoticed.

Show figures with ``show``, which requires alt text for readers who cannot
see the image.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from torch import Tensor, nn

if TYPE_CHECKING:
    from dlref.landscapes import Landscape, Trajectory

COLORS = ("#3f51b5", "#e65100", "#2e7d32", "#c62828", "#6a1b9a", "#00838f", "#5d4037")
"""The colour cycle: indigo, orange, green, red, purple, teal, brown."""

WIDTH_IN = 7.0
HEIGHT_IN = 3.2
DPI = 110

STYLE: dict[str, Any] = {
    "figure.figsize": (WIDTH_IN, HEIGHT_IN),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    # A list of families, not "sans-serif": matplotlib falls back glyph by glyph
    # only through font.family itself.
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC"],
    "axes.unicode_minus": True,
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.hashsalt": "dlref",
}


CJK_FONT = "Noto Sans CJK SC"


def _ensure_cjk_font_visible() -> None:
    """Rebuild matplotlib's font cache once if it predates the CJK font's installation."""
    from matplotlib import font_manager

    if any(f.name == CJK_FONT for f in font_manager.fontManager.ttflist):
        return
    font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]


def apply_style() -> None:
    """Apply the house style to matplotlib's global settings (done on import).

    Examples:
        ```python
        import matplotlib as mpl
        from dlref.plot import COLORS, apply_style

        mpl.rcParams["axes.grid"] = False
        apply_style()
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(COLORS)
        ```
    """
    _ensure_cjk_font_visible()
    mpl.rcParams.update(STYLE)  # type: ignore[arg-type]
    # A label in a font without its glyphs renders as boxes; make that fail loudly.
    warnings.filterwarnings("error", message=r"Glyph .* missing from font")
    warnings.filterwarnings("error", message=r"Matplotlib currently does not support .* natively")


def figure(ncols: int = 1, nrows: int = 1, *, width: float | None = None,
           height: float | None = None, **kwargs: Any) -> tuple[Figure, Any]:  # fmt: skip
    """A new figure in the house size; returns ``(fig, axes)`` like ``plt.subplots``.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        from dlref.plot import HEIGHT_IN, WIDTH_IN, figure

        fig, axes = figure(ncols=2, nrows=2)
        print(axes.shape, fig.get_size_inches())
        assert axes.shape == (2, 2)
        assert tuple(fig.get_size_inches()) == (WIDTH_IN, 2 * HEIGHT_IN)
        plt.close(fig)
        ```
    """
    size = (width or WIDTH_IN, height or HEIGHT_IN * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, layout="constrained", **kwargs)
    return fig, axes


def png_bytes(fig: Figure) -> bytes:
    """The figure rendered to PNG with fixed metadata, so equal figures give equal bytes.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        from dlref.plot import figure, png_bytes


        def draw() -> bytes:
            fig, ax = figure()
            ax.plot([0, 1, 2], [1, 0, 2])
            data = png_bytes(fig)
            plt.close(fig)
            return data


        first, second = draw(), draw()
        assert first[1:4] == b"PNG" and first == second
        ```
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def show(fig: Figure, alt: str) -> None:
    """Display ``fig`` with alt text and close it.

    In a notebook (and so on the site) the PNG is shown with ``alt`` attached;
    in a plain Python session the figure opens in a window as ``plt.show()``
    would.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        from dlref.plot import figure, show

        fig, ax = figure()
        ax.plot([0, 1], [0, 1])
        try:
            show(fig, alt="  ")  # a figure without a description is refused
        except ValueError as err:
            print(err)
        else:
            raise AssertionError("show accepted empty alt text")
        plt.close(fig)
        ```
    """
    if not alt.strip():
        raise ValueError("show() needs alt text that says what the figure shows")
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        from IPython.display import Image, display

        display(Image(data=png_bytes(fig), format="png"), metadata={"image/png": {"alt": alt}})
        plt.close(fig)
    else:
        plt.show()


def label_lines(ax: Axes, **legend_kwargs: Any) -> None:
    """A legend in the house style (no frame, best location).

    Examples:
        ```python
        import matplotlib.pyplot as plt
        from dlref.plot import figure, label_lines

        fig, ax = figure()
        ax.plot([0, 1], [0, 1], label="rising")
        ax.plot([0, 1], [1, 0], label="falling")
        label_lines(ax)
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["rising", "falling"]
        assert not legend.get_frame_on()
        plt.close(fig)
        ```
    """
    ax.legend(loc=legend_kwargs.pop("loc", "best"), **legend_kwargs)


apply_style()


# --- decision boundaries ------------------------------------------------------------


def decision_boundary(
    ax: Axes,
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    resolution: int = 200,
    margin: float = 0.1,
    point_size: float = 3.0,
) -> Tensor:
    """Colour the plane by the class ``model`` predicts there, and scatter ``(x, y)`` on top.

    The plane is a ``resolution × resolution`` grid of points ``p`` covering the
    bounding box of ``x`` (shape ``(N, 2)``), widened on every side by
    ``margin`` times the box's width or height. Each grid point gets the class
    ``argmax_k model(p)_k``; class ``k`` is drawn in ``COLORS[k]``, light for
    the regions and solid for the points of ``x`` whose label ``y`` is ``k``.

    The model runs in evaluation mode without gradient tracking, on the device
    of its parameters; its previous mode is restored. Returns the predicted
    classes as an int64 CPU tensor of shape ``(resolution, resolution)``, row
    ``i`` holding the ``i``-th height from the bottom (matplotlib's
    ``origin="lower"``).

    Examples:
        ```python
        import matplotlib.pyplot as plt
        import torch
        from torch import nn
        from dlref.plot import decision_boundary, figure

        model = nn.Linear(2, 2)  # logits (-x1, x1): class 1 exactly where x1 > 0
        with torch.no_grad():
            model.weight.copy_(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
            model.bias.zero_()
        x, y = torch.tensor([[-1.0, -1.0], [1.0, 1.0]]), torch.tensor([0, 1])
        fig, ax = figure()
        classes = decision_boundary(ax, model, x, y, resolution=20)
        plt.close(fig)
        assert classes.shape == (20, 20)
        assert (classes[:, :10] == 0).all() and (classes[:, 10:] == 1).all()
        ```
    """
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary needs points of shape (N, 2), got {tuple(x.shape)}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    points = x.detach().cpu().to(torch.float64)
    low, high = points.min(dim=0).values, points.max(dim=0).values
    pad = margin * (high - low)
    low, high = low - pad, high + pad
    xs = torch.linspace(float(low[0]), float(high[0]), resolution, dtype=torch.float64)
    ys = torch.linspace(float(low[1]), float(high[1]), resolution, dtype=torch.float64)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack((grid_x.reshape(-1), grid_y.reshape(-1)), dim=1)
    first = next(model.parameters(), None)
    target = (first.device, first.dtype) if first is not None else (x.device, x.dtype)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(grid.to(device=target[0], dtype=target[1]))
    model.train(was_training)
    classes: Tensor = logits.argmax(dim=1).cpu().reshape(resolution, resolution)
    n_classes = int(logits.shape[1])
    if n_classes > len(COLORS):
        raise ValueError(f"at most {len(COLORS)} classes can be coloured, got {n_classes}")
    cmap = ListedColormap(list(COLORS[:n_classes]))
    ax.imshow(classes.numpy(), origin="lower", cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5,
              alpha=0.25, interpolation="nearest", aspect="auto",
              extent=(float(low[0]), float(high[0]), float(low[1]), float(high[1])))  # fmt: skip
    labels = y.detach().cpu()
    ax.scatter(points[:, 0].numpy(), points[:, 1].numpy(), c=labels.numpy(), cmap=cmap,
               vmin=-0.5, vmax=n_classes - 0.5, s=point_size, linewidths=0)  # fmt: skip
    ax.set_xlim(float(low[0]), float(high[0]))
    ax.set_ylim(float(low[1]), float(high[1]))
    ax.set_aspect("equal")
    ax.grid(False)
    return classes


# --- optimizer paths ----------------------------------------------------------------


def optimizer_paths(
    landscape: Landscape,
    runs: Mapping[str, Trajectory],
    groups: Sequence[Sequence[str]],
    colors: Mapping[str, str],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: Sequence[float],
    title: str,
    *,
    height: float = 3.4,
) -> Figure:
    """Paths of optimizer runs over the contour lines of a 2-D landscape, one panel per group.

    Each panel draws the contours of ``landscape`` at ``levels`` (on a 200 × 200 grid
    over ``xlim`` × ``ylim``), then, for each name of its group, the path
    ``runs[name].points`` in ``colors[name]``, with a dot where the run stopped; a
    black star marks the minimiser. Within a group the first path is drawn widest
    and the last narrowest, so paths that overlap stay visible. Names go into each
    panel's legend, ``title`` above the panels. Returns the figure (show it with
    ``show``).

    Examples:
        ```python
        import matplotlib.pyplot as plt
        import torch
        from dlref.landscapes import quadratic, run
        from dlref.plot import COLORS, optimizer_paths

        bowl = quadratic(condition=4.0)
        start = (1.0, 1.0)
        runs = {
            "SGD": run(torch.optim.SGD, bowl, start, steps=20, lr=0.2),
            "momentum": run(torch.optim.SGD, bowl, start, steps=20, lr=0.05, momentum=0.9),
            "Adam": run(torch.optim.Adam, bowl, start, steps=20, lr=0.1),
        }
        groups = [["SGD", "momentum"], ["Adam"]]
        fig = optimizer_paths(bowl, runs, groups, dict(zip(runs, COLORS)),
                              (-1.5, 1.5), (-1.5, 1.5), [0.1, 0.5, 1.0], "a bowl")
        print(len(fig.axes))
        assert len(fig.axes) == 2  # one panel per group
        legend = fig.axes[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["SGD", "momentum"]
        plt.close(fig)
        ```
    """
    if not groups:
        raise ValueError("optimizer_paths needs at least one group of run names")
    fig, axes = figure(len(groups), width=WIDTH_IN, height=height, squeeze=False)
    grid_x, grid_y, grid_z = landscape.grid(xlim, ylim, 200)
    for ax, names in zip(axes[0], groups, strict=True):
        ax.contour(grid_x, grid_y, grid_z, levels=list(levels), colors="0.8", linewidths=0.7)
        for i, name in enumerate(names):
            # 2.6 down to 1.0 points: wide first, so overlaps stay visible
            width = round(2.6 - 1.6 * i / max(len(names) - 1, 1), 2)
            points = runs[name].points
            ax.plot(points[:, 0], points[:, 1], lw=width, color=colors[name], label=name)
            ax.plot(*points[-1], marker="o", ms=5, color=colors[name])  # where the run stopped
        ax.plot(*landscape.minimum, marker="*", color="k", ms=10, ls="none")
        ax.set(xlim=xlim, ylim=ylim, xlabel="x", ylabel="y", aspect="equal")
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    return fig


def spread_of_runs(
    left: Axes,
    right: Axes,
    landscape: Landscape,
    runs: Mapping[str, Trajectory],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: Sequence[float],
    predicted: Sequence[float] = (),
    *,
    colors: Sequence[str] = COLORS,
) -> None:
    r"""Where a batch of runs ended (``left``) and how far they spread over time (``right``).

    Each trajectory in ``runs`` holds ``k`` runs made together (``run`` with ``k``
    start points: ``points`` of shape ``(T + 1, k, 2)``), labelled by its key and
    drawn in the next colour of ``colors``. ``left`` shows the contours of
    ``landscape`` at ``levels`` over ``xlim`` × ``ylim`` (a 100 × 100 grid) and the
    ``k`` final points; ``right`` shows the mean squared distance to the minimiser,
    $\frac1k \sum_j \lVert p_t^{(j)} - p^\star\rVert^2$, against the step $t$, with a
    dashed line at each value of ``predicted`` (same order and colours as ``runs``).
    Titles and axis labels are left to the caller.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        import torch
        from dlref.landscapes import quadratic, run
        from dlref.plot import figure, spread_of_runs

        bowl = quadratic(condition=4.0)
        walkers = torch.zeros(50, 2, dtype=torch.float64)
        runs = {"noisy SGD": run(torch.optim.SGD, bowl, walkers, steps=30, noise=1.0, lr=0.1)}
        fig, (left, right) = figure(2)
        spread_of_runs(left, right, bowl, runs, (-1, 1), (-1, 1), [0.1, 0.5], predicted=[0.3])
        curve, dashed = right.get_lines()
        print(len(curve.get_ydata()), dashed.get_ydata())
        assert len(curve.get_ydata()) == 31 and list(dashed.get_ydata()) == [0.3, 0.3]
        assert left.collections[-1].get_offsets().shape == (50, 2)  # the 50 final points
        plt.close(fig)
        ```
    """
    grid_x, grid_y, grid_z = landscape.grid(xlim, ylim, 100)
    left.contour(grid_x, grid_y, grid_z, levels=list(levels), colors="0.8", linewidths=0.7)
    for (label, trajectory), colour in zip(runs.items(), colors, strict=False):
        final = trajectory.points[-1]
        left.scatter(final[:, 0], final[:, 1], s=5, color=colour, label=label)
        right.plot(trajectory.distances.pow(2).mean(1), color=colour, lw=1, label=label)
    for value, colour in zip(predicted, colors, strict=False):
        right.axhline(value, color=colour, ls="--", lw=0.8)
    left.set(xlim=xlim, ylim=ylim, aspect="equal")
    left.legend(loc="lower right", fontsize=8)
    right.legend(fontsize=8)


def learning_rate_sweep(
    ax: Axes,
    rates: Sequence[float],
    sweeps: Mapping[str, Sequence[Trajectory]],
    colors: Mapping[str, str],
    *,
    diverged_at: float,
) -> None:
    """Distance to the minimiser at the end of each run against its learning rate, log-log.

    ``sweeps[name][i]`` is the run of optimizer ``name`` at learning rate ``rates[i]``.
    Each optimizer gets one line with a dot per run that stayed finite, in
    ``colors[name]``, and a cross at height ``diverged_at`` for each run that diverged
    (its distance is not a number to plot). Axis labels are left to the caller.

    Examples:
        ```python
        import matplotlib.pyplot as plt
        import torch
        from dlref.landscapes import quadratic, run
        from dlref.plot import figure, learning_rate_sweep

        bowl = quadratic(condition=10.0)  # SGD diverges above lr = 2/10
        rates = [0.01, 0.1, 0.3]
        sweeps = {"SGD": [run(torch.optim.SGD, bowl, (1.0, 1.0), steps=50, lr=lr) for lr in rates]}
        fig, ax = figure()
        learning_rate_sweep(ax, rates, sweeps, {"SGD": "C0"}, diverged_at=10.0)
        line, crosses = ax.get_lines()
        print(list(line.get_xdata()), list(crosses.get_xdata()))
        assert list(line.get_xdata()) == [0.01, 0.1] and list(crosses.get_xdata()) == [0.3]
        plt.close(fig)
        ```
    """
    for name, runs in sweeps.items():
        if len(runs) != len(rates):
            raise ValueError(f"{name}: {len(runs)} runs for {len(rates)} learning rates")
        ok = [(lr, r.final_distance) for lr, r in zip(rates, runs, strict=True) if not r.diverged]
        ax.loglog(*zip(*ok, strict=True), marker="o", color=colors[name], label=name)
        blown = [lr for lr, r in zip(rates, runs, strict=True) if r.diverged]
        ax.plot(blown, [diverged_at] * len(blown), "x", color=colors[name], ms=8)
    ax.legend()
