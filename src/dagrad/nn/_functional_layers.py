"""torch.nn.functional's layer functions: linear, dropout, embedding, one_hot, distances, normalisation, attention."""
import math

import numpy as np

from .._dispatch import apply, scalar_type_name
from .._dtype import bool_, int32, int64
from .._tensor import _make
from ..autograd.grad_mode import no_grad
from ..ops import linalg as _linalg
from ..ops._checks import wrap_dim
from ..prims import nn as _P


def _named(t, name):
    if t.grad_fn is not None:
        t.grad_fn.name_override = name
    return t


# ---- linear layers ------------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """torch.nn.functional.linear: x @ W^T + b (AddmmBackward0 / MmBackward0 for 2-d input, as torch)."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() == 1:
        if bias is not None:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return _linalg.matmul(input, weight)
    k = input.shape[-1]
    if k != weight.shape[1]:
        rows = input.numel() // k if k else 0
        raise _linalg._cannot_multiply((rows, k), tuple(weight.t().shape))
    if input._dtype is not weight._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_linalg._C_NAMES[input._dtype.name]} != {_linalg._C_NAMES[weight._dtype.name]}")
    if bias is not None and bias._dtype is not input._dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {scalar_type_name(bias._dtype)} and "
                           f"{scalar_type_name(input._dtype)}")
    wt = weight.t()
    if input.dim() == 2:
        return _linalg.mm(input, wt) if bias is None else _linalg.addmm(bias, input, wt)
    lead = tuple(input.shape[:-1])
    flat = input.reshape(-1, k)
    if bias is None:
        if input.dim() == 1:
            return _linalg.matmul(input, wt)
        return _named(_linalg.mm(flat, wt).reshape(lead + (weight.shape[0],)), "UnsafeViewBackward0")
    return _linalg.addmm(bias, flat, wt).view(lead + (weight.shape[0],))


def bilinear(input1, input2, weight, bias=None):
    """torch.nn.functional.bilinear: y_o = x1^T W_o x2 + b_o."""
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    lead = tuple(input1.shape[:-1])
    o, i, j = weight.shape
    x1, x2 = input1.reshape(-1, i), input2.reshape(-1, j)
    # (n, i) @ (i, o*j) -> (n, o, j), then contract j with x2
    t = x1.mm(weight.permute(1, 0, 2).reshape(i, o * j)).reshape(-1, o, j)
    out = (t * x2.unsqueeze(1)).sum(-1).view(lead + (o,))
    return out if bias is None else out + bias


# ---- dropout --------------------------------------------------------------------------------------------
_ALPHA = 1.7580993408473766  # SELU's alpha * scale: alpha dropout keeps a SELU network's mean and variance


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, training, inplace, feature=False, alpha=False):
    """torch's CPU _dropout_impl: noise = empty.bernoulli_(1 - p), scaled by 1 / (1 - p), times the input."""
    from ..ops.creation import empty, zeros
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        z = zeros((), dtype=input.dtype)
        return input.mul_(z) if inplace else input * z
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    noise = empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
        noise.mul_(a)
        return (input.mul_(noise) if inplace else input * noise).add_(b)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout: zero each element with probability p, scale the rest by 1 / (1 - p)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """torch.nn.functional.alpha_dropout."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """torch.nn.functional.feature_alpha_dropout: alpha dropout of whole channels."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _feature_dropout(input, p, training, inplace, batched):
    x = input if batched else (input.unsqueeze_(0) if inplace else input.unsqueeze(0))
    out = _dropout_impl(x, p, training, inplace, feature=True)
    if not batched:
        out = out.squeeze_(0) if inplace else out.squeeze(0)
    return out


def dropout1d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout1d: zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout2d: zero whole channels of (N, C, H, W) inputs."""
    import warnings
    _check_p(p)
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", UserWarning, stacklevel=2)
    if d == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout3d."""
    import warnings
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, d == 5)


# ---- embedding and one_hot ----------------------------------------------------------------------------
def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place and outside autograd, the looked-up rows whose norm exceeds max_norm."""
    rows = np.unique(indices)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1) if norm_type not in (1, 2) else (
        np.abs(w[rows]).sum(1) if norm_type == 1 else np.sqrt((w[rows] * w[rows]).sum(1)))
    big = norms > max_norm
    if big.any():
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7)).astype(w.dtype)[:, None]
        weight._version[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """torch.nn.functional.embedding: rows of weight; padding_idx's row gets no gradient."""
    if input.dtype is not int64 and input.dtype is not int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{scalar_type_name(input.dtype)}Tensor instead (while checking "
                           "arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    idx = input._data.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return apply(_P.embedding, (weight,), {"indices": idx, "padding_idx": padding_idx,
                                           "scale_grad_by_freq": scale_grad_by_freq, "num_weights": n})


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """torch.nn.functional.embedding_bag: sums, means or maxes of bags of embeddings."""
    if input.dim() == 2:
        bags = [input[i] for i in range(input.shape[0])]
        psw = [per_sample_weights[i] for i in range(input.shape[0])] if per_sample_weights is not None else None
    else:
        offs = [int(v) for v in offsets._data]
        ends = offs[1:] + [input.shape[0]] if not include_last_offset else offs[1:]
        starts = offs if not include_last_offset else offs[:-1]
        bags = [input[s:e] for s, e in zip(starts, ends)]
        psw = [per_sample_weights[s:e] for s, e in zip(starts, ends)] if per_sample_weights is not None else None
    from ..ops.shape import stack
    from ..ops.creation import zeros
    outs = []
    for i, bag in enumerate(bags):
        if padding_idx is not None:
            keep = bag._data != (padding_idx % weight.shape[0])
            sel = np.flatnonzero(keep)
            bag = bag[_make(sel, int64)]
            if psw is not None:
                psw[i] = psw[i][_make(sel, int64)]
        if bag.numel() == 0:
            outs.append(zeros(weight.shape[1], dtype=weight.dtype))
            continue
        rows = embedding(bag, weight, None, max_norm, norm_type, scale_grad_by_freq)
        if psw is not None:
            rows = rows * psw[i].unsqueeze(-1)
        outs.append(rows.sum(0) if mode == "sum" else rows.mean(0) if mode == "mean" else rows.max(0)[0])
    return stack(outs)


def one_hot(tensor, num_classes=-1):
    """torch.nn.functional.one_hot: int64 (..., num_classes)."""
    if tensor.dtype is not int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    arr = tensor._data
    if num_classes == -1:
        if arr.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(arr.max()) + 1
    if arr.size:
        if arr.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if arr.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(arr.shape + (num_classes,), np.int64)
    np.put_along_axis(out, arr[..., None], 1, -1)
    return _make(out, int64)


# ---- distances and normalisation helpers --------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """torch.nn.functional.normalize: input / max(||input||_p, eps) along dim."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """torch.nn.functional.cosine_similarity: each input divided by its (clamped) norm first, then summed."""
    from ..ops.shape import broadcast_tensors
    from .._dispatch import common_dtype
    dt = common_dtype((x1, x2))
    x1, x2 = broadcast_tensors(x1.to(dt), x2.to(dt))
    d = wrap_dim(dim, x1.dim())
    n1 = x1.norm(2, d, keepdim=True).clone()
    n2 = x2.norm(2, d, keepdim=True).clone()
    with no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p over the last dim."""
    dim = max(x1.dim(), x2.dim()) - 1
    return _named((x1 - x2 + eps).norm(p, dim, keepdim=keepdim), "NormBackward1")


def pdist(input, p=2):
    """torch.nn.functional.pdist: distances between all pairs of rows (upper triangle, row-major)."""
    i, j = np.triu_indices(input.shape[0], 1)
    diff = input[_make(i.astype(np.int64), int64)] - input[_make(j.astype(np.int64), int64)]
    return _named(diff.norm(p, 1), "PdistBackward0")


# ---- normalisation layers ---------------------------------------------------------------------------------
def _check_numel(name, t, c):
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """torch.nn.functional.batch_norm: batch statistics when training (updating the running ones in place with
    momentum and the unbiased variance), the running statistics otherwise."""
    shape = tuple(input.shape)
    axes = (0,) + tuple(range(2, input.dim()))
    n = int(np.prod([shape[a] for a in axes]))
    if training and n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"torch.Size({list(shape)})")
    c = shape[1]
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_numel(name, t, c)
    arr = input._data
    dt = arr.dtype
    if training:
        acc = arr.astype(np.float64) if dt != np.float64 else arr
        mean = acc.mean(axis=axes)
        var = acc.var(axis=axes)
        invstd = 1.0 / np.sqrt(var + eps)
        with no_grad():
            if running_mean is not None:
                running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean
                running_mean._version[0] += 1
            if running_var is not None:
                running_var._data[...] = (1 - momentum) * running_var._data + momentum * var * (n / max(n - 1, 1))
                running_var._version[0] += 1
    else:
        mean = running_mean._data
        invstd = 1.0 / np.sqrt(running_var._data.astype(np.float64) + eps)
    return apply(_P.batch_norm, (input, weight, bias), {
        "mean": np.array(mean, dt), "invstd": np.array(invstd, dt), "training": bool(training), "axes": axes,
        "eps": eps})


def _normalized(normalized_shape):
    return (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.layer_norm over the trailing normalized_shape dims."""
    ns = _normalized(normalized_shape)
    k = len(ns)
    if tuple(input.shape[input.dim() - k:]) != ns or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
    axes = tuple(range(input.dim() - k, input.dim()))
    return apply(_P.layer_norm, (input, weight, bias), {"axes": axes, "eps": eps})


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.group_norm: statistics over each group of channels (and all spatial positions)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    return apply(_P.group_norm, (input, weight, bias), {"groups": num_groups, "eps": eps})


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """torch.nn.functional.rms_norm: x / sqrt(mean(x^2) + eps) * weight (eps defaults to the dtype's epsilon)."""
    ns = _normalized(normalized_shape)
    k = len(ns)
    if tuple(input.shape[input.dim() - k:]) != ns or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps) if input._data.dtype.kind == "f" else 1.1920928955078125e-07
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """torch.nn.functional.instance_norm: batch norm of the (1, N*C, ...) view."""
    shape = tuple(input.shape)
    if use_input_stats and int(np.prod(shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(shape)})")
    b, c = shape[:2]

    def rep(t):
        return None if t is None else t.repeat(b)
    rm, rv = rep(running_mean), rep(running_var)
    out = batch_norm(input.contiguous().view((1, b * c) + shape[2:]), rm, rv, rep(weight), rep(bias),
                     use_input_stats, momentum, eps)
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(rm.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(rv.view(b, c).mean(0))
    return out.view(shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """torch.nn.functional.local_response_norm: normalise by a moving average of squares across channels."""
    from ._functional_conv import pad
    from ._functional_pool import avg_pool2d, avg_pool3d
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = pad(div.view(sizes[0], 1, sizes[1], sizes[2], -1), (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    return input / div.mul(alpha).add(k).pow(beta)


# ---- attention ------------------------------------------------------------------------------------------------
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """torch.nn.functional.scaled_dot_product_attention: softmax(q k^T * scale + mask) v (torch's math path)."""
    from ..ops.creation import ones, zeros
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        causal = ones(L, S, dtype=bool_).tril(0)
        bias = zeros(L, S, dtype=query.dtype).masked_fill(causal.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype is bool_:
            bias = zeros(attn_mask.shape, dtype=query.dtype).masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            bias = attn_mask
    if enable_gqa:
        key = key.repeat_interleave(query.shape[-3] // key.shape[-3], -3)
        value = value.repeat_interleave(query.shape[-3] // value.shape[-3], -3)
    # torch's math path scales q and k by sqrt(scale) each before the product
    s = math.sqrt(scale_factor)
    attn = (query * s) @ (key * s).transpose(-2, -1)
    if bias is not None:
        attn = attn + bias
    from ._functional_activations import softmax
    attn = softmax(attn, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn @ value
