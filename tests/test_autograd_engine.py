"""The backward engine against torch.autograd: requires_grad and leaves, graph structure, backward()/grad()
arguments and errors, gradient accumulation, broadcasting, freeing of saved values, deep graphs."""
import time
import warnings

import numpy as np
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error, compare, same  # noqa: E402

LIBS = (torch, dagrad)


def x3(lib, requires_grad=True):
    return lib.tensor([1.0, 2.0, 3.0], requires_grad=requires_grad)


# ---- requires_grad, leaves ------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0]),
    lambda lib: lib.tensor([1.0], dtype=lib.float64),
    lambda lib: lib.tensor([1.0], dtype=lib.float16),
    lambda lib: lib.zeros(2, dtype=lib.complex64),
])
def test_float_and_complex_tensors_may_require_grad(make):
    for lib in LIBS:
        t = make(lib)
        assert t.requires_grad_() is t and t.requires_grad and t.is_leaf
        t.requires_grad = False
        assert not t.requires_grad
        t.requires_grad = True
        assert t.requires_grad


def test_requires_grad_kwarg():
    for lib in LIBS:
        assert lib.ones(2, requires_grad=True).requires_grad
        assert lib.tensor([1.0], requires_grad=True).is_leaf
        assert not lib.ones(2).requires_grad


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_integer_tensors_cannot_require_grad(dtype):
    # torch's two texts: the attribute setter and requires_grad_()
    check_error(lambda lib: setattr(lib.zeros(2, dtype=getattr(lib, dtype)), "requires_grad", True))
    check_error(lambda lib: lib.zeros(2, dtype=getattr(lib, dtype)).requires_grad_())
    for lib in LIBS:  # turning it off is allowed
        assert not lib.zeros(2, dtype=getattr(lib, dtype)).requires_grad_(False).requires_grad


def test_requires_grad_flags_of_non_leaves():
    check_error(lambda lib: setattr(x3(lib) * 2, "requires_grad", False))
    check_error(lambda lib: setattr(x3(lib) * 2, "requires_grad", True))
    check_error(lambda lib: (x3(lib) * 2).requires_grad_(False))
    for lib in LIBS:
        y = x3(lib) * 2
        assert y.requires_grad_(True) is y and y.requires_grad


def test_is_leaf():
    for lib in LIBS:
        x = x3(lib)
        assert [lib.ones(2).is_leaf, x.is_leaf, (x * 2).is_leaf, (lib.ones(2) * 2).is_leaf, x.detach().is_leaf,
                x[0].is_leaf] == [True, True, False, True, True, False]


def test_ops_without_grad_inputs_record_nothing():
    for lib in LIBS:
        y = lib.ones(2) * 3 + lib.ones(2)
        assert not y.requires_grad and y.grad_fn is None


def test_integer_results_do_not_require_grad():
    for lib in LIBS:
        x = x3(lib)
        for y in (x.long(), x.argmax(), x > 1, x.to(lib.int32), x.int()):
            assert not y.requires_grad and y.grad_fn is None


# ---- grad_fn names and graph structure -------------------------------------------------------------
GRAPHS = {
    "mul": lambda lib, x: x * 2,
    "mul_tensor": lambda lib, x: x * lib.ones(3),
    "add": lambda lib, x: x + lib.ones(3),
    "sub": lambda lib, x: x - 1,
    "rsub": lambda lib, x: 1 - x,
    "div": lambda lib, x: x / 2,
    "neg": lambda lib, x: -x,
    "pow": lambda lib, x: x ** 2,
    "exp": lambda lib, x: x.exp(),
    "log": lambda lib, x: x.log(),
    "sin": lambda lib, x: x.sin(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "relu": lambda lib, x: x.relu(),
    "sum": lambda lib, x: x.sum(),
    "mean": lambda lib, x: x.mean(),
    "max": lambda lib, x: x.max(),
    "view": lambda lib, x: x.view(3, 1),
    "reshape": lambda lib, x: x.reshape(1, 3),
    "unsqueeze": lambda lib, x: x.unsqueeze(0),
    "expand": lambda lib, x: x.unsqueeze(0).expand(2, 3),
    "t": lambda lib, x: x.reshape(1, 3).t(),
    "transpose": lambda lib, x: x.reshape(1, 3).transpose(0, 1),
    "permute": lambda lib, x: x.reshape(1, 3).permute(1, 0),
    "select": lambda lib, x: x[0],
    "slice": lambda lib, x: x[1:],
    "index": lambda lib, x: x[lib.tensor([0, 2])],
    "clone": lambda lib, x: x.clone(),
    "to": lambda lib, x: x.to(lib.float64),
    "cat": lambda lib, x: lib.cat([x, x]),
    "stack": lambda lib, x: lib.stack([x, x]),
    "matmul": lambda lib, x: x @ lib.ones(3, 2),
    "dot": lambda lib, x: x.dot(lib.ones(3)),
    "mm": lambda lib, x: x.reshape(1, 3).mm(lib.ones(3, 2)),
    "where": lambda lib, x: lib.where(x > 1, x, lib.zeros(3)),
    "softmax": lambda lib, x: x.softmax(0),
    "log_softmax": lambda lib, x: x.log_softmax(0),
    "clamp": lambda lib, x: x.clamp(0, 2),
    "abs": lambda lib, x: x.abs(),
    "sqrt": lambda lib, x: x.sqrt(),
    "cumsum": lambda lib, x: x.cumsum(0),
    "prod": lambda lib, x: x.prod(),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_grad_fn_names(name):
    fn = GRAPHS[name]
    names = [fn(lib, x3(lib)).grad_fn.name() for lib in LIBS]
    assert names[1] == names[0]


def _structure(node, depth=3):
    """(name, [(child structure | None, input_nr)]) down to ``depth`` levels."""
    if node is None:
        return None
    if depth == 0:
        return node.name()
    return node.name(), [(_structure(n, depth - 1), i) for n, i in node.next_functions]


@pytest.mark.parametrize("graph", [
    lambda lib, a, b: a * b + a,
    lambda lib, a, b: (a * b).sum(),
    lambda lib, a, b: (a.exp() * b).sum() + b.sum(),
    lambda lib, a, b: (a + 1) * (a - 1),
    lambda lib, a, b: a.masked_fill(b > 4, 0.0).index_select(0, lib.tensor([0, 1])),
    lambda lib, a, b: lib.cat([a, b, a]).sum(),
    lambda lib, a, b: (a.reshape(1, 3).mm(b.reshape(3, 1))).relu(),
    lambda lib, a, b: a[1:] * b[:2],
    lambda lib, a, b: lib.where(a > 1, a, b),
])
def test_next_functions_structure(graph):
    out = []
    for lib in LIBS:
        a, b = x3(lib), lib.tensor([4.0, 5.0, 6.0])  # b does not require grad: (None, 0) edges
        out.append(_structure(graph(lib, a, b).grad_fn))
    assert out[1] == out[0]


def test_accumulate_grad_node_holds_the_leaf():
    for lib in LIBS:
        x = x3(lib)
        acc = (x * 2).grad_fn.next_functions[0][0]
        assert acc.name() == "torch::autograd::AccumulateGrad"
        assert acc.variable is x and acc.next_functions == ()
        assert isinstance(acc, lib.autograd.graph.Node) and isinstance((x * 2).grad_fn, lib.autograd.graph.Node)
        # one AccumulateGrad per leaf, shared by every use
        assert (x * 3).grad_fn.next_functions[0][0] is acc


def test_grad_fn_repr_and_metadata():
    for lib in LIBS:
        node = (x3(lib) * 2).grad_fn
        assert repr(node).startswith("<MulBackward0 object at 0x")
        node.metadata["k"] = 1
        assert node.metadata == {"k": 1}


# ---- backward() and autograd.grad(): values ----------------------------------------------------------
def test_backward_scalar():
    compare(lambda lib: (lambda x: ((x * x).sum().backward(), x.grad)[1])(x3(lib)))


def test_backward_with_gradient():
    compare(lambda lib: (lambda x: ((x * x).backward(lib.tensor([1.0, -1.0, 0.5])), x.grad)[1])(x3(lib)))


def test_backward_gradient_as_python_list_or_number():
    compare(lambda lib: (lambda x: ((x * 2).sum().backward(lib.tensor(3.0)), x.grad)[1])(x3(lib)))


def test_backward_on_one_element_non_scalar():
    compare(lambda lib: (lambda x: ((x * 2).sum().reshape(1, 1).backward(), x.grad)[1])(x3(lib)))


def test_autograd_backward_several_roots():
    compare(lambda lib: (lambda x: (lib.autograd.backward([(x * 2).sum(), x * x], [None, lib.ones(3)]),
                                    x.grad)[1])(x3(lib)))
    compare(lambda lib: (lambda x: (lib.autograd.backward((x * 2, x.exp()), (lib.ones(3), lib.ones(3))),
                                    x.grad)[1])(x3(lib)))


def test_autograd_grad_returns_tuple():
    for lib in LIBS:
        x = x3(lib)
        g = lib.autograd.grad((x * x).sum(), x)
        assert isinstance(g, tuple) and len(g) == 1
        assert x.grad is None  # grad() does not touch .grad
    compare(lambda lib: (lambda x: lib.autograd.grad((x * x).sum(), [x, x]))(x3(lib)))


def test_grad_several_outputs_and_inputs():
    def fn(lib):
        a, b = x3(lib), lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        return lib.autograd.grad([(a * b).sum(), (a.exp() * b).sum()], [a, b])
    compare(fn)


def test_grad_with_grad_outputs():
    compare(lambda lib: (lambda x: lib.autograd.grad(x.sin() * 2, x, lib.tensor([1.0, 0.0, -2.0])))(x3(lib)))


def test_grad_wrt_non_leaf():
    compare(lambda lib: (lambda x: (lambda y: lib.autograd.grad((y * y.exp()).sum(), [y, x]))(x * 2))(x3(lib)))


def test_grad_of_a_leaf_itself():
    compare(lambda lib: (lambda x: lib.autograd.grad(x, x, lib.ones(3)))(x3(lib)))


def test_grad_allow_unused_and_materialize():
    def unused(lib, **kw):
        x, z = x3(lib), lib.ones(2, requires_grad=True)
        return lib.autograd.grad((x * 2).sum(), [x, z], **kw)
    compare(lambda lib: unused(lib, allow_unused=True))
    compare(lambda lib: unused(lib, materialize_grads=True))
    compare(lambda lib: unused(lib, allow_unused=True, materialize_grads=True))


def test_grad_reaches_only_the_needed_part_of_the_graph():
    log = {lib: [] for lib in LIBS}

    def fn(lib):
        x = x3(lib)
        y = x * 2
        x.register_hook(lambda g: log[lib].append("x"))
        y.register_hook(lambda g: log[lib].append("y"))
        return lib.autograd.grad((y * y).sum(), y)
    compare(fn)
    assert log[dagrad] == log[torch] == ["y"]


def test_backward_inputs():
    def fn(lib, inputs):
        a, b = x3(lib), lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
        c = a * 2
        (c * b).sum().backward(inputs=inputs(a, b, c))
        return a.grad, b.grad, c.grad if c.retains_grad else "not retained", c.retains_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib: fn(lib, lambda a, b, c: [a]))
        compare(lambda lib: fn(lib, lambda a, b, c: b))
        compare(lambda lib: fn(lib, lambda a, b, c: [c]))
        compare(lambda lib: fn(lib, lambda a, b, c: [c, a, b]))


# ---- backward() and autograd.grad(): errors -------------------------------------------------------------
def test_error_non_scalar_without_gradient():
    check_error(lambda lib, _: (x3(lib) * 2).backward(), None)
    check_error(lambda lib, _: (lambda x: lib.autograd.grad(x * 2, x))(x3(lib)), None)


def test_error_complex_scalar_without_gradient():
    check_error(lambda lib, _: (lib.ones(2, dtype=lib.complex64, requires_grad=True) * 2).sum().backward(), None)


def test_error_output_does_not_require_grad():
    check_error(lambda lib, _: (lib.ones(2) * 2).sum().backward(), None)
    check_error(lambda lib, _: lib.autograd.backward([(x3(lib) * 2).sum(), lib.ones(())]), None)
    check_error(lambda lib, _: lib.autograd.grad(lib.ones(()), x3(lib), allow_unused=True), None)


def test_error_gradient_shape_mismatch():
    check_error(lambda lib, _: (x3(lib) * 2).backward(lib.ones(2)), None)
    check_error(lambda lib, _: (x3(lib) * 2).backward(lib.ones(1)), None)
    check_error(lambda lib, _: lib.autograd.grad(x3(lib).sum(), x3(lib), lib.ones(3), allow_unused=True), None)


def test_error_fewer_gradients_than_outputs():
    check_error(lambda lib, _: (lambda x: lib.autograd.backward([(x * 2).sum(), (x * x).sum()], [lib.tensor(1.0)]))(
        x3(lib)), None)
    check_error(lambda lib, _: (lambda x: lib.autograd.grad([(x * 2).sum(), (x * x).sum()], x, [lib.tensor(1.0)]))(
        x3(lib)), None)


def test_error_input_not_used():
    check_error(lambda lib, _: lib.autograd.grad((x3(lib) * 2).sum(), x3(lib)), None)
    check_error(lambda lib, _: (lambda x: lib.autograd.grad((x * 2).sum(), [x, x3(lib)]))(x3(lib)), None)


def test_error_input_does_not_require_grad():
    check_error(lambda lib, _: lib.autograd.grad((x3(lib) * 2).sum(), lib.ones(3)), None)
    check_error(lambda lib, _: (x3(lib) * 2).sum().backward(inputs=[lib.ones(3)]), None)


def test_error_empty_inputs():
    check_error(lambda lib, _: (x3(lib) * 2).sum().backward(inputs=[]), None)


def test_error_materialize_with_allow_unused_false():
    check_error(lambda lib, _: lib.autograd.grad((x3(lib) * 2).sum(), x3(lib), allow_unused=False,
                                                 materialize_grads=True), None)


# ---- accumulation, broadcasting, indexing, ties ----------------------------------------------------------
def test_grad_accumulates_across_backward_calls():
    def fn(lib):
        x = x3(lib)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * 3).sum().backward()
        return first, x.grad
    compare(fn)


def test_accumulation_is_in_place_and_zero_or_none_resets():
    for lib in LIBS:
        x = x3(lib)
        (x * 2).sum().backward()
        g0 = x.grad
        (x * 2).sum().backward()
        assert x.grad is g0  # torch adds into the existing .grad tensor
        x.grad.zero_()
        (x * 3).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0, 3.0]
        x.grad = None
        (x * 5).sum().backward()
        assert x.grad.tolist() == [5.0, 5.0, 5.0]


def test_accumulated_grad_is_not_the_gradient_tensor_passed_in():
    for lib in LIBS:
        x = x3(lib)
        g = lib.ones(3)
        (x * 1).backward(g)
        x.grad.add_(1)
        assert g.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("shapes", [((3, 1), (4,)), ((2, 1, 3), (4, 1)), ((), (4,)), ((1,), (2, 3)),
                                    ((2, 3), (2, 3)), ((5, 1, 1), (1, 2, 1))])
def test_broadcasting_is_reduced_back(shapes):
    sa, sb = shapes

    def fn(lib):
        a = lib.arange(1.0, 1.0 + int(np.prod(sa))).reshape(sa).requires_grad_()
        b = lib.arange(2.0, 2.0 + int(np.prod(sb))).reshape(sb).requires_grad_()
        ((a * b + a).pow(2) / (b + 1)).sum().backward()
        return a.grad, b.grad
    compare(fn)


def test_broadcast_with_dtype_promotion():
    def fn(lib):
        a = lib.tensor([2.0], requires_grad=True)
        b = lib.arange(3.0, dtype=lib.float64).requires_grad_()
        (a * b).sum().backward()
        return a.grad, b.grad
    compare(fn)


def test_expand_gradient_is_summed():
    compare(lambda lib: (lambda x: ((x.expand(4, 3) * lib.arange(12.0).reshape(4, 3)).sum().backward(), x.grad)[1])(
        x3(lib)))


@pytest.mark.parametrize("pick", [
    lambda lib, x: x[lib.tensor([0, 0, 1, 0])],
    lambda lib, x: x[[2, 2, 0]],
    lambda lib, x: x.index_select(0, lib.tensor([1, 1, 1])),
    lambda lib, x: x.gather(0, lib.tensor([0, 2, 0, 0])),
    lambda lib, x: x.take(lib.tensor([0, 0, 2])),
])
def test_repeated_indices_accumulate(pick):
    compare(lambda lib: (lambda x: ((pick(lib, x) * lib.arange(1.0, 1.0 + pick(lib, x).numel())).sum().backward(),
                                    x.grad)[1])(x3(lib)))


@pytest.mark.parametrize("reduce", [
    lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(1).sum(), lambda x: x.amin(0).sum(),
    lambda x: x.amax().sum(),
])
def test_ties_in_max_and_min_share_the_gradient(reduce):
    compare(lambda lib: (lambda x: (reduce(x).backward(), x.grad)[1])(
        lib.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)))


def test_max_with_dim_sends_gradient_to_one_index():
    compare(lambda lib: (lambda x: (x.max(1)[0].sum().backward(), x.grad)[1])(
        lib.tensor([[1.0, 3.0, 0.0], [2.0, 5.0, 2.0]], requires_grad=True)))


def test_elementwise_maximum_ties_split():
    def fn(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([1.0, 5.0, 0.0], requires_grad=True)
        lib.maximum(a, b).sum().backward()
        return a.grad, b.grad
    compare(fn)


def test_shared_subexpressions():
    compare(lambda lib: (lambda x: (lambda y: ((y.exp() + y.sin() * y).sum().backward(), x.grad)[1])(x * 2))(x3(lib)),
            rtol=1e-5)
    compare(lambda lib: (lambda x: ((x * x * x).sum().backward(), x.grad)[1])(x3(lib)))


def test_backward_under_no_grad_still_works():
    def fn(lib):
        x = x3(lib)
        y = (x * x).sum()
        with lib.no_grad():
            y.backward()
        return x.grad
    compare(fn)


# ---- non-leaf .grad, retain_grad ------------------------------------------------------------------------
def torch_text(msg):
    """A torch warning's text without the "(Triggered internally at ...)" suffix its C++ side adds."""
    return msg.split(" (Triggered internally at ")[0]


def _grad_with_warnings(t):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        g = t.grad
    return g, [torch_text(str(m.message)) for m in w], [m.category for m in w]


def test_non_leaf_grad_is_none_with_torch_warning():
    out = [_grad_with_warnings(x3(lib) * 2) for lib in LIBS]
    assert out[0][0] is None and out[1][0] is None
    assert out[1][1] == out[0][1] and len(out[0][1]) == 1
    assert out[1][2] == [UserWarning]


def test_leaf_grad_access_does_not_warn():
    for lib in LIBS:
        assert _grad_with_warnings(x3(lib))[1] == []
        assert _grad_with_warnings(lib.ones(2))[1] == []


def test_retain_grad():
    def fn(lib):
        x = x3(lib)
        y = x * 2
        y.retain_grad()
        y.retain_grad()  # twice is harmless
        (y * y).sum().backward()
        return y.grad, x.grad, y.retains_grad, x.retains_grad
    compare(fn)
    for lib in LIBS:
        y = x3(lib) * 2
        y.retain_grad()
        (y * y).sum().backward()
        assert _grad_with_warnings(y)[1] == []


def test_retained_grad_accumulates():
    def fn(lib):
        x = x3(lib)
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward(retain_graph=True)
        (y * y).sum().backward()
        return y.grad
    compare(fn)


def test_retain_grad_errors():
    check_error(lambda lib, _: lib.ones(2).retain_grad(), None)


# ---- saved values are freed ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda x: (x * x).sum(), lambda x: x.exp().sum(), lambda x: x.sin().sum(), lambda x: (x @ x),
    lambda x: x.relu().sum(), lambda x: (x * x.detach()).sum(), lambda x: x.tanh().mean(),
])
def test_second_backward_raises(make):
    def fn(lib):
        y = make(x3(lib))
        y.backward()
        y.backward()
    check_error(lambda lib, _: fn(lib), None)


@pytest.mark.parametrize("make", [
    lambda x: (x + 1).sum(), lambda x: (-x).sum(), lambda x: x.view(3, 1).sum(), lambda x: x[1:].sum(),
    lambda x: (x - 1).mean(), lambda x: x.clone().sum(), lambda x: x.expand(2, 3).sum(),
    lambda x: x.double().sum(), lambda x: x.reshape(1, 3).t().sum(),
])
def test_graphs_that_save_nothing_can_be_backwarded_twice(make):
    def fn(lib):
        x = x3(lib)
        y = make(x)
        y.backward()
        y.backward()
        return x.grad
    compare(fn)


def test_retain_graph_allows_second_backward():
    def fn(lib):
        x = x3(lib)
        y = (x * x.exp()).sum()
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        g = lib.autograd.grad(y, x, retain_graph=True)
        y.backward()
        return x.grad, g
    compare(fn)


def test_grad_frees_the_graph_too():
    check_error(lambda lib, _: (lambda x: (lambda y: (lib.autograd.grad(y, x), lib.autograd.grad(y, x)))(
        (x * x).sum()))(x3(lib)), None)


def test_create_graph_keeps_the_graph():
    def fn(lib):
        x = x3(lib)
        y = (x * x * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        y.backward()
        return g, x.grad
    compare(fn)


def test_saved_tensor_access_after_free():
    check_error(lambda lib, _: (lambda y: (y.sum().backward(), y.grad_fn._saved_self))(x3(lib) * x3(lib)), None)


def test_backward_create_graph_warns_like_torch():
    from dagrad.autograd import CREATE_GRAPH_WARNING
    x = x3(dagrad)
    with pytest.warns(UserWarning) as rec:
        (x * x).sum().backward(create_graph=True)
    assert str(rec[0].message) == CREATE_GRAPH_WARNING
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    # torch's text, less its "(Triggered internally at ...)" suffix; torch warns once per process
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        xt = x3(torch)
        (xt * xt).sum().backward(create_graph=True)
    for m in w:
        assert torch_text(str(m.message)) == CREATE_GRAPH_WARNING


# ---- anomaly detection -----------------------------------------------------------------------------------
def test_detect_anomaly_reports_nan_gradients():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib, enabled in ((torch, torch.is_anomaly_enabled), (dagrad, dagrad.autograd.is_anomaly_enabled)):
            x = lib.tensor([0.0, 1.0], requires_grad=True)
            with lib.autograd.detect_anomaly():
                assert enabled()
                with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th "
                                                       "output"):
                    (x.sqrt() * lib.tensor([0.0, 1.0])).sum().backward()
            assert not enabled()


# ---- deep graphs ------------------------------------------------------------------------------------------
def test_hundred_thousand_op_chain():
    x = dagrad.tensor(1.0, dtype=dagrad.float64, requires_grad=True)
    y = x
    t0 = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    elapsed = time.perf_counter() - t0
    np.testing.assert_allclose(x.grad.item(), 1.00001 ** 100_000, rtol=1e-9)
    assert elapsed < 60  # a generous bound: no recursion limit, no quadratic behaviour
    del y  # freeing the chain must not recurse either


def test_deep_chain_with_branches_matches_torch():
    def fn(lib):
        x = x3(lib)
        y = x
        for i in range(3000):
            y = (y * 0.999 + x * 0.001) if i % 2 else y.sin() + y
        y.sum().backward()
        return x.grad
    compare(fn, rtol=1e-4)


def test_wide_graph():
    def fn(lib):
        x = x3(lib)
        total = sum((x * i).sum() for i in range(2000))
        total.backward()
        return x.grad
    compare(fn)


def test_graphs_are_freed_by_reference_counting():
    import gc
    import weakref

    gc.disable()
    try:
        x = x3(dagrad)
        y = (x.exp() * x).sum()
        node = weakref.ref(y.grad_fn)
        acc = weakref.ref(y.grad_fn.next_functions[0][0].next_functions[0][0])
        del y
        assert node() is None and acc() is None
        z = (x * 2).sum()
        z.backward()
        node = weakref.ref(z.grad_fn)
        del z
        assert node() is None
    finally:
        gc.enable()


def test_leaf_grads_never_alias_the_callers_gradient_or_each_other():
    import numpy as np
    x = dagrad.ones(2, 3, requires_grad=True)
    y = dagrad.ones(2, 3, requires_grad=True)
    g = dagrad.full((6,), 2.0)
    (x + y).reshape(6).backward(g)
    x.grad.add_(1)
    assert np.array_equal(g.numpy(), np.full(6, 2.0)) and np.array_equal(y.grad.numpy(), np.full((2, 3), 2.0))
    base = dagrad.full((4, 6), 3.0)
    w = dagrad.ones(6, requires_grad=True)
    (w * 1).backward(base[1])   # the caller's gradient is a view of a bigger tensor
    w.grad.mul_(0)
    assert np.array_equal(base.numpy(), np.full((4, 6), 3.0))


def test_linear_weight_grad_is_stored_contiguous_and_owned():
    from dagrad import nn
    lin = nn.Linear(5, 3)
    lin(dagrad.ones(4, 5)).sum().backward()
    arr = lin.weight.grad.numpy()
    assert arr.flags.c_contiguous and arr.flags.writeable
    assert arr.shape == (3, 5) and (arr == 4.0).all()


def test_scalar_products_are_freed_after_backward_like_torch():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        for make in (lambda: (x * 2).sum(), lambda: (x / 2).sum()):
            y = make()
            y.backward()
            with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
                y.backward()
        a = x * 1
        b = a * 3          # saves only the scalar: an in-place edit of a afterwards is fine
        with lib.no_grad():
            a.add_(1)
        b.sum().backward()
