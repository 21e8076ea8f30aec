"""dtype objects (dagrad.float32, ...) and torch's type-promotion rules."""
import numpy as np

__all__ = ["dtype", "promote_types", "result_type_of", "get_default_dtype", "set_default_dtype"]


class dtype:
    """A tensor element type, mirroring torch.dtype (printed as ``dagrad.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_kind", "__weakref__")

    def __init__(self, name, np_dtype, kind):
        self.name = name
        self.np = np.dtype(np_dtype)
        # kind: 0 bool, 1 integer, 2 floating, 3 complex (torch's promotion categories)
        self._kind = kind
        self.is_floating_point = kind == 2
        self.is_complex = kind == 3
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return "dagrad." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float16": complex64, "float32": complex64, "float64": complex128}.get(self.name, self)


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
# numpy dtype -> dagrad dtype; the hot path of every op looks results up here
FROM_NP = {d.np: d for d in ALL_DTYPES}
for _d in ALL_DTYPES:
    FROM_NP[_d.np.type] = _d

# torch's aliases
ALIASES = {
    "bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16, "int32": int32,
    "int": int32, "int64": int64, "long": int64, "float16": float16, "half": float16,
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "complex64": complex64, "cfloat": complex64, "complex128": complex128, "cdouble": complex128,
}


def _dtype_by_name(name):
    return _BY_NAME[name]


_default = [float32]


def get_default_dtype():
    """torch.get_default_dtype."""
    return _default[0]


def set_default_dtype(d):
    """torch.set_default_dtype (float32 or float64 only, as torch allows for the common cases)."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def default_complex():
    return complex128 if _default[0] is float64 else complex64


def to_dtype(d):
    """Accept a dagrad dtype, a numpy dtype/type, a Python type, or a torch dtype; return a dagrad dtype."""
    if isinstance(d, dtype):
        return d
    if d is None:
        return None
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    name = getattr(d, "name", None) if not isinstance(d, (str, type, np.dtype)) else None
    if isinstance(name, str) or (hasattr(d, "is_floating_point") and str(d).startswith("torch.")):
        return _BY_NAME[str(d).split(".")[-1]]
    try:
        return FROM_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"cannot interpret {d!r} as a dagrad dtype") from None


_PROMOTE = {}


def promote_types(a, b):
    """torch.promote_types: integers never widen floats; uint8 with int8 gives int16."""
    key = (a, b)
    r = _PROMOTE.get(key)
    if r is not None:
        return r
    if a is b:
        r = a
    elif a._kind != b._kind:
        hi, lo = (a, b) if a._kind > b._kind else (b, a)
        if hi._kind == 3 and lo._kind == 2:
            r = complex128 if (lo is float64 or hi is complex128) else complex64
        else:
            r = hi
    else:
        r = FROM_NP[np.promote_types(a.np, b.np)]
    _PROMOTE[key] = r
    return r


def _combine_categories(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._kind == 3:
        return higher
    if lower._kind == 3:
        return higher.to_complex() if higher._kind == 2 else lower
    if higher._kind == 2:
        return higher
    if higher is bool_ or lower._kind == 2:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v):
    """The dtype a Python number takes as a 'wrapped number' in promotion."""
    if isinstance(v, bool):
        return bool_
    if isinstance(v, int):
        return int64
    if isinstance(v, float):
        return _default[0]
    if isinstance(v, complex):
        return default_complex()
    return None


def result_type_of(dim_dtypes, zero_dtypes, scalar_dtypes):
    """torch.result_type over three groups: dimensioned tensors, 0-dim tensors, Python scalars."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r
    return _combine_categories(fold(dim_dtypes), _combine_categories(fold(zero_dtypes), fold(scalar_dtypes)))
