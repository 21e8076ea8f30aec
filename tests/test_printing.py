"""dagrad._printing must print tensors exactly as torch does (with dagrad. for torch. in dtypes)."""
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dagrad import _dtype
from dagrad._printing import get_printoptions, printoptions, set_printoptions, tensor_repr


class FakeGradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class FakeTensor:
    """The attributes tensor_repr reads from a dagrad Tensor."""

    def __init__(self, data, requires_grad=False, grad_fn=None):
        self._data = data
        self.dtype = _dtype.FROM_NP[data.dtype]
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None


def _torch_tensor(arr, mode):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.array(arr))  # copy: torch refuses negative strides
    if mode == "leaf":
        t.requires_grad_()
    elif mode == "nonleaf":
        t = t.requires_grad_() + 0
    return t


def _fake(arr, mode, t):
    if mode == "leaf":
        return FakeTensor(arr, requires_grad=True)
    if mode == "nonleaf":
        # "+ 0" turns -0.0 into 0.0, so print the values torch actually holds
        return FakeTensor(t.detach().numpy(), requires_grad=True, grad_fn=FakeGradFn("AddBackward0"))
    return FakeTensor(arr)


def check(arr, mode="plain"):
    arr = np.asarray(arr)
    if mode != "plain" and arr.dtype.kind not in "fc":
        mode = "plain"  # torch only lets float/complex tensors require grad
    t = _torch_tensor(arr, mode)
    expected = repr(t).replace("torch.", "dagrad.")
    got = tensor_repr(_fake(arr, mode, t))
    assert got == expected, f"\n--- dagrad ---\n{got}\n--- torch ---\n{expected}"


@pytest.fixture(autouse=True)
def _restore_options():
    torch = pytest.importorskip("torch")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    _dtype.set_default_dtype(_dtype.float32)
    torch.set_default_dtype(torch.float32)


rng = np.random.default_rng(0)

CASES = {
    "scalar_float": np.array(3.5, np.float32),
    "scalar_int_float": np.array(7.0, np.float32),
    "scalar_int": np.array(-12, np.int64),
    "scalar_bool": np.array(True),
    "scalar_complex": np.array(1 - 2j, np.complex64),
    "scalar_nan": np.array(np.nan, np.float64),
    "scalar_half": np.array(0.1, np.float16),
    "scalar_huge": np.array(1e20, np.float32),
    "int_floats": np.array([1.0, 2.0, -3.0, 0.0], np.float32),
    "mixed": np.array([1.5, -2.25, 0.0, 100.0], np.float32),
    "ratio_sci": np.array([1.0, 1e10], np.float32),
    "tiny": np.array([1e-5, 2e-5], np.float64),
    "huge": np.array([1e9, 2e9], np.float64),
    "exp3": np.array([1e-200, 1e200, -5.0], np.float64),
    "nan_inf": np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    "nan_inf_int": np.array([np.nan, np.inf, -np.inf, 2.0], np.float32),
    "only_nonfinite": np.array([np.nan, np.inf, 0.0], np.float32),
    "neg_zero": np.array([-0.0, 0.0], np.float32),
    "neg_zero_mixed": np.array([-0.0, 1.5], np.float32),
    "zeros_2d": np.zeros((2, 3), np.float32),
    "bools": np.array([True, False, True]),
    "uint8": np.arange(0, 250, 7, dtype=np.uint8),
    "int8": np.array([-128, 0, 127], np.int8),
    "int16": np.array([[1, -2], [300, 4]], np.int16),
    "int32": np.arange(12, dtype=np.int32).reshape(3, 4),
    "int64_wide": np.arange(-50, 50, dtype=np.int64) * 1000003,
    "half": rng.standard_normal(10).astype(np.float16),
    "half_big": np.array([60000.0, 0.001, -1.0], np.float16),
    "complex64": (rng.standard_normal(5) + 1j * rng.standard_normal(5)).astype(np.complex64),
    "complex128_2d": rng.standard_normal((3, 4)) * 1j - rng.standard_normal((3, 4)) * 1000,
    "complex_negzero": np.array([1 - 0j, complex(-0.0, -0.0), complex(np.nan, np.inf)], np.complex128),
    "complex_wide": (rng.standard_normal(40) * 1e5 + 1j * rng.standard_normal(40)).astype(np.complex64),
    "float64": rng.standard_normal(7),
    "empty_1d": np.zeros(0, np.float32),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_int": np.zeros((2, 0), np.int64),
    "empty_int32_1d": np.zeros(0, np.int32),
    "empty_f64": np.zeros((0,), np.float64),
    "empty_bool": np.zeros((0, 2, 1), bool),
    "empty_complex": np.zeros(0, np.complex64),
    "wide_row": rng.standard_normal(50).astype(np.float32) * 100,
    "wide_2d": rng.standard_normal((3, 30)).astype(np.float32),
    "3d": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "4d": rng.integers(-5, 5, (2, 2, 3, 2)).astype(np.float64),
    "4d_wide": rng.standard_normal((2, 2, 2, 25)).astype(np.float32) * 1e-3,
    "summ_1d": np.arange(2000, dtype=np.float32) / 7,
    "summ_2d": rng.standard_normal((40, 40)).astype(np.float32),
    "summ_3d": rng.standard_normal((11, 12, 13)).astype(np.float64) * 1e6,
    "summ_4d_int": rng.integers(0, 10**6, (5, 6, 7, 8)),
    "summ_narrow": rng.standard_normal((1001, 1)).astype(np.float32),
    "summ_short_rows": rng.standard_normal((500, 3)).astype(np.float32),
    "summ_hidden_large": np.concatenate([np.ones(5), [1e12], np.ones(1500)]),
    "summ_bool": rng.integers(0, 2, 1500).astype(bool),
    "summ_complex": (rng.standard_normal((40, 40)) + 1j).astype(np.complex64),
    "noncontig": rng.standard_normal((6, 8)).astype(np.float32)[::2, ::-3],
    "transposed": rng.standard_normal((3, 5)).T,
    "one_elem": np.array([5.0], np.float32),
    "precision_round": np.array([0.00015, 0.99995, 9.99995], np.float64),
}


@pytest.mark.parametrize("mode", ["plain", "leaf", "nonleaf"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, mode):
    check(CASES[name], mode)


@pytest.mark.parametrize("opts", [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(threshold=5),
    dict(threshold=0),
    dict(edgeitems=1, threshold=10),
    dict(edgeitems=0, threshold=10),
    dict(linewidth=40),
    dict(linewidth=10),
    dict(linewidth=200),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="full", linewidth=120, sci_mode=True),
])
@pytest.mark.parametrize("name", ["scalar_float", "mixed", "ratio_sci", "nan_inf_int", "zeros_2d", "int32",
                                  "complex128_2d", "wide_2d", "3d", "4d_wide", "summ_1d", "summ_2d", "summ_3d",
                                  "empty_2d", "bools"])
def test_printoptions(name, opts):
    torch = pytest.importorskip("torch")
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    check(CASES[name], "nonleaf")
    check(CASES[name])


def test_get_printoptions_and_context_manager():
    torch = pytest.importorskip("torch")
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    with printoptions(precision=1, linewidth=30):
        assert get_printoptions()["precision"] == 1
        with torch._tensor_str.printoptions(precision=1, linewidth=30):
            check(CASES["wide_2d"])
    assert get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


@pytest.mark.parametrize("name", ["mixed", "float64", "complex64", "complex128_2d", "empty_2d", "empty_f64",
                                  "int32", "scalar_float", "half"])
def test_default_dtype_float64(name):
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    _dtype.set_default_dtype(_dtype.float64)
    check(CASES[name])
    check(CASES[name], "leaf")


def test_tensor_contents():
    torch = pytest.importorskip("torch")
    arr = np.arange(4, dtype=np.float64)
    t = torch.from_numpy(arr).requires_grad_()
    expected = torch._tensor_str._str(t, tensor_contents="[CUSTOM]").replace("torch.", "dagrad.")
    assert tensor_repr(FakeTensor(arr, requires_grad=True), tensor_contents="[CUSTOM]") == expected


def test_long_grad_fn_suffix_wraps():
    torch = pytest.importorskip("torch")
    arr = np.arange(18, dtype=np.float64) + 0.5
    t = torch.from_numpy(arr).requires_grad_()
    expected = repr(torch.stack([t, t]).reshape(-1)[:18]).replace("torch.", "dagrad.")
    name = expected.split("grad_fn=<")[1].split(">")[0]
    got = tensor_repr(FakeTensor(arr, requires_grad=True, grad_fn=FakeGradFn(name)))
    assert got == expected


def test_large_tensor_is_fast():
    arr = np.random.default_rng(1).standard_normal((1000, 1000)).astype(np.float32)
    start = time.perf_counter()
    tensor_repr(FakeTensor(arr))
    assert time.perf_counter() - start < 0.5
    check(arr)


_MAGNITUDES = st.sampled_from([1e-30, 1e-8, 1e-4, 1e-2, 1.0, 10.0, 1e3, 1e5, 1e9, 1e30])
_SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)


@st.composite
def float_arrays(draw):
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    arr = draw(hnp.arrays(dtype, _SHAPES, elements=hnp.from_dtype(np.dtype(dtype), allow_subnormal=False)))
    if draw(st.booleans()):
        # rescale so that whole arrays live at one magnitude (the usual case), sometimes rounded to integers
        with np.errstate(all="ignore"):
            arr = (np.tanh(arr.astype(np.float64)) * draw(_MAGNITUDES))
            if draw(st.booleans()):
                arr = np.round(arr)
            arr = arr.astype(dtype)
    return arr


@settings(max_examples=300, deadline=None)
@given(float_arrays(), st.sampled_from(["plain", "leaf", "nonleaf"]))
def test_hypothesis_floats(arr, mode):
    check(arr, mode)


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(st.sampled_from([np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64]), _SHAPES))
def test_hypothesis_ints(arr):
    check(arr)


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(st.sampled_from([np.complex64, np.complex128]), _SHAPES), st.booleans())
def test_hypothesis_complex(arr, grad):
    check(arr, "leaf" if grad else "plain")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 60), _MAGNITUDES, st.integers(0, 4), st.integers(20, 120))
def test_hypothesis_summarised(rows, cols, scale, edge, linewidth):
    torch = pytest.importorskip("torch")
    arr = np.random.default_rng(rows * 100 + cols).standard_normal((rows, cols, 3)) * scale
    for lib in (torch, None):
        kwargs = dict(threshold=50, edgeitems=edge, linewidth=linewidth)
        (lib.set_printoptions if lib else set_printoptions)(**kwargs)
    check(arr.astype(np.float32))
