"""Indexing primitives: advanced indexing, index_put, gather/scatter, index_select/index_add, masks, take.

Integer index arrays travel as parameters (never differentiated); repeated indices accumulate.
"""
import numpy as np

from ._prim import prim
from .shape import index_scatter_zeros_apply

advanced_index = prim("IndexBackward0", lambda xp, x, index: x[index],
                      lambda g, out, x, index: index_scatter_zeros_apply(g, index, x.shape, True), promote=None)


def _index_put(xp, x, v, index, accumulate):
    out = x.copy()
    if accumulate:
        xp.add.at(out, index, v)
    else:
        out[index] = v
    return out


def _index_put_x(g, out, x, v, index, accumulate):
    if accumulate:
        return g
    from .._tensor import _make
    mask = np.ones(g._data.shape, dtype=bool)
    mask[index] = False
    from .._dtype import bool_
    return g * _make(mask, bool_)


index_put = prim("IndexPutBackward0", _index_put, _index_put_x, lambda g, out, x, v, index, accumulate: g[index],
                 promote=None)


def _gather(xp, x, dim, index):
    return xp.take_along_axis(x, index, axis=dim)


def _scatter_add_zeros(g, dim, index, shape):
    from ..ops.creation import zeros
    return zeros(shape, dtype=g.dtype).scatter_add(dim, index, g)


gather = prim("GatherBackward0", lambda xp, x, dim, index: _take_prefix(xp, x, dim, index),
              lambda g, out, x, dim, index: _scatter_add_zeros(g, dim, index, x.shape), save="x", promote=None)


def _take_prefix(xp, x, dim, index):
    # torch.gather allows an index smaller than the input in non-gathered dims: take the leading part
    sl = tuple(slice(0, index.shape[d]) if d != dim else slice(None) for d in range(x.ndim))
    return xp.take_along_axis(x[sl], index, axis=dim)


def _scatter_idx(index, dim):
    """The full coordinate tuple that scatter writes to, for numpy fancy assignment."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _scatter(xp, x, dim, index, src):
    out = x.copy()
    src_arr = src if isinstance(src, np.ndarray) and src.ndim else src
    if isinstance(src_arr, np.ndarray) and src_arr.shape != index.shape:
        src_arr = src_arr[tuple(slice(0, n) for n in index.shape)]
    out[_scatter_idx(index, dim)] = src_arr
    return out


def _scatter_add(xp, x, dim, index, src):
    out = x.copy()
    if src.shape != index.shape:
        src = src[tuple(slice(0, n) for n in index.shape)]
    xp.add.at(out, _scatter_idx(index, dim), src)
    return out


def _pad_to(g_small, shape):
    from ..nn.functional import pad
    if tuple(g_small.shape) == tuple(shape):
        return g_small
    widths = []
    for have, want in reversed(list(zip(g_small.shape, shape))):
        widths += [0, want - have]
    return pad(g_small, widths)


scatter = prim("ScatterBackward0", lambda xp, x, src, dim, index: _scatter(xp, x, dim, index, src),
               lambda g, out, x, src, dim, index: g.scatter(dim, _wrap_index(index), 0.0),
               lambda g, out, x, src, dim, index: _pad_to(g.gather(dim, _wrap_index(index)), src.shape),
               save="y", promote=None)
scatter_value = prim("ScatterBackward1", lambda xp, x, dim, index, value: _scatter(xp, x, dim, index, value),
                     lambda g, out, x, dim, index, value: g.scatter(dim, _wrap_index(index), 0.0), promote=None)
scatter_add = prim("ScatterAddBackward0", lambda xp, x, src, dim, index: _scatter_add(xp, x, dim, index, src),
                   lambda g, out, x, src, dim, index: g,
                   lambda g, out, x, src, dim, index: _pad_to(g.gather(dim, _wrap_index(index)), src.shape),
                   save="y", promote=None)


def _wrap_index(index):
    from .._tensor import _make
    from .._dtype import int64
    return _make(index, int64)


def _index_select(xp, x, dim, index):
    return xp.take(x, index, axis=dim)


index_select = prim("IndexSelectBackward0", _index_select,
                    lambda g, out, x, dim, index: _index_add_zeros(g, dim, index, x.shape), save="x", promote=None)


def _index_add_zeros(g, dim, index, shape):
    from ..ops.creation import zeros
    return zeros(shape, dtype=g.dtype).index_add(dim, _wrap_index(index), g)


def _index_add(xp, x, src, dim, index, alpha):
    out = x.copy()
    moved = np.moveaxis(out, dim, 0)
    xp.add.at(moved, index, np.moveaxis(src * alpha if alpha != 1 else src, dim, 0) if src.ndim else src)
    return out


index_add = prim("IndexAddBackward0", _index_add, lambda g, out, x, src, dim, index, alpha: g,
                 lambda g, out, x, src, dim, index, alpha: g.index_select(dim, _wrap_index(index)) * alpha
                 if src.dim() else g.index_select(dim, _wrap_index(index)).sum() * alpha,
                 save="y", promote=None)
masked_fill = prim("MaskedFillBackward0", lambda xp, x, mask, value: xp.where(mask, value, x).astype(x.dtype),
                   lambda g, out, x, mask, value: g.masked_fill(mask, 0.0), None, save="y", promote=None)
masked_fill_tensor = prim("MaskedFillBackward1", lambda xp, x, mask, value: xp.where(mask, value, x).astype(x.dtype),
                          lambda g, out, x, mask, value: g.masked_fill(mask, 0.0), None,
                          lambda g, out, x, mask, value: g.masked_select(mask.expand_as(g)).sum()
                          if mask.shape != g.shape else (g * mask).sum(), save="y", promote=None)
masked_select = prim("MaskedSelectBackward0", lambda xp, x, mask: xp.broadcast_to(x, mask.shape)[mask]
                     if x.shape != mask.shape else x[mask],
                     lambda g, out, x, mask: index_scatter_zeros_apply(g, mask._data, tuple(mask.shape), False),
                     None, save="y", promote=None)
take = prim("TakeBackward0", lambda xp, x, index: xp.take(x.reshape(-1), index),
            lambda g, out, x, index: index_scatter_zeros_apply(g, index, (x.numel(),), True).reshape(x.shape),
            save="x", promote=None)
