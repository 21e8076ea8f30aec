"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators)."""
import contextvars
import functools

_enabled = contextvars.ContextVar("dagrad_grad_enabled", default=True)
_inference = contextvars.ContextVar("dagrad_inference_mode", default=False)

is_grad_enabled = _enabled.get


def is_inference_mode_enabled():
    """torch.is_inference_mode_enabled."""
    return _inference.get()


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator, like torch's."""

    _target = True

    def __enter__(self):
        self._token = _enabled.set(self._target)

    def __exit__(self, *exc):
        _enabled.reset(self._token)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class no_grad(_GradModeContext):
    """torch.no_grad: disable graph recording inside the block."""

    _target = False

    def __init__(self, orig_func=None):
        pass


class enable_grad(_GradModeContext):
    """torch.enable_grad: re-enable graph recording inside a no_grad block."""

    _target = True

    def __init__(self, orig_func=None):
        pass


class set_grad_enabled(_GradModeContext):
    """torch.set_grad_enabled(mode): takes effect at once, and also works as a context manager."""

    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = _enabled.get()
        _enabled.set(self._target)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _enabled.set(self._prev)
        return False

    def _args(self):
        return (self._target,)


class inference_mode(_GradModeContext):
    """torch.inference_mode: like no_grad (dagrad has no separate inference tensors)."""

    def __init__(self, mode=True):
        self._mode = bool(mode)
        self._target = not self._mode

    def __enter__(self):
        self._token = _enabled.set(self._target)
        self._itoken = _inference.set(self._mode)

    def __exit__(self, *exc):
        _inference.reset(self._itoken)
        _enabled.reset(self._token)
        return False

    def __call__(self, fn):
        if not callable(fn) or isinstance(fn, bool):
            return self
        return super().__call__(fn)

    def _args(self):
        return (self._mode,)
