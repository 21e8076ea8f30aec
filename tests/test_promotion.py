"""Hypothesis: result dtypes of + * / comparisons and where match torch's promotion for every pairing of dtypes
and of tensor / 0-dim tensor / Python scalar operands; broadcasting gives torch's shape or torch's exact error."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import assert_same_tensor  # noqa: E402

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
          "complex128"]
KINDS = ["tensor", "zero_dim", "scalar"]
SCALARS = [True, 2, 1.5, 1 + 2j, -3]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _operand(L, kind, dtype, scalar):
    if kind == "scalar":
        return scalar
    values = [1, 2, 3] if dtype != "bool" else [True, False, True]
    t = L.tensor(values, dtype=getattr(L, dtype))
    return t if kind == "tensor" else t[1]


def _run(fn, L, a, b):
    try:
        return fn(L, a, b), None
    except Exception as e:  # noqa: BLE001 - the reference may raise anything
        return None, e


OPS = {
    "add": lambda L, a, b: a + b,
    "radd": lambda L, a, b: b + a,
    "mul": lambda L, a, b: a * b,
    "sub": lambda L, a, b: a - b,
    "truediv": lambda L, a, b: a / b,
    "rtruediv": lambda L, a, b: b / a,
    "eq": lambda L, a, b: a == b,
    "lt": lambda L, a, b: a < b,
    "torch_add": lambda L, a, b: L.add(a, b),
    "torch_mul": lambda L, a, b: L.mul(a, b),
    "maximum": lambda L, a, b: L.maximum(a, b if isinstance(b, L.Tensor) else L.tensor(b)),
    "where": lambda L, a, b: L.where(L.tensor([True, False, True]), a, b),
}


@SETTINGS
@given(op=st.sampled_from(sorted(OPS)), da=st.sampled_from(DTYPES), db=st.sampled_from(DTYPES),
       ka=st.sampled_from(KINDS[:2]), kb=st.sampled_from(KINDS), scalar=st.sampled_from(SCALARS))
def test_binary_promotion(op, da, db, ka, kb, scalar):
    complex_involved = isinstance(scalar, complex) or "complex" in da + db
    if "float16" in (da, db) and complex_involved:
        return  # torch may promote these to complex32 (ComplexHalf), a dtype dagrad does not have
    if kb == "scalar" and scalar == -3 and "uint8" in (da, db):
        return  # see test_python_int_wraps_into_small_integer_dtype
    fn = OPS[op]
    t_out, t_err = _run(fn, torch, _operand(torch, ka, da, scalar), _operand(torch, kb, db, scalar))
    d_out, d_err = _run(fn, dagrad, _operand(dagrad, ka, da, scalar), _operand(dagrad, kb, db, scalar))
    if t_err is not None:
        assert d_err is not None, f"torch raised {type(t_err).__name__}: {t_err}; dagrad gave {d_out!r}"
        assert type(d_err) is type(t_err), f"{type(d_err).__name__}: {d_err} vs torch {type(t_err).__name__}: {t_err}"
        return
    assert d_err is None, f"dagrad raised {type(d_err).__name__}: {d_err}; torch gave {t_out!r}"
    assert_same_tensor(d_out, t_out, rtol=1e-3 if "16" in str(t_out.dtype) else None)


def test_python_int_wraps_into_small_integer_dtype():
    for L in (torch, dagrad):
        out = L.tensor([1, 2], dtype=L.uint8) + (-3)
        assert out.tolist() == [254, 255]


def test_result_type_and_promote_types_table():
    for da in DTYPES:
        for db in DTYPES:
            t = torch.promote_types(getattr(torch, da), getattr(torch, db))
            d = dagrad.promote_types(getattr(dagrad, da if da != "bool" else "bool"), getattr(dagrad, db))
            assert str(d).split(".")[-1] == str(t).split(".")[-1], (da, db)
    for scalar in SCALARS:
        for da in DTYPES:
            if da == "float16" and isinstance(scalar, complex):
                continue  # complex32
            for kind in KINDS[:2]:
                t = torch.result_type(_operand(torch, kind, da, scalar), scalar)
                d = dagrad.result_type(_operand(dagrad, kind, da, scalar), scalar)
                assert str(d).split(".")[-1] == str(t).split(".")[-1], (da, kind, scalar)


def test_float_only_functions_on_integers():
    for dtype in ["bool", "uint8", "int32", "int64"]:
        for name in ["exp", "sqrt", "sin", "sigmoid", "log1p"]:
            t = getattr(torch, name)(_operand(torch, "tensor", dtype, 0))
            d = getattr(dagrad, name)(_operand(dagrad, "tensor", dtype, 0))
            assert_same_tensor(d, t)


def test_default_dtype_float64():
    for L in (torch, dagrad):
        L.set_default_dtype(L.float64)
    try:
        for a, b in [(1, 2.5), (2.5, 1j)]:
            t = torch.tensor([1, 2]) * b + a
            d = dagrad.tensor([1, 2]) * b + a
            assert_same_tensor(d, t)
    finally:
        for L in (torch, dagrad):
            L.set_default_dtype(L.float32)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_broadcast_compatible(shapes):
    sa, sb = shapes.input_shapes
    a, b = np.ones(sa), np.full(sb, 2.0)
    for fn in (lambda L, x, y: x + y, lambda L, x, y: x * y, lambda L, x, y: L.where(x > 0, x, y),
               lambda L, x, y: L.maximum(x, y)):
        t = fn(torch, torch.tensor(a), torch.tensor(b))
        d = fn(dagrad, dagrad.tensor(a), dagrad.tensor(b))
        assert tuple(d.shape) == tuple(t.shape) == shapes.result_shape
    assert tuple(dagrad.broadcast_shapes(sa, sb)) == tuple(torch.broadcast_shapes(sa, sb))


@SETTINGS
@given(sa=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5),
       sb=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5))
def test_broadcast_any_pair(sa, sb):
    """Compatible or not: torch's shape, or torch's exact error text, for ops, in-place ops and broadcast_shapes."""
    a, b = np.ones(sa), np.full(sb, 2.0)
    fns = [lambda L, x, y: x + y, lambda L, x, y: x - y, lambda L, x, y: x * y, lambda L, x, y: x / y,
           lambda L, x, y: x == y, lambda L, x, y: x.add_(y), lambda L, x, y: L.broadcast_shapes(x.shape, y.shape),
           lambda L, x, y: x.expand_as(y), lambda L, x, y: L.atan2(x, y)]
    for fn in fns:
        t_out, t_err = _run(fn, torch, torch.tensor(a), torch.tensor(b))
        d_out, d_err = _run(fn, dagrad, dagrad.tensor(a), dagrad.tensor(b))
        if t_err is None:
            assert d_err is None, f"{sa} {sb}: dagrad raised {d_err}"
            assert tuple(d_out if isinstance(d_out, tuple) else d_out.shape) == \
                tuple(t_out if isinstance(t_out, tuple) else t_out.shape)
        else:
            assert d_err is not None, f"{sa} {sb}: torch raised {t_err}"
            assert type(d_err) is type(t_err)
            assert str(d_err).replace("dagrad.", "torch.") == str(t_err), f"\n{d_err}\n{t_err}"


def test_broadcast_error_text_example():
    with pytest.raises(RuntimeError) as d:
        dagrad.ones(2, 3) + dagrad.ones(2, 4)
    assert str(d.value) == "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
