"""Claims that the build verifies.

A page states a claim in words and passes the evidence::

    check("sigmoid's derivative never exceeds 0.25", d_sigmoid.max() <= 0.25)

When the evidence holds, a short line ``✓ verified: <claim>`` is shown (in a
notebook it is a rich output the site renders as a badge, elsewhere it is
printed). When it does not, ``ClaimError`` is raised with the claim's
text, which fails the build and names the claim.
"""

from __future__ import annotations

import math
from typing import Any

import torch

CHECK_MIME = "application/vnd.dlref.check+json"


class ClaimError(AssertionError):
    """A claim on a page turned out to be false.

    Examples:
        ```python
        from dlref import ClaimError, check

        try:
            check("2 + 2 == 5", 2 + 2 == 5)
        except ClaimError as err:
            message = str(err)
        print(message)
        assert message == "claim failed: 2 + 2 == 5"
        assert issubclass(ClaimError, AssertionError)
        ```
    """


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _report(claim: str, detail: str) -> None:
    text = f"✓ verified: {claim}" + (f" ({detail})" if detail else "")
    if _in_kernel():
        from IPython.display import display

        display({"text/plain": text, CHECK_MIME: {"claim": claim, "detail": detail}}, raw=True)
    else:
        print(text)


def _as_bool(condition: Any) -> bool:
    if isinstance(condition, torch.Tensor):
        if condition.numel() != 1:
            raise TypeError("check() needs a single truth value; use .all() or .any() on tensors")
        return bool(condition.item())
    return bool(condition)


def check(claim: str, condition: Any, detail: str = "") -> None:
    """Verify ``condition`` and report ``claim`` as verified, or raise ``ClaimError``.

    Args:
        claim: the statement, in the page's language, exactly as a reader should see it.
        condition: anything with a truth value, including a one-element tensor.
        detail: optional evidence shown beside the claim (a measured number, say).

    Examples:
        ```python
        import torch
        from dlref import check

        s = torch.sigmoid(torch.linspace(-6, 6, 121))
        check("sigmoid's derivative never exceeds 1/4", (s * (1 - s)).max() <= 0.25)
        ```
    """
    if not _as_bool(condition):
        raise ClaimError(f"claim failed: {claim}" + (f" ({detail})" if detail else ""))
    _report(claim, detail)


def _float64(value: Any) -> torch.Tensor:
    """A float64 CPU copy; Python numbers go straight to float64 (not via float32)."""
    if isinstance(value, torch.Tensor):
        # detach: a claim is about values, not a step of a computation graph
        return value.detach().to("cpu", torch.float64)
    return torch.as_tensor(value, dtype=torch.float64)


def check_close(
    claim: str,
    actual: float | torch.Tensor,
    expected: float | torch.Tensor,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Verify ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    The failure message carries the largest difference, so a broken claim says
    by how much it broke.

    Examples:
        ```python
        import torch
        from dlref import check_close

        x = torch.linspace(-5, 5, 11)
        softplus = torch.nn.functional.softplus(x)
        check_close("softplus(x) = log(1 + e^x)", softplus, torch.log1p(x.exp()), rtol=1e-5)
        ```
    """
    a, e = _float64(actual), _float64(expected)
    if a.shape != e.shape:
        raise ClaimError(
            f"claim failed: {claim} (shapes differ: {tuple(a.shape)} vs {tuple(e.shape)})"
        )
    diff = (a - e).abs()
    ok = bool((diff <= atol + rtol * e.abs()).all())
    worst = float(diff.max()) if diff.numel() else 0.0
    if not ok or math.isnan(worst):
        raise ClaimError(f"claim failed: {claim} (largest difference {worst:.3g})")
    check(claim, True, detail=f"max |Δ| = {worst:.1e}")
