"""Grad modes against torch: no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled as
context managers and decorators, nesting, exceptions, generators; per-thread and per-task state."""
import asyncio
import threading

import pytest

import dagrad

torch = pytest.importorskip("torch")

LIBS = (torch, dagrad)


def compare(fn):
    assert fn(dagrad) == fn(torch)


def x2(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    yield
    for lib in LIBS:
        lib.set_grad_enabled(True)


def test_no_grad_stops_recording():
    def fn(lib):
        x = x2(lib)
        with lib.no_grad():
            y = x * 2
            inner = lib.is_grad_enabled()
        return y.requires_grad, y.grad_fn, y.is_leaf, inner, lib.is_grad_enabled()
    compare(fn)


def test_nesting():
    def fn(lib):
        r = []
        with lib.no_grad():
            r.append(lib.is_grad_enabled())
            with lib.enable_grad():
                r += [lib.is_grad_enabled(), (x2(lib) * 2).requires_grad]
                with lib.no_grad():
                    r.append((x2(lib) * 2).requires_grad)
                r.append(lib.is_grad_enabled())
            r += [lib.is_grad_enabled(), (x2(lib) * 2).requires_grad]
        r.append(lib.is_grad_enabled())
        return r
    compare(fn)


def test_set_grad_enabled_function_and_context_manager():
    def fn(lib):
        r = []
        lib.set_grad_enabled(False)
        r += [lib.is_grad_enabled(), (x2(lib) * 2).requires_grad]
        lib.set_grad_enabled(True)
        r.append(lib.is_grad_enabled())
        with lib.set_grad_enabled(False):
            r.append(lib.is_grad_enabled())
        r.append(lib.is_grad_enabled())
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                r += [lib.is_grad_enabled(), (x2(lib) * 2).requires_grad]
            r.append(lib.is_grad_enabled())
        for mode in (False, True):
            with lib.set_grad_enabled(mode):
                r.append(lib.is_grad_enabled())
        return r
    compare(fn)


def test_exceptions_restore_the_mode():
    def fn(lib):
        r = []
        for ctx in (lib.no_grad(), lib.enable_grad(), lib.set_grad_enabled(False), lib.inference_mode()):
            try:
                with ctx:
                    raise ValueError("boom")
            except ValueError:
                pass
            r.append(lib.is_grad_enabled())
        return r
    compare(fn)


def test_context_managers_do_not_swallow_exceptions():
    for lib in LIBS:
        with pytest.raises(KeyError):
            with lib.no_grad():
                raise KeyError("k")


def test_decorators():
    def fn(lib):
        @lib.no_grad()
        def called(x):
            return x * 2, lib.is_grad_enabled()

        @lib.no_grad
        def bare(x):
            return x * 2, lib.is_grad_enabled()

        @lib.enable_grad()
        def enabled(x):
            return x * 2, lib.is_grad_enabled()

        @lib.set_grad_enabled(False)
        def disabled(x):
            return x * 2, lib.is_grad_enabled()

        x = x2(lib)
        r = [called(x)[0].requires_grad, called(x)[1], bare(x)[0].requires_grad, bare(x)[1],
             lib.is_grad_enabled(),  # decorating with set_grad_enabled(False) leaves the mode alone
             disabled(x)[1], disabled(x)[0].requires_grad, lib.is_grad_enabled()]
        with lib.no_grad():
            r += [enabled(x)[0].requires_grad, enabled(x)[1], lib.is_grad_enabled()]
        r += [called.__name__, bare.__name__, enabled.__doc__]
        return r
    compare(fn)


def test_decorated_method_and_recursion():
    def fn(lib):
        class Model:
            @lib.no_grad()
            def predict(self, x, depth=0):
                if depth < 2:
                    return self.predict(x, depth + 1)
                return (x * 2).requires_grad, lib.is_grad_enabled()
        return Model().predict(x2(lib)), lib.is_grad_enabled()
    compare(fn)


def test_decorated_generator_runs_each_step_under_the_mode():
    def fn(lib):
        @lib.no_grad()
        def gen(x):
            for _ in range(2):
                yield (x * 2).requires_grad, lib.is_grad_enabled()
        x = x2(lib)
        out = []
        for item in gen(x):
            out.append(item)
            out.append(("caller", lib.is_grad_enabled()))
        return out
    compare(fn)


def test_reusing_one_context_manager_object():
    def fn(lib):
        ctx = lib.no_grad()
        r = []
        for _ in range(2):
            with ctx:
                r.append(lib.is_grad_enabled())
            r.append(lib.is_grad_enabled())
        return r
    compare(fn)


def test_inference_mode():
    def fn(lib):
        x = x2(lib)
        r = []
        with lib.inference_mode():
            y = x * 2
            r += [lib.is_grad_enabled(), y.requires_grad, lib.is_inference_mode_enabled()]
            with lib.inference_mode(False):
                r += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            r.append(lib.is_inference_mode_enabled())
        with lib.no_grad():
            with lib.inference_mode(False):
                r.append(lib.is_grad_enabled())

        @lib.inference_mode()
        def called():
            return lib.is_grad_enabled(), lib.is_inference_mode_enabled()

        @lib.inference_mode
        def bare():
            return lib.is_grad_enabled(), lib.is_inference_mode_enabled()

        r += [called(), bare(), lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        return r
    compare(fn)


def test_backward_works_inside_no_grad_on_a_recorded_graph():
    def fn(lib):
        x = x2(lib)
        y = (x * x).sum()
        with lib.no_grad():
            y.backward()
        return x.grad.tolist()
    compare(fn)


def test_enable_grad_inside_no_grad_decorated_function():
    def fn(lib):
        @lib.no_grad()
        def outer(x):
            with lib.enable_grad():
                return (x * 2).requires_grad
        return outer(x2(lib))
    compare(fn)


def test_clone_of_a_context_manager():
    for lib in LIBS:
        ctx = lib.no_grad().clone()
        with ctx:
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()


# ---- per-thread and per-task state (dagrad keeps the mode in a ContextVar) ---------------------------------
def test_new_threads_start_with_grad_enabled():
    def fn(lib):
        seen = {}

        def worker():
            seen["worker"] = lib.is_grad_enabled()
            with lib.no_grad():
                seen["worker inner"] = lib.is_grad_enabled()

        with lib.no_grad():
            th = threading.Thread(target=worker)
            th.start()
            th.join()
            seen["main"] = lib.is_grad_enabled()
        seen["main after"] = lib.is_grad_enabled()
        return seen
    compare(fn)


def test_a_thread_disabling_grad_does_not_affect_others():
    results = {}
    started, release = threading.Event(), threading.Event()

    def disabler():
        with dagrad.no_grad():
            started.set()
            release.wait(5)

    th = threading.Thread(target=disabler)
    th.start()
    started.wait(5)
    results["main while other thread is in no_grad"] = dagrad.is_grad_enabled()
    release.set()
    th.join()
    assert results == {"main while other thread is in no_grad": True}


def test_asyncio_tasks_keep_their_own_mode():
    # torch's mode is thread-local, so concurrent tasks on one thread see each other's no_grad;
    # dagrad's ContextVar gives each task its own, which is what the code inside each task means
    async def inside():
        with dagrad.no_grad():
            await asyncio.sleep(0.02)
            return dagrad.is_grad_enabled()

    async def beside():
        await asyncio.sleep(0.01)
        return dagrad.is_grad_enabled(), (x2(dagrad) * 2).requires_grad

    async def main():
        return await asyncio.gather(inside(), beside())

    assert asyncio.run(main()) == [False, (True, True)]
    assert dagrad.is_grad_enabled()


def test_grad_mode_objects_are_importable_from_autograd():
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"):
        assert getattr(dagrad.autograd, name) is getattr(dagrad, name)
        assert hasattr(torch.autograd, name)


def test_decorating_a_class_warns_and_constructs_under_the_mode():
    def fn(lib):
        with pytest.warns(FutureWarning) as rec:
            @lib.no_grad()
            class Probe:
                def __init__(self):
                    self.enabled = lib.is_grad_enabled()
        return str(rec[0].message), Probe().enabled, lib.is_grad_enabled()
    compare(fn)
