"""dlref's top level: device choice, seeding, checks; plus report tables and plot style."""

from __future__ import annotations

import pytest
import torch

import dlref
from dlref import report


def test_device_defaults_to_cuda_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLREF_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert dlref.device().type == expected


def test_device_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLREF_DEVICE", "cpu")
    assert dlref.device() == torch.device("cpu")
    monkeypatch.setenv("DLREF_DEVICE", "tpu-of-dreams")
    with pytest.raises(ValueError, match="tpu-of-dreams"):
        dlref.device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("DLREF_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            dlref.device()


def test_seed_makes_draws_repeat() -> None:
    dlref.seed(3)
    a = torch.randn(4)
    assert dlref.seed(3) is None  # a notebook cell ending with it displays nothing
    assert torch.equal(a, torch.randn(4))


def test_check_reports_and_raises(capsys: pytest.CaptureFixture[str]) -> None:
    dlref.check("two is larger than one", 2 > 1)
    assert "✓ verified: two is larger than one" in capsys.readouterr().out
    with pytest.raises(dlref.ClaimError, match="claim failed: one is larger than two"):
        dlref.check("one is larger than two", 1 > 2)
    with pytest.raises(TypeError, match="single truth value"):
        dlref.check("ambiguous", torch.tensor([True, False]))
    dlref.check("tensor truth", torch.tensor(True))


def test_check_close_says_by_how_much(capsys: pytest.CaptureFixture[str]) -> None:
    dlref.check_close("pi to three digits", 3.1416, 3.14159, rtol=1e-4)
    assert "verified: pi to three digits" in capsys.readouterr().out
    with pytest.raises(dlref.ClaimError, match=r"largest difference 0\.1"):
        dlref.check_close("close", torch.tensor([1.0, 2.1]), torch.tensor([1.0, 2.0]))
    with pytest.raises(dlref.ClaimError, match="shapes differ"):
        dlref.check_close("shapes", torch.zeros(2), torch.zeros(3))
    with pytest.raises(dlref.ClaimError):
        dlref.check_close("nan is never close", float("nan"), 0.0)
    third = 1 / 3  # not representable in float32: a float32 detour would lose it
    dlref.check_close("python floats keep float64 precision", third, 0.3333333333333333, rtol=1e-15)
    w = torch.ones(2, requires_grad=True)
    dlref.check_close("works on tensors that require grad", w * 2, torch.full((2,), 2.0))


def test_markdown_table() -> None:
    text = report.markdown_table(["n", "error"], [[1, 0.123456], [2, "a|b"]], digits=3)
    assert text.splitlines() == ["| n | error |", "|---|---|", "| 1 | 0.123 |", "| 2 | a\\|b |"]
    with pytest.raises(ValueError, match="2 cells"):
        report.markdown_table(["a", "b"], [[1]])


def test_plot_style_fails_on_missing_glyph() -> None:
    from dlref import plot

    fig, ax = plot.figure()
    ax.set_title("激活函数 sigmoid")  # covered by Noto Sans CJK SC
    plot.png_bytes(fig)
    ax.set_title("\u0f40")  # Tibetan: in neither DejaVu Sans nor Noto Sans CJK
    with pytest.raises(UserWarning, match="missing"):
        plot.png_bytes(fig)
    with pytest.raises(ValueError, match="alt text"):
        plot.show(fig, alt=" ")


def test_png_bytes_are_deterministic() -> None:
    from dlref import plot

    def draw() -> bytes:
        fig, ax = plot.figure()
        ax.plot([0, 1, 2], [1, 0, 1], label="线")
        ax.legend()
        return plot.png_bytes(fig)

    assert draw() == draw()
