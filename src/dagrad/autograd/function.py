"""Custom differentiable operations: torch.autograd.Function with its ctx contract."""
import functools

from .._tensor import Tensor, _make
from .grad_mode import _enabled, no_grad
from .graph import Node


class FunctionCtx:
    """The ``ctx`` passed to forward/backward: saved tensors, needs_input_grad, dirty/non-differentiable marks."""

    def __init__(self):
        self.needs_input_grad = ()
        self._saved = None
        self._saved_versions = ()
        self._dirty = ()
        self._non_diff = ()
        self.materialize_grads = True
        self.freed = False

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = tuple((t._version, t._version[0]) if isinstance(t, Tensor) else None
                                     for t in tensors)

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self):
        from .engine import _check_version
        from .graph import SECOND_BACKWARD
        if self.freed:
            raise RuntimeError(SECOND_BACKWARD)
        if self._saved is None:
            return ()
        for t, v in zip(self._saved, self._saved_versions):
            if v is not None:
                _check_version(t, *v)
        return self._saved

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _MultiGrad:
    """Gradients of several outputs of one Function node, merged as they arrive."""

    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        merged = dict(self.grads)
        for k, g in other.grads.items():
            merged[k] = g if k not in merged else merged[k] + g
        return _MultiGrad(merged)


class _FunctionPrim:
    """Adapts a Function subclass to the engine's primitive interface."""

    __slots__ = ("name", "fn_cls", "save_out", "vjps")

    def __init__(self, fn_cls):
        self.name = fn_cls.__name__ + "Backward"
        self.fn_cls = fn_cls
        self.save_out = False
        self.vjps = None

    def vjp_all(self, g, out, needs, *saved, ctx, n_out, outputs_meta):
        grads_by_out = g.grads if isinstance(g, _MultiGrad) else {0: g}
        gs = []
        for k in range(n_out):
            gk = grads_by_out.get(k)
            if gk is None and ctx.materialize_grads and outputs_meta[k] is not None:
                import numpy as np
                shape, dtype = outputs_meta[k]
                gk = _make(np.zeros(shape, dtype.np), dtype)
            gs.append(gk)
        result = self.fn_cls.backward(ctx, *gs)
        if not isinstance(result, tuple):
            result = (result,)
        n_in = len(needs)
        if len(result) < n_in:
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients (expected "
                               f"{n_in}, got {len(result)})")
        result = list(result[:n_in]) if all(r is None for r in result[n_in:]) else result
        if len(result) != n_in:
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients (expected "
                               f"{n_in}, got {len(result)})")
        return [r if needs[i] else None for i, r in enumerate(result)]


class _OutputSelect:
    """Routes the gradient of output k of a multi-output Function to its node."""

    __slots__ = ("name", "save_out", "vjps")

    def __init__(self, name):
        self.name = name
        self.save_out = False
        self.vjps = (lambda g, out, *_, index: _MultiGrad({index: g}),)

    vjp_all = None


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._prim = _FunctionPrim(cls)


class Function(metaclass=_FunctionMeta):
    """torch.autograd.Function: subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        return NotImplemented

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            outputs = cls.forward(*args, **kwargs) if custom_setup else cls.forward(ctx, *args, **kwargs)
        if custom_setup:
            cls.setup_context(ctx, args, outputs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not (_enabled.get() and any(ctx.needs_input_grad)):
            return outputs
        prim = cls._prim
        parents, metas = [], []
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                parents.append(a.grad_fn if a.grad_fn is not None else a._accumulator())
                metas.append((a._data.shape, a._dtype))
            else:
                parents.append(None)
                metas.append(None)
        outputs_meta = [(o._data.shape, o._dtype) if isinstance(o, Tensor) else None for o in outs]
        node = Node(prim, parents, [None] * len(args), [None] * len(args),
                    {"ctx": ctx, "n_out": len(outs), "outputs_meta": outputs_meta}, metas)
        non_diff = {id(t) for t in ctx._non_diff}
        dirty = {id(t) for t in ctx._dirty}
        wrapped = []
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            is_input = any(o is a for a in args)
            if is_input and id(o) not in dirty:
                o = o.view_as(o) if o._dtype._kind >= 2 else o  # torch returns a view of an unmodified input
            if id(o) in non_diff or o._dtype._kind < 2:
                wrapped.append(o)
                continue
            if id(o) in dirty and o.grad_fn is None and o._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            if len(outs) == 1:
                o.grad_fn = node
            else:
                sel = Node(_OutputSelect(prim.name), [node], [None], [None], {"index": k}, [None])
                o.grad_fn = sel
            o._requires_grad = True
            if id(o) in dirty:
                o._version[0] += 1
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable: run backward without recording a graph."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
