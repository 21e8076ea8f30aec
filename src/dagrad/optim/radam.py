"""RAdam: Adam with a rectified adaptive learning rate for the early, high-variance steps (torch.optim.RAdam)."""
import numpy as np

from .adam import _check_betas
from .optimizer import Optimizer, _addcmul_sq_, _check_lr, _fix_step_state, _lerp_, _real, _run_closure, _scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """torch.optim.RAdam: the Adam step scaled by the variance rectification term once rho_t > 5."""

    _numpy_step = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "decoupled_weight_decay": False, "capturable": False}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self)

    def step(self, closure=None):
        """torch.optim.RAdam.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _scalar(group["lr"])
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p, state, step in self._each_param(group, "RAdam", ("exp_avg", "exp_avg_sq")):
                g = p._grad._data
                if group["maximize"]:
                    g = np.negative(g)
                param = p._data
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        tmp = np.multiply(param, weight_decay)
                        tmp += g
                        g = tmp
                g, param = _real(g), _real(param)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m, v = _real(exp_avg._data), _real(exp_avg_sq._data)
                tmp = _lerp_(m, g, 1 - beta1)
                v *= beta2
                _addcmul_sq_(v, g, 1 - beta2, tmp)
                exp_avg._version[0] += 1
                exp_avg_sq._version[0] += 1
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                update = np.divide(m, bias_correction1, out=tmp)
                update *= lr
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    # adaptive lr = sqrt(bc2) / (sqrt(v) + eps), a scalar over a tensor: reciprocal() * scalar
                    adaptive = np.sqrt(v)
                    adaptive += eps
                    np.reciprocal(adaptive, out=adaptive)
                    adaptive *= bias_correction2 ** 0.5
                    update *= adaptive
                    update *= rect
                param -= update
                p._version[0] += 1
        return loss
