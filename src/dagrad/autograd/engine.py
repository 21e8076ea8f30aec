"""The iterative backward engine: dependency counts, a ready queue, gradients summed per node."""
from heapq import heappop, heappush

import numpy as np

from .._dtype import FROM_NP
from .._tensor import Tensor, _make
from .grad_mode import _enabled
from .graph import _FREED, SECOND_BACKWARD, AccumulateGrad

_anomaly = [False]


def _type_string(t):
    from .._dispatch import scalar_type_name
    return f"[torch.{scalar_type_name(t._dtype)}Tensor [{', '.join(map(str, t._data.shape))}]]"


def _check_version(t, counter, expected, grad_fn=None):
    if counter[0] != expected:
        where = ""
        fn = grad_fn if grad_fn is not None else t._grad_fn
        if fn is not None:
            # a view modified in place gets a regenerated grad_fn, which torch calls AsStridedBackward0
            name = "AsStrided" if grad_fn is None and t._base is not None else fn.name().split("Backward")[0]
            where = f", which is output 0 of {name},"
        err = RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"{_type_string(t)}{where} is at version {counter[0]}; expected version {expected} instead. Hint: "
            "enable anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")
        err.add_note("dagrad hint: backward needs this tensor's value from the forward pass, but an in-place "
                     "operation (a method ending in _, +=, x[...] = ...) changed it afterwards. Use the "
                     "out-of-place form (x = x + 1) or clone() the tensor before changing it.")
        raise err


def _unpack(node, create_graph):
    """The node's saved inputs and output, checked against in-place modification."""
    saved = node.saved
    if saved is _FREED:
        raise RuntimeError(SECOND_BACKWARD)
    for a, v in zip(saved, node.versions):
        if v is not None:
            _check_version(a, *v)
    out = None
    if node.prim.save_out:
        counter, expected = node.out_version
        out = _make(node.out_ref, FROM_NP[node.out_ref.dtype])
        out._version_counter = counter
        if counter[0] != expected:
            out._grad_fn = node
            _check_version(out, counter, expected)
        if create_graph:
            out._grad_fn = node
            out._requires_grad = True
    return saved, out


def fit_to(g, shape):
    """Sum a broadcast gradient back to an input's shape, or expand a reduced one up to it."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    nd = len(gshape) - len(shape)
    if nd >= 0:
        dims = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape) if s == 1 and gshape[i + nd] != 1)
        if dims and all(gshape[nd:][i] == s or s == 1 for i, s in enumerate(shape)):
            g = g.sum(dims, keepdim=True)
            return g.reshape(shape) if g._data.shape != shape else g
    return g.expand(shape)


def _run_node(node, g, needed, create_graph, retain_graph):
    prim = node.prim
    saved, out = _unpack(node, create_graph)
    params = node.params or {}
    parents = node.parents
    if prim.vjp_all is not None:
        needs = [p is not None and (needed is None or p in needed) for p in parents]
        grads = list(prim.vjp_all(g, out, needs, *saved, **params))
    else:
        grads = []
        for i, p in enumerate(parents):
            if p is None or (needed is not None and p not in needed):
                grads.append(None)
            else:
                grads.append(prim.vjps[i](g, out, *saved, **params))
    if not retain_graph and node.frees:
        node.saved = _FREED
        node.out_ref = None
    metas = node.metas
    for i, gi in enumerate(grads):
        if gi is None or parents[i] is None:
            continue
        meta = metas[i]
        if meta is None:  # a multi-output Function's packed gradient
            continue
        shape, dtype = meta
        if gi._data.shape != shape:
            gi = fit_to(gi, shape)
        if gi._dtype is not dtype:
            gi = gi.to(dtype)
        grads[i] = gi
        if _anomaly[0] and np.isnan(gi._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    if node.hooks:
        for h in list(node.hooks):
            r = h(tuple(grads), (g,))
            if r is not None:
                if len(r) != len(grads):
                    raise RuntimeError(f"hook '{_hook_name(h)}' has returned an incorrect number of values (got "
                                       f"{len(r)}, but expected {len(grads)})")
                grads = list(r)
    return grads


def _hook_name(h):
    return getattr(h, "__name__", type(h).__name__)


def _checked_hook_result(h, r, g):
    """torch's checks on the gradient a tensor hook returned in place of ``g``."""
    if not isinstance(r, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    if isinstance(g, Tensor):
        if r._dtype is not g._dtype:
            from .._dispatch import scalar_type_name
            was, got = scalar_type_name(g._dtype), scalar_type_name(r._dtype)
            raise RuntimeError(f"hook '{_hook_name(h)}' has changed the type of value (was torch.{was}Tensor got "
                               f"torch.{got}Tensor)")
        if r._data.shape != g._data.shape:
            raise RuntimeError(f"hook '{_hook_name(h)}' has changed the size of value")
    return r


def _accumulate(acc, g, create_graph, owned):
    var = acc.variable
    if var._grad is None:
        if create_graph:
            var._grad = g
        else:
            # store the gradient's array itself unless someone else may hold it: the caller's root gradient,
            # one already given to another leaf (or a view into its buffer), a read-only broadcast
            arr = g._data
            base = arr.base
            if (not arr.flags.c_contiguous or not arr.flags.writeable or id(arr) in owned
                    or (base is not None and (id(base) in owned or not isinstance(base, np.ndarray)))):
                arr = np.array(arr, order="C")
                base = None
            owned.add(id(arr))
            if base is not None:
                owned.add(id(base))
            var._grad = _make(arr, g._dtype)
    elif create_graph or var._grad._requires_grad:
        var._grad = var._grad + g
    else:
        np.add(var._grad._data, g._data, out=var._grad._data)
        var._grad._version_counter[0] += 1
    if var._post_acc_hooks:
        for h in list(var._post_acc_hooks):
            h(var)
    if acc.hooks:
        for h in list(acc.hooks):
            h((), (g,))


def _run_pre_hooks(hooks, g, owned):
    for h in list(hooks):
        r = h(g)
        if r is not None:
            g = _checked_hook_result(h, r, g)
            owned.update((id(g._data), id(g._data.base)))
    return g


def _retain(t, g, create_graph):
    """Populate the .grad of a non-leaf that called retain_grad()."""
    if t is not None:
        if t._grad is None:
            t._grad = g if create_graph else _make(g._data.copy(), g._dtype)
        else:
            t._grad = t._grad + g


def _collect(roots, with_consumers):
    """Count, for every node reachable from the roots, how many edges point at it (and, when asked, which
    nodes those edges come from)."""
    deps = {}
    consumers = {} if with_consumers else None
    stack = list(dict.fromkeys(roots))  # a root given twice still counts its edges once
    seen = set(stack)
    while stack:
        node = stack.pop()
        for p in node.parents:
            if p is None:
                continue
            deps[p] = deps.get(p, 0) + 1
            if with_consumers:
                consumers.setdefault(p, []).append(node)
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return deps, consumers, seen


def _needed_nodes(targets, consumers, seen):
    """Nodes from which some target node can be reached (only those run when inputs are given)."""
    needed = set()
    stack = [t for t in targets if t in seen]
    needed.update(stack)
    while stack:
        node = stack.pop()
        for c in consumers.get(node, ()):
            if c not in needed:
                needed.add(c)
                stack.append(c)
    return needed


def run_backward(roots, root_grads, retain_graph, create_graph, targets=None, capture=False):
    """Propagate ``root_grads`` from ``roots`` (graph nodes) back through the graph.

    ``targets``: nodes whose incoming gradient is wanted (``inputs=``); only nodes that lead to one run.
    With ``capture`` their gradients are returned in a dict instead of being accumulated into ``.grad``.
    """
    deps, consumers, seen = _collect(roots, targets is not None)
    needed = None if targets is None else _needed_nodes(targets, consumers, seen)
    if needed is not None:
        # only edges between needed nodes count
        deps = {}
        for node in needed:
            for p in node.parents:
                if p is not None and p in needed:
                    deps[p] = deps.get(p, 0) + 1
    pending = {}
    for node, g in zip(roots, root_grads):
        pending[node] = pending[node] + g if node in pending else g
    # ready nodes, latest created first (torch's order, which fixes the order hooks run in); ties (leaves) LIFO
    ready = []
    k = 0
    for n in dict.fromkeys(roots):
        if deps.get(n, 0) == 0 and (needed is None or n in needed):
            k += 1
            heappush(ready, (-n.seq, -k, n))
    captured = {}
    # arrays the caller (or a hook) may still hold: never stored as a .grad without a copy
    owned = {i for g in root_grads for i in (id(g._data), id(g._data.base))}
    token = _enabled.set(bool(create_graph))
    try:
        while ready:
            node = heappop(ready)[2]
            g = pending.pop(node, None)
            if g is not None:
                if node.tensor_hooks:
                    g = _run_pre_hooks(node.tensor_hooks, g, owned)
                if node.retain_ref is not None:
                    _retain(node.retain_ref(), g, create_graph)
                if node.pre_hooks:
                    g = _run_pre_hooks(node.pre_hooks, g, owned)
            if needed is not None and node in targets:
                if capture:
                    captured[node] = g
                    if type(node) is AccumulateGrad:
                        continue
                if type(node) is not AccumulateGrad and not any(p in needed for p in node.parents):
                    continue  # nothing below this input is wanted: the node need not run
            if type(node) is AccumulateGrad:
                if g is not None:
                    _accumulate(node, g, create_graph, owned)
                continue
            grads = _run_node(node, g, needed, create_graph, retain_graph) if g is not None else None
            for i, p in enumerate(node.parents):
                if p is None or (needed is not None and p not in needed):
                    continue
                gi = grads[i] if grads is not None else None
                if gi is not None:
                    prev = pending.get(p)
                    pending[p] = gi if prev is None else prev + gi
                deps[p] -= 1
                if deps[p] == 0:
                    k += 1
                    heappush(ready, (-p.seq, -k, p))
    finally:
        _enabled.reset(token)
    return captured
