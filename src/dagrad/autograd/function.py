"""Custom differentiable operations: torch.autograd.Function with its ctx contract.

As in torch, ``ctx`` is the graph node itself: an instance of ``<ClassName>Backward``, a subclass of
``BackwardCFunction``, so attributes stored on ctx in forward are visible on ``output.grad_fn``.
"""
import functools
import weakref

import numpy as np

from .._tensor import Tensor, _make
from .grad_mode import _enabled, no_grad
from .graph import _FREED, SECOND_BACKWARD, Node, _next_seq


class FunctionCtx:
    """The ``ctx`` passed to forward/backward: saved tensors, needs_input_grad, dirty/non-differentiable marks."""

    def __init__(self):
        self.needs_input_grad = ()
        self._saved = None
        self._saved_versions = ()
        self._dirty = ()
        self._non_diff = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple((t._version_counter, t._version_counter[0]) if t is not None else None
                                     for t in tensors)

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self):
        from .engine import _check_version
        if getattr(self, "_released", False):
            raise RuntimeError(SECOND_BACKWARD)
        if self._saved is None:
            return ()
        outputs = getattr(self, "_saved_outputs", ())
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if v is not None:
                # an output saved for backward is reported as the output of this node, as in torch
                _check_version(t, *v, self if i in outputs else None)
        if not outputs:
            return self._saved
        return tuple(_as_output_of(self, t, outputs[i]) if i in outputs else t for i, t in enumerate(self._saved))

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of a custom Function application (and its ``ctx``)."""

    _forward_cls = None
    needs_input_grad = ()  # a plain attribute here (Node's is a property over the edges)

    def __init__(self):
        FunctionCtx.__init__(self)
        self.seq = _next_seq()
        self.out_ref = None
        self.name_override = None
        self.tensor_hooks = None
        self.pre_hooks = None
        self.hooks = None
        self.retain_ref = None
        self.frees = False
        self._released = False
        self._metadata = None

    # the engine unpacks nothing for a Function (backward reads ctx.saved_tensors); it releases the node by
    # setting ``saved`` to _FREED, which drops what save_for_backward kept
    @property
    def saved(self):
        return _FREED if self._released else ()

    @saved.setter
    def saved(self, value):
        if value is _FREED:
            self._released = True
            self._saved = None

    def name(self):
        return self.prim.name

    def __repr__(self):
        return f"<dagrad.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        # torch lists edges for tensor arguments only
        return tuple((p, 0) for p, is_tensor in zip(self.parents, self._tensor_args) if is_tensor)

    def apply(self, *grads):
        return self._forward_cls.backward(self, *grads)


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


def _check_grad(name, i, g, meta):
    """torch's validate_outputs for a gradient a custom backward returned for input i."""
    if not isinstance(g, Tensor):
        raise TypeError(f"function {name} returned a gradient of type {type(g).__name__} at index {i}; "
                        "expected a Tensor or None")
    shape, dtype = meta
    gshape = g._data.shape
    if gshape != shape:
        # g may carry extra broadcast dims that sum away; anything else is an error
        nd = len(gshape) - len(shape)
        if nd < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[nd:])):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - got {list(gshape)} "
                               f"but expected shape compatible with {list(shape)}")
    return g


class _FunctionPrim:
    """Adapts a Function subclass to the engine's primitive interface."""

    __slots__ = ("name", "fn_cls", "save_out", "vjps")

    def __init__(self, fn_cls):
        self.name = fn_cls.__name__ + "Backward"
        self.fn_cls = fn_cls
        self.save_out = False
        self.vjps = None

    def vjp_all(self, g, out, needs, *saved, ctx, n_out, outputs_meta):
        ctx = ctx()
        grads_by_out = g.grads if isinstance(g, _MultiGrad) else {0: g}
        gs = []
        for k in range(n_out):
            gk = grads_by_out.get(k)
            if gk is None and ctx.materialize_grads and outputs_meta[k] is not None:
                shape, dtype = outputs_meta[k]
                gk = _make(np.zeros(shape, dtype.np), dtype)
            gs.append(gk)
        result = self.fn_cls.backward(ctx, *gs)
        if not isinstance(result, tuple):
            result = (result,)
        n_in = len(needs)
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        if len(result) != n_in:
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients (expected "
                               f"{n_in}, got {len(result)})")
        grads = []
        for i, r in enumerate(result):
            if r is not None and not ctx._tensor_args[i]:
                raise RuntimeError(f"function {self.name} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            grads.append(_check_grad(self.name, i, r, ctx.metas[i]) if needs[i] and r is not None else None)
        return grads


class _OutputSelect:
    """Routes the gradient of output k of a multi-output Function to its node."""

    __slots__ = ("name", "save_out", "vjps")

    def __init__(self, name):
        self.name = name
        self.save_out = False
        self.vjps = (lambda g, out, *_, index: _MultiGrad({index: g}),)

    vjp_all = None


class _FunctionOutput(Node):
    """grad_fn of output k of a multi-output Function: it forwards that output's gradient to the Function's
    node, and otherwise presents that node (name, next_functions, ctx attributes)."""

    __slots__ = ()

    @property
    def next_functions(self):
        return self.parents[0].next_functions

    def __getattr__(self, attr):
        return getattr(self.parents[0], attr)

    def __repr__(self):
        return repr(self.parents[0])


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._prim = _FunctionPrim(cls)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": "dagrad.autograd.function"})


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
        recording = _enabled.get()
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        BackwardCFunction.__init__(ctx)
        ctx.needs_input_grad = tuple(recording and isinstance(a, Tensor) and a._requires_grad for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            outputs = cls.forward(*args, **kwargs) if custom_setup else cls.forward(ctx, *args, **kwargs)
        if custom_setup:
            cls.setup_context(ctx, args, outputs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not any(ctx.needs_input_grad):
            return outputs
        return _record_function(cls, ctx, args, outs, single)


def _record_function(cls, node, args, outs, single):
    """Make ``node`` (the ctx) the grad_fn of the differentiable outputs."""
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
    node.prim = prim
    node.parents = parents
    node.versions = ()
    node.metas = metas
    node._tensor_args = tuple(isinstance(a, Tensor) for a in args)
    node.params = {"ctx": weakref.ref(node), "n_out": len(outs), "outputs_meta": outputs_meta}
    node.frees = node._saved is not None
    non_diff = {id(t) for t in node._non_diff}
    dirty = {id(t) for t in node._dirty}
    wrapped = []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            wrapped.append(o)
            continue
        is_input = any(o is a for a in args)
        if id(o) in non_diff:
            wrapped.append(o.detach() if is_input else o)
            continue
        if is_input and id(o) not in dirty:
            o = o.view_as(o) if o._dtype._kind >= 2 else o  # torch returns a view of an unmodified input
        if o._dtype._kind < 2:
            wrapped.append(o)
            continue
        if id(o) in dirty:
            if o.grad_fn is None and o._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            o._version_counter[0] += 1
        if len(outs) == 1:
            o._grad_fn = node
        else:
            o._grad_fn = _FunctionOutput(_OutputSelect(prim.name), [node], [None], [None], {"index": k}, [None])
        o._requires_grad = True
        wrapped.append(o)
    _detach_saved_outputs(node, wrapped)
    return wrapped[0] if single else tuple(wrapped)


def _detach_saved_outputs(node, outputs):
    """Saved outputs are kept without their grad_fn (which is this node), so the node and its outputs do not
    form a reference cycle; saved_tensors gives them their grad_fn back."""
    if not node._saved:
        return
    index = {id(o): k for k, o in enumerate(outputs) if isinstance(o, Tensor) and o._grad_fn is not None}
    saved, positions = list(node._saved), {}
    for i, t in enumerate(saved):
        if t is not None and id(t) in index:
            stand = _make(t._data, t._dtype)
            stand._version_counter = t._version_counter
            saved[i] = stand
            positions[i] = index[id(t)]
    if positions:
        node._saved = tuple(saved)
        node._saved_outputs = positions  # position in saved -> output number


def _as_output_of(node, t, k):
    out = _make(t._data, t._dtype)
    out._version_counter = t._version_counter
    if node.params["n_out"] == 1:
        out._grad_fn = node
    else:
        out._grad_fn = _FunctionOutput(_OutputSelect(node.prim.name), [node], [None], [None], {"index": k}, [None])
    out._requires_grad = True
    return out


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable: run backward without recording a graph."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
