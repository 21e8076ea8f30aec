"""Custom autograd.Function against torch: the ctx contract (save_for_backward, needs_input_grad, mark_dirty,
mark_non_differentiable, set_materialize_grads), setup_context style, once_differentiable, several outputs,
non-tensor arguments, node names, and the errors for malformed backward results."""
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error, compare, raises_same, same  # noqa: E402

LIBS = (torch, dagrad)


def functions(lib):
    """The same Function subclasses, written once, defined against ``lib``."""
    F = lib.autograd.Function

    class Exp(F):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class ScaledMul(F):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            ctx.save_for_backward(x, y)
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            gx = g * y * ctx.k if ctx.needs_input_grad[0] else None
            gy = g * x * ctx.k if ctx.needs_input_grad[2] else None
            return gx, None, gy

    class Split(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    class Sort(F):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            (idx,) = ctx.saved_tensors
            return lib.zeros_like(g_values).scatter(0, idx, g_values)

    class AddOne_(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Square(F):  # the setup_context style
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class SquareOnce(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class TwoOutNoMaterialize(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            out = None
            if g1 is not None:
                out = g1 * 2
            if g2 is not None:
                out = g2 * 3 if out is None else out + g2 * 3
            return out

    class TwoOut(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1.tolist(), g2.tolist()))
            return g1 * 2 + g2 * 3

    class Identity(F):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WithDefault(F):
        @staticmethod
        def forward(ctx, x, scale=2.0):
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

    class SaveNone(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return g * 2

    class IntOut(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, (x * 2).long()

        @staticmethod
        def backward(ctx, g, g_int):
            return g * 2

    class Cube(F):  # backward in differentiable ops: twice differentiable
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    seen = []
    return {k: v for k, v in locals().items() if isinstance(v, type)}, seen


def x3(lib):
    return lib.tensor([1.0, 2.0, 3.0], requires_grad=True)


def test_exp():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["Exp"].apply(x)
        y.sum().backward()
        return y, x.grad, y.grad_fn.name(), type(y.grad_fn).__name__, y.requires_grad, y.is_leaf
    compare(fn)


def test_node_is_the_ctx():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["ScaledMul"].apply(x, 2.0, lib.ones(3))
        node = y.grad_fn
        return (node.k, node.needs_input_grad, isinstance(node, lib.autograd.function.BackwardCFunction),
                [n is None for n, _ in node.next_functions], len(node.saved_tensors))
    compare(fn)


def test_non_tensor_arguments_and_needs_input_grad():
    def fn(lib):
        F, _ = functions(lib)
        x, y = x3(lib), lib.tensor([3.0, 4.0, 5.0], requires_grad=True)
        F["ScaledMul"].apply(x, 2.0, y).sum().backward()
        a = x3(lib)
        F["ScaledMul"].apply(a, 3.0, lib.ones(3)).sum().backward()
        return x.grad, y.grad, a.grad
    compare(fn)


def test_default_arguments():
    compare(lambda lib: (lambda x: (functions(lib)[0]["WithDefault"].apply(x).sum().backward(), x.grad)[1])(x3(lib)))


def test_save_none():
    compare(lambda lib: (lambda x: (functions(lib)[0]["SaveNone"].apply(x).sum().backward(), x.grad)[1])(x3(lib)))


def test_multiple_outputs():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        a, b = F["Split"].apply(x)
        (a.sum() + b.sum() * 2).backward()
        return x.grad, a.grad_fn.name(), b.grad_fn.name(), a.requires_grad
    compare(fn)


def test_unused_output_gets_materialized_zeros():
    def fn(lib):
        F, seen = functions(lib)
        x = x3(lib)
        a, b = F["TwoOut"].apply(x)
        b.sum().backward()
        return x.grad, seen
    compare(fn)


def test_set_materialize_grads_false_passes_none():
    def fn(lib):
        F, seen = functions(lib)
        x = x3(lib)
        a, b = F["TwoOutNoMaterialize"].apply(x)
        a.sum().backward()
        return x.grad, seen
    compare(fn)


def test_mark_non_differentiable():
    def fn(lib):
        F, _ = functions(lib)
        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        v, i = F["Sort"].apply(x)
        (v * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return x.grad, v.requires_grad, i.requires_grad, i.grad_fn
    compare(fn)


def test_integer_outputs_do_not_require_grad():
    def fn(lib):
        F, _ = functions(lib)
        a, b = F["IntOut"].apply(x3(lib))
        return a.requires_grad, b.requires_grad, b.grad_fn
    compare(fn)


def test_mark_dirty():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = x * 1
        z = F["AddOne_"].apply(y)
        r = (z is y, y._version, y.grad_fn.name())
        (z * z).sum().backward()
        return r, x.grad
    compare(fn)


def test_mark_dirty_on_leaf_requiring_grad():
    raises_same(lambda lib: functions(lib)[0]["AddOne_"].apply(x3(lib)))


def test_setup_context_style():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["Square"].apply(x)
        y.sum().backward()
        return y, x.grad, y.grad_fn.name()
    compare(fn)


def test_returning_an_input_gives_a_view():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["Identity"].apply(x)
        y.sum().backward()
        return y is x, y._base is x, x.grad, y.grad_fn.name()
    compare(fn)


def test_no_graph_without_grad():
    def fn(lib):
        F, _ = functions(lib)
        plain = F["Exp"].apply(lib.tensor([1.0, 2.0]))
        with lib.no_grad():
            under_no_grad = F["Exp"].apply(x3(lib))
        return plain.requires_grad, plain.grad_fn, under_no_grad.requires_grad, under_no_grad.grad_fn
    compare(fn)


def test_forward_runs_without_grad():
    def fn(lib):
        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.inner = (lib.is_grad_enabled(), (x * 2).requires_grad)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        y = Probe.apply(x3(lib))
        return y.grad_fn.inner
    compare(fn)


def test_double_backward_through_a_function():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["Cube"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        return g, x.grad
    compare(fn)


def test_once_differentiable():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["SquareOnce"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        return g, g.requires_grad
    compare(fn)


def test_saved_tensors_are_version_checked():
    def modified_input(lib):
        F, _ = functions(lib)
        w = x3(lib) * 1
        z = F["Square"].apply(w)
        w.add_(1)
        z.sum().backward()
    raises_same(modified_input)

    def modified_output(lib):
        F, _ = functions(lib)
        z = F["Exp"].apply(x3(lib))
        z.add_(1)
        z.sum().backward()
    raises_same(modified_output)


def test_second_backward_through_saved_tensors():
    def fn(lib):
        F, _ = functions(lib)
        y = F["Exp"].apply(x3(lib)).sum()
        y.backward()
        y.backward()
    raises_same(fn)

    def retained(lib):
        F, _ = functions(lib)
        x = x3(lib)
        y = F["Exp"].apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    compare(retained)


def test_function_saving_nothing_can_be_backwarded_twice():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        a, b = F["TwoOut"].apply(x)
        y = (a + b).sum()
        y.backward()
        y.backward()
        return x.grad
    compare(fn)


# ---- malformed backward results ----------------------------------------------------------------------
def _bad(lib, backward, forward=lambda ctx, x: x * 2):
    return type("Bad", (lib.autograd.Function,), {"forward": staticmethod(forward),
                                                  "backward": staticmethod(backward)})


def test_wrong_number_of_gradients():
    raises_same(lambda lib: _bad(lib, lambda ctx, g: g, lambda ctx, x, y: x * y).apply(x3(lib), x3(lib)).sum()
                .backward())
    raises_same(lambda lib: _bad(lib, lambda ctx, g: (g, g)).apply(x3(lib)).sum().backward())


def test_extra_none_gradients_are_allowed():
    compare(lambda lib: (lambda x: (_bad(lib, lambda ctx, g: (g, None, None)).apply(x).sum().backward(),
                                    x.grad)[1])(x3(lib)))


def test_gradient_of_wrong_shape():
    raises_same(lambda lib: _bad(lib, lambda ctx, g: lib.ones(2)).apply(x3(lib)).sum().backward())


def test_gradient_that_sums_to_the_input_shape():
    compare(lambda lib: (lambda x: (_bad(lib, lambda ctx, g: g.expand(2, 3)).apply(x).sum().backward(),
                                    x.grad)[1])(x3(lib)))


def test_gradient_for_a_non_tensor_argument():
    raises_same(lambda lib: _bad(lib, lambda ctx, g: (g, g), lambda ctx, x, k: x * k).apply(x3(lib), 2.0).sum()
                .backward())


def test_backward_not_implemented():
    class NoBackward:
        @staticmethod
        def forward(ctx, x):
            return x * 2

    def fn(lib):
        cls = type("NoBackward", (lib.autograd.Function,), {"forward": NoBackward.forward})
        cls.apply(x3(lib)).sum().backward()
    raises_same(fn)


def test_save_for_backward_rejects_non_tensors():
    def fn(lib):
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2
        _bad(lib, lambda ctx, g: g, forward).apply(x3(lib))
    raises_same(fn)


def test_function_in_a_larger_graph_with_hooks():
    def fn(lib):
        F, _ = functions(lib)
        x = x3(lib)
        h = x * 2
        h.register_hook(lambda g: g * 10)
        y = F["Exp"].apply(h)
        z = F["ScaledMul"].apply(y, 0.5, h)
        z.sum().backward()
        return x.grad, z.grad_fn.next_functions[0][0].name()
    compare(fn)


def test_saved_outputs_support_double_backward():
    def fn(lib):
        class ExpPair(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x.exp(), (2 * x).exp()
                ctx.save_for_backward(a, b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                a, b = ctx.saved_tensors
                return ga * a + 2 * gb * b

        x = lib.tensor([0.1, 0.2], dtype=lib.float64, requires_grad=True)
        a, b = ExpPair.apply(x)
        (g,) = lib.autograd.grad((a + b).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g, g2
    compare(fn)


def test_graph_of_a_function_saving_its_output_is_freed_without_gc():
    import gc
    import weakref

    F, _ = functions(dagrad)
    gc.disable()
    try:
        y = F["Exp"].apply(x3(dagrad))
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None  # no reference cycle between the node and the output it saved
    finally:
        gc.enable()


def test_mark_non_differentiable_on_a_returned_input():
    torch = pytest.importorskip("torch")
    import dagrad

    def build(lib):
        class Id(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                return ga, None
        return Id.apply(lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True))

    (dx, dy), (tx, ty) = build(dagrad), build(torch)
    assert (dx.requires_grad, dy.requires_grad, dy.grad_fn) == (tx.requires_grad, ty.requires_grad, None)
    assert ty.grad_fn is None
