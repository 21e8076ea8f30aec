"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty, eye, arange, linspace, random."""
import numbers

import numpy as np

from .._dtype import FROM_NP, bool_, default_complex, get_default_dtype, int64, to_dtype
from .._tensor import Tensor, _check_device, _make
from ._checks import parse_size


def _infer_dtype(data):
    """torch's dtype inference for Python data: each element's type, combined with promote_types.

    Python bool/int/float/complex give bool, int64, the default float and the default complex dtype; numpy
    scalars and arrays and tensors give their own dtype; an empty sequence gives the default float dtype.
    """
    from .._dtype import promote_types
    result = None
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            d = v._dtype
        elif isinstance(v, (np.ndarray, np.generic)):
            d = FROM_NP.get(v.dtype)
            if d is None:
                raise TypeError(f"can't convert np.ndarray of type {v.dtype}. The only supported types are: "
                                "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
                                "uint8, and bool.")
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        elif isinstance(v, bool):
            d = bool_
        elif isinstance(v, numbers.Integral):
            d = int64
        elif isinstance(v, numbers.Real):
            d = get_default_dtype()
        elif isinstance(v, numbers.Complex):
            d = default_complex()
        else:
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
        result = d if result is None else promote_types(result, d)
    return get_default_dtype() if result is None else result


def _array_from_data(data, dtype=None):
    """A fresh numpy array holding ``data`` with torch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        if dtype is None and data.dtype not in FROM_NP:
            raise TypeError(f"can't convert np.ndarray of type {data.dtype}. The only supported types are: "
                            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
                            "and bool.")
        return np.array(data, dtype=dtype.np if dtype is not None else None)
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype.np if dtype is not None else None)
    if dtype is None:
        dtype = _infer_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat_first(data)):
        data = _untensor(data)
    try:
        return np.array(data, dtype=dtype.np)
    except ValueError:
        raise ValueError(f"expected sequence of length {len(data[0])} at dim 1 (got {len(data[-1])})") from None


def _flat_first(data):
    while isinstance(data, (list, tuple)) and data:
        yield from (v for v in data if isinstance(v, Tensor))
        data = data[0]


def _untensor(data):
    if isinstance(data, Tensor):
        if data._data.ndim and data._data.size != 1:
            return data._data.tolist()
        return data._data.reshape(-1)[0].item() if data._data.ndim else data._data.item()
    if isinstance(data, (list, tuple)):
        return [_untensor(v) for v in data]
    return data


def _finish(arr, requires_grad, device=None):
    _check_device(device)
    t = _make(arr, FROM_NP[arr.dtype])
    if requires_grad:
        if t._dtype._kind < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """torch.tensor: copy ``data`` into a new leaf tensor."""
    return _finish(_array_from_data(data, to_dtype(dtype)), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """torch.as_tensor: share memory with a numpy array or tensor when the dtype allows."""
    dtype = to_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data._dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in FROM_NP and (dtype is None or dtype.np == data.dtype):
        return _make(data, FROM_NP[data.dtype])
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    """torch.from_numpy: a tensor sharing ``arr``'s memory."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in FROM_NP:
        raise TypeError(f"can't convert np.ndarray of type {arr.dtype}. The only supported types are: float64, "
                        "float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
    return _make(arr, FROM_NP[arr.dtype])


def _check_sizes(size, name=None):
    if any(s < 0 for s in size):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        bad = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: [{', '.join(map(str, size))}]")
    return size


def _factory(fill, name):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
                memory_format=None):
        dt = to_dtype(dtype) or get_default_dtype()
        return _finish(fill(_check_sizes(parse_size(size), name), dt.np), requires_grad, device)
    return factory


zeros = _factory(np.zeros, "zeros")
ones = _factory(np.ones, "ones")
empty = _factory(np.zeros, "empty")  # zero-filled: never hand out uninitialised memory
zeros.__doc__, ones.__doc__, empty.__doc__ = "torch.zeros.", "torch.ones.", "torch.empty (zero-filled)."


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.full: dtype inferred from ``fill_value`` when not given."""
    if not isinstance(fill_value, (numbers.Number, Tensor)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    _check_sizes(parse_size((size,)))
    dt = to_dtype(dtype)
    if dt is None:
        dt = _infer_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _finish(np.full(parse_size((size,)), fill_value, dtype=dt.np), requires_grad, device)


def _like(fill):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        dt = to_dtype(dtype) or input._dtype
        return _finish(fill(input._data.shape, dt.np), requires_grad, device)
    return like


zeros_like = _like(np.zeros)
ones_like = _like(np.ones)
empty_like = _like(np.zeros)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """torch.full_like."""
    dt = to_dtype(dtype) or input._dtype
    return _finish(np.full(input._data.shape, fill_value, dtype=dt.np), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.eye."""
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(np.eye(n, n if m is None else m, dtype=dt.np), requires_grad, device)


def _split(a):
    # Veltkamp splitting: a = hi + lo with 26-bit halves, so products of halves are exact
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma(a, b, c):
    """round(a * b + c) in float64 with one rounding, as the fused multiply-add torch's kernels compile to.

    Error-free transformations: a*b = p + e and p + c = s + t exactly, then s + (t + e).
    """
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)
    return s + (t + e)


def _arange_floats(start, step, n, np_dt):
    """torch's CPU arange kernel (one thread), bit for bit: it accumulates in double; pairs of 32-byte vectors
    each hold base + k * step with base = start + step * i (rounded to the element type), the tail is computed
    element by element as start + step * i; every multiply-add is fused."""
    width = 32 // np.dtype(np_dt).itemsize
    idx = np.arange(n, dtype=np.float64)
    out = np.empty(n, dtype=np.float64)
    nvec = n // (2 * width) * (2 * width)
    block = np.floor_divide(idx[:nvec], width) * width
    base = _fma(step, block, start).astype(np_dt).astype(np.float64)
    out[:nvec] = _fma(idx[:nvec] - block, step, base)
    out[nvec:] = _fma(step, idx[nvec:], start)
    return out.astype(np_dt)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.arange: int64 for integer arguments, the default float dtype otherwise (values bit-identical)."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(np.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = to_dtype(dtype)
    if dt is None:
        dt = int64 if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals) \
            else get_default_dtype()
    if dt._kind >= 2:
        n = int(np.ceil((float(end) - float(start)) / float(step)))
        arr = _arange_floats(float(start), float(step), n, dt.np)
    else:
        # integer dtypes work on the truncated arguments (int64 also counts the length with them)
        s, e, st = (int(v) for v in (start, end, step))
        n = -(-(e - s) // st) if dt is int64 else int(np.ceil((float(end) - float(start)) / float(step)))
        arr = (s + st * np.arange(n, dtype=np.int64)).astype(dt.np)
    return _finish(arr, requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.linspace, bit for bit: start + step * i for the first half, end - step * (steps - 1 - i) for the
    second (fused multiply-adds; the step in the element type, or in double for integer dtypes)."""
    dt = to_dtype(dtype) or get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dt._kind == 3:
        arr = np.linspace(start, end, steps).astype(dt.np)
        return _finish(arr, requires_grad, device)
    if dt._kind >= 2:
        ct = np.float32 if dt.np == np.float16 else dt.np.type
        s, e = ct(start), ct(end)
    else:
        ct = np.float64
        s, e = ct(int(start)), ct(int(end))
    if steps == 1:
        vals = np.array([s], dtype=np.float64)
    else:
        step = (e - s) / ct(steps - 1)
        idx = np.arange(steps, dtype=np.float64)
        first = idx < steps // 2
        vals = np.where(first, _fma(step, idx, s), _fma(-step, steps - 1 - idx, e))
    arr = vals.astype(ct).astype(dt.np) if dt._kind >= 2 else np.trunc(vals).astype(dt.np)
    return _finish(arr, requires_grad, device)


_pow = np.frompyfunc(pow, 2, 1)  # the C library's pow, as torch calls it (numpy's SIMD pow can differ by an ulp)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.logspace, bit for bit: base ** exponent with the exponent laid out as in linspace, but in double
    with the step taken from the difference in the element type and no fused multiply-add."""
    dt = to_dtype(dtype) or get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    ct = dt.np.type if dt._kind >= 2 else np.int64
    s, e = ct(start), ct(end)
    i = np.arange(steps, dtype=np.float64)
    if steps == 1:
        expo = np.array([float(s)])
    else:
        step = float(ct(e - s)) / (steps - 1)
        expo = np.where(i < steps // 2, float(s) + step * i, float(e) - step * (steps - i - 1))
    vals = _pow(float(base), expo).astype(np.float64) if steps else np.zeros(0)
    return _finish(vals.astype(dt.np), requires_grad, device)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(np.array(s, dtype=dt.np), requires_grad, device)


def complex_(real, imag):
    """torch.complex."""
    return _make((real._data + 1j * imag._data).astype(real._dtype.to_complex().np), real._dtype.to_complex())
