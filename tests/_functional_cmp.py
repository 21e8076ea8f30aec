"""Run one function under dagrad and torch and compare outputs, input gradients and grad_fn names."""
import numpy as np
import pytest

import dagrad


class Const:
    """An input array that must not require grad (targets, indices, masks)."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)


def _tolerance(dtype):
    return (1e-9, 1e-10) if dtype == np.float64 else (2e-5, 2e-5)


def _build(lib, args):
    tensors, leaves = [], []
    for a in args:
        if isinstance(a, Const):
            tensors.append(lib.from_numpy(a.arr.copy()))
        elif isinstance(a, np.ndarray):
            t = lib.from_numpy(a.copy())
            if a.dtype.kind == "f":
                t.requires_grad_(True)
                leaves.append(t)
            tensors.append(t)
        else:
            tensors.append(a)
    return tensors, leaves


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _arr(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def compare(fn, *args, rtol=None, atol=None, names=True, backward=True, seed=0):
    """fn(F, *tensors) with F the library's nn.functional; compares forward, grad_fn names and gradients."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    import dagrad.nn.functional as DF
    d_in, d_leaves = _build(dagrad, args)
    t_in, t_leaves = _build(torch, args)
    d_out, t_out = _outs(fn(DF, *d_in)), _outs(fn(TF, *t_in))
    assert len(d_out) == len(t_out)
    ref_dtype = next((a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"), np.float64)
    r, a = _tolerance(ref_dtype)
    r, a = rtol or r, atol or a
    for d, t in zip(d_out, t_out):
        assert tuple(d.shape) == tuple(t.shape), (d.shape, t.shape)
        assert str(d.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(_arr(d), _arr(t), rtol=r, atol=a, equal_nan=True)
        if names:
            d_name = d.grad_fn.name() if d.grad_fn is not None else None
            t_name = type(t.grad_fn).__name__ if t.grad_fn is not None else None
            assert d_name == t_name, (d_name, t_name)
    if not backward or not t_leaves:
        return d_out, t_out
    rng = np.random.default_rng(seed)
    d_loss, t_loss = 0, 0
    for d, t in zip(d_out, t_out):
        if not t.requires_grad:
            continue
        g = rng.standard_normal(tuple(t.shape)).astype(_arr(t).dtype)
        d_loss = d_loss + (d * dagrad.from_numpy(g.copy())).sum()
        t_loss = t_loss + (t * torch.from_numpy(g.copy())).sum()
    if isinstance(t_loss, int):
        return d_out, t_out
    d_loss.backward()
    t_loss.backward()
    for i, (d, t) in enumerate(zip(d_leaves, t_leaves)):
        if t.grad is None:
            assert d.grad is None or not np.any(d.grad.numpy()), f"input {i}: torch has no gradient"
            continue
        assert d.grad is not None, f"input {i}: dagrad has no gradient"
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=r, atol=a, equal_nan=True,
                                   err_msg=f"gradient of input {i}")
    return d_out, t_out


def error_matches(fn, *args):
    """Both libraries raise the same exception type with the same text."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    import dagrad.nn.functional as DF
    d_in, _ = _build(dagrad, args)
    t_in, _ = _build(torch, args)
    with pytest.raises(Exception) as t_err:
        fn(TF, *t_in)
    with pytest.raises(type(t_err.value)) as d_err:
        fn(DF, *d_in)
    assert str(d_err.value) == str(t_err.value)


def randn(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def gradcheck(fn, *arrays, gradgrad=False, **kw):
    """dagrad's float64 finite-difference check of fn(*tensors)."""
    from dagrad.autograd import gradcheck as gc, gradgradcheck as ggc
    tensors = []
    for a in arrays:
        if isinstance(a, Const):
            tensors.append(dagrad.from_numpy(a.arr.copy()))
        elif isinstance(a, np.ndarray):
            tensors.append(dagrad.from_numpy(a.astype(np.float64)).requires_grad_(a.dtype.kind == "f"))
        else:
            tensors.append(a)
    assert gc(fn, tuple(tensors), **kw)
    if gradgrad:
        assert ggc(fn, tuple(tensors), **kw)
