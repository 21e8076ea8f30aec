"""Indexing primitives: advanced indexing, index_put, gather/scatter, index_select/index_add, masks, take.

Integer index arrays and the input shapes the VJPs need travel as parameters (never differentiated, never
version-checked); repeated indices accumulate.
"""
import numpy as np

from ._prim import prim
from .elementwise import not_implemented
from .shape import index_scatter_zeros_apply


def _long(index):
    """A raw index array as an int64 dagrad tensor, for the ops the VJPs call."""
    from .._dtype import int64
    from .._tensor import _make
    return _make(index, int64)


def _zeros(shape, g):
    from ..ops.creation import zeros
    return zeros(shape, dtype=g.dtype)


def _pad_zeros(g, shape):
    """``g`` placed at the leading corner of zeros of ``shape`` (a source larger than its index)."""
    if g._data.shape == tuple(shape):
        return g
    return index_scatter_zeros_apply(g, tuple(slice(0, n) for n in g._data.shape), tuple(shape))


# ---- x[index] and x[index] = v -----------------------------------------------------------------
advanced_index = prim("IndexBackward0", lambda xp, x, index, shape: x[index],
                      lambda g, out, x, index, shape: index_scatter_zeros_apply(g, index, shape, True), promote=None)


def _index_put(xp, x, v, index, accumulate):
    out = x.copy()
    if accumulate:
        xp.add.at(out, index, v)
    else:
        out[index] = v
    return out


def _index_put_x(g, out, x, v, index, accumulate):
    # overwritten positions get no gradient (accumulated ones keep it)
    if accumulate:
        return g
    from .._dtype import bool_
    from .._tensor import _make
    keep = np.ones(g._data.shape, dtype=bool)
    keep[index] = False
    return g * _make(keep, bool_)


index_put = prim("IndexPutBackward0", _index_put, _index_put_x, lambda g, out, x, v, index, accumulate: g[index],
                 promote=None)


# ---- gather / scatter along a dim ------------------------------------------------------------------
def _take_prefix(xp, x, dim, index):
    # torch.gather allows an index smaller than the input in non-gathered dims: take the leading part
    sl = tuple(slice(0, index.shape[d]) if d != dim else slice(None) for d in range(x.ndim))
    return xp.take_along_axis(x[sl], index, axis=dim)


gather = prim("GatherBackward0", lambda xp, x, dim, index, shape: _take_prefix(xp, x, dim, index),
              lambda g, out, x, dim, index, shape: _zeros(shape, g).scatter_add(dim, _long(index), g), promote=None)


def _scatter_idx(index, dim):
    """The full coordinate tuple that scatter writes to, for numpy fancy assignment."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _src_prefix(src, index):
    # only the leading index.shape block of src is read
    if isinstance(src, np.ndarray) and src.ndim and src.shape != index.shape:
        return src[tuple(slice(0, n) for n in index.shape)]
    return src


def _scatter(xp, x, dim, index, src):
    out = x.copy()
    out[_scatter_idx(index, dim)] = _src_prefix(src, index)
    return out


def _scatter_add(xp, x, dim, index, src):
    out = x.copy()
    xp.add.at(out, _scatter_idx(index, dim), _src_prefix(src, index))
    return out


scatter = prim("ScatterBackward0", lambda xp, x, src, dim, index, src_shape: _scatter(xp, x, dim, index, src),
               lambda g, out, x, src, dim, index, src_shape: g.scatter(dim, _long(index), 0.0),
               lambda g, out, x, src, dim, index, src_shape: _pad_zeros(g.gather(dim, _long(index)), src_shape),
               promote=None)
scatter_value = prim("ScatterBackward1", lambda xp, x, dim, index, value: _scatter(xp, x, dim, index, value),
                     lambda g, out, x, dim, index, value: g.scatter(dim, _long(index), 0.0), promote=None)
scatter_add = prim("ScatterAddBackward0",
                   lambda xp, x, src, dim, index, src_shape: _scatter_add(xp, x, dim, index, src),
                   lambda g, out, x, src, dim, index, src_shape: g,
                   lambda g, out, x, src, dim, index, src_shape: _pad_zeros(g.gather(dim, _long(index)), src_shape),
                   promote=None)


# ---- whole slices along a dim ----------------------------------------------------------------------
index_select = prim("IndexSelectBackward0", lambda xp, x, dim, index, shape: xp.take(x, index, axis=dim),
                    lambda g, out, x, dim, index, shape: _zeros(shape, g).index_add(dim, _long(index), g),
                    promote=None)


def _index_add(xp, x, src, dim, index, alpha, src_ndim):
    out = x.copy()
    if alpha != 1:
        src = src * alpha
    if x.ndim == 0:
        xp.add.at(out.reshape(1), index, src.reshape(-1))
        return out
    xp.add.at(np.moveaxis(out, dim, 0), index, np.moveaxis(src, dim, 0) if src.ndim else src)
    return out


def _index_add_src(g, dim, index, alpha, src_ndim):
    gs = g.index_select(dim, _long(index)) if g.dim() else g.reshape(1)[_long(index)]
    if not src_ndim:
        gs = gs.sum()
    return gs * alpha if alpha != 1 else gs


index_add = prim("IndexAddBackward0", _index_add, lambda g, out, x, src, dim, index, alpha, src_ndim: g,
                 lambda g, out, x, src, dim, index, alpha, src_ndim: _index_add_src(g, dim, index, alpha,
                                                                                          src_ndim),
                 promote=None)


def _scatter_reduce(xp, x, src, dim, index, reduce):
    out = x.copy()
    ufunc = xp.add if reduce == "add" else xp.multiply
    ufunc.at(out, _scatter_idx(index, dim), _src_prefix(src, index))
    return out


# scatter's deprecated ``reduce=`` form: torch records no derivative
scatter_reduce_legacy = prim("torch::autograd::NotImplemented", _scatter_reduce, not_implemented("scatter"),
                             not_implemented("scatter"), promote=None)


# ---- masks and flat indices ------------------------------------------------------------------------
def _masked_fill(xp, x, mask, value):
    return xp.where(mask, xp.asarray(value).astype(x.dtype), x)


masked_fill = prim("MaskedFillBackward0", _masked_fill,
                   lambda g, out, x, mask, value: g.masked_fill(mask, 0.0), None, save="y", promote=None)
# d/d value: the sum of g over the filled positions
masked_fill_tensor = prim("MaskedFillBackward1", _masked_fill,
                          lambda g, out, x, mask, value: g.masked_fill(mask, 0.0), None,
                          lambda g, out, x, mask, value: (g * mask).sum(), save="y", promote=None)
masked_select = prim("MaskedSelectBackward0", lambda xp, x, mask: x[mask],
                     lambda g, out, x, mask: index_scatter_zeros_apply(g, mask._data, tuple(mask.shape), False),
                     None, save="y", promote=None)
take = prim("TakeBackward0", lambda xp, x, index, shape: xp.take(x.reshape(-1), index),
            lambda g, out, x, index, shape: index_scatter_zeros_apply(
                g, index, (int(np.prod(shape)),), True).reshape(shape), promote=None)


# ---- unique: torch records these nodes but implements no derivative ---------------------------------
def _no_derivative(name, aten):
    def vjp(g, out, x, result):
        raise NotImplementedError(f"the derivative for '{aten}' is not implemented.")
    # the op computes the unique values (with inverse and counts, which are integers) and passes them in
    return prim(name, lambda xp, x, result: result, vjp, promote=None)


unique = _no_derivative("Unique2Backward0", "_unique2")
unique_dim = _no_derivative("UniqueDimBackward0", "unique_dim")
unique_consecutive = _no_derivative("UniqueConsecutiveBackward0", "unique_consecutive")
