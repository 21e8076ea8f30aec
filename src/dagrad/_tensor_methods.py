"""The operator overloads and the many one-line Tensor methods, each routed to dagrad.ops."""
import numbers

import numpy as np

from . import _dtype
from ._dispatch import apply, apply_
from ._tensor import Tensor, _make
from .ops import creation, indexing, linalg, math, reduction, shape
from .prims import elementwise as P

_Number = numbers.Number
# exact types only: numpy scalars (np.float64 subclasses float) are strongly typed in numpy, while torch
# treats them as Python scalars, so they take the slow path, where math._t converts them
_py_scalar = (int, float, bool)


# ---- arithmetic operators: the hot path goes straight to the funnel ------------------------------
def __add__(self, other):
    if isinstance(other, Tensor) or type(other) in _py_scalar:
        return apply(P.add, (self, other))
    return math.add(self, other) if not isinstance(other, (str, type(None))) else NotImplemented


def __sub__(self, other):
    if self._dtype is not _dtype.bool_ and (type(other) in (int, float) or (
            isinstance(other, Tensor) and other._dtype is not _dtype.bool_)):
        return apply(P.sub, (self, other))
    return math.sub(self, other)


def __rsub__(self, other):
    return math.rsub(self, other)


def __mul__(self, other):
    if isinstance(other, Tensor):
        return apply(P.mul, (self, other))
    if type(other) in _py_scalar:
        return apply(P.mul_scalar, (self, other))
    return math.mul(self, other) if not isinstance(other, (str, type(None))) else NotImplemented


def __truediv__(self, other):
    if isinstance(other, Tensor):
        return apply(P.div, (self, other))
    if type(other) in _py_scalar:
        return apply(P.div_scalar, (self, other))
    return math.div(self, other)


def __rtruediv__(self, other):
    return math.div(other, self)


def __pow__(self, exponent):
    return math.pow(self, exponent)


def __rpow__(self, base):
    return math.pow(math._t(base), self)


def __matmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return linalg.matmul(self, other)


def __rmatmul__(self, other):
    return linalg.matmul(creation.tensor(other), self)


def __neg__(self):
    return math.neg(self)


def __invert__(self):
    if self._dtype is _dtype.bool_:
        return math.logical_not(self)
    if self._dtype._kind != 1:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return math.bitwise_not(self)


def _logic(fn_bool, fn_int):
    def op(self, other):
        both_bool = self._dtype is _dtype.bool_ and (
            isinstance(other, bool) or (isinstance(other, Tensor) and other._dtype is _dtype.bool_))
        return fn_bool(self, other) if both_bool else fn_int(self, other)
    return op


def _methods():
    T = Tensor
    T.__add__ = T.__radd__ = __add__
    T.__sub__, T.__rsub__ = __sub__, __rsub__
    T.__mul__ = T.__rmul__ = __mul__
    T.__truediv__, T.__rtruediv__ = __truediv__, __rtruediv__
    T.__floordiv__ = lambda self, other: math.floor_divide(self, other)
    T.__rfloordiv__ = lambda self, other: math.floor_divide(other, self)
    T.__mod__ = lambda self, other: math.remainder(self, other)
    T.__rmod__ = lambda self, other: math.remainder(other, self)
    T.__pow__, T.__rpow__ = __pow__, __rpow__
    T.__matmul__, T.__rmatmul__ = __matmul__, __rmatmul__
    T.__neg__ = __neg__
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: math.abs(self)
    T.__invert__ = __invert__
    T.__and__ = T.__rand__ = _logic(math.logical_and, math.bitwise_and)
    T.__or__ = T.__ror__ = _logic(math.logical_or, math.bitwise_or)
    T.__xor__ = T.__rxor__ = _logic(math.logical_xor, math.bitwise_xor)
    comparable = (Tensor, _Number, list, np.ndarray)
    T.__eq__ = lambda self, other: math.eq(self, other) if isinstance(other, comparable) else False
    T.__ne__ = lambda self, other: math.ne(self, other) if isinstance(other, comparable) else True
    T.__lt__ = lambda self, other: math.lt(self, other)
    T.__le__ = lambda self, other: math.le(self, other)
    T.__gt__ = lambda self, other: math.gt(self, other)
    T.__ge__ = lambda self, other: math.ge(self, other)
    T.__getitem__ = indexing.getitem
    T.__setitem__ = indexing.setitem

    # in-place operators
    T.__iadd__ = lambda self, other: self.add_(other)
    T.__isub__ = lambda self, other: self.sub_(other)
    T.__imul__ = lambda self, other: self.mul_(other)
    T.__itruediv__ = lambda self, other: self.div_(other)
    T.__ipow__ = lambda self, other: self.pow_(other)
    T.__iand__ = lambda self, other: self.copy_(self & other)
    T.__ior__ = lambda self, other: self.copy_(self | other)

    for mod in (math, reduction, shape, indexing, linalg):
        for name in getattr(mod, "METHODS", ()):
            setattr(T, name, getattr(mod, name))


_METHOD_NAMES = {
    math: "add sub subtract mul multiply div divide true_divide floor_divide remainder fmod neg negative pow square "
          "float_power exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos tan asin arcsin acos arccos atan arctan "
          "sinh cosh tanh sigmoid erf erfc floor ceil trunc fix frac sign sgn abs absolute relu reciprocal isnan isinf "
          "isfinite logical_not logical_and logical_or logical_xor bitwise_not bitwise_and bitwise_or bitwise_xor "
          "round atan2 arctan2 hypot clamp clip clamp_min clamp_max maximum minimum fmax fmin lerp nan_to_num eq ne "
          "not_equal lt "
          "less le less_equal gt greater ge greater_equal equal allclose isclose clone",
    reduction: "sum nansum mean nanmean prod var std norm logsumexp cumsum cumprod max min amax amin aminmax argmax "
               "argmin median all any count_nonzero",
    shape: "view reshape view_as reshape_as flatten unflatten squeeze unsqueeze transpose swapaxes swapdims t permute "
           "movedim moveaxis expand expand_as broadcast_to repeat tile repeat_interleave select narrow unbind split "
           "chunk tensor_split flip fliplr flipud roll tril triu diagonal diag diag_embed contiguous",
    indexing: "gather scatter scatter_ scatter_add scatter_add_ index_select index_add index_add_ masked_fill "
              "masked_fill_ masked_select take take_along_dim nonzero argwhere sort argsort topk kthvalue unique "
              "index_put index_put_",
    linalg: "matmul mm bmm mv dot outer ger addmm baddbmm inner",
}
for _mod, _names in _METHOD_NAMES.items():
    _mod.METHODS = _names.split()


def _bind_inplace():
    T = Tensor
    o = math._t  # numpy scalars act as Python scalars
    T.add_ = lambda self, other, *, alpha=1: apply_(P.add, (self, o(other))) if alpha == 1 else \
        apply_(P.add_scaled, (self, o(other)), {"alpha": alpha})
    T.sub_ = lambda self, other, *, alpha=1: apply_(P.sub, (self, o(other))) if alpha == 1 else \
        apply_(P.sub_scaled, (self, o(other)), {"alpha": alpha})
    T.mul_ = lambda self, other: apply_(P.mul if isinstance(other, Tensor) else P.mul_scalar, (self, o(other)))
    T.div_ = _div_
    T.pow_ = lambda self, e: apply_(P.pow_tensor if isinstance(e, Tensor) else P.pow_scalar, (self, o(e)))
    T.neg_ = lambda self: apply_(P.neg, (self,))
    T.multiply_, T.subtract_, T.negative_ = T.mul_, T.sub_, T.neg_
    T.true_divide_ = T.divide_ = T.div_
    unary = {"exp": "exp", "log": "log", "sqrt": "sqrt", "rsqrt": "rsqrt", "sin": "sin", "cos": "cos", "tan": "tan",
             "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "floor": "floor", "ceil": "ceil", "trunc": "trunc",
             "fix": "trunc", "frac": "frac", "sign": "sign", "sgn": "sgn", "reciprocal": "reciprocal",
             "expm1": "expm1", "log1p": "log1p", "log2": "log2", "log10": "log10", "exp2": "exp2", "erf": "erf",
             "erfc": "erfc", "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "atan": "atan",
             "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "abs": "abs_", "absolute": "abs_"}
    for name, prim_name in unary.items():
        setattr(T, name + "_", (lambda p: lambda self: apply_(p, (self,)))(getattr(P, prim_name)))
    T.square_ = lambda self: apply_(P.pow_scalar, (self, 2))
    T.round_ = lambda self, *, decimals=0: apply_(P.round_decimals, (self,), {"decimals": decimals}) if decimals \
        else apply_(P.round_, (self,))
    T.nan_to_num_ = lambda self, nan=0.0, posinf=None, neginf=None: apply_(
        P.nan_to_num, (self,), {"nan": nan, "posinf": posinf, "neginf": neginf})
    T.clamp_ = T.clip_ = _clamp_
    T.clamp_min_ = lambda self, min: _clamp_(self, min=min) if isinstance(min, Tensor) else \
        apply_(P.clamp_min, (self,), {"lo": o(min)})
    T.clamp_max_ = lambda self, max: _clamp_(self, max=max) if isinstance(max, Tensor) else \
        apply_(P.clamp_max, (self,), {"hi": o(max)})
    T.copy_ = _copy_
    T.fill_ = _fill_
    T.zero_ = lambda self: apply_(P.zero, (self,))
    T.lerp_ = lambda self, end, weight: apply_(P.lerp_tensor, (self, end, weight)) if isinstance(weight, Tensor) \
        else apply_(P.lerp, (self, end, o(weight)))
    T.addcmul_ = lambda self, t1, t2, *, value=1: apply_(P.addcmul, (self, t1, t2), {"value": value})
    T.addcdiv_ = lambda self, t1, t2, *, value=1: apply_(P.addcdiv, (self, t1, t2), {"value": value})
    T.atan2_ = T.arctan2_ = lambda self, other: apply_(P.atan2, (self, o(other)))
    T.hypot_ = lambda self, other: apply_(P.hypot, (self, o(other)))
    T.fmod_ = lambda self, other: apply_(P.fmod if isinstance(other, Tensor) else P.fmod_scalar, (self, o(other)))
    T.remainder_ = lambda self, other: apply_(P.remainder if isinstance(other, Tensor) else P.remainder_scalar,
                                              (self, o(other)))
    T.floor_divide_ = lambda self, other: apply_(P.floor_divide, (self, o(other)))
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and",
                 "bitwise_or", "bitwise_xor"):
        setattr(T, name + "_", (lambda p: lambda self, other: apply_(p, (self, o(other))))(getattr(P, name)))
    T.not_equal_, T.less_, T.less_equal_, T.greater_, T.greater_equal_ = T.ne_, T.lt_, T.le_, T.gt_, T.ge_
    T.logical_not_ = lambda self: apply_(P.logical_not, (self,))
    T.bitwise_not_ = lambda self: apply_(P.bitwise_not, (self,))
    T.maximum_ = lambda self, other: self.copy_(math.maximum(self, other))
    # in-place view ops: self takes the view's shape and records the node under torch's in-place name
    T.t_ = lambda self: _inplace_view(self, shape.t(self), "TBackward1")
    T.transpose_ = T.swapdims_ = T.swapaxes_ = lambda self, d0, d1: _inplace_view(
        self, shape.transpose(self, d0, d1), "TransposeBackward1")
    T.unsqueeze_ = lambda self, d: _inplace_view(self, shape.unsqueeze(self, d), "UnsqueezeBackward1")
    T.squeeze_ = lambda self, d=None: _inplace_view(self, shape.squeeze(self, d), "SqueezeBackward3" if d is None
                                                    else "SqueezeBackward4" if isinstance(d, int)
                                                    else "SqueezeBackward5")


def _div_(self, other, *, rounding_mode=None):
    """torch.Tensor.div_."""
    other = math._t(other)
    if rounding_mode is None:
        return apply_(P.div if isinstance(other, Tensor) else P.div_scalar, (self, other))
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return apply_(P.div_floor if rounding_mode == "floor" else P.div_trunc, (self, other))


def _clamp_(self, min=None, max=None):
    """torch.Tensor.clamp_ (scalar bounds: ClampBackward1; tensor bounds: ClampBackward0)."""
    min, max = math._t(min), math._t(max)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return apply_(P.clamp_tensor, (self, min, max))
    return apply_(P.clamp, (self,), {"lo": min, "hi": max})


def _inplace_view(self, out, name):
    from ._dispatch import check_inplace
    check_inplace(self)
    node = out.grad_fn  # read before the version bump, which would make ``out`` (a view of self) rebuild it
    self._data = out._data
    self._version_counter[0] += 1
    if self._base is not None:
        # still a view of the same base, one view op further along
        self._view_chain = out._view_chain
        if self._view_version is not None:
            self._view_version = self._version_counter[0]
    if node is not None:
        node.name_override = name
        self.grad_fn = node
    return self


def _copy_(self, src, non_blocking=False):
    """torch.Tensor.copy_: src (broadcast to self's shape, cast to self's dtype) written into self."""
    if not isinstance(src, Tensor):
        src = creation.tensor(src)
    if src._data.shape != self._data.shape:
        from .ops._checks import broadcast_fold
        out = broadcast_fold([self._data.shape, src._data.shape])
        if out != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(out)}")
    return apply_(P.copy_from, (self, src))


def _fill_(self, value):
    """torch.Tensor.fill_: a number, or a 0-d tensor (which then receives the summed gradient)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return apply_(P.fill_tensor, (self, value.to(self._dtype)))
    return apply_(P.fill, (self,), {"value": value})


def addcmul(input, tensor1, tensor2, *, value=1):
    """torch.addcmul: input + value * tensor1 * tensor2."""
    return apply(P.addcmul, (input, tensor1, tensor2), {"value": value})


def addcdiv(input, tensor1, tensor2, *, value=1):
    """torch.addcdiv: input + value * tensor1 / tensor2."""
    return apply(P.addcdiv, (input, tensor1, tensor2), {"value": value})


# ---- conversions --------------------------------------------------------------------------------
def to(self, *args, **kwargs):
    """torch.Tensor.to(dtype) / to(device) / to(other) / to(device, dtype); returns self when nothing changes."""
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    for a in args:
        if isinstance(a, Tensor):
            dtype = a._dtype
        elif isinstance(a, _dtype.dtype) or (a is not None and not isinstance(a, str) and not hasattr(a, "type")
                                                and not isinstance(a, int)):
            dtype = a
        else:
            from ._tensor import _check_device
            _check_device(a)
    if "device" in kwargs:
        from ._tensor import _check_device
        _check_device(kwargs["device"])
    dtype = _dtype.to_dtype(dtype) if dtype is not None else None
    if dtype is None or dtype is self._dtype:
        return self.clone() if copy else self
    return apply(P.to_copy, (self,), {"dtype": dtype})


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def type_(self, dtype=None, non_blocking=False):
    """torch.Tensor.type: the type string, or a cast."""
    if dtype is None:
        return "torch." + _TYPE_NAMES[self._dtype.name]
    if isinstance(dtype, str):
        inv = {v: k for k, v in _TYPE_NAMES.items()}
        dtype = getattr(_dtype, inv[dtype.split(".")[-1]].replace("bool", "bool_"))
    return to(self, dtype)


def _bind_conversions():
    T = Tensor
    T.to = to
    T.type = type_
    T.type_as = lambda self, other: to(self, other._dtype)
    for name, dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                     ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                     ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool_),
                     ("cfloat", _dtype.complex64), ("cdouble", _dtype.complex128)):
        setattr(T, name, (lambda dt: lambda self, memory_format=None: to(self, dt))(dt))
    T.cpu = lambda self, memory_format=None: self
    T.cuda = lambda self, device=None, non_blocking=False: to(self, "cuda")
    T.new_tensor = lambda self, data, dtype=None, device=None, requires_grad=False: creation.tensor(
        data, dtype=dtype or self._dtype, requires_grad=requires_grad)
    T.new_zeros = lambda self, *size, dtype=None, device=None, requires_grad=False: creation.zeros(
        *size, dtype=dtype or self._dtype, requires_grad=requires_grad)
    T.new_ones = lambda self, *size, dtype=None, device=None, requires_grad=False: creation.ones(
        *size, dtype=dtype or self._dtype, requires_grad=requires_grad)
    T.new_empty = lambda self, *size, dtype=None, device=None, requires_grad=False: creation.empty(
        *size, dtype=dtype or self._dtype, requires_grad=requires_grad)
    T.new_full = lambda self, size, fill_value, dtype=None, device=None, requires_grad=False: creation.full(
        size, fill_value, dtype=dtype or self._dtype, requires_grad=requires_grad)
    T.addcmul = addcmul
    T.addcdiv = addcdiv
    T.where = lambda self, condition, other: math.where(condition, self, other)
    T.softmax = lambda self, dim, dtype=None: _F().softmax(self, dim, dtype=dtype)
    T.log_softmax = lambda self, dim, dtype=None: _F().log_softmax(self, dim, dtype=dtype)
    T.T = property(lambda self: shape.permute(self, *reversed(range(self._data.ndim))))
    T.mT = property(lambda self: shape.transpose(self, -2, -1))
    T.H = property(lambda self: shape.permute(self, *reversed(range(self._data.ndim))))
    T.real = property(lambda self: _make(self._data.real, self._dtype.to_real()))
    T.imag = property(lambda self: _make(self._data.imag, self._dtype.to_real()))
    T.conj = lambda self: _make(np.conj(self._data), self._dtype) if self._dtype.is_complex else self
    T.is_signed = lambda self: self._dtype.is_signed
    T.get_device = lambda self: -1
    T.apply_ = lambda self, fn: _apply_py(self, fn)


def _apply_py(self, fn):
    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    return self


def _F():
    from .nn import functional
    return functional


_methods()
_bind_inplace()
_bind_conversions()
