"""dlref.optim against torch.optim: same arguments, same updates, same errors."""

from __future__ import annotations

import copy
import importlib
import inspect
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.testing import assert_close

from dlref import optim

F64 = torch.float64
PAIRS: list[tuple[type[torch.optim.Optimizer], type[torch.optim.Optimizer]]] = [
    (optim.SGD, torch.optim.SGD),
    (optim.Adagrad, torch.optim.Adagrad),
    (optim.RMSprop, torch.optim.RMSprop),
    (optim.Adam, torch.optim.Adam),
    (optim.AdamW, torch.optim.AdamW),
]
TORCH = {ours.__name__: theirs for ours, theirs in PAIRS}
OURS = {ours.__name__: ours for ours, _ in PAIRS}


# A tiny problem: pred = (X W^T) * s + b, squared error. W, b and an unused tensor (which
# never gets a gradient) form the first param group; the scale s is a second group with
# half the learning rate.
_gen = torch.Generator().manual_seed(0)
X = torch.randn(16, 4, generator=_gen, dtype=F64)
Y = torch.randn(16, 3, generator=_gen, dtype=F64)
START = [
    0.5 * torch.randn(3, 4, generator=_gen, dtype=F64),  # W
    torch.randn(3, generator=_gen, dtype=F64),  # b
    1 + 0.1 * torch.randn(3, generator=_gen, dtype=F64),  # s
    torch.randn(2, generator=_gen, dtype=F64),  # unused
]


def fresh_params() -> list[torch.Tensor]:
    return [t.clone().requires_grad_() for t in START]


def objective(params: list[torch.Tensor], maximize: bool) -> torch.Tensor:
    w, b, s, _ = params
    loss = (((X @ w.T) * s + b - Y) ** 2).mean()
    return -loss if maximize else loss  # maximizing -loss keeps the problem bounded


def make(
    cls: type[torch.optim.Optimizer], params: list[torch.Tensor], kwargs: dict[str, Any]
) -> torch.optim.Optimizer:
    lr = kwargs.get("lr", inspect.signature(cls).parameters["lr"].default)
    w, b, s, unused = params
    groups = [{"params": [w, b, unused]}, {"params": [s], "lr": lr / 2}]
    return cls(groups, **kwargs)


def set_grads(params: list[torch.Tensor], maximize: bool) -> None:
    """The gradient of `objective`, written out: autograd would triple the test's run time."""
    w, b, s, _ = params
    with torch.no_grad():
        xw = X @ w.T
        g = (xw * s + b - Y) * (-2 / Y.numel() if maximize else 2 / Y.numel())
        w.grad = (g * s).T @ X
        b.grad = g.sum(0)
        s.grad = (g * xw).sum(0)


def one_step(opt: torch.optim.Optimizer, params: list[torch.Tensor], maximize: bool) -> None:
    set_grads(params, maximize)
    opt.step()


@pytest.mark.parametrize("maximize", [False, True])
def test_set_grads_is_autograd(maximize: bool) -> None:
    params, expected = fresh_params(), fresh_params()
    set_grads(params, maximize)
    objective(expected, maximize).backward()
    for p, q in zip(params, expected, strict=True):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert_close(p.grad, q.grad, atol=1e-12, rtol=0)


def max_abs_diff(xs: list[torch.Tensor], ys: list[torch.Tensor]) -> float:
    """Largest |x - y| over all parameters: a cheap check to run after every step."""
    return max((x - y).abs().max().item() for x, y in zip(xs, ys, strict=True))


def assert_same_state(
    ours: torch.optim.Optimizer,
    theirs: torch.optim.Optimizer,
    params_ours: list[torch.Tensor],
    params_theirs: list[torch.Tensor],
) -> None:
    for p, q in zip(params_ours[:3], params_theirs[:3], strict=True):  # those with grads
        a, b = ours.state[p], theirs.state[q]
        assert set(a) == set(b)
        for key in a:
            assert_close(
                torch.as_tensor(a[key], dtype=F64),
                torch.as_tensor(b[key], dtype=F64),
                atol=1e-9,
                rtol=0,
            )


def cfg(*items: dict[str, Any]) -> list[Any]:
    return [
        pytest.param(kw, id=",".join(f"{k}={v}" for k, v in kw.items()) or "defaults")
        for kw in items
    ]


CONFIGS: dict[str, list[Any]] = {
    "SGD": cfg(
        {},
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.05},
        {"lr": 0.1, "maximize": True},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "maximize": True},
    ),
    "Adagrad": cfg(
        {},
        {"lr": 0.1},
        {"lr": 0.1, "lr_decay": 0.01},
        {"lr": 0.1, "weight_decay": 0.1},
        {"lr": 0.1, "initial_accumulator_value": 0.5},
        {"lr": 0.1, "eps": 1e-3, "maximize": True},
        {
            "lr": 0.2,
            "lr_decay": 0.05,
            "weight_decay": 0.01,
            "initial_accumulator_value": 0.1,
            "maximize": True,
        },
    ),
    "RMSprop": cfg(
        {},
        {"lr": 1e-3, "alpha": 0.9},
        {"lr": 1e-3, "momentum": 0.9},
        {"lr": 1e-3, "centered": True},
        {"lr": 1e-3, "centered": True, "momentum": 0.5},
        {"lr": 1e-3, "weight_decay": 0.1, "eps": 1e-4},
        {"lr": 1e-3, "centered": True, "momentum": 0.9, "weight_decay": 0.01, "maximize": True},
    ),
    "Adam": cfg(
        {},
        {"lr": 0.01},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.01, "betas": (0.0, 0.5)},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "eps": 1e-3, "amsgrad": True, "maximize": True, "weight_decay": 0.01},
    ),
    "AdamW": cfg(
        {},
        {"lr": 0.01},
        {"lr": 0.01, "weight_decay": 0.5},
        {"lr": 0.01, "weight_decay": 0.0},
        {"lr": 0.01, "amsgrad": True, "maximize": True, "betas": (0.5, 0.9)},
    ),
}
CASES = [
    pytest.param(name, *p.values, id=f"{name}[{p.id}]")
    for name, params in CONFIGS.items()
    for p in params
]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_matches_torch_for_100_steps(name: str, kwargs: dict[str, Any]) -> None:
    maximize = kwargs.get("maximize", False)
    ours_p, theirs_p = fresh_params(), fresh_params()
    ours, theirs = make(OURS[name], ours_p, kwargs), make(TORCH[name], theirs_p, kwargs)
    for step in range(1, 101):
        one_step(ours, ours_p, maximize)
        one_step(theirs, theirs_p, maximize)
        assert max_abs_diff(ours_p, theirs_p) <= 1e-9, f"parameters differ after step {step}"
    for a, b in zip(ours_p, theirs_p, strict=True):
        assert_close(a, b, atol=1e-9, rtol=0)
    assert_same_state(ours, theirs, ours_p, theirs_p)
    assert not torch.equal(ours_p[0], START[0])  # the test is not vacuous: W moved...
    assert torch.equal(ours_p[3], START[3])  # ...and a parameter without a gradient did not
    assert not ours.state[ours_p[3]]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[o.__name__ for o, _ in PAIRS])
def test_signature_matches_torch(ours: type[Any], theirs: type[Any]) -> None:
    dropped = {"foreach", "fused", "capturable", "differentiable"}
    a = inspect.signature(ours).parameters
    b = {n: p for n, p in inspect.signature(theirs).parameters.items() if n not in dropped}
    assert list(a) == list(b)
    assert [p.default for p in a.values()] == [p.default for p in b.values()]
    assert a["maximize"].kind is inspect.Parameter.KEYWORD_ONLY
    positional = [n for n, p in a.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert positional == [
        n
        for n, p in b.items()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and n != "maximize"
    ]


def test_adamw_is_adam_with_decoupled_decay() -> None:
    p1, p2 = fresh_params(), fresh_params()
    o1 = make(optim.AdamW, p1, {"lr": 0.01, "weight_decay": 0.3})
    o2 = make(optim.Adam, p2, {"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True})
    for _ in range(10):
        one_step(o1, p1, False)
        one_step(o2, p2, False)
    for a, b in zip(p1, p2, strict=True):
        assert torch.equal(a, b)


INVALID = [
    ("SGD", {"lr": -0.1}, "Invalid lr value: -0.1"),
    ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
    ("SGD", {"nesterov": True}, "momentum=0"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening=0.1"),
    ("Adagrad", {"lr": -1.0}, "Invalid lr value: -1.0"),
    ("Adagrad", {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    ("Adagrad", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    (
        "Adagrad",
        {"initial_accumulator_value": -1.0},
        "Invalid initial_accumulator_value value: -1.0",
    ),
    ("Adagrad", {"eps": -1e-10}, "Invalid eps value: -1e-10"),
    ("RMSprop", {"lr": -1.0}, "Invalid lr value: -1.0"),
    ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("RMSprop", {"eps": -1.0}, "Invalid eps value: -1.0"),
    ("RMSprop", {"momentum": -1.0}, "Invalid momentum value: -1.0"),
    ("RMSprop", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("Adam", {"lr": -1.0}, "Invalid lr value: -1.0"),
    ("Adam", {"lr": math.nan}, "Invalid lr value: nan"),
    ("Adam", {"eps": -1.0}, "Invalid eps value: -1.0"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid betas[0] value: 1.0"),
    ("Adam", {"betas": (-0.1, 0.999)}, "Invalid betas[0] value: -0.1"),
    ("Adam", {"betas": (0.9, 1.0)}, "Invalid betas[1] value: 1.0"),
    ("Adam", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("AdamW", {"lr": -1.0}, "Invalid lr value: -1.0"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid betas[1] value: 1.5"),
    ("AdamW", {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    INVALID,
    ids=[
        f"{n}-{next(iter(kw))}={next(iter(kw.values()))}-{i}"
        for i, (n, kw, _) in enumerate(INVALID)
    ],
)
def test_invalid_hyperparameters_raise(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError):
        TORCH[name](fresh_params(), **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        OURS[name](fresh_params(), **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"momentum": 0.9, "dampening": 1.5}),  # dampening is never range-checked
        ("RMSprop", {"alpha": 1.5}),  # only alpha >= 0 is checked
        ("Adagrad", {"lr": 0.0, "eps": 0.0}),  # zero is allowed everywhere
    ],
)
def test_accepts_what_torch_accepts(name: str, kwargs: dict[str, Any]) -> None:
    TORCH[name](fresh_params(), **kwargs)
    OURS[name](fresh_params(), **kwargs)


@pytest.mark.parametrize("arg", ["lr", "momentum", "weight_decay"])
def test_sgd_rejects_nan_where_torch_does_not(arg: str) -> None:
    # torch.optim.SGD tests `value < 0`, which NaN passes; the other optimizers (and all of
    # ours) test `not 0 <= value`.
    TORCH["SGD"](fresh_params(), **{arg: math.nan})
    with pytest.raises(ValueError, match=f"Invalid {arg} value: nan"):
        optim.SGD(fresh_params(), **{arg: math.nan})


FULL_STATE = {  # settings that fill every state slot
    "SGD": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "RMSprop": {"lr": 1e-3, "momentum": 0.5, "centered": True},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
    "AdamW": {"lr": 0.01, "amsgrad": True},
}


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_state_dict_round_trip(name: str) -> None:
    kwargs = FULL_STATE[name]
    params = fresh_params()
    opt = make(OURS[name], params, kwargs)
    for _ in range(5):
        one_step(opt, params, False)
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][1]["lr"] == saved["param_groups"][0]["lr"] / 2

    # Reload into a new optimizer over copies of the current parameters, into torch's
    # optimizer too, and check that all three continue identically.
    copies = [[p.detach().clone().requires_grad_() for p in params] for _ in range(2)]
    reloaded, theirs = make(OURS[name], copies[0], {}), make(TORCH[name], copies[1], {})
    reloaded.load_state_dict(saved)
    theirs.load_state_dict(copy.deepcopy(saved))
    assert reloaded.param_groups[0]["lr"] == kwargs["lr"]
    for _ in range(5):
        one_step(opt, params, False)
        one_step(reloaded, copies[0], False)
        one_step(theirs, copies[1], False)
    for a, b, c in zip(params, *copies, strict=True):
        assert torch.equal(a, b)
        assert_close(a, c, atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_lr_scheduler_drives_both_alike(name: str) -> None:
    kwargs = FULL_STATE[name]
    ours_p, theirs_p = fresh_params(), fresh_params()
    ours, theirs = make(OURS[name], ours_p, kwargs), make(TORCH[name], theirs_p, kwargs)
    schedulers = [
        torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5) for o in (ours, theirs)
    ]
    for _ in range(20):
        one_step(ours, ours_p, False)
        one_step(theirs, theirs_p, False)
        for scheduler in schedulers:
            scheduler.step()
    assert ours.param_groups[1]["lr"] == kwargs["lr"] / 2 * 0.5**4
    for a, b in zip(ours_p, theirs_p, strict=True):
        assert_close(a, b, atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_closure(name: str) -> None:
    kwargs = FULL_STATE[name]
    ours_p, theirs_p = fresh_params(), fresh_params()
    ours, theirs = make(OURS[name], ours_p, kwargs), make(TORCH[name], theirs_p, kwargs)
    calls = []

    def closure_for(opt: torch.optim.Optimizer, params: list[torch.Tensor]) -> Callable[[], Any]:
        def closure() -> torch.Tensor:
            calls.append(opt)
            opt.zero_grad()
            loss = objective(params, False)
            loss.backward()  # step runs under no_grad: the closure must get grad back
            return loss

        return closure

    for _ in range(3):
        loss_ours = ours.step(closure_for(ours, ours_p))
        loss_theirs = theirs.step(closure_for(theirs, theirs_p))
        assert isinstance(loss_ours, torch.Tensor)
        assert_close(loss_ours, loss_theirs, atol=1e-9, rtol=0)
    assert len(calls) == 6
    for a, b in zip(ours_p, theirs_p, strict=True):
        assert_close(a, b, atol=1e-9, rtol=0)
    assert ours.step() is None


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_does_not_call_torch_update_code(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("dlref.optim called torch.optim's update code")

    for module_name in ("sgd", "adagrad", "rmsprop", "adam", "adamw", "_functional"):
        module = importlib.import_module(f"torch.optim.{module_name}")
        for attr, value in vars(module).items():
            is_update = attr in {"sgd", "adagrad", "rmsprop", "adam", "adamw"} or attr.startswith(
                ("_single_tensor_", "_multi_tensor_", "_fused_")
            )
            if is_update and inspect.isfunction(value):
                monkeypatch.setattr(module, attr, forbidden)
    params = fresh_params()
    opt = make(OURS[name], params, FULL_STATE[name])
    for _ in range(2):
        one_step(opt, params, False)
    with pytest.raises(AssertionError, match="update code"):  # the patch does bite torch
        one_step(make(TORCH[name], params, FULL_STATE[name]), params, False)


def test_sparse_or_complex_parameters_are_refused_with_a_type_error() -> None:
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.complex64))
    p.grad = torch.ones(2, dtype=torch.complex64)
    with pytest.raises(TypeError, match="complex"):
        optim.SGD([p], lr=0.1).step()


def test_scalar_trajectory_follows_the_update_rules() -> None:
    # plain SGD: theta_t = theta_{t-1} - lr * g_t
    assert optim.scalar_trajectory(torch.optim.SGD, [1.0, -2.0, 0.5], start=1.0, lr=0.1) == (
        pytest.approx([0.9, 1.1, 1.05], rel=1e-15)
    )
    # momentum: b_1 = g_1, then b_2 = mu b_1 + (1 - dampening) g_2
    values = optim.scalar_trajectory(
        torch.optim.SGD, [1.0, 1.0], lr=0.1, momentum=0.9, dampening=0.5
    )
    assert values == pytest.approx([-0.1, -0.1 - 0.1 * 1.4], rel=1e-12)
    # the same steps as a scalar parameter driven by hand, for ours and torch's Adam
    grads = [0.3, -1.0, 2.0, 0.0]
    for cls in (optim.Adam, torch.optim.Adam):
        p = torch.tensor([0.5], dtype=F64, requires_grad=True)
        opt = cls([p], lr=0.05, weight_decay=0.1)
        expected = []
        for g in grads:
            p.grad = torch.tensor([g], dtype=F64)
            opt.step()
            expected.append(p.item())
        assert optim.scalar_trajectory(cls, grads, start=0.5, lr=0.05, weight_decay=0.1) == expected
    assert optim.scalar_trajectory(torch.optim.SGD, [], lr=0.1) == []


def test_signature_defaults_reads_the_signature_in_the_order_asked() -> None:
    names = ["weight_decay", "lr", "nesterov", "betas", "no_such_argument"]
    sgd = optim.signature_defaults(torch.optim.SGD, names)
    assert list(sgd) == ["weight_decay", "lr", "nesterov"]
    assert sgd == {"weight_decay": 0, "lr": 1e-3, "nesterov": False}
    assert optim.signature_defaults(torch.optim.AdamW, names)["weight_decay"] == 1e-2
    for ours, theirs in PAIRS:
        assert optim.signature_defaults(ours, names) == optim.signature_defaults(theirs, names)

    def no_defaults(lr: float) -> None: ...

    assert optim.signature_defaults(no_defaults, ["lr"]) == {"lr": inspect.Parameter.empty}


def test_final_parameters_trains_a_copy_full_batch() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = model.double()
    x, y = torch.randn(10, 3, dtype=F64), torch.randn(10, 2, dtype=F64)
    before = [p.detach().clone() for p in model.parameters()]
    final = optim.final_parameters(model, torch.optim.SGD, x, y, steps=5, lr=0.1)
    # model untouched
    for p, q in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, q)
    # the same as five hand-written full-batch steps on a copy
    twin = copy.deepcopy(model)
    for _ in range(5):
        twin.zero_grad()
        torch.nn.functional.mse_loss(twin(x), y).backward()
        with torch.no_grad():
            for p in twin.parameters():
                p -= 0.1 * p.grad
    expected = torch.cat([p.detach().flatten() for p in twin.parameters()])
    assert_close(final, expected)
    assert not final.requires_grad
    # another loss, and zero steps
    l1 = optim.final_parameters(
        model, torch.optim.SGD, x, y, steps=5, lr=0.1, loss_fn=torch.nn.functional.l1_loss
    )
    assert not torch.allclose(l1, final)
    assert_close(
        optim.final_parameters(model, torch.optim.SGD, x, y, steps=0, lr=0.1),
        torch.cat([b.flatten() for b in before]),
    )
    with pytest.raises(ValueError, match="steps"):
        optim.final_parameters(model, torch.optim.SGD, x, y, steps=-1, lr=0.1)
