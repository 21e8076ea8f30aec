"""Matrix products: matmul (every rank pairing torch allows), mm, bmm, mv, dot, outer, einsum, addmm, tensordot."""
import string

from .._dispatch import apply
from ..prims import linalg as L

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _same_dtype(a, b):
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a._dtype.name]} != "
                           f"{_C_NAMES[b._dtype.name]}")


def _shape_str(s):
    return "x".join(map(str, s))


def _transposed(arr):
    """A 2-d array laid out column-major (the .t() of a contiguous matrix)."""
    return arr.ndim == 2 and arr.flags.f_contiguous and not arr.flags.c_contiguous


def _cannot_multiply(a, b):
    """torch's matrix-shape error, with a note for learners (str(err) stays torch's text)."""
    err = RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a)} and {_shape_str(b)})")
    err.add_note(f"dagrad hint: A @ B needs A's columns ({a[-1]}) to equal B's rows ({b[0]}); check the layer "
                 "sizes (a Linear's in_features must match the features of its input), or whether one side "
                 "needs a transpose (.T).")
    return err


def mm(input, mat2):
    """torch.mm: (n x k) @ (k x m)."""
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _cannot_multiply(input._data.shape, mat2._data.shape)
    _same_dtype(input, mat2)
    return apply(L.mm_t if _transposed(mat2._data) else L.mm, (input, mat2))


def bmm(input, mat2):
    """torch.bmm: batched (b x n x k) @ (b x k x m)."""
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, k = input._data.shape
    if mat2._data.shape[:2] != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                           f"[{mat2._data.shape[0]}, {mat2._data.shape[1]}].")
    _same_dtype(input, mat2)
    return apply(L.bmm, (input, mat2))


def mv(input, vec):
    """torch.mv: matrix @ vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1 or input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat ({_shape_str(input._data.shape)}), "
                           f"vec ({vec._data.shape[0]})")
    _same_dtype(input, vec)
    return apply(L.mv, (input, vec))


def dot(input, other):
    """torch.dot: inner product of two 1-d tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{other._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    if input._dtype is not other._dtype:
        from .._dispatch import scalar_type_name
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{scalar_type_name(input._dtype)} and {scalar_type_name(other._dtype)}")
    return apply(L.dot, (input, other))


inner_1d = dot


def matmul(input, other):
    """torch.matmul, dispatching per rank pairing to the node torch records (Dot, Mv, Mm, SqueezeBackward4, ...)."""
    a, b = input._data.ndim, other._data.ndim
    if a == 0 or b == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a}D and {b}D")
    if a == 1 and b == 1:
        return dot(input, other)
    if a == 2 and b == 1:
        return mv(input, other)
    if a == 2 and b == 2:
        return mm(input, other)
    _same_dtype(input, other)
    _check_matmul_shapes(input._data.shape, other._data.shape)
    if a == 1 and b == 2:
        return apply(L.vecmat, (input, other))
    if b == 1:
        return apply(L.matvec_nd, (input, other))
    if a == 1:
        out = apply(L.matmul_nd, (input.unsqueeze(0), other)).squeeze(-2)
    else:
        out = apply(L.matmul_nd, (input, other))
    if out.grad_fn is not None:
        out.grad_fn.name_override = _matmul_node_name(input, other)
    return out


def _check_matmul_shapes(xs, ys):
    """torch's error for a batched matmul, as the kernel it folds to (mm, mv or bmm) words it."""
    k_a, k_b = xs[-1], (ys[0] if len(ys) == 1 else ys[-2])
    if len(ys) <= 2:
        m = _prod(xs[:-1])
        if k_a == k_b:
            return
        if len(ys) == 1:
            raise RuntimeError(f"size mismatch, got input ({m}), mat ({m}x{k_a}), vec ({k_b})")
        raise _cannot_multiply((m, k_a), ys)
    from ._checks import broadcast_fold
    batch = broadcast_fold([xs[:-2], ys[:-2]])
    if k_a != k_b:
        n = _prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k_a}] but got: "
                           f"[{n}, {k_b}].")


def _matmul_node_name(x, y):
    """The last node torch's matmul records for a batched product (a naming detail users see)."""
    xs, ys = x._data.shape, y._data.shape
    if len(xs) == 3 and len(ys) == 3 and (xs[0] == 1) != (ys[0] == 1):
        # one 3-d operand with a unit batch is squeezed to a matrix first
        xs, ys = (xs[1:], ys) if xs[0] == 1 else (xs, ys[1:])
    if len(xs) == 2 and len(ys) >= 3 and x._requires_grad:
        # folded as (y^T @ x^T)^T: the transpose is copied unless a unit dim leaves it contiguous
        return "TransposeBackward0" if xs[0] == 1 or ys[-1] == 1 else "CloneBackward0"
    return "UnsafeViewBackward0"


def _prod(s):
    n = 1
    for v in s:
        n *= v
    return n


def outer(input, vec2):
    """torch.outer (recorded as a broadcast multiply, as torch does)."""
    return input.reshape(-1, 1) * vec2


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """torch.addmm: beta * input + alpha * (mat1 @ mat2)."""
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise _cannot_multiply(mat1._data.shape, mat2._data.shape)
    return apply(L.addmm_t if _transposed(mat2._data) else L.addmm, (input, mat1, mat2), {"beta": beta, "alpha": alpha})


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """torch.baddbmm: beta * input + alpha * (batch1 @ batch2)."""
    return apply(L.baddbmm, (input, batch1, batch2), {"beta": beta, "alpha": alpha})


def _explicit_spec(equation, operands):
    """Rewrite an einsum equation without spaces, ellipses or an implicit output."""
    eq = equation.replace(" ", "")
    ins, _, out = eq.partition("->")
    subs = ins.split(",")
    used = set(eq) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((op._data.ndim - len(s.replace("...", "")) for s, op in zip(subs, operands) if "..." in s), default=0)
    ell = "".join(free[:n_ell])
    new_subs = []
    for s, op in zip(subs, operands):
        if "..." in s:
            k = op._data.ndim - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:])
        new_subs.append(s)
    if "->" not in eq:
        letters = "".join(new_subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return ",".join(new_subs) + "->" + out


def _check_einsum(equation, operands):
    for i, c in enumerate(equation):
        if not (c.isascii() and c.isalpha()) and c not in " .,->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               f"must be in [a-zA-Z]")
    subs = equation.replace(" ", "").partition("->")[0].split(",")
    if len(operands) < len(subs):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(operands) > len(subs):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for i, (s, op) in enumerate(zip(subs, operands)):
        n, nd = len(s.replace("...", "")), op._data.ndim
        if "..." not in s and n != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not match the number "
                               f"of dimensions ({nd}) for operand {i} and no ellipsis was given")
        if "..." in s and n > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more than the number "
                               f"of dimensions ({nd}) for operand {i}")


def _broadcast_operands(spec, operands):
    """Expand size-1 dims to the size other operands give the same subscript (torch broadcasts them)."""
    subs = spec.split("->")[0].split(",")
    size = {}
    for i, (s, op) in enumerate(zip(subs, operands)):
        for c, n in zip(s, op._data.shape):
            seen = size.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {seen}")
            size[c] = max(seen, n) if n != 1 else seen
    out = []
    for s, op in zip(subs, operands):
        want = tuple(size[c] for c in s)
        out.append(op if op._data.shape == want or len(set(s)) != len(s) else op.expand(*want))
    return tuple(out)


def einsum(equation, *operands):
    """torch.einsum (ellipses, implicit outputs and size-1 broadcasting supported)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    _check_einsum(equation, operands)
    spec = _explicit_spec(equation, operands)
    return apply(L.einsum, _broadcast_operands(spec, operands), {"spec": spec})


def tensordot(a, b, dims=2):
    """torch.tensordot: contract the last ``dims`` dims of a with the first of b (or the listed dims)."""
    if isinstance(dims, int):
        da = list(range(-dims, 0))  # torch words its errors with these negative dims
        db = list(range(dims))
    else:
        da, db = ([dims[0]] if isinstance(dims[0], int) else list(dims[0])), \
            ([dims[1]] if isinstance(dims[1], int) else list(dims[1]))
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for x, y in zip(da, db):
        sx, sy = a._data.shape[x], b._data.shape[y]
        if sx != sy:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sx} in dim {x} and second "
                               f"has size {sy} in dim {y}")
    da = [d % a._data.ndim for d in da]
    db = [d % b._data.ndim for d in db]
    fa = [d for d in range(a._data.ndim) if d not in da]
    fb = [d for d in range(b._data.ndim) if d not in db]
    k = _prod(a._data.shape[d] for d in da)
    am = a.permute(*(fa + da)).reshape(-1, k)
    bm = b.permute(*(db + fb)).reshape(k, -1)
    return am.mm(bm).reshape(*([a._data.shape[d] for d in fa] + [b._data.shape[d] for d in fb]))


def inner(input, other):
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))
