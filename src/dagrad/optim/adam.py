"""Adam: adaptive moment estimation, with AMSGrad, maximize and (decoupled) weight decay (torch.optim.Adam)."""
import numpy as np

from .._dtype import float32
from .._tensor import Tensor
from .optimizer import Optimizer, _addcmul_sq_, _fix_step_state, _lerp_, _real, _run_closure, _scalar

__all__ = ["Adam"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


class Adam(Optimizer):
    """torch.optim.Adam: ``p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)`` with bias corrections bc1, bc2."""

    _numpy_step = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and "
                                     "foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.reshape(()) if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    # group keys older checkpoints may lack (filled in by Optimizer.__setstate__)
    _setstate_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                          "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    def __setstate__(self, state):
        super().__setstate__(state)
        _fix_step_state(self, lambda g: float32 if g["fused"] else None)

    def step(self, closure=None):
        """torch.optim.Adam.step: one update of every parameter that has a gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (_scalar(b) for b in group["betas"])
            lr = _scalar(group["lr"])
            eps = group["eps"]
            weight_decay = _scalar(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            step_dtype = float32 if group["fused"] else None
            buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
            for p, state, step in self._each_param(group, "Adam", buffers, step_dtype):
                g = p._grad._data
                if maximize:
                    g = np.negative(g)
                param = p._data
                if weight_decay != 0:
                    if decoupled:
                        param *= 1 - lr * weight_decay
                    else:
                        tmp = np.multiply(param, weight_decay)
                        tmp += g
                        g = tmp
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m, v, g, param = _real(exp_avg._data), _real(exp_avg_sq._data), _real(g), _real(param)
                tmp = _lerp_(m, g, 1 - beta1)
                v *= beta2
                _addcmul_sq_(v, g, 1 - beta2, tmp)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]
                    mv = _real(max_sq._data)
                    np.maximum(mv, v, out=mv)
                    max_sq._version[0] += 1
                    denom = np.sqrt(mv)
                else:
                    denom = np.sqrt(v)
                denom /= bias_correction2_sqrt
                denom += eps
                # param.addcdiv_(exp_avg, denom, value=-step_size) = param + (-step_size * exp_avg) / denom
                np.multiply(m, -step_size, out=tmp)
                tmp /= denom
                param += tmp
                exp_avg._version[0] += 1
                exp_avg_sq._version[0] += 1
                p._version[0] += 1
        return loss
