"""Elementwise functions (torch.add, torch.exp, torch.clamp, torch.where, ...) routed to the primitives."""
import numbers

import numpy as np

from .._dispatch import apply, common_dtype
from .._dtype import bool_, get_default_dtype
from .._tensor import Tensor, _make
from ..prims import elementwise as P

_Number = numbers.Number


def _t(x):
    """Python scalars pass through (weak dtype); numpy scalars become Python ones; lists and arrays become tensors."""
    if isinstance(x, np.generic) and x.ndim == 0:
        return x.item()
    if isinstance(x, (Tensor, _Number)) or x is None:
        return x
    from .creation import tensor
    return tensor(x)


def add(input, other, *, alpha=1, out=None):
    """torch.add: input + alpha * other."""
    other = _t(other)
    if alpha == 1:
        return apply(P.add, (input, other))
    if not isinstance(other, Tensor):
        return apply(P.add, (input, other * alpha))
    return apply(P.add_scaled, (input, other), {"alpha": alpha})


def _no_bool_subtraction(*operands):
    bools = [isinstance(a, bool) or (isinstance(a, Tensor) and a._dtype is bool_) for a in operands]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """torch.sub: input - alpha * other."""
    other = _t(other)
    _no_bool_subtraction(input, other)
    if alpha == 1:
        return apply(P.sub, (input, other))
    if not isinstance(other, Tensor):
        return apply(P.sub, (input, other * alpha))
    return apply(P.sub_scaled, (input, other), {"alpha": alpha})


subtract = sub


def rsub(input, other, *, alpha=1):
    """torch.rsub: other - alpha * input."""
    other = _t(other)
    _no_bool_subtraction(input, other)
    if not isinstance(other, Tensor):
        return apply(P.rsub_scalar, (input * alpha if alpha != 1 else input, other))
    return apply(P.rsub, (input, other), {"alpha": alpha})


def mul(input, other, *, out=None):
    """torch.mul."""
    input, other = _t(input), _t(other)
    if not isinstance(input, Tensor):
        input, other = other, input
    return apply(P.mul if isinstance(other, Tensor) else P.mul_scalar, (input, other))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """torch.div: true division, or rounded with rounding_mode 'trunc' / 'floor'."""
    input, other = _t(input), _t(other)
    if rounding_mode is None:
        if not isinstance(input, Tensor):
            return apply(P.mul_scalar, (reciprocal(other), input))
        return apply(P.div if isinstance(other, Tensor) else P.div_scalar, (input, other))
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    if not isinstance(input, Tensor):
        from .creation import scalar_tensor
        input = scalar_tensor(input, dtype=common_dtype((input,)))
    _check_int_zero_division(input, other)
    # rounded division keeps the promoted dtype (integers stay integers)
    return apply(P.div_floor if rounding_mode == "floor" else P.div_trunc, (input, other))


divide = true_divide = div


def _check_int_zero_division(input, other):
    if common_dtype((input, other))._kind < 2:
        divisor = other._data if isinstance(other, Tensor) else other
        if np.any(np.asarray(divisor) == 0):
            raise RuntimeError("ZeroDivisionError")


def floor_divide(input, other):
    """torch.floor_divide (Python's floor division; torch records no derivative)."""
    input, other = _t(input), _t(other)
    if not isinstance(input, Tensor):
        _check_int_zero_division(other, input)
        return apply(P.rfloor_divide, (other, input))
    _check_int_zero_division(input, other)
    return apply(P.floor_divide, (input, other))


def remainder(input, other):
    """torch.remainder (sign of the divisor, like Python's %)."""
    input, other = _t(input), _t(other)
    if not isinstance(input, Tensor):
        _check_int_zero_division(other, input)
        return apply(P.rremainder, (other, input))
    _check_int_zero_division(input, other)
    return apply(P.remainder if isinstance(other, Tensor) else P.remainder_scalar, (input, other))


def fmod(input, other):
    """torch.fmod (sign of the dividend)."""
    other = _t(other)
    _check_int_zero_division(input, other)
    return apply(P.fmod if isinstance(other, Tensor) else P.fmod_scalar, (input, other))


def neg(input):
    """torch.neg."""
    if input._dtype is bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(P.neg, (input,))


negative = neg


def pow(input, exponent):
    """torch.pow: tensor ** scalar, scalar ** tensor, tensor ** tensor."""
    input, exponent = _t(input), _t(exponent)
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
    """torch.sgn (the sign for real tensors, recorded as SgnBackward0)."""
    return apply(P.sgn, (input,))


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


def _float_bound(input, *bounds):
    """Integer input with a float bound computes in the default float dtype, as torch promotes."""
    if input._dtype._kind < 2 and any(isinstance(b, float) for b in bounds):
        return input.to(get_default_dtype())
    return input


def clamp(input, min=None, max=None):
    """torch.clamp (inclusive bounds: the gradient passes where min <= x <= max)."""
    min, max = _t(min), _t(max)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input._dtype._kind == 3:
        raise NotImplementedError("clamp is not supported for complex types")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if isinstance(min, Tensor) != isinstance(max, Tensor) and min is not None and max is not None:
            from .creation import scalar_tensor
            min, max = (m if isinstance(m, Tensor) else scalar_tensor(m, dtype=common_dtype((m,))) for m in (min, max))
        return apply(P.clamp_tensor, (input, min, max), None)
    return apply(P.clamp, (_float_bound(input, min, max),), {"lo": min, "hi": max})


clip = clamp


def clamp_min(input, min):
    """torch.clamp_min."""
    min = _t(min)
    if isinstance(min, Tensor):
        out = apply(P.clamp_tensor, (input, min, None))
        if out.grad_fn is not None:
            out.grad_fn.name_override = "ClampMinBackward1"
        return out
    return apply(P.clamp_min, (_float_bound(input, min),), {"lo": min})


def clamp_max(input, max):
    """torch.clamp_max."""
    max = _t(max)
    if isinstance(max, Tensor):
        out = apply(P.clamp_tensor, (input, None, max))
        if out.grad_fn is not None:
            out.grad_fn.name_override = "ClampMaxBackward1"
        return out
    return apply(P.clamp_max, (_float_bound(input, max),), {"hi": max})


def _tensor_operands(name, input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    if input._dtype._kind == 3 or other._dtype._kind == 3:
        raise RuntimeError(f"{name} not implemented for complex tensors.")


def maximum(input, other):
    """torch.maximum (ties share the gradient equally)."""
    _tensor_operands("maximum", input, other)
    return apply(P.maximum, (input, other))


def minimum(input, other):
    """torch.minimum."""
    _tensor_operands("minimum", input, other)
    return apply(P.minimum, (input, other))


def fmax(input, other):
    """torch.fmax (NaN-ignoring maximum)."""
    _tensor_operands("fmax", input, other)
    return apply(P.fmax, (input, other))


def fmin(input, other):
    """torch.fmin (NaN-ignoring minimum)."""
    _tensor_operands("fmin", input, other)
    return apply(P.fmin, (input, other))


def where(condition, input=None, other=None):
    """torch.where(cond, x, y); torch.where(cond) gives the indices like nonzero(as_tuple=True)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if condition._dtype is not bool_:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{scalar_type_name(condition._dtype)}")
    from ._checks import broadcast_fold
    broadcast_fold([t._data.shape for t in (condition, input, other) if isinstance(t, Tensor)])
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


def _real_only(kernel, *operands):
    """torch's NotImplementedError for an ordering kernel reached with complex operands."""
    dt = common_dtype(operands)
    if dt._kind == 3:
        from .._dispatch import scalar_type_name
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(dt)}\'')


def _binary(p, doc, kernel=None):
    def fn(input, other):
        other = _t(other)
        if kernel is not None:
            _real_only(kernel, input, other)
        return apply(p, (input, other))
    fn.__doc__ = doc
    return fn


eq = _binary(P.eq, "torch.eq.")
ne = not_equal = _binary(P.ne, "torch.ne.")
lt = less = _binary(P.lt, "torch.lt.", "lt_cpu")
le = less_equal = _binary(P.le, "torch.le.", "le_cpu")
gt = greater = _binary(P.gt, "torch.gt.", "gt_cpu")
ge = greater_equal = _binary(P.ge, "torch.ge.", "ge_cpu")
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
