"""Random tensors drawn from dagrad's torch-identical generator (rand, randn, randint, randperm, normal, ...)."""
import numpy as np

from .._dtype import get_default_dtype, int64, to_dtype
from .._tensor import Tensor, _make
from ._checks import parse_size
from .creation import _finish


def _gen(generator):
    from .. import _generator
    return _generator.default_generator if generator is None else getattr(generator, "_impl", generator)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """torch.rand: uniform on [0, 1), bit-identical to torch's CPU generator."""
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(_gen(generator).uniform(parse_size(size), dt.np), requires_grad, device)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """torch.randn: standard normal, bit-identical to torch's CPU generator."""
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(_gen(generator).normal(parse_size(size), dt.np), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """torch.randint(low=0, high, size)."""
    if size is None:
        low, high, size = 0, low, high
    dt = to_dtype(dtype) or int64
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _finish(_gen(generator).random_int(tuple(size), dt.np, low, high), requires_grad, device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """torch.randperm."""
    dt = to_dtype(dtype) or int64
    return _finish(_gen(generator).randperm(n, dt.np), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """torch.normal: float mean/std with a size, or tensor means/stds (elementwise)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(*(x._data.shape for x in (mean, std) if isinstance(x, Tensor)))
        ref = mean if isinstance(mean, Tensor) else std
        z = _gen(generator).normal(shape, ref._dtype.np)
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        return _make((z * s + m).astype(ref._dtype.np), ref._dtype)
    dt = to_dtype(dtype) or get_default_dtype()
    return _finish(_gen(generator).normal(parse_size((size,)), dt.np, mean, std), requires_grad, device)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input._dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input._dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input._dtype, requires_grad=requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli: draws with probabilities ``input`` (or a scalar p)."""
    probs = input._data if p is None else p
    return _make(_gen(generator).bernoulli(probs, input._data.shape, input._dtype.np), input._dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """torch.multinomial."""
    return _make(_gen(generator).multinomial(input._data, num_samples, replacement), int64)


def _fill_inplace(self, arr):
    from .._dispatch import check_inplace
    check_inplace(self)
    np.copyto(self._data, arr, casting="unsafe")
    self._version[0] += 1
    return self


def _bind():
    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return _fill_inplace(self, _gen(generator).uniform(self._data.shape, self._dtype.np, a, b))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _fill_inplace(self, _gen(generator).normal(self._data.shape, self._dtype.np, mean, std))

    def random_(self, from_=None, to=None, *, generator=None):
        g = _gen(generator)
        if from_ is None and to is None:
            return _fill_inplace(self, g.random_full(self._data.shape, self._dtype.np))
        if to is None:
            from_, to = 0, from_
        return _fill_inplace(self, g.random_int(self._data.shape, self._dtype.np, from_, to))

    def bernoulli_(self, p=0.5, *, generator=None):
        probs = p._data if isinstance(p, Tensor) else p
        return _fill_inplace(self, _gen(generator).bernoulli(probs, self._data.shape, self._dtype.np))

    def exponential_(self, lambd=1.0, *, generator=None):
        return _fill_inplace(self, _gen(generator).exponential(self._data.shape, self._dtype.np, lambd))

    Tensor.uniform_ = uniform_
    Tensor.normal_ = normal_
    Tensor.random_ = random_
    Tensor.bernoulli_ = bernoulli_
    Tensor.exponential_ = exponential_
    Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
    Tensor.multinomial = lambda self, n, replacement=False, *, generator=None: multinomial(self, n, replacement,
                                                                                       generator=generator)


_bind()
