"""RMSprop: divide the gradient by a running RMS of its recent magnitudes (torch.optim.RMSprop)."""
import numpy as np

from .optimizer import (Optimizer, _addcmul_sq_, _check_lr, _fix_step_state, _grad_array, _lerp_, _real, _run_closure,
                        _scalar)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop: ``v = alpha * v + (1 - alpha) * g^2``; ``p -= lr * g / (sqrt(v [- mean(g)^2]) + eps)``."""

    _numpy_step = True

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                          "differentiable": False, "capturable": False}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self)

    def step(self, closure=None):
        """torch.optim.RMSprop.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            alpha, eps, momentum, centered = group["alpha"], group["eps"], group["momentum"], group["centered"]
            weight_decay = group["weight_decay"]
            buffers = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + \
                (("grad_avg",) if centered else ())
            for p, state, _ in self._each_param(group, "RMSprop", buffers):
                g = _real(_grad_array(p, group["maximize"], weight_decay))
                param = _real(p._data)
                square_avg = state["square_avg"]
                sq = _real(square_avg._data)
                sq *= alpha
                tmp = _addcmul_sq_(sq, g, 1 - alpha)
                square_avg._version[0] += 1
                if centered:
                    grad_avg = state["grad_avg"]
                    ga = _real(grad_avg._data)
                    _lerp_(ga, g, 1 - alpha, tmp)
                    grad_avg._version[0] += 1
                    # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                    np.multiply(ga, -1, out=tmp)
                    tmp *= ga
                    tmp += sq
                    avg = np.sqrt(tmp, out=tmp)
                else:
                    avg = np.sqrt(sq, out=tmp)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    b = _real(buf._data)
                    b *= momentum
                    b += g / avg
                    buf._version[0] += 1
                    param += np.multiply(b, -lr)
                else:
                    # param.addcdiv_(grad, avg, value=-lr) = param + (-lr * grad) / avg
                    t = np.multiply(g, -lr)
                    t /= avg
                    param += t
                p._version[0] += 1
        return loss
