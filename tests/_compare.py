"""Run one lambda under torch and under dagrad with the same inputs; compare outputs, grad_fn names and gradients.

``check(lambda lib, x, y: lib.atan2(x, y) * 2, a, b)`` builds torch and dagrad leaves from the numpy arrays
``a`` and ``b`` (floating arrays are cast to each dtype in ``dtypes`` and require grad; integer and bool
arrays are passed as they are), calls the lambda with the library module and the leaves, compares every
output (type, shape, dtype, values, grad_fn name), then backpropagates the same random upstream gradient
through both and compares every input's ``.grad`` (None-ness included).

``check_error(fn, *arrays)`` expects both libraries to raise: same exception type, same ``str(err)`` (with
``torch.`` written ``dagrad.``).
"""
import numpy as np

import dagrad

try:
    import torch
except ImportError:  # pragma: no cover - the oracle is installed in the test environment
    torch = None

F64, F32 = "float64", "float32"
# per-dtype default tolerances (rtol, atol), chosen by the dtype of each compared tensor
TOL = {"float64": (1e-9, 1e-11), "float32": (2e-5, 2e-6), "float16": (2e-3, 2e-3)}


def _leaf(lib, arr, dtype_name, requires_grad):
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
        arr = arr.astype(dtype_name)
        t = lib.tensor(arr)
        return t.requires_grad_(True) if requires_grad else t
    if isinstance(arr, np.ndarray):
        return lib.tensor(arr)
    return arr  # Python scalars and other arguments pass through


def _flatten(out):
    """Outputs as a flat list; namedtuples/tuples/lists are walked, other values kept as they are."""
    if isinstance(out, (tuple, list)):
        items = []
        for o in out:
            items.extend(_flatten(o))
        return items
    return [out]


def _is_tensor(v):
    return isinstance(v, (torch.Tensor, dagrad.Tensor))


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _to_np(t):
    # force=True: torch hands some zero gradients back as ZeroTensors
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach()._data


def assert_same_tensor(d, t, rtol=None, atol=None, what="output"):
    """dagrad tensor ``d`` equals torch tensor ``t``: shape, dtype and values."""
    assert isinstance(d, dagrad.Tensor), f"{what}: dagrad gave {type(d).__name__}, torch a Tensor"
    assert tuple(d.shape) == tuple(t.shape), f"{what}: shape {tuple(d.shape)} != torch {tuple(t.shape)}"
    assert _dtype_name(d) == _dtype_name(t), f"{what}: dtype {d.dtype} != torch {t.dtype}"
    a, b = _to_np(d), _to_np(t)
    if a.dtype.kind in "fc":
        drt, dat = TOL.get(a.dtype.name, TOL["float64"])
        rtol, atol = drt if rtol is None else rtol, dat if atol is None else atol
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def _compare_outputs(d_out, t_out, rtol, atol, names):
    if type(t_out).__module__ == "torch.return_types":
        assert type(d_out).__name__ == type(t_out).__name__, \
            f"output type {type(d_out).__name__} != torch.return_types.{type(t_out).__name__}"
        assert _is_tensor(d_out.values) and _is_tensor(d_out.indices)
    else:
        assert isinstance(d_out, tuple) == isinstance(t_out, tuple), \
            f"output type {type(d_out).__name__} != torch {type(t_out).__name__}"
    d_list, t_list = _flatten(d_out), _flatten(t_out)
    assert len(d_list) == len(t_list), f"{len(d_list)} outputs, torch gives {len(t_list)}"
    for i, (d, t) in enumerate(zip(d_list, t_list)):
        if _is_tensor(t):
            assert_same_tensor(d, t, rtol, atol, f"output {i}")
            if names:
                t_name = t.grad_fn.name() if t.grad_fn is not None else None
                d_name = d.grad_fn.name() if d.grad_fn is not None else None
                assert d_name == t_name, f"output {i}: grad_fn {d_name} != torch {t_name}"
            assert d.requires_grad == t.requires_grad, f"output {i}: requires_grad {d.requires_grad} != torch"
        elif isinstance(t, float) and isinstance(d, float):
            np.testing.assert_allclose(d, t, rtol=rtol or 1e-12, atol=atol or 0)
        else:
            assert d == t, f"output {i}: {d!r} != torch {t!r}"
    return d_list, t_list


def check(fn, *arrays, dtypes=(F64, F32), grad=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None,
          names=True, seed=0, requires_grad=None):
    """Compare ``fn(lib, *leaves)`` under torch and dagrad for each floating dtype in ``dtypes``.

    requires_grad: per-input booleans (default: every floating input when ``grad``).
    Returns the last (dagrad output, torch output) pair for extra assertions.
    """
    assert torch is not None
    has_float = any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays)
    result = None
    for dt in (dtypes if has_float else (F64,)):
        # tolerances default to the compared tensor's dtype (see TOL)
        rt, at = rtol, atol
        grt = rt if grad_rtol is None else grad_rtol
        gat = at if grad_atol is None else grad_atol
        needs = requires_grad if requires_grad is not None else [grad] * len(arrays)
        t_in = [_leaf(torch, a, dt, n) for a, n in zip(arrays, needs)]
        d_in = [_leaf(dagrad, a, dt, n) for a, n in zip(arrays, needs)]
        t_out = fn(torch, *t_in)
        d_out = fn(dagrad, *d_in)
        d_list, t_list = _compare_outputs(d_out, t_out, rt, at, names)
        result = (d_out, t_out)
        if not grad:
            continue
        rng = np.random.default_rng(seed)
        t_roots, d_roots, t_gs, d_gs = [], [], [], []
        for d, t in zip(d_list, t_list):
            if _is_tensor(t) and t.grad_fn is not None and not _backward_works(t):
                _check_backward_raises(d, t)
            elif _is_tensor(t) and t.requires_grad:
                g = rng.standard_normal(tuple(t.shape)).astype(_dtype_name(t))
                t_roots.append(t)
                d_roots.append(d)
                t_gs.append(torch.tensor(g))
                d_gs.append(dagrad.tensor(g))
        if not t_roots:
            continue
        torch.autograd.backward(t_roots, t_gs)
        dagrad.autograd.backward(d_roots, d_gs)
        for i, (d, t) in enumerate(zip(d_in, t_in)):
            if not _is_tensor(t) or not t.is_leaf:
                continue
            if t.grad is None:
                assert d.grad is None, f"input {i}: dagrad has a gradient, torch has None"
                continue
            assert d.grad is not None, f"input {i}: dagrad has no gradient, torch has one"
            assert_same_tensor(d.grad, t.grad, grt, gat, f"grad of input {i} ({dt})")
    return result


def _backward_works(t):
    """False for outputs whose node torch cannot differentiate (NotImplemented, Unique2Backward0, ...)."""
    leaves = _leaves_of(t)
    if not leaves:
        return True
    with _raises() as err:
        torch.autograd.grad(t.sum(), leaves, retain_graph=True, allow_unused=True)
    return not err


def _leaves_of(t):
    seen, stack, out = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            out.append(node.variable)
        stack.extend(n for n, _ in node.next_functions)
    return out


def _check_backward_raises(d, t):
    """An output torch cannot differentiate: backward raises the same error in both."""
    with _raises() as t_err:
        t.sum().backward(retain_graph=True)
    with _raises() as d_err:
        d.sum().backward(retain_graph=True)
    assert t_err and d_err, "dagrad's backward did not raise"
    assert type(d_err[0]) is type(t_err[0]) and str(d_err[0]) == str(t_err[0]), (d_err[0], t_err[0])


class _raises:
    """``with _raises() as err:`` swallows an exception and records it in the list ``err``."""

    def __enter__(self):
        self.err = []
        return self.err

    def __exit__(self, tp, value, tb):
        if value is not None:
            self.err.append(value)
        return True


def _torch_text(msg):
    return msg.replace("dagrad.", "torch.")


def check_error(fn, *arrays, dtype=F32, match_text=True):
    """Both libraries raise the same exception type with the same text."""
    t_in = [_leaf(torch, a, dtype, False) for a in arrays]
    d_in = [_leaf(dagrad, a, dtype, False) for a in arrays]
    t_err = d_err = None
    try:
        fn(torch, *t_in)
    except Exception as e:  # noqa: BLE001 - any error is the reference
        t_err = e
    try:
        fn(dagrad, *d_in)
    except Exception as e:  # noqa: BLE001
        d_err = e
    assert t_err is not None, "torch did not raise"
    assert d_err is not None, f"dagrad did not raise; torch raised {type(t_err).__name__}: {t_err}"
    assert type(d_err).__name__ == type(t_err).__name__ or isinstance(d_err, type(t_err)), \
        f"dagrad raised {type(d_err).__name__}: {d_err}; torch {type(t_err).__name__}: {t_err}"
    if match_text:
        assert _torch_text(str(d_err)) == str(t_err), f"\ndagrad: {d_err}\ntorch:  {t_err}"
    return d_err, t_err


def same(d, t, rtol=None, atol=None):
    """A dagrad result equals a torch result: tensors (values, dtype, shape), None, and nestings of them."""
    if isinstance(t, torch.Tensor):
        assert_same_tensor(d, t, rtol, atol)
    elif isinstance(t, (tuple, list)):
        assert isinstance(d, (tuple, list)) and len(d) == len(t), (d, t)
        for a, b in zip(d, t):
            same(a, b, rtol, atol)
    else:
        assert d == t, (d, t)


def compare(fn, rtol=None, atol=None):
    """Run ``fn(lib)`` with dagrad and with torch; the results must be the same."""
    same(fn(dagrad), fn(torch), rtol, atol)


def raises_same(fn):
    """``fn(lib)`` raises the same exception type and text under both libraries."""
    check_error(lambda lib, _: fn(lib), None)


def plain(obj):
    """A library-neutral form of a (possibly nested) batch: tensors become (dtype name, shape, values)."""
    if isinstance(obj, (dagrad.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, *[plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    if isinstance(obj, dict):
        return ("dict", {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.tolist())
    return obj
