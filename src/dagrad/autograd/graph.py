"""Graph nodes: one Node per recorded op (torch's ``grad_fn``), AccumulateGrad for leaves."""
import re

_FREED = object()  # marks saved values released after a backward without retain_graph

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


class Node:
    """A recorded application of a primitive: what ``tensor.grad_fn`` returns.

    ``parents[i]`` is the node that receives the gradient of input i (None when input i needs none);
    ``saved`` holds the inputs the primitive's VJP rules read (others replaced by None),
    ``versions`` their version counters at save time, ``metas[i]`` input i's (shape, dtype).
    """

    __slots__ = ("prim", "parents", "saved", "versions", "params", "metas", "out_ref", "out_version",
                 "name_override", "pre_hooks", "hooks", "retain_ref", "metadata", "__weakref__")

    def __init__(self, prim, parents, saved, versions, params, metas):
        self.prim = prim
        self.parents = parents
        self.saved = saved
        self.versions = versions
        self.params = params
        self.metas = metas
        self.out_ref = None
        self.name_override = None
        self.pre_hooks = None
        self.hooks = None
        self.retain_ref = None

    def name(self):
        return self.name_override or self.prim.name

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        return tuple((p, 0) for p in self.parents)

    @property
    def needs_input_grad(self):
        return tuple(p is not None for p in self.parents)

    def register_hook(self, fn):
        """Node.register_hook(fn(grad_inputs, grad_outputs)): may return replacement grad_inputs."""
        if self.hooks is None:
            self.hooks = []
        return _Handle(self.hooks, fn)

    def register_prehook(self, fn):
        """Node.register_prehook(fn(grad_outputs)): may return replacement grad_outputs."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        return _Handle(self.pre_hooks, lambda g, _fn=fn: _first(_fn((g,))))

    def __getattr__(self, attr):
        # torch exposes saved values as _saved_self / _saved_other / _saved_result
        m = re.fullmatch(r"_saved_(\w+)", attr)
        if m is None:
            raise AttributeError(f"'{self.name()}' object has no attribute '{attr}'")
        saved = object.__getattribute__(self, "saved")
        if saved is _FREED:
            raise RuntimeError(SECOND_BACKWARD)
        key = m.group(1)
        idx = {"self": 0, "other": 1, "input": 0, "mat2": 1, "vec": 1}.get(key)
        if key == "result":
            return self.out_ref
        if idx is not None and saved is not None and idx < len(saved) and saved[idx] is not None:
            return saved[idx]
        raise AttributeError(f"'{self.name()}' object has no attribute '{attr}'")


def _first(r):
    if r is None:
        return None
    return r[0] if isinstance(r, (tuple, list)) else r


class AccumulateGrad:
    """The node that adds an incoming gradient into a leaf tensor's ``.grad``."""

    __slots__ = ("variable", "pre_hooks", "hooks", "__weakref__")
    parents = ()
    metas = ()

    def __init__(self, variable):
        self.variable = variable
        self.pre_hooks = None
        self.hooks = None

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    @property
    def next_functions(self):
        return ()

    def register_hook(self, fn):
        if self.hooks is None:
            self.hooks = []
        return _Handle(self.hooks, fn)

    def register_prehook(self, fn):
        if self.pre_hooks is None:
            self.pre_hooks = []
        return _Handle(self.pre_hooks, lambda g, _fn=fn: _first(_fn((g,))))


class _Handle:
    """torch.utils.hooks.RemovableHandle: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks, fn):
        self._hooks = hooks
        self._fn = fn
        hooks.append(fn)
        _Handle._next_id += 1
        self.id = _Handle._next_id

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


RemovableHandle = _Handle
