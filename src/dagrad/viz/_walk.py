"""Walk the autograd graph behind a tensor into plain records (nodes, edges) for the renderers."""
from dataclasses import dataclass, field

from ..autograd.graph import AccumulateGrad


@dataclass
class VNode:
    """One box in the picture: an op (grad_fn), a leaf variable, or the root tensor."""

    id: str
    kind: str            # "root", "op", "leaf"
    title: str           # grad_fn name, variable name, or "output"
    detail: str = ""     # shape and dtype, saved-tensor sizes
    group: str = ""      # module prefix used to cluster large graphs
    parents: list = field(default_factory=list)  # ids of the nodes this one feeds gradients to


def _fmt_shape(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _meta_text(meta):
    if meta is None:
        return ""
    shape, dtype = meta
    return f"{_fmt_shape(shape)} {dtype.name}"


def walk(tensor, params=None, show_saved=False):
    """Return ``(nodes, edges)``: nodes by id in discovery order, edges as (child_id, parent_id, label)."""
    names = {}
    for name, p in (params or {}).items():
        names[id(p)] = name
    nodes = {}
    edges = []
    root_id = "out"
    nodes[root_id] = VNode(root_id, "root", "output", _meta_text((tensor.shape, tensor.dtype)))
    start = tensor.grad_fn if tensor.grad_fn is not None else (tensor._accumulator() if tensor.requires_grad else None)
    if start is None:
        return nodes, edges
    out_meta = {id(start): (tuple(tensor.shape), tensor.dtype)}
    stack = [start]
    seen = {id(start)}
    ids = {}

    def node_id(n):
        return ids.setdefault(id(n), f"n{len(ids)}")

    edges.append((root_id, node_id(start), ""))
    while stack:
        n = stack.pop()
        nid = node_id(n)
        if type(n) is AccumulateGrad:
            var = n.variable
            title = names.get(id(var), "")
            nodes[nid] = VNode(nid, "leaf", title or "leaf", _meta_text((tuple(var.shape), var.dtype)),
                               group=title.rsplit(".", 1)[0] if "." in title else "")
            continue
        detail = _meta_text(out_meta.get(id(n)))
        if show_saved and getattr(n, "saved", None) not in (None,) and isinstance(n.saved, list):
            sizes = [_fmt_shape(t.shape) for t in n.saved if hasattr(t, "shape")]
            if sizes:
                detail += "\nsaved: " + ", ".join(sizes)
        nodes[nid] = VNode(nid, "op", n.name(), detail)
        for i, p in enumerate(n.parents):
            if p is None:
                continue
            meta = n.metas[i] if i < len(n.metas) else None
            out_meta.setdefault(id(p), meta)
            edges.append((nid, node_id(p), ""))
            nodes[nid].parents.append(node_id(p))
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    # an op is drawn inside the module of the parameters it reads directly, when they agree
    for nid, vn in nodes.items():
        if vn.kind == "op":
            groups = {nodes[p].group for p in vn.parents if p in nodes and nodes[p].kind == "leaf"}
            groups.discard("")
            if len(groups) == 1:
                vn.group = groups.pop()
    return nodes, edges
