"""The pickler torch.save uses, speaking torch's vocabulary: tensors as ``torch._utils._rebuild_tensor_v2``
calls on persistent storage ids, dtypes as ``torch.float32``, ``torch.Size``, ``torch.device``.

It is Python's own pickler with a few types pickled differently; the output matches torch.save's data.pkl.
"""
import pickle
from collections import OrderedDict

from .._dtype import dtype as _dtype_cls
from .._tensor import Size, Tensor, device
from ._rebuild import parameter_class
from ._storage import STORAGE_NAMES, StorageRef

_GLOBAL = pickle.GLOBAL
_STACK_GLOBAL = pickle.STACK_GLOBAL


class TorchGlobal:
    """A torch module attribute (``torch._utils._rebuild_tensor_v2``) pickled by name without importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # pickle insists reduce functions are callable; this one is never called
        raise TypeError(f"{self.module}.{self.name} is a name in a checkpoint, not a function")

    def __repr__(self):
        return f"{self.module}.{self.name}"


REBUILD_TENSOR_V2 = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
REBUILD_PARAMETER_WITH_STATE = TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
TORCH_SIZE = TorchGlobal("torch", "Size")
TORCH_DEVICE = TorchGlobal("torch", "device")
_STORAGE_GLOBALS = {d: TorchGlobal("torch", name) for d, name in STORAGE_NAMES.items()}
_DTYPE_GLOBALS = {d: TorchGlobal("torch", d) for d in STORAGE_NAMES}

# Tensor's own bookkeeping in __dict__ (never saved); anything else on a Parameter is user state
_TENSOR_INTERNALS = frozenset(("_grad", "_grad_acc", "_view_chain", "_retains_grad", "_hooks", "_post_acc_hooks",
                               "_is_buffer", "persistent"))


class TorchPickler(pickle._Pickler):
    """Python's pickler plus torch's tensor, dtype, Size and device encodings (``storages`` numbers storages)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self._storages = storages
        self._parameter = parameter_class()

    def persistent_id(self, obj):
        if type(obj) is StorageRef:
            if self.proto < 1:
                raise pickle.PicklingError("pickle protocol 0 cannot store tensors (it writes persistent ids as "
                                           "text); use pickle_protocol=2, torch.save's default")
            e = obj.entry
            return ("storage", _STORAGE_GLOBALS[e.dtype.name], e.key, "cpu", e.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        return NotImplemented

    def _reduce_tensor(self, t):
        if self._parameter is not None and isinstance(t, self._parameter):
            # as torch.nn.Parameter.__reduce_ex__: the data as a plain tensor, hooks never saved
            state = {k: v for k, v in t.__dict__.items() if k not in _TENSOR_INTERNALS}
            data = t.detach()
            if state:
                return REBUILD_PARAMETER_WITH_STATE, (data, t._requires_grad, OrderedDict(), state)
            return REBUILD_PARAMETER, (data, t._requires_grad, OrderedDict())
        ref, offset, stride = self._storages.locate(t._data, t._dtype)
        return REBUILD_TENSOR_V2, (ref, offset, tuple(t._data.shape), stride, t._requires_grad, OrderedDict())

    def save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(_STACK_GLOBAL)
        else:
            self.write(_GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[TorchGlobal] = save_torch_global

    def save_dtype(self, obj):
        self.save(_DTYPE_GLOBALS[obj.name])

    dispatch[_dtype_cls] = save_dtype

    def save_size(self, obj):
        self.save_reduce(TORCH_SIZE, (tuple(obj),), obj=obj)

    dispatch[Size] = save_size

    def save_device(self, obj):
        args = (obj.type,) if obj.index is None else (obj.type, obj.index)
        self.save_reduce(TORCH_DEVICE, args, obj=obj)

    dispatch[device] = save_device
