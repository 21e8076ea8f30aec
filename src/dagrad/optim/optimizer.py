"""Optimizer: the base class (param groups, state, state_dict, hooks, zero_grad) every optimizer extends.

Subclasses update parameters directly on their numpy storage (``p._data``) with in-place ufuncs and bump the
version counter as an in-place op would; their state (``exp_avg``, ``step``, ...) stays dagrad Tensors so
``state_dict()`` has torch's layout.
"""
import functools
import warnings
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from .._dtype import float32, float64, get_default_dtype
from .._tensor import Tensor, _make

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Singleton marking a hyper-parameter a param group must specify."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle: ``handle.remove()`` deletes the hook from its dict."""

    next_id = 0

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self):
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """torch.optim.optimizer.register_optimizer_step_pre_hook: ``hook(optimizer, args, kwargs)`` before every step."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """torch.optim.optimizer.register_optimizer_step_post_hook: ``hook(optimizer, args, kwargs)`` after every step."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def typename(obj):
    """torch.typename: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def _hooked_step(step):
    """Wrap a subclass's ``step`` so the global and per-instance step hooks run around it (once)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):
            return step(self, *args, **kwargs)
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        self._in_step = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class Optimizer:
    """torch.optim.Optimizer: holds param groups and per-parameter state; subclasses implement ``step``."""

    _setstate_defaults = {}

    # dagrad's built-in optimizers update numpy storage directly, so autograd cannot run through their step
    _numpy_step = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        if self._numpy_step:
            _check_flags(defaults)
        if self._numpy_step and defaults.get("differentiable"):
            raise NotImplementedError(f"dagrad's {type(self).__name__} does not support differentiable=True yet")

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._setstate_defaults.items():
                group.setdefault(key, value)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    # ---- hooks ------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """torch.optim.Optimizer.register_step_pre_hook: ``hook(optimizer, args, kwargs)`` before step."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """torch.optim.Optimizer.register_step_post_hook: ``hook(optimizer, args, kwargs)`` after step."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """torch.optim.Optimizer.register_state_dict_pre_hook: ``hook(optimizer)``."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """torch.optim.Optimizer.register_state_dict_post_hook: ``hook(optimizer, state_dict)``."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """torch.optim.Optimizer.register_load_state_dict_pre_hook: ``hook(optimizer, state_dict)``."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """torch.optim.Optimizer.register_load_state_dict_post_hook: ``hook(optimizer)``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state_dict -------------------------------------------------------------------------
    def state_dict(self):
        """torch.optim.Optimizer.state_dict: {'state': {id: {...}}, 'param_groups': [{..., 'params': [ids]}]}.

        Parameters are replaced by integer ids numbered in order of appearance across the groups; the state
        tensors are the live ones (not copies), as in torch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        ids = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            start = len(ids)
            for i, p in enumerate(group["params"], start):
                ids.setdefault(id(p), i)
            packed["params"] = [ids[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {(ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": packed_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """torch.optim.Optimizer.load_state_dict: restore groups' hyper-parameters and per-parameter state."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        flags = {}
        for g in state_dict["param_groups"]:
            for pid in g["params"]:
                flags[pid] = g.get("fused", False) or g.get("capturable", False)

        def cast(param, value, pid, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value.to(dtype=float32) if flags.get(pid) else value
                return value.to(dtype=param._dtype) if param.is_floating_point() else value
            if isinstance(value, dict):
                return {k: cast(param, v, pid, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, str):
                return type(value)(cast(param, v, pid) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ---- gradients and groups ---------------------------------------------------------------
    def _each_param(self, group, name, buffers, step_dtype=None, extra=None):
        """(p, state, step) for each parameter of ``group`` that has a gradient, with its step count bumped.

        On a parameter's first step its state gets 'step', then ``extra()``'s entries, then zeroed ``buffers``,
        in that order (torch's state_dict key order).
        """
        for p in group["params"]:
            if p._grad is None:
                continue
            _check_not_sparse(p, name)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor(0.0, step_dtype)
                if extra is not None:
                    state.update(extra())
                for key in buffers:
                    state[key] = _zeros_like(p)
            yield p, state, _bump_step(state)

    def zero_grad(self, set_to_none=True):
        """torch.optim.Optimizer.zero_grad: set every .grad to None (or fill it with zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data[...] = 0
                    g._version[0] += 1

    def step(self, closure=None):
        """torch.optim.Optimizer.step: one optimisation step (implemented by subclasses)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        """torch.optim.Optimizer.add_param_group: append a group, filling unspecified options from defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter "
                                 f"{name}")
            param_group.setdefault(name, default)
        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(id(p) for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)


# ---- helpers shared by the optimizers -----------------------------------------------------------
def _run_closure(closure):
    """Evaluate the closure with grad enabled (torch calls it under enable_grad inside step)."""
    if closure is None:
        return None
    from ..autograd.grad_mode import enable_grad
    with enable_grad():
        return closure()


def _scalar(x):
    """A hyper-parameter as a Python number (a 1-element tensor lr becomes its value)."""
    return x.item() if isinstance(x, Tensor) else x


def _scalar_dtype():
    """torch's _get_scalar_dtype: the dtype of 'step' (float64 only when that is the default dtype)."""
    return float64 if get_default_dtype() is float64 else float32


def _step_tensor(value=0.0, dtype=None):
    """A 0-d step (or mu_product) tensor, as torch keeps it on the CPU."""
    dt = dtype or _scalar_dtype()
    return _make(np.array(value, dtype=dt.np), dt)


def _bump_step(state):
    """``state['step'] += 1`` in place; returns the new step as a Python float."""
    st = state["step"]
    st._data += 1
    st._version[0] += 1
    return float(st._data)


def _zeros_like(p):
    return _make(np.zeros_like(p._data), p._dtype)


def _real(arr):
    """torch.view_as_real for the update maths: a complex array seen as its real and imaginary parts."""
    if arr.dtype.kind == "c":
        return arr.view(arr.real.dtype)
    return arr


def _check_not_sparse(p, name):
    if getattr(p._grad, "is_sparse", False):
        raise RuntimeError(f"{name} does not support sparse gradients")


def _check_flags(defaults):
    """torch's constructor errors for the fused / foreach / differentiable flags."""
    if defaults.get("fused"):
        if defaults.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _grad_array(p, maximize, weight_decay):
    """The gradient torch's single-tensor loop works with: negated when maximizing, plus ``wd * param``.

    Returns the live ``p.grad`` storage when neither applies (callers must not write into it then).
    """
    g = p._grad._data
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        # grad.add(param, alpha=wd) = grad + wd * param
        tmp = np.multiply(p._data, weight_decay)
        tmp += g
        g = tmp
    return g


def _fix_step_state(opt, dtype_for_group=None):
    """__setstate__ support: a non-tensor 'step' loaded from an old checkpoint becomes a tensor."""
    for group in opt.param_groups:
        for p in group["params"]:
            st = opt.state.get(p, None)
            if st and "step" in st and not isinstance(st["step"], Tensor):
                dt = dtype_for_group(group) if dtype_for_group else None
                st["step"] = _step_tensor(float(st["step"]), dt)


def _lerp_(x, end, weight, tmp=None):
    """torch.Tensor.lerp_ with a scalar weight, in place on array ``x`` (torch's two-sided formula)."""
    d = np.subtract(end, x, out=tmp)
    if abs(weight) < 0.5:
        d *= weight
        x += d
    else:
        d *= 1 - weight
        np.subtract(end, d, out=x)
    return d


def _addcmul_sq_(x, g, value, tmp=None):
    """``x.addcmul_(g, g, value=value)`` = x + (value * g) * g, in place; returns the scratch array."""
    t = np.multiply(g, value, out=tmp)
    t *= g
    x += t
    return t
