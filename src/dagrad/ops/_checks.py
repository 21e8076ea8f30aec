"""Argument normalisation and torch's error texts for bad dims, shapes and broadcasts."""


def wrap_dim(dim, ndim):
    """Normalise a possibly negative dim; torch's IndexError when out of range (0-d tensors accept -1, 0)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else (0 if ndim == 0 else dim)


def wrap_dims(dims, ndim):
    if isinstance(dims, int):
        dims = (dims,)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        d = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def broadcast_fold(shapes):
    """The broadcast shape of several shapes, folded left to right: torch's error names the shape so far (a)
    and the next one (b)."""
    out = tuple(shapes[0])
    for s in shapes[1:]:
        err = broadcast_error((out, tuple(s)))
        if err is not None:
            raise err
        n = max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(s)) + tuple(s)
        out = tuple(x if y == 1 else y for x, y in zip(a, b))
    return out


def broadcast_error(shapes):
    """torch's text for shapes that do not broadcast, naming tensors a and b from the trailing dim."""
    a, b = shapes[0], shapes[1]
    n = max(len(a), len(b))
    for i in range(1, n + 1):
        sa = a[-i] if i <= len(a) else 1
        sb = b[-i] if i <= len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                                f"non-singleton dimension {n - i}")
    return None


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes (and torch's text for the first dim, scanned from the right, that cannot broadcast)."""
    n = max((len(s) if isinstance(s, (tuple, list)) else 1 for s in shapes), default=0)
    out = [1] * n
    for k, s in enumerate(shapes):
        dims = tuple(s) if isinstance(s, (tuple, list)) else (s,)
        for i in range(1, len(dims) + 1):
            d = dims[-i]
            if out[-i] == 1:
                out[-i] = d
            elif d != 1 and d != out[-i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {d} at {-i}! Mismatching argument "
                                   f"at index {k} had {s!r}; but expected shape should be broadcastable to {out!r}")
    from .._tensor import Size
    return Size(out)


def parse_size(size):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) or f(Size) the way torch's factories do."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def infer_shape(shape, numel):
    """Resolve one -1 in a view/reshape target; torch's errors otherwise."""
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape [{', '.join(map(str, shape))}]")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return tuple(shape)
