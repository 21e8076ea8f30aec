"""Indexing: __getitem__/__setitem__, gather/scatter, index_select/index_add, masks, take, sort, topk, unique."""
import numpy as np

from .._dispatch import apply, apply_
from .._dtype import bool_, int64
from .._tensor import Tensor, _make
from ..prims import indexing as I
from ..prims import reduction as R
from ..prims import shape as S
from ._checks import wrap_dim

_BASIC = (int, slice, type(None), type(Ellipsis))


def _to_index(k):
    """Convert one index component to something numpy accepts, keeping torch's meaning."""
    if isinstance(k, Tensor):
        if k._dtype is bool_ or k._dtype is np.uint8:
            return k._data.astype(bool)
        if k._dtype._kind != 1:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data if k._data.ndim else int(k._data)
    if isinstance(k, (list, tuple)):
        arr = np.array([int(v) if isinstance(v, Tensor) else v for v in k])
        if arr.dtype == object or arr.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    if isinstance(k, np.ndarray):
        return k
    if isinstance(k, (bool, np.bool_)):
        return np.array(k)
    if isinstance(k, (np.integer,)):
        return int(k)
    if isinstance(k, _BASIC):
        return k
    if hasattr(k, "__index__"):
        return k.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     "indices (got " + type(k).__name__ + ")")


def normalize_index(key):
    if not isinstance(key, tuple):
        key = (key,)
    key = tuple(_to_index(k) for k in key)
    basic = all(isinstance(k, _BASIC) for k in key)
    return key, basic


def _basic_name(key):
    for k in reversed(key):
        if k is Ellipsis:
            continue
        if k is None:
            return "UnsqueezeBackward0"
        if isinstance(k, int):
            return "SelectBackward0"
        return "SliceBackward0"
    return "AliasBackward0"


def _check_bounds(shape, key):
    """torch's IndexError text for an integer out of range (numpy's says 'axis')."""
    dim = 0
    ell = sum(1 for k in key if k is Ellipsis)
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    for k in key:
        if k is Ellipsis:
            dim += len(shape) - consumed
            continue
        if k is None:
            continue
        if isinstance(k, int):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        dim += 1
    if dim > len(shape) and not ell:
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


def getitem(input, key):
    """Tensor.__getitem__: basic indexing gives a view; integer/bool tensors and lists gather a copy."""
    key, basic = normalize_index(key)
    shape = input._data.shape
    if basic:
        _check_bounds(shape, key)
        out = apply(S.basic_index, (input,), {"index": key, "in_shape": shape})
        if out.grad_fn is not None:
            out.grad_fn.name_override = _basic_name(key)
        return out
    try:
        return apply(I.advanced_index, (input,), {"index": key})
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


def setitem(input, key, value):
    """Tensor.__setitem__: in place; a basic index writes through a view (CopySlices)."""
    idx, basic = normalize_index(key)
    if not isinstance(value, Tensor):
        value = _make(np.asarray(value, dtype=input._dtype.np), input._dtype)
    if basic:
        _check_bounds(input._data.shape, idx)
        getitem(input, key).copy_(value)
        return
    apply_(I.index_put, (input, value), {"index": idx, "accumulate": False})


def index_put_(input, indices, values, accumulate=False):
    """torch.Tensor.index_put_."""
    idx = tuple(_to_index(i) for i in indices)
    return apply_(I.index_put, (input, values), {"index": idx, "accumulate": accumulate})


def index_put(input, indices, values, accumulate=False):
    idx = tuple(_to_index(i) for i in indices)
    return apply(I.index_put, (input, values), {"index": idx, "accumulate": accumulate})


def _index_arr(index, name="index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._dtype is not int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    return index._data


def _check_gather_index(input, dim, index, name):
    arr = index._data
    n = input._data.shape[dim] if input._data.ndim else 1
    if arr.size and (arr.max() >= n or arr.min() < -n):
        bad = arr.max() if arr.max() >= n else arr.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
    if arr.ndim != input._data.ndim and input._data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {'input' if name == 'gather' else 'self'} tensor")


def gather(input, dim, index, *, sparse_grad=False):
    """torch.gather."""
    d = wrap_dim(dim, input._data.ndim)
    _index_arr(index, "gather")
    _check_gather_index(input, d, index, "gather")
    return apply(I.gather, (input,), {"dim": d, "index": np.where(index._data < 0, index._data + input._data.shape[d],
                                                                   index._data)})


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices.expand(*[s if i == wrap_dim(dim, input.dim()) else input.shape[i]
                                               for i, s in enumerate(indices.shape)]))


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """torch.scatter (src tensor or scalar value)."""
    d = wrap_dim(dim, input._data.ndim)
    _index_arr(index, "scatter")
    _check_gather_index(input, d, index, "scatter")
    if src is None:
        src = value
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, d, index, src if isinstance(src, Tensor) else
                               _make(np.full(index._data.shape, src, input._dtype.np), input._dtype))
        raise NotImplementedError(f"dagrad: scatter reduce={reduce!r} is not implemented")
    if isinstance(src, Tensor):
        if src._dtype is not input._dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype")
        return apply(I.scatter, (input, src), {"dim": d, "index": index._data})
    return apply(I.scatter_value, (input,), {"dim": d, "index": index._data, "value": src})


def scatter_(input, dim, index, src=None, *, value=None, reduce=None):
    d = wrap_dim(dim, input._data.ndim)
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return apply_(I.scatter, (input, src), {"dim": d, "index": index._data})
    return apply_(I.scatter_value, (input,), {"dim": d, "index": index._data, "value": src})


def scatter_add(input, dim, index, src):
    """torch.scatter_add (repeated indices accumulate)."""
    d = wrap_dim(dim, input._data.ndim)
    _check_gather_index(input, d, index, "scatter_add")
    return apply(I.scatter_add, (input, src), {"dim": d, "index": index._data})


def scatter_add_(input, dim, index, src):
    d = wrap_dim(dim, input._data.ndim)
    return apply_(I.scatter_add, (input, src), {"dim": d, "index": index._data})


def index_select(input, dim, index):
    """torch.index_select."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arr(index, "index_select") if index._dtype is int64 else index._data.astype(np.int64)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = input._data.shape[d] if input._data.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"index out of range in self")
    return apply(I.index_select, (input,), {"dim": d, "index": idx.reshape(-1)})


def index_add(input, dim, index, source, *, alpha=1):
    """torch.index_add (repeated indices accumulate)."""
    d = wrap_dim(dim, input._data.ndim)
    return apply(I.index_add, (input, source), {"dim": d, "index": index._data.reshape(-1), "alpha": alpha})


def index_add_(input, dim, index, source, *, alpha=1):
    d = wrap_dim(dim, input._data.ndim)
    return apply_(I.index_add, (input, source), {"dim": d, "index": index._data.reshape(-1), "alpha": alpha})


def _mask(mask):
    if not isinstance(mask, Tensor) or mask._dtype is not bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    return mask


def masked_fill(input, mask, value):
    """torch.masked_fill."""
    _mask(mask)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._requires_grad:
            return apply(I.masked_fill_tensor, (input, mask, value.to(input._dtype)))
        value = value.item()
    return apply(I.masked_fill, (input, mask), {"value": value})


def masked_fill_(input, mask, value):
    _mask(mask)
    if isinstance(value, Tensor):
        value = value.item()
    return apply_(I.masked_fill, (input, mask), {"value": value})


def masked_select(input, mask):
    """torch.masked_select: the selected elements as a 1-d tensor."""
    _mask(mask)
    if mask._data.shape != input._data.shape:
        from .shape import broadcast_tensors
        input, mask = broadcast_tensors(input, mask)
    return apply(I.masked_select, (input, mask))


def take(input, index):
    """torch.take: index the flattened tensor."""
    n = input._data.size
    idx = index._data
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {idx.max() if idx.max() >= n else idx.min()} on a "
                         f"tensor of {n} elements.")
    return apply(I.take, (input,), {"index": idx})


def nonzero(input, *, as_tuple=False):
    """torch.nonzero: indices of non-zero elements, (n, ndim) or a tuple of 1-d tensors."""
    idx = np.nonzero(input._data if input._data.ndim else input._data.reshape(1))
    if as_tuple:
        return tuple(_make(i.astype(np.int64), int64) for i in idx)
    return _make(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64), int64)


def argwhere(input):
    return nonzero(input)


def _select_by(input, idx, d, name):
    values = apply(R.take_along, (input,), {"index": idx, "dim": d, "keepdim": True})
    if values.grad_fn is not None:
        values.grad_fn.name_override = name
    return values


def _sort_order(arr, d, descending, stable=True):
    if descending:
        # stable descending: sort the negated order; NaN counts as largest (torch's convention)
        key = -arr.astype(np.float64) if arr.dtype.kind in "fiub" else arr
        if arr.dtype == np.bool_:
            key = -arr.astype(np.int8)
        if arr.dtype.kind == "f":
            key = np.where(np.isnan(arr), -np.inf, key)
        return np.argsort(key, axis=d, kind="stable")
    return np.argsort(arr, axis=d, kind="stable")


def sort(input, dim=-1, descending=False, stable=False):
    """torch.sort: (values, indices)."""
    from .reduction import return_types
    if input._data.ndim == 0:
        return return_types.sort(input.clone(), _make(np.array(0), int64))
    d = wrap_dim(dim, input._data.ndim)
    idx = _sort_order(input._data, d, descending)
    return return_types.sort(_select_by(input, idx, d, "SortBackward0"), _make(idx.astype(np.int64), int64))


def argsort(input, dim=-1, descending=False, stable=False):
    """torch.argsort."""
    d = wrap_dim(dim, input._data.ndim)
    return _make(_sort_order(input._data, d, descending).astype(np.int64), int64)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """torch.topk: the k largest (or smallest) along dim, (values, indices)."""
    from .reduction import return_types
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    idx = np.take(_sort_order(input._data, d, largest), np.arange(k), axis=d)
    return return_types.topk(_select_by(input, idx, d, "TopkBackward0"), _make(idx.astype(np.int64), int64))


def kthvalue(input, k, dim=-1, keepdim=False):
    from .reduction import return_types
    d = wrap_dim(dim, input._data.ndim)
    idx = np.take(_sort_order(input._data, d, False), [k - 1], axis=d)
    vals = _select_by(input, idx, d, "KthvalueBackward0")
    if not keepdim:
        vals, idx = vals.squeeze(d), np.squeeze(idx, d)
    return return_types.kthvalue(vals, _make(idx.astype(np.int64), int64))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """torch.unique (sorted unique values; optionally inverse indices and counts)."""
    arr = input._data
    res = np.unique(arr if dim is None else arr, return_inverse=return_inverse, return_counts=return_counts,
                    axis=dim)
    if not (return_inverse or return_counts):
        return _make(res, input._dtype)
    out = [_make(res[0], input._dtype)]
    if return_inverse:
        out.append(_make(res[1].reshape(arr.shape if dim is None else -1).astype(np.int64), int64))
    if return_counts:
        out.append(_make(res[-1].astype(np.int64), int64))
    return tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    arr = input._data.reshape(-1)
    if arr.size == 0:
        return _make(arr.copy(), input._dtype)
    keep = np.concatenate([[True], arr[1:] != arr[:-1]])
    vals = _make(arr[keep], input._dtype)
    if not (return_inverse or return_counts):
        return vals
    out = [vals]
    if return_inverse:
        out.append(_make((np.cumsum(keep) - 1).reshape(input._data.shape).astype(np.int64), int64))
    if return_counts:
        starts = np.flatnonzero(keep)
        out.append(_make(np.diff(np.append(starts, arr.size)).astype(np.int64), int64))
    return tuple(out)


def searchsorted(sorted_sequence, values, *, right=False, side=None):
    side = side or ("right" if right else "left")
    v = values._data if isinstance(values, Tensor) else np.asarray(values)
    return _make(np.asarray(np.searchsorted(sorted_sequence._data, v, side=side)).astype(np.int64), int64)


def bucketize(input, boundaries, *, right=False):
    return _make(np.searchsorted(boundaries._data, input._data, side="left" if not right else "right").astype(np.int64),
                 int64)
