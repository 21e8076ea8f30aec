"""torch.nn.functional's activations and the softmax family."""
import warnings

from .._dispatch import apply, apply_
from .._dtype import to_dtype
from ..ops import math as _math
from ..ops._checks import wrap_dim
from ..prims import nn as _P

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _act(prim, input, params=None, inplace=False, inplace_name=None):
    """Apply an activation primitive, in place when asked (torch names some in-place nodes ...Backward1)."""
    if not inplace:
        return apply(prim, (input,), params)
    out = apply_(prim, (input,), params)
    if inplace_name is not None and out.grad_fn is not None and out._base is None:
        out.grad_fn.name_override = inplace_name
    return out


def relu(input, inplace=False):
    """torch.nn.functional.relu."""
    return input.relu_() if inplace else _math.relu(input)


def relu_(input):
    """torch.nn.functional.relu_."""
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """torch.nn.functional.hardtanh: clamp to [min_val, max_val]; the gradient passes strictly inside."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _act(_P.hardtanh, input, {"min_val": min_val, "max_val": max_val}, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """torch.nn.functional.hardtanh_ (in place)."""
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """torch.nn.functional.relu6 (a hardtanh, as torch records it)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """torch.nn.functional.leaky_relu."""
    return _act(_P.leaky_relu, input, {"negative_slope": negative_slope}, inplace, "LeakyReluBackward1")


def leaky_relu_(input, negative_slope=0.01):
    """torch.nn.functional.leaky_relu_ (in place)."""
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    """torch.nn.functional.elu."""
    return _act(_P.elu, input, {"alpha": alpha, "scale": 1.0, "input_scale": 1.0}, inplace, "EluBackward1")


def elu_(input, alpha=1.0):
    """torch.nn.functional.elu_ (in place)."""
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """torch.nn.functional.selu (an elu with torch's fixed alpha and scale)."""
    return _act(_P.elu, input, {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE, "input_scale": 1.0}, inplace,
                "EluBackward1")


def selu_(input):
    """torch.nn.functional.selu_ (in place)."""
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """torch.nn.functional.celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _act(_P.celu, input, {"alpha": alpha, "scale": 1.0, "input_scale": 1.0 / alpha}, inplace,
                "CeluBackward1")


def celu_(input, alpha=1.0):
    """torch.nn.functional.celu_ (in place)."""
    return celu(input, alpha, True)


def gelu(input, approximate="none"):
    """torch.nn.functional.gelu (exact erf form, or the tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(_P.gelu, (input,), {"approximate": approximate})


def silu(input, inplace=False):
    """torch.nn.functional.silu: x * sigmoid(x)."""
    return _act(_P.silu, input, None, inplace)


def mish(input, inplace=False):
    """torch.nn.functional.mish: x * tanh(softplus(x))."""
    return _act(_P.mish, input, None, inplace)


def hardswish(input, inplace=False):
    """torch.nn.functional.hardswish."""
    return _act(_P.hardswish, input, None, inplace)


def hardsigmoid(input, inplace=False):
    """torch.nn.functional.hardsigmoid."""
    return _act(_P.hardsigmoid, input, None, inplace)


def sigmoid(input):
    """torch.nn.functional.sigmoid."""
    return _math.sigmoid(input)


def tanh(input):
    """torch.nn.functional.tanh."""
    return _math.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """torch.nn.functional.softplus: log(1 + exp(beta x)) / beta, linear above the threshold."""
    return apply(_P.softplus, (input,), {"beta": beta, "threshold": threshold})


def logsigmoid(input):
    """torch.nn.functional.logsigmoid (stable for large |x|)."""
    return apply(_P.logsigmoid, (input,))


def softsign(input):
    """torch.nn.functional.softsign: x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """torch.nn.functional.tanhshrink: x - tanh(x)."""
    return input - input.tanh()


def _check_lambd(input, lambd):
    if lambd < 0:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{scalar_type_name(input.dtype)}, but found {lambd:g}")


def softshrink(input, lambd=0.5):
    """torch.nn.functional.softshrink."""
    _check_lambd(input, lambd)
    return apply(_P.softshrink, (input,), {"lambd": lambd})


def hardshrink(input, lambd=0.5):
    """torch.nn.functional.hardshrink."""
    return apply(_P.hardshrink, (input,), {"lambd": lambd})


def threshold(input, threshold, value, inplace=False):
    """torch.nn.functional.threshold: x where x > threshold, else value."""
    return _act(_P.threshold, input, {"threshold": threshold, "value": value}, inplace, "ThresholdBackward1")


def threshold_(input, threshold, value):
    """torch.nn.functional.threshold_ (in place)."""
    return _act(_P.threshold, input, {"threshold": threshold, "value": value}, True, "ThresholdBackward1")


def glu(input, dim=-1):
    """torch.nn.functional.glu: a * sigmoid(b) for the two halves along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    return apply(_P.glu, (input,), {"dim": d})


def prelu(input, weight):
    """torch.nn.functional.prelu: one learnable slope, or one per channel (dim 1)."""
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    return apply(_P.prelu, (input, weight.reshape(-1) if weight.dim() != 1 else weight))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """torch.nn.functional.rrelu: random negative slopes in [lower, upper] when training, their mean otherwise."""
    if not training:
        out = leaky_relu(input, (lower + upper) / 2, inplace)
    else:
        from ..ops.creation import empty_like
        noise = empty_like(input).uniform_(lower, upper)
        noise = noise.masked_fill(input.detach() > 0, 1.0)
        out = input.mul_(noise) if inplace else input * noise
    if out.grad_fn is not None and out._base is None:
        out.grad_fn.name_override = "RreluWithNoiseBackward1" if inplace else "RreluWithNoiseBackward0"
    return out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """torch.nn.functional.rrelu_ (in place)."""
    return rrelu(input, lower, upper, training, True)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(prim, input, dim, dtype, name, stacklevel):
    if dim is None:
        dim = _softmax_dim(name, input.dim(), stacklevel + 1)
    if dtype is not None:
        input = input.to(to_dtype(dtype))
    return apply(prim, (input,), {"dim": wrap_dim(dim, input.ndim) if input.ndim else None})


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmax."""
    return _softmax_like(_P.softmax, input, dim, dtype, "softmax", _stacklevel)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.log_softmax (stable: the max is subtracted first)."""
    return _softmax_like(_P.log_softmax, input, dim, dtype, "log_softmax", _stacklevel)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmin: softmax(-x)."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel + 1)
    if dtype is not None:
        input = input.to(to_dtype(dtype))
    return _softmax_like(_P.softmax, -input, dim, None, "softmin", _stacklevel)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """torch.nn.functional.gumbel_softmax (straight-through one-hot when hard)."""
    from ..ops.creation import empty_like, zeros_like
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
