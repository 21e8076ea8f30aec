"""torch.nn.functional's loss functions: primitives where torch has a dedicated node, composites elsewhere."""
import math
import warnings

import numpy as np

from .._dispatch import apply, scalar_type_name
from .._dtype import int64, uint8
from ..autograd.grad_mode import no_grad
from ..ops.shape import broadcast_tensors
from ..prims import nn as _P
from ._functional_activations import log_softmax, logsigmoid


def _size_str(shape):
    return f"torch.Size({list(shape)})"


def _legacy_reduction(size_average, reduce):
    """torch's _Reduction.legacy_get_string, with its deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  UserWarning, stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size_str(target.shape)}) that is different to the input size "
                      f"({_size_str(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def _expanded(input, target):
    if tuple(target.shape) == tuple(input.shape):
        return input, target
    return broadcast_tensors(input, target)


def _weighted(loss, weight, input, reduction, mean_by_weight=True):
    """torch's weighting path of mse/l1 (mean divides by the weight sum) and huber (plain mean)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _not_differentiable(fname, arg, t):
    from ..autograd.grad_mode import is_grad_enabled
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fname}' is not differentiable with respect to argument '{arg}'. This "
                           "input cannot have requires_grad True.")


def _float_only(input, kernel):
    if input.dtype._kind < 2:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(input.dtype)}\'')


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.mse_loss (MseLossBackward0)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    x, y = _expanded(input, target)
    if weight is not None:
        return _weighted((x - y).pow(2), weight, input, reduction)
    reduction = _reduction(reduction)
    _float_only(x, "mse_cpu")
    return apply(_P.mse_loss, (x, y), {"reduction": reduction})


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.l1_loss: |x - y| then the reduction (torch records no dedicated node)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    x, y = _expanded(input, target)
    if weight is not None:
        return _weighted((x - y).abs(), weight, input, reduction)
    return _reduce((x - y).abs(), _reduction(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """torch.nn.functional.smooth_l1_loss: quadratic below beta, linear above."""
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _expanded(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce((x - y).abs(), reduction)
    return apply(_P.smooth_l1_loss, (x, y), {"reduction": reduction, "beta": beta})


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """torch.nn.functional.huber_loss: quadratic below delta, delta-scaled linear above."""
    _warn_size(input, target)
    x, y = _expanded(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        loss = apply(_P.huber_loss, (x, y), {"reduction": "none", "delta": delta})
        return _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return apply(_P.huber_loss, (x, y), {"reduction": _reduction(reduction), "delta": delta})


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.soft_margin_loss: log(1 + exp(-y x))."""
    reduction = _reduction(reduction, size_average, reduce)
    _not_differentiable("soft_margin_loss", "target", target)
    return apply(_P.soft_margin_loss, _expanded(input, target), {"reduction": reduction})


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.binary_cross_entropy (each log clamped at -100, like torch)."""
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size_str(target.shape)}) that is different to the input size "
                         f"({_size_str(input.shape)}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        _not_differentiable("binary_cross_entropy", "weight", weight)
        weight = weight.expand(np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
    arr = input._data
    if arr.size and not ((arr >= 0) & (arr <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    arr = target._data
    if arr.size and not ((arr >= 0) & (arr <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    return apply(_P.binary_cross_entropy, (input, target, weight), {"reduction": reduction})


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """torch.nn.functional.binary_cross_entropy_with_logits (stable: log-sigmoid form)."""
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size_str(target.shape)}) must be the same as input size "
                         f"({_size_str(input.shape)})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    return apply(_P.binary_cross_entropy_with_logits, (input, target, weight, pos_weight), {"reduction": reduction})


# ---- negative log likelihood and cross entropy ----------------------------------------------------------------
def _check_target_dtype(target):
    if target.dtype is not int64 and target.dtype is not uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_type_name(target.dtype)}")


def _check_weight(weight, n_classes, prefix=""):
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


def _nll_core(prim, input, target, weight, ignore_index, reduction):
    t = target._data.astype(np.int64)
    n_classes = input.shape[1] if input.dim() > 1 else input.shape[0]
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    w = None if weight is None else weight._data.astype(np.float64)
    return apply(prim, (input,), {"target": t, "weight": w, "ignore_index": ignore_index, "reduction": reduction})


def _nll_nd(input, target, weight, ignore_index, reduction):
    """torch's nll_loss_nd: 1-d/2-d inputs directly, 4-d as NllLoss2d, others reshaped to (N, C, 1, -1)."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    _check_target_dtype(target)
    if input.dim() != 1 and input.shape[0] != (target.shape[0] if target.dim() else 1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 1}).")
    n_classes = input.shape[1] if input.dim() > 1 else input.shape[0]
    _check_weight(weight, n_classes)
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return _nll_core(_P.nll_loss, input, target, weight, ignore_index, reduction)
    if input.dim() == 4:
        if target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                               f"{target.dim()}")
        if tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}")
        return _nll_core(_P.nll_loss2d, input, target, weight, ignore_index, reduction)
    out_size = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != out_size:
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    n, c = input.shape[:2]
    x = input.reshape(n, c, 1, -1) if input.numel() else input
    t = target.reshape(n, 1, -1) if target.numel() else target
    out = _nll_core(_P.nll_loss2d, x, t, weight, ignore_index, reduction)
    return out.view(out_size) if reduction == "none" else out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """torch.nn.functional.nll_loss: -w[t] * input[t], averaged over the weights of the non-ignored targets."""
    return _nll_nd(input, target, weight, ignore_index, _reduction(reduction, size_average, reduce))


def _class_weight(weight, input, class_dim):
    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _named(t, name):
    if t.grad_fn is not None:
        t.grad_fn.name_override = name
    return t


def _ce_probs(input, target, weight, reduction, label_smoothing):
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    _check_weight(weight, n_classes, "cross_entropy: ")
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target if weight is None else logp * target * _class_weight(weight, logp, class_dim)
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    if input.numel() == 0:
        return -prod.sum() * float("nan")
    return _named(-prod.sum() / (input.numel() // n_classes), "DivBackward1")


def _ce_smoothed(input, target, weight, reduction, ignore_index, label_smoothing):
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    nll = _nll_nd(logp, target, weight, ignore_index, reduction)
    n_classes = logp.shape[class_dim]
    smooth = -(logp if weight is None else logp * _class_weight(weight, logp, class_dim)).sum(class_dim)
    ignore = target == ignore_index
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = target._data[~ignore._data].astype(np.int64).ravel()
            ret = smooth.sum() / weight[kept].sum()
        else:
            ret = smooth.sum() / (~ignore).sum()
    else:
        ret = smooth.sum() if reduction == "sum" else smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: class indices (log_softmax + nll_loss) or class probabilities."""
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(input.shape) == tuple(target.shape):
        if target.dtype._kind != 2:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{scalar_type_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
        return _ce_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
        return _ce_smoothed(input, target, weight, reduction, ignore_index, label_smoothing)
    return _nll_nd(log_softmax(input, 0 if input.dim() == 1 else 1), target, weight, ignore_index, reduction)


# ---- divergences and likelihoods ----------------------------------------------------------------------
def _xlogy_self(t):
    """torch.xlogy(t, t): 0 where t = 0 (whose gradient is nan there, as torch's is)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t * t.log()).masked_fill(t == 0, 0.0)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """torch.nn.functional.kl_div (input is log-probabilities; 'batchmean' divides by the batch size)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          UserWarning, stacklevel=2)
        if reduction != "batchmean":
            _reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input.shape[0] if input.dim() != 0 else out
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """torch.nn.functional.poisson_nll_loss."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(t!), counted only where t > 1
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """torch.nn.functional.gaussian_nll_loss: 0.5 * (log(var) + (input - target)^2 / var)."""
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ..ops.creation import ones_like
        var = var * ones_like(input)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses ---------------------------------------------------------------------------
def _clamp_min0(t):
    return _named(t.clamp(min=0), "ClampMinBackward0")


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.cosine_embedding_loss: 1 - cos for y = 1, max(0, cos - margin) for y = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    td = target.dim()
    if td == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    dim = td
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    zeros = cos * 0
    pos = (1 - cos).where(target == 1, zeros)
    neg = (cos - margin).clamp(min=0).where(target == -1, zeros)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.margin_ranking_loss: max(0, -y * (x1 - x2) + margin)."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size_str(input1.shape)}, input2: {_size_str(input2.shape)}, target: "
                           f"{_size_str(target.shape)} ")
    return _reduce(_clamp_min0(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.hinge_embedding_loss: x for y = 1, max(0, margin - x) for y = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    zeros = input * 0
    margin_part = (margin - input).clamp(min=0).where(target != 1, zeros)
    self_part = input.where(target != -1, zeros)
    return _reduce(margin_part + self_part, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """torch.nn.functional.triplet_margin_loss: max(0, margin + d(a, p) - d(a, n))."""
    from ._functional_layers import pairwise_distance
    reduction = _reduction(reduction, size_average, reduce)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ..ops.math import minimum
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_clamp_min0(margin + d_pos - d_neg), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """torch.nn.functional.triplet_margin_with_distance_loss."""
    from ._functional_layers import pairwise_distance
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        from ..ops.math import minimum
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), _reduction(reduction))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.multilabel_soft_margin_loss."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """torch.nn.functional.multi_margin_loss: sum over i != y of max(0, margin - x[y] + x[i])^p / C."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target.reshape(-1, 1)
    z = (margin - x.gather(1, t) + x).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[target.reshape(-1)].reshape(-1, 1)
    from ..ops.creation import zeros_like
    not_target = ~zeros_like(x, dtype=_bool()).scatter(1, t, True)
    loss = (z * not_target).sum(1) / x.shape[1]
    if input.dim() < 2:
        loss = loss.reshape(target.shape)
    return _named(_reduce(loss, reduction), "MultiMarginLossBackward0")


def _bool():
    from .._dtype import bool_
    return bool_


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.multilabel_margin_loss: targets are class indices ended by the first -1; each pairs
    with every non-target class i as max(0, 1 - (x[y] - x[i])), summed and divided by C."""
    from .._tensor import _make
    reduction = _reduction(reduction, size_average, reduce)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target._data.reshape(x.shape).astype(np.int64)
    n, c = x.shape
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    is_target = np.zeros((n, c), bool)
    rows = np.repeat(np.arange(n), c).reshape(n, c)
    is_target[rows[valid], t[valid]] = True
    xy = x.gather(1, _make(np.where(valid, t, 0), int64))
    z = (1 - xy.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = (z * _make(mask, _bool())).sum((1, 2)) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return _named(_reduce(loss, reduction), "MultilabelMarginLossBackward0")
