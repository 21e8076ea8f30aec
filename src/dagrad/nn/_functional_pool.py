"""torch.nn.functional's pooling: max, average, power-average and adaptive pools (1-d, 2-d, 3-d)."""
import numpy as np

from .._dispatch import apply
from .._dtype import int64
from .._tensor import _make
from ..prims import conv as C
from ._functional_conv import _ntuple, _renamed, _size


# ---- pooling -------------------------------------------------------------------------------------
def _pool_args(kernel_size, stride, padding, dilation, nd):
    k = _ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _ntuple(stride, nd)
    return k, s, _ntuple(padding, nd, "padding"), _ntuple(dilation, nd, "dilation")


def _pool_checks(x, k, s, p, d, ceil_mode, nd, effective=True):
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if x.dim() not in (nd + 1, nd + 2) or any(n == 0 for n in x.shape[-nd - 1:]):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    in_sp = tuple(x.shape[-nd:])
    out_sp = tuple(C.pool_out_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(in_sp, k, s, p, d))
    if any(o < 1 for o in out_sp):
        c = x.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + in_sp))}). Calculated output size: "
                           f"({'x'.join(map(str, (c,) + out_sp))}). Output size is too small")
    return out_sp


def _batched(x, nd):
    return x if x.dim() == nd + 2 else x.unsqueeze(0), x.dim() == nd + 2


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, prim):
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, nd)
    out_sp = _pool_checks(input, k, s, p, d, ceil_mode, nd)
    x, batched = _batched(input, nd)
    idx = C.max_pool_argmax(x._data, k, s, p, d, out_sp)
    overlap = any(ss < (kk - 1) * dd + 1 for kk, ss, dd in zip(k, s, d))
    out = apply(prim, (x,), {"indices": idx, "in_shape": x._data.shape, "overlap": overlap})
    indices = _make(idx, int64)
    if not batched:
        out, indices = _renamed(out.squeeze(0), prim.name), indices.squeeze(0)
    return (out, indices) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """torch.nn.functional.max_pool2d (indices are flat per-plane positions, like torch's)."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, C.max_pool2d)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """torch.nn.functional.max_pool3d."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, C.max_pool3d)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """torch.nn.functional.max_pool1d: a 2-d pool over a height-1 view (SqueezeBackward1, as in torch)."""
    if input.dim() not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{_size(input.shape)}")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, 1)
    if p[0] > k[0] // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p[0]} and "
                           f"kernel_size={k[0]}")
    if C.pool_out_size(input.shape[-1], k[0], s[0], p[0], d[0], ceil_mode) < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: "
                           f"{C.pool_out_size(input.shape[-1], k[0], s[0], p[0], d[0], ceil_mode)}")
    r = max_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, (1,) + d, ceil_mode, True)
    out = r[0].squeeze(-2)
    return (out, r[1].squeeze(-2)) if return_indices else out


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, prim):
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, nd)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out_sp = _pool_checks(input, k, s, p, (1,) * nd, ceil_mode, nd)
    div = C.avg_pool_divisor(tuple(input.shape[-nd:]), k, s, p, out_sp, count_include_pad, divisor_override)
    return apply(prim, (input,), {"ksize": k, "stride": s, "padding": p, "out_sp": out_sp, "divisor": div,
                                  "in_shape": tuple(input.shape)})


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """torch.nn.functional.avg_pool2d."""
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                       C.avg_pool2d)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """torch.nn.functional.avg_pool3d."""
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                       C.avg_pool3d)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """torch.nn.functional.avg_pool1d (a 2-d pool over a height-1 view)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, 1)
    return avg_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, ceil_mode, count_include_pad).squeeze(-2)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """torch.nn.functional.lp_pool2d: (sum over the window of x^p)^(1/p)."""
    kw, kh = _ntuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), (kw, kh), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """torch.nn.functional.lp_pool1d."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


def _adaptive_windows(n, o):
    """torch's adaptive windows: [floor(i*n/o), ceil((i+1)*n/o))."""
    i = np.arange(o)
    start = (i * n) // o
    end = ((i + 1) * n + o - 1) // o
    return start, end


def _adaptive_size(output_size, input, nd):
    size = _ntuple(output_size, nd, "output_size") if not isinstance(output_size, (list, tuple)) else tuple(
        output_size)
    return tuple(int(input.shape[-nd + i]) if v is None else int(v) for i, v in enumerate(size))


def _adaptive_avg_maps(in_sp, out_sp, dtype):
    maps = []
    for n, o in zip(in_sp, out_sp):
        start, end = _adaptive_windows(n, o)
        length = end - start
        terms = tuple((np.minimum(start + j, end - 1), np.where(j < length, 1.0 / length, 0.0).astype(dtype))
                      for j in range(int(length.max())))
        maps.append((n, terms))
    return tuple(maps)


def _adaptive_avg_poolnd(input, output_size, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"adaptive_avg_pool{nd}d(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_size(input.shape)}")
    out_sp = _adaptive_size(output_size, input, nd)
    if all(o == 1 for o in out_sp):
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    maps = _adaptive_avg_maps(tuple(input.shape[-nd:]), out_sp, input._data.dtype)
    return apply(C.RESAMPLE[name], (input,), {"maps": maps})


def adaptive_avg_pool2d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool2d (separable: a weighted gather along each spatial dim)."""
    return _adaptive_avg_poolnd(input, output_size, 2, "AdaptiveAvgPool2DBackward0")


def adaptive_avg_pool3d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool3d."""
    return _adaptive_avg_poolnd(input, output_size, 3, "AdaptiveAvgPool3DBackward0")


def adaptive_avg_pool1d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool1d."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {_size(input.shape)}")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + _ntuple(output_size, 1)).squeeze(-2)


def _adaptive_max_argmax(arr, out_sp):
    nd = len(out_sp)
    in_sp = arr.shape[-nd:]
    wins = [_adaptive_windows(n, o) for n, o in zip(in_sp, out_sp)]
    best = arg = None
    for off in np.ndindex(*[int((e - s).max()) for s, e in wins]):
        pos = [np.minimum(s + j, e - 1) for j, (s, e) in zip(off, wins)]
        grid = np.ix_(*pos)
        v = arr[(Ellipsis,) + grid]
        flat = 0
        for dim, pp in enumerate(grid):
            flat = flat * in_sp[dim] + pp
        flat = np.broadcast_to(flat, v.shape)
        if best is None:
            best, arg = v.copy(), flat.copy()
            continue
        upd = v > best
        if arr.dtype.kind == "f":
            upd |= np.isnan(v)
        np.copyto(best, v, where=upd)
        np.copyto(arg, flat, where=upd)
    return arg


def _adaptive_max_poolnd(input, output_size, return_indices, nd, prim):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"adaptive_max_pool{nd}d(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{_size(input.shape)}")
    out_sp = _adaptive_size(output_size, input, nd)
    x, batched = _batched(input, nd)
    idx = _adaptive_max_argmax(x._data, out_sp)
    out = apply(prim, (x,), {"indices": idx, "in_shape": x._data.shape, "overlap": True})
    indices = _make(idx, int64)
    if not batched:
        out, indices = _renamed(out.squeeze(0), prim.name), indices.squeeze(0)
    return (out, indices) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool2d."""
    return _adaptive_max_poolnd(input, output_size, return_indices, 2, C.adaptive_max_pool2d)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool3d."""
    return _adaptive_max_poolnd(input, output_size, return_indices, 3, C.adaptive_max_pool3d)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool1d."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {_size(input.shape)}")
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1,) + _ntuple(output_size, 1), True)
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out


def _with_indices(pool):
    def fn(input, *args, **kwargs):
        kwargs["return_indices"] = True
        return pool(input, *args, **kwargs)
    fn.__name__ = pool.__name__ + "_with_indices"
    fn.__doc__ = f"torch.nn.functional.{fn.__name__}: (values, indices)."
    return fn


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """torch.nn.functional.lp_pool3d."""
    kd, kw, kh = _ntuple(kernel_size, 3)
    out = avg_pool3d(input.pow(norm_type), (kd, kw, kh), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kw * kh).pow(1.0 / norm_type)


def _unpool_size(input, kernel_size, stride, padding, output_size, nd):
    k = _ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _ntuple(stride, nd)
    p = _ntuple(padding, nd, "padding")
    default = [(n - 1) * ss + kk - 2 * pp for n, ss, kk, pp in zip(input.shape[-nd:], s, k, p)]
    if output_size is None:
        return tuple(default)
    size = list(output_size)[-nd:]
    for d in range(nd):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < size[d] < hi:
            raise ValueError(f'invalid output_size "{list(output_size)}" (dim {d} must be between {lo} and {hi})')
    return tuple(size)


def _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, nd, prim):
    """Scatter values to their indices: max pooling's own adjoint primitive, named as torch names unpooling."""
    out_sp = _unpool_size(input, kernel_size, stride, padding, output_size, nd)
    x, batched = _batched(input, nd)
    idx = indices._data.reshape(x.shape).astype(np.int64)
    out = apply(prim, (x,), {"indices": idx, "in_shape": tuple(x.shape[:2]) + out_sp, "overlap": False})
    return _renamed(out if batched else out.squeeze(0), f"MaxUnpool{nd}DBackward0")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """torch.nn.functional.max_unpool1d: place values back at their max_pool1d indices, zeros elsewhere."""
    size = None if output_size is None else (1,) + tuple(output_size)[-1:]
    out = max_unpool2d(input.unsqueeze(-2), indices.unsqueeze(-2), (1,) + _ntuple(kernel_size, 1),
                       (1,) + _ntuple(kernel_size if stride is None else stride, 1), (0,) + _ntuple(padding, 1), size)
    return out.squeeze(-2)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """torch.nn.functional.max_unpool2d."""
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 2, C.max_pool2d_scatter)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """torch.nn.functional.max_unpool3d."""
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 3, C.max_pool3d_scatter)
