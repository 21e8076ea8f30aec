"""Shape functions: reshape/view, transpose/permute, squeeze/unsqueeze, expand, cat/stack, split, flip, tril..."""
import numpy as np

from .._dispatch import apply
from .._tensor import Tensor, _make
from ..prims import shape as S
from ._checks import infer_shape, parse_size, wrap_dim, wrap_dims

_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans across "
               "two contiguous subspaces). Use .reshape(...) instead.")


def _named(t, name):
    if t.grad_fn is not None:
        t.grad_fn.name_override = name
    return t


def _can_view(arr, shape):
    try:
        np.reshape(arr, shape, copy=False)
        return True
    except ValueError:
        return False


def view(input, *shape):
    """torch.Tensor.view: a view with a new shape (never copies; torch's error when impossible)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)) and shape[0] is not None:
        return input.to(shape[0])
    shape = infer_shape(parse_size(shape), input._data.size)
    if not _can_view(input._data, shape):
        raise RuntimeError(_VIEW_ERROR)
    return apply(S.view, (input,), {"shape": shape, "in_shape": input._data.shape})


def reshape(input, *shape):
    """torch.reshape: a view when the layout allows, otherwise a copy."""
    shape = infer_shape(parse_size(shape), input._data.size)
    if _can_view(input._data, shape):
        return apply(S.view, (input,), {"shape": shape, "in_shape": input._data.shape})
    return apply(S.unsafe_view, (input.clone(),), {"shape": shape, "in_shape": input._data.shape})


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """torch.flatten."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """torch.unflatten."""
    d = wrap_dim(dim, input._data.ndim)
    shape = input._data.shape
    sizes = tuple(sizes)
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't multiply up to the size "
                           f"of dim {d} ({shape[d]}) in the input tensor")
    new = shape[:d] + infer_shape(sizes, shape[d]) + shape[d + 1:]
    return view(input, new) if _can_view(input._data, new) else reshape(input, new)


def squeeze(input, dim=None):
    """torch.squeeze: drop size-1 dims (all, one, or a tuple of them)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
        name = "SqueezeBackward0"
    else:
        dims = wrap_dims(dim, input._data.ndim) if input._data.ndim else ()
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
        name = "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    return _named(apply(S.squeeze, (input,), {"shape": new, "in_shape": shape}), name)


def unsqueeze(input, dim):
    """torch.unsqueeze."""
    d = wrap_dim(dim, input._data.ndim + 1)
    shape = input._data.shape
    return apply(S.unsqueeze, (input,), {"shape": shape[:d] + (1,) + shape[d:], "in_shape": shape})


def transpose(input, dim0, dim1):
    """torch.transpose."""
    nd = input._data.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    if nd == 0:
        return apply(S.view, (input,), {"shape": (), "in_shape": ()})
    return apply(S.transpose, (input,), {"d0": d0, "d1": d1})


swapaxes = swapdims = transpose


def t(input):
    """torch.t: transpose of a matrix (vectors and scalars unchanged)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return apply(S.t, (input,))


def permute(input, *dims):
    """torch.permute."""
    dims = parse_size(dims)
    nd = input._data.ndim
    wrapped = [wrap_dim(d, nd) for d in dims] if len(dims) == nd else []
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    return apply(S.permute, (input,), {"dims": wrap_dims(dims, nd)})


def movedim(input, source, destination):
    """torch.movedim (recorded as a permute)."""
    nd = input._data.ndim
    src = wrap_dims(source, nd)
    dst = wrap_dims(destination, nd)
    order = [d for d in range(nd) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(input, *order)


moveaxis = movedim


def expand(input, *sizes):
    """torch.Tensor.expand: a broadcast view (-1 keeps a size)."""
    return apply(S.expand, (input,), {"shape": expanded_shape(input, parse_size(sizes))})


def expanded_shape(input, sizes):
    """The shape ``input.expand(*sizes)`` gives, or torch's error."""
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"expand(torch.{scalar_type_name(input._dtype)}Tensor{{[{', '.join(map(str, shape))}]}}, "
                           f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor ({len(shape)})")
    out = [0] * len(sizes)
    for i in reversed(range(len(sizes))):  # torch checks from the last dim
        s = sizes[i]
        have = shape[i - lead] if i >= lead else None
        if s == -1:
            if have is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            s = have
        elif have is not None and have != 1 and have != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                               f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                               f"Tensor sizes: [{', '.join(map(str, shape))}]")
        out[i] = s
    return tuple(out)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    """torch.broadcast_to."""
    return expand(input, size)


def broadcast_tensors(*tensors):
    """torch.broadcast_tensors."""
    from ._checks import broadcast_fold
    shape = broadcast_fold([t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def repeat(input, *sizes):
    """torch.Tensor.repeat (tile the whole tensor)."""
    reps = parse_size(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return apply(S.repeat, (input,), {"reps": reps, "in_shape": input._data.shape})


def tile(input, dims):
    """torch.tile (like repeat, padding dims with 1 at the front)."""
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, *dims)


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """torch.repeat_interleave (an index_select with repeated indices)."""
    from .indexing import index_select
    if dim is None:
        input = flatten(input)
        dim = 0
    d = wrap_dim(dim, input._data.ndim)
    if not isinstance(repeats, Tensor):
        # torch: unsqueeze, expand, then a contiguous copy viewed back (ViewBackward0)
        shape = input._data.shape
        grown = unsqueeze(input, d + 1)
        grown = expand(grown, shape[:d + 1] + (int(repeats),) + shape[d + 1:]).clone()
        return view(grown, shape[:d] + (shape[d] * int(repeats),) + shape[d + 1:])
    reps = repeats._data
    idx = np.repeat(np.arange(input._data.shape[d]), reps)
    from .._dtype import int64
    return index_select(input, d, _make(idx.astype(np.int64), int64))


def _check_cat(tensors, dim, name):
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        s = t._data.shape
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for j, (a, b) in enumerate(zip(ref, s)):
            if j != dim and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size {a} but got "
                                   f"size {b} for tensor number {i} in the list.")


def cat(tensors, dim=0, *, out=None):
    """torch.cat (promotes to the common dtype; skips legacy empty 1-d tensors like torch)."""
    from .._dispatch import common_dtype
    if len(tensors) == 0:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or list(tensors[:1])
    d = wrap_dim(dim, tensors[0]._data.ndim)
    _check_cat(tensors, d, "torch.cat")
    dt = common_dtype(tensors)
    tensors = [x if x._dtype is dt else x.to(dt) for x in tensors]
    return apply(S.cat, tuple(tensors), {"dim": d, "sizes": tuple(x._data.shape[d] for x in tensors)})


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """torch.stack."""
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got [{', '.join(map(str, ref))}] at "
                               f"entry 0 and [{', '.join(map(str, x._data.shape))}] at entry {i}")
    from .._dispatch import common_dtype
    dt = common_dtype(tensors)
    tensors = [x if x._dtype is dt else x.to(dt) for x in tensors]
    return apply(S.stack, tuple(tensors), {"dim": wrap_dim(dim, len(ref) + 1)})


def hstack(tensors):
    """torch.hstack."""
    tensors = [x if x._data.ndim else x.reshape(1) for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """torch.vstack."""
    return cat([x.reshape(1, -1) if x._data.ndim < 2 else x for x in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return cat([x.reshape(1, -1, 1) if x._data.ndim < 2 else (x.unsqueeze(-1) if x._data.ndim == 2 else x)
                for x in tensors], 2)


def select(input, dim, index):
    """torch.select: index one position along dim (a view)."""
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"[{', '.join(map(str, input._data.shape))}] at dimension {d}")
    key = (slice(None),) * d + (index,)
    return _named(apply(S.basic_index, (input,), {"index": key, "in_shape": input._data.shape}), "SelectBackward0")


def narrow(input, dim, start, length):
    """torch.narrow: a view of ``length`` elements from ``start`` along dim."""
    d = wrap_dim(dim, input._data.ndim)
    start = int(start)
    n = input._data.shape[d]
    if start < 0:
        start += n
    if start + length > n or start < 0 or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return _named(apply(S.basic_index, (input,), {"index": key, "in_shape": input._data.shape}), "SliceBackward0")


def unbind(input, dim=0):
    """torch.unbind."""
    d = wrap_dim(dim, input._data.ndim)
    return tuple(_named(select(input, d, i), "UnbindBackward0") for i in range(input._data.shape[d]))


def split(tensor, split_size_or_sections, dim=0):
    """torch.split: chunks of a size, or sections of given sizes."""
    d = wrap_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [min(size, n - s) for s in range(0, n, size)] if size else [0]
        name = "SplitBackward0"
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    out, start = [], 0
    for s in sizes:
        out.append(_named(narrow(tensor, d, start, s), name))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """torch.chunk."""
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 0
    return split(input, size, d) if size else (input,)


def tensor_split(input, indices_or_sections, dim=0):
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        bounds = [0] + list(indices_or_sections) + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


def flip(input, *dims):
    """torch.flip (the method also takes the dims unpacked: x.flip(0, 1))."""
    dims = wrap_dims(dims[0] if len(dims) == 1 else dims, input._data.ndim)
    return apply(S.flip, (input,), {"dims": dims})


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """torch.roll."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else shifts
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else dims
    return apply(S.roll, (input,), {"shifts": shifts, "dims": dims})


def tril(input, diagonal=0):
    """torch.tril."""
    return apply(S.tril, (input,), {"k": diagonal})


def triu(input, diagonal=0):
    """torch.triu."""
    return apply(S.triu, (input,), {"k": diagonal})


def diagonal(input, offset=0, dim1=0, dim2=1):
    """torch.diagonal (a view)."""
    nd = input._data.ndim
    return apply(S.diagonal, (input,), {"offset": offset, "d0": wrap_dim(dim1, nd), "d1": wrap_dim(dim2, nd)})


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """torch.diag_embed (last dim onto a diagonal of the last two dims)."""
    return apply(S.diag_embed, (input,), {"offset": offset})


def diag(input, diagonal=0):
    """torch.diag: vector -> diagonal matrix, matrix -> its diagonal."""
    if input._data.ndim == 1:
        return diag_embed(input, diagonal)
    if input._data.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input._data.ndim}D")
    return _named(diagonal_(input, diagonal), "DiagonalBackward0_copy")


diagonal_ = diagonal


def contiguous(input, memory_format=None):
    """torch.Tensor.contiguous: self if already C-contiguous, else a copy."""
    if input._data.flags.c_contiguous:
        return input
    return input.clone()


def meshgrid(*tensors, indexing="ij"):
    """torch.meshgrid."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(t._data.size for t in tensors)
    n = len(tensors)
    # 'xy': the first two inputs index columns and rows respectively
    axis = list(range(n))
    if indexing == "xy" and n >= 2:
        axis[0], axis[1] = 1, 0
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for i, x in enumerate(tensors):
        s = [1] * n
        s[axis[i]] = -1
        out.append(x.reshape(s).expand(shape))
    return tuple(out)


def atleast_1d(x):
    return x.reshape(1) if x._data.ndim == 0 else x


def atleast_2d(x):
    return x.reshape(1, 1) if x._data.ndim == 0 else (unsqueeze(x, 0) if x._data.ndim == 1 else x)
