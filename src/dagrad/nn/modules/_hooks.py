"""Hook plumbing for modules: RemovableHandle and the identity Function behind full backward hooks."""
import warnings
import weakref
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...ops.creation import zeros

__all__ = ["RemovableHandle", "BackwardHook", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]

# hooks that run for every module (torch.nn.modules.module's globals)
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle: ``handle.remove()`` deletes the hook from its dict(s)."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict or ())

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        # a dead dict is replaced by a fresh one so that remove() stays harmless
        self.hooks_dict_ref = weakref.ref(state[0] if state[0] is not None else OrderedDict())
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (state[2] if len(state) > 2 and state[2] else ()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class BackwardHookFunction(Function):
    """Identity on tensors; its backward hands the incoming gradients to a callback that may replace them."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.callback(grads))


class BackwardHook:
    """One module call's full backward (pre-)hooks: grads w.r.t. outputs are captured on the way back,
    then the user hooks run with the grads w.r.t. inputs (torch.utils.hooks.BackwardHook)."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = -1
        self.n_outputs = -1
        self.input_tensors_index = None
        self.output_tensors_index = None

    @staticmethod
    def _wrap(args, callback):
        """Route the tensors of ``args`` that require grad through one BackwardHookFunction node."""
        tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        diff_idx = [i for i in tensor_idx if args[i].requires_grad]
        if not (diff_idx and is_grad_enabled()):
            return args, None, diff_idx
        new = BackwardHookFunction.apply(callback, *(args[i] for i in diff_idx))
        out = list(args)
        for i, t in zip(diff_idx, new):
            out[i] = t
        return tuple(out), tensor_idx, diff_idx

    @staticmethod
    def _pack(positions, values, size):
        res = [None] * size
        for i, v in zip(positions, values):
            res[i] = v
        return tuple(res)

    def setup_input_hook(self, args):
        diff_idx = []
        # torch routes every tensor input through its hook node; those not requiring grad get zero gradients
        no_grad_inputs = [(i, tuple(a.shape), a.dtype) for i, a in enumerate(args)
                          if isinstance(a, Tensor) and not a.requires_grad]

        def on_input_grads(grads):
            if self.grad_outputs is None:
                return grads  # the outputs' gradients were not seen in this backward pass
            res = list(self._pack(diff_idx, grads, self.n_inputs))
            for i, shape, dtype in no_grad_inputs:
                res[i] = zeros(shape, dtype=dtype)
            res = tuple(res)
            for hook in self.user_hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in diff_idx)

        res, self.input_tensors_index, idx = self._wrap(tuple(args), on_input_grads)
        diff_idx.extend(idx)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        diff_idx = []

        def on_output_grads(grads):
            self.grad_outputs = self._pack(diff_idx, grads, self.n_outputs)
            for pre_hook in self.user_pre_hooks:
                new = pre_hook(self.module, self.grad_outputs)
                if new is None:
                    continue
                if len(new) != len(self.grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(new)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = new
            local = self.grad_outputs
            if self.input_tensors_index is None:
                # no input requires grad: the hooks fire now, with None for every grad_input
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", stacklevel=5)
                grad_inputs = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    r = hook(self.module, grad_inputs, self.grad_outputs)
                    if r is not None and not (isinstance(r, tuple) and all(el is None for el in r)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                           "always return None or None for all gradients.")
                self.grad_outputs = None
            return tuple(local[i] for i in diff_idx)

        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, self.output_tensors_index, idx = self._wrap(args, on_output_grads)
        diff_idx.extend(idx)
        self.n_outputs = len(args)
        return res[0] if single else res


def _register_global(hooks, hook):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """torch.nn.modules.module.register_module_forward_pre_hook: ``hook(module, args)`` before every forward."""
    return _register_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """torch.nn.modules.module.register_module_forward_hook: ``hook(module, args, output)`` after every forward."""
    handle = RemovableHandle(_global_forward_hooks, extra_dict=[_global_forward_hooks_always_called,
                                                                _global_forward_hooks_with_kwargs])
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook):
    """torch.nn.modules.module.register_module_full_backward_pre_hook."""
    return _register_global(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """torch.nn.modules.module.register_module_full_backward_hook."""
    return _register_global(_global_backward_hooks, hook)
