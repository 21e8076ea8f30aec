"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (torch.optim.NAdam)."""
import numpy as np

from .._tensor import Tensor
from .adam import _check_betas
from .optimizer import (Optimizer, _addcmul_sq_, _check_lr, _fix_step_state, _lerp_, _real, _run_closure, _scalar,
                        _step_tensor)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """torch.optim.NAdam: ``mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))`` weights the Nesterov step."""

    _numpy_step = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                          "decoupled_weight_decay": False}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self)
        for st in self.state.values():
            if st and "mu_product" in st and not isinstance(st["mu_product"], Tensor):
                st["mu_product"] = _step_tensor(st["mu_product"])

    def step(self, closure=None):
        """torch.optim.NAdam.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _scalar(group["lr"])
            eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
            for p, state, step in self._each_param(group, "NAdam", ("exp_avg", "exp_avg_sq"),
                                                   extra=lambda: {"mu_product": _step_tensor(1.0)}):
                g = p._grad._data
                if group["maximize"]:
                    g = np.negative(g)
                param = p._data
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        tmp = np.multiply(param, weight_decay)
                        tmp += g
                        g = tmp
                g, param = _real(g), _real(param)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                # mu_product is a 0-d tensor of the scalar dtype: the product is rounded to it, as in torch
                mu_product = state["mu_product"]
                mp = mu_product._data
                mp *= mu
                mu_product._version[0] += 1
                mu_product_value = float(mp)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m, v = _real(exp_avg._data), _real(exp_avg_sq._data)
                tmp = _lerp_(m, g, 1 - beta1)
                v *= beta2
                _addcmul_sq_(v, g, 1 - beta2, tmp)
                exp_avg._version[0] += 1
                exp_avg_sq._version[0] += 1
                denom = np.divide(v, bias_correction2)
                np.sqrt(denom, out=denom)
                mu_product_next = mu_product_value * mu_next
                denom += eps
                np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product_value), out=tmp)
                tmp /= denom
                param += tmp
                np.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next), out=tmp)
                tmp /= denom
                param += tmp
                p._version[0] += 1
        return loss
