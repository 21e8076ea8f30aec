"""dagrad.autograd: backward(), grad(), custom Functions, gradcheck, grad modes, anomaly detection."""
from .._tensor import Tensor, _make
from .engine import _anomaly, run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .graph import AccumulateGrad, Node
from .gradcheck import gradcheck, gradgradcheck
from . import functional, graph

__all__ = ["backward", "grad", "Function", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "set_detect_anomaly", "detect_anomaly", "functional"]


CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid "
    "this. If you have to use this function, make sure to reset the .grad fields of your parameters to None "
    "after use to break the cycle and avoid the leak.")


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs, grad_outputs, create_graph):
    if grad_outputs is not None and len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            if out._data.size != 1:
                err = RuntimeError("grad can be implicitly created only for scalar outputs")
                err.add_note(f"dagrad hint: this output has shape {list(out._data.shape)}; reduce it to one "
                             "number first (e.g. loss.sum() or loss.mean()), or pass backward(gradient=...) "
                             "with a tensor of the same shape.")
                raise err
            if not out._dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"torch.{out._dtype.name}")
            import numpy as np
            g = _make(np.ones(out._data.shape, dtype=out._dtype.np), out._dtype)
        elif not isinstance(g, Tensor):
            from ..ops.creation import tensor
            g = tensor(g, dtype=out._dtype)
        elif g._data.shape != out._data.shape:
            from .._tensor import Size
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} and "
                               f"output[{i}] has a shape of {Size(out._data.shape)}.".replace("dagrad.", "torch."))
        grads.append(g)
    return grads


def _roots(outputs):
    nodes = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        nodes.append(out.grad_fn if out.grad_fn is not None else out._accumulator())
    return nodes


def _target_node(t):
    return t.grad_fn if t.grad_fn is not None else t._accumulator()


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """torch.autograd.backward: accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else _as_tuple(grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    roots = _roots(outputs)
    grads = _root_grads(outputs, grad_tensors, create_graph)
    if create_graph:
        import warnings
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    targets = None
    if inputs is not None:
        targets = {}
        for t in inputs:
            t.retain_grad()  # as torch: a non-leaf named in inputs= gets (and keeps) its .grad
            targets[_target_node(t)] = t
    run_backward(roots, grads, retain_graph, create_graph, targets)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: return d(outputs)/d(inputs) without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grad_outputs = _as_tuple(grad_outputs)
    roots = _roots(outputs)
    grads = _root_grads(outputs, grad_outputs, create_graph)
    targets = {_target_node(t): t for t in inputs}
    captured = run_backward(roots, grads, retain_graph, create_graph, targets, capture=True)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(_target_node(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
        elif g._data.shape != t._data.shape:
            from .engine import fit_to
            g = fit_to(g, t._data.shape)
        result.append(g)
    return tuple(result)


class set_detect_anomaly:
    """torch.autograd.set_detect_anomaly(mode): check every backward result for NaN."""

    def __init__(self, mode, check_nan=True):
        self._prev = _anomaly[0]
        _anomaly[0] = bool(mode) and check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly[0] = self._prev


class detect_anomaly(set_detect_anomaly):
    """torch.autograd.detect_anomaly: context manager enabling anomaly detection."""

    def __init__(self, check_nan=True):
        self._check_nan = check_nan
        self._prev = _anomaly[0]

    def __enter__(self):
        _anomaly[0] = self._check_nan
        return self


def is_anomaly_enabled():
    return _anomaly[0]
