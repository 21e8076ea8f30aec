"""Higher-order derivatives through create_graph=True against torch: second and third derivatives of
elementwise functions and composites, matmul, Hessian-vector products, gradient penalties."""
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, compare, same  # noqa: E402


def _derivatives(lib, f, x0, order=3):
    """d^k/dx^k of sum(f(x)) for k = 1..order (elementwise f: the diagonal of each derivative)."""
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    out, y = [], f(lib, x).sum()
    for k in range(order):
        (g,) = lib.autograd.grad(y, x, create_graph=k < order - 1, allow_unused=True, materialize_grads=True)
        out.append((g, g.requires_grad))
        y = g.sum()
    return out


FUNCS = {
    "cube": lambda lib, x: x ** 3,
    "pow4": lambda lib, x: x.pow(4),
    "sin": lambda lib, x: x.sin(),
    "cos": lambda lib, x: x.cos(),
    "tan": lambda lib, x: x.tan(),
    "tanh": lambda lib, x: x.tanh(),
    "exp": lambda lib, x: x.exp(),
    "log": lambda lib, x: x.log(),
    "sqrt": lambda lib, x: x.sqrt(),
    "rsqrt": lambda lib, x: x.rsqrt(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "reciprocal": lambda lib, x: 1 / x,
    "atan": lambda lib, x: x.atan(),
    "sinh": lambda lib, x: x.sinh(),
    "log1p": lambda lib, x: x.log1p(),
    "expm1": lambda lib, x: x.expm1(),
    "erf": lambda lib, x: x.erf(),
    "x^x": lambda lib, x: x.pow(x),
    "2^x": lambda lib, x: 2 ** x,
    "x^t": lambda lib, x: x ** lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64),
    "product rule": lambda lib, x: x.exp() * x.sin(),
    "quotient": lambda lib, x: x.sin() / (1 + x * x),
    "chain": lambda lib, x: (x.tanh() * 3).exp().log1p(),
    "abs times x": lambda lib, x: x.abs() * x,
    "clamp squared": lambda lib, x: x.clamp(0.6, 1.5) ** 2,
    "where": lambda lib, x: lib.where(x > 1, x ** 2, x ** 3),
    "maximum": lambda lib, x: lib.maximum(x ** 2, x),
}


@pytest.mark.parametrize("name", FUNCS)
def test_elementwise_third_derivatives(name):
    compare(lambda lib: _derivatives(lib, FUNCS[name], [0.5, 1.2, 2.0]))


REDUCTIONS = {
    "softmax by hand": lambda lib, x: (x.exp() / x.exp().sum()) * lib.arange(3.0, dtype=lib.float64),
    "softmax": lambda lib, x: x.softmax(0) * lib.arange(3.0, dtype=lib.float64),
    "log_softmax": lambda lib, x: x.log_softmax(0) * lib.arange(3.0, dtype=lib.float64),
    "logsumexp": lambda lib, x: x.logsumexp(0) * x,
    "mean of squares": lambda lib, x: (x * x).mean() * x,
    "prod": lambda lib, x: x.prod() * x,
    "norm": lambda lib, x: x.norm() * x,
    "var": lambda lib, x: x.var() * x,
    "cumsum": lambda lib, x: x.cumsum(0) ** 2,
    "cumprod": lambda lib, x: x.cumprod(0),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_composite_third_derivatives(name):
    compare(lambda lib: _derivatives(lib, REDUCTIONS[name], [0.5, 1.2, 2.0]))


SHAPES = {
    "slice": lambda lib, x: x[1:] ** 3,
    "index": lambda lib, x: x[[0, 0, 2]] ** 2,
    "gather": lambda lib, x: x.gather(0, lib.tensor([2, 0])) ** 3,
    "cat": lambda lib, x: lib.cat([x, x ** 2]) ** 2,
    "stack": lambda lib, x: lib.stack([x, x ** 2]) ** 2,
    "expand": lambda lib, x: x.unsqueeze(0).expand(2, 3) ** 3,
    "flip": lambda lib, x: x.flip(0) * x ** 2,
    "reshape t": lambda lib, x: (x.reshape(3, 1) @ x.reshape(1, 3)).t() ** 2,
}


@pytest.mark.parametrize("name", SHAPES)
def test_shape_op_third_derivatives(name):
    compare(lambda lib: _derivatives(lib, SHAPES[name], [0.5, 1.2, 2.0]))


def test_matmul_hessian_vector_product():
    def fn(lib):
        A = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        B = lib.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=lib.float64, requires_grad=True)
        y = ((A @ B).tanh() ** 2).sum()
        gA, gB = lib.autograd.grad(y, [A, B], create_graph=True)
        vA, vB = lib.ones(2, 2, dtype=lib.float64), lib.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=lib.float64)
        hvp = lib.autograd.grad((gA * vA).sum() + (gB * vB).sum(), [A, B])
        return gA, gB, hvp
    compare(fn)


def test_hessian_of_quadratic_form_by_rows():
    def fn(lib):
        M = lib.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], dtype=lib.float64)
        x = lib.tensor([1.0, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x @ M @ x) * (x * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        rows = [lib.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(3)]
        return g, lib.stack(rows)
    compare(fn)


def test_mlp_hessian_vector_product():
    def fn(lib):
        gen_w1 = lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], dtype=lib.float64, requires_grad=True)
        w2 = lib.tensor([[0.7], [-0.8], [0.9]], dtype=lib.float64, requires_grad=True)
        x = lib.tensor([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]], dtype=lib.float64)
        loss = ((x @ gen_w1).tanh() @ w2).sigmoid().log().neg().mean()
        g1, g2 = lib.autograd.grad(loss, [gen_w1, w2], create_graph=True)
        v1, v2 = lib.ones_like(gen_w1), lib.ones_like(w2) * 0.5
        return lib.autograd.grad((g1 * v1).sum() + (g2 * v2).sum(), [gen_w1, w2])
    compare(fn)


def test_gradient_penalty():
    def fn(lib):
        w = lib.tensor([[0.5, -1.0], [1.5, 2.0]], dtype=lib.float64, requires_grad=True)
        x = lib.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=lib.float64, requires_grad=True)
        out = (x @ w).sin().sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        penalty = ((gx.norm(dim=1) - 1) ** 2).mean()
        penalty.backward()
        return gx, w.grad, x.grad
    compare(fn)


def test_backward_create_graph_then_backward_of_grad():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return g, x.grad, g.requires_grad, g.grad_fn is not None
    with pytest.warns(UserWarning):
        compare(fn)


def test_create_graph_accumulation_builds_a_graph():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        g1 = x.grad
        (x ** 2).sum().backward(create_graph=True)
        return g1, x.grad, x.grad is g1, x.grad.grad_fn.name()
    with pytest.warns(UserWarning):
        compare(fn)


def test_first_derivative_without_create_graph_is_constant():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x ** 3).sum(), x)
        return g, g.requires_grad, g.grad_fn
    compare(fn)


def test_gradient_of_linear_function_is_constant_under_create_graph():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x * 3).sum(), x, create_graph=True)
        return g, g.requires_grad
    compare(fn)


def test_fourth_derivative_of_sin():
    compare(lambda lib: _derivatives(lib, lambda lib, x: x.sin(), [0.3, 1.0], order=4))
