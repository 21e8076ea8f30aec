"""gradcheck / gradgradcheck: compare analytical gradients with float64 central finite differences."""
import numpy as np


class GradcheckError(RuntimeError):
    """torch.autograd.gradcheck.GradcheckError."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _numerical_jacobian(fn, inputs, i, eps):
    from .._tensor import Tensor
    from .grad_mode import no_grad
    x = inputs[i]
    flat = x._data.reshape(-1)
    cols = []
    with no_grad():
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = [o._data.astype(np.complex128 if o.is_complex() else np.float64).copy().reshape(-1)
                    for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
            flat[k] = orig - eps
            minus = [o._data.astype(np.complex128 if o.is_complex() else np.float64).copy().reshape(-1)
                     for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
            flat[k] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    # one (n_out_elems x n_in_elems) matrix per output
    return [np.stack([c[j] for c in cols], axis=1) if cols else np.zeros((0, 0)) for j in range(len(cols[0]) if cols else 0)]


def _analytical_jacobian(fn, inputs, i, create_graph=False):
    from .._tensor import Tensor, _make
    from . import grad as autograd_grad
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    x = inputs[i]
    jacs = []
    for o in outs:
        rows = []
        flat_n = o._data.size
        for k in range(flat_n):
            if not o.requires_grad:
                rows.append(np.zeros(x._data.size))
                continue
            go = np.zeros(o._data.shape, o._data.dtype)
            go.reshape(-1)[k] = 1
            (g,) = autograd_grad(o, x, _make(go, o._dtype), retain_graph=True, allow_unused=True)
            rows.append(np.zeros(x._data.size) if g is None else g._data.astype(np.float64).reshape(-1))
        jacs.append(np.stack(rows) if rows else np.zeros((0, x._data.size)))
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """torch.autograd.gradcheck: True when every input's Jacobian matches finite differences."""
    import warnings
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name not in ("float64", "complex128"):
            warnings.warn(f"Input #{inputs.index(x)} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ")
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        for j, (a, n) in enumerate(zip(ana, num)):
            if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                                     f"numerical:{n.T!r}\nanalytical:{a.T!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """torch.autograd.gradgradcheck: gradcheck of the first derivative (needs create_graph-capable rules)."""
    from .._tensor import Tensor
    from ..ops.random import randn
    from . import grad as autograd_grad
    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        from ..random import Generator
        gen = Generator().manual_seed(0)
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, generator=gen, requires_grad=True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    n_in = len(inputs)

    def first_grad(*args):
        xs, gos = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor)]
        grads = autograd_grad(outs, [xs[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grad, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
