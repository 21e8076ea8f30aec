"""Tensor: the state (data, dtype, requires_grad, grad, grad_fn, version) and its autograd behaviour.

The many operator and math methods are attached in ``_tensor_methods.py``.
"""
import warnings
import weakref

import numpy as np

from . import _dispatch
from ._dtype import FROM_NP, get_default_dtype, to_dtype
from .autograd.graph import AccumulateGrad, _Handle

_new = object.__new__

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
    "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
    "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
    "mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
    "more information."
)
SCALAR_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                  "Consider using tensor.detach() first.")
LEAF_FLAGS_ERROR = ("you can only change requires_grad flags of leaf variables. If you want to use a computed "
                    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
# the C++ type names torch prints when a gradient of the wrong dtype is assigned to .grad
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``dagrad.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"dagrad.Size({list(self)})"

    __str__ = __repr__

    # concatenation and repetition stay a Size, as in torch
    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to dagrad.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


class device:
    """torch.device: dagrad computes on the CPU (a CuPy backend will add 'cuda')."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in str(type):
            type, idx = str(type).split(":")
            index = int(idx)
        self.type = str(type)
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # like torch, a device never equals a string: compare with device("cpu") or device.type
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


_CPU = device("cpu")


def _check_device(dev):
    if dev is not None and device(dev).type != "cpu":
        raise RuntimeError(f"dagrad runs on the CPU: device '{dev}' is not available")


class _Version(int):
    """``tensor._version``: the version as an int, as torch gives it.

    Still indexable as ``[0]`` (``t._version[0] += 1`` bumps the shared counter) and assignable
    (``a._version = b._version`` shares b's counter), for code written against the counter list.
    """

    def __new__(cls, counter):
        v = int.__new__(cls, counter[0])
        v._counter = counter
        return v

    def __getitem__(self, i):
        return self._counter[i]

    def __setitem__(self, i, value):
        self._counter[i] = value


class Tensor:
    """torch.Tensor: an n-dimensional array that records the operations applied to it."""

    __slots__ = ("_data", "_dtype", "_requires_grad", "_grad_fn", "_version_counter", "_base", "__dict__",
                 "__weakref__")
    # rarely-set state lives in __dict__, with class-level defaults so creation stays cheap
    _grad = None
    _grad_acc = None
    _view_chain = None
    _view_version = None  # the version a view's grad_fn was built for (None: never rebuilt)
    _retains_grad = False
    _hooks = None
    _post_acc_hooks = None
    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __new__(cls, *args, dtype=None, device=None, requires_grad=False):
        """torch.Tensor(data) / torch.Tensor(*sizes): a float tensor of the default dtype."""
        from .ops.creation import _array_from_data
        _check_device(device)
        dt = to_dtype(dtype) or get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], int):
            arr = _array_from_data(args[0], dt)
        else:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.empty(tuple(sizes), dtype=dt.np)
        t = _new(cls)
        _init(t, arr, FROM_NP[arr.dtype])
        if requires_grad and t._dtype._kind < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = bool(requires_grad)
        return t

    # ---- state ------------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return self._dtype.is_complex

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def _wrap_dim(self, dim, ndim=None):
        from .ops._checks import wrap_dim
        return wrap_dim(dim, self._data.ndim if ndim is None else ndim)

    @property
    def _version(self):
        """torch's ``Tensor._version``: how many in-place ops wrote to this storage (shared with views)."""
        return _Version(self._version_counter)

    @_version.setter
    def _version(self, value):
        self._version_counter = value._counter if isinstance(value, _Version) else value

    @property
    def _version_value(self):
        return self._version_counter[0]

    @property
    def layout(self):
        return "strided"

    # ---- autograd state ---------------------------------------------------------------------
    @property
    def grad_fn(self):
        """The Node that created this tensor (None for leaves). A view whose base was modified in place since
        gets a grad_fn rebuilt from the base's new history, as in torch."""
        if self._base is not None and self._view_version is not None and \
                self._view_version != self._version_counter[0]:
            _dispatch.refresh_view(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    @property
    def requires_grad(self):
        if self._base is not None:
            _dispatch.fresh(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            raise RuntimeError(LEAF_FLAGS_ERROR)
        if value and self._dtype._kind < 2:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        """torch.Tensor.requires_grad_: set requires_grad in place; returns self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(LEAF_FLAGS_ERROR)
            return self  # a non-leaf already requires grad
        if requires_grad and self._dtype._kind < 2:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                                   f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size")
            if value._dtype is not self._dtype:
                from ._dispatch import scalar_type_name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES[value._dtype.name]}' to a tensor "
                    f"with grad_dtype '{scalar_type_name(self._dtype)}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute "
                    "with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging "
                    "the dtypes of a tensor and its gradient may break downstream systems that assume they "
                    "match.")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    def _accumulator(self):
        """This leaf's AccumulateGrad node (kept alive by the graph, weakly by the tensor, like torch)."""
        ref = self._grad_acc
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._grad_acc = weakref.ref(acc)
        return acc

    def retain_grad(self):
        """torch.Tensor.retain_grad: populate .grad of a non-leaf during backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self.grad_fn.retain_ref = weakref.ref(self)
            self._retains_grad = True

    def register_hook(self, hook):
        """torch.Tensor.register_hook: ``hook(grad)`` runs when the gradient is computed; may replace it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else self._accumulator()
        if node.tensor_hooks is None:
            node.tensor_hooks = []
        if self.grad_fn is None:
            # keep the accumulator alive as long as the tensor carries hooks
            self._hooks = node
        return _Handle(node.tensor_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """torch.Tensor.register_post_accumulate_grad_hook: ``hook(tensor)`` after .grad is updated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        return _Handle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """torch.Tensor.backward: accumulate d(self)/d(leaf) into every leaf's .grad."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """torch.Tensor.detach: a new tensor sharing storage (and version counter), outside the graph."""
        t = _new(Tensor)
        _init(t, self._data, self._dtype)
        t._version_counter = self._version_counter
        return t

    def detach_(self):
        """torch.Tensor.detach_: cut this tensor out of its graph, in place."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view "
                               "is set as True, gradients are views of DDP buckets, and hence detach_() "
                               "cannot be called on these gradients. To fix this error, please refer to "
                               "the Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                               "solution.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        """torch.Tensor.data: the same storage outside the graph, with its own version counter (so in-place
        changes through it go unnoticed by autograd, as in torch)."""
        t = _new(Tensor)
        _init(t, self._data, self._dtype)
        return t

    @data.setter
    def data(self, value):
        self._data = value._data
        self._dtype = value._dtype

    @property
    def _is_view_(self):
        return self._base is not None

    def _is_view(self):
        return self._base is not None

    # ---- conversion -------------------------------------------------------------------------
    def numpy(self, *, force=False):
        """torch.Tensor.numpy: the storage as a numpy array (shared, not copied)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data.copy() if force else self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return arr.copy() if copy and arr is self._data else arr  # np.array(t) copies, np.asarray(t) shares

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if self._data.size == 0 else
                               "Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def _scalar(self, ctype):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        v = self._data.reshape(()).item()
        if type(v) is complex and v.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        return v

    def __float__(self):
        v = self._scalar("double")
        if self._requires_grad:
            warnings.warn(SCALAR_WARNING, UserWarning, stacklevel=2)
        return float(v.real if type(v) is complex else v)

    def __int__(self):
        v = self._scalar("int64_t")
        return int(v.real if type(v) is complex else v)

    def __complex__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad:
            warnings.warn(SCALAR_WARNING, UserWarning, stacklevel=2)
        return complex(self._data.reshape(()).item())

    def __index__(self):
        if self._dtype._kind > 1 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec):
        if self._data.ndim == 0:  # a 0-d tensor formats as its value, as in torch (f"{loss}" prints a number)
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self._data.copy(), self._dtype.name, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = self.__class__.__new__(self.__class__) if type(self) is not Tensor else _new(Tensor)
        _init(new, self._data.copy(), self._dtype)
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("_grad", "_grad_acc", "_hooks")})
        memo[id(self)] = new
        return new


def _rebuild_tensor(arr, dtype_name, requires_grad):
    t = _new(Tensor)
    _init(t, arr, FROM_NP[arr.dtype])
    t._requires_grad = requires_grad
    return t


def _init(t, arr, dtype):
    t._data = arr
    t._dtype = dtype
    t._requires_grad = False
    t._grad_fn = None
    t._version_counter = [0]
    t._base = None


def _make(arr, dtype):
    """Wrap a numpy array as a new Tensor (no copy); the hot path of every op."""
    t = _new(Tensor)
    t._data = arr
    t._dtype = dtype
    t._requires_grad = False
    t._grad_fn = None
    t._version_counter = [0]
    t._base = None
    return t


def wrap(arr):
    """Wrap any numpy array (dtype looked up)."""
    return _make(arr, FROM_NP[arr.dtype])


_dispatch.Tensor = Tensor
_dispatch._make = _make
