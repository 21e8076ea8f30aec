"""Matrix products against torch: every matmul rank pairing (with torch's node name), mm/bmm/mv/dot/outer,
einsum (ellipsis, implicit output, traces), addmm/baddbmm, tensordot."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _compare import check  # noqa: E402

RNG = np.random.default_rng(3)


def r(*shape):
    return np.asarray(RNG.uniform(-1.0, 1.0, size=shape))


# (shape a, shape b): every pairing torch's matmul accepts
MATMUL_SHAPES = [
    ((4,), (4,)),            # dot
    ((3, 4), (4,)),          # mv
    ((4,), (4, 5)),          # vector @ matrix
    ((3, 4), (4, 5)),        # mm
    ((2, 3, 4), (2, 4, 5)),  # bmm-like
    ((2, 3, 4), (4, 5)),     # batch @ matrix
    ((3, 4), (2, 4, 5)),     # matrix @ batch
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ((4,), (2, 4, 5)),       # 1-D @ N-D
    ((2, 3, 4), (4,)),       # N-D @ 1-D
    ((2, 2, 3, 4), (4,)),
    ((4,), (3, 2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)),
    ((1, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 1)),
    ((3, 4), (2, 2, 4, 5)),
    ((1, 3, 4), (1, 4, 5)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb):
    check(lambda L, x, y: L.matmul(x, y), r(*sa), r(*sb))
    check(lambda L, x, y: x @ y, r(*sa), r(*sb))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_one_side_grad(sa, sb):
    check(lambda L, x, y: x @ y, r(*sa), r(*sb), requires_grad=[True, False])
    check(lambda L, x, y: x @ y, r(*sa), r(*sb), requires_grad=[False, True])


def test_matmul_ints():
    a, b = RNG.integers(-3, 3, (2, 3)), RNG.integers(-3, 3, (3, 4))
    check(lambda L, x, y: (x @ y, L.mm(x, y), L.matmul(x[0], y)), a, b)


def test_mm_bmm_mv_dot_outer():
    check(lambda L, x, y: L.mm(x, y), r(3, 4), r(4, 2))
    check(lambda L, x, y: x.mm(y.t()), r(3, 4), r(2, 4))
    check(lambda L, x, y: L.bmm(x, y), r(2, 3, 4), r(2, 4, 5))
    check(lambda L, x, y: L.mv(x, y), r(3, 4), r(4))
    check(lambda L, x, y: L.dot(x, y), r(4), r(4))
    check(lambda L, x, y: x.dot(y), r(4), r(4))
    check(lambda L, x, y: L.outer(x, y), r(3), r(4))
    check(lambda L, x, y: x.outer(y), r(3), r(4))
    check(lambda L, x, y: L.inner(x, y), r(2, 4), r(3, 4))


def test_transposed_operands():
    check(lambda L, x, y: L.mm(x.t(), y), r(4, 3), r(4, 2))
    check(lambda L, x, y: x.transpose(1, 2) @ y, r(2, 4, 3), r(2, 4, 5))


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("ii->", [(4, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk", [(2, 3, 4), (4, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(4,), (4,)]),
    ("i,i", [(4,), (4,)]),
    ("ba,ca->bc", [(3, 4), (2, 4)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("i j , j k -> i k", [(3, 4), (4, 5)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    arrays = [r(*s) for s in shapes]
    check(lambda L, *xs: L.einsum(eq, *xs), *arrays, names=False)


def test_einsum_list_operands():
    check(lambda L, x, y: L.einsum("ij,jk->ik", [x, y]), r(2, 3), r(3, 4), names=False)


def test_addmm_baddbmm():
    check(lambda L, b, x, y: L.addmm(b, x, y), r(3, 5), r(3, 4), r(4, 5))
    check(lambda L, b, x, y: L.addmm(b, x, y), r(5), r(3, 4), r(4, 5))
    check(lambda L, b, x, y: L.addmm(b, x, y, beta=0.5, alpha=2.0), r(3, 5), r(3, 4), r(4, 5))
    check(lambda L, b, x, y: b.addmm(x, y, alpha=-1), r(1, 5), r(3, 4), r(4, 5))
    check(lambda L, b, x, y: L.baddbmm(b, x, y), r(2, 3, 5), r(2, 3, 4), r(2, 4, 5))
    check(lambda L, b, x, y: L.baddbmm(b, x, y, beta=2, alpha=0.5), r(3, 5), r(2, 3, 4), r(2, 4, 5))


@pytest.mark.parametrize("dims", [1, 0, ([1], [0]), ((0, 1), (1, 0)), ([-1], [0])])
def test_tensordot(dims):
    a, b = r(3, 4), r(4, 3)
    check(lambda L, x, y: L.tensordot(x, y, dims), a, b)
    check(lambda L, x, y: L.tensordot(x, y, 2), r(3, 4), r(3, 4))


def test_tensordot_3d():
    check(lambda L, x, y: L.tensordot(x, y, dims=([1, 2], [0, 1])), r(2, 3, 4), r(3, 4, 5), names=False)


def test_double_backward_matmul():
    def fn(L, x, y):
        z = ((x @ y).tanh() ** 2).sum()
        gx, gy = L.autograd.grad(z, (x, y), create_graph=True)
        return gx, gy
    check(fn, r(2, 3, 4), r(4, 5), names=False)
    check(fn, r(4), r(2, 4, 5), names=False)
