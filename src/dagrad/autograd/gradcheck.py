"""gradcheck / gradgradcheck: compare analytical gradients with float64 central finite differences."""
import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """torch.autograd.gradcheck.GradcheckError."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _differentiable_outputs(outs):
    from .._tensor import Tensor
    return [o for o in _as_tuple(outs) if isinstance(o, Tensor) and o._dtype._kind >= 2]


def _flat64(o):
    return o._data.astype(np.complex128 if o._dtype.is_complex else np.float64).reshape(-1)


def _numerical_jacobian(fn, inputs, i, eps):
    """One (n_out_elems x n_in_elems) matrix per output: central differences over input i's elements.

    Input i's storage is perturbed in place (and restored), as torch does; grad mode is left alone so
    that a ``fn`` which itself differentiates (gradgradcheck) still works.
    """
    arr = inputs[i]._data
    cols = []
    for idx in np.ndindex(arr.shape):
        orig = arr[idx].item()
        arr[idx] = orig + eps
        plus = [_flat64(o).copy() for o in _differentiable_outputs(fn(*inputs))]
        arr[idx] = orig - eps
        minus = [_flat64(o).copy() for o in _differentiable_outputs(fn(*inputs))]
        arr[idx] = orig
        cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = [o._data.size for o in _differentiable_outputs(fn(*inputs))]
    return [np.stack([c[j] for c in cols], axis=1) if cols else np.zeros((n, 0)) for j, n in enumerate(n_out)]


def _analytical_jacobian(fn, inputs, i):
    """One (n_out_elems x n_in_elems) matrix per output, a backward pass per output element."""
    from .._tensor import _make
    from . import grad as autograd_grad
    x = inputs[i]
    jacs = []
    for o in _differentiable_outputs(fn(*inputs)):
        rows = []
        for k in range(o._data.size):
            if not o.requires_grad:
                rows.append(np.zeros(x._data.size))
                continue
            go = np.zeros(o._data.shape, o._data.dtype)
            go.reshape(-1)[k] = 1
            (g,) = autograd_grad(o, x, _make(go, o._dtype), retain_graph=True, allow_unused=True)
            rows.append(np.zeros(x._data.size) if g is None else _flat64(g))
        jacs.append(np.stack(rows) if rows else np.zeros((0, x._data.size)))
    return jacs


def _as_tensor_text(mat):
    from .._tensor import wrap
    return repr(wrap(np.ascontiguousarray(mat)))


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """torch.autograd.gradcheck: True when every input's Jacobian matches finite differences.

    Always uses the full ("slow mode") Jacobians; ``fast_mode`` gives the same verdict.
    """
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i in diff:
        if inputs[i]._dtype.name not in ("float64", "complex128"):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", UserWarning, stacklevel=2)
    for i in diff:
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        again = _analytical_jacobian(func, inputs, i)  # a second backward must give the same values
        outs = _differentiable_outputs(func(*inputs))
        for j, (a, n) in enumerate(zip(ana, num)):
            if not outs[j].requires_grad:
                if not np.allclose(n, 0, rtol=rtol, atol=atol):
                    return _fail("Numerical gradient for function expected to be zero", raise_exception)
                continue
            if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                             f"numerical:{_as_tensor_text(n.T)}\nanalytical:{_as_tensor_text(a.T)}\n",
                             raise_exception)
            if np.abs(again[j] - a).max(initial=0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}.",
                             raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """torch.autograd.gradgradcheck: gradcheck of the first derivative (needs create_graph-capable rules)."""
    from .._tensor import Tensor
    from ..ops.random import randn
    from ..random import Generator
    from . import grad as autograd_grad
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        # random (but reproducible) grad_outputs that are differentiated with respect to as well
        gen = Generator().manual_seed(0)
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, generator=gen).requires_grad_(True)
                             for o in _differentiable_outputs(func(*inputs)))
    grad_outputs = _as_tuple(grad_outputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    n_in = len(inputs)

    def first_grad(*args):
        xs, gos = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(func(*xs))
        grads = autograd_grad(outs, [xs[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grad, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
