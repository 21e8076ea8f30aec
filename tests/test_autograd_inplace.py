"""In-place operations against torch: version counters, the "modified by an inplace operation" check, leaf
rules, CopySlices for writes through views, views rebuilt after their base changes, .data and detach()."""
import warnings

import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error, compare, raises_same, same  # noqa: E402

LIBS = (torch, dagrad)


# ---- version counters ----------------------------------------------------------------------------------
INPLACE = {
    "add_": lambda lib, t: t.add_(1),
    "add_ tensor": lambda lib, t: t.add_(lib.ones(3)),
    "sub_": lambda lib, t: t.sub_(2),
    "sub_ alpha": lambda lib, t: t.sub_(lib.ones(3), alpha=2),
    "mul_": lambda lib, t: t.mul_(2),
    "div_": lambda lib, t: t.div_(2),
    "pow_": lambda lib, t: t.pow_(2),
    "zero_": lambda lib, t: t.zero_(),
    "fill_": lambda lib, t: t.fill_(3),
    "copy_": lambda lib, t: t.copy_(lib.arange(3.0)),
    "clamp_": lambda lib, t: t.clamp_(0, 1),
    "clamp_min_": lambda lib, t: t.clamp_min_(0.5),
    "exp_": lambda lib, t: t.exp_(),
    "neg_": lambda lib, t: t.neg_(),
    "sigmoid_": lambda lib, t: t.sigmoid_(),
    "setitem int": lambda lib, t: t.__setitem__(0, 5.0),
    "setitem slice": lambda lib, t: t.__setitem__(slice(1, None), lib.tensor([7.0, 8.0])),
    "setitem mask": lambda lib, t: t.__setitem__(t > 1, 0.0),
    "setitem index": lambda lib, t: t.__setitem__(lib.tensor([0, 2]), 4.0),
    "iadd": lambda lib, t: t.__iadd__(1),
    "isub": lambda lib, t: t.__isub__(1),
    "imul": lambda lib, t: t.__imul__(lib.full((3,), 2.0)),
    "itruediv": lambda lib, t: t.__itruediv__(4),
    "index_put_": lambda lib, t: t.index_put_((lib.tensor([1]),), lib.tensor(9.0)),
    "masked_fill_": lambda lib, t: t.masked_fill_(t > 1, 0.0),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_ops_bump_the_version(name):
    def fn(lib):
        t = lib.tensor([1.0, 2.0, 3.0])
        before = t._version
        out = INPLACE[name](lib, t)
        return before, t._version, out is t if out is not None else True, t
    compare(fn)


def test_version_is_an_int_and_counts():
    def fn(lib):
        t = lib.ones(3)
        versions = [t._version]
        for _ in range(3):
            t.add_(1)
            versions.append(t._version)
        return versions, type(t._version) is int or isinstance(t._version, int)
    compare(fn)


def test_out_of_place_ops_do_not_bump():
    compare(lambda lib: (lambda t: (t + 1, t.exp(), t.clone(), t[0], t._version)[-1])(lib.ones(3)))


def test_views_share_the_version_counter():
    def fn(lib):
        t = lib.ones(4)
        v = t[1:]
        w = t.view(2, 2)
        v.add_(1)
        a = (t._version, v._version, w._version)
        t.mul_(2)
        return a, (t._version, v._version, w._version), t
    compare(fn)


def test_detach_shares_storage_and_version_data_shares_storage_only():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = x.detach()
        d.add_(1)
        after_detach = (x._version, d._version)
        dd = x.data
        dd.mul_(2)
        return after_detach, (x._version, dd._version), x.detach(), d.requires_grad, dd.requires_grad, dd.is_leaf
    compare(fn)


# ---- modified saved tensors -------------------------------------------------------------------------------
def _backward_after(make, modify):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out, target = make(lib, x)
        modify(lib, target)
        out.sum().backward()
    return fn


MODIFIED = {
    "leaf under no_grad": (lambda lib, x: (x * x, x), lambda lib, t: _no_grad(lib, lambda: t.add_(1))),
    "non-leaf input": (lambda lib, x: (lambda y: (y * y, y))(x * 2), lambda lib, t: t.add_(1)),
    "plain tensor input": (lambda lib, x: (lambda w: (x * w, w))(lib.ones(3)), lambda lib, t: t.add_(1)),
    "exp output": (lambda lib, x: (lambda y: (y, y))(x.exp()), lambda lib, t: t.add_(1)),
    "sigmoid output": (lambda lib, x: (lambda y: (y, y))(x.sigmoid()), lambda lib, t: t.mul_(2)),
    "tanh output": (lambda lib, x: (lambda y: (y * 1, y))(x.tanh()), lambda lib, t: t.zero_()),
    "sqrt output": (lambda lib, x: (lambda y: (y, y))(x.sqrt()), lambda lib, t: t.fill_(1.0)),
    "double exp output": (lambda lib, x: (lambda y: (y, y))(x.double().exp()), lambda lib, t: t.add_(1)),
    "2-d input": (lambda lib, x: (lambda y: (y * y, y))(x.reshape(1, 3) * 2), lambda lib, t: t.add_(1)),
    "mul_ by itself": (lambda lib, x: (lambda y: (y, y))(x * 2), lambda lib, t: t.mul_(t)),
    "imul by itself": (lambda lib, x: (lambda y: (y, y))(x * 2), lambda lib, t: t.__imul__(t)),
    "view operand of a write to its base": (lambda lib, x: (lambda y: (y, y))(x.repeat(2) * 1),
                                            lambda lib, t: (t[::2].add_(1), t[1::2].mul_(t[::2][:1]))),
    "matmul weight": (lambda lib, x: (lambda w: (x.reshape(1, 3) @ w, w))(lib.ones(3, 2)),
                      lambda lib, t: t.add_(1)),
    "through detach": (lambda lib, x: (lambda y: (y, x))(x * x), lambda lib, t: t.detach().zero_()),
    "saved view, base modified": (lambda lib, x: (lambda y: (y[1:] * y[1:], y))(x * 2), lambda lib, t: t.mul_(2)),
    "saved view modified": (lambda lib, x: (lambda v: (v * v, v))((x * 2)[1:]), lambda lib, t: t.mul_(2)),
    "saved base, view modified": (lambda lib, x: (lambda y: (y * y, y[1:]))(x * 2), lambda lib, t: t.mul_(2)),
    "exp output, view modified": (lambda lib, x: (lambda y: (y, y[0]))(x.reshape(3, 1).t().exp()),
                                  lambda lib, t: t.mul_(2)),
    "twice modified": (lambda lib, x: (lambda y: (y * y, y))(x * 2), lambda lib, t: (t.add_(1), t.add_(1))),
}


def _no_grad(lib, fn):
    with lib.no_grad():
        fn()


@pytest.mark.parametrize("case", MODIFIED)
def test_modified_saved_tensor_error_text(case):
    make, modify = MODIFIED[case]
    raises_same(_backward_after(make, modify))


def test_modifying_a_tensor_that_was_not_saved_is_fine():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        z = y + 1  # add saves nothing
        y.add_(1)
        z.sum().backward()
        return x.grad
    compare(fn)


def test_modification_through_data_goes_unnoticed():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sum()
        x.data.mul_(2)
        y.backward()
        return x.grad, x._version
    compare(fn)


# ---- leaf rules ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["add_", "mul_", "zero_", "fill_", "copy_", "clamp_", "setitem int",
                                  "setitem slice", "iadd", "exp_", "index_put_"])
def test_inplace_on_leaf_requiring_grad_raises(name):
    raises_same(lambda lib: INPLACE[name](lib, lib.tensor([1.0, 2.0, 3.0], requires_grad=True)))


@pytest.mark.parametrize("name", ["add_", "mul_", "zero_", "setitem int", "iadd"])
def test_inplace_on_view_of_leaf_raises(name):
    raises_same(lambda lib: INPLACE[name](lib, lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)[1:]))
    raises_same(lambda lib: INPLACE[name](lib, lib.ones(2, 3, requires_grad=True).t()[0].unsqueeze(0)[0]))


def test_inplace_on_leaf_allowed_under_no_grad():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with lib.no_grad():
            x.add_(1)
            x[0] = 10.0
            x.mul_(2)
            x[1:].zero_()
        (x * x).sum().backward()
        return x, x.requires_grad, x.is_leaf, x.grad_fn, x._version, x.grad
    compare(fn)


def test_optimizer_style_update():
    def fn(lib):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        for _ in range(3):
            loss = (w * w).sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
            w.grad.zero_()
        return w, w._version
    compare(fn)


# ---- in-place ops on non-leaves are recorded ---------------------------------------------------------------
RECORDED = {
    "add_": lambda lib, x: (lambda y: (y.add_(x), y))(x * 2),
    "mul_ other": lambda lib, x: (lambda y: (y.mul_(x * x), y))(x * 2),
    "chain": lambda lib, x: (lambda y: (y.add_(1), y.mul_(x), y.exp_(), y))(x * 1),
    "iadd imul": lambda lib, x: (lambda y: (y.__iadd__(x), y.__imul__(x), y))(x * 1),
    "clamp_": lambda lib, x: (lambda y: (y.clamp_(1.5, 2.5), y))(x.clone()),
    "zero_": lambda lib, x: (lambda y: (y.zero_(), y + x))(x.clone()),
    "fill_": lambda lib, x: (lambda y: (y.fill_(2.0), y * x))(x.clone()),
    "copy_": lambda lib, x: (lambda y: (y.copy_(x.exp()), y * x))(x.clone()),
    "copy_ into plain": lambda lib, x: (lambda b: (b.copy_(x * 2), b * 1))(lib.zeros(3)),
    "iadd into plain": lambda lib, x: (lambda b: (b.__iadd__(x), b))(lib.zeros(3)),
    "sigmoid_": lambda lib, x: (lambda y: (y.sigmoid_(), y * y))(x * 1),
    "tanh_": lambda lib, x: (lambda y: (y.tanh_(), y))(x * 1),
    "masked_fill_": lambda lib, x: (lambda y: (y.masked_fill_(x > 1.5, 0.0), y * x))(x * 3),
    "index_put_": lambda lib, x: (lambda y: (y.index_put_((lib.tensor([0, 2]),), x[:2] * 5), y * y))(x * 1),
    "setitem index": lambda lib, x: (lambda b: (b.__setitem__(lib.tensor([0, 2]), x[1:]), b * b))(lib.zeros(3)),
}


@pytest.mark.parametrize("case", RECORDED)
def test_inplace_on_non_leaf_gradients(case):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = RECORDED[case](lib, x)[-1]
        (out * lib.tensor([1.0, -2.0, 0.5])).sum().backward()
        return out, x.grad, out.grad_fn.name(), out.requires_grad, out.is_leaf
    compare(fn)


# ---- writes through views: CopySlices --------------------------------------------------------------------
VIEW_WRITES = {
    "slice mul_": lambda lib, x: (lambda y: (y[1:].mul_(3), y))(x * 2),
    "setitem scalar": lambda lib, x: (lambda y: (y.__setitem__(0, 7.0), y))(x * 2),
    "setitem tensor": lambda lib, x: (lambda y: (y.__setitem__(slice(0, 2), x[1:] * x[:2]), y))(x.clone()),
    "column of 2-d": lambda lib, x: (lambda y: (y[:, 1].mul_(x[:2]), y))(x.repeat(2).clone().view(2, 3)),
    "row copy_": lambda lib, x: (lambda y: (y[0].copy_(x), y.__setitem__(1, x * 2), y))(lib.zeros(2, 3)),
    "view exp_": lambda lib, x: (lambda y: (y.view(3, 1)[1].exp_(), y))(x.clone()),
    "transpose add_": lambda lib, x: (lambda y: (y.t()[1].add_(x[:2]), y))(x.repeat(2).view(2, 3) * 1),
    "nested views": lambda lib, x: (lambda y: (y[1:][0:1].mul_(10), y))(x * 1),
    "into plain tensor": lambda lib, x: (lambda b: (b.__setitem__(slice(1, 3), x[:2] * 2), b))(lib.zeros(4)),
    "view of view into plain": lambda lib, x: (lambda b: (b.view(2, 2)[1].copy_(x[1:]), b))(lib.zeros(4)),
    "two regions": lambda lib, x: (lambda y: (y[::2].add_(1), y[1::2].mul_(x[:1]), y))(x.repeat(2) * 1),
    "step slice": lambda lib, x: (lambda y: (y[::2].mul_(x[::2]), y))(x * 1),
}


@pytest.mark.parametrize("case", VIEW_WRITES)
def test_writes_through_views(case):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = VIEW_WRITES[case](lib, x)[-1]
        w = lib.arange(1.0, 1.0 + out.numel()).reshape(out.shape)
        (out * out * w).sum().backward()
        return out, x.grad, out.grad_fn.name(), out.requires_grad
    compare(fn)


def test_view_written_in_place_gets_a_rebuilt_grad_fn():
    def fn(lib):
        y = lib.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
        v = y[1:]
        v.mul_(2)
        return v.grad_fn.name(), y.grad_fn.name(), v._version, y._version
    compare(fn)


def test_views_see_later_changes_to_their_base():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 3
        w = y.view(2, 2)
        t = w.t()
        y.mul_(2)
        names = (w.grad_fn.name(), t.grad_fn.name())
        (t * t).sum().backward()
        return names, x.grad, w.requires_grad
    compare(fn)


def test_view_sees_another_views_write():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1
        a, b = y[:2], y[1:]
        a.mul_(x[2:])
        (b * b).sum().backward()
        return x.grad, b.grad_fn.name()
    compare(fn)


def test_view_of_plain_tensor_becomes_differentiable_after_base_write():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        a = lib.zeros(4)
        v = a[:2]
        a.copy_(x * 2)
        r = (v.requires_grad, v.grad_fn.name(), v.is_leaf)
        (v * v).sum().backward()
        return r, x.grad
    compare(fn)


def test_views_of_a_leaf_see_no_grad_updates():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = x[:2]
        with lib.no_grad():
            x.mul_(2)
        (v * v).sum().backward()
        return x.grad, v.grad_fn.name()
    compare(fn)


def test_stale_view_used_as_backward_root_and_grad_input():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1
        v = y[1:3]
        y.mul_(x)
        (g,) = lib.autograd.grad((v * v).sum(), v, retain_graph=True)
        v.sum().backward()
        return g, x.grad
    compare(fn)


def test_unbind_outputs_written_in_place():
    def fn(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        r0 = y[0]
        r0.add_(y[1])
        y.sum().backward()
        return x.grad
    compare(fn)


# ---- detach / detach_ / .data --------------------------------------------------------------------------
def test_detach_shares_storage():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = x.detach()
        d[0] = 5.0
        return x.detach(), d.requires_grad, d.grad_fn, d.is_leaf, d.data_ptr() == x.data_ptr()
    compare(fn)


def test_data_setter_replaces_contents():
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.data = lib.tensor([4.0, 5.0])
        (x * x).sum().backward()
        return x.detach(), x.requires_grad, x.grad
    compare(fn)


def test_detach_inplace():
    def fn(lib):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        r = y.detach_()
        return r is y, y.requires_grad, y.grad_fn, y.is_leaf
    compare(fn)
    raises_same(lambda lib: (lib.tensor([1.0, 2.0], requires_grad=True) * 2)[1:].detach_())


def test_inplace_ops_without_grad_record_nothing():
    def fn(lib):
        t = lib.ones(3)
        t.add_(1).mul_(lib.ones(3) * 2)
        t[0] = 4.0
        return t, t.requires_grad, t.grad_fn
    compare(fn)


def test_inplace_result_dtype_check():
    raises_same(lambda lib: lib.ones(3, dtype=lib.int64).add_(1.5))
    raises_same(lambda lib: lib.ones(3, dtype=lib.int64).mul_(lib.ones(3, requires_grad=True)))
    raises_same(lambda lib: lib.ones(3).add_(lib.ones(2, 3)))


def test_no_warnings_from_inplace_bookkeeping():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = dagrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y[1:].mul_(2)
        y.sum().backward()
