"""The weights-only allow-list: torch's default safe globals mapped onto dagrad, plus the user's additions."""
import _compat_pickle
import pickle
from collections import Counter, OrderedDict

from .._dtype import ALL_DTYPES
from .._tensor import Tensor
from . import _rebuild as R
from ._storage import FOREIGN_DTYPES, STORAGE_TYPES, TYPED_STORAGE, UNTYPED_STORAGE

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint"]

UnpicklingError = pickle.UnpicklingError
BLOCKLISTED_MODULES = ("sys", "os", "posix", "nt")


class _Allowed:
    """An allowed global: the value a GLOBAL pushes, and what REDUCE / NEWOBJ on it may call."""

    __slots__ = ("value", "call", "new", "build")

    def __init__(self, value, call=None, new=None, build=False):
        self.value = value
        self.call = call
        self.new = new
        self.build = build


class ForeignDtype:
    """A torch dtype dagrad lacks (torch.bfloat16, ...): fine as data, an error if a tensor needs it."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    __str__ = __repr__


def _make_parameter(data=None, requires_grad=True):
    if data is None:
        from ..ops.creation import empty
        data = empty(0)
    return R.rebuild_parameter(data, requires_grad, OrderedDict())


_cache = {}


def builtin_globals():
    """torch's default allow-list, mapped onto dagrad (built once, on first load)."""
    if _cache:
        return _cache
    rc = {
        "collections.OrderedDict": _Allowed(OrderedDict, OrderedDict, OrderedDict),
        "collections.Counter": _Allowed(Counter, Counter, Counter),
        "torch.serialization._get_layout": _Allowed(R.get_layout, R.get_layout),
        "torch.Size": _Allowed(R.make_size, R.make_size),
        "torch.device": _Allowed(R.make_device, R.make_device),
        "torch.Tensor": _Allowed(Tensor),
        "_codecs.encode": _Allowed(R.codecs_encode, R.codecs_encode),
        "builtins.bytearray": _Allowed(R.make_bytearray, R.make_bytearray),
        "builtins.set": _Allowed(R.make_set, R.make_set, R.make_set),
        "builtins.frozenset": _Allowed(R.make_frozenset, R.make_frozenset, R.make_frozenset),
        "builtins.complex": _Allowed(R.make_complex, R.make_complex),
        "torch._utils._rebuild_tensor": _Allowed(R.rebuild_tensor, R.rebuild_tensor),
        "torch._utils._rebuild_tensor_v2": _Allowed(R.rebuild_tensor_v2, R.rebuild_tensor_v2),
        "torch._utils._rebuild_tensor_v3": _Allowed(R.rebuild_tensor_v3, R.rebuild_tensor_v3),
        "torch._utils._rebuild_parameter": _Allowed(R.rebuild_parameter, R.rebuild_parameter),
        "torch._utils._rebuild_parameter_with_state": _Allowed(R.rebuild_parameter_with_state,
                                                               R.rebuild_parameter_with_state),
        "torch._tensor._rebuild_from_type_v2": _Allowed(R.rebuild_from_type_v2, R.rebuild_from_type_v2),
        "torch.storage.UntypedStorage": _Allowed(UNTYPED_STORAGE),
        "torch.storage.TypedStorage": _Allowed(TYPED_STORAGE),
    }
    param = R.parameter_class()
    rc["torch.nn.parameter.Parameter"] = _Allowed(param if param is not None else _make_parameter,
                                                  _make_parameter, _make_parameter)
    for kind in ("qtensor", "sparse_tensor", "meta_tensor_no_storage", "nested_tensor", "wrapper_subclass",
                 "device_tensor_from_numpy", "device_tensor_from_cpu_tensor"):
        fn = R.unsupported(kind.replace("_", " ") + "s")
        rc[f"torch._utils._rebuild_{kind}"] = _Allowed(fn, fn)
    for d in ALL_DTYPES:
        rc[f"torch.{d.name}"] = _Allowed(d)
    for name in FOREIGN_DTYPES:
        rc[f"torch.{name}"] = _Allowed(ForeignDtype(name))
    for name, st in STORAGE_TYPES.items():
        rc[f"torch.{name}"] = _Allowed(st)
        rc[f"torch.cuda.{name}"] = _Allowed(st)
    _cache.update(rc)
    return _cache


# ---- user allow-list (torch.serialization.add_safe_globals) ----------------------------------
_user_globals = []


def _entry_name(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple of "
                             f"length: {len(entry)}")
        if not isinstance(entry[1], str):
            raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                            f"{type(entry[1])}")
        return entry[1], entry[0]
    return f"{entry.__module__}.{entry.__qualname__}", entry


def user_allowed():
    rc = {}
    for entry in _user_globals:
        name, obj = _entry_name(entry)
        new = (lambda *args, _cls=obj: _cls.__new__(_cls, *args)) if isinstance(obj, type) else None
        rc[name] = _Allowed(obj, obj, new, build=isinstance(obj, type))
    return rc


def add_safe_globals(safe_globals):
    """torch.serialization.add_safe_globals: trust these classes/functions in weights-only loads."""
    _user_globals.extend(safe_globals)


def get_safe_globals():
    """torch.serialization.get_safe_globals."""
    return list(_user_globals)


def clear_safe_globals():
    """torch.serialization.clear_safe_globals."""
    _user_globals.clear()


class safe_globals:
    """torch.serialization.safe_globals: a context manager that trusts some globals for its duration."""

    def __init__(self, safe_globals):
        self._globals = list(safe_globals)

    def __enter__(self):
        self._saved = list(_user_globals)
        _user_globals.extend(self._globals)

    def __exit__(self, *exc):
        _user_globals[:] = self._saved


# ---- torch's error text and name mapping -------------------------------------------------------
def unsupported_global(full_path):
    if full_path.startswith("builtins"):
        rest = full_path[len("builtins"):]
        full_path = rest[1:] if rest.startswith(".") else "builtins" + rest
    return UnpicklingError(
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
        f"Please use `torch.serialization.add_safe_globals([{full_path}])` or the "
        f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist this global "
        "if you trust this class/function.")


def map_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def get_unsafe_globals_in_checkpoint(pickle_bytes):
    """The globals a pickle names that the weights-only unpickler would refuse (nothing is executed)."""
    import pickletools
    allowed = dict(builtin_globals())
    allowed.update(user_allowed())
    found = []
    strings = []
    for op, arg, _ in pickletools.genops(bytes(pickle_bytes)):
        if op.name in ("GLOBAL", "INST"):
            module, name = arg.split(" ", 1)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            module, name = strings[-2], strings[-1]
        else:
            if isinstance(arg, str):
                strings.append(arg)
            continue
        module, name = map_name(module, name)
        full = f"{module}.{name}"
        if full not in allowed and full not in found:
            found.append(full)
    return found
