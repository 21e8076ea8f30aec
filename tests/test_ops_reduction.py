"""Reductions against torch: values, (values, indices) namedtuples, grad_fn names and gradients (ties too)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import check  # noqa: E402

RNG = np.random.default_rng(7)


def r(*shape, lo=-2.0, hi=2.0):
    return np.asarray(RNG.uniform(lo, hi, size=shape))


DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), ()]


def _with_dim(fn_name, dim, keepdim, **kw):
    if dim is None:
        return lambda L, x: getattr(L, fn_name)(x, **kw)
    return lambda L, x: getattr(L, fn_name)(x, dim, keepdim=keepdim, **kw)


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "nansum"])
def test_sum_mean(name, dim, keepdim):
    check(_with_dim(name, dim, keepdim), r(2, 3, 4))


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_method_forms(dim, keepdim):
    if dim is None:
        check(lambda L, x: (x.sum(), x.mean(), x.prod(), x.amax(), x.std(), x.var(), x.norm(), x.max(), x.min()),
              r(3, 4))
    else:
        check(lambda L, x: (x.sum(dim, keepdim), x.mean(dim=dim, keepdim=keepdim), x.amax(dim, keepdim),
                            x.amin(dim, keepdim), x.var(dim, keepdim=keepdim), x.std(dim, keepdim=keepdim),
                            x.norm(dim=dim, keepdim=keepdim), x.logsumexp(dim, keepdim)), r(3, 4))


def test_sum_dtypes():
    check(lambda L, x: (x.sum(), x.sum(0), x.sum(dtype=L.float64), L.sum(x, 1, dtype=L.float32)),
          RNG.integers(-5, 5, (3, 4)))
    check(lambda L, x: (x.sum(), x.sum(0), x.any(), x.all(), x.all(1), x.any(0, keepdim=True)),
          RNG.integers(0, 2, (3, 4)).astype(bool))
    check(lambda L, x: (x.sum(dtype=L.float64), x.mean(dtype=L.float64), x.cumsum(0, dtype=L.float64)), r(3, 4))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    check(_with_dim("prod", dim, keepdim), r(3, 4, lo=0.5, hi=1.5))


def test_prod_with_zeros():
    a = r(3, 4)
    a[0, 1] = 0.0
    a[1, 1] = 0.0
    a[1, 2] = 0.0
    a[2, 3] = 0.0
    check(lambda L, x: (x.prod(), x.prod(0), x.prod(1, keepdim=True)), a)
    b = r(5)
    b[2] = 0.0
    check(lambda L, x: x.prod(), b)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("kw", [{}, {"unbiased": False}, {"correction": 0}, {"correction": 2}, {"keepdim": True}])
def test_var_std(name, dim, kw):
    if dim is None:
        kw = {k: v for k, v in kw.items() if k != "keepdim"}
        check(lambda L, x: getattr(L, name)(x, **kw), r(3, 4))
    else:
        check(lambda L, x: getattr(L, name)(x, dim, **kw), r(3, 4))


def test_var_mean_std_mean():
    check(lambda L, x: (L.var_mean(x), L.std_mean(x, 1), L.var_mean(x, 0, keepdim=True),
                        L.std_mean(x, dim=(0, 1), correction=0)), r(3, 4))


def test_var_legacy_unbiased_positional():
    check(lambda L, x: (L.var(x, False), L.std(x, True), x.var(0, False)), r(3, 4))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), float("-inf"), 0, "fro"])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_norm(p, dim):
    if dim is None:
        check(lambda L, x: L.norm(x, p), r(3, 4))
    else:
        check(lambda L, x: L.norm(x, p, dim, keepdim=True), r(3, 4))


@pytest.mark.skipif(not hasattr(dagrad, "linalg"), reason="dagrad.linalg namespace not exported yet")
def test_linalg_vector_norm():
    check(lambda L, x: (L.linalg.vector_norm(x), L.linalg.vector_norm(x, 1, dim=0)), r(3, 4))


def test_norm_at_zero():
    check(lambda L, x: L.norm(x * 0), r(3))


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(dim, keepdim):
    check(lambda L, x: L.logsumexp(x, dim, keepdim), r(3, 4))


def test_logsumexp_large_and_inf():
    check(lambda L, x: L.logsumexp(x, 1), np.array([[1000.0, 1000.0], [-1000.0, -1000.0]]))
    check(lambda L, x: L.logsumexp(x, 1), np.array([[-np.inf, -np.inf], [np.inf, 1.0]]), grad=False)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(name, dim):
    check(lambda L, x: getattr(L, name)(x, dim), r(3, 4, lo=0.5, hi=1.5))
    check(lambda L, x: getattr(x, name)(dim=dim), r(3, 4, lo=0.5, hi=1.5))


def test_cumprod_with_zero():
    a = r(6)
    a[2] = 0.0
    check(lambda L, x: L.cumprod(x, 0), a)
    a[4] = 0.0
    check(lambda L, x: L.cumprod(x, 0), a)


def test_cumsum_int():
    check(lambda L, x: (L.cumsum(x, 0), L.cumprod(x, 1)), RNG.integers(-3, 4, (3, 4)))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim(name, dim, keepdim):
    check(lambda L, x: getattr(L, name)(x, dim, keepdim), r(3, 4))
    check(lambda L, x: getattr(x, name)(dim=dim, keepdim=keepdim).values, r(3, 4))
    check(lambda L, x: getattr(x, name)(dim)[1], r(3, 4), grad=False)


def test_max_min_ties():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])
    # full reductions share the gradient among ties; dim reductions send it to the returned index
    check(lambda L, x: (x.max(), x.min(), L.amax(x), L.amin(x)), a)
    check(lambda L, x: (x.max(1), x.min(0), L.amax(x, 1), L.amin(x, 0), L.amax(x, (0, 1), keepdim=True)), a)


def test_max_min_binary_and_nan():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 2.0, 0.0]])
    check(lambda L, x: (x.max(), x.min(), x.max(1), x.min(1), x.argmax(), x.argmin(1), L.amax(x, 1)), a,
          grad=False)
    check(lambda L, x, y: (L.max(x, y), L.min(x, y)), r(3, 4), r(4))


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(dim, keepdim):
    a = np.round(r(3, 4))
    check(lambda L, x: (L.argmax(x, dim, keepdim), L.argmin(x, dim=dim, keepdim=keepdim)), a, grad=False)


def test_median():
    check(lambda L, x: L.median(x), r(3, 4))
    check(lambda L, x: L.median(x), r(5))
    check(lambda L, x: L.median(x, 1), r(3, 4))
    check(lambda L, x: x.median(0, keepdim=True), r(3, 4))
    check(lambda L, x: x.median(dim=-1), np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 4.0, 1.0]]))


def test_all_any_count_nonzero():
    a = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    check(lambda L, x: (L.all(x), L.any(x), L.all(x, 1), L.any(x, 0), L.any(x, 1, keepdim=True),
                        L.count_nonzero(x), L.count_nonzero(x, 1), L.count_nonzero(x, dim=(0, 1)), x.all(dim=0)),
          a, grad=False)
    b = RNG.integers(0, 3, (2, 3))
    check(lambda L, x: (x.all(), x.any(1), L.count_nonzero(x, 0)), b)


def test_zero_dim_input():
    a = np.array(1.5)
    check(lambda L, x: (x.sum(), x.sum(0), x.mean(0, keepdim=True), x.max(0), x.amax(), x.cumsum(0),
                        x.logsumexp(0), x.prod(0)), a)


def test_empty_reductions():
    a = np.zeros((0, 3))
    check(lambda L, x: (x.sum(), x.sum(0), x.prod(0), x.amax(1), L.logsumexp(x, 0)), a)


def test_double_backward_through_reductions():
    def fn(L, x):
        y = (x.var(1) * x.norm(dim=0).sum() + L.logsumexp(x, 0).sum() + x.prod()).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        return g
    check(fn, r(3, 4, lo=0.5, hi=1.5))


def ints(*shape):
    return RNG.integers(-3, 4, shape)


def bools(*shape):
    return RNG.integers(0, 2, shape).astype(bool)


MORE = {
    "max_int_dim": (lambda L, x: x.max(1), ints(3, 4)),
    "min_max_int": (lambda L, x: (x.min(), x.max(), x.amax(0), x.argmax()), ints(3, 4)),
    "bool_reductions": (lambda L, x: (x.sum(1), x.sum((0, 1)), x.cumsum(0), x.prod(), x.any(1)), bools(3, 4)),
    "prod_int_dim": (lambda L, x: (x.prod(1), x.prod(0, keepdim=True)), ints(3, 4)),
    "std_single": (lambda L, x: (x.std(), x.var(0)), r(1)),
    "norm_dtype": (lambda L, x: L.norm(x, dtype=L.float64), r(3)),
    "argmax_ties": (lambda L, x: (x.argmax(), x.argmin(1), x.max(1).indices, x.min(0).indices),
                    np.array([[1.0, 3, 3], [2, 2, 0]])),
    "median_even": (lambda L, x: (x.median(), x.median(0)), r(4, 3)),
    "median_nan": (lambda L, x: (x.median(), x.median(0)), np.array([1.0, np.nan, 0.0, np.nan])),
    "median_ties": (lambda L, x: x.median(), np.array([1.0, 2.0, 2.0, 3.0])),
    "max_min_nan": (lambda L, x: (x.max(), x.min(), x.amax(), x.amin()), np.array([1.0, np.nan, 0.0, np.nan])),
    "median_empty_error": (lambda L, x: x.sum(), r(2)),
    "var_mean_dims": (lambda L, x: L.var_mean(x, (0, 1)), r(2, 3, 4)),
    "count_nonzero_dims": (lambda L, x: L.count_nonzero(x, (0, 1)), ints(2, 3, 4)),
    "all_any_dims": (lambda L, x: (x.all((0, 1)), x.any((1,))), bools(2, 3, 4)),
    "empty_dim_list": (lambda L, x: (x.sum([]), x.mean([]), x.amax(())), r(2, 3)),
    "logsumexp_all_neg_inf": (lambda L, x: L.logsumexp(x, 0), np.array([-np.inf, -np.inf])),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_more(name):
    fn, *arrays = MORE[name]
    check(fn, *arrays)
