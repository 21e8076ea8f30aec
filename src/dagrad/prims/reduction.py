"""Reduction primitives: sum, mean, prod, var/std, norms, logsumexp, cumulative ops, value selection.

Reductions return ``g`` reshaped to the input's rank (``kshape``: the output shape with kept dims);
the engine expands it back to the input's shape.
"""
import numpy as np

from ._prim import prim


def _kept(g, kshape):
    """``g`` with the reduced dims restored as size 1 (``kshape`` None: a full reduction, ``g`` is 0-d)."""
    return g if kshape is None or g._data.shape == kshape else g.reshape(kshape)


sum_all = prim("SumBackward0", lambda xp, x, dtype: xp.sum(x, dtype=dtype), lambda g, out, x, dtype: g,
               promote=None)
sum_dim = prim("SumBackward1", lambda xp, x, dims, keepdim, kshape, dtype: xp.sum(x, axis=dims, keepdims=keepdim,
                                                                                   dtype=dtype),
               lambda g, out, x, dims, keepdim, kshape, dtype: _kept(g, kshape), promote=None)
# NaNs are skipped by the forward and receive no gradient
nansum = prim("NansumBackward0", lambda xp, x, dims, keepdim, kshape, dtype: xp.nansum(
    x, axis=dims, keepdims=keepdim, dtype=dtype),
    lambda g, out, x, dims, keepdim, kshape, dtype: (g if kshape is None else _kept(g, kshape)) * ~x.isnan(),
    save="x", promote=None)
mean_all = prim("MeanBackward0", lambda xp, x, n: xp.mean(x), lambda g, out, x, n: g / n)
mean_dim = prim("MeanBackward1", lambda xp, x, dims, keepdim, kshape, n: xp.mean(x, axis=dims, keepdims=keepdim),
                lambda g, out, x, dims, keepdim, kshape, n: _kept(g, kshape) / n)


def _prod_grad(g, out, x, dims, kshape):
    """d prod / d x_i = product of the other elements (computed without dividing when x has zeros)."""
    outk = _kept(out, kshape) if dims is not None else out
    gk = _kept(g, kshape) if dims is not None else g
    if not (x._data == 0).any():
        return gk * outk / x
    from .._tensor import _make
    arr = x._data
    axes = tuple(range(arr.ndim)) if dims is None else dims
    others = np.ones_like(arr)
    flat = np.moveaxis(arr, axes, tuple(range(arr.ndim - len(axes), arr.ndim)))
    lead = flat.shape[:arr.ndim - len(axes)]
    flat2 = flat.reshape(lead + (-1,))
    left = np.cumprod(np.concatenate([np.ones(lead + (1,), arr.dtype), flat2[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([np.ones(lead + (1,), arr.dtype), flat2[..., :0:-1]], -1), -1)[..., ::-1]
    others = np.moveaxis((left * right).reshape(flat.shape), tuple(range(arr.ndim - len(axes), arr.ndim)), axes)
    return gk * _make(np.ascontiguousarray(others), x._dtype)


prod_all = prim("ProdBackward0", lambda xp, x: xp.prod(x), lambda g, out, x: _prod_grad(g, out, x, None, None),
                save="x", save_out=True)
prod_dim = prim("ProdBackward1", lambda xp, x, dims, keepdim, kshape: xp.prod(x, axis=dims, keepdims=keepdim),
                lambda g, out, x, dims, keepdim, kshape: _prod_grad(g, out, x, dims, kshape), save="x", save_out=True)


def _var(xp, x, dims, correction, keepdim):
    # numpy's ddof is torch's correction; n <= correction gives nan/inf as in torch
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.var(x, axis=dims, keepdims=keepdim, ddof=correction)


def _var_grad(g, x, dims, correction, kshape):
    n = x._data.size if dims is None else int(np.prod([x._data.shape[d] for d in dims]))
    mean = x.mean(dims, keepdim=True) if dims is not None else x.mean()
    # n == correction divides by zero: torch's result is inf * 0 = nan (or inf)
    scale = 2.0 / (n - correction) if n != correction else float("inf")
    return _kept(g, kshape) * scale * (x - mean)


std = prim("StdBackward0", lambda xp, x, dims, correction, keepdim, kshape: xp.sqrt(_var(xp, x, dims, correction,
                                                                                        keepdim)),
           lambda g, out, x, dims, correction, keepdim, kshape: _var_grad(g / (2 * out), x, dims, correction, kshape),
           save="x", save_out=True)
var = prim("VarBackward0", lambda xp, x, dims, correction, keepdim, kshape: _var(xp, x, dims, correction, keepdim),
           lambda g, out, x, dims, correction, keepdim, kshape: _var_grad(g, x, dims, correction, kshape), save="x")


def _norm(xp, x, p, dims, keepdim, kshape):
    a = xp.abs(x)
    if p == float("inf"):
        return xp.max(a, axis=dims, keepdims=keepdim)
    if p == float("-inf"):
        return xp.min(a, axis=dims, keepdims=keepdim)
    if p == 0:
        return xp.sum(a != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
    if p == 2:
        return xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
    if p == 1:
        return xp.sum(a, axis=dims, keepdims=keepdim)
    return xp.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)


def _norm_grad(g, out, x, p, dims, keepdim, kshape):
    gk, ok = (g, out) if kshape is None else (_kept(g, kshape), _kept(out, kshape))
    if p == 0:
        return None  # torch leaves the gradient undefined: .grad stays None
    if p == 1:
        return gk * x.sgn() if x.is_complex() else gk * x.sign()
    if p in (float("inf"), float("-inf")):
        mask = (x.abs() == ok)
        return gk * x.sign() * mask / mask.sum(dims, keepdim=True) if dims is not None else \
            gk * x.sign() * mask / mask.sum()
    if p == 2:
        # x / ||x||, defined as 0 where the norm is 0 (torch's convention)
        return (gk * x / ok).masked_fill(ok == 0, 0.0)
    return (gk * x * x.abs().pow(p - 2) / ok.pow(p - 1)).masked_fill(ok == 0, 0.0)


norm = prim("LinalgVectorNormBackward0", _norm, lambda g, out, x, p, dims, keepdim, kshape: _norm_grad(
    g, out, x, p, dims, keepdim, kshape), save="x", save_out=True, promote="float")


def _logsumexp(xp, x, dims, keepdim, kshape):
    m = xp.max(x, axis=dims, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
    m = xp.where(xp.isfinite(m), m, 0)
    r = xp.log(xp.sum(xp.exp(x - m), axis=dims, keepdims=True)) + m
    return r if keepdim else xp.squeeze(r, axis=dims)


logsumexp = prim("LogsumexpBackward0", _logsumexp,
                 lambda g, out, x, dims, keepdim, kshape: _kept(g, kshape) * (x - _kept(out, kshape)).exp(),
                 save="x", save_out=True, promote="float")


def _cumsum_fwd(xp, x, dim, dtype):
    # numpy flattens a 0-d input to shape (1,); torch keeps it 0-d
    return xp.cumsum(x, axis=dim, dtype=dtype).reshape(x.shape)


cumsum = prim("CumsumBackward0", _cumsum_fwd,
              lambda g, out, x, dim, dtype: g if dim is None else _revcumsum(g, dim), promote=None)


def _revcumsum(t, dim):
    return t.flip(dim).cumsum(dim).flip(dim)


def _cumprod_grad(g, out, x, dim):
    """d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i.

    Without zeros that is out_j / x_i. Along a line whose first zero is at z: positions before z still use the
    division (later outputs are zero either way), position z sees the cumprod with x_z replaced by 1, and
    positions after z get nothing (x_z is in every product).
    """
    if dim is None:  # 0-d input: out = x
        return g
    zero = x == 0
    if not zero._data.any():
        return _revcumsum(g * out, dim) / x
    seen = zero.cumsum(dim)
    before = seen == 0
    first = zero & (seen == 1)
    grad_before = _revcumsum(g * out, dim) / x.masked_fill(~before, 1.0)
    grad_first = _revcumsum(g * x.masked_fill(first, 1.0).cumprod(dim), dim)
    return grad_before.masked_fill(~before, 0.0) + grad_first.masked_fill(~first, 0.0)


cumprod = prim("CumprodBackward0", lambda xp, x, dim: xp.cumprod(x, axis=dim).reshape(x.shape),
               lambda g, out, x, dim: _cumprod_grad(g, out, x, dim), save="x", save_out=True)


def _spread(g, out, x, dims, kshape, nan_ties=False):
    """amax/amin/max()/median(): the gradient is shared evenly among the elements equal to the result (for the
    full max/min/median, a NaN result shares it among the NaNs; amax/amin give NaN there, as torch does)."""
    ok, gk = (_kept(out, kshape), _kept(g, kshape)) if dims is not None else (out, g)
    mask = x == ok
    if nan_ties:
        mask = mask | (x.isnan() & ok.isnan())
    count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
    return gk * mask / count


amax = prim("AmaxBackward0", lambda xp, x, dims, keepdim, kshape: xp.amax(x, axis=dims, keepdims=keepdim),
            lambda g, out, x, dims, keepdim, kshape: _spread(g, out, x, dims, kshape), save="x", save_out=True)
amin = prim("AminBackward0", lambda xp, x, dims, keepdim, kshape: xp.amin(x, axis=dims, keepdims=keepdim),
            lambda g, out, x, dims, keepdim, kshape: _spread(g, out, x, dims, kshape), save="x", save_out=True)
max_all = prim("MaxBackward1", lambda xp, x: xp.max(x), lambda g, out, x: _spread(g, out, x, None, None, True),
               save="x", save_out=True)
min_all = prim("MinBackward1", lambda xp, x: xp.min(x), lambda g, out, x: _spread(g, out, x, None, None, True),
               save="x", save_out=True)


def _median_all(xp, x):
    # the lower of the two middle values; NaN when there is one
    flat = x.reshape(-1)
    if flat.dtype.kind == "f" and xp.isnan(flat).any():
        return xp.asarray(xp.nan, dtype=x.dtype)
    return xp.sort(flat)[(flat.size - 1) // 2]


median_all = prim("MedianBackward0", _median_all, lambda g, out, x: _spread(g, out, x, None, None, True),
                  save="x", save_out=True)


def _take_along(xp, x, index, dim, keepdim):
    r = xp.take_along_axis(x, index, axis=dim)
    return r if keepdim else xp.squeeze(r, axis=dim)


def _put_along(g, index, dim, keepdim, shape):
    from .._dtype import int64
    from .._tensor import _make
    from ..ops.creation import zeros
    gk = g if keepdim else g.unsqueeze(dim)
    return zeros(shape, dtype=g.dtype).scatter(dim, _make(index, int64), gk)


# values picked by an index along a dim (max/min/median/sort/topk with dim); named per op by the caller
take_along = prim("GatherBackward0", _take_along,
                  lambda g, out, x, index, dim, keepdim: _put_along(g, index, dim, keepdim, x.shape), save="x")
