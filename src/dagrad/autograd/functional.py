"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp (built on autograd.grad).

Inputs and outputs are a Tensor or a tuple of Tensors, and results keep the same nesting, as in torch.
"""
from .._tensor import Tensor


def _tensors(obj, what, fn_name):
    """(is_tuple, tuple of tensors), with torch's TypeError for anything else."""
    if isinstance(obj, Tensor):
        return False, (obj,)
    if not isinstance(obj, tuple):
        raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                        f"given {what} has type {type(obj)}.")
    for i, o in enumerate(obj):
        if not isinstance(o, Tensor):
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the value at index {i} has type {type(o)}.")
    return True, obj


_OUTPUTS = "outputs of the user-provided function"


def _prep(inputs, create_graph):
    """Inputs to differentiate with respect to: fresh leaves, or (create_graph) views that keep the graph."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _check_v(v, outs, fn_name, when_none):
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {when_none} a single Tensor with a single "
                               "element.")
        return None
    _, vs = _tensors(v, "v", fn_name)
    if len(vs) != len(outs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outs)} but got {len(vs)}.")
    for vi, o in zip(vs, outs):
        if vi.shape != o.shape:
            raise RuntimeError(f"v has invalid size: should be torch.Size({list(o.shape)}) but got "
                               f"torch.Size({list(vi.shape)}).")
    return vs


def _check_differentiable(outs, strict):
    if strict:
        for i, o in enumerate(outs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when "
                                   "running in strict mode.")


def _grads(outs, xs, grad_outputs, create_graph, retain_graph=None):
    """autograd.grad over the outputs that require grad; None for inputs they do not reach."""
    from . import grad
    pairs = [(o, g) for o, g in zip(outs, grad_outputs or (None,) * len(outs)) if o.requires_grad]
    if not pairs:
        return (None,) * len(xs)
    return grad([o for o, _ in pairs], xs, None if grad_outputs is None else [g for _, g in pairs],
                retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _zeros_for_none(grads, xs):
    from ..ops.creation import zeros_like
    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, xs))


def _finish(ts, create_graph):
    return tuple(t if create_graph else t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vjp: (func(inputs), v^T J)."""
    from .grad_mode import enable_grad
    is_tuple, inputs = _tensors(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prep(inputs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, _OUTPUTS, "vjp")
        _check_differentiable(outs, strict)
        vs = _check_v(v, outs, "vjp", "the user-provided function returns")
        grads = _grads(outs, xs, vs, create_graph)
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode.")
    res = _finish(_zeros_for_none(grads, xs), create_graph)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (res if is_tuple else res[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """torch.autograd.functional.jacobian: one reverse pass per output element."""
    import numpy as np

    from .._tensor import _make
    from ..ops.shape import stack
    from .grad_mode import enable_grad
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    is_tuple, inputs = _tensors(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prep(inputs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, _OUTPUTS, "jacobian")
        _check_differentiable(outs, strict)
        result = []
        for i, o in enumerate(outs):
            rows = [[] for _ in xs]
            for k in range(o.numel()):
                onehot = np.zeros(o._data.size, o._dtype.np)
                onehot[k] = 1
                grads = _grads((o,), xs, (_make(onehot.reshape(o._data.shape), o._dtype),), create_graph,
                               retain_graph=True)
                for j, (g, x) in enumerate(zip(grads, xs)):
                    if g is None and strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                           f"{j}. This is not allowed in strict mode.")
                    rows[j].append(g if g is not None else x.new_zeros(x.shape))
            per_in = []
            for r, x in zip(rows, xs):
                shape = tuple(o.shape) + tuple(x.shape)
                jac = stack(r).reshape(shape) if r else x.new_zeros(shape)
                per_in.append(jac if create_graph else jac.detach())
            result.append(tuple(per_in) if is_tuple else per_in[0])
    return tuple(result) if out_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """torch.autograd.functional.hessian: the Jacobian of the gradient."""
    is_tuple, inputs = _tensors(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        out_tuple, outs = _tensors(out, _OUTPUTS, "hessian")
        if out_tuple or outs[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single "
                               "element")
        grads = _grads(outs, xs, None, create_graph=True)
        if strict:
            for j, g in enumerate(grads):
                if g is None or not g.requires_grad:
                    raise RuntimeError(
                        f"While computing the hessian, found that the jacobian of the user-provided function "
                        f"with respect to input {j} is independent of the input. This is not allowed in strict "
                        "mode. You should ensure that your function is twice differentiable and that the "
                        "jacobian depends on the inputs (this would be violated by a linear function for "
                        "example).")
        grads = _zeros_for_none(grads, xs)
        return grads if is_tuple else grads[0]

    return jacobian(gradient, inputs if is_tuple else inputs[0], create_graph=create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.jvp via the double-vjp trick: J v = d/du (u^T J)^T v."""
    from ..ops.creation import zeros_like
    from .grad_mode import enable_grad
    is_tuple, inputs = _tensors(inputs, "inputs", "jvp")
    vs = _check_v(v, inputs, "jvp", "the input to the user-provided function is")
    with enable_grad():
        xs = _prep(inputs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, _OUTPUTS, "jvp")
        _check_differentiable(outs, strict)
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        gs = _zeros_for_none(_grads(outs, xs, us, create_graph=True), xs)
        res = _grads(gs, us, vs, create_graph)
    if strict and any(r is None for r in res):
        raise RuntimeError("The gradient with respect to the input is independent of entry "
                           f"{[r is None for r in res].index(True)} in the grad_outputs when using the double "
                           "backward trick to compute forward mode gradients. This is not allowed in strict mode.")
    res = _finish(_zeros_for_none(res, outs), create_graph)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (res if out_tuple else res[0])


def _second_order(name, func, inputs, v, create_graph, strict):
    from .grad_mode import enable_grad
    is_tuple, inputs = _tensors(inputs, "inputs", name)
    vs = _check_v(v, inputs, name, "the input to the user-provided function is")
    with enable_grad():
        xs = _prep(inputs, create_graph)
        out = func(*xs)
        out_tuple, outs = _tensors(out, _OUTPUTS, name)
        if out_tuple:
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single "
                               "element")
        _check_differentiable(outs, strict)
        gs = _zeros_for_none(_grads(outs, xs, None, create_graph=True), xs)
        res = _grads(gs, xs, vs, create_graph)
    res = _finish(_zeros_for_none(res, xs), create_graph)
    return _finish(outs, create_graph)[0], (res if is_tuple else res[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vhp: (func(inputs), v^T H)."""
    return _second_order("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.hvp: (func(inputs), H v); H is symmetric for twice-differentiable func."""
    return _second_order("hvp", func, inputs, v, create_graph, strict)
