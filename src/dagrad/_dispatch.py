"""The one funnel every computation goes through: promote dtypes, run the forward rule, record the node.

``apply(prim, args, params)`` runs a primitive out of place; ``apply_(prim, args, params)`` runs it in
place on ``args[0]`` (bumping the version counter, checking torch's leaf rules, rebasing views).
"""
import numpy as np

from ._dtype import FROM_NP, get_default_dtype, result_type_of, scalar_dtype
from .autograd.grad_mode import _enabled
from .autograd.graph import Node
from .backend import xp

_ndarray = np.ndarray
_grad_enabled = _enabled.get
Tensor = None  # set by _tensor.py (import cycle: Tensor methods call apply)
_make = None


def common_dtype(args):
    """torch.result_type over a mix of tensors and Python scalars."""
    dims, zeros, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zeros).append(a._dtype)
        elif a is not None:
            d = scalar_dtype(a)
            if d is not None:
                scalars.append(d)
    return result_type_of(dims, zeros, scalars)


def _resolve(prim, args):
    """Return (arrays, dtype of the computation) for a primitive's inputs."""
    rule = prim.promote
    if rule is None:
        return [a._data if isinstance(a, Tensor) else a for a in args], None
    # fast path: one tensor, or two tensors of one dtype, with float scalars
    dt = None
    for a in args:
        if isinstance(a, Tensor):
            if dt is None:
                dt = a._dtype
            elif a._dtype is not dt:
                dt = None
                break
        elif dt is None or not ((type(a) is float and dt._kind >= 2) or (type(a) is int and dt._kind >= 1)):
            dt = None
            break
    if dt is None:
        dt = common_dtype(args)
    if rule == "float" and dt._kind < 2:
        dt = get_default_dtype()
    np_dt = dt.np
    arrays = [(a._data if a._data.dtype == np_dt else a._data.astype(np_dt)) if isinstance(a, Tensor) else a
              for a in args]
    return arrays, dt


def apply(prim, args, params=None):
    """Run ``prim`` on ``args`` (tensors and Python scalars) and record a graph node when needed."""
    arrays, dt = _resolve(prim, args)
    try:
        arr = prim.forward(xp, *arrays) if params is None else prim.forward(xp, *arrays, **params)
    except ValueError as err:
        raise translate_value_error(prim, args, err) from None
    except OverflowError:
        # numpy 2 refuses a Python int outside the tensor's dtype; torch wraps it (uint8 + -3 -> 253)
        arrays = [np.array(a).astype(dt.np) if type(a) is int and dt is not None else a for a in arrays]
        arr = prim.forward(xp, *arrays) if params is None else prim.forward(xp, *arrays, **params)
    if type(arr) is not _ndarray:
        arr = np.asarray(arr)
    out_dt = prim.out_dtype
    if out_dt is None:
        if dt is None or arr.dtype != dt.np:
            dt = FROM_NP[arr.dtype]
    else:
        dt = out_dt
        if arr.dtype != dt.np:
            arr = arr.astype(dt.np)
    out = _make(arr, dt)
    if prim.is_view:
        _mark_view(out, args[0], prim, args[1:], params)
    if prim.vjps is not None and _grad_enabled():
        _record(prim, args, params, out)
    return out


def _mark_view(out, src, prim, rest, params):
    out._version_counter = src._version_counter
    if src._base is None:
        out._base = src
        out._view_chain = ((prim, rest, params),)
    else:
        out._base = src._base
        out._view_chain = src._view_chain + ((prim, rest, params),)
    if _grad_enabled():
        # the version this view's grad_fn is valid for (views made under no_grad are never regenerated)
        out._view_version = src._version_counter[0]


def _record(prim, args, params, out):
    parents = []
    metas = []
    needed = False
    for a in args:
        if isinstance(a, Tensor):
            if a._base is not None and a._view_version is not None and a._view_version != a._version_counter[0]:
                refresh_view(a)
            if a._requires_grad:
                fn = a._grad_fn
                parents.append(fn if fn is not None else a._accumulator())
                metas.append((a._data.shape, a._dtype))
                needed = True
                continue
        parents.append(None)
        metas.append(None)
    if not needed or out._dtype._kind < 2:  # integer and bool results are not differentiable
        return
    save = prim.save
    save_for = prim.save_for
    frees = prim.save_out
    saved = []
    versions = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if i in save and (save_for is None or i not in save_for
                              or any(parents[j] is not None for j in save_for[i])):
                saved.append(a)
                versions.append((a._version_counter, a._version_counter[0]))
                frees = True
            else:
                saved.append(None)
                versions.append(None)
        else:
            saved.append(a)
            versions.append(None)
            if i in save:  # a saved Python scalar (torch saves it as a tensor, freed like one)
                frees = True
    node = Node(prim, parents, saved, versions, params, metas, frees)
    if prim.save_out:
        node.out_ref = out._data
        node.out_version = (out._version_counter, out._version_counter[0])
    out._grad_fn = node
    out._requires_grad = True


def _can_cast(src, dst):
    """torch's canCast for in-place results: no float->integral, complex->real or non-bool->bool."""
    if src._kind == 3 and dst._kind < 3:
        return False
    if src._kind == 2 and dst._kind < 2:
        return False
    return not (src._kind != 0 and dst._kind == 0)


_DTYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_type_name(d):
    """torch's ScalarType name of a dtype (Float, Long, ...), used in error texts."""
    return _DTYPE_NAMES[d.name]


def check_inplace(self):
    """torch's rules for in-place ops on tensors that require grad."""
    if _grad_enabled() and self._requires_grad:
        if self._grad_fn is None and self._base is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None and _grad_enabled() and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def apply_(prim, args, params=None):
    """Run ``prim`` in place on ``args[0]``: write the result into its storage and rebase its history."""
    self = args[0]
    if self._base is not None and self._view_version is not None and self._view_version != self._version_counter[0]:
        refresh_view(self)
    check_inplace(self)
    recording = prim.vjps is not None and _grad_enabled() and any(
        isinstance(a, Tensor) and a._requires_grad for a in args)
    if recording:
        # the node must see self's old value and history: give it a stand-in tensor
        old = _make(self._data.copy() if 0 in prim.save else self._data, self._dtype)
        old._requires_grad = self._requires_grad
        old._grad_fn = self._grad_fn  # a leaf requiring grad was refused above, so this carries the history
        res = apply(prim, (old,) + tuple(args[1:]), params)
    else:
        res = apply(prim, args, params)
    if not _can_cast(res._dtype, self._dtype):
        raise RuntimeError(f"result type {scalar_type_name(res._dtype)} can't be cast to the desired output "
                           f"type {scalar_type_name(self._dtype)}")
    if res._data.shape != self._data.shape:
        try:
            np.broadcast_to(res._data, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(res._data.shape)}") from None
    np.copyto(self._data, res._data, casting="unsafe")
    self._version_counter[0] += 1
    if recording:
        node = res._grad_fn
        if node is not None and prim.save_out:
            node.out_ref = self._data
            node.out_version = (self._version_counter, self._version_counter[0])
        if self._base is not None:
            _rebase_view(self, res)
        else:
            self._grad_fn = node
            self._requires_grad = True
    return self


def _rebase_view(view, res):
    """An in-place op wrote into a view: the base's new history is CopySlices(base, new view value)."""
    from .prims.shape import copy_slices
    base = view._base
    new_base = apply(copy_slices, (base, res), {"chain": view._view_chain})
    base._grad_fn = new_base._grad_fn
    base._requires_grad = True
    _regenerate(view)


def _regenerate(view):
    """Give a view the grad_fn of the same view taken of its base's current history.

    torch names the regenerated node AsStridedBackward0; dagrad replays the view ops instead (same
    gradients), naming the last one so.
    """
    regenerated = view._base
    for prim, rest, params in view._view_chain:
        regenerated = apply(prim, (regenerated,) + tuple(rest), params)
    view._grad_fn = regenerated._grad_fn
    view._grad_fn.name_override = "AsStridedBackward0"
    view._requires_grad = True
    view._view_version = view._version_counter[0]


def refresh_view(view):
    """The view's base (or another view of it) was modified in place after the view's grad_fn was set."""
    view._view_version = view._version_counter[0]
    if view._base._requires_grad:
        token = _enabled.set(True)
        try:
            _regenerate(view)
        finally:
            _enabled.reset(token)


def fresh(t):
    """``t`` with its grad_fn brought up to date (a view whose base changed in place is regenerated)."""
    if t._base is not None and t._view_version is not None and t._view_version != t._version_counter[0]:
        refresh_view(t)
    return t


def translate_value_error(prim, args, err):
    """Turn numpy's broadcasting ValueError into torch's RuntimeError text."""
    from .ops._checks import broadcast_error
    shapes = [a._data.shape for a in args if isinstance(a, Tensor)]
    if len(shapes) >= 2 and "broadcast" in str(err):
        e = broadcast_error(shapes)
        if e is not None:
            return e
    return err
