"""torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) and gradcheck / gradgradcheck against torch."""
import importlib
import warnings

import numpy as np
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error  # noqa: E402

LIBS = (torch, dagrad)


def same(d, t):
    if isinstance(t, torch.Tensor):
        assert_same_tensor(d, t)
        assert d.requires_grad == t.requires_grad
    elif isinstance(t, (tuple, list)):
        assert type(d) is type(t) and len(d) == len(t), (d, t)
        for a, b in zip(d, t):
            same(a, b)
    else:
        assert d == t, (d, t)


def compare(fn):
    same(fn(dagrad), fn(torch))


def raises_same(fn):
    check_error(lambda lib, _: fn(lib), None)


def F(lib):
    return lib.autograd.functional


def X(lib, requires_grad=False):
    return lib.tensor([0.5, 1.2, 2.0], dtype=lib.float64, requires_grad=requires_grad)


def Y(lib):
    return lib.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=lib.float64)


def ones(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64)


# ---- jacobian ----------------------------------------------------------------------------------------------
JACOBIANS = {
    "vector": (lambda lib, x: x.sin() * x.sum(), lambda lib: X(lib)),
    "scalar out": (lambda lib, x: (x ** 2).sum(), lambda lib: X(lib)),
    "scalar in": (lambda lib, x: x ** 3, lambda lib: lib.tensor(3.0, dtype=lib.float64)),
    "matrix": (lambda lib, x: x @ x, lambda lib: Y(lib)),
    "tuple in": (lambda lib, x, y: x * y.sum(), lambda lib: (X(lib), Y(lib))),
    "tuple out": (lambda lib, x: (x, x * 2), lambda lib: X(lib)),
    "tuple in and out": (lambda lib, x, y: (x * y[0, 0], x + y.sum()), lambda lib: (X(lib), Y(lib))),
    "constant out": (lambda lib, x: lib.ones(2, dtype=lib.float64), lambda lib: X(lib)),
    "unused input": (lambda lib, x, y: x.exp(), lambda lib: (X(lib), Y(lib))),
}


@pytest.mark.parametrize("case", JACOBIANS)
def test_jacobian(case):
    func, inputs = JACOBIANS[case]
    compare(lambda lib: F(lib).jacobian(lambda *a: func(lib, *a), inputs(lib)))


def test_jacobian_vectorize_flag_gives_the_same_result():
    compare(lambda lib: F(lib).jacobian(lambda x: x.exp() * x.sum(), X(lib), vectorize=True))


def test_jacobian_create_graph():
    def fn(lib):
        a = X(lib, requires_grad=True)
        jac = F(lib).jacobian(lambda x: x ** 3, a, create_graph=True)
        jac.sum().backward()
        return jac, a.grad
    compare(fn)
    compare(lambda lib: F(lib).jacobian(lambda x: x ** 3, X(lib, requires_grad=True)))


def test_jacobian_strict():
    raises_same(lambda lib: F(lib).jacobian(lambda x: lib.ones(2, dtype=lib.float64), X(lib), strict=True))
    raises_same(lambda lib: F(lib).jacobian(lambda x, y: x * 2, (X(lib), Y(lib)), strict=True))
    compare(lambda lib: F(lib).jacobian(lambda x: x * 2, X(lib), strict=True))


def test_jacobian_argument_errors():
    raises_same(lambda lib: F(lib).jacobian(lambda x: x, 3))
    raises_same(lambda lib: F(lib).jacobian(lambda x, y: x * y, [X(lib), X(lib)]))
    raises_same(lambda lib: F(lib).jacobian(lambda x: 3.0, X(lib)))
    raises_same(lambda lib: F(lib).jacobian(lambda x: x, X(lib), strategy="forward-mode"))


# ---- hessian ---------------------------------------------------------------------------------------------
HESSIANS = {
    "cubic": (lambda lib, x: (x ** 3).sum() * x.prod(), lambda lib: X(lib)),
    "softplus": (lambda lib, x: x.exp().log1p().sum(), lambda lib: X(lib)),
    "matrix": (lambda lib, x: (x @ x).trace() if hasattr(x, "trace") else (x @ x).diagonal().sum(),
               lambda lib: Y(lib)),
    "tuple": (lambda lib, x, y: (x ** 2 * y.sum()).sum(), lambda lib: (X(lib), Y(lib))),
    "linear": (lambda lib, x: x.sum() * 3, lambda lib: X(lib)),
    "scalar": (lambda lib, x: x.sin() * x, lambda lib: lib.tensor(0.7, dtype=lib.float64)),
}


@pytest.mark.parametrize("case", HESSIANS)
def test_hessian(case):
    func, inputs = HESSIANS[case]
    compare(lambda lib: F(lib).hessian(lambda *a: func(lib, *a), inputs(lib)))


def test_hessian_create_graph():
    def fn(lib):
        a = X(lib, requires_grad=True)
        h = F(lib).hessian(lambda x: (x ** 4).sum(), a, create_graph=True)
        h.sum().backward()
        return h, a.grad
    compare(fn)


def test_hessian_errors():
    raises_same(lambda lib: F(lib).hessian(lambda x: x * 2, X(lib)))
    raises_same(lambda lib: F(lib).hessian(lambda x: x.sum(), X(lib), strict=True))


# ---- vjp / jvp -------------------------------------------------------------------------------------------
def test_vjp():
    compare(lambda lib: F(lib).vjp(lambda x: x.exp() * 2, X(lib), lib.tensor([1.0, -1.0, 0.5], dtype=lib.float64)))
    compare(lambda lib: F(lib).vjp(lambda x: (x.exp() * 2).sum(), X(lib)))
    compare(lambda lib: F(lib).vjp(lambda x, y: x * y.sum(), (X(lib), Y(lib)), ones(lib, 3)))
    compare(lambda lib: F(lib).vjp(lambda x: (x, x.sin()), X(lib), (ones(lib, 3), ones(lib, 3))))
    compare(lambda lib: F(lib).vjp(lambda x: lib.ones(2, dtype=lib.float64), X(lib), ones(lib, 2)))


def test_vjp_create_graph():
    def fn(lib):
        a = X(lib, requires_grad=True)
        out, g = F(lib).vjp(lambda x: x ** 3, a, ones(lib, 3), create_graph=True)
        g.sum().backward()
        return out, g, a.grad
    compare(fn)


def test_vjp_errors():
    raises_same(lambda lib: F(lib).vjp(lambda x: x ** 3, X(lib)))
    raises_same(lambda lib: F(lib).vjp(lambda x: x * x, X(lib), ones(lib, 4)))
    raises_same(lambda lib: F(lib).vjp(lambda x: lib.ones(2, dtype=lib.float64), X(lib), ones(lib, 2), strict=True))
    raises_same(lambda lib: F(lib).vjp(lambda x: x.detach() * 2, X(lib), ones(lib, 3), strict=True))


def test_jvp():
    compare(lambda lib: F(lib).jvp(lambda x: x.exp() * 2, X(lib), lib.tensor([1.0, 0.0, 2.0], dtype=lib.float64)))
    compare(lambda lib: F(lib).jvp(lambda x, y: (x * y.sum(), x + 1), (X(lib), Y(lib)), (ones(lib, 3),
                                                                                      ones(lib, 2, 2))))
    compare(lambda lib: F(lib).jvp(lambda x: x ** 3, lib.tensor(3.0, dtype=lib.float64)))
    compare(lambda lib: F(lib).jvp(lambda x: lib.ones(2, dtype=lib.float64), X(lib), ones(lib, 3)))


def test_jvp_create_graph():
    def fn(lib):
        a = X(lib, requires_grad=True)
        out, t = F(lib).jvp(lambda x: x ** 3, a, ones(lib, 3), create_graph=True)
        t.sum().backward()
        return out, t, a.grad
    compare(fn)


def test_jvp_errors():
    raises_same(lambda lib: F(lib).jvp(lambda x: x * 2, X(lib)))
    raises_same(lambda lib: F(lib).jvp(lambda x: x * x, X(lib), ones(lib, 4)))


# ---- hvp / vhp -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products(name):
    def call(lib, *a, **kw):
        return getattr(F(lib), name)(*a, **kw)
    compare(lambda lib: call(lib, lambda x: (x ** 3 * x.sum()).sum(), X(lib), lib.arange(3.0, dtype=lib.float64)))
    compare(lambda lib: call(lib, lambda x, y: (x ** 2 * y.sum()).sum(), (X(lib), Y(lib)),
                             (ones(lib, 3), ones(lib, 2, 2))))
    compare(lambda lib: call(lib, lambda x: x.sum(), X(lib), ones(lib, 3)))
    compare(lambda lib: call(lib, lambda x: x.sin() * x, lib.tensor(0.4, dtype=lib.float64)))
    raises_same(lambda lib: call(lib, lambda x: x ** 3, X(lib), ones(lib, 3)))
    raises_same(lambda lib: call(lib, lambda x: (x * x).sum(), X(lib)))
    raises_same(lambda lib: call(lib, lambda x: (x * x).sum(), X(lib), ones(lib, 2)))


def test_hvp_create_graph():
    def fn(lib):
        a = X(lib, requires_grad=True)
        out, hv = F(lib).hvp(lambda x: (x ** 4).sum(), a, ones(lib, 3), create_graph=True)
        hv.sum().backward()
        return out, hv, a.grad
    compare(fn)


def test_results_match_the_dense_hessian():
    f = lambda lib, x: (x.sin() * x.sum() ** 2).sum()  # noqa: E731
    x, v = X(dagrad), dagrad.tensor([0.3, -1.0, 2.0], dtype=dagrad.float64)
    H = F(dagrad).hessian(lambda a: f(dagrad, a), x)
    _, hv = F(dagrad).hvp(lambda a: f(dagrad, a), x, v)
    np.testing.assert_allclose(hv.numpy(), H.numpy() @ v.numpy(), rtol=1e-12)


# ---- gradcheck / gradgradcheck ---------------------------------------------------------------------------
def gradcheck_error(lib):
    # the module, which its gradcheck function shadows as an attribute (as in torch)
    return importlib.import_module(f"{lib.__name__}.autograd.gradcheck").GradcheckError


def _wrong_backward(lib, factor=3.0):
    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * factor
    return Wrong


def _detached_second_derivative(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2
    return Cube


GOOD = {
    "sin of product": (lambda lib, x, y: (x * y).sin(), lambda lib: (X(lib, True), (X(lib) * 2).requires_grad_())),
    "matmul": (lambda lib, a: a @ a.t(), lambda lib: (Y(lib).requires_grad_(),)),
    "two outputs": (lambda lib, x: (x.exp(), x.sum()), lambda lib: (X(lib, True),)),
    "non-tensor argument": (lambda lib, x, k: x.exp() * k, lambda lib: (X(lib, True), 3.0)),
    "unused input": (lambda lib, x, y: x * 2, lambda lib: (X(lib, True), X(lib, True))),
    "integer output ignored": (lambda lib, x: (x * 2, (x * 2).long()), lambda lib: (X(lib, True),)),
    "softmax": (lambda lib, x: x.softmax(0), lambda lib: (X(lib, True),)),
    "non-contiguous input": (lambda lib, x: x.t() * 2, lambda lib: (lib.ones(3, 2, dtype=lib.float64).t()
                                                                    .requires_grad_(),)),
}


@pytest.mark.parametrize("case", GOOD)
def test_gradcheck_passes(case):
    func, inputs = GOOD[case]
    for lib in LIBS:
        assert lib.autograd.gradcheck(lambda *a: func(lib, *a), inputs(lib)) is True


def test_gradcheck_single_tensor_input_and_fast_mode():
    for lib in LIBS:
        assert lib.autograd.gradcheck(lambda x: x.exp(), X(lib, True))
        assert lib.autograd.gradcheck(lambda x: x.exp(), X(lib, True), fast_mode=True)


def test_gradcheck_failure():
    for lib in LIBS:
        assert lib.autograd.gradcheck(_wrong_backward(lib).apply, (X(lib, True),), raise_exception=False) is False
    errors = []
    for lib in LIBS:
        with pytest.raises(gradcheck_error(lib)) as info:
            lib.autograd.gradcheck(_wrong_backward(lib).apply, (X(lib, True),))
        assert isinstance(info.value, RuntimeError)
        errors.append(str(info.value))
    assert errors[1] == errors[0].replace("torch.", "dagrad.")


def test_gradcheck_output_without_grad():
    raises_same(lambda lib: lib.autograd.gradcheck(lambda x: x.detach() * 2, (X(lib, True),)))
    for lib in LIBS:
        assert lib.autograd.gradcheck(lambda x: x.detach() * 2, (X(lib, True),), raise_exception=False) is False


def test_gradcheck_needs_an_input_requiring_grad():
    raises_same(lambda lib: lib.autograd.gradcheck(lambda x: x * 2, (X(lib),)))


def test_gradcheck_warns_for_single_precision():
    texts = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.autograd.gradcheck(lambda x: x * 2, (lib.ones(2, requires_grad=True),), raise_exception=False)
        texts.append([str(m.message) for m in w if m.category is UserWarning])
    assert texts[1] == texts[0] and len(texts[0]) == 1


def test_gradgradcheck():
    for lib in LIBS:
        assert lib.autograd.gradgradcheck(lambda x: (x ** 3).sin(), (X(lib, True),)) is True
        assert lib.autograd.gradgradcheck(lambda x, y: (x * y).exp(), (X(lib, True), (X(lib) * 0.5)
                                                                         .requires_grad_()))
        assert lib.autograd.gradgradcheck(lambda x: x ** 3, (X(lib, True),), (ones(lib, 3).requires_grad_(),))
        assert lib.autograd.gradgradcheck(_detached_second_derivative(lib).apply, (X(lib, True),),
                                          raise_exception=False) is False


def test_gradgradcheck_raises_gradcheck_error():
    for lib in LIBS:
        with pytest.raises(gradcheck_error(lib)):
            lib.autograd.gradgradcheck(_detached_second_derivative(lib).apply, (X(lib, True),))
