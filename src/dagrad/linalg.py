"""dagrad.linalg: the torch.linalg functions dagrad provides (norms and matrix products so far)."""
from .ops.linalg import matmul
from .ops.reduction import vector_norm

__all__ = ["vector_norm", "norm", "matrix_norm", "matmul", "vecdot"]


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """torch.linalg.matrix_norm for ord='fro' (the square root of the sum of squares over ``dim``)."""
    if ord != "fro":
        raise NotImplementedError(f"dagrad.linalg.matrix_norm: ord={ord!r} is not implemented yet (only 'fro')")
    return vector_norm(A, 2, dim, keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: the vector 2-norm by default, the Frobenius norm for ord='fro' on matrices."""
    if ord == "fro" or (ord is None and dim is not None and not isinstance(dim, int) and len(dim) == 2):
        return matrix_norm(A, "fro", dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def vecdot(x, y, *, dim=-1):
    """torch.linalg.vecdot: sum(x * y) over ``dim`` (real tensors)."""
    return (x * y).sum(dim)
