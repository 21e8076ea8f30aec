"""Graph nodes: one Node per recorded op (torch's ``grad_fn``), AccumulateGrad for leaves."""
import itertools
import re

_FREED = object()  # marks saved values released after a backward without retain_graph
# creation order of nodes: the engine runs the most recently created ready node first, as torch does
_next_seq = itertools.count().__next__

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
    ``versions`` their version counters at save time, ``metas[i]`` input i's (shape, dtype);
    Hooks, in the order they run: ``tensor_hooks`` (Tensor.register_hook on the output), then the
    output's retained grad (``retain_ref``), ``pre_hooks`` (Node.register_prehook), the node, ``hooks``.
    ``frees``: whether a backward without retain_graph releases saved values (nodes that save nothing
    can be backwarded through again, as in torch).
    """

    __slots__ = ("prim", "parents", "saved", "versions", "params", "metas", "out_ref", "out_version",
                 "name_override", "tensor_hooks", "pre_hooks", "hooks", "retain_ref", "frees", "_metadata",
                 "seq", "__weakref__")

    def __init__(self, prim, parents, saved, versions, params, metas, frees=False):
        self.seq = _next_seq()
        self.prim = prim
        self.parents = parents
        self.saved = saved
        self.versions = versions
        self.params = params
        self.metas = metas
        self.out_ref = None
        self.name_override = None
        self.tensor_hooks = None
        self.pre_hooks = None
        self.hooks = None
        self.retain_ref = None
        self.frees = frees
        self._metadata = None

    def name(self):
        return self.name_override or self.prim.name

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        # one edge per differentiable input, as torch lists them (inputs a primitive declares no VJP for,
        # such as where's condition or an index, have none)
        vjps = self.prim.vjps
        if not vjps:
            return tuple((p, 0) for p in self.parents)
        return tuple((p, 0) for p, vjp in zip(self.parents, vjps) if vjp is not None)

    @property
    def metadata(self):
        """A dict for the user's own annotations of this node (torch's ``Node.metadata``)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

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
        return _Handle(self.pre_hooks, _tuple_prehook(fn))

    def __getattr__(self, attr):
        # torch exposes saved values as _saved_self / _saved_other / _saved_result
        m = re.fullmatch(r"_saved_(\w+)", attr)
        if m is None:
            try:
                name = object.__getattribute__(self, "prim").name
            except AttributeError:  # a Function's ctx before it is recorded
                name = type(self).__name__
            raise AttributeError(f"'{name}' object has no attribute '{attr}'")
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


def _tuple_prehook(fn):
    """Adapt a node pre-hook (``fn(grad_outputs) -> grad_outputs``) to the engine's one-gradient pre-hooks."""
    def hook(g):
        r = fn((g,))
        if r is None:
            return None
        if not isinstance(r, tuple):
            raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
        if len(r) != 1:
            raise RuntimeError(f"hook '{hook.__name__}' has returned an incorrect number of values (got {len(r)}, "
                               "but expected 1)")
        return r[0]
    hook.__name__ = getattr(fn, "__name__", type(fn).__name__)
    return hook


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf tensor's ``.grad`` (a Node with no inputs)."""

    __slots__ = ("variable",)
    # class attributes in place of Node's per-instance edges: a leaf's node has none
    parents = ()
    metas = ()
    retain_ref = None
    seq = 1 << 62  # leaves accumulate as soon as their gradient is complete (torch: UINT64_MAX)

    def __init__(self, variable):
        self.variable = variable
        self.tensor_hooks = None
        self.pre_hooks = None
        self.hooks = None
        self._metadata = None

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    @property
    def next_functions(self):
        return ()


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks, fn):
        self._hooks = hooks
        self._fn = fn
        hooks.append(fn)
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_Handle = RemovableHandle
