"""Matrix-product primitives: mm, bmm, mv, dot, matmul (batched), addmm, baddbmm, einsum."""
import numpy as np

from ._prim import prim

# a product's left factor is read only by the right factor's gradient, and vice versa
_CROSS = {0: (1,), 1: (0,)}


def _mT(t):
    return t.transpose(-1, -2)


def _matmul(xp, x, y):
    """xp.matmul, except that short float32/float16 inner products are summed in order, one k at a time.

    torch's CPU kernels accumulate small inner products sequentially; BLAS blocks them differently, and the
    last-bit difference changes printed digits of small examples such as the tutorial's. For k <= 8 the
    sequential sum costs a few vector ops and reproduces torch's bits.
    """
    k = x.shape[-1]
    if k > 8 or x.dtype.kind != "f" or x.dtype.itemsize > 4 or y.ndim == 0:
        return xp.matmul(x, y)
    yk = y if y.ndim > 1 else y[:, None]
    acc = x[..., 0:1] * yk[..., 0:1, :]
    for i in range(1, k):
        acc = acc + x[..., i:i + 1] * yk[..., i:i + 1, :]
    if x.ndim == 1:
        acc = acc[..., 0, :]
    if y.ndim == 1:
        acc = acc[..., 0]
    return acc


mm = prim("MmBackward0", lambda xp, x, y: _matmul(xp, x, y),
          lambda g, out, x, y: g.mm(y.t()), lambda g, out, x, y: x.t().mm(g), save="xy", save_for=_CROSS)
# the same product when mat2 is a transposed view (a Linear's weight.t()): its gradient is computed as
# (g^T x)^T, laid out like mat2, so the weight's gradient arrives C-contiguous and is stored without a copy
mm_t = prim("MmBackward0", lambda xp, x, y: _matmul(xp, x, y),
            lambda g, out, x, y: g.mm(y.t()), lambda g, out, x, y: g.t().mm(x).t(), save="xy", save_for=_CROSS)
bmm = prim("BmmBackward0", lambda xp, x, y: _matmul(xp, x, y),
           lambda g, out, x, y: g.bmm(_mT(y)), lambda g, out, x, y: _mT(x).bmm(g), save="xy", save_for=_CROSS)
mv = prim("MvBackward0", lambda xp, x, y: _matmul(xp, x, y),
          lambda g, out, x, y: g.outer(y), lambda g, out, x, y: x.t().mv(g), save="xy", save_for=_CROSS)
dot = prim("DotBackward0", lambda xp, x, y: _matmul(xp, x, y),
           lambda g, out, x, y: g * y, lambda g, out, x, y: g * x, save="xy", save_for=_CROSS)
# general n-d matmul with broadcasting batch dims; the engine sums broadcast batch dims away
matmul_nd = prim("UnsafeViewBackward0", lambda xp, x, y: _matmul(xp, x, y),
                 lambda g, out, x, y: g.matmul(_mT(y)), lambda g, out, x, y: _mT(x).matmul(g), save="xy", save_for=_CROSS)
vecmat = prim("SqueezeBackward4", lambda xp, x, y: _matmul(xp, x, y),
              lambda g, out, x, y: y.matmul(g.unsqueeze(-1)).squeeze(-1),
              lambda g, out, x, y: x.unsqueeze(-1) * g.unsqueeze(-2), save="xy", save_for=_CROSS)
matvec_nd = prim("UnsafeViewBackward0", lambda xp, x, y: _matmul(xp, x, y),
                 lambda g, out, x, y: g.unsqueeze(-1) * y, lambda g, out, x, y: (x * g.unsqueeze(-1)), save="xy", save_for=_CROSS)
addmm = prim("AddmmBackward0", lambda xp, b, x, y, beta, alpha: beta * b + alpha * xp.matmul(x, y) if (
    beta != 1 or alpha != 1) else b + xp.matmul(x, y),
    lambda g, out, b, x, y, beta, alpha: g * beta if beta != 1 else g,
    lambda g, out, b, x, y, beta, alpha: g.mm(y.t()) * alpha if alpha != 1 else g.mm(y.t()),
    lambda g, out, b, x, y, beta, alpha: x.t().mm(g) * alpha if alpha != 1 else x.t().mm(g), save="yz")
addmm_t = prim("AddmmBackward0", addmm.forward, *addmm.vjps[:2],
               lambda g, out, b, x, y, beta, alpha: g.t().mm(x).t() * alpha if alpha != 1 else g.t().mm(x).t(),
               save="yz")
baddbmm = prim("BaddbmmBackward0", lambda xp, b, x, y, beta, alpha: beta * b + alpha * xp.matmul(x, y),
               lambda g, out, b, x, y, beta, alpha: g * beta,
               lambda g, out, b, x, y, beta, alpha: g.bmm(_mT(y)) * alpha,
               lambda g, out, b, x, y, beta, alpha: _mT(x).bmm(g) * alpha, save="yz")


def _einsum_vjp(g, out, needs, *xs, spec):
    """d einsum / d operand i: contract g with the other operands back onto operand i's subscripts.

    Letters only operand i has (summed away in the forward) come back by broadcasting; a letter repeated in
    operand i (a diagonal or trace) puts the gradient on that diagonal, zeros elsewhere.
    """
    from ..ops.linalg import einsum
    ins, outs = spec.split("->")
    subs = ins.split(",")
    grads = []
    for i, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        others = [s for j, s in enumerate(subs) if j != i]
        target = subs[i]
        shape = xs[i].shape
        size = {c: shape[k] for k, c in enumerate(target)}
        letters = "".join(dict.fromkeys(target))  # unique, in order of first appearance
        present = set(outs).union(*others)
        kept = "".join(c for c in letters if c in present)
        r = einsum(",".join([outs] + others) + "->" + kept, g, *[x for j, x in enumerate(xs) if j != i])
        grads.append(_onto_subscripts(r, kept, letters, target, size))
    return grads


def _onto_subscripts(r, kept, letters, target, size):
    """Lay ``r`` (dims ``kept``) out over ``target``: broadcast missing letters, zero off-diagonal entries."""
    for k, c in enumerate(letters):
        if c not in kept:
            r = r.unsqueeze(k)
    if len(letters) == len(target):
        return r.expand(*(size[c] for c in target))
    # repeated letters: a dim per position, then keep only entries where repeated letters agree
    from .._dtype import bool_
    from .._tensor import _make
    seen = set()
    for k, c in enumerate(target):
        if c in seen:
            r = r.unsqueeze(k)
        seen.add(c)
    shape = tuple(size[c] for c in target)
    grids = np.indices(shape, sparse=True)
    diag = np.ones(shape, dtype=bool)
    for k, c in enumerate(target):
        first = target.index(c)
        if first != k:
            diag = diag & (grids[k] == grids[first])
    return r.expand(*shape) * _make(diag, bool_)


# every operand is read by the others' gradients: save them all (the Prim table indexes up to ten inputs)
einsum = prim("EinsumBackward0", lambda xp, *xs, spec: xp.einsum(spec, *xs, optimize=len(xs) > 2),
              vjp_all=_einsum_vjp, save="0123456789")
