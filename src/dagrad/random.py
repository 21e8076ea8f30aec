"""dagrad.random: the global generator (manual_seed, seed, get/set_rng_state) and the Generator class."""
import numpy as np

from ._dtype import uint8
from ._tensor import Tensor, _make

default_generator = None  # set below to a Generator wrapping _generator.default_generator


class Generator:
    """torch.Generator: an independent MT19937 stream with torch's seeding and outputs."""

    def __init__(self, device="cpu", *, _impl=None):
        from . import _generator
        self._impl = _impl if _impl is not None else _generator.Generator()
        self.device = device

    def manual_seed(self, seed):
        self._impl.manual_seed(int(seed))
        return self

    def seed(self):
        return self._impl.seed()

    def initial_seed(self):
        return self._impl.initial_seed()

    def get_state(self):
        return _make(np.asarray(self._impl.get_state(), dtype=np.uint8).copy(), uint8)

    def set_state(self, new_state):
        self._impl.set_state(new_state._data if isinstance(new_state, Tensor) else np.asarray(new_state))
        return self


class _DefaultGenerator(Generator):
    """The global generator: wraps the module-level stream of dagrad._generator."""

    def __init__(self):
        self.device = "cpu"

    @property
    def _impl(self):
        from . import _generator
        return _generator.default_generator


default_generator = _DefaultGenerator()


def manual_seed(seed):
    """torch.manual_seed: seed the default generator; returns it."""
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    """torch.seed: a non-deterministic seed for the default generator."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """torch.get_rng_state: the default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """torch.set_rng_state."""
    default_generator.set_state(new_state)


def fork_rng(devices=None, enabled=True, **kwargs):
    import contextlib

    @contextlib.contextmanager
    def ctx():
        state = get_rng_state() if enabled else None
        try:
            yield
        finally:
            if enabled:
                set_rng_state(state)
    return ctx()
