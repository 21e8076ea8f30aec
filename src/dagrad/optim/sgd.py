"""SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD)."""
import numpy as np

from .._tensor import Tensor, _make
from .optimizer import Optimizer, _grad_array, _run_closure, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD: ``buf = momentum * buf + (1 - dampening) * g``; ``p -= lr * (g + momentum * buf | buf)``."""

    _numpy_step = True

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                          "fused": False}

    def step(self, closure=None):
        """torch.optim.SGD.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            weight_decay = _scalar(group["weight_decay"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_array(p, maximize, weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = _make(np.array(g, copy=True), p._dtype)
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= momentum
                        alpha = 1 - dampening
                        if alpha == 1:
                            b += g
                        else:
                            b += np.multiply(g, alpha)
                        buf._version[0] += 1
                    if nesterov:
                        # grad.add(buf, alpha=momentum) = grad + momentum * buf
                        tmp = np.multiply(buf._data, momentum)
                        tmp += g
                        g = tmp
                    else:
                        g = buf._data
                # param.add_(grad, alpha=-lr) = param + (-lr) * grad
                p._data += np.multiply(g, -lr)
                p._version[0] += 1
        return loss
