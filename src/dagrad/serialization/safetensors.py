"""The safetensors format, written and read directly (the API of ``safetensors.torch``, for dagrad tensors).

A file is: an 8-byte little-endian header length N; N bytes of JSON ``{"__metadata__": {str: str},
name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}`` padded with spaces to a multiple
of 8; then the tensors' bytes, packed with no gaps. The writer orders tensors as the safetensors library
does (by dtype, widest first, then by name), so its output is byte for byte the library's.
"""
import json
import os
import struct
import warnings

import numpy as np

from .._dtype import FROM_NP
from .._tensor import Tensor, wrap

__all__ = ["save", "save_file", "load", "load_file", "SafetensorError"]

# the library's dtype enum, in declaration order: tensors are written in descending order of it
_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
          "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
_RANK = {name: i for i, name in enumerate(_ORDER)}
_TO_CODE = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "float16": "F16", "int32": "I32",
            "float32": "F32", "complex64": "C64", "float64": "F64", "int64": "I64"}
_FROM_CODE = {code: np.dtype(name if name != "bool" else np.bool_).newbyteorder("<")
              for name, code in _TO_CODE.items()}
_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "F8_E4M3FNUZ": 1,
             "F8_E5M2FNUZ": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "C64": 8,
             "F64": 8, "I64": 8, "U64": 8}
_MAX_HEADER = 100_000_000


class SafetensorError(Exception):
    """A malformed safetensors file (the safetensors library's SafetensorError)."""


def _error(msg):
    return SafetensorError(f"Error while deserializing: {msg}")


# ---- writing ----------------------------------------------------------------------------------
def _array_of(name, value):
    if isinstance(value, Tensor):
        if not value._data.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. It either means you"
                " are trying to save tensors which are reference of each other in which case it's recommended to "
                "save only the full tensors, and reslice at load time, or simply call `.contiguous()` on your "
                "tensor to pack it before saving.")
        return value._data
    if isinstance(value, np.ndarray):
        return value
    raise ValueError(f"Key `{name}` is invalid, expected torch.Tensor but received {type(value)}")


def _check_shared(arrays):
    """safetensors refuses tensors whose memory overlaps (they would load back as separate copies)."""
    spans = []
    for name, arr in arrays.items():
        if arr.nbytes:
            lo = arr.__array_interface__["data"][0]
            spans.append((lo, lo + arr.nbytes, name))
    spans.sort()
    failing, group, end = [], [], -1
    for lo, hi, name in spans:
        if group and lo < end:
            group.append(name)
            end = max(end, hi)
        else:
            if len(group) > 1:
                failing.append(set(group))
            group, end = [name], hi
    if len(group) > 1:
        failing.append(set(group))
    if failing:
        raise RuntimeError(
            f"\n            Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\n            A potential way to correctly save your "
            "model is to use `save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")


def _prepare(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"argument 'tensor_dict': '{type(name).__name__}' object is not an instance of 'str'")
        arrays[name] = _array_of(name, value)
    _check_shared(arrays)
    if metadata is not None:
        for k, v in metadata.items():
            for item in (k, v):
                if not isinstance(item, str):
                    raise TypeError(f"argument 'metadata': '{type(item).__name__}' object is not an instance of "
                                    "'str'")
    entries = []
    for name, arr in arrays.items():
        d = FROM_NP.get(arr.dtype.newbyteorder("="))
        code = _TO_CODE.get(d.name) if d is not None else None
        if code is None:
            raise ValueError(f"safetensors cannot store dtype {arr.dtype} (tensor `{name}`)")
        entries.append((name, code, arr))
    entries.sort(key=lambda e: (-_RANK[e[1]], e[0].encode("utf-8")))
    header = {} if metadata is None else {"__metadata__": dict(metadata)}
    offset = 0
    for name, code, arr in entries:
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, [arr for _, _, arr in entries]


def _little_endian_bytes(arr):
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and np.little_endian is False):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return memoryview(arr.reshape(-1).view(np.uint8))


def save(tensors, metadata=None):
    """safetensors.torch.save: the safetensors file for ``tensors`` (a dict of name to tensor) as bytes."""
    header, arrays = _prepare(tensors, metadata)
    return b"".join([header] + [_little_endian_bytes(a).tobytes() for a in arrays])


def save_file(tensors, filename, metadata=None):
    """safetensors.torch.save_file: write ``tensors`` to ``filename`` (atomically: a crash keeps the old file)."""
    from ._files import atomic_write
    header, arrays = _prepare(tensors, metadata)
    with atomic_write(filename) as stream:
        stream.write(header)
        for a in arrays:
            stream.write(_little_endian_bytes(a))


# ---- reading ----------------------------------------------------------------------------------
def _parse_header(head, total):
    """Validate a header as the library does; returns (metadata, [(name, info)] sorted by offset, data start)."""
    if total < 8:
        raise _error("header too small")
    (n,) = struct.unpack("<Q", head[:8])
    if n > _MAX_HEADER:
        raise _error("header too large")
    if 8 + n > total:
        raise _error("invalid header length")
    raw = head[8:8 + n]
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _error("invalid UTF-8 in header") from None
    if not text.startswith("{"):
        raise _error("invalid header start: the header must be a JSON object")
    try:
        header = json.loads(text)
    except ValueError as e:
        raise _error(f"invalid JSON in header: {e}") from None
    if not isinstance(header, dict):
        raise _error("invalid JSON in header: expected an object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and
                                     all(isinstance(v, str) for v in metadata.values())):
        raise _error("invalid JSON in header: __metadata__ must map strings to strings")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise _error(f"invalid JSON in header: tensor `{name}` is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _RANK:
            raise _error(f"invalid JSON in header: unknown dtype {dtype!r} for tensor `{name}`")
        if (not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int and o >= 0 for o in offsets)):
            raise _error(f"invalid JSON in header: bad shape or data_offsets for tensor `{name}`")
        entries.append((name, dtype, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    end = 0
    for name, dtype, shape, begin, stop in entries:
        if begin != end or stop < begin:
            raise _error(f"invalid offset for tensor `{name}`")
        numel = int(np.prod(shape, dtype=object))
        itemsize = _ITEMSIZE.get(dtype)
        nbytes = numel * itemsize if itemsize else None
        if nbytes is not None and nbytes != stop - begin:
            raise _error("invalid shape, data type, or offset for tensor")
        end = stop
    if 8 + n + end != total:
        raise _error("incomplete metadata, file not fully covered")
    return metadata, entries, 8 + n


def _tensor_from(name, dtype, shape, raw, widened):
    if dtype == "BF16":
        # bfloat16 is the top half of a float32: widening is exact
        widened.append(name)
        arr = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
    elif dtype in _FROM_CODE:
        arr = raw.view(_FROM_CODE[dtype])
        if not np.little_endian:
            arr = arr.astype(arr.dtype.newbyteorder("="))
    else:
        raise SafetensorError(f"dagrad has no dtype for safetensors dtype {dtype} (tensor `{name}`)")
    return wrap(arr.reshape(shape))


def _warn_widened(widened):
    if widened:
        warnings.warn(f"dagrad has no bfloat16 dtype: {len(widened)} bfloat16 tensor(s) were loaded as float32 "
                      "(every bfloat16 value is exactly representable in float32)", UserWarning, stacklevel=3)


def load(data):
    """safetensors.torch.load: the tensors of a safetensors file given as bytes, in file order."""
    data = memoryview(data).cast("B")
    _, entries, start = _parse_header(data, len(data))
    widened = []
    out = {}
    for name, dtype, shape, begin, stop in entries:
        raw = np.frombuffer(data[start + begin:start + stop], dtype=np.uint8).copy()
        out[name] = _tensor_from(name, dtype, shape, raw, widened)
    _warn_widened(widened)
    return out


def load_file(filename, device="cpu"):
    """safetensors.torch.load_file: the tensors of a safetensors file, each read into its own memory."""
    if str(device) != "cpu":
        raise RuntimeError(f"dagrad runs on the CPU: cannot load tensors to device '{device}'")
    total = os.path.getsize(filename)
    with open(filename, "rb") as f:
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            if n <= _MAX_HEADER:
                head += f.read(n)
        _, entries, start = _parse_header(head, total)
        widened = []
        out = {}
        for name, dtype, shape, begin, stop in entries:
            raw = np.empty(stop - begin, dtype=np.uint8)
            f.seek(start + begin)
            if f.readinto(memoryview(raw)) != raw.nbytes:
                raise _error("incomplete metadata, file not fully covered")
            out[name] = _tensor_from(name, dtype, shape, raw, widened)
    _warn_widened(widened)
    return out


def metadata_of(filename):
    """The ``__metadata__`` dict of a safetensors file (None when it has none)."""
    total = os.path.getsize(filename)
    with open(filename, "rb") as f:
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            if n <= _MAX_HEADER:
                head += f.read(n)
    return _parse_header(head, total)[0]
