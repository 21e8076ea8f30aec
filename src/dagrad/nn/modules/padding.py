"""Padding layers: constant/zero, reflection, replication and circular padding in 1, 2 and 3 dimensions."""
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """``padding`` is an int or a (left, right[, top, bottom[, front, back]]) tuple; F.pad's order."""

    __constants__ = ["padding"]
    _dims = 1
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._dims)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """torch.nn.ConstantPad1d."""


class ConstantPad2d(_ConstantPadNd):
    """torch.nn.ConstantPad2d."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """torch.nn.ConstantPad3d."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """torch.nn.ZeroPad1d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """torch.nn.ZeroPad2d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """torch.nn.ZeroPad3d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """torch.nn.ReflectionPad1d."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """torch.nn.ReflectionPad2d."""

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """torch.nn.ReflectionPad3d."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """torch.nn.ReplicationPad1d."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """torch.nn.ReplicationPad2d."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """torch.nn.ReplicationPad3d."""

    _dims, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        # unlike F.pad, the module accepts only (un)batched inputs of its own dimensionality
        lo, hi = self._dims + 1, self._dims + 2
        if input.dim() not in (lo, hi):
            raise ValueError(f"expected {lo}D or {hi}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """torch.nn.CircularPad1d."""


class CircularPad2d(_CircularPadNd):
    """torch.nn.CircularPad2d."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """torch.nn.CircularPad3d."""

    _dims = 3
