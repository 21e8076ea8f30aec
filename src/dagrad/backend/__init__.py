"""The array backend: the only place numpy (and later cupy) is imported by name for computation."""
import numpy as np

xp = np


def get_xp(arr):
    """The array module that owns ``arr`` (numpy today; cupy arrays will answer cupy)."""
    return np
