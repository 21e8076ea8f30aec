"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators).

The mode lives in a ``contextvars.ContextVar``, so each thread and each asyncio task sees its own.
"""
import contextvars
import functools
import inspect

_enabled = contextvars.ContextVar("dagrad_grad_enabled", default=True)
_inference = contextvars.ContextVar("dagrad_inference_mode", default=False)

is_grad_enabled = _enabled.get


def is_inference_mode_enabled():
    """torch.is_inference_mode_enabled."""
    return _inference.get()


def _wrap_generator(ctx_factory, gen_fn):
    """Run each step of a generator (not the code that drives it) under a fresh context manager."""
    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException as err:
                    with ctx_factory():
                        response = gen.throw(err)
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value
    return wrapper


class _GradModeContext:
    """Base of the grad-mode context managers; an instance also decorates functions, like torch's.

    ``__enter__`` remembers the mode it replaced and ``__exit__`` restores it, as torch does.
    """

    _target = True

    def __enter__(self):
        self._prev = _enabled.get()
        _enabled.set(self._target)

    def __exit__(self, *exc):
        _enabled.set(self._prev)
        return False

    def __call__(self, fn):
        if inspect.isclass(fn):
            import warnings
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should "
                          "only decorate functions or methods. To preserve the current behavior of class "
                          "decoration, you can directly decorate the `__init__` method and nothing else.",
                          FutureWarning, stacklevel=2)
        elif inspect.isgeneratorfunction(fn):
            return _wrap_generator(self.clone, fn)

        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper if inspect.isclass(fn) else functools.wraps(fn)(wrapper)

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class _NoParamDecorator(_GradModeContext):
    """Also usable as a bare decorator: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoParamDecorator):
    """torch.no_grad: disable graph recording inside the block."""

    _target = False


class enable_grad(_NoParamDecorator):
    """torch.enable_grad: re-enable graph recording inside a no_grad block."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """torch.set_grad_enabled(mode): takes effect at once, and also works as a context manager or decorator."""

    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = _enabled.get()
        _enabled.set(self._target)

    def __call__(self, fn):
        # used as a decorator: the call that built this object must not change the mode
        _enabled.set(self._prev)
        return super().__call__(fn)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _enabled.set(self._prev)
        return False

    def _args(self):
        return (self._target,)

    def clone(self):
        return _SetGradEnabledScope(self._target)


class _SetGradEnabledScope(_GradModeContext):
    """What a function decorated with ``set_grad_enabled(mode)`` runs under."""

    def __init__(self, mode):
        self._target = mode

    def _args(self):
        return (self._target,)


class inference_mode(_GradModeContext):
    """torch.inference_mode: like no_grad (dagrad has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare decorator: @inference_mode

    def __init__(self, mode=True):
        self._mode = mode if isinstance(mode, bool) else True
        self._target = not self._mode

    def __enter__(self):
        self._prev = _enabled.get()
        self._prev_inference = _inference.get()
        _enabled.set(not self._mode)
        _inference.set(self._mode)

    def __exit__(self, *exc):
        _inference.set(self._prev_inference)
        _enabled.set(self._prev)
        return False

    def _args(self):
        return (self._mode,)
