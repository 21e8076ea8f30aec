"""Spatial primitives: convolution, unfold/fold, pooling, padding and resampling (interpolate, adaptive pools).

Convolution reads every kernel window through a strided view (no copy), lays the windows out once as a
(C*K, N*L) matrix and does one matrix product per layer (one per group). Its VJPs are primitives of their own
(input grad: col2im of W^T g, a strided slice-add per kernel offset; weight grad: g @ cols^T), and their VJPs are
convolutions again, so higher derivatives come for free. Pooling and padding reuse the window slicing; resampling
is a per-dim gather with weights whose adjoint is a scatter-add along that dim. Spatial dims are generic: the
same code serves 1-d, 2-d and 3-d.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._prim import prim


def _apply(p, args, params):
    from .._dispatch import apply
    return apply(p, args, params)


def _prod(xs):
    n = 1
    for v in xs:
        n *= v
    return n


def _offsets(ksize):
    return itertools.product(*(range(k) for k in ksize))


def _offset_slices(off, stride, dilation, out_sp):
    """For kernel offset ``off``: the slices of the padded input that every output position reads."""
    return tuple(slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s in zip(off, dilation, out_sp, stride))


def _pad(x, pads, value=0):
    """Pad the trailing len(pads) dims by (lo, hi) pairs with ``value``."""
    if not any(lo or hi for lo, hi in pads):
        return x
    nd = len(pads)
    sp = x.shape[-nd:]
    out = np.full(x.shape[:-nd] + tuple(n + lo + hi for n, (lo, hi) in zip(sp, pads)), value, x.dtype)
    out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(sp, pads))] = x
    return out


def _crop(acc, pads, sp):
    return acc[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(sp, pads))]


def _windows(xpad, ksize, stride, dilation, out_sp):
    """A (..., *k, *o) view: element [..., i, j] is xpad[..., j * stride + i * dilation] (per spatial dim)."""
    nd = len(ksize)
    st = xpad.strides
    sp = st[-nd:]
    shape = xpad.shape[:-nd] + tuple(ksize) + tuple(out_sp)
    strides = st[:-nd] + tuple(a * d for a, d in zip(sp, dilation)) + tuple(a * s for a, s in zip(sp, stride))
    return as_strided(xpad, shape, strides, writeable=False)


def conv_out_size(n, k, stride, pad_lo, pad_hi, dilation):
    return (n + pad_lo + pad_hi - dilation * (k - 1) - 1) // stride + 1


# ---- convolution ---------------------------------------------------------------------------------
def _conv_cols(x, ksize, stride, padding, dilation, out_sp):
    """im2col in (C, *k, N, *o) order: rows are (channel, kernel offset), columns (sample, output position)."""
    win = _windows(_pad(x, padding), ksize, stride, dilation, out_sp)
    nd = len(ksize)
    perm = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    return np.ascontiguousarray(win.transpose(perm))


def _out_sp(in_sp, ksize, stride, padding, dilation):
    return tuple(conv_out_size(n, k, s, lo, hi, d)
                 for n, k, s, (lo, hi), d in zip(in_sp, ksize, stride, padding, dilation))


def _gemm(a, b, groups, ta=False, tb=False):
    """Grouped matrix product of (G, m, k) stacks; a single 2-d BLAS call when there is one group."""
    if ta:
        a = a.transpose(0, 2, 1)
    if tb:
        b = b.transpose(0, 2, 1)
    if groups == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _conv(xp, x, w, b, stride, padding, dilation, groups):
    n = x.shape[0]
    o, ksize = w.shape[0], w.shape[2:]
    out_sp = _out_sp(x.shape[2:], ksize, stride, padding, dilation)
    cols = _conv_cols(x, ksize, stride, padding, dilation, out_sp)
    cols_len = n * _prod(out_sp)
    out = _gemm(w.reshape(groups, o // groups, -1), cols.reshape(groups, -1, cols_len), groups)
    out = out.reshape((o, n) + out_sp)
    if b is not None:
        out += b.reshape((o,) + (1,) * (len(ksize) + 1))
    return np.ascontiguousarray(np.moveaxis(out, 0, 1))


def _col2im_cn(gcols, in_sp, ksize, stride, padding, dilation):
    """Sum (C, *k, N, *o) columns back onto the (N, C, *in) image: one strided slice-add per kernel offset."""
    nd = len(ksize)
    c, n = gcols.shape[0], gcols.shape[1 + nd]
    out_sp = gcols.shape[2 + nd:]
    acc = np.zeros((c, n) + tuple(m + lo + hi for m, (lo, hi) in zip(in_sp, padding)), gcols.dtype)
    lead = (slice(None), slice(None))
    for off in _offsets(ksize):
        acc[lead + _offset_slices(off, stride, dilation, out_sp)] += gcols[(slice(None),) + off]
    return np.ascontiguousarray(np.moveaxis(_crop(acc, padding, in_sp), 0, 1))


def _conv_input_grad(xp, g, w, in_sp, stride, padding, dilation, groups):
    """The adjoint of conv in its input: (N, O, *o) -> (N, C, *in). Also conv_transpose's forward."""
    n, o = g.shape[:2]
    ksize = w.shape[2:]
    cols_len = n * _prod(g.shape[2:])
    g2 = np.moveaxis(g, 1, 0).reshape(groups, o // groups, cols_len)
    gcols = _gemm(w.reshape(groups, o // groups, -1), g2, groups, ta=True)
    gcols = gcols.reshape((w.shape[1] * groups,) + ksize + (n,) + g.shape[2:])
    return _col2im_cn(gcols, in_sp, ksize, stride, padding, dilation)


def _conv_weight_grad(xp, x, g, w_shape, stride, padding, dilation, groups):
    """d<conv(x, W), g>/dW = g @ cols^T, one product per group."""
    n, o = g.shape[:2]
    ksize = w_shape[2:]
    out_sp = g.shape[2:]
    cols_len = n * _prod(out_sp)
    cols = _conv_cols(x, ksize, stride, padding, dilation, out_sp).reshape(groups, -1, cols_len)
    g2 = np.moveaxis(g, 1, 0).reshape(groups, o // groups, cols_len)
    return _gemm(g2, cols, groups, tb=True).reshape(w_shape)


def _sum_channels(g):
    return g.sum((0,) + tuple(range(2, g.dim())))


def _conv_like(x, w, p, like):
    """conv(x, w) cut to ``like``'s spatial size: a transposed conv's output_padding can leave rows that no
    window of the forward covered, so the adjoint conv may produce more positions than its counterpart has."""
    r = _apply(conv, (x, w, None), p)
    if tuple(r.shape[2:]) != tuple(like.shape[2:]):
        r = r[(slice(None), slice(None)) + tuple(slice(0, n) for n in like.shape[2:])]
    return r


conv = prim("ConvolutionBackward0", _conv,
            lambda g, out, x, w, b, **p: _apply(conv_input_grad, (g, w), dict(p, in_sp=x.shape[2:])),
            lambda g, out, x, w, b, **p: _apply(conv_weight_grad, (x, g), dict(p, w_shape=tuple(w.shape))),
            lambda g, out, x, w, b, **p: _sum_channels(g), save="xy", promote=None)
# <gx, v> = <g, conv(v, w)>: so d/dg is conv(gg, w) and d/dw is the weight grad of (gg, g)
conv_input_grad = prim(
    "ConvolutionBackwardBackward0", _conv_input_grad,
    lambda gg, out, g, w, in_sp, **p: _conv_like(gg, w, p, g),
    lambda gg, out, g, w, in_sp, **p: _apply(conv_weight_grad, (gg, g), dict(p, w_shape=tuple(w.shape))),
    save="xy", promote=None)
# <gw, V> = <conv(x, V), g>: so d/dx is conv's input grad of (g, V) and d/dg is conv(x, V)
conv_weight_grad = prim(
    "ConvolutionBackwardBackward0", _conv_weight_grad,
    lambda gw, out, x, g, w_shape, **p: _apply(conv_input_grad, (g, gw), dict(p, in_sp=x.shape[2:])),
    lambda gw, out, x, g, w_shape, **p: _conv_like(x, gw, p, g),
    save="xy", promote=None)


def _conv_transpose(xp, x, w, b, in_sp, stride, padding, dilation, groups):
    out = _conv_input_grad(xp, x, w, in_sp, stride, padding, dilation, groups)
    if b is not None:
        out += b.reshape((-1,) + (1,) * len(in_sp))
    return out


conv_transpose = prim(
    "ConvolutionBackward0", _conv_transpose,
    lambda g, out, x, w, b, in_sp, **p: _conv_like(g, w, p, x),
    lambda g, out, x, w, b, in_sp, **p: _apply(conv_weight_grad, (g, x), dict(p, w_shape=tuple(w.shape))),
    lambda g, out, x, w, b, in_sp, **p: _sum_channels(g), save="xy", promote=None)


# ---- unfold / fold (im2col / col2im in torch's (N, C*K, L) layout) ---------------------------------
def _im2col(xp, x, sp, ksize, dilation, padding, stride):
    out_sp = _out_sp(sp, ksize, stride, padding, dilation)
    win = _windows(_pad(x, padding), ksize, stride, dilation, out_sp)
    cols = win.reshape(x.shape[0], x.shape[1] * _prod(ksize), _prod(out_sp))
    # a 1x1 unit-stride unfold is a pure reshape of x: never hand out a view of the input
    return cols.copy() if np.may_share_memory(cols, x) else cols


def _col2im(xp, cols, sp, ksize, dilation, padding, stride):
    out_sp = _out_sp(sp, ksize, stride, padding, dilation)
    n, c = cols.shape[0], cols.shape[1] // _prod(ksize)
    cols = cols.reshape((n, c) + tuple(ksize) + out_sp)
    acc = np.zeros((n, c) + tuple(m + lo + hi for m, (lo, hi) in zip(sp, padding)), cols.dtype)
    lead = (slice(None), slice(None))
    for off in _offsets(ksize):
        acc[lead + _offset_slices(off, stride, dilation, out_sp)] += cols[lead + off]
    return np.ascontiguousarray(_crop(acc, padding, sp))


im2col = prim("Im2ColBackward0", _im2col, lambda g, out, x, **p: _apply(col2im, (g,), p), promote=None)
col2im = prim("Col2ImBackward0", _col2im, lambda g, out, x, **p: _apply(im2col, (g,), p), promote=None)


# ---- pooling ---------------------------------------------------------------------------------------
def pool_out_size(n, k, stride, pad, dilation, ceil_mode):
    """torch's pooling_output_shape: floor or ceil, and a last window must start inside input or left pad."""
    out = (n + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + pad:
        out -= 1
    return out


def _pool_pads(in_sp, ksize, stride, padding, dilation, out_sp):
    """(lo, hi) pads: lo is the user's padding, hi also covers ceil_mode windows that run past the end."""
    return tuple((p, max(0, (o - 1) * s + (k - 1) * d + 1 - n - p))
                 for n, k, s, p, d, o in zip(in_sp, ksize, stride, padding, dilation, out_sp))


def max_pool_argmax(x, ksize, stride, padding, dilation, out_sp):
    """Per-plane flat input index of each window's first maximum (a NaN wins, the last one, as in torch).

    One pass per kernel offset over a strided view of the input: compare, keep the larger, note the offset.
    """
    nd = len(ksize)
    in_sp = x.shape[-nd:]
    floating = x.dtype.kind == "f"
    lowest = -np.inf if floating else np.iinfo(x.dtype).min
    xpad = _pad(x, _pool_pads(in_sp, ksize, stride, padding, dilation, out_sp), lowest)
    has_nan = floating and bool(np.isnan(x).any())
    code_t = np.int8 if _prod(ksize) < 128 else np.int32
    best = arg = upd = tmp = None
    for code, off in enumerate(_offsets(ksize)):
        v = xpad[(Ellipsis,) + _offset_slices(off, stride, dilation, out_sp)]
        if best is None:
            best = v.copy()
            arg = np.zeros(best.shape, code_t)
            upd = np.empty(best.shape, bool)
            tmp = np.empty(best.shape, code_t)
            continue
        np.greater(v, best, out=upd)
        if has_nan:
            upd |= np.isnan(v)
        np.maximum(best, v, out=best)  # NaN propagates, as it wins in torch
        # codes only grow, so "take this code where updated" is a maximum with code * upd (masked copies are slow)
        np.multiply(upd, code_t(code), out=tmp)
        np.maximum(arg, tmp, out=arg)
    if any(padding):
        return _clip_to_input(arg, ksize, stride, padding, dilation, in_sp, out_sp)
    # kernel-offset code -> flat input index: window start (per output position) + offset (per code)
    steps = np.cumprod((1,) + in_sp[::-1])[:-1][::-1]
    table = np.zeros(ksize, np.int64)
    base = np.zeros((1,) * nd, np.int64)
    for dim in range(nd):
        table = table + (np.arange(ksize[dim]) * dilation[dim] * steps[dim]).reshape(_dim_shape(nd, dim))
        base = base + (np.arange(out_sp[dim]) * stride[dim] * steps[dim]).reshape(_dim_shape(nd, dim))
    return base + table.reshape(-1)[arg]


def _clip_to_input(arg, ksize, stride, padding, dilation, in_sp, out_sp):
    """Flat indices from offset codes, with padding: a window whose real elements are all -inf keeps a padding
    position, where torch reports its first real one, so positions are clipped into the input."""
    nd = len(ksize)
    offs = np.unravel_index(arg, ksize)
    flat = 0
    for dim in range(nd):
        start = (np.arange(out_sp[dim]) * stride[dim] - padding[dim]).reshape(_dim_shape(nd, dim))
        pos = np.clip(start + offs[dim] * dilation[dim], 0, in_sp[dim] - 1)
        flat = flat * in_sp[dim] + pos
    return flat


def _global_index(indices, in_shape):
    """Per-plane flat indices (N, C, *o) -> indices into the whole flattened (N, C, *in) input."""
    rows = in_shape[0] * in_shape[1]
    plane = _prod(in_shape) // rows
    return indices.reshape(rows, -1) + (np.arange(rows) * plane)[:, None]


def _gather_planes(xp, x, indices, in_shape, overlap):
    """Pick x[n, c].flat[indices[n, c, ...]]: inputs and indices are (N, C, *spatial)."""
    return np.take(x.reshape(-1), _global_index(indices, x.shape)).reshape(indices.shape)


def _scatter_planes(xp, g, indices, in_shape, overlap):
    """The adjoint: add g into zeros of ``in_shape`` at the per-plane indices (summing repeats if windows overlap)."""
    flat = _global_index(indices, in_shape).ravel()
    out = np.zeros(_prod(in_shape), g.dtype)
    if overlap:
        np.add.at(out, flat, g.ravel())
    else:
        out[flat] = g.ravel()
    return out.reshape(in_shape)


def _gather_pair(name):
    """A pooling-by-index primitive (values picked at per-plane indices) and its scatter adjoint."""
    fwd = prim(name, _gather_planes, lambda g, out, x, **p: _apply(bwd, (g,), p), promote=None)
    bwd = prim(name.replace("Backward0", "BackwardBackward0"), _scatter_planes,
               lambda gg, out, g, **p: _apply(fwd, (gg,), p), promote=None)
    return fwd, bwd


max_pool2d, max_pool2d_scatter = _gather_pair("MaxPool2DWithIndicesBackward0")
max_pool3d, max_pool3d_scatter = _gather_pair("MaxPool3DWithIndicesBackward0")
adaptive_max_pool2d, _ = _gather_pair("AdaptiveMaxPool2DBackward0")
adaptive_max_pool3d, _ = _gather_pair("AdaptiveMaxPool3DBackward0")


def avg_pool_divisor(in_sp, ksize, stride, padding, out_sp, count_include_pad, divisor_override):
    """Per-output divisor: torch's window size, clipped to the padded (or, without count_include_pad, the real)
    input; separable, so an outer product of per-dim counts."""
    if divisor_override:
        return np.array(divisor_override, np.float64)
    div = np.ones((), np.float64)
    for n, k, s, p, o in zip(in_sp, ksize, stride, padding, out_sp):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        div = np.multiply.outer(div, (end - start).astype(np.float64))
    return div


def _avg_pool(xp, x, ksize, stride, padding, out_sp, divisor, in_shape):
    nd = len(ksize)
    ones = (1,) * nd
    xpad = _pad(x, _pool_pads(x.shape[-nd:], ksize, stride, padding, ones, out_sp))
    acc = None
    for off in _offsets(ksize):
        v = xpad[(Ellipsis,) + _offset_slices(off, stride, ones, out_sp)]
        acc = v.copy() if acc is None else np.add(acc, v, out=acc)
    return acc / divisor.astype(acc.dtype)


def _avg_pool_backward(xp, g, ksize, stride, padding, out_sp, divisor, in_shape):
    nd = len(ksize)
    ones = (1,) * nd
    pads = _pool_pads(in_shape[-nd:], ksize, stride, padding, ones, out_sp)
    gd = g / divisor.astype(g.dtype)
    acc = np.zeros(in_shape[:-nd] + tuple(m + lo + hi for m, (lo, hi) in zip(in_shape[-nd:], pads)), g.dtype)
    for off in _offsets(ksize):
        acc[(Ellipsis,) + _offset_slices(off, stride, ones, out_sp)] += gd
    return np.ascontiguousarray(_crop(acc, pads, in_shape[-nd:]))


def _avg_pair(name):
    fwd = prim(name, _avg_pool, lambda g, out, x, **p: _apply(bwd, (g,), p), promote=None)
    bwd = prim(name.replace("Backward0", "BackwardBackward0"), _avg_pool_backward,
               lambda gg, out, g, **p: _apply(fwd, (gg,), p), promote=None)
    return fwd


avg_pool2d = _avg_pair("AvgPool2DBackward0")
avg_pool3d = _avg_pair("AvgPool3DBackward0")


# ---- padding -------------------------------------------------------------------------------------------
def _constant_pad(xp, x, pads, value):
    """Pad (or, for negative amounts, crop) the trailing dims by (lo, hi) pairs."""
    nd = len(pads)
    sp = x.shape[-nd:]
    x = x[(Ellipsis,) + tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(sp, pads))]
    out = _pad(x, tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads), value)
    return out.copy() if out is x else out


constant_pad = prim("ConstantPadNdBackward0", _constant_pad,
                    lambda g, out, x, pads, value: _apply(constant_pad, (g,), {
                        "pads": tuple((-lo, -hi) for lo, hi in pads), "value": 0}), promote=None)


# ---- resampling: per-dim gathers with weights ---------------------------------------------------------
# ``maps`` has one entry per trailing spatial dim: None (unchanged) or (in_size, terms), where terms is a tuple
# of (index array, weight array or None); output position j of that dim is sum_t w_t[j] * x[idx_t[j]].
def _dim_shape(ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return shape


def _resample(xp, x, maps):
    x0 = x
    nd = len(maps)
    for i, m in enumerate(maps):
        if m is None:
            continue
        axis = x.ndim - nd + i
        y = None
        for idx, w in m[1]:
            t = np.take(x, idx, axis=axis)
            if w is not None:
                t *= w.astype(x.dtype, copy=False).reshape(_dim_shape(x.ndim, axis))
            y = t if y is None else np.add(y, t, out=y)
        x = y
    return x.copy() if x is x0 else np.ascontiguousarray(x)


def _scatter_add_axis(acc, idx, src, axis):
    """acc[..., idx[j], ...] += src[..., j, ...] along ``axis``: sort, sum runs with reduceat, add once each."""
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    sums = np.add.reduceat(np.take(src, order, axis=axis), starts, axis=axis)
    acc[(slice(None),) * axis + (sidx[starts],)] += sums


def _resample_t(xp, g, maps):
    nd = len(maps)
    for i in reversed(range(nd)):
        m = maps[i]
        if m is None:
            continue
        axis = g.ndim - nd + i
        shape = list(g.shape)
        shape[axis] = m[0]
        acc = np.zeros(shape, g.dtype)
        for idx, w in m[1]:
            src = g if w is None else g * w.astype(g.dtype, copy=False).reshape(_dim_shape(g.ndim, axis))
            _scatter_add_axis(acc, idx, src, axis)
        g = acc
    return g


def _backward_name(name):
    return name.replace("Backward0", "BackwardBackward0") if name.endswith("Backward0") else name + "Backward0"


def _resample_pair(name):
    fwd = prim(name, _resample, lambda g, out, x, maps: _apply(bwd, (g,), {"maps": maps}), promote=None)
    bwd = prim(_backward_name(name), _resample_t,
               lambda gg, out, g, maps: _apply(fwd, (gg,), {"maps": maps}), promote=None)
    return fwd


RESAMPLE = {name: _resample_pair(name) for name in (
    "ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0",
    "ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0",
    "CopySlices",
    "UpsampleNearest1DBackward0", "UpsampleNearest2DBackward0", "UpsampleNearest3DBackward0",
    "UpsampleNearestExact1DBackward0", "UpsampleNearestExact2DBackward0", "UpsampleNearestExact3DBackward0",
    "UpsampleLinear1DBackward0", "UpsampleBilinear2DBackward0", "UpsampleTrilinear3DBackward0",
    "UpsampleBicubic2DBackward0",
    "AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool3DBackward0")}
