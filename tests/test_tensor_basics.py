"""Tensor basics against torch: conversions (.numpy, .item, .tolist, __array__, bool/float/int/index), len
and iteration, shape/size/stride/contiguity, dtype and device, detach/clone/to, .grad assignment, Size."""
import operator
import warnings

import numpy as np
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error  # noqa: E402

LIBS = (torch, dagrad)


def same(d, t):
    if isinstance(t, torch.Tensor):
        assert_same_tensor(d, t)
    elif isinstance(t, (tuple, list)):
        assert isinstance(d, (tuple, list)) and len(d) == len(t), (d, t)
        for a, b in zip(d, t):
            same(a, b)
    else:
        assert d == t and type(d) is type(t), (d, t)


def compare(fn):
    same(fn(dagrad), fn(torch))


def raises_same(fn):
    check_error(lambda lib, _: fn(lib), None)


def warnings_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    # torch's C++ warnings end in "(Triggered internally at ...)"
    return [(m.category, str(m.message).split(" (Triggered internally at ")[0]) for m in w]


# ---- numpy interop -------------------------------------------------------------------------------------
def test_numpy_refuses_tensors_that_require_grad():
    raises_same(lambda lib: lib.ones(2, requires_grad=True).numpy())
    raises_same(lambda lib: (lib.ones(2, requires_grad=True) * 2).numpy())
    raises_same(lambda lib: np.asarray(lib.ones(2, requires_grad=True)))


def test_numpy_shares_storage():
    def fn(lib):
        t = lib.ones(3)
        a = t.numpy()
        a[0] = 5.0
        return t, type(a).__name__, a.dtype.name
    compare(fn)


def test_numpy_force_and_detach():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        return x.numpy(force=True).tolist(), x.detach().numpy().tolist()
    compare(fn)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")  # torch's
def test_array_protocol():
    def fn(lib):
        t = lib.arange(6).reshape(2, 3)
        a, b = np.asarray(t), np.asarray(t, dtype=np.float64)
        c = np.array(t)
        c[0, 0] = 100
        a[1, 1] = 50
        return a.tolist(), a.dtype.name, b.dtype.name, np.array(lib.tensor(2.5)).item(), t
    compare(fn)


# ---- Python scalars -------------------------------------------------------------------------------------
def test_item():
    def fn(lib):
        return [lib.tensor(2.5).item(), lib.tensor([3]).item(), lib.tensor([[True]]).item(), lib.tensor(7).item(),
                lib.tensor(2.5, requires_grad=True).item(), lib.tensor(1.5, dtype=lib.float64).item()]
    compare(fn)
    raises_same(lambda lib: lib.ones(2).item())
    raises_same(lambda lib: lib.ones(0).item())


def test_tolist():
    compare(lambda lib: [lib.tensor([[1, 2], [3, 4]]).tolist(), lib.tensor(2.5).tolist(),
                         lib.ones(2, requires_grad=True).tolist(), lib.ones(0).tolist(), lib.ones(2, 0).tolist(),
                         lib.tensor([True, False]).tolist()])


def test_bool():
    compare(lambda lib: [bool(lib.tensor(1.0)), bool(lib.tensor([0])), bool(lib.tensor([[2]])),
                         bool(lib.tensor(float("nan"))), bool(lib.tensor(0.0))])
    raises_same(lambda lib: bool(lib.ones(2)))
    raises_same(lambda lib: bool(lib.ones(0)))
    raises_same(lambda lib: 1 if lib.tensor([1.0, 2.0]) > 0 else 0)


def test_float_int_complex():
    compare(lambda lib: [float(lib.tensor(2.5)), float(lib.tensor([3])), float(lib.tensor([[True]])),
                         int(lib.tensor(2.7)), int(lib.tensor([-2.7])), int(lib.tensor(True)), int(lib.tensor(5)),
                         complex(lib.tensor(2.0)), float(lib.tensor(1 + 0j))])
    for conv in (float, int, complex):
        raises_same(lambda lib: conv(lib.ones(2)))
        raises_same(lambda lib: conv(lib.ones(0)))
    raises_same(lambda lib: float(lib.tensor([1 + 1j])))
    raises_same(lambda lib: int(lib.tensor([1 + 1j])))


def test_scalar_conversion_warnings():
    from dagrad._tensor import SCALAR_WARNING
    for conv in (float, complex):
        # torch warns once per process (a C++ TORCH_WARN_ONCE), dagrad through Python's warning filters
        assert warnings_of(lambda: conv(dagrad.tensor(1.5, requires_grad=True))) == [(UserWarning, SCALAR_WARNING)]
        assert warnings_of(lambda: conv(torch.tensor(1.5, requires_grad=True))) in ([], [(UserWarning,
                                                                                          SCALAR_WARNING)])
    for conv in (int, operator.methodcaller("item"), bool, operator.methodcaller("tolist")):
        for lib in LIBS:
            assert warnings_of(lambda: conv(lib.tensor(1.5, requires_grad=True))) == [], (lib, conv)
        assert warnings_of(lambda: float(dagrad.tensor(1.5))) == []


def test_index():
    compare(lambda lib: [operator.index(lib.tensor(3)), [10, 20, 30][lib.tensor(1)], operator.index(lib.tensor([2])),
                         operator.index(lib.tensor(True)), list(range(lib.tensor(3))), hex(lib.tensor(255))])
    raises_same(lambda lib: operator.index(lib.tensor(3.0)))
    raises_same(lambda lib: operator.index(lib.tensor([1, 2])))
    raises_same(lambda lib: [1, 2][lib.tensor(0.0)])


def test_format():
    compare(lambda lib: [f"{lib.tensor(2.5):.2f}", f"{lib.tensor(3):d}", f"{lib.tensor([1.0])}", f"{lib.tensor(1.25)}",
                         f"{lib.tensor(True)}", "{:>6}".format(lib.tensor(7))])
    raises_same(lambda lib: f"{lib.ones(2):.2f}")


# ---- len and iteration ----------------------------------------------------------------------------------
def test_len_and_iteration():
    compare(lambda lib: [len(lib.ones(3, 2)), len(lib.ones(0)), [r.tolist() for r in lib.arange(6).reshape(3, 2)],
                         [type(v).__name__ for v in lib.arange(3)]])
    raises_same(lambda lib: len(lib.tensor(1.0)))
    raises_same(lambda lib: list(lib.tensor(1.0)))


def test_iteration_is_differentiable():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        rows = list(x.reshape(3, 1))
        total = sum(r * r for r in rows)
        total.sum().backward()
        return x.grad, rows[0].grad_fn.name()
    compare(fn)


# ---- shape, size, stride, contiguity ---------------------------------------------------------------------
def test_shape_size_dim_numel():
    def fn(lib):
        t = lib.ones(2, 3)
        return [t.shape, t.size(), t.size(1), t.size(-1), t.dim(), t.ndim, t.numel(), t.nelement(),
                t.ndimension(), lib.ones(()).shape, lib.ones(()).dim(), lib.ones(0, 3).numel(), len(t.shape)]
    compare(fn)
    raises_same(lambda lib: lib.ones(2, 3).size(2))
    raises_same(lambda lib: lib.ones(2, 3).size(-3))


def test_stride_and_contiguity():
    def fn(lib):
        t = lib.ones(2, 3)
        big = lib.ones(4, 6)
        return [t.stride(), t.stride(0), t.stride(-1), t.t().stride(), t.is_contiguous(), t.t().is_contiguous(),
                t[:, ::2].stride(), big[1:, 2:].is_contiguous(), big[1:].is_contiguous(),
                t.t().contiguous().is_contiguous(), t.t().contiguous().stride(), t.contiguous() is t,
                lib.ones(3, 1).expand(3, 4).stride(), t.element_size(), lib.ones(2, dtype=lib.float64).element_size()]
    compare(fn)
    raises_same(lambda lib: lib.ones(2, 3).stride(2))


def test_size_type():
    def fn(lib):
        s = lib.ones(2, 3).shape
        return [type(s).__name__, isinstance(s, tuple), s == (2, 3), s == lib.Size([2, 3]), s[1:], type(s[1:]).__name__,
                type(s[0]).__name__, s.numel(), lib.Size([]).numel(), type(s + (4,)).__name__, type((4,) + s).__name__,
                type(s * 2).__name__, s + (4,), list(s), hash(s) == hash((2, 3))]
    compare(fn)
    raises_same(lambda lib: lib.ones(2).shape + [3])


def test_size_repr():
    for shape, text in (((2, 3), "Size([2, 3])"), ((), "Size([])"), ((5,), "Size([5])")):
        assert repr(dagrad.ones(shape).shape) == "dagrad." + text
        assert repr(torch.ones(shape).shape) == "torch." + text
        assert str(dagrad.Size(shape)) == "dagrad." + text


# ---- dtype and device ------------------------------------------------------------------------------------
def test_dtype_and_device_attributes():
    def fn(lib):
        t = lib.ones(2)
        return [str(t.dtype).split(".")[1], str(t.device), repr(t.device), t.is_cuda, t.device.type, t.device.index,
                t.device == lib.device("cpu"), t.device == "cpu", t.is_floating_point(), t.is_complex(),
                lib.ones(2, dtype=lib.int32).dtype.is_floating_point, lib.ones(2, dtype=lib.complex64).is_complex(),
                t.dtype.itemsize, t.get_device(), t.cpu() is t, lib.is_tensor(t), lib.is_tensor([1])]
    compare(fn)


def test_layout():
    assert dagrad.ones(2).layout == dagrad.strided
    assert torch.ones(2).layout == torch.strided


# ---- detach, clone, to --------------------------------------------------------------------------------------
def test_detach():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        d = x.detach()
        return [d.requires_grad, d.is_leaf, d.grad_fn, d.data_ptr() == x.data_ptr(), int(d._version), d]
    compare(fn)


def test_detach_():
    def fn(lib):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        d = y.detach_()
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.detach_()
        return [d is y, d.requires_grad, d.is_leaf, d.grad_fn, x.requires_grad]
    compare(fn)
    raises_same(lambda lib: (lib.ones(2, requires_grad=True) * 2)[1:].detach_())
    raises_same(lambda lib: lib.ones(2, requires_grad=True)[1:].detach_())


def test_clone():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = x.clone()
        c.sum().backward()
        p = lib.ones(2)
        pc = p.clone()
        return [c.requires_grad, c.is_leaf, c.grad_fn.name(), c.data_ptr() != x.data_ptr(), x.grad,
                pc.requires_grad, pc.grad_fn, pc.data_ptr() != p.data_ptr()]
    compare(fn)


def test_to_dtype():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = x.to(lib.float64)
        c.sum().backward()
        return [str(c.dtype).split(".")[1], c.requires_grad, c.grad_fn.name(), str(x.grad.dtype).split(".")[1],
                x.to(lib.float32) is x, x.to("cpu") is x, x.double().dtype == lib.float64,
                x.to(lib.float32, copy=True) is x, x.long().requires_grad, x.long().grad_fn, x.to(x) is x,
                x.to(lib.ones(1, dtype=lib.float64)).dtype == lib.float64, x.float() is x,
                x.type(), x.half().dtype == lib.float16]
    compare(fn)


def test_tensor_constructor():
    compare(lambda lib: [lib.Tensor([1, 2]).dtype == lib.float32, lib.Tensor(2, 3).shape, lib.Tensor([1, 2]),
                         lib.Tensor([1, 2]).requires_grad])


# ---- .grad assignment -----------------------------------------------------------------------------------------
def test_grad_assignment():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.grad = lib.tensor([3.0, 4.0])
        (x * 2).sum().backward()
        g = x.grad
        del x.grad
        return g, x.grad
    compare(fn)
    raises_same(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(3)))
    raises_same(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(1)))
    raises_same(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", 3))
    for dtype in ("float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64",
                  "complex128"):
        raises_same(lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(2, dtype=getattr(lib,
                                                                                                         dtype))))
    raises_same(lambda lib: setattr(lib.ones(2, dtype=lib.float64), "grad", lib.ones(2)))


def test_grad_of_tensor_without_requires_grad():
    compare(lambda lib: [lib.ones(2).grad, lib.ones(2, dtype=lib.int64).grad])


# ---- identity, hashing, copying ----------------------------------------------------------------------------------
def test_tensors_hash_by_identity():
    compare(lambda lib: (lambda t: [t in {t: 1}, len({t, t}), lib.ones(2) in {t: 1}])(lib.ones(2)))


def test_deepcopy():
    import copy

    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward()
        c = copy.deepcopy(x)
        c.grad.add_(1)
        return [c, c.requires_grad, c.is_leaf, c.grad, x.grad, c.data_ptr() != x.data_ptr()]
    compare(fn)
    raises_same(lambda lib: copy.deepcopy(lib.ones(2, requires_grad=True) * 2))
