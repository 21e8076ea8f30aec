"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp (built on autograd.grad)."""


def _tup(x):
    return (x,) if not isinstance(x, (tuple, list)) else tuple(x)


def _prep(inputs):
    return tuple(x.detach().requires_grad_(True) for x in _tup(inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vjp: (func(inputs), v^T J)."""
    from . import grad
    is_tuple = isinstance(inputs, (tuple, list))
    xs = _prep(inputs)
    from .grad_mode import enable_grad
    with enable_grad():
        out = func(*xs)
        grads = grad(out, xs, v, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    out = out if create_graph else (out.detach() if hasattr(out, "detach") else out)
    return out, (grads if is_tuple else grads[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """torch.autograd.functional.jacobian: one reverse pass per output element."""
    from ..ops.creation import zeros_like
    from ..ops.shape import stack
    from . import grad
    from .grad_mode import enable_grad
    is_tuple = isinstance(inputs, (tuple, list))
    xs = _prep(inputs)
    with enable_grad():
        outs = func(*xs)
        out_tuple = isinstance(outs, tuple)
        outs = _tup(outs)
        result = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = o.reshape(-1)
            for k in range(flat.numel()):
                gs = grad(flat[k], xs, retain_graph=True, create_graph=create_graph, allow_unused=True) \
                    if o.requires_grad else (None,) * len(xs)
                for i, (g, x) in enumerate(zip(gs, xs)):
                    rows[i].append(g if g is not None else zeros_like(x))
            per_in = tuple(stack(r).reshape(tuple(o.shape) + tuple(x.shape)) if r else zeros_like(x).reshape(
                tuple(o.shape) + tuple(x.shape)) for r, x in zip(rows, xs))
            result.append(per_in if is_tuple else per_in[0])
    return tuple(result) if out_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """torch.autograd.functional.hessian: the Jacobian of the gradient."""
    from . import grad
    is_tuple = isinstance(inputs, (tuple, list))

    def gradient(*xs):
        out = func(*xs)
        return grad(out, xs, create_graph=True, allow_unused=True, materialize_grads=True)

    jac = jacobian(gradient, inputs, create_graph=create_graph)
    if is_tuple:
        return jac
    return jac[0]


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.jvp via the double-vjp trick: J v = d/du (u^T J)^T v."""
    from ..ops.creation import zeros_like
    from . import grad
    from .grad_mode import enable_grad
    is_tuple = isinstance(inputs, (tuple, list))
    xs = _prep(inputs)
    vs = _tup(v) if v is not None else None
    with enable_grad():
        out = func(*xs)
        outs = _tup(out)
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        gs = grad(outs, xs, us, create_graph=True, allow_unused=True, materialize_grads=True)
        res = grad(gs, us, vs, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    out_d = tuple(o.detach() for o in outs)
    return (out_d if isinstance(out, tuple) else out_d[0]), (res if isinstance(out, tuple) else res[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.hvp: (func(inputs), H v)."""
    from . import grad
    from .grad_mode import enable_grad
    is_tuple = isinstance(inputs, (tuple, list))
    xs = _prep(inputs)
    with enable_grad():
        out = func(*xs)
        gs = grad(out, xs, create_graph=True)
        res = grad(gs, xs, _tup(v), create_graph=create_graph, allow_unused=True, materialize_grads=True)
    return out.detach(), (res if is_tuple else res[0])


vhp = hvp
