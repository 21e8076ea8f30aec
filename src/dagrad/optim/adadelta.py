"""Adadelta: step sizes from running averages of squared gradients and squared updates (torch.optim.Adadelta)."""
import numpy as np

from .optimizer import Optimizer, _addcmul_sq_, _check_lr, _fix_step_state, _grad_array, _real, _run_closure, _scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """torch.optim.Adadelta: ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``p -= lr * delta``."""

    _numpy_step = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self)

    def step(self, closure=None):
        """torch.optim.Adadelta.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
            for p, state, _ in self._each_param(group, "Adadelta", ("square_avg", "acc_delta")):
                g = _real(_grad_array(p, group["maximize"], weight_decay))
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                sq, ad = _real(square_avg._data), _real(acc_delta._data)
                sq *= rho
                std = _addcmul_sq_(sq, g, 1 - rho)
                np.add(sq, eps, out=std)
                np.sqrt(std, out=std)
                delta = np.add(ad, eps)
                np.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                ad *= rho
                _addcmul_sq_(ad, delta, 1 - rho, std)
                square_avg._version[0] += 1
                acc_delta._version[0] += 1
                param = _real(p._data)
                param += np.multiply(delta, -lr)
                p._version[0] += 1
        return loss
