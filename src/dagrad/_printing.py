"""Tensor ``repr``/``str`` that reproduces torch's output character for character.

The rules follow ``torch/_tensor_str.py``:

* One formatter per tensor (two for complex: real and imaginary parts) decides,
  from the nonzero finite values, between three modes: *integer* (every value is
  integral -> ``1.``), *fixed* (``{:.4f}``) and *scientific* (``{:.4e}``, chosen
  when max/min > 1000, max > 1e8 or min < 1e-4).  All elements are right-aligned
  to the widest formatted value.
* Tensors with more than ``threshold`` elements are summarised: only the first
  and last ``edgeitems`` entries of every dimension are shown, and the formatter
  only looks at those entries.
* Rows wrap to ``linewidth``; nested dimensions are separated by ``dim - 1``
  newlines and indented by one space per nesting level after ``tensor(``.
* Suffixes (``size=``, ``dtype=``, ``grad_fn=``/``requires_grad=``) follow the
  contents and wrap onto a new line when they would overflow ``linewidth``.

The only textual difference from torch is that dtypes print as ``dagrad.float64``.
"""
import contextlib
import dataclasses
import math

import numpy as np

from . import _dtype

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None  # None: chosen per tensor; True/False: forced


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """torch.set_printoptions.  As in torch, ``sci_mode`` is always overwritten (None if omitted)."""
    if profile is not None:
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current options as a dict that can be passed back to set_printoptions(**d)."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (same arguments as set_printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses a number format and common width for a set of values (torch's _Formatter)."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not floating:
            # bool prints True/False, integers as Python ints: the widest is the min or the max
            if flat.size:
                self.width = max(len(f"{flat.min().item()}"), len(f"{flat.max().item()}"))
            return
        # float16/float32 -> float64 is exact, and torch formats Python floats (doubles) too
        flat = flat.astype(np.float64)
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return  # only zeros/nan/inf: integer mode, width 1
        absvals = np.abs(vals)
        lo, hi = float(absvals.min()), float(absvals.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            # computed in double like torch; hi / lo overflowing to inf is fine
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "." that marks a float
        else:
            spec, extra = f".{p}f", 0
        # The formatted length only grows with |v| in fixed/integer mode, and in sci mode
        # it depends on the exponent's digit count, largest at the extremes of |v|; so the
        # widest value is an extreme of |v| among the positives or among the negatives.
        candidates = []
        for group in (absvals[vals > 0], -absvals[vals < 0]):
            if group.size:
                candidates += [float(group.min()), float(group.max())]
        self.width = max(len(format(v, spec)) + extra for v in candidates)

    def format(self, value):
        if not self.floating:
            ret = f"{value}"
        elif self.sci_mode:
            ret = format(value, f"{self.width}.{PRINT_OPTS.precision}e")
        elif self.int_mode:
            ret = f"{value:.0f}"
            if math.isfinite(value):
                ret += "."
        else:
            ret = format(value, f".{PRINT_OPTS.precision}f")
        return ret.rjust(self.width)


def _summarized_data(arr):
    """The entries a summarised print shows: first/last edgeitems along every dimension."""
    e = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if not e:
        # nothing but "..." is printed, so the formatter needs no values
        return arr.reshape(-1)[:0]
    for axis, n in enumerate(arr.shape):
        if n > 2 * e:
            arr = np.take(arr, np.r_[0:e, n - e:n], axis=axis)
    return arr


class _ElementFormatter:
    """Formats one element, real or complex, with the shared formatter(s)."""

    def __init__(self, arr, dtype, summarize):
        data = _summarized_data(arr) if summarize else arr
        if dtype.is_complex:
            self.real = _Formatter(data.real, True)
            self.imag = _Formatter(data.imag, True)
            # ", " between elements plus the imaginary part and its "j"
            self.element_length = self.real.width + 2 + self.imag.width + 1
        else:
            self.real = _Formatter(data, dtype.is_floating_point)
            self.imag = None
            self.element_length = self.real.width + 2

    def __call__(self, value):
        if self.imag is None:
            return self.real.format(value)
        real_str = self.real.format(value.real)
        imag_str = (self.imag.format(value.imag) + "j").lstrip()
        # a sign already present (negative numbers, -0.0) doubles as the separator
        if imag_str[0] in "+-":
            return real_str + imag_str
        return real_str + "+" + imag_str


def _vector_str(arr, indent, summarize, fmt):
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        items = [fmt(v) for v in arr[:e].tolist()] + [" ..."] + [fmt(v) for v in arr[-e:].tolist()]
    else:
        items = [fmt(v) for v in arr.tolist()]
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / fmt.element_length))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    n, e = arr.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * e:
        rows = list(range(e)) + [None] + list(range(n - e, n))
    else:
        rows = range(n)
    slices = ["..." if i is None else _nested_str(arr[i], indent + 1, summarize, fmt) for i in rows]
    # sub-blocks of a d-dim tensor are separated by d - 1 newlines
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(arr, dtype, indent):
    summarize = arr.size > PRINT_OPTS.threshold
    fmt = _ElementFormatter(arr, dtype, summarize)
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(tensor_str, suffixes, indent):
    parts = [tensor_str]
    # torch's count: the last line's length plus 2 (also when there is no newline)
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        # wrap exactly where torch does: measure "dagrad.float64" as torch's "torch.float64"
        suffix_len = len(suffix.replace("=dagrad.", "=torch."))
        if last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
        else:
            parts.append(", " + suffix)
            last_line_len += suffix_len + 2
    parts.append(")")
    return "".join(parts)


def _grad_fn_name(grad_fn):
    name = getattr(grad_fn, "name", None)
    if callable(name):
        return name().rsplit("::", 1)[-1]
    return type(grad_fn).__name__


def tensor_repr(t, *, tensor_contents=None):
    """repr(t) as torch prints it; ``tensor_contents`` replaces the bracketed values."""
    arr = np.asarray(t._data)
    dtype = t.dtype
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = _dtype.get_default_dtype()
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        # no elements to infer an integer dtype from, so only the default float is implicit
        if dtype is not default:
            suffixes.append("dtype=" + repr(dtype))
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        # dtypes that the printed values imply (torch.tensor of them gives back the same dtype)
        if dtype not in (default, _dtype.default_complex(), _dtype.int64, _dtype.bool_):
            suffixes.append("dtype=" + repr(dtype))
        tensor_str = None if tensor_contents is not None else _tensor_str(arr, dtype, indent)
    if tensor_contents is not None:
        tensor_str = tensor_contents

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + tensor_str, suffixes, indent)
