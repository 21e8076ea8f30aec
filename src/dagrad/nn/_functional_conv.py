"""torch.nn.functional's spatial functions: convolutions, unfold/fold, padding, interpolation, pixel shuffle."""
import math

import numpy as np

from .._dispatch import apply, scalar_type_name
from ..prims import conv as C

_C_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def _ntuple(v, n, name="stride"):
    if isinstance(v, (list, tuple)):
        v = tuple(int(a) for a in v)
        if len(v) == 1 and n > 1:
            return v * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                               f"convolution dimensions, but got {name}={list(v)}")
        return v
    return (int(v),) * n


def _size(shape):
    return list(shape)


def _renamed(t, name):
    """torch handles unbatched inputs inside the kernel; dagrad adds a batch dim, so name the last node as torch."""
    if t.grad_fn is not None:
        t.grad_fn.name_override = name
    return t


# ---- convolution -----------------------------------------------------------------------------------
def _check_dims(input, nd, fname):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got input "
                           f"of size: {_size(input.shape)}")
    return input.dim() == nd + 2


def _check_types(input, weight, bias):
    if input._dtype is not weight._dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(input._dtype)} but found "
                           f"{scalar_type_name(weight._dtype)}")
    if bias is not None and bias._dtype is not input._dtype:
        raise RuntimeError(f"Input type ({_C_TYPE.get(input._dtype.name, input._dtype.name)}) and bias type "
                           f"({_C_TYPE.get(bias._dtype.name, bias._dtype.name)}) should be the same")


def _conv_padding(padding, nd, ksize, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        # an odd total splits evenly; torch puts the extra element on the high side
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(ksize, dilation))
    pad = _ntuple(padding, nd, "padding")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pad)


def _conv_geometry(input, weight, stride, padding, dilation, groups, nd):
    if weight.dim() != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.dim() - 2} values to "
                           f"match the convolution dimensions, but got stride={list(_ntuple(stride, nd))}")
    stride, dilation = _ntuple(stride, nd, "stride"), _ntuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ksize = tuple(weight.shape[2:])
    return stride, _conv_padding(padding, nd, ksize, stride, dilation), dilation


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, fname):
    batched = _check_dims(input, nd, fname)
    x = input if batched else input.unsqueeze(0)
    stride, pads, dilation = _conv_geometry(x, weight, stride, padding, dilation, groups, nd)
    o = weight.shape[0]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{_size(weight.shape)}] instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_size(weight.shape)}, expected input"
                           f"{_size(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    _check_types(x, weight, bias)
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {_size(weight.shape)}, expected bias to be 1-dimensional with {o} "
                           f"elements, but got bias of size {_size(bias.shape)} instead")
    padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation)]
    if any(p < k for p, k in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    out = apply(C.conv, (x, weight, bias), {"stride": stride, "padding": pads, "dilation": dilation,
                                            "groups": groups})
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d: windows through a strided view, one matrix product per layer."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv3d."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, fname):
    batched = _check_dims(input, nd, fname)
    x = input if batched else input.unsqueeze(0)
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    stride, pads, dilation = _conv_geometry(x, weight, stride, padding, dilation, groups, nd)
    out_pad = _ntuple(output_padding, nd, "output_padding")
    if any(op >= s and op >= d for op, s, d in zip(out_pad, stride, dilation)):
        names = _AXES[nd]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(
            [f"output_padding_{a}: {v}" for a, v in zip(names, out_pad)] + [f"stride_{a}: {v}" for a, v in zip(
                names, stride)] + [f"dilation_{a}: {v}" for a, v in zip(names, dilation)]))
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {_size(weight.shape)}, expected input"
                           f"{_size(x.shape)} to have {weight.shape[0]} channels, but got {x.shape[1]} channels "
                           "instead")
    c_out = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != c_out):
        raise RuntimeError(f"Given transposed=1, weight of size {_size(weight.shape)}, expected bias to be "
                           f"1-dimensional with {c_out} elements, but got bias of size {_size(bias.shape)} instead")
    _check_types(x, weight, bias)
    in_sp = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, (p, _), d, k, op in zip(
        x.shape[2:], stride, pads, dilation, weight.shape[2:], out_pad))
    out = apply(C.conv_transpose, (x, weight, bias), {"in_sp": in_sp, "stride": stride, "padding": pads,
                                                      "dilation": dilation, "groups": groups})
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose1d."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose2d: the adjoint of conv2d (col2im of W^T x)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose3d."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")


# ---- unfold / fold -----------------------------------------------------------------------------------
def _fold_args(kernel_size, dilation, padding, stride):
    k, d, p, s = (_ntuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    return k, d, tuple((a, a) for a in p), s, p


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.unfold (im2col): (N, C, H, W) -> (N, C*kh*kw, L)."""
    if input.dim() not in (3, 4) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {_size(input.shape)}")
    k, d, pads, s, p = _fold_args(kernel_size, dilation, padding, stride)
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    sp = tuple(x.shape[2:])
    out_sp = tuple(C.conv_out_size(n, kk, ss, pp, pp, dd) for n, kk, ss, pp, dd in zip(sp, k, s, p, d))
    if any(o < 1 for o in out_sp):
        raise RuntimeError(f"Given input with spatial size {sp}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"calculated shape of the array of sliding blocks as {out_sp}, but its components must "
                           "be at least one.")
    out = apply(C.im2col, (x,), {"sp": sp, "ksize": k, "dilation": d, "padding": pads, "stride": s})
    return out if batched else _renamed(out.squeeze(0), C.im2col.name)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.fold (col2im): sums overlapping blocks back into (N, C, H, W)."""
    if input.dim() not in (2, 3) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {_size(input.shape)}")
    k, d, pads, s, p = _fold_args(kernel_size, dilation, padding, stride)
    sp = _ntuple(output_size, 2)
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size={k}.")
    blocks = [C.conv_out_size(n, a, b, c, c, e) for n, a, b, c, e in zip(sp, k, s, p, d)]
    if x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={sp}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           "expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}.")
    out = apply(C.col2im, (x,), {"sp": sp, "ksize": k, "dilation": d, "padding": pads, "stride": s})
    return out if batched else _renamed(out.squeeze(0), C.col2im.name)


# ---- padding --------------------------------------------------------------------------------------
_NON_CONSTANT_HELP = ("Supported combinations for non-constant padding:\n"
                      "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                      "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                      "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pad_index(mode, n, lo, hi):
    """Source index of each output position of one padded dim (negative amounts crop)."""
    j = np.arange(n + lo + hi) - lo
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular: torch crops first, then wraps around what is left
    start, kept = max(-lo, 0), n + min(lo, 0) + min(hi, 0)
    return start + (np.arange(n + lo + hi) - max(lo, 0)) % kept


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: constant (negative amounts crop), reflect, replicate or circular."""
    pad = [int(v) for v in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    # pad lists (lo, hi) from the last dim backwards
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k)))
    shape = tuple(input.shape)
    if mode == "constant":
        for i, (lo, hi) in enumerate(pairs):
            dim = input.dim() - k + i
            if shape[dim] + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return apply(C.constant_pad, (input,), {"pads": pairs, "value": 0 if value is None else value})
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0 and mode != "circular":
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                                  + _NON_CONSTANT_HELP)
    maps = []
    for i, (lo, hi) in enumerate(pairs):
        dim = input.dim() - k + i
        n = shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * (k - 1 - i)}: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                               f"{_size(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        maps.append((n, ((_pad_index(mode, n, lo, hi), None),)))
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0",
            "circular": "CopySlices"}[mode]
    return apply(C.RESAMPLE[name], (input,), {"maps": tuple(maps)})


# ---- interpolation ------------------------------------------------------------------------------
def _src_scale(n, o, align_corners, scale, ft):
    """torch's area_pixel_compute_scale, in the input's float type."""
    if align_corners:
        return ft(n - 1) / ft(o - 1) if o > 1 else ft(0)
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n) / ft(o)


def _nearest_index(n, o, scale, exact):
    if not exact and o == n:
        return np.arange(o)
    if not exact and o == 2 * n:
        return np.arange(o) >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n) / np.float32(o)
    dst = np.arange(o, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * s if exact else dst * s).astype(np.int64)
    return np.minimum(src, n - 1)


def _linear_terms(n, o, align_corners, scale, ft):
    if o == n:
        return ((np.arange(o), None),)
    r = _src_scale(n, o, align_corners, scale, ft)
    dst = np.arange(o).astype(ft)
    src = r * dst if align_corners else np.maximum(r * (dst + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    lam1 = np.clip(src - i0.astype(ft), 0, 1).astype(ft)
    i1 = i0 + (i0 < n - 1)
    return ((i0, (ft(1) - lam1).astype(ft)), (i1, lam1))


def _cubic_terms(n, o, align_corners, scale, ft):
    if o == n:
        return ((np.arange(o), None),)
    a = ft(-0.75)
    r = _src_scale(n, o, align_corners, scale, ft)
    dst = np.arange(o).astype(ft)
    src = r * dst if align_corners else r * (dst + ft(0.5)) - ft(0.5)
    i = np.floor(src).astype(np.int64)
    t = (src - i.astype(ft)).astype(ft)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    ws = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return tuple((np.clip(i - 1 + j, 0, n - 1), w.astype(ft)) for j, w in enumerate(ws))


_MODES = {"nearest": ("UpsampleNearest{}DBackward0", None), "nearest-exact": ("UpsampleNearestExact{}DBackward0", None),
          "linear": ("UpsampleLinear1DBackward0", 1), "bilinear": ("UpsampleBilinear2DBackward0", 2),
          "trilinear": ("UpsampleTrilinear3DBackward0", 3), "bicubic": ("UpsampleBicubic2DBackward0", 2)}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """torch.nn.functional.interpolate: nearest, nearest-exact, (bi/tri)linear, bicubic, area."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    scales = None
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                                 f"spatial dimensions of {_size(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            out_sp = tuple(int(v) for v in size)
        else:
            out_sp = (int(size),) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {_size(input.shape[2:])} and scale_factor of "
                                 f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                                 "and scale_factor in (s1, s2, ...,sK) format.")
            scales = tuple(float(v) for v in scale_factor)
        else:
            scales = (float(scale_factor),) * nd
        out_sp = tuple(int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales))
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if antialias:
        raise NotImplementedError("dagrad: interpolate(antialias=True) is not implemented")
    if mode == "area" and input.dim() in (3, 4, 5):
        from ._functional_pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
        return [adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d][nd - 1](input, out_sp)
    if mode in _MODES:
        name, need = _MODES[mode]
        if need is not None and need != nd and input.dim() in (3, 4, 5):
            wanted = {1: "3D", 2: "4D", 3: "5D"}[need]
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {wanted} input")
        if input.dim() in (3, 4, 5):
            return _upsample(input, out_sp, scales, mode, align_corners, name.format(nd))
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
                              "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                              f"nearest-exact (got {mode})")


def _upsample(input, out_sp, scales, mode, align_corners, name):
    ft = input._data.dtype.type if input._data.dtype.kind == "f" else np.float32
    maps = []
    for i, (n, o) in enumerate(zip(input.shape[2:], out_sp)):
        s = scales[i] if scales is not None else None
        if mode in ("nearest", "nearest-exact"):
            terms = ((_nearest_index(n, o, s, mode == "nearest-exact"), None),)
        elif mode == "bicubic":
            terms = _cubic_terms(n, o, align_corners, s, ft)
        else:
            terms = _linear_terms(n, o, align_corners, s, ft)
        maps.append((n, terms))
    return apply(C.RESAMPLE[name], (input,), {"maps": tuple(maps)})


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """torch.nn.functional.upsample (deprecated alias of interpolate)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """torch.nn.functional.upsample_nearest."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """torch.nn.functional.upsample_bilinear (align_corners=True, as torch)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """torch.nn.functional.pixel_shuffle: (*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """torch.nn.functional.pixel_unshuffle: the inverse of pixel_shuffle."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """torch.nn.functional.channel_shuffle: (N, g*c, ...) -> channels interleaved across the g groups."""
    n, c = input.shape[:2]
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest)
