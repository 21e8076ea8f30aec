"""Creation functions against torch: dtype inference, memory sharing, and values (float32 ranges bit-identical)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import assert_same_tensor  # noqa: E402


def same(d, t, exact=True):
    """Same shape, dtype and values (bit for bit when ``exact``)."""
    assert_same_tensor(d, t, rtol=0 if exact else None, atol=0 if exact else None)


def both(fn):
    same(fn(dagrad), fn(torch))


TENSOR_DATA = [
    1, 2.5, True, [1, 2, 3], [1.0, 2, 3], [True, False], [[1, 2], [3, 4]], [[1, 2.0], [3, 4]], [],
    [[]], [True, 1], [True, 1.5], (1, 2), [(1, 2), (3, 4)], 1 + 2j, [1, 2j], np.float32(1.5), np.int32(3),
    [np.float32(1.5), 2], np.array([1, 2], dtype=np.int16), np.array([1.5], dtype=np.float16),
    np.array(2.0), [np.array([1.0]), np.array([2.0])],
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[repr(d) for d in TENSOR_DATA])
def test_tensor_inference(data):
    both(lambda L: L.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool", "float16", "uint8", "int8"])
def test_tensor_dtype_arg(dtype):
    both(lambda L: L.tensor([[0, 1.7], [2, -3.2]] if dtype != "uint8" else [[0, 1.7], [2, 3.2]],
                            dtype=getattr(L, dtype)))


def test_tensor_from_tensors_and_default_dtype():
    both(lambda L: L.tensor([L.tensor(1.5), L.tensor(2.5)]))
    both(lambda L: L.tensor(L.tensor([1, 2])))
    for L in (torch, dagrad):
        L.set_default_dtype(L.float64)
    try:
        both(lambda L: L.tensor([1.5, 2]))
        both(lambda L: L.tensor(1j))
        both(lambda L: L.arange(0.0, 1.0, 0.25))
        both(lambda L: L.zeros(2))
    finally:
        for L in (torch, dagrad):
            L.set_default_dtype(L.float32)


def test_tensor_copies():
    a = np.array([1.0, 2.0])
    t = dagrad.tensor(a)
    a[0] = 5.0
    assert t[0].item() == 1.0


def test_as_tensor_and_from_numpy_share_memory():
    for fn in (dagrad.as_tensor, dagrad.from_numpy):
        a = np.array([1.0, 2.0, 3.0])
        t = fn(a)
        a[0] = 7.0
        assert t[0].item() == 7.0
        t[1] = 9.0
        assert a[1] == 9.0
        assert t.dtype is dagrad.float64
    a = np.array([1, 2], dtype=np.int32)
    assert dagrad.from_numpy(a).dtype is dagrad.int32
    # as_tensor with another dtype copies
    t = dagrad.as_tensor(a, dtype=dagrad.float32)
    a[0] = 100
    assert t[0].item() == 1.0
    both(lambda L: L.as_tensor([1, 2.5]))
    x = dagrad.tensor([1.0])
    assert dagrad.as_tensor(x) is x


def test_numpy_shares_memory():
    for L in (torch, dagrad):
        t = L.zeros(3)
        n = t.numpy()
        n[0] = 4.0
        assert t[0].item() == 4.0


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(name):
    for args in [(2, 3), ((2, 3),), ([4],), (0,), ((),)]:
        d, t = getattr(dagrad, name)(*args), getattr(torch, name)(*args)
        assert tuple(d.shape) == tuple(t.shape) and str(d.dtype)[7:] == str(t.dtype)[6:]
        if name != "empty":
            same(d, t)
    both(lambda L: getattr(L, name)(2, dtype=L.int64) * 0)
    assert getattr(dagrad, name)(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("fill", [1, 2.5, True, -3, 1 + 1j])
def test_full_dtype_from_fill(fill):
    both(lambda L: L.full((2, 3), fill))
    both(lambda L: L.full([2], fill, dtype=L.complex128 if isinstance(fill, complex) else L.float64))


def test_like_functions():
    for src in ([[1, 2], [3, 4]], [1.5, 2.5], [True]):
        both(lambda L: L.zeros_like(L.tensor(src)))
        both(lambda L: L.ones_like(L.tensor(src)))
        both(lambda L: L.full_like(L.tensor(src), 7))
        both(lambda L: L.ones_like(L.tensor(src), dtype=L.float64))
        both(lambda L: L.empty_like(L.tensor(src)).shape and L.zeros_like(L.tensor(src)))
    both(lambda L: L.full_like(L.tensor([1, 2]), 2.7))


def test_eye():
    both(lambda L: L.eye(3))
    both(lambda L: L.eye(2, 4))
    both(lambda L: L.eye(3, dtype=L.int64))
    both(lambda L: L.eye(0))


ARANGE = [(5,), (2, 7), (0, 1, 0.1), (1, 0, -0.1), (10, 0, -3), (0.5, 3), (-1.5, 2.2, 0.3), (0, 10, 3),
          (1e-3, 1.0, 1e-2), (5, 5), (3.0,), (0, -5, -1), (-3, 4, 2.5), (0, 100, 0.37), (0.5, 1000.5, 0.7),
          (-3.2, 77.7, 0.013), (1e5, 1e5 + 3, 1e-4)]


@pytest.mark.parametrize("args", ARANGE, ids=[str(a) for a in ARANGE])
def test_arange(args):
    both(lambda L: L.arange(*args))
    both(lambda L: L.arange(*args, dtype=L.float64))
    both(lambda L: L.arange(*args, dtype=L.float32))


def test_arange_int_dtype_and_tensor_args():
    both(lambda L: L.arange(0, 10, 2, dtype=L.int32))
    both(lambda L: L.arange(0, 10, 2.5, dtype=L.int64))
    both(lambda L: L.arange(0, 10, 2.5, dtype=L.int32))
    both(lambda L: L.arange(0.5, 5.7, 1.2, dtype=L.int64))
    both(lambda L: L.arange(L.tensor(4)))
    both(lambda L: L.arange(0, 1, L.tensor(0.25)))


LINSPACE = [(0, 1, 5), (0, 1, 1), (-2.5, 7.25, 13), (1, 0, 7), (0, 1, 0), (3, 3, 4), (0, 10, 11), (-1, 1, 100),
            (0.1, 0.9, 33), (0, 1, 1000), (3.3, -7.1, 77), (-1e3, 7, 9999)]


@pytest.mark.parametrize("args", LINSPACE, ids=[str(a) for a in LINSPACE])
def test_linspace(args):
    both(lambda L: L.linspace(*args))
    both(lambda L: L.linspace(*args, dtype=L.float64))


def test_linspace_int():
    both(lambda L: L.linspace(0, 10, 4, dtype=L.int64))
    both(lambda L: L.linspace(-5, 5, 7, dtype=L.int32))


@pytest.mark.parametrize("args", [(0, 2, 5), (-1, 1, 4), (0, 3, 4, 2), (1, 0, 3), (-3.3, 4.1, 57), (0, 1, 100, 7),
                                  (-10, 10, 1001, 1.1), (2, 2, 1), (0, 1, 0)])
def test_logspace(args):
    both(lambda L: L.logspace(*args))
    both(lambda L: L.logspace(*args, dtype=L.float64))


def test_scalar_tensor_and_requires_grad():
    both(lambda L: L.scalar_tensor(3))
    both(lambda L: L.scalar_tensor(3, dtype=L.int64))
    for L in (torch, dagrad):
        assert L.tensor([1.0], requires_grad=True).requires_grad
        assert L.tensor([1.0], requires_grad=True).is_leaf


def test_new_methods():
    both(lambda L: L.tensor([1, 2]).new_zeros(2, 3))
    both(lambda L: L.tensor([1.5]).new_ones((2,)))
    both(lambda L: L.tensor([1.5]).new_full((2,), 3))
    both(lambda L: L.tensor([1.5], dtype=L.float64).new_tensor([1, 2]))
