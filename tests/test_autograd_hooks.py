"""Hooks against torch: Tensor.register_hook (leaves and non-leaves, replacement, order, removal, checks),
register_post_accumulate_grad_hook, Node.register_hook / register_prehook, retain_grad's place among them."""
import pytest

import dagrad

torch = pytest.importorskip("torch")
from _compare import assert_same_tensor, check_error, compare, raises_same, same  # noqa: E402

LIBS = (torch, dagrad)


def x2(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


def _vals(gs):
    return [None if g is None else g.tolist() for g in gs]


# ---- Tensor.register_hook ------------------------------------------------------------------------------
def test_leaf_hooks_run_in_order_and_may_replace_the_gradient():
    def fn(lib):
        x = x2(lib)
        log = []
        x.register_hook(lambda g: log.append(("first", g.tolist())))
        x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: log.append(("third", g.tolist())))
        (x * x).sum().backward()
        return log, x.grad
    compare(fn)


def test_non_leaf_hooks_change_what_flows_on():
    def fn(lib):
        x = x2(lib)
        log = []
        y = x * 2
        y.register_hook(lambda g: log.append(("y", g.tolist())) or g * 3)
        z = y * y
        z.register_hook(lambda g: log.append(("z", g.tolist())))
        z.sum().backward()
        return log, x.grad
    compare(fn)


def test_hook_on_tensor_used_twice_sees_the_summed_gradient():
    def fn(lib):
        x = x2(lib)
        log = []
        y = x * 2
        y.register_hook(lambda g: log.append(g.clone()))
        (y * 3 + y.exp()).sum().backward()
        return log, x.grad
    compare(fn)


def test_handle_remove():
    def fn(lib):
        x = x2(lib)
        h = x.register_hook(lambda g: g * 10)
        (x * 3).sum().backward()
        first = x.grad.clone()
        h.remove()
        h.remove()  # a second remove is harmless
        x.grad = None
        (x * 3).sum().backward()
        return first, x.grad, type(h).__name__
    compare(fn)


def test_handle_as_context_manager():
    for lib in LIBS:
        x = x2(lib)
        with x.register_hook(lambda g: g * 10):
            (x * 1).sum().backward()
        assert x.grad.tolist() == [10.0, 10.0]
        x.grad = None
        (x * 1).sum().backward()
        assert x.grad.tolist() == [1.0, 1.0]


def test_hooks_persist_across_backward_calls():
    def fn(lib):
        x = x2(lib)
        calls = []
        x.register_hook(lambda g: calls.append(1))
        for _ in range(3):
            (x * 2).sum().backward()
        return len(calls), x.grad
    compare(fn)


def test_hook_on_leaf_also_applies_to_autograd_grad():
    compare(lambda lib: (lambda x: (x.register_hook(lambda g: g * 10), lib.autograd.grad((x * x).sum(), x))[1])(
        x2(lib)))


def test_hook_on_non_leaf_input_of_autograd_grad():
    compare(lambda lib: (lambda y: (y.register_hook(lambda g: g * 10), lib.autograd.grad((y * y).sum(), y))[1])(
        x2(lib) * 2))


def test_retain_grad_sees_every_hook():
    # torch runs the retains_grad hook last, whatever the registration order
    def fn(lib, before):
        x = x2(lib)
        y = x * 2
        if before:
            y.retain_grad()
        y.register_hook(lambda g: g * 3)
        if not before:
            y.retain_grad()
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return y.grad, x.grad
    compare(lambda lib: fn(lib, True))
    compare(lambda lib: fn(lib, False))


def test_hook_errors():
    raises_same(lambda lib: lib.ones(2).register_hook(lambda g: g))
    raises_same(lambda lib: (lambda x: (x.register_hook(lambda g: lib.ones(3)), (x * 2).sum().backward()))(x2(lib)))

    def named(lib):
        def doubler(g):
            return g.double()
        x = x2(lib)
        x.register_hook(doubler)
        (x * 2).sum().backward()
    raises_same(named)
    raises_same(lambda lib: (lambda y: (y.register_hook(lambda g: g[0]), y.sum().backward()))(x2(lib) * 2))


def test_hook_returning_a_non_tensor():
    raises_same(lambda lib: (lambda x: (x.register_hook(lambda g: 3), (x * 2).sum().backward()))(x2(lib)))


# ---- post-accumulate-grad hooks --------------------------------------------------------------------------
def test_post_accumulate_grad_hook():
    def fn(lib):
        x = x2(lib)
        log = []
        h = x.register_post_accumulate_grad_hook(lambda p: log.append((p is x, p.grad.tolist())))
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        h.remove()
        (x * 3).sum().backward()
        return log, x.grad
    compare(fn)


def test_post_accumulate_grad_hook_can_step_the_parameter():
    def fn(lib):
        w = lib.tensor([1.0, -1.0], requires_grad=True)

        def sgd(p):
            with lib.no_grad():
                p.sub_(0.5 * p.grad)
            p.grad = None
        w.register_post_accumulate_grad_hook(sgd)
        for _ in range(3):
            (w * w).sum().backward()
        return w, w.grad
    compare(fn)


def test_post_accumulate_grad_hook_on_non_leaf():
    raises_same(lambda lib: (x2(lib) * 2).register_post_accumulate_grad_hook(lambda p: None))


# ---- Node hooks --------------------------------------------------------------------------------------------
def test_node_hook_and_prehook():
    def fn(lib):
        x = x2(lib)
        log = []
        y = x * lib.tensor([3.0, 4.0])
        y.grad_fn.register_hook(lambda gi, go: log.append(("hook", _vals(gi), _vals(go))))
        y.grad_fn.register_prehook(lambda go: log.append(("pre", _vals(go))))
        y.sum().backward()
        return log
    compare(fn)


def test_node_hook_replaces_grad_inputs():
    def fn(lib):
        x = x2(lib)
        y = x * lib.tensor([3.0, 4.0])
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 5, None))
        y.sum().backward()
        return x.grad
    compare(fn)


def test_node_prehook_replaces_grad_outputs():
    def fn(lib):
        x = x2(lib)
        y = x.exp()
        y.grad_fn.register_prehook(lambda go: (go[0] * 5,))
        y.sum().backward()
        return x.grad
    compare(fn)


def test_node_hook_handles_remove():
    def fn(lib):
        x = x2(lib)
        y = x * 2
        h1 = y.grad_fn.register_prehook(lambda go: (go[0] * 5,))
        h2 = y.grad_fn.register_hook(lambda gi, go: (gi[0] * 7,))
        h1.remove()
        h2.remove()
        y.sum().backward()
        return x.grad
    compare(fn)


def test_node_hook_errors():
    raises_same(lambda lib: (lambda y: (y.grad_fn.register_prehook(lambda go: go[0]), y.sum().backward()))(
        x2(lib) * 2))
    raises_same(lambda lib: (lambda y: (y.grad_fn.register_prehook(lambda go: (go[0][0],)), y.sum().backward()))(
        x2(lib) * 2))
    raises_same(lambda lib: (lambda y: (y.grad_fn.register_hook(lambda gi, go: (gi[0][0],)), y.sum().backward()))(
        x2(lib) * x2(lib)))


def test_accumulate_grad_node_hooks():
    def fn(lib):
        x = x2(lib)
        acc = (x * 2).grad_fn.next_functions[0][0]
        log = []
        acc.register_prehook(lambda go: log.append(("pre", _vals(go))))
        acc.register_hook(lambda gi, go: log.append(("hook", _vals(gi), _vals(go))))
        (x * 2).sum().backward()
        return log, x.grad
    compare(fn)


def test_hook_order_tensor_hooks_before_node_prehooks():
    def fn(lib):
        x = x2(lib)
        y = x * 2
        log = []
        y.grad_fn.register_prehook(lambda go: log.append("node pre") or (go[0] * 100,))
        y.register_hook(lambda g: log.append("tensor") or g * 3)
        y.retain_grad()  # sees the tensor hooks' result, not the node pre-hooks'
        y.grad_fn.register_hook(lambda gi, go: log.append("node post"))
        y.sum().backward()
        return log, y.grad, x.grad
    compare(fn)


def test_leaf_tensor_hook_and_accumulate_grad_prehook_both_apply():
    def fn(lib):
        x = x2(lib)
        acc = (x * 2).grad_fn.next_functions[0][0]
        acc.register_prehook(lambda go: (go[0] * 100,))
        x.register_hook(lambda g: g * 3)
        (x * 1).sum().backward()
        return x.grad
    compare(fn)


def test_hooks_see_create_graph_gradients():
    def fn(lib):
        x = x2(lib)
        seen = []
        x.register_hook(lambda g: seen.append(g.requires_grad))
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        return seen, g
    compare(fn)


def test_execution_order_follows_creation_order_like_torch():
    # torch runs the most recently created ready node first; hooks on parallel branches show that order
    def fn(lib):
        x = x2(lib)
        a, b = x.exp(), x.sin()
        log = []
        a.register_hook(lambda g: log.append("a"))
        b.register_hook(lambda g: log.append("b"))
        (b + a).sum().backward(retain_graph=True)
        (a + b).sum().backward()
        return log
    compare(fn)


def test_post_accumulate_order_in_a_two_layer_network():
    def fn(lib):
        log = []
        w1, b1 = lib.ones(3, 4, requires_grad=True), lib.ones(4, requires_grad=True)
        w2, b2 = lib.ones(4, 2, requires_grad=True), lib.ones(2, requires_grad=True)
        for name, p in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
            p.register_post_accumulate_grad_hook(lambda p, name=name: log.append(name))
        h = (lib.ones(5, 3) @ w1 + b1).relu()
        (h @ w2 + b2).sum().backward()
        return log
    compare(fn)
