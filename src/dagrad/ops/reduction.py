"""Reductions: sum, mean, prod, max/min (with indices), var/std, norm, logsumexp, cumsum, all/any, median."""
import collections

import numpy as np

from .._dispatch import apply, scalar_type_name
from .._dtype import bool_, int64, to_dtype
from .._tensor import Tensor, _make
from ..prims import reduction as R
from ._checks import wrap_dim, wrap_dims


class _ReturnType(tuple):
    """torch.return_types.*: a named (values, indices) pair that prints like torch's."""

    _fields = ("values", "indices")
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _return_type(name):
    return type(name, (_ReturnType,), {"_name": name})


return_types = collections.namedtuple("return_types", "max min median sort topk kthvalue mode")(
    *(_return_type(n) for n in ("max", "min", "median", "sort", "topk", "kthvalue", "mode")))


def _dims_args(input, dim, keepdim):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = tuple(range(input._data.ndim))  # torch: an empty dim list reduces over every dim
    dims = wrap_dims(dim, input._data.ndim) if input._data.ndim else ()
    shape = input._data.shape
    kshape = tuple(1 if i in dims else s for i, s in enumerate(shape))
    return {"dims": dims, "keepdim": keepdim, "kshape": kshape}


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """torch.sum (bool and integer tensors sum to int64)."""
    dt = to_dtype(dtype)
    if dt is None and input._dtype._kind < 2:
        dt = int64
    npdt = dt.np if dt is not None else None
    if dim is None:
        return apply(R.sum_all, (input,), {"dtype": npdt})
    p = _dims_args(input, dim, keepdim)
    p["dtype"] = npdt
    return apply(R.sum_dim, (input,), p)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """torch.nansum: the sum with NaNs counted as zero."""
    dt = to_dtype(dtype)
    if dt is None and input._dtype._kind < 2:
        dt = int64
    if dim is None:
        p = {"dims": None, "keepdim": False, "kshape": None}
    else:
        p = _dims_args(input, dim, keepdim)
    p["dtype"] = dt.np if dt is not None else None
    return apply(R.nansum, (input,), p)


def _need_float(input, name):
    if input._dtype._kind < 2:
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {scalar_type_name(input._dtype)}")


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """torch.mean."""
    if dtype is not None:
        input = input.to(dtype)
    _need_float(input, "mean")
    if dim is None:
        return apply(R.mean_all, (input,), {"n": input._data.size})
    p = _dims_args(input, dim, keepdim)
    p["n"] = int(np.prod([input._data.shape[d] for d in p["dims"]])) if input._data.ndim else 1
    return apply(R.mean_dim, (input,), p)


def nanmean(input, dim=None, keepdim=False):
    mask = ~input.isnan()
    return sum(input.masked_fill(~mask, 0), dim, keepdim) / sum(mask, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """torch.prod."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._dtype._kind < 2:
        input = input.to(int64)
    if dim is None:
        return apply(R.prod_all, (input,))
    p = _dims_args(input, dim, keepdim)
    return apply(R.prod_dim, (input,), p)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var_args(input, dim, unbiased, keepdim, correction, name="std and var"):
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        unbiased, dim = dim, None
    if input._dtype._kind < 2:
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    c = _correction(unbiased, correction)
    if dim is None:
        return {"dims": None, "correction": c, "keepdim": False, "kshape": None}
    p = _dims_args(input, dim, keepdim)
    p["correction"] = c
    return p


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.var (Bessel-corrected by default)."""
    return apply(R.var, (input,), _var_args(input, dim, unbiased, keepdim, correction))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.std."""
    return apply(R.std, (input,), _var_args(input, dim, unbiased, keepdim, correction))


def _pair(first, second, name):
    # torch computes both in one node; dagrad records two, each showing torch's node name
    for t in (first, second):
        if t.grad_fn is not None:
            t.grad_fn.name_override = name
    return first, second


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.var_mean: (var, mean)."""
    _var_args(input, dim, unbiased, keepdim, correction, "var_mean")
    return _pair(var(input, dim, unbiased, keepdim, correction=correction),
                 mean(input, dim if not isinstance(dim, bool) else None, keepdim), "VarMeanBackward0")


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.std_mean: (std, mean)."""
    _var_args(input, dim, unbiased, keepdim, correction, "std_mean")
    return _pair(std(input, dim, unbiased, keepdim, correction=correction),
                 mean(input, dim if not isinstance(dim, bool) else None, keepdim), "StdMeanBackward0")


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm / torch.linalg.vector_norm for p in {fro, 2, 1, inf, -inf, 0, other}."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("dagrad: the nuclear norm is not implemented yet")
    if dim is None:
        params = {"p": float(p), "dims": None, "keepdim": False, "kshape": None}
    else:
        params = _dims_args(input, dim, keepdim)
        params["p"] = float(p)
    return apply(R.norm, (input,), params)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.vector_norm."""
    return norm(x, ord, dim, keepdim, dtype)


def logsumexp(input, dim, keepdim=False):
    """torch.logsumexp (stable: the max is subtracted first)."""
    p = _dims_args(input, dim, keepdim)
    return apply(R.logsumexp, (input,), p)


def cumsum(input, dim, *, dtype=None):
    """torch.cumsum."""
    dt = to_dtype(dtype)
    if dt is None and input._dtype._kind < 2:
        dt = int64
    return apply(R.cumsum, (input,), {"dim": wrap_dim(dim, input._data.ndim) if input._data.ndim else None,
                                      "dtype": dt.np if dt else None})


def cumprod(input, dim, *, dtype=None):
    """torch.cumprod."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._dtype._kind < 2:
        input = input.to(int64)
    return apply(R.cumprod, (input,), {"dim": wrap_dim(dim, input._data.ndim) if input._data.ndim else None})


def _select_along(input, dim, keepdim, arg_fn, name, kind):
    d = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        values = input.clone()
        if values.grad_fn is not None:
            values.grad_fn.name_override = name
        return getattr(return_types, kind)(values, _make(np.array(0), int64))
    if input._data.shape[d] == 0:
        raise IndexError(f"{kind}(): Expected reduction dim {d} to have non-zero size.")
    idx = np.expand_dims(arg_fn(input._data, axis=d), d)
    values = apply(R.take_along, (input,), {"index": idx, "dim": d, "keepdim": keepdim})
    if values.grad_fn is not None:
        values.grad_fn.name_override = name
    indices = _make(idx if keepdim else np.squeeze(idx, d), int64)
    return getattr(return_types, kind)(values, indices)


def _nonempty(input, name):
    if input._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           f"reduction dim with the 'dim' argument.")


def max(input, dim=None, keepdim=False, *, out=None):
    """torch.max: the maximum; with dim, (values, indices); with a tensor, torch.maximum."""
    if isinstance(dim, Tensor):
        from .math import maximum
        return maximum(input, dim)
    if dim is None:
        _nonempty(input, "max")
        return apply(R.max_all, (input,))
    return _select_along(input, dim, keepdim, _nanarg(np.argmax), "MaxBackward0", "max")


def min(input, dim=None, keepdim=False, *, out=None):
    """torch.min."""
    if isinstance(dim, Tensor):
        from .math import minimum
        return minimum(input, dim)
    if dim is None:
        _nonempty(input, "min")
        return apply(R.min_all, (input,))
    return _select_along(input, dim, keepdim, _nanarg(np.argmin), "MinBackward0", "min")


def _nanarg(fn):
    def arg(a, axis):
        # torch propagates NaN: a NaN is the max and the min
        idx = fn(a, axis=axis)
        if a.dtype.kind == "f":
            nan = np.isnan(a)
            if nan.any():
                idx = np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), idx)
        return idx
    return arg


def amax(input, dim=(), keepdim=False):
    """torch.amax (ties share the gradient evenly)."""
    dim = tuple(range(input._data.ndim)) if dim == () or dim is None else dim
    return apply(R.amax, (input,), _dims_args(input, dim, keepdim))


def amin(input, dim=(), keepdim=False):
    """torch.amin."""
    dim = tuple(range(input._data.ndim)) if dim == () or dim is None else dim
    return apply(R.amin, (input,), _dims_args(input, dim, keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    return amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (), keepdim)


def _flat_arg(input, fn, keepdim):
    r = np.array(_nanarg(fn)(input._data.reshape(-1), 0))
    return _make(r.reshape((1,) * input._data.ndim) if keepdim else r, int64)


def argmax(input, dim=None, keepdim=False):
    """torch.argmax (first occurrence of the maximum)."""
    if dim is None:
        return _flat_arg(input, np.argmax, keepdim)
    d = wrap_dim(dim, input._data.ndim)
    r = _nanarg(np.argmax)(input._data, d)
    return _make(np.expand_dims(r, d) if keepdim else np.asarray(r), int64)


def argmin(input, dim=None, keepdim=False):
    """torch.argmin."""
    if dim is None:
        return _flat_arg(input, np.argmin, keepdim)
    d = wrap_dim(dim, input._data.ndim)
    r = _nanarg(np.argmin)(input._data, d)
    return _make(np.expand_dims(r, d) if keepdim else np.asarray(r), int64)


def _median_index(a, axis):
    # torch returns the lower of the two middle values, or the first NaN when there is one
    n = a.shape[axis]
    order = np.argsort(a, axis=axis, kind="stable")
    idx = np.take(order, (n - 1) // 2, axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        idx = np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), idx)
    return idx


def median(input, dim=None, keepdim=False):
    """torch.median: the lower median; with dim, (values, indices)."""
    if dim is None:
        _nonempty(input, "median")
        return apply(R.median_all, (input,))
    return _select_along(input, dim, keepdim, _median_index, "MedianBackward1", "median")


def all(input, dim=None, keepdim=False):
    """torch.all."""
    if dim is None:
        return _make(np.array(bool(np.all(input._data))), bool_)
    return _make(np.asarray(np.all(input._data, axis=wrap_dims(dim, input._data.ndim), keepdims=keepdim)), bool_)


def any(input, dim=None, keepdim=False):
    """torch.any."""
    if dim is None:
        return _make(np.array(bool(np.any(input._data))), bool_)
    return _make(np.asarray(np.any(input._data, axis=wrap_dims(dim, input._data.ndim), keepdims=keepdim)), bool_)


def count_nonzero(input, dim=None):
    """torch.count_nonzero."""
    axis = None if dim is None else wrap_dims(dim, input._data.ndim)
    return _make(np.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64), int64)
