"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty, eye, arange, linspace, random."""
import numbers

import numpy as np

from .._dtype import (FROM_NP, bool_, default_complex, float32, get_default_dtype, int64, to_dtype)
from .._tensor import Tensor, _check_device, _make
from ._checks import parse_size


def _infer_dtype(data):
    """torch's dtype inference for Python data: bool < int64 < default float < default complex."""
    kind = 0
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            d = v._dtype
            kind = max(kind, {0: 0, 1: 1, 2: 2, 3: 3}[d._kind])
            if d._kind >= 2 and d is not get_default_dtype() and not isinstance(data, Tensor):
                pass
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (bool, np.bool_)):
            pass
        elif isinstance(v, (numbers.Integral, np.integer)):
            kind = max(kind, 1)
        elif isinstance(v, (numbers.Real, np.floating)):
            kind = max(kind, 2)
        elif isinstance(v, numbers.Complex):
            kind = max(kind, 3)
        else:
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
    return (bool_, int64, get_default_dtype(), default_complex())[kind]


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


def _factory(fill):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
                memory_format=None):
        dt = to_dtype(dtype) or get_default_dtype()
        return _finish(fill(parse_size(size), dt.np), requires_grad, device)
    return factory


zeros = _factory(np.zeros)
ones = _factory(np.ones)
empty = _factory(np.zeros)  # zero-filled: never hand out uninitialised memory
zeros.__doc__, ones.__doc__, empty.__doc__ = "torch.zeros.", "torch.ones.", "torch.empty (zero-filled)."


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.full: dtype inferred from ``fill_value`` when not given."""
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


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.arange: int64 for integer arguments, the default float dtype otherwise."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dt = to_dtype(dtype)
    if dt is None:
        dt = int64 if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals) \
            else get_default_dtype()
    n = int(np.ceil((end - start) / step))
    # computed in float64 then cast, as torch's kernel accumulates in double
    arr = (start + np.arange(n, dtype=np.float64) * step) if dt._kind >= 2 else np.arange(start, end, step)
    return _finish(arr.astype(dt.np), requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.linspace: the first half counts up from start, the second down from end (torch's kernel)."""
    dt = to_dtype(dtype) or get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    ct = dt.np if dt._kind >= 2 else np.float64
    if steps == 1:
        arr = np.array([start], dtype=ct)
    else:
        step = ct.type((end - start) / (steps - 1)) if dt._kind >= 2 else (end - start) / (steps - 1)
        idx = np.arange(steps)
        half = steps // 2
        s, e = ct.type(start), ct.type(end)
        arr = np.where(idx < half, s + step * idx.astype(ct), e - step * (steps - idx - 1).astype(ct))
    return _finish(arr.astype(dt.np), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.logspace."""
    dt = to_dtype(dtype) or get_default_dtype()
    lin = linspace(start, end, steps, dtype=float32 if dt is not get_default_dtype() else dt)._data
    return _finish(np.power(base, lin.astype(np.float64)).astype(dt.np), requires_grad, device)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(np.array(s, dtype=dt.np), requires_grad, device)


def complex_(real, imag):
    """torch.complex."""
    return _make((real._data + 1j * imag._data).astype(real._dtype.to_complex().np), real._dtype.to_complex())
