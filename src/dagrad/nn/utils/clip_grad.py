"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_ (torch.nn.utils)."""
import types
import warnings

import numpy as np

from ..._dtype import FROM_NP, get_default_dtype
from ..._tensor import Tensor, _make

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

_inf = float("inf")


def _vector_norm(arr, p, op="linalg.vector_norm"):
    """torch.linalg.vector_norm of a numpy array, as a numpy scalar of its real dtype."""
    a = np.abs(arr) if arr.dtype.kind == "c" or p != 2.0 else arr
    a = a.reshape(-1)
    if p in (_inf, -_inf):
        if a.size == 0:
            name = "infinity" if op == "_foreach_norm" else p
            raise RuntimeError(f"{op} cannot compute the {name} norm on an empty tensor because the operation does "
                               "not have an identity")
        return a.max() if p == _inf else a.min()
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(a.dot(a))
    return (a ** p).sum() ** (1.0 / p)


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """torch.nn.utils.get_total_norm: the norm of the per-tensor norms (= the norm of all elements together)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _make(np.array(0.0, get_default_dtype().np), get_default_dtype())
    # torch takes the foreach path on the CPU unless told not to (it has no -inf kernel)
    op = "_foreach_norm" if foreach is not False and norm_type != -_inf else "linalg.vector_norm"
    norms = [_vector_norm(t._data, norm_type, op) for t in tensors]
    dtype = np.result_type(*norms)
    total = _vector_norm(np.array(norms, dtype=dtype), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    arr = np.asarray(total, dtype=dtype)
    return _make(arr, FROM_NP[arr.dtype])


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """torch.nn.utils.clip_grads_with_norm_: scale every .grad by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm, np.float64)
    # max_norm / (total + 1e-6) is a scalar over a tensor in torch: reciprocal() * max_norm
    coef = np.reciprocal(total + 1e-6) * max_norm
    coef = np.minimum(coef, 1.0)
    for g in grads:
        arr = g._data
        arr *= coef.astype(arr.real.dtype) if arr.dtype.kind == "c" else coef.astype(arr.dtype)
        g._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """torch.nn.utils.clip_grad_norm_: rescale the gradients so their total norm is at most ``max_norm``.

    Returns the total norm of the gradients before clipping, as a 0-d tensor.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p._grad for p in parameters if p._grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """torch.nn.utils.clip_grad_norm: deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """torch.nn.utils.clip_grad_value_: clamp every .grad to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            g._version[0] += 1
