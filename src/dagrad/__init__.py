"""dagrad: PyTorch's autograd and training stack in Python on NumPy (``import dagrad as torch``)."""
__version__ = "0.1.0"

import warnings as _warnings

# numpy's floating-point RuntimeWarnings (log(0), 0/0, overflow) raised inside dagrad's own code stay silent,
# as torch's kernels are; the filter matches dagrad's modules only, so user numpy code is untouched
_warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered",
                         category=RuntimeWarning, module=r"dagrad\.")

from ._dtype import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64,
                     complex128, dtype, get_default_dtype, set_default_dtype, promote_types)
from ._dtype import ALIASES as _ALIASES
from . import autograd  # first: the autograd package must be initialised before the Tensor module
from ._tensor import Tensor, Size, device
from . import _tensor_methods  # noqa: F401  (attaches operators and methods to Tensor)
from .autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .ops.creation import (tensor, as_tensor, from_numpy, zeros, ones, full, empty, eye, arange, linspace, logspace,
                           zeros_like, ones_like, full_like, empty_like, scalar_tensor, complex_ as complex)
from .ops.random import (rand, randn, randint, randperm, normal, rand_like, randn_like, randint_like, bernoulli,
                         multinomial)
from .ops.math import *  # noqa: F401,F403
from .ops.math import abs, round, pow, where, clone  # explicit: shadowed builtins
from .ops.reduction import (sum, nansum, mean, nanmean, prod, var, std, var_mean, std_mean, norm, logsumexp, cumsum,
                            cumprod, max, min, amax, amin, aminmax, argmax, argmin, median, all, any, count_nonzero,
                            return_types)
from .ops.shape import (view_as, reshape, flatten, unflatten, squeeze, unsqueeze, transpose, swapaxes, swapdims, t,
                        permute, movedim, moveaxis, broadcast_to, broadcast_tensors, tile, repeat_interleave, cat,
                        concat, concatenate, stack, hstack, vstack, row_stack, dstack, select, narrow, unbind, split,
                        chunk, tensor_split, flip, fliplr, flipud, roll, tril, triu, diagonal, diag, diag_embed,
                        meshgrid, atleast_1d, atleast_2d)
from .ops._checks import broadcast_shapes
from .ops.indexing import (gather, scatter, scatter_add, index_select, index_add, masked_fill, masked_select, take,
                           take_along_dim, nonzero, argwhere, sort, argsort, topk, kthvalue, unique, unique_consecutive,
                           searchsorted, bucketize, index_put)
from .ops.linalg import matmul, mm, bmm, mv, dot, outer, ger, einsum, addmm, baddbmm, tensordot, inner
from ._tensor_methods import addcmul, addcdiv
from .random import Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state, default_generator
from . import autograd, linalg, nn, random
from ._printing import set_printoptions, get_printoptions

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128
strided = "strided"
contiguous_format = "contiguous_format"
preserve_format = "preserve_format"
channels_last = "channels_last"


def is_tensor(obj):
    """torch.is_tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    from ._dispatch import common_dtype
    return common_dtype((tensor1, tensor2))


def can_cast(from_, to):
    from ._dispatch import _can_cast
    return _can_cast(from_, to)


def softmax(input, dim, dtype=None):
    return nn.functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    return nn.functional.log_softmax(input, dim, dtype=dtype)


def relu(input):
    return nn.functional.relu(input)


def get_num_threads():
    return 1


def set_num_threads(n):
    pass


def compile(model=None, **kwargs):
    """torch.compile: dagrad runs eagerly, so compiling returns the model unchanged."""
    return model if model is not None else (lambda m: m)


class _Cuda:
    """torch.cuda: reports no CUDA device (the CuPy backend will change this)."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def manual_seed(seed):
        pass

    manual_seed_all = manual_seed


cuda = _Cuda()


class _Backends:
    class mps:
        @staticmethod
        def is_available():
            return False


backends = _Backends()

from . import optim, utils  # noqa: E402
from .serialization import *  # noqa: E402,F401,F403  (save, load)
