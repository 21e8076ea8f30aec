"""dagrad.nn.functional: torch.nn.functional's functions, as composites of dagrad ops and a few primitives."""
from .._dispatch import apply
from .._dtype import to_dtype
from ..ops import math as _math
from ..ops._checks import wrap_dim
from ..prims import nn as _P


def _reduction_check(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.mse_loss."""
    _reduction_check(reduction)
    if input.shape != target.shape:
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.".replace("dagrad.Size", "torch.Size"), UserWarning, stacklevel=2)
    return apply(_P.mse_loss, (input, target), {"reduction": reduction})


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmax."""
    if dtype is not None:
        input = input.to(to_dtype(dtype))
    return apply(_P.softmax, (input,), {"dim": wrap_dim(dim, input.ndim) if input.ndim else None})


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.log_softmax."""
    if dtype is not None:
        input = input.to(to_dtype(dtype))
    return apply(_P.log_softmax, (input,), {"dim": wrap_dim(dim, input.ndim) if input.ndim else None})


def relu(input, inplace=False):
    """torch.nn.functional.relu."""
    return input.relu_() if inplace else _math.relu(input)


def sigmoid(input):
    return _math.sigmoid(input)


def tanh(input):
    return _math.tanh(input)
