"""nn.Module, Parameter, Buffer and the containers against torch: registration, traversal order, state_dict,
load_state_dict errors, hooks, conversion, copying and reprs."""
import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import dagrad
from dagrad import nn

torch = pytest.importorskip("torch")

LIBS = (dagrad, torch)


def _text(s):
    return s.replace("torch.", "dagrad.")


def both(fn):
    """fn(lib) under dagrad and torch; returns (dagrad result, torch result)."""
    return fn(dagrad), fn(torch)


def same_error(fn):
    """fn(lib) raises the same exception type and text under both libraries."""
    errs = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    d, t = errs
    assert type(d).__name__ == type(t).__name__, (d, t)
    assert _text(str(d)) == _text(str(t)), f"\ndagrad: {d}\ntorch:  {t}"


def copy_weights(d_model, t_model):
    """Load torch's state (parameters and buffers) into the dagrad model."""
    sd = OrderedDict((k, dagrad.tensor(v.detach().numpy().copy())) for k, v in t_model.state_dict().items())
    d_model.load_state_dict(sd)


def _define(lib):
    """Module-level (hence picklable) test modules for ``lib``: a tiny affine layer and a nested tree."""
    class Lin(lib.nn.Module):
        """An affine module written with tensor ops only (no nn.functional)."""

        def __init__(self, n_in, n_out):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(n_out, n_in) * 0.5)
            self.b = lib.nn.Parameter(lib.zeros(n_out))

        def forward(self, x):
            return x @ self.w.t() + self.b

    class Net(lib.nn.Module):
        """Containers, a shared submodule, buffers persistent and not."""

        def __init__(self):
            super().__init__()
            self.enc = lib.nn.Sequential(Lin(3, 4), lib.nn.ReLU(), Lin(4, 4))
            self.shared = Lin(4, 4)
            self.heads = lib.nn.ModuleList([self.shared, Lin(4, 2)])
            self.table = lib.nn.ModuleDict({"b": lib.nn.Tanh(), "a": Lin(2, 2)})
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros(()))
            self.register_buffer("cache", lib.ones(2), persistent=False)

    for cls in (Lin, Net):
        # repr shows __name__; pickle finds the class by __qualname__
        cls.__qualname__ = f"{cls.__name__}_{lib.__name__}"
        globals()[cls.__qualname__] = cls
    return Lin, Net


_CLASSES = {lib: _define(lib) for lib in LIBS}


def make_lin(lib):
    return _CLASSES[lib][0]


def net(lib):
    return _CLASSES[lib][1]()


# ---- Parameter and Buffer ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Parameter(lib.ones(2)),
    lambda lib: lib.nn.Parameter(lib.ones(2), requires_grad=False),
    lambda lib: lib.nn.Parameter(),
    lambda lib: lib.nn.Parameter(lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.nn.Parameter(lib.tensor([1, 2]), requires_grad=False),
])
def test_parameter_repr(make):
    d, t = both(make)
    assert repr(d) == _text(repr(t))


def test_parameter_is_leaf_sharing_storage():
    t = dagrad.ones(3)
    p = nn.Parameter(t)
    assert isinstance(p, dagrad.Tensor) and isinstance(p, nn.Parameter)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    t.add_(1)
    assert p.tolist() == [2.0, 2.0, 2.0]
    assert type(p * 2) is dagrad.Tensor and type(p.detach()) is dagrad.Tensor
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0, 4.0, 4.0]


def test_parameter_int_requires_grad_error():
    same_error(lambda lib: lib.nn.Parameter(lib.tensor([1, 2])))


def test_parameter_deepcopy_and_pickle():
    p = nn.Parameter(dagrad.tensor([1.0, 2.0]))
    p.grad = dagrad.ones(2)
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.grad is None  # as torch: grad not copied
    assert q.tolist() == [1.0, 2.0] and q.data_ptr() != p.data_ptr()
    p.tag = "w"
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and r.tag == "w" and r.tolist() == [1.0, 2.0]


def test_buffer_assignment_and_isinstance():
    for lib in LIBS:
        m = lib.nn.Module()
        b = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert isinstance(b, lib.nn.Buffer) and not isinstance(lib.ones(2), lib.nn.Buffer)
        m.tmp = b
        m.keep = lib.nn.Buffer(lib.zeros(1))
        assert [n for n, _ in m.named_buffers()] == ["tmp", "keep"]
        assert list(m.state_dict()) == ["keep"]
        m.keep = lib.ones(1) * 3  # a plain tensor assigned over a buffer stays a buffer
        assert m.state_dict()["keep"].tolist() == [3.0]


# ---- registration -----------------------------------------------------------------------------------------------
def test_setattr_registers_and_delattr_removes():
    for lib in LIBS:
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.ones(1))
        m.sub = lib.nn.Identity()
        m.register_buffer("buf", lib.zeros(1))
        m.plain = 3
        assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["buf"]
        m.w = None
        assert m.w is None and "w" in m._parameters
        m.sub = lib.nn.Parameter(lib.ones(1))  # a parameter replaces a module of the same name
        assert "sub" not in m._modules and "sub" in m._parameters
        del m.sub, m.buf, m.plain
        assert "sub" not in m._parameters and "buf" not in m._buffers and not hasattr(m, "plain")


@pytest.mark.parametrize("fn", [
    lambda lib: setattr(_with_param(lib), "w", lib.ones(1)),
    lambda lib: setattr(_with_child(lib), "c", 3),
    lambda lib: setattr(_with_buffer(lib), "b", 3),
    lambda lib: _with_param(lib).register_parameter("x", lib.ones(1)),
    lambda lib: _with_param(lib).register_parameter("a.b", None),
    lambda lib: _with_param(lib).register_parameter("", None),
    lambda lib: _with_param(lib).register_parameter(3, None),
    lambda lib: _with_attr(lib).register_parameter("x", None),
    lambda lib: _with_param(lib).register_parameter("y", lib.nn.Parameter(lib.ones(1)) * 2),
    lambda lib: _with_param(lib).register_buffer("w", lib.ones(1)),
    lambda lib: _with_param(lib).register_buffer("q", 3),
    lambda lib: _with_param(lib).register_buffer("a.b", None),
    lambda lib: _with_param(lib).register_buffer("", None),
    lambda lib: _with_param(lib).add_module("w", lib.nn.ReLU()),
    lambda lib: _with_param(lib).add_module("a.b", lib.nn.ReLU()),
    lambda lib: _with_param(lib).add_module("", lib.nn.ReLU()),
    lambda lib: _with_param(lib).add_module("m", 3),
    lambda lib: _with_param(lib).missing,
    lambda lib: _uninit(lib).__setattr__("p", lib.nn.Parameter(lib.ones(1))),
    lambda lib: _uninit(lib).__setattr__("m", lib.nn.ReLU()),
    lambda lib: _uninit(lib).register_buffer("b", None),
    lambda lib: lib.nn.Module()(1),
    lambda lib: lib.nn.Module(3),
    lambda lib: lib.nn.Module().train("yes"),
])
def test_registration_errors_match_torch(fn):
    same_error(fn)


def _with_param(lib):
    m = lib.nn.Module()
    m.w = lib.nn.Parameter(lib.ones(1))
    return m


def _with_child(lib):
    m = lib.nn.Module()
    m.c = lib.nn.ReLU()
    return m


def _with_buffer(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.ones(1))
    return m


def _with_attr(lib):
    m = lib.nn.Module()
    m.x = 1
    return m


def _uninit(lib):
    class Early(lib.nn.Module):
        def __init__(self):
            pass
    return Early()


# ---- traversal --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("walk", [
    lambda m: [n for n, _ in m.named_parameters()],
    lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_parameters(prefix="model")],
    lambda m: [n for n, _ in m.named_parameters(recurse=False)],
    lambda m: [n for n, _ in m.named_buffers()],
    lambda m: [n for n, _ in m.named_modules()],
    lambda m: [n for n, _ in m.named_modules(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_modules(prefix="root")],
    lambda m: [n for n, _ in m.named_children()],
    lambda m: [type(c).__name__ for c in m.children()],
    lambda m: [type(c).__name__ for c in m.modules()],
    lambda m: [tuple(p.shape) for p in m.parameters()],
    lambda m: [tuple(b.shape) for b in m.buffers(recurse=False)],
    lambda m: list(m.state_dict()),
    lambda m: list(m.state_dict(prefix="p.")),
    lambda m: dict(m.state_dict()._metadata),
    lambda m: [k for k in dir(m) if k in ("cache", "enc", "forward", "heads", "scale", "steps", "table", "training")],
    lambda m: [k for k in dir(m.enc) if k[0].isdigit()],
])
def test_traversal_orders_match_torch(walk):
    d, t = both(lambda lib: walk(net(lib)))
    assert d == t


def test_shared_parameters_once():
    for lib in LIBS:
        lin = make_lin(lib)(2, 2)
        m = lib.nn.Sequential(lin, lin)
        assert len(list(m.parameters())) == 2
        assert len(list(m.named_parameters(remove_duplicate=False))) == 4
        assert list(m.state_dict()) == ["0.w", "0.b", "1.w", "1.b"]


def test_get_submodule_parameter_buffer():
    for lib in LIBS:
        m = net(lib)
        assert m.get_submodule("enc.0") is m.enc[0]
        assert m.get_submodule("") is m
        assert m.get_parameter("heads.1.w") is m.heads[1].w
        assert m.get_buffer("steps") is m.steps
    for fn in (lambda lib: net(lib).get_submodule("enc.9"), lambda lib: net(lib).get_submodule("scale"),
               lambda lib: net(lib).get_parameter("enc.0.nope"), lambda lib: net(lib).get_parameter("steps"),
               lambda lib: net(lib).get_buffer("scale"), lambda lib: net(lib).get_buffer("enc.x")):
        same_error(fn)


# ---- state_dict and load_state_dict -----------------------------------------------------------------------------
def test_state_dict_values_detached_and_shared():
    m = net(dagrad)
    sd = m.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert sd["scale"].data_ptr() == m.scale.data_ptr()
    kv = m.state_dict(keep_vars=True)
    assert kv["scale"] is m.scale
    assert isinstance(sd, OrderedDict) and sd._metadata["enc.0"] == {"version": 1}


def test_load_state_dict_roundtrip_and_result():
    t_net, d_net = net(torch), net(dagrad)
    with torch.no_grad():
        for p in t_net.parameters():
            p.uniform_(-1, 1)
    copy_weights(d_net, t_net)
    for (kd, vd), (kt, vt) in zip(d_net.state_dict().items(), t_net.state_dict().items()):
        assert kd == kt
        np.testing.assert_array_equal(vd.numpy(), vt.numpy())
    res = d_net.load_state_dict(d_net.state_dict())
    assert repr(res) == "<All keys matched successfully>" and res.missing_keys == [] and res.unexpected_keys == []


def _sd_missing(lib):
    m = lib.nn.Sequential(make_lin(lib)(3, 2), make_lin(lib)(2, 1))
    sd = m.state_dict()
    del sd["1.b"]
    sd["1.extra"] = lib.zeros(1)
    sd["2.w"] = lib.zeros(1)
    return m, sd


@pytest.mark.parametrize("fn", [
    lambda lib: _sd_missing(lib)[0].load_state_dict(_sd_missing(lib)[1]),
    lambda lib: make_lin(lib)(3, 2).load_state_dict({"w": lib.zeros(2, 4), "b": lib.zeros(3)}),
    lambda lib: make_lin(lib)(3, 2).load_state_dict({"w": lib.zeros(2, 3), "b": lib.zeros(2), "c": lib.ones(1)}),
    lambda lib: make_lin(lib)(3, 2).load_state_dict({"w": [[0.0] * 3] * 2, "b": lib.zeros(2)}),
    lambda lib: make_lin(lib)(3, 2).load_state_dict([1, 2]),
])
def test_load_state_dict_errors_match_torch(fn):
    same_error(fn)


def test_load_state_dict_non_strict_reports_keys():
    d, t = both(lambda lib: _sd_missing(lib)[0].load_state_dict(_sd_missing(lib)[1], strict=False))
    assert repr(d) == repr(t) and d.missing_keys == t.missing_keys and d.unexpected_keys == t.unexpected_keys


def test_load_state_dict_assign():
    m = make_lin(dagrad)(2, 2)
    old = m.w
    new_w = dagrad.full((2, 2), 3.0)
    m.load_state_dict({"w": new_w, "b": dagrad.zeros(2)}, assign=True)
    assert m.w is not old and isinstance(m.w, nn.Parameter) and m.w.requires_grad
    assert m.w.data_ptr() == new_w.data_ptr()
    m.load_state_dict({"w": dagrad.ones(2, 2), "b": dagrad.zeros(2)})
    assert m.w.tolist() == [[1.0, 1.0], [1.0, 1.0]] and new_w.tolist() == [[1.0, 1.0], [1.0, 1.0]]


# ---- modes, gradients and conversion ----------------------------------------------------------------------------
def test_train_eval_propagate():
    m = net(dagrad)
    assert m.training and all(c.training for c in m.modules())
    assert m.eval() is m and not any(c.training for c in m.modules())
    m.enc.train()
    assert m.enc[1].training and not m.training


def test_zero_grad_and_requires_grad_():
    m = make_lin(dagrad)(2, 2)
    x = dagrad.ones(1, 2)
    m(x).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.w.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    m.zero_grad()
    assert m.w.grad is None and m.b.grad is None
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first():
    def visit(lib):
        seen = []
        net(lib).apply(lambda mod: seen.append(type(mod).__name__))
        return seen
    d, t = both(visit)
    assert d == t and d[-1] == "Net"


def test_to_dtype_keeps_parameter_objects():
    m = net(dagrad)
    w = m.enc[0].w
    w.grad = dagrad.ones(4, 3)
    assert m.double() is m and m.enc[0].w is w and w.dtype is dagrad.float64 and w.grad.dtype is dagrad.float64
    assert m.steps.dtype is dagrad.float64 and m.cache.dtype is dagrad.float64
    m.to(dagrad.float32)
    assert w.dtype is dagrad.float32 and isinstance(w, nn.Parameter) and w.requires_grad
    m.half()
    assert w.dtype is dagrad.float16
    m.float().to("cpu").cpu().to(dagrad.ones(1, dtype=dagrad.float64))
    assert w.dtype is dagrad.float64
    m.type(dagrad.float32)
    assert w.dtype is dagrad.float32
    same_error(lambda lib: lib.nn.Linear(2, 2).to(lib.int64))


def test_to_leaves_integer_buffers():
    m = nn.Module()
    m.register_buffer("count", dagrad.tensor(3))
    m.double()
    assert m.count.dtype is dagrad.int64


# ---- copying -----------------------------------------------------------------------------------------------------
def test_deepcopy_and_pickle_keep_weights_and_sharing():
    m = net(dagrad)
    with dagrad.no_grad():
        m.enc[0].w.mul_(3)
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert repr(clone) == repr(m)
        for (k, a), (_, b) in zip(clone.state_dict().items(), m.state_dict().items()):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.data_ptr() != b.data_ptr(), k
        assert clone.heads[0] is clone.shared
        assert isinstance(clone.enc[0].w, nn.Parameter) and clone.enc[0].w.requires_grad
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in m.named_parameters()]


# ---- hooks -------------------------------------------------------------------------------------------------------
def test_forward_hooks_order_and_effects():
    def run(lib):
        calls = []
        m = make_lin(lib)(2, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: (calls.append("pre1"), (args[0] * 2,))[1])
        m.register_forward_pre_hook(lambda mod, args: calls.append("pre0"), prepend=True)
        m.register_forward_pre_hook(lambda mod, args, kwargs: (calls.append("prekw"), (args, kwargs))[1],
                                    with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: (calls.append("post"), out + 1)[1])
        m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(f"postkw{len(kwargs)}"),
                                with_kwargs=True)
        out1 = m(lib.ones(1, 2)).tolist()
        h1.remove()
        out2 = m(lib.ones(1, 2)).tolist()
        return calls, out1, out2
    d, t = both(run)
    assert d == t


def test_forward_hook_always_call_and_bad_pre_hook():
    def run(lib):
        seen = []

        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Boom()
        m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
        with pytest.raises(ValueError):
            m(lib.ones(1))
        return seen
    d, t = both(run)
    assert d == t == [None]

    def bad(lib):
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        m(lib.ones(1))
    same_error(bad)


def _record_backward(lib, x_requires_grad=True, modify=False, pre_modify=False):
    Lin = make_lin(lib)
    m = Lin(3, 2)
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["gi"] = [None if g is None else g.tolist() for g in grad_input]
        seen["go"] = [None if g is None else g.tolist() for g in grad_output]
        if modify:
            return tuple(None if g is None else g * 10 for g in grad_input)

    def pre_hook(mod, grad_output):
        seen["pre"] = [g.tolist() for g in grad_output]
        if pre_modify:
            return (grad_output[0] * 2,)

    m.register_full_backward_pre_hook(pre_hook)
    m.register_full_backward_hook(hook)
    x = lib.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=x_requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m(x)
        (out * lib.tensor([[1.0, -2.0], [3.0, 0.5]])).sum().backward()
    seen["xgrad"] = None if x.grad is None else x.grad.tolist()
    seen["wgrad"] = m.w.grad.tolist()
    seen["grad_fn"] = out.grad_fn.name()
    return seen


@pytest.mark.parametrize("kw", [{}, {"modify": True}, {"pre_modify": True}, {"x_requires_grad": False}])
def test_full_backward_hooks_match_torch(kw):
    d, t = both(lambda lib: _record_backward(lib, **kw))
    assert d == t


def test_backward_hook_kinds_cannot_mix():
    def fn(lib):
        m = lib.nn.Identity()
        m.register_full_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)
    same_error(fn)


def test_state_dict_hooks():
    m = make_lin(dagrad)(1, 1)
    seen = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", list(sd))))
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(("load", list(keys.missing_keys))))
    m.load_state_dict(m.state_dict())
    assert seen == [("pre", ""), ("post", ["w", "b"]), ("load", [])]


# ---- reprs ------------------------------------------------------------------------------------------------------
def _repr_models(lib):
    nn_ = lib.nn
    yield nn_.Sequential(nn_.Linear(784, 256), nn_.ReLU(), nn_.Linear(256, 10))
    yield nn_.Sequential(OrderedDict([("conv", nn_.Conv2d(1, 4, 3, padding=1)), ("act", nn_.ReLU(inplace=True)),
                                      ("pool", nn_.MaxPool2d(2)), ("flat", nn_.Flatten()),
                                      ("fc", nn_.Sequential(nn_.Dropout(0.2), nn_.Linear(4, 2, bias=False)))]))
    yield nn_.ModuleList([nn_.Linear(2, 2) for _ in range(3)] + [nn_.ReLU(), nn_.ReLU(), nn_.Tanh()])
    yield nn_.ModuleList()
    yield nn_.ModuleDict({"z": nn_.GELU(), "a": nn_.LayerNorm(4)})
    yield nn_.ParameterList([nn_.Parameter(lib.ones(2, 3)), lib.zeros(4)])
    yield nn_.ParameterDict({"b": nn_.Parameter(lib.ones(2)), "a": lib.zeros(1, dtype=lib.float64)})
    yield net(lib)


def test_module_tree_reprs_match_torch():
    for d, t in zip(_repr_models(dagrad), _repr_models(torch)):
        assert _text(repr(d)) == _text(repr(t))
        assert list(d.state_dict()) == list(t.state_dict())


# ---- containers -------------------------------------------------------------------------------------------------
def _seq_ops(lib):
    nn_ = lib.nn
    layers = [nn_.Linear(1, 1), nn_.ReLU(), nn_.Tanh(), nn_.Sigmoid()]
    s = nn_.Sequential(*layers)
    out = [len(s), s[-1] is layers[3], type(s[1:3]).__name__, [type(m).__name__ for m in s[::2]]]
    s.append(nn_.ELU())
    s.insert(1, nn_.SELU())
    s.insert(-1, nn_.GELU())
    s.extend([nn_.Mish()])
    out.append([type(m).__name__ for m in s])
    out.append(type(s.pop(2)).__name__)
    del s[0]
    del s[1:3]
    out.append(list(s._modules))
    s[0] = nn_.Softsign()
    out.append(repr(s))
    out.append(repr(s + nn_.Sequential(nn_.ReLU())))
    out.append(repr(nn_.Sequential(nn_.ReLU()) * 2))
    s2 = nn_.Sequential(nn_.ReLU())
    s2 *= 3
    s2 += nn_.Sequential(nn_.Tanh())
    out.append(repr(s2))
    ml = nn_.ModuleList([nn_.ReLU()])
    ml.append(nn_.Tanh()).extend([nn_.ReLU()])
    ml.insert(0, nn_.SELU())
    ml += [nn_.GELU()]
    out.append([type(m).__name__ for m in ml[1:]])
    del ml[0]
    out.append(repr(ml))
    md = nn_.ModuleDict([("x", nn_.ReLU()), ("y", nn_.Tanh())])
    md.update({"z": nn_.GELU()})
    out.append((list(md), "x" in md, type(md.pop("y")).__name__, list(md.keys())))
    pl = nn_.ParameterList([lib.ones(1)])
    pl.append(lib.zeros(2))
    out.append((len(pl), [type(p).__name__ for p in pl], [n for n, _ in pl.named_parameters()]))
    pd = nn_.ParameterDict({"b": lib.ones(1), "a": lib.ones(2)})
    pd["c"] = lib.zeros(1)
    out.append((list(pd), [n for n, _ in pd.named_parameters()], type(pd["a"]).__name__, "a" in pd,
                list((pd | nn_.ParameterDict({"d": lib.ones(1)})).keys())))
    return out


def test_containers_match_torch():
    d, t = both(_seq_ops)
    assert [_text(x) if isinstance(x, str) else x for x in d] == [_text(x) if isinstance(x, str) else x for x in t]


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.Sequential(lib.nn.ReLU())[3],
    lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[-2],
    lambda lib: lib.nn.Sequential() + lib.nn.ReLU(),
    lambda lib: lib.nn.Sequential(lib.nn.ReLU()) * 0,
    lambda lib: lib.nn.ModuleList(3),
    lambda lib: lib.nn.ParameterList(lib.ones(2)),
    lambda lib: lib.nn.ParameterList()(1),
    lambda lib: lib.nn.ModuleDict([(1, 2, 3)]),
])
def test_container_errors_match_torch(fn):
    same_error(fn)


def test_sequential_forward_chains():
    Lin = make_lin(dagrad)
    s = nn.Sequential(Lin(2, 3), nn.ReLU(), Lin(3, 1))
    assert s(dagrad.ones(4, 2)).shape == (4, 1)


# ---- more hooks and registration forms --------------------------------------------------------------------------
def test_backward_hooks_two_inputs_and_tuple_output():
    def run(lib):
        class Pair(lib.nn.Module):
            def forward(self, a, scale, b):
                return a * b * scale, a - b

        m = Pair()
        seen = {}
        m.register_full_backward_hook(lambda mod, gi, go: seen.update(
            gi=[None if g is None else g.tolist() for g in gi], go=[None if g is None else g.tolist() for g in go]))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0])  # no grad: its slot in grad_input is None
        p, q = m(a, 2.0, b)
        (p.sum() + (q * q).sum()).backward()
        seen["a"] = a.grad.tolist()
        seen["names"] = (p.grad_fn.name(), q.grad_fn.name(), q.requires_grad)
        with lib.no_grad():
            m(a, 2.0, b)  # nothing recorded: the hook cannot fire
        return seen
    d, t = both(run)
    assert d == t


def test_global_forward_hooks():
    from dagrad.nn.modules import module as dmod
    seen = []
    h1 = dmod.register_module_forward_pre_hook(lambda mod, args: seen.append(("pre", type(mod).__name__)))
    h2 = dmod.register_module_forward_hook(lambda mod, args, out: seen.append(("post", type(mod).__name__)))
    try:
        nn.Sequential(nn.ReLU(), nn.Tanh())(dagrad.ones(2))
    finally:
        h1.remove()
        h2.remove()
    assert seen == [("pre", "Sequential"), ("pre", "ReLU"), ("post", "ReLU"), ("pre", "Tanh"), ("post", "Tanh"),
                    ("post", "Sequential")]
    nn.ReLU()(dagrad.ones(1))
    assert len(seen) == 6


def test_register_module_and_set_submodule():
    def build(lib):
        m = lib.nn.Sequential(lib.nn.Identity())
        m.register_module("head", lib.nn.ReLU())
        m.set_submodule("head", lib.nn.Tanh())
        m.set_submodule("0", lib.nn.GELU())
        return repr(m)
    d, t = both(build)
    assert d == t
    same_error(lambda lib: lib.nn.Sequential(lib.nn.ReLU()).set_submodule("", lib.nn.ReLU()))
    same_error(lambda lib: lib.nn.Sequential(lib.nn.ReLU()).set_submodule("x.y", lib.nn.ReLU()))


def test_state_dict_positional_args_warn():
    m = make_lin(dagrad)(1, 1)
    dest = OrderedDict()
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        out = m.state_dict(dest, "pre.")
    assert out is dest and list(dest) == ["pre.w", "pre.b"]


def test_extra_state_round_trip():
    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.counter = 0

        def get_extra_state(self):
            return {"counter": self.counter}

        def set_extra_state(self, state):
            self.counter = state["counter"]

    a, b = WithState(), WithState()
    a.counter = 5
    sd = a.state_dict()
    assert list(sd) == ["_extra_state"]
    b.load_state_dict(sd)
    assert b.counter == 5
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "_extra_state"'):
        b.load_state_dict({})


@pytest.mark.parametrize("args", [(), ("cpu",), ("cpu", "float64"), ("float64",), ("tensor64",)])
def test_to_call_forms(args):
    m = nn.Linear(2, 2)
    conv = {"float64": dagrad.float64, "tensor64": dagrad.zeros(1, dtype=dagrad.float64)}
    assert m.to(*(conv.get(a, a) for a in args)) is m
    expected = dagrad.float64 if any(a in conv for a in args) else dagrad.float32
    assert m.weight.dtype is expected
    m.to(device="cpu", dtype=dagrad.float32)
    assert m.weight.dtype is dagrad.float32


def test_module_pickles_with_hooks_dicts():
    m = nn.Linear(2, 2)
    m.register_forward_hook(_noop_hook)
    clone = pickle.loads(pickle.dumps(m))
    assert len(clone._forward_hooks) == 1 and clone(dagrad.ones(1, 2)).shape == (1, 2)


def _noop_hook(module, args, out):
    return None
