"""Storages: how tensors map onto torch's numbered storage records when saving, and back when loading."""
import sys
import warnings

import numpy as np

from .._dtype import ALL_DTYPES

# torch's legacy storage class per dtype (torch.storage._dtype_to_storage_type_map)
STORAGE_NAMES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage", "int64": "LongStorage",
    "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex128": "ComplexDoubleStorage", "complex64": "ComplexFloatStorage",
}
_DTYPES = {d.name: d for d in ALL_DTYPES}
# torch dtypes dagrad has no equivalent for; bfloat16 alone is widened (exactly) to float32 on load
FOREIGN_DTYPES = ("bfloat16", "complex32", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz",
                  "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16",
                  "bits1x8", "bits2x4", "bits4x2", "qint8", "qint32", "quint8", "quint4x2", "quint2x4")
_FOREIGN_ITEMSIZE = {"bfloat16": 2, "complex32": 4, "uint16": 2, "uint32": 4, "uint64": 8, "bits16": 2, "qint32": 4}


class StorageType:
    """What a ``torch.FloatStorage``-style global stands for in a checkpoint: the dtype of a storage."""

    __slots__ = ("name", "dtype_name")

    def __init__(self, name, dtype_name):
        self.name = name
        self.dtype_name = dtype_name

    def __repr__(self):
        return f"StorageType(dtype=torch.{self.dtype_name})"


STORAGE_TYPES = {name: StorageType(name, d) for d, name in STORAGE_NAMES.items()}
STORAGE_TYPES["BFloat16Storage"] = StorageType("BFloat16Storage", "bfloat16")
for _q in ("QInt8", "QInt32", "QUInt8", "QUInt4x2", "QUInt2x4"):
    STORAGE_TYPES[_q + "Storage"] = StorageType(_q + "Storage", _q.lower())
UNTYPED_STORAGE = StorageType("UntypedStorage", "uint8")
TYPED_STORAGE = StorageType("TypedStorage", None)


def itemsize_of(dtype_name):
    d = _DTYPES.get(dtype_name)
    return d.itemsize if d is not None else _FOREIGN_ITEMSIZE.get(dtype_name, 1)


# ---- saving -----------------------------------------------------------------------------------
class StorageRef:
    """One tensor's reference to a storage; the pickler turns it into torch's persistent id."""

    __slots__ = ("entry",)

    def __init__(self, entry):
        self.entry = entry


class _Entry:
    __slots__ = ("key", "root", "dtype", "numel", "flat")

    def __init__(self, key, root, dtype, flat):
        self.key = key
        self.root = root  # keeps the root array alive while its id() is a dictionary key
        self.dtype = dtype
        self.flat = flat  # the storage's bytes, as a 1-D uint8 array
        self.numel = flat.nbytes // dtype.itemsize


def _root_of(arr):
    """The ndarray that owns (or first wraps) the memory ``arr`` views."""
    root = arr
    base = arr.base
    while isinstance(base, np.ndarray):
        root = base
        base = base.base
    return root


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


class StorageTable:
    """Numbers the storages of the tensors being saved, in order of first use, as torch.save does.

    A storage is the whole memory block (the root numpy array) a tensor's array views, so tensors that
    share memory are saved once, with offsets and strides, and load back sharing it, like torch's views.
    """

    def __init__(self):
        self._by_root = {}
        self.entries = []

    def _new_entry(self, root, dtype, flat):
        entry = _Entry(str(len(self.entries)), root, dtype, flat)
        self.entries.append(entry)
        return entry

    def locate(self, arr, dtype):
        """(StorageRef, storage_offset, stride) for a tensor's array, in elements of ``dtype``."""
        arr = np.asarray(arr)
        found = self._shared(arr, dtype)
        if found is not None:
            return found
        # a private storage: a C-contiguous, native-endian copy (no copy when arr already is one)
        own = np.ascontiguousarray(arr, dtype=dtype.np)
        flat = own.reshape(-1).view(np.uint8)
        entry = self._new_entry(own, dtype, flat)
        return StorageRef(entry), 0, _contiguous_strides(arr.shape)

    def _shared(self, arr, dtype):
        if arr.size == 0 or arr.dtype.byteorder == ">":
            return None
        root = _root_of(arr)
        if not (root.flags.c_contiguous or root.flags.f_contiguous) or root.nbytes % dtype.itemsize:
            return None
        itemsize = dtype.itemsize
        start = root.__array_interface__["data"][0]
        offset_bytes = arr.__array_interface__["data"][0] - start
        if offset_bytes < 0 or offset_bytes % itemsize:
            return None
        strides = []
        extent = offset_bytes + itemsize
        for n, st in zip(arr.shape, arr.strides):
            if st < 0 or st % itemsize:
                if n != 1:
                    return None
                strides.append(None)  # any stride addresses a size-1 dim; a valid one is chosen below
                continue
            strides.append(st // itemsize)
            extent += st * (n - 1)
        if extent > root.nbytes:
            return None
        default = _contiguous_strides(arr.shape)
        strides = tuple(d if s is None else s for s, d in zip(strides, default))
        entry = self._by_root.get(id(root))
        if entry is None:
            flat = root.ravel(order="K").view(np.uint8)
            entry = self._new_entry(root, dtype, flat)
            self._by_root[id(root)] = entry
        elif entry.dtype is not dtype:
            return None  # torch refuses one storage viewed as two dtypes; dagrad saves a copy instead
        return StorageRef(entry), offset_bytes // itemsize, strides


# ---- loading ----------------------------------------------------------------------------------
class LoadedStorage:
    """A storage read from a checkpoint: a 1-D numpy array of its elements, and where it was saved."""

    __slots__ = ("array", "dtype_name", "location", "__weakref__")

    def __init__(self, array, dtype_name, location):
        self.array = array
        self.dtype_name = dtype_name
        self.location = location

    @property
    def device(self):
        from .._tensor import device
        return device("cpu")

    def cpu(self):
        return self

    def size(self):
        return self.array.size

    def nbytes(self):
        return self.array.nbytes

    def __len__(self):
        return self.array.size

    def __repr__(self):
        return f"LoadedStorage(dtype={self.dtype_name}, size={self.array.size}, location={self.location!r})"


def _record_size_error(got, expected):
    return RuntimeError(f"record size ({got} bytes) does not match expected size ({expected} bytes = {expected} "
                        f"elements * 1 bytes/element) for dtype Byte")


class StorageLoader:
    """Torch's ``persistent_load``: reads ``data/<key>`` records on first use and checks their sizes."""

    def __init__(self, reader, restore_location, byteorder):
        self._reader = reader
        self._restore = restore_location
        self._swap = byteorder != sys.byteorder
        self._raw = {}
        self._typed = {}
        self.widened = False

    def __call__(self, pid):
        if type(pid) is tuple and pid and _maybe_decode_ascii(pid[0]) != "storage":
            raise _unpickling_error(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
        if type(pid) is not tuple or len(pid) != 5:
            raise _unpickling_error(f"persistent_load id must be a 5-tuple ('storage', storage_type, key, "
                                    f"location, numel), but got {pid!r}")
        _, storage_type, key, location, numel = (_maybe_decode_ascii(p) for p in pid)
        if not isinstance(storage_type, StorageType) or storage_type is TYPED_STORAGE:
            raise _unpickling_error(f"persistent_load: {storage_type!r} is not a storage type")
        if not isinstance(key, str) or not isinstance(location, str):
            raise _unpickling_error("persistent_load: storage key and location must be strings")
        if type(numel) is not int or numel < 0:
            raise _unpickling_error(f"persistent_load: storage size must be a non-negative int, got {numel!r}")
        dtype_name = storage_type.dtype_name
        cache_key = (key, dtype_name)
        storage = self._typed.get(cache_key)
        if storage is not None:
            return storage
        nbytes = numel * itemsize_of(dtype_name)
        raw = self._raw.get(key)
        if raw is None:
            raw = self._reader.read_storage(f"data/{key}")
            self._raw[key] = raw
        if raw.nbytes != nbytes:
            raise _record_size_error(raw.nbytes, nbytes)
        storage = LoadedStorage(self._typed_array(raw, dtype_name), dtype_name, location)
        storage = self._restore(storage, location)
        self._typed[cache_key] = storage
        return storage

    def _typed_array(self, raw, dtype_name):
        d = _DTYPES.get(dtype_name)
        if d is not None:
            arr = raw.view(d.np)
            if self._swap and d.itemsize > 1:
                arr = arr.byteswap()
            return arr
        if dtype_name == "bfloat16":
            # bfloat16 is the top half of a float32: widening is exact
            half = raw.view("<u2" if not self._swap else ">u2").astype(np.uint32)
            self.widened = True
            return (half << 16).view(np.float32)
        return _ForeignArray(raw, dtype_name)


class _ForeignArray:
    """The bytes of a storage of a dtype dagrad lacks; rebuilding a tensor from it raises a clear error."""

    __slots__ = ("raw", "dtype_name")

    def __init__(self, raw, dtype_name):
        self.raw = raw
        self.dtype_name = dtype_name

    @property
    def size(self):
        return self.raw.nbytes // itemsize_of(self.dtype_name)

    @property
    def nbytes(self):
        return self.raw.nbytes


def warn_widened():
    warnings.warn("dagrad has no bfloat16 dtype: bfloat16 tensors in this checkpoint were loaded as float32 "
                  "(every bfloat16 value is exactly representable in float32)", UserWarning, stacklevel=3)


def _maybe_decode_ascii(v):
    return v.decode("ascii") if isinstance(v, bytes) else v


def _unpickling_error(msg):
    import pickle
    return pickle.UnpicklingError(msg)
