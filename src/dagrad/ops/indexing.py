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
    """Convert one index component to something numpy accepts, keeping torch's meaning.

    0-d integer tensors act as Python ints (torch selects with them); bool and integer tensors, lists and
    Python bools become numpy index arrays.
    """
    if isinstance(k, Tensor):
        if k._dtype is bool_ or k._dtype.name == "uint8":
            return k._data.astype(bool)
        if k._dtype._kind != 1:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data.astype(np.int64, copy=False) if k._data.ndim else int(k._data)
    if isinstance(k, (list, tuple)):
        arr = np.array([int(v) if isinstance(v, Tensor) else v for v in k])
        if arr.dtype == object or arr.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr.astype(np.int64) if arr.dtype.kind in "iu" else arr
    if isinstance(k, np.ndarray):
        return k
    if isinstance(k, (bool, np.bool_)):
        return np.array(bool(k))
    if isinstance(k, (np.integer,)):
        return int(k)
    if isinstance(k, _BASIC):
        return k
    if isinstance(k, str):
        raise TypeError("new(): invalid data type 'str'")
    if hasattr(k, "__index__"):
        return k.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     "indices (got " + type(k).__name__ + ")")


def _sequence_as_tuple(key):
    """torch (after NumPy) reads a short list holding a tensor, a sequence, a slice, ``...`` or None as a tuple of
    indices: x[[[0, 1], [1, 0]]] is x[[0, 1], [1, 0]]."""
    if not isinstance(key, list) or len(key) >= 32:
        return False
    return any(isinstance(k, (Tensor, list, tuple, slice)) or k is None or k is Ellipsis for k in key)


def normalize_index(key):
    if _sequence_as_tuple(key):
        key = tuple(key)
    if not isinstance(key, tuple):
        key = (key,)
    key = tuple(_to_index(k) for k in key)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    basic = all(isinstance(k, _BASIC) for k in key)
    return key, basic


def _consumed(k):
    """How many input dims one normalised index component uses."""
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, np.ndarray):
        return k.ndim if k.dtype == np.bool_ else 1
    return 1


def _walk(shape, key):
    """Yield (component, first input dim it uses), spelling out the ellipsis; check torch's IndexErrors."""
    used = sum(_consumed(k) for k in key)
    if used and not shape:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    n_arrays = 0  # torch numbers an out-of-range int by its place in the key, a tensor by its place among tensors
    for pos, k in enumerate(key):
        if k is Ellipsis:
            yield k, dim
            dim += len(shape) - used
            continue
        if isinstance(k, int):
            n = shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size {n}")
        elif isinstance(k, np.ndarray) and k.dtype == np.bool_:
            for i, (m, n) in enumerate(zip(k.shape, shape[dim:dim + k.ndim])):
                if m != n:
                    raise IndexError(f"The shape of the mask [{', '.join(map(str, k.shape))}] at index {i} does "
                                     f"not match the shape of the indexed tensor [{', '.join(map(str, shape))}] "
                                     f"at index {dim + i}")
        elif isinstance(k, np.ndarray) and k.size:
            n = shape[dim]
            bad = k[(k >= n) | (k < -n)]
            if bad.size:
                raise IndexError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension {n_arrays} with size "
                                 f"{n}")
        if isinstance(k, np.ndarray):
            n_arrays += 1
        yield k, dim
        dim += _consumed(k)


def _is_full(k, n):
    return isinstance(k, slice) and range(*k.indices(n)) == range(n)


def _basic_name(key, shape):
    """The node torch shows for basic indexing: that of the last component applied (full slices are skipped)."""
    for k, dim in reversed(list(_walk(shape, key))):
        if k is Ellipsis:
            continue
        if k is None:
            return "UnsqueezeBackward0"
        if isinstance(k, int):
            return "SelectBackward0"
        if not _is_full(k, shape[dim]):
            return "SliceBackward0"
    return "AliasBackward0"


def _basic(input, key):
    out = apply(S.basic_index, (input,), {"index": key, "in_shape": input._data.shape})
    if out.grad_fn is not None:
        out.grad_fn.name_override = _basic_name(key, input._data.shape)
    return out


def _split_index(shape, key):
    """torch applies ints, slices and None first (a view), then the tensor indices to that view.

    Returns the basic key (index arrays replaced by full slices; None when it changes nothing) and the advanced
    key for the view (full slices where no array indexes). numpy's rules on the second key (adjacent index
    arrays stay in place, separated ones go first) then match torch's.
    """
    basic_key, adv_key, trivial = [], [], True
    for k, dim in _walk(shape, key):
        if isinstance(k, np.ndarray):
            basic_key.extend([slice(None)] * _consumed(k))
            adv_key.append(k)
        elif isinstance(k, int):
            basic_key.append(k)
            trivial = False
        elif k is Ellipsis:
            basic_key.append(k)
            adv_key.append(k)
        else:
            basic_key.append(k)
            adv_key.append(slice(None))
            if k is None or not _is_full(k, shape[dim]):
                trivial = False
    return (None if trivial else tuple(basic_key)), tuple(adv_key)


def _ints_and_slices(key, shape):
    """The common key of in-range ints and slices only, as a tuple; None sends it down the general path."""
    if type(key) is not tuple:
        key = (key,)
    if len(key) > len(shape):
        return None
    for n, k in zip(shape, key):
        t = type(k)
        if t is int:
            if not -n <= k < n:
                return None  # the general path raises torch's IndexError
        elif t is not slice:
            return None
    return key


def getitem(input, key):
    """Tensor.__getitem__: basic indexing gives a view; integer/bool tensors and lists gather a copy."""
    simple = _ints_and_slices(key, input._data.shape)
    if simple is not None:
        return _basic(input, simple)
    key, basic = normalize_index(key)
    shape = input._data.shape
    if basic:
        list(_walk(shape, key))  # torch's IndexErrors
        return _basic(input, key)
    basic_key, adv_key = _split_index(shape, key)
    base = input if basic_key is None else _basic(input, basic_key)
    return apply(I.advanced_index, (base,), {"index": adv_key, "shape": base._data.shape})


def _check_put_dtype(input, value):
    if value._dtype is not input._dtype:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{scalar_type_name(input._dtype)} for the destination and "
                           f"{scalar_type_name(value._dtype)} for the source.")


def _check_put_shape(target, adv_key, value):
    """torch's text when the value does not broadcast to the indexed region."""
    region = np.empty(target._data.shape, dtype=np.bool_)[adv_key].shape
    try:
        np.broadcast_shapes(value._data.shape, region)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, value._data.shape))}] "
                           f"cannot be broadcast to indexing result of shape [{', '.join(map(str, region))}]") \
            from None


def setitem(input, key, value):
    """Tensor.__setitem__: in place; a basic index writes through a view (CopySlices), tensors use index_put_."""
    idx, basic = normalize_index(key)
    if basic:
        list(_walk(input._data.shape, idx))
        target = _basic(input, idx)
        if isinstance(value, Tensor):
            from .shape import expanded_shape
            # torch drops the value's leading unit dims, then expands it to the indexed region
            v = value
            while v._data.ndim > target._data.ndim and v._data.shape[0] == 1:
                v = v.squeeze(0)
            expanded_shape(v, target._data.shape)
            target.copy_(v)
        else:
            target.copy_(_make(np.asarray(value, dtype=input._dtype.np), input._dtype))
        return
    if isinstance(value, Tensor):
        _check_put_dtype(input, value)
    else:
        value = _make(np.asarray(value, dtype=input._dtype.np), input._dtype)
    basic_key, adv_key = _split_index(input._data.shape, idx)
    target = input if basic_key is None else _basic(input, basic_key)
    _check_put_shape(target, adv_key, value)
    apply_(I.index_put, (target, value), {"index": adv_key, "accumulate": False})


def _put_key(input, indices):
    key = tuple(_to_index(i) for i in indices)
    return tuple(np.asarray(k, dtype=np.int64) if isinstance(k, int) else k for k in key)


def index_put_(input, indices, values, accumulate=False):
    """torch.Tensor.index_put_."""
    _check_put_dtype(input, values)
    return apply_(I.index_put, (input, values), {"index": _put_key(input, indices), "accumulate": accumulate})


def index_put(input, indices, values, accumulate=False):
    """torch.index_put."""
    _check_put_dtype(input, values)
    return apply(I.index_put, (input, values), {"index": _put_key(input, indices), "accumulate": accumulate})


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _index_tensor(index, name):
    """torch's checks on the index argument of gather/scatter: a Tensor of int64 (or int32)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index._dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._data.astype(np.int64, copy=False)


def _check_along(input, d, idx, name, src=None):
    """gather/scatter: same rank, index no larger than self (and src) off ``d``, every entry in [0, size)."""
    nd = input._data.ndim
    if idx.ndim != nd and idx.size and nd:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    shape = input._data.shape
    if idx.ndim == nd and nd:
        too_big = any(i != d and a > b for i, (a, b) in enumerate(zip(idx.shape, shape)))
        src_small = src is not None and src._data.ndim == nd and any(
            a > b for a, b in zip(idx.shape, src._data.shape))
        if name == "gather" and too_big:
            dim = next(i for i, (a, b) in enumerate(zip(idx.shape, shape)) if i != d and a > b)
            raise RuntimeError(f"Size does not match at dimension {dim} expected index {_shape_str(idx.shape)} to "
                               f"be no larger than self {_shape_str(shape)} apart from dimension {d}")
        if name != "gather" and (too_big or src_small):
            tail = f" and to be no larger size than src {_shape_str(src._data.shape)}" if src is not None else ""
            raise RuntimeError(f"Expected index {_shape_str(idx.shape)} to be no larger than self "
                               f"{_shape_str(shape)} apart from dimension {d}{tail}")
    n = shape[d] if nd else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = idx.reshape(-1)[np.argmax((idx.reshape(-1) >= n) | (idx.reshape(-1) < 0))]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _check_same_dtype(input, src, name="scatter"):
    if src._dtype is not input._dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def gather(input, dim, index, *, sparse_grad=False):
    """torch.gather: out[i][j] = input[i][index[i][j]] along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_tensor(index, "gather")
    _check_along(input, d, idx, "gather")
    return apply(I.gather, (input,), {"dim": d, "index": idx, "shape": input._data.shape})


def take_along_dim(input, indices, dim=None):
    """torch.take_along_dim (the index broadcasts against the input off ``dim``)."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dim(dim, input._data.ndim)
    shape = [s if i == d else max(s, input._data.shape[i]) for i, s in enumerate(indices._data.shape)]
    in_shape = [input._data.shape[i] if i == d else s for i, s in enumerate(shape)]
    return gather(input.expand(*in_shape), d, indices.expand(*shape))


def _scatter_args(input, dim, index, src, name):
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_tensor(index, name)
    _check_along(input, d, idx, name, src if isinstance(src, Tensor) else None)
    return d, idx


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """torch.scatter: out[i][index[i][j]] = src[i][j] along ``dim`` (src a tensor or a scalar value)."""
    if src is None:
        src = value
    d, idx = _scatter_args(input, dim, index, src, "scatter")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        if not isinstance(src, Tensor):
            src = _make(np.full(idx.shape, src, input._dtype.np), input._dtype)
        return apply(I.scatter_reduce_legacy, (input, src), {"dim": d, "index": idx, "reduce": reduce})
    if isinstance(src, Tensor):
        _check_same_dtype(input, src)
        return apply(I.scatter, (input, src), {"dim": d, "index": idx, "src_shape": src._data.shape})
    return apply(I.scatter_value, (input,), {"dim": d, "index": idx, "value": src})


def scatter_(input, dim, index, src=None, *, value=None, reduce=None):
    """torch.Tensor.scatter_."""
    if src is None:
        src = value
    d, idx = _scatter_args(input, dim, index, src, "scatter")
    if isinstance(src, Tensor):
        _check_same_dtype(input, src)
        return apply_(I.scatter, (input, src), {"dim": d, "index": idx, "src_shape": src._data.shape})
    return apply_(I.scatter_value, (input,), {"dim": d, "index": idx, "value": src})


def scatter_add(input, dim, index, src):
    """torch.scatter_add (repeated indices accumulate)."""
    d, idx = _scatter_args(input, dim, index, src, "scatter_add")
    _check_same_dtype(input, src)
    return apply(I.scatter_add, (input, src), {"dim": d, "index": idx, "src_shape": src._data.shape})


def scatter_add_(input, dim, index, src):
    """torch.Tensor.scatter_add_."""
    d, idx = _scatter_args(input, dim, index, src, "scatter_add")
    _check_same_dtype(input, src)
    return apply_(I.scatter_add, (input, src), {"dim": d, "index": idx, "src_shape": src._data.shape})


def index_select(input, dim, index):
    """torch.index_select."""
    d = wrap_dim(dim, input._data.ndim)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index._dtype.name not in ("int64", "int32"):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index._data.astype(np.int64, copy=False)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = input._data.shape[d] if input._data.ndim else 1
    flat = idx.reshape(-1)
    bad = flat[(flat >= n) | (flat < 0)]
    if bad.size:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad[0]} axis_dim={n}")
    return apply(I.index_select, (input,), {"dim": d, "index": flat, "shape": input._data.shape})


def _index_add_args(input, dim, index, source):
    from .._dispatch import scalar_type_name
    d = wrap_dim(dim, input._data.ndim)
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    if source._dtype is not input._dtype:
        raise RuntimeError(f"index_add_(): self ({scalar_type_name(input._dtype)}) and source "
                           f"({scalar_type_name(source._dtype)}) must have the same scalar type")
    m = source._data.shape[d] if source._data.ndim else 1
    if idx.size != m:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({m}), for dim: {d}")
    n = input._data.shape[d] if input._data.ndim else 1
    bad = idx[(idx >= n) | (idx < 0)]
    if bad.size:
        raise RuntimeError(f"index {bad[0]} is out of bounds for dimension {d} with size {n}")
    return {"dim": d, "index": idx, "src_ndim": source._data.ndim}


def index_add(input, dim, index, source, *, alpha=1):
    """torch.index_add (repeated indices accumulate)."""
    p = _index_add_args(input, dim, index, source)
    p["alpha"] = alpha
    return apply(I.index_add, (input, source), p)


def index_add_(input, dim, index, source, *, alpha=1):
    """torch.Tensor.index_add_."""
    p = _index_add_args(input, dim, index, source)
    p["alpha"] = alpha
    return apply_(I.index_add, (input, source), p)


def _mask(mask):
    if not isinstance(mask, Tensor) or mask._dtype is not bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, '_dtype', None) and _C_TYPE.get(mask._dtype.name, mask._dtype.name)}")
    return mask


_C_TYPE = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "uint8": "unsigned char",
           "float16": "c10::Half", "int16": "short int", "int8": "signed char"}


def _fill_value(input, mask, value):
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")


def masked_fill(input, mask, value):
    """torch.masked_fill (a tensor value is recorded as MaskedFillBackward1 and receives a gradient)."""
    _mask(mask)
    _fill_value(input, mask, value)
    if mask._data.shape != input._data.shape:
        from ._checks import broadcast_error
        err = broadcast_error((mask._data.shape, input._data.shape))  # torch names the mask tensor a
        if err is not None:
            raise err
    if isinstance(value, Tensor):
        return apply(I.masked_fill_tensor, (input, mask, value.to(input._dtype)))
    return apply(I.masked_fill, (input, mask), {"value": value})


def masked_fill_(input, mask, value):
    """torch.Tensor.masked_fill_."""
    _mask(mask)
    _fill_value(input, mask, value)
    if isinstance(value, Tensor):
        return apply_(I.masked_fill_tensor, (input, mask, value.to(input._dtype)))
    return apply_(I.masked_fill, (input, mask), {"value": value})


def masked_select(input, mask):
    """torch.masked_select: the selected elements as a 1-d tensor."""
    if not isinstance(mask, Tensor) or mask._dtype is not bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    if mask._data.shape != input._data.shape:
        from .shape import broadcast_tensors
        input, mask = broadcast_tensors(input, mask)
    return apply(I.masked_select, (input, mask))


def take(input, index):
    """torch.take: index the flattened tensor."""
    if index._dtype is not int64:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {scalar_type_name(index._dtype)}")
    n = input._data.size
    idx = index._data
    flat = idx.reshape(-1)
    bad = flat[(flat >= n) | (flat < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {bad[0]} on a tensor of {n} elements.")
    return apply(I.take, (input,), {"index": idx, "shape": input._data.shape})


def nonzero(input, *, as_tuple=False):
    """torch.nonzero: indices of non-zero elements, (n, ndim) or a tuple of 1-d tensors."""
    arr = input._data
    idx = np.nonzero(arr if arr.ndim else arr.reshape(1))
    if as_tuple:
        return tuple(_make(i.astype(np.int64), int64) for i in idx)
    if arr.ndim == 0:  # one row per non-zero element, no columns
        return _make(np.zeros((int(idx[0].size), 0), np.int64), int64)
    return _make(np.stack(idx, axis=1).astype(np.int64), int64)


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


_UNSET = object()


def sort(input, dim=-1, descending=False, *, stable=_UNSET):
    """torch.sort: (values, indices); ties keep their order (a stable sort, which torch's CPU sort also is)."""
    from .reduction import return_types
    # passing ``stable`` at all selects torch's sort.stable overload, recorded as SortBackward1
    name = "SortBackward0" if stable is _UNSET else "SortBackward1"
    if input._data.ndim == 0:
        return return_types.sort(_named_clone(input, name), _make(np.array(0), int64))
    d = wrap_dim(dim, input._data.ndim)
    idx = _sort_order(input._data, d, descending)
    return return_types.sort(_select_by(input, idx, d, name), _make(idx.astype(np.int64), int64))


def argsort(input, dim=-1, descending=False, *, stable=False):
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
    if input._data.ndim == 0:
        return return_types.topk(_named_clone(input, "TopkBackward0"), _make(np.array(0), int64))
    idx = np.take(_sort_order(input._data, d, largest), np.arange(k), axis=d)
    return return_types.topk(_select_by(input, idx, d, "TopkBackward0"), _make(idx.astype(np.int64), int64))


def kthvalue(input, k, dim=-1, keepdim=False):
    from .reduction import return_types
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input._data.ndim == 0:
        return return_types.kthvalue(_named_clone(input, "KthvalueBackward0"), _make(np.array(0), int64))
    idx = np.take(_sort_order(input._data, d, False), [k - 1], axis=d)
    vals = apply(R.take_along, (input,), {"index": idx, "dim": d, "keepdim": keepdim})
    if vals.grad_fn is not None:
        vals.grad_fn.name_override = "KthvalueBackward0"
    return return_types.kthvalue(vals, _make((idx if keepdim else np.squeeze(idx, d)).astype(np.int64), int64))


def _named_clone(input, name):
    out = input.clone()
    if out.grad_fn is not None:
        out.grad_fn.name_override = name
    return out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """torch.unique (sorted unique values; optionally inverse indices and counts)."""
    arr = input._data
    if dim is not None:
        dim = wrap_dim(dim, arr.ndim)
    res = np.unique(arr, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    values = res if not (return_inverse or return_counts) else res[0]
    values = apply(I.unique if dim is None else I.unique_dim, (input,), {"result": values})
    if not (return_inverse or return_counts):
        return values
    out = [values]
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
    vals = apply(I.unique_consecutive, (input,), {"result": arr[keep]})
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
