"""Adagrad: per-coordinate learning rates from the running sum of squared gradients (torch.optim.Adagrad)."""
import numpy as np

from .._dtype import float32
from .._tensor import _make
from .optimizer import (Optimizer, _bump_step, _check_lr, _check_not_sparse, _fix_step_state,
                        _grad_array, _real, _run_closure, _scalar, _step_tensor)

__all__ = ["Adagrad"]


def _init_state(state, p, initial_accumulator_value, fused):
    state["step"] = _step_tensor(0.0, float32 if fused else None)
    value = complex(initial_accumulator_value, initial_accumulator_value) if p.is_complex() \
        else initial_accumulator_value
    state["sum"] = _make(np.full_like(p._data, value), p._dtype)


class Adagrad(Optimizer):
    """torch.optim.Adagrad: ``s += g^2``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``."""

    _numpy_step = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # torch creates Adagrad's state eagerly, for every parameter
        for group in self.param_groups:
            for p in group["params"]:
                _init_state(self.state[p], p, initial_accumulator_value, group["fused"])

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self, lambda g: float32 if g["fused"] else None)

    def step(self, closure=None):
        """torch.optim.Adagrad.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                _check_not_sparse(p, "Adagrad")
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, self.defaults["initial_accumulator_value"], group["fused"])
                step = _bump_step(state)
                g = _real(_grad_array(p, group["maximize"], weight_decay))
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                s = _real(state_sum._data)
                tmp = np.multiply(g, g)
                s += tmp
                state_sum._version[0] += 1
                std = np.sqrt(s)
                std += eps
                # param.addcdiv_(grad, std, value=-clr) = param + (-clr * grad) / std
                np.multiply(g, -clr, out=tmp)
                tmp /= std
                param = _real(p._data)
                param += tmp
                p._version[0] += 1
        return loss
