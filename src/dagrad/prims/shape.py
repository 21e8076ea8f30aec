"""Shape primitives: views (reshape, transpose, permute, expand, squeeze, select, slice) and copies (cat, flip...).

Views return numpy views of input 0 and share its version counter (``is_view``); their VJPs are the
inverse reshaping of ``g``.
"""
import numpy as np

from ._prim import prim

view = prim("ViewBackward0", lambda xp, x, shape, in_shape: x.reshape(shape),
            lambda g, out, x, shape, in_shape: g.reshape(in_shape), promote=None, is_view=True)
# reshape's copying path: a reshape of a fresh clone, not a view of the caller's tensor (torch's _unsafe_view)
unsafe_view = prim("UnsafeViewBackward0", lambda xp, x, shape, in_shape: x.reshape(shape),
                   lambda g, out, x, shape, in_shape: g.reshape(in_shape), promote=None)
transpose = prim("TransposeBackward0", lambda xp, x, d0, d1: xp.swapaxes(x, d0, d1),
                 lambda g, out, x, d0, d1: g.transpose(d0, d1), promote=None, is_view=True)
t = prim("TBackward0", lambda xp, x: x.T, lambda g, out, x: g.t(), promote=None, is_view=True)
permute = prim("PermuteBackward0", lambda xp, x, dims: xp.transpose(x, dims),
               lambda g, out, x, dims: g.permute(tuple(np.argsort(dims))), promote=None, is_view=True)
# the engine sums the gradient of a broadcast back to the input's shape
expand = prim("ExpandBackward0", lambda xp, x, shape: xp.broadcast_to(x, shape), lambda g, out, x, shape: g,
              promote=None, is_view=True)
squeeze = prim("SqueezeBackward0", lambda xp, x, shape, in_shape: x.reshape(shape),
               lambda g, out, x, shape, in_shape: g.reshape(in_shape), promote=None, is_view=True)
unsqueeze = prim("UnsqueezeBackward0", lambda xp, x, shape, in_shape: x.reshape(shape),
                 lambda g, out, x, shape, in_shape: g.reshape(in_shape), promote=None, is_view=True)
diagonal = prim("DiagonalBackward0", lambda xp, x, offset, d0, d1: xp.diagonal(x, offset, d0, d1),
                lambda g, out, x, offset, d0, d1: _diagonal_back(g, offset, d0, d1, x.shape), save="x",
                promote=None, is_view=True)


def _basic_index(xp, x, index, in_shape):
    out = x[index]
    if type(out) is not np.ndarray:
        # an integer for every dim gives a numpy scalar: index again with a trailing ellipsis for a 0-d view
        out = x[_explicit(index, x.ndim) + (Ellipsis,)]
    return out


def _explicit(index, ndim):
    """``index`` with its ellipsis spelled out as full slices."""
    if Ellipsis not in index:
        return index
    i = index.index(Ellipsis)
    used = sum(1 for k in index if k is not None and k is not Ellipsis)
    return index[:i] + (slice(None),) * (ndim - used) + index[i + 1:]


basic_index = prim("SliceBackward0", _basic_index,
                   lambda g, out, x, index, in_shape: index_scatter_zeros_apply(g, index, in_shape),
                   promote=None, is_view=True)


def _scatter_into_zeros(xp, g, index, shape, accumulate):
    out = xp.zeros(shape, dtype=g.dtype)
    if accumulate:
        xp.add.at(out, index, g)
    else:
        out[index] = g
    return out


# the adjoint of indexing: place g into zeros at ``index`` (summing repeated advanced indices)
index_scatter_zeros = prim("IndexBackward0", lambda xp, g, index, shape, accumulate: _scatter_into_zeros(
    xp, g, index, shape, accumulate), lambda g2, out, g, index, shape, accumulate: g2[index], promote=None)


def index_scatter_zeros_apply(g, index, shape, accumulate=False):
    from .._dispatch import apply
    return apply(index_scatter_zeros, (g,), {"index": index, "shape": shape, "accumulate": accumulate})


def _diagonal_back(g, offset, d0, d1, shape):
    from .._dispatch import apply
    return apply(diagonal_scatter_zeros, (g,), {"offset": offset, "d0": d0, "d1": d1, "shape": tuple(shape)})


def _diag_zeros(xp, g, offset, d0, d1, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    idx = np.arange(g.shape[-1])
    rows = idx + max(-offset, 0)
    cols = idx + max(offset, 0)
    moved = np.moveaxis(out, (d0, d1), (-2, -1))
    moved[..., rows, cols] = g
    return out


diagonal_scatter_zeros = prim("DiagonalBackwardBackward0", _diag_zeros,
                              lambda g2, out, g, offset, d0, d1, shape: g2.diagonal(offset, d0, d1), promote=None)


def _cat_vjp(g, out, needs, *xs, dim, sizes):
    grads, start = [], 0
    for need, n in zip(needs, sizes):
        grads.append(g.narrow(dim, start, n) if need else None)
        start += n
    return grads


cat = prim("CatBackward0", lambda xp, *xs, dim, sizes: xp.concatenate(xs, axis=dim), vjp_all=_cat_vjp)
stack = prim("StackBackward0", lambda xp, *xs, dim: xp.stack(xs, axis=dim),
             vjp_all=lambda g, out, needs, *xs, dim: [g.select(dim, i) if n else None for i, n in enumerate(needs)])
flip = prim("FlipBackward0", lambda xp, x, dims: xp.flip(x, dims), lambda g, out, x, dims: g.flip(dims),
            promote=None)
roll = prim("RollBackward0", lambda xp, x, shifts, dims: xp.roll(x, shifts, dims),
            lambda g, out, x, shifts, dims: g.roll(tuple(-s for s in shifts) if isinstance(shifts, tuple)
                                                   else -shifts, dims), promote=None)


def _repeat_back(g, reps, in_shape):
    # out is laid out as (r0, s0, r1, s1, ...) blocks: sum the repeat axes away
    lead = len(reps) - len(in_shape)
    gg = g.reshape(tuple(reps[:lead]) + tuple(n for pair in zip(reps[lead:], in_shape) for n in pair))
    axes = tuple(range(lead)) + tuple(lead + 2 * i for i in range(len(in_shape)))
    return gg.sum(axes) if axes else gg


repeat = prim("RepeatBackward0", lambda xp, x, reps, in_shape: xp.tile(x, reps),
              lambda g, out, x, reps, in_shape: _repeat_back(g, reps, in_shape), promote=None)
tril = prim("TrilBackward0", lambda xp, x, k: xp.tril(x, k), lambda g, out, x, k: g.tril(k), promote=None)
triu = prim("TriuBackward0", lambda xp, x, k: xp.triu(x, k), lambda g, out, x, k: g.triu(k), promote=None)


def _diag_embed(xp, x, offset):
    n = x.shape[-1] + abs(offset)
    out = xp.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    idx = np.arange(x.shape[-1])
    out[..., idx + max(-offset, 0), idx + max(offset, 0)] = x
    return out


diag_embed = prim("DiagEmbedBackward0", _diag_embed, lambda g, out, x, offset: g.diagonal(offset, -2, -1),
                  promote=None)


def _copy_slices_base(g, out, base, src, chain):
    # the region the view covered was overwritten: no gradient flows to the old base values there
    from .._dtype import bool_
    from .._tensor import _make
    mask = np.ones(g._data.shape, dtype=bool)
    region = mask
    for p, rest, params in chain:
        region = p.forward(np, region, *rest, **(params or {}))
    region[...] = False
    return g * _make(mask, bool_)


def _copy_slices_src(g, out, base, src, chain):
    for p, rest, params in chain:
        from .._dispatch import apply
        g = apply(p, (g,) + tuple(rest), params)
    return g


copy_slices = prim("torch::autograd::CopySlices", lambda xp, base, src, chain: base, _copy_slices_base,
                   _copy_slices_src, promote=None)
