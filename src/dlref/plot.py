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
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from torch import Tensor, nn

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
