"""Elementwise ops against torch: forward, grad_fn names and every input gradient, float64 and float32."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import check  # noqa: E402

RNG = np.random.default_rng(1234)


def r(*shape, lo=-2.0, hi=2.0):
    return np.asarray(RNG.uniform(lo, hi, size=shape))


def pos(*shape):
    return r(*shape, lo=0.3, hi=3.0)


def away(*shape):
    """Values bounded away from zero (both signs): safe divisors."""
    return np.asarray(np.sign(r(*shape)) * pos(*shape))


BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ()), ((1, 3), (2, 1))]


# ---- binary arithmetic with broadcasting -----------------------------------------------------------
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "atan2", "hypot", "maximum", "minimum",
                                "fmax", "fmin", "remainder", "fmod"])
def test_binary_broadcast(op, sa, sb):
    a, b = r(*sa), away(*sb)
    if op == "pow":
        a = pos(*sa)
    if op in ("maximum", "minimum", "fmax", "fmin"):
        b = r(*sb)
    fns = {
        "add": lambda L, x, y: x + y, "sub": lambda L, x, y: x - y, "mul": lambda L, x, y: x * y,
        "div": lambda L, x, y: x / y, "pow": lambda L, x, y: x ** y, "atan2": lambda L, x, y: L.atan2(x, y),
        "hypot": lambda L, x, y: L.hypot(x, y), "maximum": lambda L, x, y: L.maximum(x, y),
        "minimum": lambda L, x, y: L.minimum(x, y), "fmax": lambda L, x, y: L.fmax(x, y),
        "fmin": lambda L, x, y: L.fmin(x, y), "remainder": lambda L, x, y: L.remainder(x, y),
        "fmod": lambda L, x, y: L.fmod(x, y),
    }
    check(fns[op], a, b)


@pytest.mark.parametrize("fn", [
    lambda L, x: x + 2, lambda L, x: 2 + x, lambda L, x: x + 1.5, lambda L, x: 1.5 + x,
    lambda L, x: x - 2, lambda L, x: 2 - x, lambda L, x: x - 0.5, lambda L, x: 0.5 - x,
    lambda L, x: x * 3, lambda L, x: 3 * x, lambda L, x: x * 0.5, lambda L, x: -0.5 * x,
    lambda L, x: x / 3, lambda L, x: 3 / x, lambda L, x: x / 0.5, lambda L, x: 0.5 / x,
    lambda L, x: x // 0.7, lambda L, x: 3 // x, lambda L, x: x % 0.7, lambda L, x: 3.5 % x, lambda L, x: x % -0.7,
    lambda L, x: x ** 2, lambda L, x: x ** 3, lambda L, x: x ** 0, lambda L, x: x ** -1, lambda L, x: x ** 0.5,
    lambda L, x: x ** -2.5, lambda L, x: 2 ** x, lambda L, x: 2.5 ** x, lambda L, x: 0.5 ** x,
    lambda L, x: -x, lambda L, x: abs(x), lambda L, x: +x,
    lambda L, x: L.add(x, 2, alpha=3), lambda L, x: L.sub(x, x * 2, alpha=0.5), lambda L, x: L.add(x, x, alpha=2),
    lambda L, x: L.rsub(x, 2), lambda L, x: L.mul(x, 2), lambda L, x: L.div(x, 2),
    lambda L, x: L.div(x, 0.7, rounding_mode="floor"), lambda L, x: L.div(x, 0.7, rounding_mode="trunc"),
    lambda L, x: L.true_divide(x, 3), lambda L, x: L.pow(x, 2), lambda L, x: L.pow(2, x),
    lambda L, x: L.square(x), lambda L, x: L.neg(x), lambda L, x: L.abs(x), lambda L, x: L.reciprocal(x),
    lambda L, x: L.floor_divide(x, 0.7), lambda L, x: L.fmod(x, 0.7), lambda L, x: L.remainder(x, -0.7),
], ids=lambda f: str(id(f)))
def test_scalar_operands(fn):
    check(fn, away(3, 4))


UNARY = {
    "exp": (lambda L, x: L.exp(x), r), "exp2": (lambda L, x: L.exp2(x), r), "expm1": (lambda L, x: L.expm1(x), r),
    "log": (lambda L, x: L.log(x), pos), "log2": (lambda L, x: L.log2(x), pos),
    "log10": (lambda L, x: L.log10(x), pos), "log1p": (lambda L, x: L.log1p(x), pos),
    "sqrt": (lambda L, x: L.sqrt(x), pos), "rsqrt": (lambda L, x: L.rsqrt(x), pos),
    "sin": (lambda L, x: L.sin(x), r), "cos": (lambda L, x: L.cos(x), r), "tan": (lambda L, x: L.tan(x), r),
    "asin": (lambda L, x: L.asin(x), lambda *s: r(*s, lo=-0.9, hi=0.9)),
    "acos": (lambda L, x: L.acos(x), lambda *s: r(*s, lo=-0.9, hi=0.9)),
    "atan": (lambda L, x: L.atan(x), r), "sinh": (lambda L, x: L.sinh(x), r), "cosh": (lambda L, x: L.cosh(x), r),
    "tanh": (lambda L, x: L.tanh(x), r), "sigmoid": (lambda L, x: L.sigmoid(x), r),
    "erf": (lambda L, x: L.erf(x), r), "erfc": (lambda L, x: L.erfc(x), r),
    "floor": (lambda L, x: L.floor(x), r), "ceil": (lambda L, x: L.ceil(x), r),
    "round": (lambda L, x: L.round(x), r), "round_dec": (lambda L, x: L.round(x, decimals=1), r),
    "trunc": (lambda L, x: L.trunc(x), r), "frac": (lambda L, x: L.frac(x), r), "sign": (lambda L, x: L.sign(x), r),
    "reciprocal": (lambda L, x: L.reciprocal(x), away), "square": (lambda L, x: L.square(x), r),
    "abs": (lambda L, x: L.abs(x), r), "neg": (lambda L, x: L.neg(x), r), "relu": (lambda L, x: L.relu(x), r),
    "sgn": (lambda L, x: L.sgn(x), r),
    "nan_to_num": (lambda L, x: L.nan_to_num(x), r),
    "exp_m": (lambda L, x: x.exp(), r), "log_m": (lambda L, x: x.log(), pos),
    "sigmoid_m": (lambda L, x: x.sigmoid(), r),
    "softmax": (lambda L, x: x.softmax(-1), r), "log_softmax": (lambda L, x: x.log_softmax(0), r),
    "softmax_f": (lambda L, x: L.softmax(x, 1), r), "log_softmax_f": (lambda L, x: L.log_softmax(x, dim=1), r),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(3, 4), ()])
def test_unary(name, shape):
    fn, gen = UNARY[name]
    if "softmax" in name and shape == ():
        shape = (2, 3)
    check(fn, gen(*shape))


def test_round_half_to_even_and_frac_negative():
    check(lambda L, x: (L.round(x), L.frac(x), L.trunc(x), L.sign(x)), np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.0]))


def test_sigmoid_extremes():
    check(lambda L, x: L.sigmoid(x), np.array([-800.0, -50.0, 0.0, 50.0, 800.0]))


def test_nan_to_num_values():
    a = np.array([np.nan, np.inf, -np.inf, 1.5])
    check(lambda L, x: L.nan_to_num(x), a)
    check(lambda L, x: L.nan_to_num(x, nan=2.0, posinf=10.0, neginf=-10.0), a)


def test_isnan_isinf_isfinite():
    a = np.array([np.nan, np.inf, -np.inf, 1.5, 0.0])
    check(lambda L, x: (L.isnan(x), L.isinf(x), L.isfinite(x), x.isnan()), a, grad=False)


# ---- comparisons and logic ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(op):
    a = np.round(r(3, 4))
    b = np.round(r(4))
    check(lambda L, x, y: getattr(L, op)(x, y), a, b, grad=False)
    check(lambda L, x: getattr(L, op)(x, 1), a, grad=False)
    check(lambda L, x: getattr(x, op)(0.5), a, grad=False)


def test_comparison_operators():
    a, b = np.round(r(3, 4)), np.round(r(3, 4))
    check(lambda L, x, y: (x == y, x != y, x < y, x <= y, x > y, x >= y, x == 1, 1 < x), a, b, grad=False)


def test_logical_ops():
    a = RNG.integers(0, 2, (3, 4)).astype(bool)
    b = RNG.integers(0, 2, (4,)).astype(bool)
    check(lambda L, x, y: (L.logical_and(x, y), L.logical_or(x, y), L.logical_xor(x, y), L.logical_not(x),
                           x & y, x | y, x ^ y, ~x), a, b)
    f = np.array([0.0, 1.5, -2.0])
    check(lambda L, x: (L.logical_not(x), L.logical_and(x, x > 0)), f, grad=False)


def test_bitwise_ints():
    a = RNG.integers(-8, 8, (3, 4))
    b = RNG.integers(-8, 8, (4,))
    check(lambda L, x, y: (x & y, x | y, x ^ y, ~x, L.bitwise_and(x, y)), a, b)


def test_integer_arithmetic():
    a = RNG.integers(-8, 8, (3, 4))
    b = RNG.integers(1, 5, (4,))
    check(lambda L, x, y: (x + y, x - y, x * y, x / y, x // y, x % y, -x, abs(x), x ** 2, x // -3, x % -3,
                           L.div(x, y, rounding_mode="trunc"), L.div(x, y, rounding_mode="floor")), a, b)


# ---- clamp, where, lerp ------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda L, x: L.clamp(x, -0.5, 0.5), lambda L, x: L.clamp(x, min=-0.5), lambda L, x: L.clamp(x, max=0.5),
    lambda L, x: L.clip(x, -1, 1), lambda L, x: x.clamp(0.0, 0.0), lambda L, x: x.clamp(1.0, -1.0),
    lambda L, x: x.clamp_min(0.1), lambda L, x: x.clamp_max(0.1), lambda L, x: x.clip(max=0.0),
])
def test_clamp_scalar(fn):
    a = r(4, 5)
    a[0, :3] = [-0.5, 0.5, 0.0]
    check(fn, a)


def test_clamp_tensor_bounds():
    x, lo, hi = r(3, 4), r(4, lo=-1, hi=0), r(3, 1, lo=0, hi=1)
    check(lambda L, x, lo, hi: L.clamp(x, lo, hi), x, lo, hi)
    check(lambda L, x, lo: L.clamp(x, min=lo), x, lo)
    check(lambda L, x, hi: L.clamp(x, max=hi), x, hi)
    check(lambda L, x, hi: x.clamp(max=hi), x, hi)
    # bounds crossing: torch sets the result to max
    check(lambda L, x, lo, hi: L.clamp(x, hi, lo), x, lo, hi)


def test_clamp_ties_exact():
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    check(lambda L, x: L.clamp(x, 0.0, 1.0), x)
    check(lambda L, x, lo, hi: L.clamp(x, lo, hi), x, np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0, 1.0]))


def test_maximum_minimum_ties_share_gradient():
    x, y = np.array([1.0, 2.0, 3.0, 2.0]), np.array([1.0, 3.0, 3.0, 1.0])
    check(lambda L, x, y: (L.maximum(x, y), L.minimum(x, y)), x, y)
    check(lambda L, x, y: (L.fmax(x, y), L.fmin(x, y)), x, y)


def test_fmax_nan():
    x, y = np.array([np.nan, 1.0, 2.0, np.nan]), np.array([1.0, np.nan, 3.0, np.nan])
    check(lambda L, x, y: (L.fmax(x, y), L.fmin(x, y), L.maximum(x, y)), x, y, grad=False)


@pytest.mark.parametrize("sc,sx,sy", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (3, 4)), ((4,), (), (2, 4))])
def test_where(sc, sx, sy):
    c = RNG.integers(0, 2, sc).astype(bool)
    check(lambda L, c, x, y: L.where(c, x, y), c, r(*sx), r(*sy))
    check(lambda L, c, x: L.where(c, x, 0.0), c, r(*sx))
    check(lambda L, c, y: L.where(c, 1.5, y), c, r(*sy))
    check(lambda L, c, x: x.where(c, -x), c, r(*sx))


def test_where_promotion_and_indices():
    c = np.array([[True, False], [False, True]])
    check(lambda L, c: L.where(c), c)
    check(lambda L, c, x: L.where(c, x, 2), c, np.array([[1, 2], [3, 4]]))
    check(lambda L, c, x: L.where(c, x, 2.5), c, np.array([[1, 2], [3, 4]]))


def test_lerp():
    check(lambda L, x, y: L.lerp(x, y, 0.3), r(3, 4), r(4))
    check(lambda L, x, y, w: L.lerp(x, y, w), r(3, 4), r(4), r(3, 1, lo=0, hi=1))
    check(lambda L, x, y: x.lerp(y, 0.75), r(3, 4), r(3, 4))


def test_addcmul_addcdiv():
    check(lambda L, a, b, c: (L.addcmul(a, b, c, value=0.5), L.addcdiv(a, b, c, value=2)), r(3, 4), r(4), away(3, 1))


# ---- dtype of the result (integers go to float for float-only functions) --------------------------------
def test_int_inputs_to_float_functions():
    a = RNG.integers(1, 5, (3, 4))
    check(lambda L, x: (L.exp(x), L.sqrt(x), L.sin(x), L.log(x), L.sigmoid(x), x / 2, L.tanh(x), L.rsqrt(x),
                        L.reciprocal(x), L.atan2(x, x), L.erf(x)), a)
    check(lambda L, x: (L.abs(x), L.neg(x), L.sign(x), L.floor(x), L.ceil(x), L.round(x), L.trunc(x), L.clamp(x, 2, 3),
                        L.clamp(x, 0.5), L.square(x), L.maximum(x, x)), a)
    b = np.array([True, False])
    check(lambda L, x: (L.sign(x), L.abs(x) if False else x, x + x, x * x, x + 1, x * 1.5, L.exp(x)), b)


# ---- grad_fn graph structure ---------------------------------------------------------------------------
def test_next_functions_structure():
    def names(node):
        return [None if n is None else n.name() for n, _ in node.next_functions]

    for L in (torch, dagrad):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0])
        out = (x * y + x.exp()).sum()
    t_x = torch.tensor([1.0, 2.0], requires_grad=True)
    d_x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    t_out = (t_x * torch.tensor([3.0, 4.0]) + t_x.exp()).sum()
    d_out = (d_x * dagrad.tensor([3.0, 4.0]) + d_x.exp()).sum()
    assert names(d_out.grad_fn) == names(t_out.grad_fn)
    assert names(d_out.grad_fn.next_functions[0][0]) == names(t_out.grad_fn.next_functions[0][0])
    t_mul = t_out.grad_fn.next_functions[0][0].next_functions[0][0]
    d_mul = d_out.grad_fn.next_functions[0][0].next_functions[0][0]
    assert names(d_mul) == names(t_mul)  # [AccumulateGrad, None]
    t_c = t_x * 2
    d_c = d_x * 2
    assert names(d_c.grad_fn) == names(t_c.grad_fn)
    assert out is not None


def test_double_backward_through_elementwise():
    def fn(L, x):
        y = (x.sin() * x.exp() / (1 + x * x)).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        return g
    check(fn, r(5))


@pytest.mark.parametrize("fn", [
    lambda L, x: x + 2, lambda L, x: 2 + x, lambda L, x: x - 2, lambda L, x: 2 - x, lambda L, x: x * 2,
    lambda L, x: 2 * x, lambda L, x: x / 2, lambda L, x: 2 / x, lambda L, x: x ** 2, lambda L, x: 2 ** x,
    lambda L, x: x % 2, lambda L, x: L.fmod(x, 2), lambda L, x: x.clamp(0, 1), lambda L, x: L.add(x, x, alpha=2),
    lambda L, x: L.lerp(x, x, 0.5), lambda L, x: L.where(x > 0, x, 0.0), lambda L, x: x.masked_fill(x > 0, 1.0),
    lambda L, x: x + L.ones(3), lambda L, x: L.atan2(x, L.ones(3)), lambda L, x: L.maximum(x, L.ones(3)),
    lambda L, x: L.div(x, 2, rounding_mode="floor"), lambda L, x: L.addcmul(x, x, L.ones(3)),
    lambda L, x: L.rsub(x, x * 2), lambda L, x: L.rsub(x, 2), lambda L, x: L.rsub(x, x, alpha=2),
])
def test_next_functions_with_scalars(fn):
    """torch lists a None edge for a wrapped Python scalar (x * 2) but none for Scalar overloads (2 - x)."""
    def edges(L):
        y = fn(L, L.tensor([0.5, -1.0, 2.0], requires_grad=True))
        return y.grad_fn.name(), [n.name() if n is not None else None for n, _ in y.grad_fn.next_functions]
    assert edges(dagrad) == edges(torch)


def test_numpy_scalar_operands_act_as_python_scalars():
    a = r(3)
    check(lambda L, x: (x + np.float64(2.0), np.float64(2.0) * x, x * np.int64(3), x / np.float32(2.0),
                        x - np.float64(1.5), x ** np.float64(2.0), L.add(x, np.float64(1.0)),
                        L.clamp(x, np.float64(-0.5), np.float64(0.5))), a)


def _on_copy(f):
    """Apply the in-place op to a non-leaf copy (torch refuses in-place ops on leaves requiring grad)."""
    def fn(L, x, *rest):
        return f(L, x * 1, *rest)
    return fn


INPLACE = {
    "add_": (lambda L, y, z: y.add_(z), r(3, 4), r(4)),
    "add_alpha": (lambda L, y, z: y.add_(z, alpha=2), r(3, 4), r(4)),
    "sub_": (lambda L, y, z: y.sub_(z), r(3, 4), r(4)),
    "mul_": (lambda L, y, z: y.mul_(z), r(3, 4), r(4)),
    "mul_scalar": (lambda L, y: y.mul_(2.5), r(3, 4)),
    "div_": (lambda L, y, z: y.div_(z), r(3, 4), pos(4)),
    "div_floor": (lambda L, y: y.div_(0.7, rounding_mode="floor"), r(3, 4)),
    "pow_": (lambda L, y: y.abs_().pow_(1.5), r(3, 4)),
    "pow_tensor": (lambda L, y, z: y.abs_().pow_(z), r(3, 4), r(4)),
    "iadd": (lambda L, y, z: y.__iadd__(z), r(3, 4), r(4)),
    "isub": (lambda L, y, z: y.__isub__(z), r(3, 4), r(4)),
    "imul": (lambda L, y, z: y.__imul__(z), r(3, 4), r(4)),
    "itruediv": (lambda L, y, z: y.__itruediv__(z), r(3, 4), pos(4)),
    "ipow": (lambda L, y: y.abs_().__ipow__(2), r(3, 4)),
    "unary_chain": (lambda L, y: y.exp_().log_().sin_().cos_().tanh_().sigmoid_(), r(3, 4)),
    "sqrt_rsqrt": (lambda L, y: y.abs_().add_(0.5).sqrt_().rsqrt_(), r(3, 4)),
    "clamp_": (lambda L, y: y.clamp_(-0.5, 0.5), r(3, 4)),
    "clamp_tensor": (lambda L, y, z: y.clamp_(min=z), r(3, 4), r(4)),
    "clamp_min_": (lambda L, y: y.clamp_min_(0.1), r(3, 4)),
    "clamp_max_": (lambda L, y: y.clamp_max_(0.1), r(3, 4)),
    "neg_abs": (lambda L, y: y.neg_().abs_(), r(3, 4)),
    "floor_": (lambda L, y: y.floor_(), r(3, 4)),
    "round_decimals": (lambda L, y: y.round_(decimals=1), r(3, 4)),
    "relu_": (lambda L, y: y.relu_(), r(3, 4)),
    "zero_": (lambda L, y: y.zero_(), r(3, 4)),
    "fill_": (lambda L, y: y.fill_(1.5), r(3, 4)),
    "fill_tensor": (lambda L, y, v: y.fill_(v), r(3, 4), r()),
    "copy_broadcast": (lambda L, y, z: y.copy_(z), r(3, 4), r(4)),
    "lerp_": (lambda L, y, z: y.lerp_(z, 0.3), r(3, 4), r(4)),
    "addcmul_": (lambda L, y, a, b: y.addcmul_(a, b, value=0.5), r(3, 4), r(4), r(3, 1)),
    "addcdiv_": (lambda L, y, a, b: y.addcdiv_(a, b, value=0.5), r(3, 4), r(4), pos(3, 1)),
    "masked_fill_": (lambda L, y: y.masked_fill_(y > 0, 0.5), r(3, 4)),
    "masked_fill_tensor": (lambda L, y, v: y.masked_fill_(y > 0, v), r(3, 4), r()),
    "index_put_": (lambda L, y, v: y.index_put_((L.tensor([0, 2]),), v), r(3, 4), r(4)),
    "scatter_value": (lambda L, y: y.scatter_(1, L.tensor([[0], [1], [2]]), 3.0), r(3, 4)),
    "t_": (lambda L, y: y.t_(), r(3, 4)),
    "unsqueeze_": (lambda L, y: y.unsqueeze_(0), r(3, 4)),
    "squeeze_view": (lambda L, y: y.unsqueeze(1).squeeze_(1), r(3, 4)),
    "squeeze_all": (lambda L, y: y.unsqueeze(1).squeeze_(), r(3, 4)),
    "transpose_": (lambda L, y: y.transpose_(0, 1), r(3, 4)),
    "view_mul_": (lambda L, y: y[1].mul_(3), r(3, 4)),
    "view_t_add_": (lambda L, y: y.t()[1].add_(3), r(3, 4)),
    "sign_": (lambda L, y: y.sign_(), r(3, 4)),
    "nan_to_num_": (lambda L, y: y.nan_to_num_(), r(3, 4)),
    "atan2_": (lambda L, y, z: y.atan2_(z), r(3, 4), pos(4)),
    "fmod_remainder": (lambda L, y: y.fmod_(0.7).remainder_(0.3), r(3, 4)),
    "square_": (lambda L, y: y.square_(), r(3, 4)),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(name):
    f, *arrays = INPLACE[name]
    check(_on_copy(f), *arrays)


def test_inplace_integer_and_bool():
    check(lambda L, x: x.add_(2), RNG.integers(-3, 4, (3,)))
    check(lambda L, x, y: x.add_(y), r(3), RNG.integers(-3, 4, (3,)), requires_grad=[False, False])
    a, b = RNG.integers(0, 2, 4).astype(bool), RNG.integers(0, 2, 4).astype(bool)
    check(lambda L, x, y: (x.__iand__(y), x.__ior__(y)), a, b)
