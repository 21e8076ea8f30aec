"""dagrad's versions of the torch functions a checkpoint calls to rebuild its tensors (torch._utils._rebuild_*)."""
import codecs

import numpy as np

from .._dtype import ALL_DTYPES
from .._tensor import Size, Tensor, device, wrap
from ._storage import LoadedStorage, _ForeignArray

_DTYPES = {d.name: d for d in ALL_DTYPES}


def parameter_class():
    """dagrad.nn.Parameter, imported lazily (nn imports much of dagrad), or None while it does not exist."""
    try:
        from ..nn.parameter import Parameter
    except ImportError:
        return None
    return Parameter


def _check_ints(name, value):
    if not isinstance(value, tuple) or not all(type(v) is int for v in value):
        raise RuntimeError(f"_rebuild_tensor: {name} must be a tuple of ints, got {value!r}")


def _as_strided(storage, storage_offset, size, stride):
    """The tensor torch's ``set_(storage, offset, size, stride)`` makes, after torch's bounds check."""
    if not isinstance(storage, LoadedStorage):
        raise RuntimeError(f"_rebuild_tensor: expected a storage, got {type(storage).__name__}")
    size, stride = tuple(size), tuple(stride)
    _check_ints("size", size)
    _check_ints("stride", stride)
    if type(storage_offset) is not int or storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset!r}")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} != {len(size)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    arr = storage.array
    if isinstance(arr, _ForeignArray):
        raise RuntimeError(f"dagrad has no dtype torch.{arr.dtype_name}, so this checkpoint's tensors of that "
                           "dtype cannot be loaded")
    itemsize = arr.dtype.itemsize
    # torch's computeStorageNbytes: an empty tensor needs no storage at all
    needed = 0
    if all(s > 0 for s in size):
        needed = storage_offset + 1 + sum(st * (n - 1) for n, st in zip(size, stride))
    if needed > arr.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{storage_offset}, and itemsize {itemsize} requiring a storage size of "
                           f"{needed * itemsize} are out of bounds for storage of size {arr.size * itemsize}")
    if needed == 0:
        out = np.zeros(size, dtype=arr.dtype)
    else:
        out = np.ndarray(size, dtype=arr.dtype, buffer=arr, offset=storage_offset * itemsize,
                         strides=tuple(st * itemsize for st in stride))
    return wrap(out)


def _apply_metadata(t, metadata):
    # torch keeps conj/neg as lazy bits on a view; dagrad materializes them
    if not metadata:
        return t
    if not isinstance(metadata, dict):
        raise RuntimeError(f"_rebuild_tensor: metadata must be a dict, got {type(metadata).__name__}")
    arr = t._data
    if metadata.get("conj"):
        arr = np.conj(arr)
    if metadata.get("neg"):
        arr = np.negative(arr)
    return wrap(arr) if arr is not t._data else t


def _set_requires_grad(t, requires_grad):
    if type(requires_grad) is not bool:
        raise RuntimeError(f"_rebuild_tensor: requires_grad must be a bool, got {requires_grad!r}")
    if requires_grad:
        t.requires_grad = True
    return t


def rebuild_tensor(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor."""
    return _as_strided(storage, storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """torch._utils._rebuild_tensor_v2 (backward hooks are never serialized by torch; any are dropped)."""
    t = _apply_metadata(_as_strided(storage, storage_offset, size, stride), metadata)
    return _set_requires_grad(t, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    """torch._utils._rebuild_tensor_v3: an untyped (byte) storage plus the tensor's dtype."""
    if not isinstance(storage, LoadedStorage) or storage.dtype_name != "uint8":
        raise RuntimeError("_rebuild_tensor_v3 expects an untyped storage")
    name = getattr(dtype, "name", None)
    if name not in _DTYPES:
        raise RuntimeError(f"dagrad has no dtype torch.{dtype}, so this checkpoint's tensors of that dtype "
                           "cannot be loaded")
    arr = storage.array
    np_dtype = _DTYPES[name].np
    if arr.nbytes % np_dtype.itemsize:
        raise RuntimeError(f"_rebuild_tensor_v3: storage of {arr.nbytes} bytes is not a whole number of "
                           f"{name} elements")
    typed = LoadedStorage(arr.view(np_dtype), name, storage.location)
    return rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: a dagrad.nn.Parameter sharing ``data``'s storage."""
    if not isinstance(data, Tensor):
        raise RuntimeError(f"_rebuild_parameter: expected a tensor, got {type(data).__name__}")
    if type(requires_grad) is not bool:
        raise RuntimeError(f"_rebuild_parameter: requires_grad must be a bool, got {requires_grad!r}")
    cls = parameter_class()
    if cls is None:
        return data.detach().requires_grad_(requires_grad)
    return cls(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter carrying Python attributes."""
    return set_obj_state(rebuild_parameter(data, requires_grad, backward_hooks), state)


def set_obj_state(obj, state):
    """Restore plain attributes onto a tensor, refusing names that would overwrite Tensor's own members."""
    if state is None:
        return obj
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    for part in (state, slots):
        if not part:
            continue
        if not isinstance(part, dict):
            raise RuntimeError(f"tensor state must be a dict, got {type(part).__name__}")
        for k, v in part.items():
            if not isinstance(k, str) or k.startswith("__") or hasattr(type(obj), k):
                raise RuntimeError(f"refusing to set attribute {k!r} on a loaded tensor")
            obj.__dict__[k] = v
    return obj


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor subclass, or a tensor with Python attributes."""
    if func not in (rebuild_tensor_v2, rebuild_tensor, rebuild_tensor_v3, rebuild_parameter,
                    rebuild_parameter_with_state):
        raise RuntimeError(f"_rebuild_from_type_v2: unsupported rebuild function {func!r}")
    if not isinstance(args, tuple):
        raise RuntimeError("_rebuild_from_type_v2: args must be a tuple")
    ret = func(*args)
    if new_type is not Tensor and type(ret) is not new_type:
        cls = parameter_class()
        if cls is None or new_type is not cls:
            raise RuntimeError(f"_rebuild_from_type_v2: cannot rebuild a tensor of type {new_type!r}")
        ret = cls(ret, ret.requires_grad)
    return set_obj_state(ret, state)


def unsupported(kind):
    def rebuild(*args, **kwargs):
        raise RuntimeError(f"dagrad cannot load {kind}: only dense CPU tensors of dagrad's dtypes are supported")
    rebuild.__name__ = f"_rebuild_{kind.replace(' ', '_')}"
    return rebuild


def get_layout(name):
    """torch.serialization._get_layout: dagrad has only the strided layout."""
    if name != "torch.strided":
        raise RuntimeError(f"dagrad supports only the strided layout, not {name!r}")
    return "strided"


def make_size(dims=()):
    """torch.Size(...) as a checkpoint calls it."""
    dims = tuple(dims)
    if not all(type(d) is int for d in dims):
        raise RuntimeError(f"torch.Size() takes an iterable of 'int', got {dims!r}")
    return Size(dims)


def make_device(type_, index=None):
    """torch.device(...) as a checkpoint calls it; dagrad computes on the CPU but keeps the name."""
    if not isinstance(type_, str) or (index is not None and type(index) is not int):
        raise RuntimeError(f"invalid device {type_!r}, {index!r}")
    return device(type_, index)


_TEXT_CODECS = ("latin1", "latin-1", "iso-8859-1", "utf-8", "utf8", "ascii")


def codecs_encode(obj, encoding="utf-8", errors="strict"):
    """_codecs.encode as protocol-2 pickles use it for bytes: a str to bytes through a text codec only."""
    if not isinstance(obj, str) or encoding not in _TEXT_CODECS or errors != "strict":
        raise RuntimeError("_codecs.encode is allowed only to turn a str into bytes with a text codec")
    return codecs.encode(obj, encoding)


def make_bytearray(source=b"", encoding=None, errors=None):
    """bytearray(...) as a pickle calls it: from bytes, or from a str and a text codec (never a size)."""
    if isinstance(source, str):
        return bytearray(codecs_encode(source, encoding or "utf-8"))
    if isinstance(source, (bytes, bytearray)) and encoding is None:
        return bytearray(source)
    raise RuntimeError("bytearray() in a checkpoint must be built from bytes or a str")


def make_complex(real=0.0, imag=0.0):
    if not all(type(v) in (int, float) for v in (real, imag)):
        raise RuntimeError("complex() in a checkpoint must be built from two numbers")
    return complex(real, imag)


def make_set(items=()):
    return set(_plain_iterable(items))


def make_frozenset(items=()):
    return frozenset(_plain_iterable(items))


def _plain_iterable(items):
    # only containers the unpickler itself builds, never an object whose __iter__ runs code
    if type(items) not in (list, tuple, set, frozenset, dict, str, bytes):
        raise RuntimeError(f"expected a list or tuple, got {type(items).__name__}")
    return items
