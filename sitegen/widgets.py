"""Data for the two interactive figures, published with the site under ``assets/widgets/``.

``conv-cases.json``: a grid of convolution and pooling configurations, written as the
fields of the calculator (``overrides/javascripts/conv-calculator.js``), each with the
output size ``dlref.conv`` computes or the reason it refuses. ``tests/test_widgets.py``
checks the grid against PyTorch and drives the calculator through every case in Chromium.

``playground.json``: for the playground (``overrides/javascripts/playground.js``), weights
and inputs with PyTorch's forward pass, gradients and Adam steps on them, and a reference
training run that PyTorch performs from the playground's own seeded initial weights.

Both need torch, which a warm build does not otherwise import: the files are cached
under ``.cache/widgets/`` by a key over this file, ``dlref.conv`` and the torch version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import random
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "widgets"
CONV_CASES = "assets/widgets/conv-cases.json"
PLAYGROUND = "assets/widgets/playground.json"
KINDS = ("conv", "transpose", "maxpool", "avgpool")
FIELDS = ("size", "kernel", "stride", "padding", "dilation", "output_padding")
DEFAULTS = {"stride": "1", "padding": "0", "dilation": "1", "output_padding": "0"}

Value = int | tuple[int, ...] | str | None

# --- the calculator's grid --------------------------------------------------------------


def _case(
    kind: str, dims: int, size: str, kernel: str, ceil_mode: bool = False, **fields: str
) -> dict[str, Any]:
    case: dict[str, Any] = {"kind": kind, "dims": dims, "size": size, "kernel": kernel}
    for name in FIELDS[2:]:
        case[name] = fields.get(name, DEFAULTS[name])
    case["ceil_mode"] = ceil_mode
    return case


# The page's own examples and PyTorch's quirks, then a seeded random sample.
NAMED_CASES = [
    _case("conv", 2, "5", "2", stride="2", padding="1"),  # 3.5 floors to 3
    _case("conv", 1, "6", "3", stride="2"),  # the last input position is never read
    _case("conv", 1, "7", "3", dilation="2"),
    _case("conv", 2, "3", "1", padding="2, 1"),  # 7 × 5
    _case("conv", 2, "5", "2", padding="same"),  # odd total padding: the extra zero at the end
    _case("conv", 2, "5", "2", stride="2", padding="same"),  # refused
    _case("conv", 2, "5", "2", padding="valid"),
    _case("conv", 2, "28, 27", "5, 4", stride="2", padding="1"),
    _case("conv", 1, "2", "3"),  # kernel larger than the input
    _case("conv", 1, "0", "1"),
    _case("conv", 1, "5", "3", stride="0"),
    _case("conv", 1, "5", "3", dilation="0"),
    _case("conv", 1, "5", "3", padding="-1"),
    _case("conv", 2, "5", "0, 3"),
    _case("maxpool", 1, "5", "2", stride=""),  # the stride defaults to the kernel size
    _case("maxpool", 1, "5", "2", stride="", ceil_mode=True),
    _case(
        "maxpool", 1, "5", "2", stride="2", padding="1", ceil_mode=True
    ),  # the 4th window is dropped
    _case("maxpool", 1, "6", "3", stride="2", ceil_mode=True),
    _case("maxpool", 2, "7, 6", "3", stride="2", padding="1", ceil_mode=True),
    _case("maxpool", 1, "5", "2", stride="", padding="2"),  # more than half the kernel
    _case("maxpool", 1, "2", "3", stride="", dilation="2"),  # output too small
    _case("maxpool", 1, "5", "2", stride="", padding="same"),
    _case("maxpool", 1, "5", "2", stride="0"),
    _case("avgpool", 1, "6", "3", stride="2", padding="1", ceil_mode=True),
    _case("avgpool", 1, "5", "2", stride="2", padding="1", ceil_mode=True),
    _case("avgpool", 2, "7, 5", "3, 2", stride="", padding="1, 0"),
    _case("avgpool", 1, "5", "4", stride="", padding="3"),
    _case("avgpool", 1, "2", "3", stride=""),
    _case("transpose", 2, "4", "3", stride="2", padding="1"),  # 7
    _case("transpose", 2, "4", "3", stride="2", padding="1", output_padding="1"),  # 8
    _case("transpose", 1, "4", "3", stride="1", output_padding="2", dilation="3"),  # accepted
    _case("transpose", 1, "4", "3", stride="2", output_padding="2", dilation="2"),  # refused
    _case("transpose", 1, "1", "1", padding="1"),  # output size not positive
    _case("transpose", 1, "4", "3", padding="same"),
]

RANDOM_CASES = {"conv": 90, "transpose": 60, "maxpool": 80, "avgpool": 70}


def _field(rng: random.Random, dims: int, draw: Any) -> str:
    """One number, or in 2-D now and then a pair; ``draw(i)`` draws dimension i's value."""
    if dims == 2 and rng.random() < 0.4:
        return f"{draw(0)}, {draw(1)}"
    return str(draw(0))


def _random_case(rng: random.Random, kind: str) -> dict[str, Any]:
    """Mostly valid arguments; now and then (3% per number) one PyTorch refuses."""
    dims = rng.choice((1, 2))
    pool = kind in ("maxpool", "avgpool")

    def number(low: int, high: int, odd: int | None = None) -> int:
        return odd if odd is not None and rng.random() < 0.03 else rng.randint(low, high)

    kernels = [number(1, 5, 0) for _ in range(dims)]
    strides = [number(1, 3, 0) for _ in range(dims)]
    dilations = [number(1, 3, 0) for _ in range(dims)]

    def padding(i: int) -> int:
        if pool and rng.random() < 0.85:  # PyTorch allows at most half the kernel
            return rng.randint(0, max(kernels[i], 0) // 2)
        return number(0, 3, -1)

    def output_padding(i: int) -> int:
        if rng.random() < 0.85:  # PyTorch wants less than the stride or the dilation
            return rng.randint(0, max(strides[i], dilations[i], 1) - 1)
        return rng.randint(0, 3)

    size = _field(rng, dims, lambda i: number(1, 12, None if pool or kind == "transpose" else 0))
    kernel = _field(rng, dims, lambda i: kernels[i])
    fields = {
        "stride": _field(rng, dims, lambda i: strides[i]),
        "padding": _field(rng, dims, padding),
    }
    if pool and rng.random() < 0.3:
        fields["stride"] = ""  # the default: the kernel size
    if kind == "conv" and rng.random() < 0.2:
        fields["padding"] = rng.choice(("same", "valid"))
    if kind != "avgpool":
        fields["dilation"] = _field(rng, dims, lambda i: dilations[i])
    if kind == "transpose":
        fields["output_padding"] = _field(rng, dims, output_padding)
    return _case(kind, dims, size, kernel, pool and rng.random() < 0.5, **fields)


def parse_field(text: str, field: str, dims: int) -> Value:
    """A field as the calculator reads it: ``"7"`` -> 7, ``"7, 5"`` -> (7, 5), ``""`` -> None."""
    raw = text.strip()
    if raw == "":
        return None
    if field == "padding" and raw in ("same", "valid"):
        return raw
    values = tuple(int(part) for part in raw.strip("()").split(","))
    if len(values) == 1:
        return values[0]
    if dims != 2 or len(values) != 2:
        raise ValueError(f"the calculator does not read {raw!r} in {dims}-D")
    return values


def arguments(case: dict[str, Any]) -> dict[str, Any]:
    """The case's fields as the arguments the calculator passes to the size functions."""
    dims = int(case["dims"])
    args = {name: parse_field(str(case[name]), name, dims) for name in FIELDS}
    if dims == 2 and isinstance(args["size"], int):
        args["size"] = (args["size"], args["size"])  # one number: a square input
    if args["stride"] is None and case["kind"] in ("conv", "transpose"):
        args["stride"] = 1
    args["ceil_mode"] = bool(case["ceil_mode"])
    return args


def conv_expected(case: dict[str, Any]) -> dict[str, Any]:
    """``{"output": [sizes]}`` from ``dlref.conv``, or ``{"reason": message}`` where it refuses."""
    from dlref import conv

    a = arguments(case)
    try:
        if case["kind"] == "conv":
            out = conv.conv_output_size(
                a["size"], a["kernel"], a["stride"], a["padding"], a["dilation"]
            )
        elif case["kind"] == "transpose":
            out = conv.conv_transpose_output_size(
                a["size"],
                a["kernel"],
                a["stride"],
                a["padding"],
                a["output_padding"],
                a["dilation"],
            )
        elif case["kind"] == "maxpool":
            out = conv.pool_output_size(
                a["size"], a["kernel"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"]
            )
        else:
            out = conv.avg_pool_output_size(
                a["size"], a["kernel"], a["stride"], a["padding"], a["ceil_mode"]
            )
    except ValueError as err:
        return {"reason": str(err)}
    return {"output": list(out) if isinstance(out, tuple) else [out]}


def conv_cases() -> list[dict[str, Any]]:
    """The named cases and a seeded random sample, each with what ``dlref.conv`` says."""
    rng = random.Random(15)
    cases = list(NAMED_CASES)
    for kind, count in RANDOM_CASES.items():
        cases.extend(_random_case(rng, kind) for _ in range(count))
    unique: dict[str, dict[str, Any]] = {}
    for case in cases:
        unique.setdefault(json.dumps(case, sort_keys=True), case)
    return [{**case, **conv_expected(case)} for case in unique.values()]


# --- the playground -----------------------------------------------------------------------

N_POINTS = 161  # as in playground.js
REFERENCE: dict[str, Any] = {
    "seed": 1,
    "width": 16,
    "activation": "tanh",
    "target": "step",
    "lr": 0.01,
    "steps": 2000,
}
TARGETS = {
    "wave": lambda x: math.sin(3 * x) + 0.3 * x * x,
    "step": lambda x: 1.0 if x >= 0 else 0.0,
    "abs": abs,
    "bump": lambda x: math.exp(-4 * x * x),
}
MASK = 0xFFFFFFFF


def mulberry32(seed: int) -> Any:
    """The playground's generator (Tommy Ettinger's mulberry32), uniform numbers in [0, 1)."""
    state = seed & MASK

    def imul(x: int, y: int) -> int:
        return (x * y) & MASK

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK
        t = imul(state ^ (state >> 15), state | 1)
        t = ((t + imul(t ^ (t >> 7), t | 61)) & MASK) ^ t
        return ((t ^ (t >> 14)) & MASK) / 4294967296

    return draw


def initial_params(width: int, seed: int) -> dict[str, list[float]]:
    """nn.Linear's default initialisation of the 1-n-1 network, drawn as playground.js does."""
    import numpy as np

    draw = mulberry32(seed)

    def uniform(n: int, bound: float) -> list[float]:
        return [float(np.float32(bound * (2 * draw() - 1))) for _ in range(n)]

    w, b = uniform(width, 1.0), uniform(width, 1.0)
    bound = 1 / math.sqrt(width)
    return {"w": w, "b": b, "a": uniform(width, bound), "c": uniform(1, bound)}


def _network(params: dict[str, list[float]], activation: str) -> Any:
    import torch
    from torch import nn

    width = len(params["w"])
    act = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "identity": nn.Identity()}
    hidden, output = nn.Linear(1, width), nn.Linear(width, 1)
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor(params["w"]).reshape(width, 1))
        hidden.bias.copy_(torch.tensor(params["b"]))
        output.weight.copy_(torch.tensor(params["a"]).reshape(1, width))
        output.bias.copy_(torch.tensor(params["c"]))
    return nn.Sequential(hidden, act[activation], output)


def _params_of(model: Any) -> dict[str, list[float]]:
    return {
        "w": model[0].weight.detach().reshape(-1).tolist(),
        "b": model[0].bias.detach().tolist(),
        "a": model[2].weight.detach().reshape(-1).tolist(),
        "c": model[2].bias.detach().tolist(),
    }


def _grads_of(model: Any) -> dict[str, list[float]]:
    return {
        "w": model[0].weight.grad.reshape(-1).tolist(),
        "b": model[0].bias.grad.tolist(),
        "a": model[2].weight.grad.reshape(-1).tolist(),
        "c": model[2].bias.grad.tolist(),
    }


def _train(model: Any, x: Any, t: Any, lr: float, steps: int) -> list[float]:
    """Full-batch Adam on the mean squared error; the loss before each step, and after the last."""
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x.unsqueeze(1)).squeeze(1), t)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        losses.append(float(F.mse_loss(model(x.unsqueeze(1)).squeeze(1), t)))
    return losses


def playground_data() -> dict[str, Any]:
    """What PyTorch computes on the numbers the playground is tested with."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(15)
    checks = []
    for activation in ("relu", "tanh", "sigmoid", "identity"):
        width = 7
        x = (torch.rand(24, generator=gen) * 4 - 2).tolist()
        t = torch.randn(24, generator=gen).tolist()
        params = {
            "w": torch.randn(width, generator=gen).tolist(),
            "b": torch.randn(width, generator=gen).tolist(),
            "a": (torch.randn(width, generator=gen) / math.sqrt(width)).tolist(),
            "c": torch.randn(1, generator=gen).tolist(),
        }
        model = _network(params, activation)
        xt, tt = torch.tensor(x), torch.tensor(t)
        y = model(xt.unsqueeze(1)).squeeze(1)
        loss = F.mse_loss(y, tt)
        loss.backward()
        check: dict[str, Any] = {
            "activation": activation, "params": params, "x": x, "t": t, "lr": 0.03, "steps": 3,
            "y": y.detach().tolist(), "loss": float(loss.detach()), "grads": _grads_of(model),
        }  # fmt: skip
        model = _network(params, activation)
        _train(model, xt, tt, check["lr"], check["steps"])
        check["after"] = _params_of(model)
        checks.append(check)

    spec = dict(REFERENCE)
    xs = [float(np.float32(-2 + (4 * i) / (N_POINTS - 1))) for i in range(N_POINTS)]
    ts = [float(np.float32(TARGETS[str(spec["target"])](x))) for x in xs]
    model = _network(initial_params(int(spec["width"]), int(spec["seed"])), str(spec["activation"]))
    losses = _train(
        model, torch.tensor(xs), torch.tensor(ts), float(spec["lr"]), int(spec["steps"])
    )
    # Identity units make the network a straight line: no width does better than the best line.
    line = np.polyfit(np.array(xs), np.array(ts), 1)
    line_mse = float(np.mean((np.polyval(line, np.array(xs)) - np.array(ts)) ** 2))
    reference = {
        **spec,
        "initial": initial_params(int(spec["width"]), int(spec["seed"])),
        "torch_losses": losses[:: max(1, int(spec["steps"]) // 20)],  # ends with the last
        "torch_final": losses[-1],
        "best_line_mse": line_mse,
    }
    return {"checks": checks, "reference": reference}


# --- export -------------------------------------------------------------------------------


def _one_per_line(cases: list[dict[str, Any]]) -> str:
    lines = ",\n".join(
        json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in cases
    )
    return '{"cases": [\n' + lines + "\n]}\n"


def _key() -> str:
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update((REPO / "src" / "dlref" / "conv.py").read_bytes())
    digest.update(importlib.metadata.version("torch").encode())
    return digest.hexdigest()[:16]


def data_files() -> dict[str, str]:
    """``{site path: JSON text}`` for both figures, from the cache or computed now."""
    folder = CACHE / _key()
    names = {CONV_CASES: "conv-cases.json", PLAYGROUND: "playground.json"}
    if not all((folder / name).is_file() for name in names.values()):
        for stale in CACHE.glob("*"):  # the data of an earlier key
            if stale != folder:
                shutil.rmtree(stale, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        texts = {
            "conv-cases.json": _one_per_line(conv_cases()),
            "playground.json": json.dumps(playground_data(), separators=(",", ":")),
        }
        for name, text in texts.items():
            partial = folder / f"{name}.{random.randrange(1 << 30)}.tmp"
            partial.write_text(text, encoding="utf-8")
            partial.replace(folder / name)  # atomic: the two language builds may race
    return {uri: (folder / name).read_text(encoding="utf-8") for uri, name in names.items()}
