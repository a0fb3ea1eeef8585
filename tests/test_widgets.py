"""The two interactive figures, in headless Chromium, against the library and PyTorch.

The conv-arithmetic calculator is driven through every case of the grid the build
exports (``assets/widgets/conv-cases.json``, computed by ``dlref.conv``), which is
itself checked against PyTorch's layers here; the drawing's never-read positions are
checked against autograd. The universal-approximation playground's forward pass,
gradients and Adam steps are compared with PyTorch's on the numbers of
``assets/widgets/playground.json``, and its reference run with the loss PyTorch
reaches from the same initial weights.

``DLREF_TEST_SITE`` points the tests at a site built elsewhere (default: site/);
``DLREF_SCREENSHOTS`` names a folder for screenshots of the widgets.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sitegen import widgets
from tests.sitecheck import SITE, chromium, served

pytestmark = pytest.mark.site

ROOT = Path(os.environ.get("DLREF_TEST_SITE", str(SITE)))
SCREENSHOTS = os.environ.get("DLREF_SCREENSHOTS")
LANGS = ("en", "zh")
FIELDS = widgets.FIELDS
RELEVANT = {  # the fields each kind of layer reads
    "conv": ("size", "kernel", "stride", "padding", "dilation"),
    "transpose": FIELDS,
    "maxpool": ("size", "kernel", "stride", "padding", "dilation"),
    "avgpool": ("size", "kernel", "stride", "padding"),
}
# The calculator's name for each of dlref.conv's refusals, by the message's start.
REASON_KEYS = {
    "size must be positive": "size",
    "kernel_size must be positive": "kernel",
    "non-positive stride is not supported": "stride",
    "dilation must be greater than zero:": "dilation",
    "negative padding is not supported": "padding",
    "padding='same' is not supported": "sameStride",
    "kernel larger than the padded input": "kernelLarge",
    "kernel_size must be greater than zero": "poolKernel",
    "stride must be greater than zero": "poolStride",
    "dilation must be greater than zero, got": "poolDilation",
    "padding must be non-negative": "poolPadding",
    "pad should be at most half": "halfKernel",
    "output_padding must be smaller": "outputPadding",
    "output size is not positive": "notPositive",
    "padding must be an int or a tuple": "notInt",
}


def reason_key(message: str) -> str:
    if message.startswith("output size is too small"):
        return "tooSmall" if "dilation=" in message else "tooSmallAvg"
    keys = [key for start, key in REASON_KEYS.items() if message.startswith(start)]
    assert len(keys) == 1, message
    return keys[0]


def load(uri: str) -> Any:
    path = ROOT / uri
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make site` first")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return list(load(widgets.CONV_CASES)["cases"])


@pytest.fixture(scope="module")
def playground() -> dict[str, Any]:
    return dict(load(widgets.PLAYGROUND))


# --- the exported grid against PyTorch ----------------------------------------------------


def torch_sizes(case: dict[str, Any]) -> list[int] | None:
    """The spatial size of PyTorch's output for the case, or None where PyTorch refuses it."""
    a = widgets.arguments(case)
    size = a["size"] if isinstance(a["size"], tuple) else (a["size"],)
    d = int(case["dims"]) - 1
    try:
        with warnings.catch_warnings():  # padding='same' with an even kernel warns
            warnings.simplefilter("ignore")
            if case["kind"] == "conv":
                layer: nn.Module = (nn.Conv1d, nn.Conv2d)[d](
                    1, 1, a["kernel"], a["stride"], a["padding"], a["dilation"]
                )
            elif case["kind"] == "transpose":
                layer = (nn.ConvTranspose1d, nn.ConvTranspose2d)[d](
                    1, 1, a["kernel"], a["stride"], a["padding"], a["output_padding"],
                    dilation=a["dilation"],
                )  # fmt: skip
            elif case["kind"] == "maxpool":
                layer = (nn.MaxPool1d, nn.MaxPool2d)[d](
                    a["kernel"], a["stride"], a["padding"], a["dilation"], ceil_mode=a["ceil_mode"]
                )
            else:
                layer = (nn.AvgPool1d, nn.AvgPool2d)[d](
                    a["kernel"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"]
                )
            out = layer(torch.zeros(1, 1, *size))
    except (RuntimeError, ValueError, TypeError):
        return None
    return list(out.shape[2:])


def test_exported_grid_agrees_with_pytorch(cases: list[dict[str, Any]]) -> None:
    """Every size in the grid is PyTorch's; every refusal is one PyTorch makes too."""
    wrong = []
    for case in cases:
        expected = torch_sizes(case)
        if expected != case.get("output"):
            wrong.append(f"{case} -> PyTorch {expected}")
    assert not wrong, "\n".join(wrong[:20])
    kinds = {case["kind"] for case in cases}
    assert kinds == set(widgets.KINDS)
    for kind in kinds:  # each kind has sizes and refusals, in 1-D and 2-D
        mine = [c for c in cases if c["kind"] == kind]
        assert {("output" in c, c["dims"]) for c in mine} == {
            (a, b) for a in (True, False) for b in (1, 2)
        }
    assert {reason_key(c["reason"]) for c in cases if "reason" in c} >= {
        "kernelLarge", "sameStride", "halfKernel", "tooSmall", "tooSmallAvg", "outputPadding",
        "notPositive",
    }  # fmt: skip
    dropped = [c for c in cases if c["ceil_mode"] and "output" in c and _ceil_dropped(c)]
    assert dropped, "the grid has no ceil_mode case whose last window is dropped"


def _ceil_dropped(case: dict[str, Any]) -> bool:
    """Whether rounding up alone would give one window more than the case's output."""
    a = widgets.arguments(case)
    n = int(case["dims"])

    def per(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, tuple) else (v,) * n

    stride = a["stride"] if a["stride"] is not None else a["kernel"]
    dilation = a["dilation"] if case["kind"] == "maxpool" else 1
    for w, k, s, p, d, o in zip(
        per(a["size"]), per(a["kernel"]), per(stride), per(a["padding"]), per(dilation),
        case["output"], strict=True,
    ):  # fmt: skip
        if -(-(w + 2 * p - d * (k - 1) - 1) // s) + 1 > o:
            return True
    return False


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with served(ROOT) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(1100, 1000) as context:
        yield context


def open_page(browser: Any, server: str, path: str) -> tuple[Any, list[str]]:
    """The page, loaded; the list collects console errors, page errors and off-site requests."""
    page = browser.new_page()
    problems: list[str] = []
    host = urlsplit(server).netloc
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc != host:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(server + path, wait_until="networkidle")
    return page, problems


def screenshot(page: Any, selector: str, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.locator(selector).screenshot(path=f"{SCREENSHOTS}/{name}.png")


LABELLED = """root => [...root.querySelectorAll('input, select')]
  .every(c => c.labels.length > 0 && c.labels[0].textContent.trim() !== '')"""
READ_CONV = """root => {
  const output = root.querySelector('output.dlref-conv__output');
  const reason = root.querySelector('.dlref-conv__reason');
  const cells = [...root.querySelectorAll('svg.dlref-conv__svg rect.dlref-conv__cell')];
  return {
    output: output.hidden ? null : output.textContent,
    reason: reason.hidden ? null : reason.textContent,
    key: root.getAttribute('data-reason'),
    cells: cells.map(c => c.getAttribute('class')),
    rows: root.querySelectorAll('.dlref-conv__formulas p').length,
  };
}"""


def never_read(case: dict[str, Any]) -> list[bool]:
    """Per cell of the padded input (row-major): no window reads it, by autograd.

    A kernel of ones slides over the padded input, extended at the end so that a
    ceil_mode window may hang over it; the gradient of the case's outputs is zero
    exactly at the positions no window reads. For a transposed convolution: per output
    position, no input reaches it (the output of ones through a kernel of ones is zero).
    """
    a = widgets.arguments(case)
    n = int(case["dims"])

    def per(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, tuple) else (v,) * n

    k, out = per(a["kernel"]), tuple(case["output"])
    stride = per(a["stride"] if a["stride"] is not None else a["kernel"])
    dilation = per(a["dilation"]) if case["kind"] != "avgpool" else (1,) * n
    conv = (F.conv1d, F.conv2d)[n - 1]
    if case["kind"] == "transpose":
        y = (F.conv_transpose1d, F.conv_transpose2d)[n - 1](
            torch.ones(1, 1, *per(a["size"])), torch.ones(1, 1, *k), None, stride,
            per(a["padding"]), per(a["output_padding"]), 1, dilation,
        )  # fmt: skip
        return (y == 0).reshape(-1).tolist()
    if a["padding"] == "same":
        before = tuple(d * (kk - 1) // 2 for d, kk in zip(dilation, k, strict=True))
        after = tuple(d * (kk - 1) - b for d, kk, b in zip(dilation, k, before, strict=True))
    else:
        before = after = per(0 if a["padding"] == "valid" else a["padding"])
    padded = tuple(w + b + e for w, b, e in zip(per(a["size"]), before, after, strict=True))
    extra = tuple(s * o + d * kk for s, o, d, kk in zip(stride, out, dilation, k, strict=True))
    x = torch.zeros(1, 1, *(p + e for p, e in zip(padded, extra, strict=True)), requires_grad=True)
    y = conv(x, torch.ones(1, 1, *k), None, stride, 0, dilation)
    y[(..., *(slice(0, o) for o in out))].sum().backward()
    assert x.grad is not None
    grad = x.grad[(0, 0, *(slice(0, p) for p in padded))]
    return (grad == 0).reshape(-1).tolist()


def drawn_never_read(cells: list[str], transpose: bool) -> list[bool]:
    if transpose:  # only the output's cells: the cropped ones are not part of it
        cells = [c for c in cells if "cropped" not in c]
        return ["unwritten" in c for c in cells]
    return ["unread" in c for c in cells]


def in_few_steps(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases reordered (greedily) so that each differs from the one before in few fields."""
    keys = ("kind", "dims", *FIELDS, "ceil_mode")
    rest, order = list(cases[1:]), [cases[0]]
    while rest:
        last = order[-1]
        best = min(range(len(rest)), key=lambda i: sum(rest[i][k] != last[k] for k in keys))
        order.append(rest.pop(best))
    return order


VISIBLE = "(root, names) => names.every(n => root.querySelector(`[name=${n}]`).checkVisibility())"


def set_fields(controls: dict[str, Any], case: dict[str, Any], shown: dict[str, Any]) -> None:
    """Set the calculator's controls to the case as a reader would, touching only what changed.

    After a change of layer, the fields it reads must be visible; the fills then skip
    Playwright's actionability checks (``force``), which would cost a third of the time.
    """
    for name in ("kind", "dims"):
        if shown.get(name) != case[name]:
            controls[name].select_option(str(case[name]))
            shown[name] = case[name]
            if name == "kind":
                fields = [*RELEVANT[case["kind"]], "dims"]
                if case["kind"] in ("maxpool", "avgpool"):
                    fields.append("ceil_mode")
                assert controls["kind"].evaluate(
                    f"(c, names) => ({VISIBLE})(c.form, names)", fields
                ), f"{case['kind']}: a field it reads is hidden"
    for name in RELEVANT[case["kind"]]:
        if shown.get(name) != case[name]:
            controls[name].fill(case[name], force=True)
            shown[name] = case[name]
    if case["kind"] in ("maxpool", "avgpool") and shown.get("ceil_mode") != case["ceil_mode"]:
        controls["ceil_mode"].set_checked(case["ceil_mode"])
        shown["ceil_mode"] = case["ceil_mode"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_calculator_gives_every_size_and_reason(
    browser: Any, server: str, cases: list[dict[str, Any]], lang: str
) -> None:
    page, problems = open_page(
        browser, server, "/conv-arithmetic/" if lang == "en" else "/zh/conv-arithmetic/"
    )
    root = page.locator(".dlref-conv")
    root.locator("form").wait_for()
    labelled = page.evaluate(LABELLED, root.element_handle())
    assert labelled, "a control of the calculator has no label"
    screenshot(page, ".dlref-conv", f"conv-calculator-{lang}")
    shown: dict[str, Any] = {}  # what the controls show; the first case sets them all
    handle = root.element_handle()
    controls = {
        name: root.locator(f"[name={name}]").element_handle()
        for name in ("kind", "dims", *FIELDS, "ceil_mode")
    }
    # Numbers are drawn by the same code in both languages: Chinese gets the refusals and
    # every fourth size.
    if lang == "zh":
        cases = [c for i, c in enumerate(cases) if "reason" in c or i % 4 == 0]
    wrong: list[str] = []
    drawings = 0
    for case in in_few_steps(cases):
        set_fields(controls, case, shown)
        seen = page.evaluate(READ_CONV, handle)
        if "output" in case:
            expected = " × ".join(str(v) for v in case["output"])
            if seen["output"] != expected or seen["reason"] is not None:
                wrong.append(f"{case}: shows {seen['output']!r} / {seen['reason']!r}")
            elif lang == "en" and seen["cells"]:  # the drawing does not depend on the language
                if drawn_never_read(seen["cells"], case["kind"] == "transpose") != never_read(case):
                    wrong.append(f"{case}: the hatched cells are not the ones no window reads")
                drawings += 1
            continue
        key = reason_key(case["reason"])
        if seen["output"] is not None or seen["key"] != key:
            wrong.append(
                f"{case}: shows {seen['output']!r}, reason {seen['key']!r} instead of {key!r}"
            )
        elif lang == "en" and seen["reason"] != case["reason"]:
            wrong.append(f"{case}: says {seen['reason']!r}")
        elif lang == "zh" and re.findall(r"-?\d+", seen["reason"]) != re.findall(
            r"-?\d+", case["reason"]
        ):
            wrong.append(f"{case}: says {seen['reason']!r}, not the numbers of {case['reason']!r}")
    page.close()
    assert not wrong, f"{len(wrong)} of {len(cases)} cases wrong:\n" + "\n".join(wrong[:20])
    assert not problems, "\n".join(problems)
    if lang == "en":
        assert drawings > len(cases) // 3


@pytest.mark.browser
def test_calculator_is_keyboard_usable(browser: Any, server: str) -> None:
    page, problems = open_page(browser, server, "/conv-arithmetic/")
    root = page.locator(".dlref-conv")
    root.locator("input[name=size]").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    page.keyboard.press("Tab")  # to the kernel size
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    assert root.locator("output").text_content() == "3 × 3"  # floor((6 + 2 - 3) / 2) + 1
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back to the dimensions
    page.keyboard.press("ArrowUp")  # 1-D
    assert root.locator("output").text_content() == "3"
    page.close()
    assert not problems, "\n".join(problems)


def _close(name: str, ours: list[float], theirs: list[float], rtol: float) -> str | None:
    """None if the arrays agree to ``rtol`` of their largest entry (float32 rounding)."""
    scale = max(abs(v) for v in theirs) or 1.0
    worst = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
    return None if worst <= rtol * scale else f"{name}: differs by {worst:.3g} (scale {scale:.3g})"


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_playground_agrees_with_pytorch(
    browser: Any, server: str, playground: dict[str, Any], lang: str
) -> None:
    path = "/universal-approximation/" if lang == "en" else "/zh/universal-approximation/"
    page, problems = open_page(browser, server, path)
    root = page.locator(".dlref-playground")
    reference_button = root.locator("button[name=reference]")
    reference_button.wait_for()
    page.wait_for_function(
        "() => !document.querySelector('.dlref-playground button[name=reference]').disabled"
    )
    labelled = page.evaluate(LABELLED, root.element_handle())
    assert labelled, "a control of the playground has no label"

    # forward pass, gradients and three Adam steps, on PyTorch's numbers
    wrong = []
    for check in playground["checks"]:
        ours = page.evaluate("spec => window.dlrefPlayground.verify(spec)", check)
        results = [
            _close("output", ours["y"], check["y"], 1e-5),
            _close("loss", [ours["loss"]], [check["loss"]], 1e-5),
        ]
        for part in ("w", "b", "a", "c"):
            results.append(
                _close(f"gradient of {part}", ours["grads"][part], check["grads"][part], 1e-5)
            )
            results.append(
                _close(f"{part} after Adam", ours["after"][part], check["after"][part], 1e-5)
            )
        wrong += [f"{check['activation']}: {r}" for r in results if r]
    assert not wrong, "\n".join(wrong)

    # the reference run, through the controls: PyTorch's loss after the same steps
    spec = playground["reference"]
    reference_button.click()
    page.wait_for_function(
        "() => document.querySelector('.dlref-playground').hasAttribute('data-reference-mse')",
        timeout=120_000,
    )
    mse = float(root.get_attribute("data-reference-mse") or "nan")
    assert int(root.get_attribute("data-step") or 0) == spec["steps"]
    assert abs(mse - spec["torch_final"]) <= 1e-3 * spec["torch_final"], (mse, spec["torch_final"])
    assert root.locator("select[name=activation]").input_value() == spec["activation"]
    screenshot(page, ".dlref-playground", f"playground-{lang}")

    # identity units: a straight line at every width, never better than the best line
    root.locator("select[name=activation]").select_option("identity")
    root.locator("input[name=width]").focus()
    page.keyboard.press("End")  # the widest network
    assert root.locator("output").text_content() == "64"
    root.locator("button[name=train]").click()
    page.wait_for_function(
        "() => +document.querySelector('.dlref-playground').getAttribute('data-step') >= 1000",
        timeout=120_000,
    )
    root.locator("button[name=train]").click()  # pause
    line_mse = float(root.get_attribute("data-mse") or "nan")
    assert line_mse >= spec["best_line_mse"] * (1 - 1e-4), (line_mse, spec["best_line_mse"])
    screenshot(page, ".dlref-playground", f"playground-identity-{lang}")
    page.close()
    assert not problems, "\n".join(problems)
