"""Parameter (a leaf tensor that modules register as a parameter) and Buffer (a tensor they register as state)."""
from collections import OrderedDict

from .._tensor import Tensor, _init

__all__ = ["Parameter", "Buffer", "is_lazy"]

# Tensor's own bookkeeping in __dict__; everything else there is user state that pickling keeps
_TENSOR_INTERNALS = frozenset(("_grad", "_grad_acc", "_view_chain", "_retains_grad", "_hooks", "_post_acc_hooks"))


class Parameter(Tensor):
    """torch.nn.Parameter: a tensor that is a module parameter when assigned as a module attribute."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if requires_grad and data._dtype._kind < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        p = object.__new__(cls)
        # share storage and version counter with ``data``, as torch's _make_subclass does
        _init(p, data._data, data._dtype)
        p._version = data._version
        p._requires_grad = bool(requires_grad)
        return p

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        state = {k: v for k, v in self.__dict__.items() if k not in _TENSOR_INTERNALS}
        # as torch does, backward hooks are not serialized (an empty OrderedDict stands in)
        if not state:
            return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict()))
        return (_rebuild_parameter_with_state, (self.data, self.requires_grad, OrderedDict(), state))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = Parameter(data, requires_grad)
    p.__dict__.update(state)
    return p


class _BufferMeta(type):
    # ``isinstance(t, Buffer)`` holds for the plain tensors that Buffer() marks
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """torch.nn.Buffer: marks a tensor to be registered as a buffer when assigned as a module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param):
    """torch.nn.parameter.is_lazy: dagrad has no uninitialized (lazy) parameters."""
    return False
