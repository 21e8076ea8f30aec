"""Adamax: Adam with the infinity norm in place of the second moment (torch.optim.Adamax)."""
import numpy as np

from .adam import _check_betas
from .optimizer import Optimizer, _check_lr, _fix_step_state, _grad_array, _lerp_, _real, _run_closure, _scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torch.optim.Adamax: ``u = max(beta2 * u, |g| + eps)``; ``p -= lr / (1 - beta1^t) * m / u``."""

    _numpy_step = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self)

    def step(self, closure=None):
        """torch.optim.Adamax.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _scalar(group["lr"])
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p, state, step in self._each_param(group, "Adamax", ("exp_avg", "exp_inf")):
                g = _real(_grad_array(p, group["maximize"], weight_decay))
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                m, u = _real(exp_avg._data), _real(exp_inf._data)
                tmp = _lerp_(m, g, 1 - beta1)
                u *= beta2
                np.abs(g, out=tmp)
                tmp += eps
                np.maximum(u, tmp, out=u)
                exp_avg._version[0] += 1
                exp_inf._version[0] += 1
                clr = lr / (1 - beta1 ** step)
                # param.addcdiv_(exp_avg, exp_inf, value=-clr)
                np.multiply(m, -clr, out=tmp)
                tmp /= u
                param = _real(p._data)
                param += tmp
                p._version[0] += 1
        return loss
