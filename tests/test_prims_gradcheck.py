"""Every differentiable primitive in the table passes a float64 finite-difference gradcheck.

``SAMPLES`` maps each primitive (the Prim object, or ``(module, name)`` for primitives built in loops) to sample
functions that reach it; a differentiable primitive without an entry fails, naming itself, so a new primitive
must come with samples. ``order=2`` samples differentiate the gradient (the *BackwardBackward primitives that
VJP rules call). Primitives torch records as NotImplemented must make backward raise torch's error.
"""
import numpy as np
import pytest

import dagrad as D
import dagrad.nn.functional as F
from dagrad.autograd import gradcheck
from dagrad.prims import ALL_PRIMS
from dagrad.prims import conv as C
from dagrad.prims import elementwise as E
from dagrad.prims import indexing as I
from dagrad.prims import linalg as LA
from dagrad.prims import nn as N
from dagrad.prims import reduction as R
from dagrad.prims import shape as S

NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


class Sample:
    """``fn(*inputs)`` under gradcheck. Float arrays become float64 leaves requiring grad (unless ``grad`` says
    otherwise); integer and bool arrays become constant tensors; other values pass through."""

    def __init__(self, fn, *inputs, order=1, grad=None, **tol):
        self.fn, self.inputs, self.order, self.grad, self.tol = fn, inputs, order, grad, tol

    def leaves(self):
        out = []
        for i, a in enumerate(self.inputs):
            if isinstance(a, np.ndarray):
                t = D.tensor(a)
                if a.dtype.kind == "f" and (self.grad is None or self.grad[i]):
                    t.requires_grad_(True)
                out.append(t)
            else:
                out.append(a)
        return out

    def function(self, leaves):
        """The function gradcheck sees (for order 2: the gradient of fn, against fn's inputs and upstream grads)."""
        if self.order == 1:
            return self.fn, leaves
        diff = [i for i, t in enumerate(leaves) if isinstance(t, D.Tensor) and t.requires_grad]
        outs = _tuple(self.fn(*leaves))
        rng = np.random.default_rng(1)
        gos = [D.tensor(rng.standard_normal(tuple(o.shape))).requires_grad_(True) for o in outs]
        n = len(leaves)

        def grad_fn(*args):
            xs, go = list(args[:n]), args[n:]
            ys = _tuple(self.fn(*xs))
            gs = D.autograd.grad(ys, [xs[i] for i in diff], go, create_graph=True, allow_unused=True)
            return tuple(g for g in gs if g is not None)

        return grad_fn, leaves + gos


class Raises(Sample):
    """Backward through fn must raise torch's "derivative for ... is not implemented"."""


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _reached(outputs):
    """Every primitive recorded in the graph behind ``outputs``."""
    seen, prims = set(), set()
    stack = [o.grad_fn for o in outputs if isinstance(o, D.Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        p = getattr(node, "prim", None)
        if p is not None:
            prims.add(p)
        stack.extend(n for n, _ in getattr(node, "next_functions", ()) if n is not None)
    return prims


RNG = np.random.default_rng(2024)


def r(*shape, lo=-1.0, hi=1.0):
    return np.asarray(RNG.uniform(lo, hi, size=shape))


def pos(*shape):
    return r(*shape, lo=0.5, hi=1.5)


def away(*shape):
    return np.sign(r(*shape)) * pos(*shape)


def distinct(*shape, lo=-2.0, hi=2.0):
    """Values spaced apart: no ties, nothing near a kink at 0."""
    n = int(np.prod(shape))
    vals = np.linspace(lo, hi, n + 1)
    vals = vals[np.abs(vals) > 1e-9][:n] if np.any(np.abs(vals) < 1e-9) else vals[:n]
    return RNG.permutation(vals + 0.013).reshape(shape)


def ints(*shape, hi):
    return RNG.integers(0, hi, shape)


def mask(*shape):
    return RNG.integers(0, 2, shape).astype(bool)


FRACTIONAL = np.array([0.12, 1.33, -2.71, 3.46, -0.38, 2.21])  # away from integers and halves


# ---- the table ------------------------------------------------------------------------------------
SAMPLES = {
    # arithmetic
    E.add: [Sample(lambda x, y: x + y, r(2, 3), r(3))],
    E.add_scaled: [Sample(lambda x, y: D.add(x, y, alpha=2.5), r(2, 3), r(3))],
    E.sub: [Sample(lambda x, y: x - y, r(2, 3), r(2, 1))],
    E.sub_scaled: [Sample(lambda x, y: D.sub(x, y, alpha=0.5), r(2, 3), r(3))],
    E.rsub: [Sample(lambda x, y: D.rsub(x, y), r(2, 3), r(3)), Sample(lambda x, y: D.rsub(x, y, alpha=2), r(3), r(3))],
    E.rsub_scalar: [Sample(lambda x: 2 - x, r(3))],
    E.mul: [Sample(lambda x, y: x * y, r(2, 3), r(3))],
    E.mul_scalar: [Sample(lambda x: x * 3.5, r(2, 3))],
    E.div: [Sample(lambda x, y: x / y, r(2, 3), away(3))],
    E.div_scalar: [Sample(lambda x: x / 3.0, r(2, 3))],
    E.neg: [Sample(lambda x: -x, r(3))],
    E.reciprocal: [Sample(lambda x: x.reciprocal(), away(4))],
    E.pow_scalar: [Sample(lambda x: x ** 3, r(4)), Sample(lambda x: x ** 2.5, pos(4)), Sample(lambda x: x ** 0, r(2))],
    E.pow_tensor: [Sample(lambda x, y: x ** y, pos(2, 3), r(3))],
    E.rpow: [Sample(lambda x: 2.5 ** x, r(4))],
    E.abs_: [Sample(lambda x: x.abs(), away(4))],
    E.remainder: [Sample(lambda x, y: D.remainder(x, y), r(4, lo=2.3, hi=2.6), r(4, lo=1.6, hi=1.7))],
    E.remainder_scalar: [Sample(lambda x: x % 1.7, r(4, lo=2.3, hi=2.6))],
    E.fmod: [Sample(lambda x, y: D.fmod(x, y), r(4, lo=-2.6, hi=-2.3), r(4, lo=1.6, hi=1.7))],
    E.fmod_scalar: [Sample(lambda x: D.fmod(x, 1.7), r(4, lo=2.3, hi=2.6))],
    E.div_floor: [Sample(lambda x, y: D.div(x, y, rounding_mode="floor"), r(4, lo=2.3, hi=2.6), r(4, lo=1.6, hi=1.7))],
    E.div_trunc: [Sample(lambda x, y: D.div(x, y, rounding_mode="trunc"), r(4, lo=-2.6, hi=-2.3),
                         r(4, lo=1.6, hi=1.7))],
    E.floor_divide: [Raises(lambda x, y: x // y, r(3), away(3))],
    E.rfloor_divide: [Raises(lambda x: 3.0 // x, away(3))],
    E.rremainder: [Raises(lambda x: 3.5 % x, away(3))],
    # exponentials, logarithms, trigonometry
    E.exp: [Sample(lambda x: x.exp(), r(2, 3))],
    E.exp2: [Sample(lambda x: x.exp2(), r(3))],
    E.expm1: [Sample(lambda x: x.expm1(), r(3))],
    E.log: [Sample(lambda x: x.log(), pos(3))],
    E.log2: [Sample(lambda x: x.log2(), pos(3))],
    E.log10: [Sample(lambda x: x.log10(), pos(3))],
    E.log1p: [Sample(lambda x: x.log1p(), pos(3))],
    E.sqrt: [Sample(lambda x: x.sqrt(), pos(3))],
    E.rsqrt: [Sample(lambda x: x.rsqrt(), pos(3))],
    E.sin: [Sample(lambda x: x.sin(), r(3))],
    E.cos: [Sample(lambda x: x.cos(), r(3))],
    E.tan: [Sample(lambda x: x.tan(), r(3))],
    E.asin: [Sample(lambda x: x.asin(), r(3, lo=-0.8, hi=0.8))],
    E.acos: [Sample(lambda x: x.acos(), r(3, lo=-0.8, hi=0.8))],
    E.atan: [Sample(lambda x: x.atan(), r(3))],
    E.atan2: [Sample(lambda x, y: D.atan2(x, y), r(2, 3), away(3))],
    E.sinh: [Sample(lambda x: x.sinh(), r(3))],
    E.cosh: [Sample(lambda x: x.cosh(), r(3))],
    E.tanh: [Sample(lambda x: x.tanh(), r(3))],
    E.sigmoid: [Sample(lambda x: x.sigmoid(), r(3))],
    E.erf: [Sample(lambda x: x.erf(), r(3))],
    E.erfc: [Sample(lambda x: x.erfc(), r(3))],
    E.hypot: [Sample(lambda x, y: D.hypot(x, y), away(2, 3), away(3))],
    # piecewise constant: zero gradients away from the jumps
    E.floor: [Sample(lambda x: x.floor(), FRACTIONAL)],
    E.ceil: [Sample(lambda x: x.ceil(), FRACTIONAL)],
    E.trunc: [Sample(lambda x: x.trunc(), FRACTIONAL)],
    E.round_: [Sample(lambda x: x.round(), FRACTIONAL)],
    E.round_decimals: [Sample(lambda x: x.round(decimals=1), FRACTIONAL)],
    E.sign: [Sample(lambda x: x.sign(), FRACTIONAL)],
    E.sgn: [Sample(lambda x: x.sgn(), FRACTIONAL)],
    E.frac: [Sample(lambda x: x.frac(), FRACTIONAL)],
    # clamps and selection
    E.relu: [Sample(lambda x: x.relu(), away(5))],
    E.clamp: [Sample(lambda x: x.clamp(-0.5, 0.5), distinct(6))],
    E.clamp_min: [Sample(lambda x: x.clamp_min(0.1), distinct(6))],
    E.clamp_max: [Sample(lambda x: x.clamp_max(0.1), distinct(6))],
    E.clamp_tensor: [Sample(lambda x, lo, hi: D.clamp(x, lo, hi), distinct(2, 3), r(3, lo=-1.4, hi=-0.1),
                            r(2, 1, lo=0.1, hi=1.4)),
                     Sample(lambda x, lo, hi: D.clamp(x, hi, lo), distinct(2, 3), r(3, lo=-1.4, hi=-0.1),
                            r(2, 1, lo=0.1, hi=1.4))],
    E.maximum: [Sample(lambda x, y: D.maximum(x, y), distinct(2, 3), distinct(3, lo=-1.9, hi=1.9))],
    E.minimum: [Sample(lambda x, y: D.minimum(x, y), distinct(2, 3), distinct(3, lo=-1.9, hi=1.9))],
    E.fmax: [Sample(lambda x, y: D.fmax(x, y), distinct(2, 3), distinct(3, lo=-1.9, hi=1.9))],
    E.fmin: [Sample(lambda x, y: D.fmin(x, y), distinct(2, 3), distinct(3, lo=-1.9, hi=1.9))],
    E.where: [Sample(lambda c, x, y: D.where(c, x, y), mask(2, 3), r(2, 3), r(3))],
    E.lerp: [Sample(lambda x, y: D.lerp(x, y, 0.3), r(2, 3), r(3))],
    E.lerp_tensor: [Sample(lambda x, y, w: D.lerp(x, y, w), r(2, 3), r(3), r(2, 1))],
    E.nan_to_num: [Sample(lambda x: x.nan_to_num(), r(3))],
    E.addcmul: [Sample(lambda x, y, z: D.addcmul(x, y, z, value=0.5), r(2, 3), r(3), r(2, 1))],
    E.addcdiv: [Sample(lambda x, y, z: D.addcdiv(x, y, z, value=2.0), r(2, 3), r(3), away(2, 1))],
    # copies
    E.clone: [Sample(lambda x: x.clone(), r(3))],
    E.to_copy: [Sample(lambda x: x.to(D.float32), r(3), eps=1e-3, atol=1e-3, rtol=1e-2)],
    E.copy_from: [Sample(lambda x, v: (x * 1).copy_(v), r(2, 3), r(3))],
    E.fill: [Sample(lambda x: (x * 1).fill_(2.0) + x, r(3))],
    E.fill_tensor: [Sample(lambda x, v: (x * 1).fill_(v), r(3), r())],
    E.zero: [Sample(lambda x: (x * 1).zero_() + x, r(3))],
    # reductions
    R.sum_all: [Sample(lambda x: x.sum(), r(2, 3))],
    R.sum_dim: [Sample(lambda x: x.sum(1), r(2, 3)), Sample(lambda x: x.sum((0, 2), keepdim=True), r(2, 3, 2))],
    R.nansum: [Sample(lambda x: x.nansum(0), r(2, 3)), Sample(lambda x: D.nansum(x), r(2, 3))],
    R.mean_all: [Sample(lambda x: x.mean(), r(2, 3))],
    R.mean_dim: [Sample(lambda x: x.mean(-1, keepdim=True), r(2, 3))],
    R.prod_all: [Sample(lambda x: x.prod(), r(2, 3)), Sample(lambda x: x.prod(), np.array([0.5, 0.0, 2.0]))],
    R.prod_dim: [Sample(lambda x: x.prod(1), r(2, 3)),
                 Sample(lambda x: x.prod(0), np.array([[0.5, 0.0, 2.0], [0.0, 1.5, 0.0]]))],
    R.var: [Sample(lambda x: x.var(1), r(2, 3)), Sample(lambda x: x.var(correction=0), r(2, 3))],
    R.std: [Sample(lambda x: x.std(0, keepdim=True), r(3, 2)), Sample(lambda x: x.std(), r(2, 3))],
    R.norm: [Sample(lambda x: x.norm(), r(2, 3)), Sample(lambda x: x.norm(1, dim=1), away(2, 3)),
             Sample(lambda x: D.norm(x, 3, 0), away(2, 3)), Sample(lambda x: D.norm(x, float("inf")), distinct(2, 3)),
             Sample(lambda x: D.norm(x, 0.5, 1), away(2, 3))],
    R.logsumexp: [Sample(lambda x: x.logsumexp(1), r(2, 3))],
    R.cumsum: [Sample(lambda x: x.cumsum(1), r(2, 3))],
    R.cumprod: [Sample(lambda x: x.cumprod(1), r(2, 3)), Sample(lambda x: x.cumprod(0), np.array([0.5, 0.0, 2.0, 1.5])),
                Sample(lambda x: x.cumprod(0), np.array([0.5, 0.0, 2.0, 0.0, 3.0]))],
    R.amax: [Sample(lambda x: x.amax(1), distinct(2, 3))],
    R.amin: [Sample(lambda x: x.amin((0, 1)), distinct(2, 3))],
    R.max_all: [Sample(lambda x: x.max(), distinct(2, 3))],
    R.min_all: [Sample(lambda x: x.min(), distinct(2, 3)), Sample(lambda x: x.min(), np.array([1.0, 0.5, 0.5]))],
    R.median_all: [Sample(lambda x: x.median(), distinct(2, 3)), Sample(lambda x: x.median(), np.array([1.0, 2, 2, 3]))],
    R.take_along: [Sample(lambda x: x.max(1).values, distinct(2, 3)),
                   Sample(lambda x: x.sort(0).values, distinct(3, 2)),
                   Sample(lambda x: x.median(1, keepdim=True).values, distinct(2, 3))],
    # shapes and views
    S.view: [Sample(lambda x: x.view(3, 2), r(2, 3))],
    S.unsafe_view: [Sample(lambda x: x.t().reshape(6), r(2, 3))],
    S.transpose: [Sample(lambda x: x.transpose(0, 2), r(2, 3, 2))],
    S.t: [Sample(lambda x: x.t(), r(2, 3))],
    S.permute: [Sample(lambda x: x.permute(2, 0, 1), r(2, 3, 2))],
    S.expand: [Sample(lambda x: x.expand(2, 3, 2), r(3, 1))],
    S.squeeze: [Sample(lambda x: x.squeeze(1), r(2, 1, 3))],
    S.unsqueeze: [Sample(lambda x: x.unsqueeze(1), r(2, 3))],
    S.diagonal: [Sample(lambda x: x.diagonal(1), r(3, 4))],
    S.diagonal_scatter_zeros: [Sample(lambda x: x.diagonal(-1, 0, 2) ** 2, r(3, 2, 3), order=2)],
    S.basic_index: [Sample(lambda x: x[1:, ::2], r(3, 4)), Sample(lambda x: x[1, None], r(3, 2))],
    S.index_scatter_zeros: [Sample(lambda x: x[D.tensor([0, 2, 0])] ** 2, r(3, 2), order=2),
                            Sample(lambda x: x[1:] ** 2, r(3, 2), order=2)],
    S.cat: [Sample(lambda x, y: D.cat([x, y, x], 1), r(2, 3), r(2, 1))],
    S.stack: [Sample(lambda x, y: D.stack([x, y], 1), r(2, 3), r(2, 3))],
    S.flip: [Sample(lambda x: x.flip(0, 1), r(2, 3))],
    S.roll: [Sample(lambda x: x.roll(1, 1), r(2, 3)), Sample(lambda x: x.roll(4), r(2, 3))],
    S.repeat: [Sample(lambda x: x.repeat(2, 1, 2), r(2, 3))],
    S.tril: [Sample(lambda x: x.tril(), r(3, 3))],
    S.triu: [Sample(lambda x: x.triu(-1), r(3, 3))],
    S.diag_embed: [Sample(lambda x: D.diag_embed(x, 1), r(2, 3)), Sample(lambda x: D.diag(x), r(3))],
    S.copy_slices: [Sample(lambda x, v: _setitem_basic(x, v), r(3, 4), r(4))],
    # indexing
    I.advanced_index: [Sample(lambda x: x[D.tensor([2, 0, 2])], r(3, 2)), Sample(lambda x: x[x > 0], r(3, 2)),
                       Sample(lambda x: x[D.tensor([0, 1]), :, D.tensor([1, 0])], r(2, 3, 2))],
    I.index_put: [Sample(lambda x, v: x.index_put((D.tensor([0, 2]),), v), r(3, 2), r(2)),
                  Sample(lambda x, v: x.index_put((D.tensor([0, 0]),), v, accumulate=True), r(3, 2), r(2, 2))],
    I.gather: [Sample(lambda x: x.gather(1, D.tensor([[0, 0], [2, 1]])), r(2, 3))],
    I.scatter: [Sample(lambda x, s: x.scatter(1, D.tensor([[2, 0], [1, 2]]), s), r(2, 3), r(2, 2))],
    I.scatter_value: [Sample(lambda x: x.scatter(1, D.tensor([[2], [0]]), 1.5), r(2, 3))],
    I.scatter_add: [Sample(lambda x, s: x.scatter_add(0, D.tensor([[1, 1, 0]]), s), r(2, 3), r(1, 3))],
    I.index_select: [Sample(lambda x: x.index_select(1, D.tensor([2, 0, 2])), r(2, 3))],
    I.index_add: [Sample(lambda x, s: x.index_add(0, D.tensor([1, 1]), s, alpha=2.0), r(2, 3), r(2, 3))],
    I.masked_fill: [Sample(lambda x, m: x.masked_fill(m, 0.5), r(2, 3), mask(3))],
    I.masked_fill_tensor: [Sample(lambda x, m, v: x.masked_fill(m, v), r(2, 3), mask(2, 3), r())],
    I.masked_select: [Sample(lambda x, m: x.masked_select(m), r(2, 3), mask(2, 3))],
    I.take: [Sample(lambda x: x.take(D.tensor([[5, 0], [2, 5]])), r(2, 3))],
    I.scatter_reduce_legacy: [Raises(lambda x: x.scatter(1, D.tensor([[0, 0]]), 2.0, reduce="multiply"), r(2, 3))],
    I.unique: [Raises(lambda x: D.unique(x), np.array([1.0, 2.0, 1.0]))],
    I.unique_dim: [Raises(lambda x: D.unique(x, dim=0), np.array([[1.0], [2.0], [1.0]]))],
    I.unique_consecutive: [Raises(lambda x: D.unique_consecutive(x), np.array([1.0, 1.0, 2.0]))],
    # linear algebra
    LA.mm: [Sample(lambda x, y: x.mm(y), r(2, 3), r(3, 2))],
    LA.mm_t: [Sample(lambda x, y: x.mm(y.t()), r(2, 3), r(2, 3))],
    LA.bmm: [Sample(lambda x, y: x.bmm(y), r(2, 2, 3), r(2, 3, 2))],
    LA.mv: [Sample(lambda x, y: x.mv(y), r(2, 3), r(3))],
    LA.dot: [Sample(lambda x, y: x.dot(y), r(3), r(3))],
    LA.matmul_nd: [Sample(lambda x, y: x @ y, r(2, 2, 3), r(3, 2)), Sample(lambda x, y: x @ y, r(3), r(2, 3, 2))],
    LA.vecmat: [Sample(lambda x, y: x @ y, r(3), r(3, 2))],
    LA.matvec_nd: [Sample(lambda x, y: x @ y, r(2, 2, 3), r(3))],
    LA.addmm: [Sample(lambda b, x, y: D.addmm(b, x, y, beta=0.5, alpha=2.0), r(2), r(2, 3), r(3, 2))],
    LA.addmm_t: [Sample(lambda b, x, y: D.addmm(b, x, y.t(), beta=0.5, alpha=2.0), r(2), r(2, 3), r(2, 3)),
                 Sample(lambda b, x, y: D.addmm(b, x, y.t()), r(2), r(2, 3), r(2, 3))],
    LA.baddbmm: [Sample(lambda b, x, y: D.baddbmm(b, x, y, beta=0.5, alpha=2.0), r(2, 2), r(2, 2, 3), r(2, 3, 2))],
    LA.einsum: [Sample(lambda x, y: D.einsum("bij,jk->bik", x, y), r(2, 2, 3), r(3, 2)),
                Sample(lambda x: D.einsum("iij->j", x), r(2, 2, 3)), Sample(lambda x: D.einsum("ij->", x), r(2, 3)),
                Sample(lambda x, y, z: D.einsum("ij,jk,k->i", x, y, z), r(2, 3), r(3, 2), r(2))],
}


def _setitem_basic(x, v):
    y = x * 1
    y[1] = v
    return y


def _nn_samples():
    """Samples for prims/nn.py, through torch.nn.functional's public signatures."""
    return {
        N.log_softmax: [Sample(lambda x: F.log_softmax(x, 1), r(2, 3))],
        N.softmax: [Sample(lambda x: F.softmax(x, 0), r(2, 3))],
        N.celu: [Sample(lambda x: F.celu(x, 0.7), away(5))],
        N.elu: [Sample(lambda x: F.elu(x, 1.3), away(5))],
        N.gelu: [Sample(lambda x: F.gelu(x), r(5)), Sample(lambda x: F.gelu(x, approximate="tanh"), r(5)),
                 Sample(lambda x: F.gelu(x, approximate="tanh") ** 2, r(5), order=2)],
        N.gelu_backward: [Sample(lambda x: F.gelu(x) ** 2, r(5), order=2)],
        N.glu: [Sample(lambda x: F.glu(x, 1), r(2, 4))],
        N.hardshrink: [Sample(lambda x: F.hardshrink(x, 0.3), distinct(6))],
        N.softshrink: [Sample(lambda x: F.softshrink(x, 0.3), distinct(6))],
        N.hardsigmoid: [Sample(lambda x: F.hardsigmoid(x), distinct(6, lo=-4, hi=4))],
        N.hardswish: [Sample(lambda x: F.hardswish(x), distinct(6, lo=-4, hi=4))],
        N.hardtanh: [Sample(lambda x: F.hardtanh(x, -0.5, 0.5), distinct(6))],
        N.leaky_relu: [Sample(lambda x: F.leaky_relu(x, 0.2), away(5))],
        N.logsigmoid: [Sample(lambda x: F.logsigmoid(x), r(5))],
        N.mish: [Sample(lambda x: F.mish(x), r(5))],
        N.silu: [Sample(lambda x: F.silu(x), r(5))],
        N.softplus: [Sample(lambda x: F.softplus(x, beta=2.0, threshold=1.0), distinct(6))],
        N.threshold: [Sample(lambda x: F.threshold(x, 0.1, -1.0), distinct(6))],
        N.prelu: [Sample(lambda x, w: F.prelu(x, w), away(2, 3, 2), r(3))],
        N.mse_loss: [Sample(lambda x, y: F.mse_loss(x, y), r(2, 3), r(2, 3)),
                     Sample(lambda x, y: F.mse_loss(x, y, reduction="none"), r(2, 3), r(2, 3))],
        N.smooth_l1_loss: [Sample(lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), distinct(2, 3), r(2, 3) * 0.01)],
        N.huber_loss: [Sample(lambda x, y: F.huber_loss(x, y, delta=0.5, reduction="sum"), distinct(2, 3),
                              r(2, 3) * 0.01)],
        N.soft_margin_loss: [Sample(lambda x, y: F.soft_margin_loss(x, y), r(2, 3), np.sign(r(2, 3)),
                                    grad=(True, False))],
        N.binary_cross_entropy: [Sample(lambda x, y, w: F.binary_cross_entropy(x, y, w), r(2, 3, lo=0.2, hi=0.8),
                                        r(2, 3, lo=0, hi=1), pos(3), grad=(True, True, False))],
        N.binary_cross_entropy_with_logits: [
            Sample(lambda x, y, w, p: F.binary_cross_entropy_with_logits(x, y, w, pos_weight=p), r(2, 3),
                   r(2, 3, lo=0, hi=1), pos(3), pos(3), grad=(True, True, False, False))],
        N.nll_loss: [Sample(lambda x, w: F.nll_loss(x, D.tensor([0, 2, 1]), w), r(3, 3), pos(3), grad=(True, False))],
        N.nll_loss2d: [Sample(lambda x: F.nll_loss(x, D.tensor([[[0, 2], [1, 1]]])), r(1, 3, 2, 2))],
        N.batch_norm: [Sample(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), r(3, 2, 2), pos(2),
                              r(2))],
        N.layer_norm: [Sample(lambda x, w, b: F.layer_norm(x, (3,), w, b), r(2, 3), pos(3), r(3))],
        N.group_norm: [Sample(lambda x, w, b: F.group_norm(x, 2, w, b), r(2, 4, 2), pos(4), r(4))],
        N.embedding: [Sample(lambda w: F.embedding(D.tensor([[0, 2], [2, 1]]), w), r(3, 2))],
        N.embedding_backward: [Sample(lambda w: F.embedding(D.tensor([0, 2, 2]), w) ** 2, r(3, 2), order=2)],
    }


def _conv_samples():
    """Samples for prims/conv.py, through torch.nn.functional's public signatures."""
    first_and_second = {
        "ReflectionPad1DBackward0": lambda x: F.pad(x, (2, 1), mode="reflect"),
        "ReflectionPad2DBackward0": lambda x: F.pad(x.reshape(1, 1, 2, 3), (1, 1, 1, 0), mode="reflect"),
        "ReflectionPad3DBackward0": lambda x: F.pad(x.reshape(1, 1, 1, 2, 3), (1, 1, 1, 0, 0, 0), mode="reflect"),
        "ReplicationPad1DBackward0": lambda x: F.pad(x, (2, 1), mode="replicate"),
        "ReplicationPad2DBackward0": lambda x: F.pad(x.reshape(1, 1, 2, 3), (1, 1, 1, 0), mode="replicate"),
        "ReplicationPad3DBackward0": lambda x: F.pad(x.reshape(1, 1, 1, 2, 3), (1, 1, 1, 0, 1, 0), mode="replicate"),
        "CopySlices": lambda x: F.pad(x, (2, 1), mode="circular"),
        "UpsampleNearest1DBackward0": lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
        "UpsampleNearest2DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 2, 3), size=(3, 4), mode="nearest"),
        "UpsampleNearest3DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 1, 2, 3), scale_factor=2,
                                                              mode="nearest"),
        "UpsampleNearestExact1DBackward0": lambda x: F.interpolate(x, size=5, mode="nearest-exact"),
        "UpsampleNearestExact2DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 2, 3), size=(3, 5),
                                                                   mode="nearest-exact"),
        "UpsampleNearestExact3DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 1, 2, 3), size=(2, 3, 4),
                                                                   mode="nearest-exact"),
        "UpsampleLinear1DBackward0": lambda x: F.interpolate(x, size=5, mode="linear", align_corners=False),
        "UpsampleBilinear2DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 2, 3), size=(3, 4), mode="bilinear",
                                                               align_corners=True),
        "UpsampleTrilinear3DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 1, 2, 3), size=(2, 3, 4),
                                                                mode="trilinear", align_corners=False),
        "UpsampleBicubic2DBackward0": lambda x: F.interpolate(x.reshape(1, 1, 2, 3), size=(3, 4), mode="bicubic",
                                                              align_corners=False),
        "AdaptiveAvgPool2DBackward0": lambda x: F.adaptive_avg_pool2d(x.reshape(1, 2, 3), (2, 2)),
        "AdaptiveAvgPool3DBackward0": lambda x: F.adaptive_avg_pool3d(x.reshape(1, 1, 2, 3), (1, 2, 2)),
        "MaxPool2DWithIndicesBackward0": lambda x: F.max_pool2d(x.reshape(1, 2, 3), 2, 1),
        "MaxPool3DWithIndicesBackward0": lambda x: F.max_pool3d(x.reshape(1, 1, 2, 3), 2, 1, padding=(1, 0, 0)),
        "AdaptiveMaxPool2DBackward0": lambda x: F.adaptive_max_pool2d(x.reshape(1, 2, 3), (1, 2)),
        "AdaptiveMaxPool3DBackward0": lambda x: F.adaptive_max_pool3d(x.reshape(1, 1, 2, 3), (1, 1, 2)),
        "AvgPool2DBackward0": lambda x: F.avg_pool2d(x.reshape(1, 2, 3), 2, 1),
        "AvgPool3DBackward0": lambda x: F.avg_pool3d(x.reshape(1, 1, 2, 3), (1, 2, 2), 1, count_include_pad=False,
                                                     padding=(0, 1, 0)),
    }
    table = {}
    for name, fn in first_and_second.items():
        second = name.replace("Backward0", "BackwardBackward0") if name.endswith("Backward0") else name + "Backward0"
        x = distinct(1, 6).reshape(1, 1, 6) if "1D" in name or name == "CopySlices" else distinct(1, 6)
        table[("conv", name)] = [Sample(fn, x)]
        table[("conv", second)] = [Sample(lambda x, fn=fn: fn(x) ** 2, x, order=2)]
    conv2 = [Sample(lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1), r(1, 2, 3, 3), r(2, 2, 2, 2), r(2)),
             Sample(lambda x, w: F.conv1d(x, w, stride=2, dilation=1, groups=2), r(1, 2, 5), r(4, 1, 2))]
    table[C.conv] = conv2
    second = [Sample(lambda x, w: F.conv2d(x, w, padding=1) ** 2, r(1, 1, 2, 3), r(2, 1, 2, 2), order=2)]
    table[C.conv_input_grad] = second
    table[C.conv_weight_grad] = second
    table[C.conv_transpose] = [
        Sample(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), r(1, 2, 2, 2),
               r(2, 1, 2, 2), r(1)),
        Sample(lambda x, w: F.conv_transpose1d(x, w, stride=1, groups=2), r(1, 2, 3), r(2, 1, 2))]
    table[C.im2col] = [Sample(lambda x: F.unfold(x, 2, padding=1, stride=2), r(1, 2, 3, 3))]
    table[C.col2im] = [Sample(lambda x: F.fold(x, (3, 3), 2, padding=1, stride=2), r(1, 8, 4))]
    table[C.constant_pad] = [Sample(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), r(2, 3))]
    if hasattr(C, "max_unpool2d"):
        table.update(_unpool_samples())
    return table


def _unpool_samples():
    """max_unpool: indices from a max_pool of fixed data, then unpool the differentiable input."""
    table = {}
    idx2 = F.max_pool2d(D.tensor(distinct(1, 1, 4, 4)), 2, return_indices=True)[1]
    idx3 = F.max_pool3d(D.tensor(distinct(1, 1, 2, 4, 4)), 2, return_indices=True)[1]
    unpool2 = lambda x: F.max_unpool2d(x, idx2, 2)  # noqa: E731
    unpool3 = lambda x: F.max_unpool3d(x, idx3, 2)  # noqa: E731
    table[("conv", "MaxUnpool2DBackward0")] = [Sample(unpool2, r(1, 1, 2, 2))]
    table[("conv", "MaxUnpool2DBackwardBackward0")] = [Sample(lambda x: unpool2(x) ** 2, r(1, 1, 2, 2), order=2)]
    table[("conv", "MaxUnpool3DBackward0")] = [Sample(unpool3, r(1, 1, 1, 2, 2))]
    table[("conv", "MaxUnpool3DBackwardBackward0")] = [Sample(lambda x: unpool3(x) ** 2, r(1, 1, 1, 2, 2),
                                                              order=2)]
    return table


SAMPLES.update(_nn_samples())
SAMPLES.update(_conv_samples())


def _module(p):
    return getattr(p.forward, "__module__", "?").rsplit(".", 1)[-1]


def _samples_for(p):
    return SAMPLES.get(p) or SAMPLES.get((_module(p), p.name))


DIFFERENTIABLE = [p for p in ALL_PRIMS if p.vjps is not None]


@pytest.mark.parametrize("p", DIFFERENTIABLE, ids=[f"{_module(p)}.{p.name}#{i}" for i, p in enumerate(DIFFERENTIABLE)])
def test_gradcheck(p):
    samples = _samples_for(p)
    if not samples:
        pytest.fail(f"differentiable primitive {p.name!r} (prims/{_module(p)}.py) has no sample inputs in "
                    f"tests/test_prims_gradcheck.py SAMPLES")
    for k, sample in enumerate(samples):
        leaves = sample.leaves()
        if isinstance(sample, Raises):
            out = sample.fn(*leaves)
            assert p in _reached([out]), f"sample {k} does not reach {p.name}"
            with pytest.raises((RuntimeError, NotImplementedError), match="derivative for .* is not implemented"):
                out.sum().backward()
            continue
        fn, inputs = sample.function(leaves)
        outs = _tuple(fn(*inputs))
        assert p in _reached(outs), f"sample {k} of {p.name} does not reach the primitive"
        assert gradcheck(fn, tuple(inputs), **sample.tol), f"sample {k}"


def test_every_sample_key_is_a_primitive():
    """Stale table entries (a primitive renamed or removed) are caught here."""
    names = {(_module(p), p.name) for p in ALL_PRIMS}
    for key in SAMPLES:
        assert key in ALL_PRIMS or key in names, f"SAMPLES key {key!r} names no primitive"
