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
    """torch.broadcast_shapes."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i in range(1, len(s) + 1):
            d = s[-i]
            if out[-i] == 1:
                out[-i] = d
            elif d != 1 and d != out[-i]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is "
                                   f"between arg 0 and arg 1.")
    return tuple(out)


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
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
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
