"""Elementwise primitives: arithmetic, powers, transcendental functions, rounding, clamps, selection.

Each VJP line states d(out)/d(input) times the incoming gradient ``g``; broadcasting is undone and
dtypes restored centrally by the engine, never here.
"""
import math

import numpy as np

from .._dtype import bool_
from ._prim import prim

# x * y: x is read only by y's gradient and y only by x's
_CROSS = {0: (1,), 1: (0,)}

# ---- arithmetic ---------------------------------------------------------------------------------
add = prim("AddBackward0", lambda xp, x, y: xp.add(x, y), lambda g, out, x, y: g, lambda g, out, x, y: g)
add_scaled = prim("AddBackward0", lambda xp, x, y, alpha: xp.add(x, xp.multiply(y, alpha)),
                  lambda g, out, x, y, alpha: g, lambda g, out, x, y, alpha: g * alpha)
sub = prim("SubBackward0", lambda xp, x, y: xp.subtract(x, y), lambda g, out, x, y: g, lambda g, out, x, y: -g)
sub_scaled = prim("SubBackward0", lambda xp, x, y, alpha: xp.subtract(x, xp.multiply(y, alpha)),
                  lambda g, out, x, y, alpha: g, lambda g, out, x, y, alpha: g * (-alpha))
# torch.rsub(x, y, alpha): y - alpha * x; the Python-scalar form (2 - x) is RsubBackward1 with one edge
rsub = prim("RsubBackward0", lambda xp, x, y, alpha: xp.subtract(y, xp.multiply(x, alpha) if alpha != 1 else x),
            lambda g, out, x, y, alpha: -g * alpha if alpha != 1 else -g, lambda g, out, x, y, alpha: g)
rsub_scalar = prim("RsubBackward1", lambda xp, x, y: xp.subtract(y, x), lambda g, out, x, y: -g)
mul = prim("MulBackward0", lambda xp, x, y: xp.multiply(x, y),
           lambda g, out, x, y: g * y, lambda g, out, x, y: g * x, save="xy",
           save_for=_CROSS)


def scalar_edge(g, out, *args, **params):
    """The VJP slot of a Python-scalar operand: never called, but torch lists the edge (as None)."""
    return None


# a Python-scalar operand: only the scalar is saved (as torch saves `other`), so later in-place writes to x do
# not invalidate the node, while a second backward still finds the node freed, as in torch
mul_scalar = prim("MulBackward0", lambda xp, x, y: xp.multiply(x, y), lambda g, out, x, y: g * y, scalar_edge,
                  save="y")
div_scalar = prim("DivBackward0", lambda xp, x, y: xp.true_divide(x, y), lambda g, out, x, y: g / y, scalar_edge,
                  promote="float", save="y")
div = prim("DivBackward0", lambda xp, x, y: xp.true_divide(x, y),
           lambda g, out, x, y: g / y, lambda g, out, x, y: -g * x / (y * y), save="xy", promote="float",
           save_for={0: (1,)})
neg = prim("NegBackward0", lambda xp, x: xp.negative(x), lambda g, out, x: -g)
reciprocal = prim("ReciprocalBackward0", lambda xp, x: xp.reciprocal(x), lambda g, out, x: -g * out * out,
                  save_out=True, promote="float")
pow_scalar = prim("PowBackward0", lambda xp, x, y: xp.power(x, y),
                  lambda g, out, x, y: g * 0.0 if y == 0 else g * y * x.pow(y - 1), save="x")
pow_tensor = prim("PowBackward1", lambda xp, x, y: xp.power(x, y),
                  lambda g, out, x, y: g * y * x.pow(y - 1),
                  lambda g, out, x, y: g * out * x.log().masked_fill((x == 0) & (y >= 0), 0.0),
                  save="xy", save_out=True)
rpow = prim("PowBackward2", lambda xp, x, y: xp.power(y, x),
            lambda g, out, x, y: g * out * math.log(y) if y != 0 else g * 0.0, save_out=True)
abs_ = prim("AbsBackward0", lambda xp, x: xp.abs(x), lambda g, out, x: g * x.sign(), save="x")


def not_implemented(aten_name):
    """The VJP of an op torch records as ``NotImplemented``: backward raises torch's error."""
    def vjp(g, out, *args, **params):
        raise RuntimeError(f"derivative for aten::{aten_name} is not implemented")
    return vjp


# d/dy (x mod y) = -floor(x / y); torch names the scalar-divisor form ...Backward0, the tensor form ...Backward1
remainder = prim("RemainderBackward1", lambda xp, x, y: xp.remainder(x, y),
                 lambda g, out, x, y: g, lambda g, out, x, y: -g * (x / y).floor(), save="xy")
remainder_scalar = prim("RemainderBackward0", lambda xp, x, y: xp.remainder(x, y), lambda g, out, x, y: g)
rremainder = prim("torch::autograd::NotImplemented", lambda xp, x, y: xp.remainder(y, x),
                  not_implemented("remainder"), promote="same")
fmod = prim("FmodBackward1", lambda xp, x, y: xp.fmod(x, y),
            lambda g, out, x, y: g, lambda g, out, x, y: -g * (x / y).trunc(), save="xy")
fmod_scalar = prim("FmodBackward0", lambda xp, x, y: xp.fmod(x, y), lambda g, out, x, y: g)
# numpy's floor_divide is Python's floor division (via fmod), which torch's div_floor also computes
floor_divide = prim("torch::autograd::NotImplemented", lambda xp, x, y: xp.floor_divide(x, y),
                    not_implemented("floor_divide"), not_implemented("floor_divide"))
rfloor_divide = prim("torch::autograd::NotImplemented", lambda xp, x, y: xp.floor_divide(y, x),
                     not_implemented("floor_divide"))


def _div_trunc(xp, x, y):
    if x.dtype.kind in "fc":
        return xp.trunc(xp.true_divide(x, y))
    # integers: floor division rounded toward zero, exact for all of int64
    q = xp.floor_divide(x, y)
    return q + ((xp.remainder(x, y) != 0) & ((x < 0) != (y < 0)))


# rounded division is piecewise constant: zero gradient for both inputs
div_floor = prim("DivBackward2", lambda xp, x, y: xp.floor_divide(x, y), lambda g, out, x, y: g * 0,
                 lambda g, out, x, y: g * 0)
div_trunc = prim("DivBackward2", _div_trunc, lambda g, out, x, y: g * 0, lambda g, out, x, y: g * 0)

# ---- exponentials and logarithms ---------------------------------------------------------------
exp = prim("ExpBackward0", lambda xp, x: xp.exp(x), lambda g, out, x: g * out, save_out=True, promote="float")
exp2 = prim("Exp2Backward0", lambda xp, x: xp.exp2(x), lambda g, out, x: g * out * math.log(2.0),
            save_out=True, promote="float")
expm1 = prim("Expm1Backward0", lambda xp, x: xp.expm1(x), lambda g, out, x: g * (out + 1), save_out=True,
             promote="float")
log = prim("LogBackward0", lambda xp, x: xp.log(x), lambda g, out, x: g / x, save="x", promote="float")
log2 = prim("Log2Backward0", lambda xp, x: xp.log2(x), lambda g, out, x: g / (x * math.log(2.0)), save="x",
            promote="float")
log10 = prim("Log10Backward0", lambda xp, x: xp.log10(x), lambda g, out, x: g / (x * math.log(10.0)),
             save="x", promote="float")
log1p = prim("Log1PBackward0", lambda xp, x: xp.log1p(x), lambda g, out, x: g / (x + 1), save="x",
             promote="float")
sqrt = prim("SqrtBackward0", lambda xp, x: xp.sqrt(x), lambda g, out, x: g / (2 * out), save_out=True,
            promote="float")
rsqrt = prim("RsqrtBackward0", lambda xp, x: 1 / xp.sqrt(x), lambda g, out, x: -0.5 * g * out.pow(3),
             save_out=True, promote="float")

# ---- trigonometric and hyperbolic --------------------------------------------------------------
sin = prim("SinBackward0", lambda xp, x: xp.sin(x), lambda g, out, x: g * x.cos(), save="x", promote="float")
cos = prim("CosBackward0", lambda xp, x: xp.cos(x), lambda g, out, x: -g * x.sin(), save="x", promote="float")
tan = prim("TanBackward0", lambda xp, x: xp.tan(x), lambda g, out, x: g * (1 + out * out), save_out=True,
           promote="float")
asin = prim("AsinBackward0", lambda xp, x: xp.arcsin(x), lambda g, out, x: g * (1 - x * x).rsqrt(), save="x",
            promote="float")
acos = prim("AcosBackward0", lambda xp, x: xp.arccos(x), lambda g, out, x: -g * (1 - x * x).rsqrt(), save="x",
            promote="float")
atan = prim("AtanBackward0", lambda xp, x: xp.arctan(x), lambda g, out, x: g / (1 + x * x), save="x",
            promote="float")
atan2 = prim("Atan2Backward0", lambda xp, x, y: xp.arctan2(x, y),
             lambda g, out, x, y: g * y / (x * x + y * y), lambda g, out, x, y: -g * x / (x * x + y * y),
             save="xy", promote="float")
sinh = prim("SinhBackward0", lambda xp, x: xp.sinh(x), lambda g, out, x: g * x.cosh(), save="x", promote="float")
cosh = prim("CoshBackward0", lambda xp, x: xp.cosh(x), lambda g, out, x: g * x.sinh(), save="x", promote="float")
# d/dx tanh(x) = 1 - tanh(x)^2: reuse out
tanh = prim("TanhBackward0", lambda xp, x: xp.tanh(x), lambda g, out, x: g * (1 - out * out), save_out=True,
            promote="float")


def _sigmoid(xp, x):
    # 1 / (1 + e^-x) overflows for very negative x; the tanh form is exact and stable. Half precision is
    # computed in float32 and rounded once, as torch's CPU kernels do.
    if x.dtype == np.float16:
        return _sigmoid(xp, x.astype(np.float32)).astype(np.float16)
    return (xp.tanh(x * 0.5) + 1) * 0.5


sigmoid = prim("SigmoidBackward0", _sigmoid, lambda g, out, x: g * out * (1 - out), save_out=True,
               promote="float")
_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erf_np(xp, x, fn):
    return xp.asarray(fn(x)).astype(x.dtype) if x.size else x.copy()


erf = prim("ErfBackward0", lambda xp, x: _erf_np(xp, x, _erf),
           lambda g, out, x: g * (2 / math.sqrt(math.pi)) * (-x * x).exp(), save="x", promote="float")
erfc = prim("ErfcBackward0", lambda xp, x: _erf_np(xp, x, _erfc),
            lambda g, out, x: -g * (2 / math.sqrt(math.pi)) * (-x * x).exp(), save="x", promote="float")

# ---- rounding: piecewise constant, so the gradient is zero ------------------------------------
floor = prim("FloorBackward0", lambda xp, x: xp.floor(x) if x.dtype.kind in "fc" else x.copy(),
             lambda g, out, x: g * 0)
ceil = prim("CeilBackward0", lambda xp, x: xp.ceil(x) if x.dtype.kind in "fc" else x.copy(),
            lambda g, out, x: g * 0)
trunc = prim("TruncBackward0", lambda xp, x: xp.trunc(x) if x.dtype.kind in "fc" else x.copy(),
             lambda g, out, x: g * 0)
round_ = prim("RoundBackward0", lambda xp, x: xp.round(x) if x.dtype.kind in "fc" else x.copy(),
              lambda g, out, x: g * 0)
round_decimals = prim("RoundBackward1", lambda xp, x, decimals: xp.round(x, decimals),
                      lambda g, out, x, decimals: g * 0)
sign = prim("SignBackward0", lambda xp, x: xp.sign(x) if x.dtype != np.bool_ else x.copy(),
            lambda g, out, x: g * 0)
sgn = prim("SgnBackward0", lambda xp, x: xp.sign(x) if x.dtype != np.bool_ else x.copy(), lambda g, out, x: g * 0)
frac = prim("FracBackward0", lambda xp, x: x - xp.trunc(x), lambda g, out, x: g)

# ---- clamps, max/min, selection --------------------------------------------------------------
relu = prim("ReluBackward0", lambda xp, x: xp.maximum(x, 0), lambda g, out, x: g * (out > 0), save_out=True)


def _clamp(xp, x, lo, hi):
    if lo is not None:
        x = xp.maximum(x, lo)
    if hi is not None:
        x = xp.minimum(x, hi)
    return x


def _clamp_mask(x, lo, hi):
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        m = x <= hi
        mask = m if mask is None else mask & m
    return mask


clamp = prim("ClampBackward1", lambda xp, x, lo, hi: _clamp(xp, x, lo, hi),
             lambda g, out, x, lo, hi: g * _clamp_mask(x, lo, hi), save="x")
clamp_min = prim("ClampMinBackward0", lambda xp, x, lo: xp.maximum(x, lo), lambda g, out, x, lo: g * (x >= lo),
                 save="x")
clamp_max = prim("ClampMaxBackward0", lambda xp, x, hi: xp.minimum(x, hi), lambda g, out, x, hi: g * (x <= hi),
                 save="x")


def _clamp_lo_grad(g, x, lo, hi):
    # the lower bound is active where x < lo, unless the bounds cross (then the result is hi)
    return g * (x < lo) if hi is None else g * ((x < lo) & (lo < hi))


def _clamp_hi_grad(g, x, lo, hi):
    # the upper bound is active where x > hi, and everywhere when the bounds cross
    return g * (x > hi) if lo is None else g * ((x > hi) | (hi < lo))


clamp_tensor = prim("ClampBackward0", lambda xp, x, lo, hi: _clamp(xp, x, lo, hi),
                    lambda g, out, x, lo, hi: g * _clamp_mask(x, lo, hi),
                    lambda g, out, x, lo, hi: _clamp_lo_grad(g, x, lo, hi),
                    lambda g, out, x, lo, hi: _clamp_hi_grad(g, x, lo, hi), save="xyz")


def _split_ties(g, x, y, x_wins):
    # where x == y the gradient is shared equally, as torch does for maximum/minimum
    return (g * x_wins + g * 0.5 * (x == y))


maximum = prim("MaximumBackward0", lambda xp, x, y: xp.maximum(x, y),
               lambda g, out, x, y: _split_ties(g, x, y, x > y), lambda g, out, x, y: _split_ties(g, y, x, y > x),
               save="xy")
minimum = prim("MinimumBackward0", lambda xp, x, y: xp.minimum(x, y),
               lambda g, out, x, y: _split_ties(g, x, y, x < y), lambda g, out, x, y: _split_ties(g, y, x, y < x),
               save="xy")
fmax = prim("FmaxBackward0", lambda xp, x, y: xp.fmax(x, y),
            lambda g, out, x, y: g * ((x >= y) | y.isnan()), lambda g, out, x, y: g * (~((x >= y) | y.isnan())),
            save="xy")
fmin = prim("FminBackward0", lambda xp, x, y: xp.fmin(x, y),
            lambda g, out, x, y: g * ((x <= y) | y.isnan()), lambda g, out, x, y: g * (~((x <= y) | y.isnan())),
            save="xy")
where = prim("WhereBackward0", lambda xp, c, x, y: xp.where(c, x, y), None,
             lambda g, out, c, x, y: g * c, lambda g, out, c, x, y: g * (~c), save="x", promote=None)
lerp = prim("LerpBackward0", lambda xp, x, y, w: x + w * (y - x),
            lambda g, out, x, y, w: g * (1 - w), lambda g, out, x, y, w: g * w, save="z")
lerp_tensor = prim("LerpBackward1", lambda xp, x, y, w: x + w * (y - x),
                   lambda g, out, x, y, w: g * (1 - w), lambda g, out, x, y, w: g * w,
                   lambda g, out, x, y, w: g * (y - x), save="xyz")
hypot = prim("HypotBackward0", lambda xp, x, y: xp.hypot(x, y),
             lambda g, out, x, y: g * x / out, lambda g, out, x, y: g * y / out, save="xy", save_out=True,
             save_for={0: (0,), 1: (1,)},
             promote="float")
nan_to_num = prim("NanToNumBackward0",
                  lambda xp, x, nan, posinf, neginf: xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf),
                  lambda g, out, x, nan, posinf, neginf: g * x.isfinite(), save="x")

# d(x + v * y * z): g, g * v * z, g * v * y;  d(x + v * y / z): g, g * v / z, -g * v * y / z^2
addcmul = prim("AddcmulBackward0", lambda xp, x, y, z, value: x + value * (y * z) if value != 1 else x + y * z,
               lambda g, out, x, y, z, value: g, lambda g, out, x, y, z, value: g * z * value,
               lambda g, out, x, y, z, value: g * y * value, save="yz")
addcdiv = prim("AddcdivBackward0", lambda xp, x, y, z, value: x + value * (y / z) if value != 1 else x + y / z,
               lambda g, out, x, y, z, value: g, lambda g, out, x, y, z, value: g * value / z,
               lambda g, out, x, y, z, value: -g * value * y / (z * z), save="yz")

# ---- copies and casts ----------------------------------------------------------------------------
clone = prim("CloneBackward0", lambda xp, x: x.copy(), lambda g, out, x: g, promote=None)
to_copy = prim("ToCopyBackward0", lambda xp, x, dtype: x.astype(dtype.np), lambda g, out, x, dtype: g,
               promote=None)
copy_from = prim("torch::autograd::CopyBackwards",
                 lambda xp, x, src: xp.broadcast_to(src, x.shape).astype(x.dtype),
                 lambda g, out, x, src: g * 0, lambda g, out, x, src: g, promote=None)
# in-place fills (torch's fill_ with a number, with a 0-d tensor, and zero_)
fill = prim("FillBackward2", lambda xp, x, value: xp.full_like(x, value), lambda g, out, x, value: g * 0,
            promote=None)
fill_tensor = prim("FillBackward3", lambda xp, x, v: xp.full_like(x, v), lambda g, out, x, v: g * 0,
                   lambda g, out, x, v: g.sum(), promote=None)
zero = prim("ZeroBackward0", lambda xp, x: xp.zeros_like(x), lambda g, out, x: g * 0, promote=None)


# ---- comparisons and logic (not differentiable) -------------------------------------------------
def _cmp(name, fn):
    return prim(name, fn, out_dtype=bool_)


eq = _cmp("EqBackward0", lambda xp, x, y: xp.equal(x, y))
ne = _cmp("NeBackward0", lambda xp, x, y: xp.not_equal(x, y))
lt = _cmp("LtBackward0", lambda xp, x, y: xp.less(x, y))
le = _cmp("LeBackward0", lambda xp, x, y: xp.less_equal(x, y))
gt = _cmp("GtBackward0", lambda xp, x, y: xp.greater(x, y))
ge = _cmp("GeBackward0", lambda xp, x, y: xp.greater_equal(x, y))
logical_and = _cmp("LogicalAnd", lambda xp, x, y: xp.logical_and(x, y))
logical_or = _cmp("LogicalOr", lambda xp, x, y: xp.logical_or(x, y))
logical_xor = _cmp("LogicalXor", lambda xp, x, y: xp.logical_xor(x, y))
logical_not = prim("LogicalNot", lambda xp, x: xp.logical_not(x), out_dtype=bool_, promote=None)
isnan = prim("IsNan", lambda xp, x: xp.isnan(x), out_dtype=bool_, promote=None)
isinf = prim("IsInf", lambda xp, x: xp.isinf(x), out_dtype=bool_, promote=None)
isfinite = prim("IsFinite", lambda xp, x: xp.isfinite(x), out_dtype=bool_, promote=None)
bitwise_and = prim("BitwiseAnd", lambda xp, x, y: xp.bitwise_and(x, y))
bitwise_or = prim("BitwiseOr", lambda xp, x, y: xp.bitwise_or(x, y))
bitwise_xor = prim("BitwiseXor", lambda xp, x, y: xp.bitwise_xor(x, y))
bitwise_not = prim("BitwiseNot", lambda xp, x: xp.invert(x), promote=None)
