"""Elementwise functions (torch.add, torch.exp, torch.clamp, torch.where, ...) routed to the primitives."""
import numbers

import numpy as np

from .._dispatch import apply, common_dtype
from .._dtype import bool_, get_default_dtype
from .._tensor import Tensor, _make
from ..prims import elementwise as P

_Number = numbers.Number


def _t(x):
    """Python scalars pass through (weak dtype); lists and arrays become tensors."""
    if isinstance(x, (Tensor, _Number)) or x is None:
        return x
    from .creation import tensor
    return tensor(x)


def add(input, other, *, alpha=1, out=None):
    """torch.add: input + alpha * other."""
    if alpha == 1:
        return apply(P.add, (input, _t(other)))
    return apply(P.add_scaled, (input, _t(other)), {"alpha": alpha})


def sub(input, other, *, alpha=1, out=None):
    """torch.sub: input - alpha * other."""
    if isinstance(input, Tensor) and input._dtype is bool_:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha == 1:
        return apply(P.sub, (input, _t(other)))
    return apply(P.sub_scaled, (input, _t(other)), {"alpha": alpha})


subtract = sub


def rsub(input, other, *, alpha=1):
    """torch.rsub: other - alpha * input."""
    return apply(P.rsub, (input * alpha if alpha != 1 else input, other))


def mul(input, other, *, out=None):
    """torch.mul."""
    if isinstance(input, _Number):
        input, other = other, input
    return apply(P.mul, (input, _t(other)))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """torch.div: true division, or rounded with rounding_mode 'trunc' / 'floor'."""
    if isinstance(input, _Number):
        return apply(P.mul, (reciprocal(other), input))
    r = apply(P.div, (input, _t(other)))
    if rounding_mode is None:
        return r
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    dt = common_dtype((input, other))
    rounded = r.trunc() if rounding_mode == "trunc" else r.floor()
    if dt._kind < 2:
        if rounding_mode == "floor":
            return apply(P.floor_divide, (input, _t(other)))
        rounded = rounded.to(dt)
    return rounded


divide = true_divide = div


def floor_divide(input, other):
    """torch.floor_divide."""
    return apply(P.floor_divide, (input, _t(other)))


def remainder(input, other):
    """torch.remainder (sign of the divisor, like Python's %)."""
    if isinstance(input, _Number):
        from .creation import full_like
        input = full_like(other, input)
    return apply(P.remainder, (input, _t(other)))


def fmod(input, other):
    """torch.fmod (sign of the dividend)."""
    return apply(P.fmod, (input, _t(other)))


def neg(input):
    """torch.neg."""
    if input._dtype is bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(P.neg, (input,))


negative = neg


def pow(input, exponent):
    """torch.pow: tensor ** scalar, scalar ** tensor, tensor ** tensor."""
    if isinstance(input, _Number):
        return apply(P.rpow, (exponent, input))
    if isinstance(exponent, _Number):
        if isinstance(exponent, int) and exponent < 0 and input._dtype._kind < 2:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return apply(P.pow_scalar, (input, exponent))
    return apply(P.pow_tensor, (input, _t(exponent)))


def square(input):
    """torch.square (recorded as PowBackward0, as torch does)."""
    return apply(P.pow_scalar, (input, 2))


def float_power(input, exponent):
    from .._dtype import float64
    return pow(input.to(float64), exponent)


def _unary(p, doc):
    def fn(input, *, out=None):
        return apply(p, (input,))
    fn.__doc__ = doc
    return fn


exp = _unary(P.exp, "torch.exp.")
exp2 = _unary(P.exp2, "torch.exp2.")
expm1 = _unary(P.expm1, "torch.expm1.")
log = _unary(P.log, "torch.log.")
log2 = _unary(P.log2, "torch.log2.")
log10 = _unary(P.log10, "torch.log10.")
log1p = _unary(P.log1p, "torch.log1p.")
sqrt = _unary(P.sqrt, "torch.sqrt.")
rsqrt = _unary(P.rsqrt, "torch.rsqrt.")
sin = _unary(P.sin, "torch.sin.")
cos = _unary(P.cos, "torch.cos.")
tan = _unary(P.tan, "torch.tan.")
asin = arcsin = _unary(P.asin, "torch.asin.")
acos = arccos = _unary(P.acos, "torch.acos.")
atan = arctan = _unary(P.atan, "torch.atan.")
sinh = _unary(P.sinh, "torch.sinh.")
cosh = _unary(P.cosh, "torch.cosh.")
tanh = _unary(P.tanh, "torch.tanh.")
sigmoid = _unary(P.sigmoid, "torch.sigmoid.")
erf = _unary(P.erf, "torch.erf.")
erfc = _unary(P.erfc, "torch.erfc.")
floor = _unary(P.floor, "torch.floor.")
ceil = _unary(P.ceil, "torch.ceil.")
trunc = fix = _unary(P.trunc, "torch.trunc.")
frac = _unary(P.frac, "torch.frac.")
sign = _unary(P.sign, "torch.sign.")
abs = absolute = _unary(P.abs_, "torch.abs.")
relu = _unary(P.relu, "torch.relu.")
reciprocal = _unary(P.reciprocal, "torch.reciprocal.")
isnan = _unary(P.isnan, "torch.isnan.")
isinf = _unary(P.isinf, "torch.isinf.")
isfinite = _unary(P.isfinite, "torch.isfinite.")
logical_not = _unary(P.logical_not, "torch.logical_not.")
bitwise_not = _unary(P.bitwise_not, "torch.bitwise_not.")


def sgn(input):
    return sign(input)


def round(input, *, decimals=0):
    """torch.round (half to even), optionally to ``decimals`` places."""
    if decimals:
        return apply(P.round_decimals, (input,), {"decimals": decimals})
    return apply(P.round_, (input,))


def atan2(input, other):
    """torch.atan2."""
    return apply(P.atan2, (input, _t(other)))


arctan2 = atan2


def hypot(input, other):
    """torch.hypot."""
    return apply(P.hypot, (input, _t(other)))


def _scalar(v):
    return v.item() if isinstance(v, Tensor) and v._data.ndim == 0 and not v._requires_grad else v


def clamp(input, min=None, max=None):
    """torch.clamp (inclusive bounds: the gradient passes where min <= x <= max)."""
    min, max = _scalar(min), _scalar(max)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return apply(P.clamp_tensor, (input, _t(min), _t(max)), None)
    if input._dtype._kind < 2 and (isinstance(min, float) or isinstance(max, float)):
        input = input.to(get_default_dtype())
    return apply(P.clamp, (input,), {"lo": min, "hi": max})


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def maximum(input, other):
    """torch.maximum (ties share the gradient equally)."""
    return apply(P.maximum, (input, other))


def minimum(input, other):
    """torch.minimum."""
    return apply(P.minimum, (input, other))


def fmax(input, other):
    return apply(P.fmax, (input, other))


def fmin(input, other):
    return apply(P.fmin, (input, other))


def where(condition, input=None, other=None):
    """torch.where(cond, x, y); torch.where(cond) gives the indices like nonzero(as_tuple=True)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if condition._dtype is not bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition._dtype.name.capitalize()}")
    dt = common_dtype((input, other))
    x = input.to(dt) if isinstance(input, Tensor) and input._dtype is not dt else input
    y = other.to(dt) if isinstance(other, Tensor) and other._dtype is not dt else other
    if not isinstance(x, Tensor):
        x = _make(np.array(x, dtype=dt.np), dt)
    if not isinstance(y, Tensor):
        y = _make(np.array(y, dtype=dt.np), dt)
    return apply(P.where, (condition, x, y))


def lerp(input, end, weight):
    """torch.lerp: input + weight * (end - input)."""
    if isinstance(weight, Tensor):
        return apply(P.lerp_tensor, (input, end, weight))
    return apply(P.lerp, (input, end, weight))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """torch.nan_to_num (infinities go to the dtype's extremes by default)."""
    return apply(P.nan_to_num, (input,), {"nan": nan, "posinf": posinf, "neginf": neginf})


def _binary(p, doc):
    def fn(input, other):
        return apply(p, (input, _t(other)))
    fn.__doc__ = doc
    return fn


eq = _binary(P.eq, "torch.eq.")
ne = not_equal = _binary(P.ne, "torch.ne.")
lt = less = _binary(P.lt, "torch.lt.")
le = less_equal = _binary(P.le, "torch.le.")
gt = greater = _binary(P.gt, "torch.gt.")
ge = greater_equal = _binary(P.ge, "torch.ge.")
logical_and = _binary(P.logical_and, "torch.logical_and.")
logical_or = _binary(P.logical_or, "torch.logical_or.")
logical_xor = _binary(P.logical_xor, "torch.logical_xor.")
bitwise_and = _binary(P.bitwise_and, "torch.bitwise_and.")
bitwise_or = _binary(P.bitwise_or, "torch.bitwise_or.")
bitwise_xor = _binary(P.bitwise_xor, "torch.bitwise_xor.")


def equal(input, other):
    """torch.equal: same shape and same values."""
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """torch.allclose."""
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """torch.isclose."""
    return _make(np.isclose(input._data, other._data if isinstance(other, Tensor) else other, rtol=rtol, atol=atol,
                            equal_nan=equal_nan), bool_)


def clone(input, *, memory_format=None):
    """torch.clone: a copy that stays in the graph (CloneBackward0)."""
    return apply(P.clone, (input,))
