"""Neural-network primitives: activations, losses, normalisations and embedding.

Each is a primitive because its composite form would be unstable (log_softmax, logsigmoid, the logits losses),
markedly slower (one numpy pass instead of several graph nodes), or would lose the node name torch shows
(``LeakyReluBackward0``, ``NllLossBackward0``, ``NativeBatchNormBackward0``...). VJPs are written in dagrad ops
(Tensor methods), so higher derivatives work.
"""
import math

import numpy as np

from ._prim import prim
from .elementwise import _erf_np, _erfc


def _apply(p, args, params=None):
    from .._dispatch import apply
    return apply(p, args, params)


def _const(arr, like):
    """A constant tensor (no history) holding ``arr`` in ``like``'s dtype."""
    from .._tensor import _make
    return _make(np.asarray(arr, dtype=like._data.dtype), like._dtype)


# ---- softmax family ----------------------------------------------------------------------------------
def _log_softmax(xp, x, dim):
    m = xp.max(x, axis=dim, keepdims=True) if x.size else 0
    s = x - m
    return s - xp.log(xp.sum(xp.exp(s), axis=dim, keepdims=True))


def _softmax(xp, x, dim):
    m = xp.max(x, axis=dim, keepdims=True) if x.size else 0
    e = xp.exp(x - m)
    return e / xp.sum(e, axis=dim, keepdims=True)


# d log_softmax: g - softmax * sum(g)
log_softmax = prim("LogSoftmaxBackward0", _log_softmax,
                   lambda g, out, x, dim: g - out.exp() * g.sum(dim, keepdim=True), save_out=True, promote="float")
# d softmax: out * (g - sum(g * out))
softmax = prim("SoftmaxBackward0", _softmax,
               lambda g, out, x, dim: out * (g - (g * out).sum(dim, keepdim=True)), save_out=True, promote="float")


# ---- activations -------------------------------------------------------------------------------------
def _act(name, fwd, vjp, save="x"):
    return prim(name, fwd, vjp, save=save, promote="float")


leaky_relu = _act("LeakyReluBackward0", lambda xp, x, negative_slope: xp.where(x > 0, x, x * negative_slope),
                  lambda g, out, x, negative_slope: g.where(x > 0, g * negative_slope))


def _elu(xp, x, alpha, scale, input_scale):
    neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
    return xp.where(x > 0, x * scale, neg)


def _elu_grad(g, out, x, alpha, scale, input_scale):
    # d/dx alpha*scale*(exp(x*s) - 1) = alpha*scale*s*exp(x*s); exp of min(x, 0) keeps double backward finite
    return (g * scale).where(x > 0, g * (x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale))


elu = _act("EluBackward0", _elu, _elu_grad)
# torch's celu backward rounds alpha to float before taking 1/alpha; follow it so gradients agree to the last bit
celu = _act("CeluBackward0", _elu, lambda g, out, x, alpha, scale, input_scale: _elu_grad(
    g, out, x, alpha, scale, 1.0 / float(np.float32(alpha))))
_SQRT_HALF = math.sqrt(0.5)
_GELU_K = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erfc_fast(z):
    """erfc for float32/float16 arrays: Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7."""
    a = np.abs(z)
    t = 1 / (1 + 0.5 * a)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(poly - a * a)
    return np.where(z >= 0, r, 2 - r).astype(z.dtype)


def _phi(xp, x):
    """The standard normal CDF 0.5 * erfc(-x / sqrt 2): exact (libm) in float64, fast to float precision otherwise."""
    z = -x * _SQRT_HALF
    return 0.5 * (_erf_np(xp, z, _erfc) if x.dtype == np.float64 else _erfc_fast(z))


def _gelu(xp, x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(_GELU_K * (x + 0.044715 * x * x * x)))
    return x * _phi(xp, x)


def _gelu_backward(xp, g, x):
    # d/dx x*Phi(x) = Phi(x) + x*phi(x)
    return g * (_phi(xp, x) + x * xp.exp(-0.5 * x * x) * _INV_SQRT_2PI)


# d^2/dx^2 x*Phi(x) = phi(x) * (2 - x^2)
gelu_backward = prim("GeluBackwardBackward0", _gelu_backward,
                     lambda gg, out, g, x: _apply(gelu_backward, (gg, x)),
                     lambda gg, out, g, x: gg * g * (-0.5 * x * x).exp() * (2 - x * x) * _INV_SQRT_2PI,
                     save="xy", promote="float")


def _gelu_grad(g, out, x, approximate):
    if approximate == "tanh":
        t = ((x + 0.044715 * x * x * x) * _GELU_K).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_GELU_K * (1 + 3 * 0.044715 * x * x)))
    return _apply(gelu_backward, (g, x))


gelu = _act("GeluBackward0", _gelu, _gelu_grad)


def _sigmoid_np(x):
    return (np.tanh(x * 0.5) + 1) * 0.5


def _silu_grad(g, out, x):
    s = x.sigmoid()
    return g * s * (1 + x * (1 - s))


silu = _act("SiluBackward0", lambda xp, x: x * _sigmoid_np(x), _silu_grad)


def _softplus(xp, x, beta, threshold):
    with np.errstate(over="ignore"):
        return xp.where(x * beta > threshold, x, xp.log1p(xp.exp(x * beta)) / beta)


softplus = _act("SoftplusBackward0", _softplus,
                lambda g, out, x, beta, threshold: g.where(x * beta > threshold, g * (x * beta).sigmoid()))


def _mish_grad(g, out, x):
    t = _apply(softplus, (x,), {"beta": 1, "threshold": 20}).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


mish = _act("MishBackward0", lambda xp, x: x * xp.tanh(_softplus(xp, x, 1, 20)), _mish_grad)
# log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): never overflows
logsigmoid = _act("LogSigmoidBackward0", lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x))),
                  lambda g, out, x: g * (-x).sigmoid())
hardtanh = _act("HardtanhBackward0", lambda xp, x, min_val, max_val: xp.minimum(xp.maximum(x, min_val), max_val),
                lambda g, out, x, min_val, max_val: g * ((x > min_val) & (x < max_val)))
hardswish = _act("HardswishBackward0", lambda xp, x: x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6,
                 lambda g, out, x: g.where(x >= 3, g * (x / 3 + 0.5)).where(x > -3, 0.0))
# torch multiplies by 1/6 rounded to float, whatever the dtype
_SIXTH = float(np.float32(1.0) / np.float32(6.0))
hardsigmoid = _act("HardsigmoidBackward0", lambda xp, x: xp.minimum(xp.maximum(x + 3, 0), 6) / 6,
                   lambda g, out, x: (g * _SIXTH) * ((x > -3) & (x < 3)))
threshold = prim("ThresholdBackward0", lambda xp, x, threshold, value: xp.where(x > threshold, x, value).astype(
    x.dtype), lambda g, out, x, threshold, value: g * (x > threshold), save="x")
softshrink = _act("SoftshrinkBackward0",
                  lambda xp, x, lambd: xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(
                      x.dtype), lambda g, out, x, lambd: g * (x.abs() > lambd))
hardshrink = _act("HardshrinkBackward0", lambda xp, x, lambd: xp.where(xp.abs(x) > lambd, x, 0).astype(x.dtype),
                  lambda g, out, x, lambd: g * (x.abs() > lambd))


def _glu(xp, x, dim):
    a, b = xp.split(x, 2, axis=dim)
    return a * _sigmoid_np(b)


def _glu_grad(g, out, x, dim):
    from ..ops.shape import cat
    h = x.shape[dim] // 2
    a, sb = x.narrow(dim, 0, h), x.narrow(dim, h, h).sigmoid()
    return cat([g * sb, g * a * sb * (1 - sb)], dim)


glu = _act("GluBackward0", _glu, _glu_grad)


def _channel_view(w, ndim):
    """prelu's weight as a (1, C, 1, ...) view against an ndim input (one weight broadcasts everywhere)."""
    if w.shape[0] == 1 or ndim < 2:
        return w.reshape(())
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def _prelu_w_grad(g, x, w):
    gw = (g * x).where(x <= 0, 0.0)
    if w.numel() == 1:
        return gw.sum().reshape(w.shape)
    return gw.sum((0,) + tuple(range(2, x.dim())))


prelu = prim("PreluKernelBackward0", lambda xp, x, w: xp.where(x > 0, x, _channel_view(w, x.ndim) * x),
             lambda g, out, x, w: g.where(x > 0, g * _channel_view(w, x.dim())),
             lambda g, out, x, w: _prelu_w_grad(g, x, w), save="xy")


# ---- losses --------------------------------------------------------------------------------------------
def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _scaled(g, x, reduction):
    """The incoming gradient with the mean's 1/n folded in."""
    return g / x.numel() if reduction == "mean" else g


def _mse(xp, x, y, reduction):
    d = x - y
    return _reduce(d * d, reduction)


def _mse_grad(g, x, y, reduction, sign):
    scale = 2.0 / x.numel() if reduction == "mean" else 2.0
    return (x - y) * (g * (scale * sign))


mse_loss = prim("MseLossBackward0", _mse,
                lambda g, out, x, y, reduction: _mse_grad(g, x, y, reduction, 1.0),
                lambda g, out, x, y, reduction: _mse_grad(g, x, y, reduction, -1.0), save="xy")


def _smooth_l1(xp, x, y, reduction, beta):
    z = xp.abs(x - y)
    return _reduce(xp.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


def _smooth_l1_grad(g, x, y, reduction, beta):
    d = x - y
    return _scaled(g, x, reduction) * (d / beta).where(d.abs() < beta, d.sign())


smooth_l1_loss = prim("SmoothL1LossBackward0", _smooth_l1,
                      lambda g, out, x, y, reduction, beta: _smooth_l1_grad(g, x, y, reduction, beta),
                      lambda g, out, x, y, reduction, beta: -_smooth_l1_grad(g, x, y, reduction, beta), save="xy")


def _huber(xp, x, y, reduction, delta):
    z = xp.abs(x - y)
    return _reduce(xp.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def _huber_grad(g, x, y, reduction, delta):
    d = x - y
    return _scaled(g, x, reduction) * d.where(d.abs() < delta, d.sign() * delta)


huber_loss = prim("HuberLossBackward0", _huber,
                  lambda g, out, x, y, reduction, delta: _huber_grad(g, x, y, reduction, delta),
                  lambda g, out, x, y, reduction, delta: -_huber_grad(g, x, y, reduction, delta), save="xy")
# log(1 + exp(-y x)); d/dx = -y sigmoid(-y x)
soft_margin_loss = prim(
    "SoftMarginLossBackward0", lambda xp, x, y, reduction: _reduce(xp.logaddexp(0, -y * x), reduction),
    lambda g, out, x, y, reduction: _scaled(g, x, reduction) * -y * (-y * x).sigmoid(),
    lambda g, out, x, y, reduction: _scaled(g, x, reduction) * -x * (-y * x).sigmoid(), save="xy")


def _bce(xp, x, y, w, reduction):
    with np.errstate(divide="ignore"):
        # torch clamps each log at -100 so that x = 0 or 1 gives a finite loss
        loss = (y - 1) * xp.maximum(xp.log1p(-x), -100) - y * xp.maximum(xp.log(x), -100)
    return _reduce(loss if w is None else loss * w, reduction)


def _bce_x(g, out, x, y, w, reduction):
    gx = _scaled(g, x, reduction) * (x - y) / ((1 - x) * x).clamp(min=1e-12)
    return gx if w is None else gx * w


def _bce_y(g, out, x, y, w, reduction):
    gy = _scaled(g, x, reduction) * ((1 - x).log() - x.log())
    return gy if w is None else gy * w


def _bce_w(g, out, x, y, w, reduction):
    return _scaled(g, x, reduction) * _apply(binary_cross_entropy, (x, y, None), {"reduction": "none"})


binary_cross_entropy = prim("BinaryCrossEntropyBackward0", _bce, _bce_x, _bce_y, _bce_w, save="xyz")


def _bce_logits(xp, x, y, w, pw, reduction):
    log_sig = xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))
    loss = (1 - y) * x - (log_sig if pw is None else ((pw - 1) * y + 1) * log_sig)
    return _reduce(loss if w is None else loss * w, reduction)


def _weighted(gl, x, w, reduction, g):
    gl = _scaled(g, x, reduction) * gl
    return gl if w is None else gl * w


def _bcel_x(g, out, x, y, w, pw, reduction):
    # d/dx [(1 - y) x - lw log sigmoid(x)] = lw sigmoid(x) - pw y, with lw = 1 + (pw - 1) y
    gl = x.sigmoid() - y if pw is None else ((pw - 1) * y + 1) * x.sigmoid() - pw * y
    return _weighted(gl, x, w, reduction, g)


def _bcel_y(g, out, x, y, w, pw, reduction):
    gl = -x if pw is None else -x - (pw - 1) * _apply(logsigmoid, (x,))
    return _weighted(gl, x, w, reduction, g)


def _bcel_w(g, out, x, y, w, pw, reduction):
    return _scaled(g, x, reduction) * _apply(binary_cross_entropy_with_logits, (x, y, None, pw),
                                             {"reduction": "none"})


def _bcel_pw(g, out, x, y, w, pw, reduction):
    return _weighted(-y * _apply(logsigmoid, (x,)), x, w, reduction, g)


binary_cross_entropy_with_logits = prim("BinaryCrossEntropyWithLogitsBackward0", _bce_logits, _bcel_x, _bcel_y,
                                        _bcel_w, _bcel_pw, save="xyzw")


def _nll_parts(target, weight, ignore_index):
    """Per-element class weight (0 where ignored) and the target with ignored entries made safe to index."""
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    wt = (weight[safe] if weight is not None else np.ones(target.shape, np.float64)) * keep
    return safe, wt


def _nll(xp, x, target, weight, ignore_index, reduction):
    safe, wt = _nll_parts(target, weight, ignore_index)
    wt = wt.astype(x.dtype)
    if x.ndim == 1:
        picked = x[safe]
    else:
        picked = np.take_along_axis(x, np.expand_dims(safe, 1), 1).squeeze(1)
    loss = -picked * wt
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / wt.sum()


def _nll_grad(g, out, x, target, weight, ignore_index, reduction):
    """-w[t] / total_weight at each target class, zero elsewhere: a constant coefficient times g."""
    safe, wt = _nll_parts(target, weight, ignore_index)
    if reduction == "mean":
        # with every target ignored torch's gradient is zero, not 0/0
        wt = np.divide(wt, wt.sum(), out=np.zeros_like(wt), where=wt != 0)
    coef = np.zeros(x.shape, x._data.dtype)
    if x.dim() == 1:
        coef[safe] = -wt
    else:
        np.put_along_axis(coef, np.expand_dims(safe, 1), np.expand_dims(-wt, 1), 1)
    gb = g.unsqueeze(1) if reduction == "none" and x.dim() > 1 else g
    return gb * _const(coef, x)


nll_loss = prim("NllLossBackward0", _nll, _nll_grad, save="x")
nll_loss2d = prim("NllLoss2DBackward0", _nll, _nll_grad, save="x")


# ---- normalisation -------------------------------------------------------------------------------------
def _standardize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes`` in dagrad ops, and the 1/std factor."""
    istd = (x.var(axes, correction=0, keepdim=True) + eps).rsqrt()
    return (x - x.mean(axes, keepdim=True)) * istd, istd


def _standardize_grad(gxh, xh, istd, axes):
    # pull back through xh = (x - mean) * istd: istd * (gxh - mean(gxh) - xh * mean(gxh * xh))
    return istd * (gxh - gxh.mean(axes, keepdim=True) - xh * (gxh * xh).mean(axes, keepdim=True))


def _bn_shape(ndim):
    return (1, -1) + (1,) * (ndim - 2)


def _affine(xp, xh, w, b, shape):
    if w is not None:
        xh = xh * (w.reshape(shape) if shape else w)
    if b is not None:
        xh = xh + (b.reshape(shape) if shape else b)
    return xh


def _batch_norm(xp, x, w, b, mean, invstd, training, axes, eps):
    shape = _bn_shape(x.ndim)
    return _affine(xp, (x - mean.reshape(shape)) * invstd.reshape(shape), w, b, shape)


def _bn_xhat(x, mean, invstd, training, axes, eps):
    if training:
        return _standardize(x, axes, eps)
    shape = _bn_shape(x.dim())
    istd = _const(invstd.reshape(shape), x)
    return (x - _const(mean.reshape(shape), x)) * istd, istd


def _bn_x(g, out, x, w, b, mean, invstd, training, axes, eps):
    gxh = g if w is None else g * w.reshape(_bn_shape(x.dim()))
    xh, istd = _bn_xhat(x, mean, invstd, training, axes, eps)
    return _standardize_grad(gxh, xh, istd, axes) if training else gxh * istd


batch_norm = prim("NativeBatchNormBackward0", _batch_norm, _bn_x,
                  lambda g, out, x, w, b, mean, invstd, training, axes, eps: (
                      g * _bn_xhat(x, mean, invstd, training, axes, eps)[0]).sum(axes),
                  lambda g, out, x, w, b, mean, invstd, training, axes, eps: g.sum(axes),
                  save="xy", promote=None)


def _layer_norm(xp, x, w, b, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return _affine(xp, (x - mean) / xp.sqrt(var + eps), w, b, None)


def _lead(x, axes):
    return tuple(range(x.dim() - len(axes)))


def _ln_x(g, out, x, w, b, axes, eps):
    xh, istd = _standardize(x, axes, eps)
    return _standardize_grad(g if w is None else g * w, xh, istd, axes)


layer_norm = prim("NativeLayerNormBackward0", _layer_norm, _ln_x,
                  lambda g, out, x, w, b, axes, eps: (g * _standardize(x, axes, eps)[0]).sum(_lead(x, axes)),
                  lambda g, out, x, w, b, axes, eps: g.sum(_lead(x, axes)), save="xy", promote=None)


def _group_norm(xp, x, w, b, groups, eps):
    xr = x.reshape(x.shape[0], groups, -1)
    xh = ((xr - xr.mean(axis=2, keepdims=True)) / xp.sqrt(xr.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    return _affine(xp, xh, w, b, _bn_shape(x.ndim))


def _gn_xhat(x, groups, eps):
    xh, istd = _standardize(x.reshape(x.shape[0], groups, -1), (2,), eps)
    return xh, istd


def _gn_x(g, out, x, w, b, groups, eps):
    gxh = g if w is None else g * w.reshape(_bn_shape(x.dim()))
    xh, istd = _gn_xhat(x, groups, eps)
    return _standardize_grad(gxh.reshape(xh.shape), xh, istd, (2,)).reshape(x.shape)


def _channel_axes(x):
    return (0,) + tuple(range(2, x.dim()))


group_norm = prim("NativeGroupNormBackward0", _group_norm, _gn_x,
                  lambda g, out, x, w, b, groups, eps: (g * _gn_xhat(x, groups, eps)[0].reshape(x.shape)).sum(
                      _channel_axes(x)),
                  lambda g, out, x, w, b, groups, eps: g.sum(_channel_axes(x)), save="xy", promote=None)


# ---- embedding -------------------------------------------------------------------------------------------
def _row_scale(indices, padding_idx, scale_grad_by_freq, num_weights):
    """Per-index factor on the gradient rows: 0 for padding_idx, 1/count with scale_grad_by_freq."""
    scale = np.ones(indices.shape)
    if scale_grad_by_freq:
        scale /= np.bincount(indices.ravel(), minlength=num_weights)[indices]
    if padding_idx is not None:
        scale[indices == padding_idx] = 0
    return scale


def _embedding_backward(xp, g, indices, padding_idx, scale_grad_by_freq, num_weights):
    from .conv import _scatter_add_axis
    rows = g.reshape(indices.size, -1)
    scale = _row_scale(indices, padding_idx, scale_grad_by_freq, num_weights).reshape(-1, 1)
    if padding_idx is not None or scale_grad_by_freq:
        rows = rows * scale.astype(g.dtype)
    out = np.zeros((num_weights, rows.shape[1]), g.dtype)
    if indices.size:
        _scatter_add_axis(out, indices.ravel(), rows, 0)
    return out.reshape((num_weights,) + g.shape[indices.ndim:])


def _embedding_backward_vjp(gg, out, g, indices, padding_idx, scale_grad_by_freq, num_weights):
    from .._dtype import int64
    from .._tensor import _make
    # torch's embedding_dense_double_backward masks padding_idx but ignores scale_grad_by_freq: follow it
    scale = _row_scale(indices, padding_idx, False, num_weights)
    rows = gg.index_select(0, _make(indices.reshape(-1).astype(np.int64), int64))
    rows = rows.reshape(indices.shape + tuple(gg.shape[1:]))
    return rows * _const(scale.reshape(indices.shape + (1,) * (gg.dim() - 1)), gg)


embedding_backward = prim("EmbeddingBackwardBackward0", _embedding_backward, _embedding_backward_vjp,
                          promote=None)
embedding = prim("EmbeddingBackward0",
                 lambda xp, w, indices, padding_idx, scale_grad_by_freq, num_weights: xp.take(w, indices, axis=0),
                 lambda g, out, w, **p: _apply(embedding_backward, (g,), p), promote=None)
