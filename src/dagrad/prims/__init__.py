"""THE derivative table: every differentiable primitive, by family (see _prim.Prim for the record)."""
from . import conv, elementwise, indexing, linalg, nn, reduction, shape
from ._prim import ALL_PRIMS, Prim
