"""dagrad.optim optimizers against torch.optim: update formulas, state_dict layout, validation errors, hooks."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import dagrad as dg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 5))
Y = RNG.standard_normal((8, 3))
W0 = [RNG.standard_normal((5, 4)), RNG.standard_normal(4), RNG.standard_normal((4, 3))]


def leaves(lib, dtype="float64", arrays=W0):
    return [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]


def loss_fn(lib, ps, dtype="float64"):
    """A small tanh MLP with a squared-error loss; gradients come from each library's own autograd."""
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
    h = lib.tanh(x @ ps[0] + ps[1])
    return ((h @ ps[2] - y) ** 2).mean()


def run(lib, cls, kwargs, steps=10, dtype="float64", opt=None, ps=None):
    ps = leaves(lib, dtype) if ps is None else ps
    opt = getattr(lib.optim, cls)(ps, **kwargs) if opt is None else opt
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(lib, ps, dtype).backward()
        opt.step()
    return ps, opt


def arrays(ps):
    return [p.detach().numpy().copy() for p in ps]


CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.5, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "centered": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
]
IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for c, kw in CASES]


@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_matches_torch_float64(cls, kwargs):
    expected, _ = run(torch, cls, kwargs)
    got, _ = run(dg, cls, kwargs)
    for e, g in zip(arrays(expected), arrays(got)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls,kwargs", CASES[::3], ids=IDS[::3])
def test_matches_torch_float32(cls, kwargs):
    expected, _ = run(torch, cls, kwargs, dtype="float32")
    got, _ = run(dg, cls, kwargs, dtype="float32")
    for e, g in zip(arrays(expected), arrays(got)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=1e-6)


def _np(v):
    return v.detach().numpy() if isinstance(v, torch.Tensor) else v.detach()._data


def assert_same_structure(expected, got, path="state_dict"):
    """Same keys (and order), nesting, Python types, tensor dtypes/shapes and values."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(got, dg.Tensor), path
        assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], path
        assert tuple(got.shape) == tuple(expected.shape), path
        np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-9, atol=1e-12, err_msg=path)
    elif isinstance(expected, dict):
        assert isinstance(got, dict), path
        assert list(got) == list(expected), path
        for k in expected:
            assert_same_structure(expected[k], got[k], f"{path}[{k!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected), path
        for i, (e, g) in enumerate(zip(expected, got)):
            assert_same_structure(e, g, f"{path}[{i}]")
    else:
        assert type(got) is type(expected) and got == expected, path


@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_state_dict_layout(cls, kwargs):
    _, t_opt = run(torch, cls, kwargs, steps=3)
    _, d_opt = run(dg, cls, kwargs, steps=3)
    assert_same_structure(t_opt.state_dict(), d_opt.state_dict())


def to_dagrad(obj):
    """A torch state_dict converted to dagrad (tensors rebuilt with the same dtype)."""
    if isinstance(obj, torch.Tensor):
        return dg.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_dagrad(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_dagrad(v) for v in obj)
    return obj


@pytest.mark.parametrize("cls,kwargs", CASES[1::2], ids=IDS[1::2])
def test_load_state_dict_continues_identically(cls, kwargs):
    t_ps, t_opt = run(torch, cls, kwargs, steps=4)
    d_ps, d_opt = run(dg, cls, kwargs, steps=4)
    # a fresh dagrad optimizer resumes from dagrad's own state_dict and from torch's
    resumed = []
    for source in (copy.deepcopy(d_opt.state_dict()), to_dagrad(t_opt.state_dict())):
        ps = [dg.tensor(a, requires_grad=True) for a in arrays(d_ps)]
        fresh = getattr(dg.optim, cls)(ps, lr=0.123)
        fresh.load_state_dict(source)
        assert fresh.param_groups[0]["lr"] == d_opt.param_groups[0]["lr"]
        resumed.append(run(dg, cls, kwargs, steps=4, opt=fresh, ps=ps)[0])
    run(torch, cls, kwargs, steps=4, opt=t_opt, ps=t_ps)
    run(dg, cls, kwargs, steps=4, opt=d_opt, ps=d_ps)
    for ps in [d_ps] + resumed:
        for e, g in zip(arrays(t_ps), arrays(ps)):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)


def test_state_dict_shares_live_state_and_keeps_ids():
    ps = leaves(dg)
    opt = dg.optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.1}])
    run(dg, "Adam", {}, steps=1, opt=opt, ps=ps)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["state"][0]["exp_avg"] is opt.state[ps[0]]["exp_avg"]
    assert sd["state"][0]["step"].dtype == dg.float32 and sd["state"][0]["step"].item() == 1.0
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        dg.optim.Adam(ps).load_state_dict(sd)
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["params"] = [0]
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that doesn't match the size "
                                         "of optimizer's group$"):
        opt.load_state_dict(bad)


def test_state_cast_to_param_dtype_on_load():
    t_ps, t_opt = run(torch, "Adam", {}, steps=2)
    ps = leaves(dg, "float32")
    opt = dg.optim.Adam(ps)
    opt.load_state_dict(to_dagrad(t_opt.state_dict()))
    st = opt.state[ps[0]]
    assert st["exp_avg"].dtype == dg.float32 and st["step"].dtype == dg.float32


ERROR_CASES = [
    ("SGD", {"lr": -1}), ("SGD", {"lr": 0.1, "momentum": -0.5}), ("SGD", {"lr": 0.1, "weight_decay": -1}),
    ("SGD", {"lr": 0.1, "nesterov": True}), ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -0.01}), ("Adam", {"eps": -1.0}), ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -0.1}), ("Adam", {"betas": (0.9, 1)}),
    ("Adam", {"fused": True, "foreach": True}), ("AdamW", {"lr": -2.0}),
    ("RMSprop", {"lr": -1.0}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -1.0}),
    ("RMSprop", {"weight_decay": -1.0}), ("RMSprop", {"alpha": -1.0}),
    ("Adagrad", {"lr": -1.0}), ("Adagrad", {"lr_decay": -1.0}), ("Adagrad", {"weight_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0}), ("Adagrad", {"eps": -1.0}),
    ("Adadelta", {"lr": -1.0}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1.0}),
    ("Adadelta", {"weight_decay": -1.0}), ("Adamax", {"betas": (0.9, 1.0)}), ("Adamax", {"eps": -1.0}),
    ("NAdam", {"momentum_decay": -1.0}), ("NAdam", {"betas": (-0.1, 0.9)}), ("RAdam", {"weight_decay": -1.0}),
    ("LBFGS", {"lr": -1.0}),
]


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value).replace("dagrad._tensor.Tensor", "torch.Tensor")


@pytest.mark.parametrize("cls,kwargs", ERROR_CASES, ids=[f"{c}-{kw}" for c, kw in ERROR_CASES])
def test_validation_errors(cls, kwargs):
    expected = _error(lambda: getattr(torch.optim, cls)(leaves(torch), **kwargs))
    assert _error(lambda: getattr(dg.optim, cls)(leaves(dg), **kwargs)) == expected


PARAM_ERRORS = [
    lambda lib, ps: lib.optim.SGD([], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps[0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([1.0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": set(ps)}], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[0] * 2], lr=0.1),
    lambda lib, ps: lib.optim.SGD([("a", ps[0]), ps[1]], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": [("a", ps[0])]}, {"params": [ps[1]]}], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).add_param_group(ps[0]),
    lambda lib, ps: lib.optim.LBFGS([{"params": ps[:1]}, {"params": ps[1:]}]),
]


@pytest.mark.parametrize("make", PARAM_ERRORS)
def test_param_group_errors(make):
    expected = _error(lambda: make(torch, leaves(torch)))
    assert _error(lambda: make(dg, leaves(dg))) == expected


def test_param_groups_defaults_and_names():
    for lib in (torch, dg):
        ps = leaves(lib)
        opt = lib.optim.SGD(iter([{"params": iter(ps[:2])}, {"params": ps[2], "lr": 0.5}]), lr=0.1, momentum=0.9)
        groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        if lib is torch:
            expected = groups
        else:
            assert groups == expected
            assert opt.param_groups[0]["params"] == ps[:2] and opt.param_groups[1]["params"][0] is ps[2]
            assert opt.defaults == {**expected[0], "lr": 0.1}
        named = lib.optim.Adam((f"w{i}", p) for i, p in enumerate(ps))
        assert named.param_groups[0]["param_names"] == ["w0", "w1", "w2"]
        assert named.state_dict()["param_groups"][0]["param_names"] == ["w0", "w1", "w2"]


def test_duplicate_params_warn():
    ps = leaves(dg)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        dg.optim.SGD([ps[0], ps[0]], lr=0.1)


def test_repr_matches_torch():
    for cls, kwargs in CASES[::4] + [("LBFGS", {})]:
        t_opt = getattr(torch.optim, cls)(leaves(torch), **kwargs)
        d_opt = getattr(dg.optim, cls)(leaves(dg), **kwargs)
        assert repr(d_opt) == repr(t_opt)


def test_zero_grad():
    ps = leaves(dg)
    opt = dg.optim.SGD(ps, lr=0.1)
    loss_fn(dg, ps).backward()
    grad = ps[0].grad
    opt.zero_grad(set_to_none=False)
    assert ps[0].grad is grad and not grad._data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_step_skips_params_without_grad_and_bumps_version():
    ps = leaves(dg)
    opt = dg.optim.Adam(ps)
    loss_fn(dg, ps[:1] + [dg.tensor(W0[1]), dg.tensor(W0[2])]).backward()
    before = [p._version[0] for p in ps]
    opt.step()
    assert ps[0]._version[0] == before[0] + 1 and ps[1]._version[0] == before[1]
    assert list(opt.state) == [ps[0]]
    np.testing.assert_array_equal(ps[1].detach().numpy(), W0[1])


def test_step_hooks_and_closure():
    calls = []
    ps = leaves(dg)
    opt = dg.optim.SGD(ps, lr=0.1)
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, args, kwargs)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post",)))
    g = dg.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global",)))

    def closure():
        opt.zero_grad()
        loss = loss_fn(dg, ps)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, dg.Tensor) and loss.requires_grad
    assert calls == [("global",), ("pre", True, (closure,), {}), ("post",)]
    for h in (h1, h2, g):
        h.remove()
    opt.step(closure)
    assert len(calls) == 3


def test_pre_hook_can_replace_arguments():
    ps = leaves(dg)
    opt = dg.optim.SGD(ps, lr=0.1)
    seen = []

    def closure():
        seen.append(1)
        return dg.tensor(0.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": closure}))
    opt.step()
    assert seen == [1]


def test_tensor_lr_and_named_tuple_betas():
    t_ps, t_opt = run(torch, "SGD", {"lr": torch.tensor(0.05), "momentum": 0.9})
    d_ps, d_opt = run(dg, "SGD", {"lr": dg.tensor(0.05), "momentum": 0.9})
    for e, g in zip(arrays(t_ps), arrays(d_ps)):
        np.testing.assert_allclose(g, e, rtol=1e-10)


def test_complex_params_adam_matches_torch():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    gs = [rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2)) for _ in range(4)]
    out = []
    for lib in (torch, dg):
        p = lib.tensor(z.copy(), requires_grad=True)
        opt = lib.optim.Adam([p], lr=0.1, amsgrad=True, weight_decay=0.1)
        for g in gs:
            p.grad = lib.tensor(g.copy())
            opt.step()
        out.append(p.detach().numpy().copy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12)


def test_pickle_round_trip():
    ps, opt = run(dg, "Adam", {"lr": 0.01}, steps=2)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["lr"] == 0.01 and len(clone.state) == 3
    copied = copy.deepcopy(opt)
    assert copied.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


LBFGS_CASES = [
    {"lr": 0.5, "max_iter": 5},
    {"lr": 1, "max_iter": 6, "history_size": 2, "tolerance_change": 1e-12},
    {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 3},
    {"line_search_fn": "strong_wolfe"},
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch(kwargs):
    results = []
    for lib in (torch, dg):
        ps = leaves(lib)
        opt = lib.optim.LBFGS(ps, **kwargs)

        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, ps)
            loss.backward()
            return loss

        losses = [float(opt.step(closure).detach()) for _ in range(3)]
        results.append((arrays(ps), losses, opt.state_dict()))
    (t_ps, t_losses, t_sd), (d_ps, d_losses, d_sd) = results
    np.testing.assert_allclose(d_losses, t_losses, rtol=1e-9)
    for e, g in zip(t_ps, d_ps):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-10)
    assert_same_structure_loose(t_sd, d_sd)


def assert_same_structure_loose(expected, got):
    """LBFGS state: same keys, types and counters; tensors within LBFGS's accumulated tolerance."""
    e, g = expected["state"][0], got["state"][0]
    assert list(g) == list(e)
    assert (g["func_evals"], g["n_iter"]) == (e["func_evals"], e["n_iter"])
    for k in e:
        assert type(g[k]).__name__ == type(e[k]).__name__, k
    np.testing.assert_allclose(g["d"]._data, e["d"].numpy(), rtol=1e-6, atol=1e-9)
    assert len(g["old_dirs"]) == len(e["old_dirs"])
    assert got["param_groups"] == expected["param_groups"]


def test_lbfgs_unknown_line_search():
    ps = leaves(dg)
    opt = dg.optim.LBFGS(ps, line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        opt.step(lambda: (opt.zero_grad(), loss_fn(dg, ps).backward(), loss_fn(dg, ps))[-1])


def test_lbfgs_float32_close_to_torch():
    results = []
    for lib in (torch, dg):
        ps = leaves(lib, "float32")
        opt = lib.optim.LBFGS(ps, lr=0.5, max_iter=8)

        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, ps, "float32")
            loss.backward()
            return loss

        opt.step(closure)
        results.append(arrays(ps))
    for e, g in zip(*results):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-4)


def test_no_warnings_in_plain_training_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(dg, "Adam", {"lr": 0.01}, steps=2)


def test_custom_optimizer_subclass_gets_hooks():
    class SignSGD(dg.optim.Optimizer):
        def __init__(self, params, lr=dg.optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        @dg.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad.sign(), alpha=-group["lr"])
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1

    ps = leaves(dg)
    with pytest.raises(ValueError, match="^parameter group didn't specify a value of required optimization "
                                         "parameter lr$"):
        SignSGD(ps)
    opt = SignSGD(ps, lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    loss_fn(dg, ps).backward()
    opt.step()
    assert calls == [1] and opt.state_dict()["state"][0] == {"n": 1}
    np.testing.assert_allclose(ps[1].detach().numpy(), W0[1] - 0.1 * np.sign(ps[1].grad.numpy()))


def test_differentiable_not_supported():
    with pytest.raises(NotImplementedError, match="does not support differentiable=True"):
        dg.optim.Adam(leaves(dg), differentiable=True)


def test_training_nn_modules_matches_torch():
    if not all(hasattr(dg.nn, n) for n in ("Linear", "Sequential", "Tanh")) or not hasattr(dg.nn.functional, "linear"):
        pytest.skip("dagrad.nn.Linear is not available yet")

    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 3)).double()

    torch.manual_seed(0)
    models = {torch: build(torch), dg: build(dg)}
    for p, q in zip(models[dg].parameters(), models[torch].parameters()):
        p.data = dg.tensor(q.detach().numpy().copy())
    for lib, model in models.items():
        opt = lib.optim.AdamW(model.parameters(), lr=0.01)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
        x, y = lib.tensor(X), lib.tensor(Y)
        for _ in range(6):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
            sched.step()
    for e, g in zip(models[torch].parameters(), models[dg].parameters()):
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ["Adam", "NAdam", "Adagrad"])
def test_step_dtype_follows_default_dtype(cls):
    dtypes = []
    for lib in (torch, dg):
        old = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            _, opt = run(lib, cls, {}, steps=1)
        finally:
            lib.set_default_dtype(old)
        state = opt.state_dict()["state"][0]
        dtypes.append({k: str(v.dtype).split(".")[-1] for k, v in state.items()})
    assert dtypes[1] == dtypes[0]
