r"""Optimizers written from scratch, to read next to ``torch.optim``.

``SGD``, ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW`` take the
same arguments, in the same order and with the same defaults, as their ``torch.optim``
namesakes (torch 2.13), and they reproduce its updates to rounding error. The
implementation switches (``foreach``, ``fused``, ``capturable``, ``differentiable``) are
left out, and ``maximize`` is keyword-only everywhere (in ``torch.optim.RMSprop`` it is
positional, after ``capturable`` and ``foreach``). Only dense, real, float parameters and
float hyper-parameters are handled. ``state["step"]`` is a Python ``int`` here (torch keeps
a float tensor).

Each class states its update rule in its docstring; $g_t$ is the gradient at step
$t$ (negated when ``maximize=True``), $\theta$ the parameters, $\gamma$
the learning rate and $\lambda$ the weight decay.

Three helpers put any ``torch.optim``-style class side by side with another:
``signature_defaults`` reads its defaults, ``scalar_trajectory`` feeds hand-chosen
gradients to one scalar parameter, and ``final_parameters`` trains a copy of a model.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

import torch
from torch import Tensor, nn
from torch.optim.optimizer import Optimizer, ParamsT

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "RMSprop",
    "final_parameters",
    "scalar_trajectory",
    "signature_defaults",
]


def _check(name: str, value: float, *, below: float | None = None) -> None:
    """Raise ``ValueError`` unless ``0 <= value`` (and ``value < below``); NaN fails too."""
    if not (value >= 0.0 and (below is None or value < below)):
        raise ValueError(f"Invalid {name} value: {value}")


def _evaluate(closure: Callable[[], float] | None) -> float | None:
    """Call the closure, if any, with autograd on (``step`` itself runs under no_grad)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def _grads(group: dict[str, Any]) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield ``(param, g)`` for each parameter of the group that has a gradient.

    ``g`` is the gradient, negated when the group maximizes: a step then climbs the
    objective. Parameters whose ``.grad`` is ``None`` are skipped (no state, no decay).
    """
    for p in group["params"]:
        if p.grad is None:
            continue
        if p.grad.is_sparse or p.is_complex():
            raise TypeError(
                "dlref.optim handles dense real parameters only (this one is "
                f"{'sparse' if p.grad.is_sparse else 'complex'}); use torch.optim for it"
            )
        yield p, (-p.grad if group["maximize"] else p.grad)


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    $$
    \begin{aligned}
    g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
        && \text{if } \lambda \ne 0 \\
    b_t &\leftarrow \begin{cases} g_t & t = 1 \text{ (no dampening yet)} \\
                                  \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases}
        && \text{if } \mu \ne 0 \\
    g_t &\leftarrow g_t + \mu\, b_t \text{ if nesterov, else } b_t
        && \text{if } \mu \ne 0 \\
    \theta_t &\leftarrow \theta_{t-1} - \gamma\, g_t
    \end{aligned}
    $$

    with momentum $\mu$ and dampening $\tau$. The learning rate multiplies
    the whole buffer at each step (Sutskever et al. put it inside the buffer instead).

    Examples:
        ```python
        import torch
        from dlref.optim import SGD

        torch.manual_seed(0)
        start, target = torch.randn(5), torch.randn(5)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        settings = {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}
        optimizers = SGD([ours], **settings), torch.optim.SGD([theirs], **settings)
        for _ in range(10):
            for p, opt in zip((ours, theirs), optimizers):
                opt.zero_grad()
                ((p - target) ** 4).sum().backward()
                opt.step()
        print(ours.detach())
        torch.testing.assert_close(ours, theirs)  # the same updates as torch.optim
        ```
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,  # default 1e-3, as in torch.optim.SGD
        momentum: float = 0,  # 0: plain gradient descent, no buffer kept
        dampening: float = 0,  # 0: the whole gradient enters the buffer
        weight_decay: float = 0,  # 0: no L2 penalty
        nesterov: bool = False,  # False: classical (heavy-ball) momentum
        *,
        maximize: bool = False,  # False: minimize the objective
    ) -> None:
        _check("lr", lr)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        # Like torch, dampening itself is not range-checked.
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires momentum > 0 and dampening == 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], float]) -> float: ...
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Take one step; ``closure`` (optional) re-computes and returns the loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            for p, g in _grads(group):
                if group["weight_decay"] != 0:
                    g = g.add(p, alpha=group["weight_decay"])
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = g.clone()
                    else:
                        buf = state["momentum_buffer"]
                        buf.mul_(mu).add_(g, alpha=1 - tau)
                    g = g.add(buf, alpha=mu) if group["nesterov"] else buf
                p.add_(g, alpha=-lr)
        return loss


class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step shrinks with its accumulated squared gradients.

    $$
    \begin{aligned}
    g_t &\leftarrow g_t + \lambda\,\theta_{t-1} && \text{if } \lambda \ne 0 \\
    \tilde\gamma_t &\leftarrow \gamma \,/\, \bigl(1 + (t-1)\,\eta\bigr) \\
    s_t &\leftarrow s_{t-1} + g_t^2, \qquad s_0 = \text{initial\_accumulator\_value} \\
    \theta_t &\leftarrow \theta_{t-1} - \tilde\gamma_t\, g_t \,/\, (\sqrt{s_t} + \epsilon)
    \end{aligned}
    $$

    with learning-rate decay $\eta$ (``lr_decay``). $\epsilon$ is added
    *outside* the square root. Here $s_0$ comes from each param group; torch reads
    it from the constructor argument only (and fills the state at construction time).

    Examples:
        ```python
        import torch
        from dlref.optim import Adagrad

        torch.manual_seed(0)
        start, target = torch.randn(5), torch.randn(5)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        settings = {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}
        optimizers = Adagrad([ours], **settings), torch.optim.Adagrad([theirs], **settings)
        for _ in range(10):
            for p, opt in zip((ours, theirs), optimizers):
                opt.zero_grad()
                ((p - target) ** 4).sum().backward()
                opt.step()
        print(ours.detach())
        torch.testing.assert_close(ours, theirs)  # the same updates as torch.optim
        ```
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,  # default 1e-2, as in torch.optim.Adagrad
        lr_decay: float = 0,  # 0: no 1/(1 + (t-1) lr_decay) decay of the step size
        weight_decay: float = 0,  # 0: no L2 penalty
        initial_accumulator_value: float = 0,  # s_0, the starting sum of squared gradients
        eps: float = 1e-10,  # added to sqrt(s_t); smaller than the 1e-8 of RMSprop and Adam
        *,
        maximize: bool = False,  # False: minimize the objective
    ) -> None:
        _check("lr", lr)
        _check("lr_decay", lr_decay)
        _check("weight_decay", weight_decay)
        _check("initial_accumulator_value", initial_accumulator_value)
        _check("eps", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], float]) -> float: ...
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Take one step; ``closure`` (optional) re-computes and returns the loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            for p, g in _grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
                state["step"] += 1
                if group["weight_decay"] != 0:
                    g = g.add(p, alpha=group["weight_decay"])
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"].addcmul_(g, g)
                std = state["sum"].sqrt().add_(group["eps"])  # eps outside the sqrt
                p.addcdiv_(g, std, value=-clr)
        return loss


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root-mean-square of past gradients.

    $$
    \begin{aligned}
    g_t &\leftarrow g_t + \lambda\,\theta_{t-1} && \text{if } \lambda \ne 0 \\
    v_t &\leftarrow \alpha\, v_{t-1} + (1-\alpha)\, g_t^2 \\
    \bar g_t &\leftarrow \alpha\, \bar g_{t-1} + (1-\alpha)\, g_t
        && \text{if centered} \\
    d_t &\leftarrow \sqrt{v_t - \bar g_t^{\,2}} + \epsilon \text{ if centered, else }
        \sqrt{v_t} + \epsilon \\
    b_t &\leftarrow \mu\, b_{t-1} + g_t / d_t, \quad
        \theta_t \leftarrow \theta_{t-1} - \gamma\, b_t && \text{if } \mu > 0 \\
    \theta_t &\leftarrow \theta_{t-1} - \gamma\, g_t / d_t && \text{otherwise}
    \end{aligned}
    $$

    starting from $v_0 = \bar g_0 = b_0 = 0$, with smoothing constant $\alpha$
    and momentum $\mu$. $\epsilon$ is added outside the square root, and there
    is no bias correction: the first steps are large, since $v_1 = (1-\alpha)g_1^2$.
    As in torch, $v_t - \bar g_t^{\,2}$ is not clamped at 0: under a constant
    gradient it falls to rounding noise, can go negative, and the update becomes NaN.

    Examples:
        ```python
        import torch
        from dlref.optim import RMSprop

        torch.manual_seed(0)
        start, target = torch.randn(5), torch.randn(5)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        settings = {"lr": 0.01, "momentum": 0.5, "centered": True}
        optimizers = RMSprop([ours], **settings), torch.optim.RMSprop([theirs], **settings)
        for _ in range(10):
            for p, opt in zip((ours, theirs), optimizers):
                opt.zero_grad()
                ((p - target) ** 4).sum().backward()
                opt.step()
        print(ours.detach())
        torch.testing.assert_close(ours, theirs)  # the same updates as torch.optim
        ```
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,  # default 1e-2, as in torch.optim.RMSprop
        alpha: float = 0.99,  # smoothing of the running averages
        eps: float = 1e-8,  # added to the root mean square, outside the sqrt
        weight_decay: float = 0,  # 0: no L2 penalty
        momentum: float = 0,  # 0: no momentum buffer
        centered: bool = False,  # False: divide by the RMS, not by the standard deviation
        *,
        maximize: bool = False,  # False: minimize the objective
    ) -> None:
        _check("lr", lr)
        _check("eps", eps)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        _check("alpha", alpha)  # like torch, alpha > 1 is not rejected
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], float]) -> float: ...
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Take one step; ``closure`` (optional) re-computes and returns the loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            alpha, mu = group["alpha"], group["momentum"]
            for p, g in _grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = torch.zeros_like(p)
                    if mu > 0:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = torch.zeros_like(p)
                state["step"] += 1
                if group["weight_decay"] != 0:
                    g = g.add(p, alpha=group["weight_decay"])
                v = state["square_avg"]
                v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                if group["centered"]:
                    g_bar = state["grad_avg"]
                    g_bar.lerp_(g, 1 - alpha)  # alpha * g_bar + (1 - alpha) * g
                    d = v.addcmul(g_bar, g_bar, value=-1).sqrt_().add_(group["eps"])
                else:
                    d = v.sqrt().add_(group["eps"])
                if mu > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(mu).addcdiv_(g, d)
                    p.add_(buf, alpha=-group["lr"])
                else:
                    p.addcdiv_(g, d, value=-group["lr"])
        return loss


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSprop-style scaling, both bias-corrected.

    $$
    \begin{aligned}
    g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
        && \text{if } \lambda \ne 0 \text{ (coupled: an L2 penalty)} \\
    \theta_{t-1} &\leftarrow (1 - \gamma\lambda)\, \theta_{t-1}
        && \text{instead, if decoupled\_weight\_decay (AdamW)} \\
    m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
    v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
    v_t^{\max} &\leftarrow \max(v_{t-1}^{\max}, v_t),\quad v_t \leftarrow v_t^{\max}
        \text{ in the update below} && \text{if amsgrad} \\
    \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\, m_t \Big/
        \Bigl(\frac{\sqrt{v_t}}{\sqrt{1-\beta_2^t}} + \epsilon\Bigr)
    \end{aligned}
    $$

    starting from $m_0 = v_0 = v_0^{\max} = 0$. $\epsilon$ is added after the
    bias correction of $\sqrt{v_t}$, outside the square root. AMSGrad keeps the
    maximum of the *uncorrected* $v_t$ and then divides it by the current
    $\sqrt{1-\beta_2^t}$.

    Examples:
        ```python
        import torch
        from dlref.optim import Adam

        torch.manual_seed(0)
        start, target = torch.randn(5), torch.randn(5)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        settings = {"lr": 0.1, "weight_decay": 0.01, "amsgrad": True}
        optimizers = Adam([ours], **settings), torch.optim.Adam([theirs], **settings)
        for _ in range(10):
            for p, opt in zip((ours, theirs), optimizers):
                opt.zero_grad()
                ((p - target) ** 4).sum().backward()
                opt.step()
        print(ours.detach())
        torch.testing.assert_close(ours, theirs)  # the same updates as torch.optim
        ```
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,  # default 1e-3, as in torch.optim.Adam
        betas: tuple[float, float] = (0.9, 0.999),  # (beta1, beta2): decay of m_t and v_t
        eps: float = 1e-8,  # added to the bias-corrected sqrt(v_t)
        weight_decay: float = 0,  # 0: no decay; Adam couples it into g_t (an L2 penalty)
        amsgrad: bool = False,  # False: plain Adam, no running max of v_t
        *,
        maximize: bool = False,  # False: minimize the objective
        decoupled_weight_decay: bool = False,  # True turns Adam into AdamW
    ) -> None:
        beta1, beta2 = betas
        _check("lr", lr)
        _check("eps", eps)
        _check("betas[0]", beta1, below=1.0)
        _check("betas[1]", beta2, below=1.0)
        _check("weight_decay", weight_decay)
        defaults = {
            "lr": lr,
            "betas": (beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], float]) -> float: ...
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Take one step; ``closure`` (optional) re-computes and returns the loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, wd, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
            for p, g in _grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                if wd != 0 and group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)  # AdamW: shrink the weights, leave g_t alone
                elif wd != 0:
                    g = g.add(p, alpha=wd)  # Adam: L2 penalty, goes through m_t and v_t
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(g, 1 - beta1)  # beta1 * m + (1 - beta1) * g
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if group["amsgrad"]:
                    v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                bias_correction1 = 1 - beta1**t
                bias_correction2 = 1 - beta2**t
                denom = (v.sqrt() / bias_correction2**0.5).add_(group["eps"])
                p.addcdiv_(m, denom, value=-lr / bias_correction1)
        return loss


class AdamW(Adam):
    r"""AdamW: Adam with *decoupled* weight decay.

    Same update as ``Adam`` with ``decoupled_weight_decay=True``: before the moments
    are updated, the weights shrink as

    $$
    \theta_{t-1} \leftarrow (1 - \gamma\lambda)\, \theta_{t-1}
    $$

    and $g_t$ carries no $\lambda\theta$ term, so the decay is not rescaled by
    $\sqrt{\hat v_t}$. The shrink factor uses the learning rate $\gamma$
    (Loshchilov & Hutter decouple it from the learning rate, keeping only the schedule
    multiplier), and the default $\lambda$ is ``1e-2``, not 0.

    Examples:
        ```python
        import torch
        from dlref.optim import AdamW

        torch.manual_seed(0)
        start, target = torch.randn(5), torch.randn(5)
        ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
        settings = {"lr": 0.1, "weight_decay": 0.1}
        optimizers = AdamW([ours], **settings), torch.optim.AdamW([theirs], **settings)
        for _ in range(10):
            for p, opt in zip((ours, theirs), optimizers):
                opt.zero_grad()
                ((p - target) ** 4).sum().backward()
                opt.step()
        print(ours.detach())
        torch.testing.assert_close(ours, theirs)  # the same updates as torch.optim
        ```
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,  # default 1e-3, as in torch.optim.AdamW
        betas: tuple[float, float] = (0.9, 0.999),  # (beta1, beta2): decay of m_t and v_t
        eps: float = 1e-8,  # added to the bias-corrected sqrt(v_t)
        weight_decay: float = 1e-2,  # 1e-2, unlike Adam's 0: each step multiplies by 1 - lr*wd
        amsgrad: bool = False,  # False: plain AdamW, no running max of v_t
        *,
        maximize: bool = False,  # False: minimize the objective
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


def scalar_trajectory(
    optimizer: Callable[..., Optimizer],
    grads: Iterable[float],
    start: float = 0.0,
    **hyper: Any,
) -> list[float]:
    r"""The value of one scalar parameter after each of the given gradients.

    A float64 parameter $\theta_0$ = ``start`` is handed to ``optimizer([p], **hyper)``
    (any ``torch.optim``-style class, ``torch.optim.Adam`` as well as ``dlref.optim.Adam``).
    For each $g_t$ in ``grads``, in order, ``p.grad`` is set to $g_t$ and ``step()`` is
    called once; no loss is involved, so the gradients can be chosen by hand to
    probe one detail of an update rule. Returns $[\theta_1, \dots, \theta_T]$.

    Examples:
        ```python
        import torch
        from dlref.optim import scalar_trajectory

        values = scalar_trajectory(torch.optim.SGD, [1.0, 1.0], lr=0.1)
        print(values)
        assert values == [-0.1, -0.2]  # theta_t = theta_{t-1} - lr * g_t
        # Adam's first step is lr whatever the gradient's size
        first = scalar_trajectory(torch.optim.Adam, [1e3], start=1.0, lr=0.01)[0]
        assert abs((1.0 - first) - 0.01) < 1e-6
        ```
    """
    p = torch.tensor([start], dtype=torch.float64, requires_grad=True)
    opt = optimizer([p], **hyper)
    values: list[float] = []
    for g in grads:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        values.append(p.item())
    return values


def signature_defaults(cls: Callable[..., Any], names: Sequence[str]) -> dict[str, Any]:
    """The default values of ``cls``'s arguments called ``names``, read from its signature.

    The dictionary follows the order of ``names``; a name that ``cls`` does not take
    is left out, so one list of names serves several optimizers. Reading the
    signature (not an instance's ``defaults``) shows what a caller gets by omitting
    the argument.

    Examples:
        ```python
        import torch
        from dlref.optim import SGD, signature_defaults

        names = ["lr", "momentum", "betas", "weight_decay"]
        print(signature_defaults(torch.optim.Adam, names))
        assert signature_defaults(torch.optim.SGD, names) == {
            "lr": 1e-3, "momentum": 0, "weight_decay": 0
        }
        assert signature_defaults(SGD, names) == signature_defaults(torch.optim.SGD, names)
        ```
    """
    parameters = inspect.signature(cls).parameters
    return {k: parameters[k].default for k in names if k in parameters}


def final_parameters(
    model: nn.Module,
    optimizer: Callable[..., Optimizer],
    x: Tensor,
    y: Tensor,
    *,
    steps: int,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.mse_loss,
    **hyper: Any,
) -> Tensor:
    """The parameters, as one vector, of a copy of ``model`` trained for ``steps`` full-batch steps.

    The copy (``copy.deepcopy``; ``model`` itself is left untouched) is trained with
    ``optimizer(copy.parameters(), **hyper)``: each step is ``zero_grad``, the loss
    ``loss_fn(copy(x), y)``, ``backward`` and ``step``. The trained parameters come
    back detached and concatenated in the order of ``parameters()``, so two
    optimizers run from the same start can be compared entry by entry.

    Examples:
        ```python
        import torch
        from torch import nn
        from dlref.optim import SGD, final_parameters

        torch.manual_seed(0)
        model = nn.Linear(3, 1).double()
        x, y = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64)
        before = nn.utils.parameters_to_vector(model.parameters()).detach()
        ours = final_parameters(model, SGD, x, y, steps=20, lr=0.1, momentum=0.9)
        theirs = final_parameters(model, torch.optim.SGD, x, y, steps=20, lr=0.1, momentum=0.9)
        print((ours - before).abs().min().item())
        torch.testing.assert_close(ours, theirs)  # dlref.optim.SGD takes torch's steps
        assert (ours - before).abs().min() > 0  # and the copies did move
        torch.testing.assert_close(nn.utils.parameters_to_vector(model.parameters()), before)
        ```
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    trained = copy.deepcopy(model)
    opt = optimizer(trained.parameters(), **hyper)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(trained(x), y).backward()
        opt.step()
    return nn.utils.parameters_to_vector(trained.parameters()).detach()
