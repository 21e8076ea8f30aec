"""dagrad.utils: torch.utils's data-loading package (``dagrad.utils.data``)."""
from . import data

__all__ = ["data"]
