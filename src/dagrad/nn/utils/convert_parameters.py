"""Flatten parameters into one vector and back: parameters_to_vector, vector_to_parameters (torch.nn.utils)."""
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """torch.nn.utils.parameters_to_vector: concatenate the flattened parameters (differentiably)."""
    from ...ops.shape import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """torch.nn.utils.vector_to_parameters: make each parameter's data a slice of ``vec`` (shared storage)."""
    if not isinstance(vec, Tensor):
        from ...optim.optimizer import typename
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
