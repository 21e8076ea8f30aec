"""dagrad.optim.lr_scheduler against torch.optim.lr_scheduler: lr (and momentum) sequences, state_dicts, errors."""
import warnings

import numpy as np
import pytest

import dagrad as dg

torch = pytest.importorskip("torch")


def make_optimizer(lib, groups=1, cls="SGD", lr=0.1, **kwargs):
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr * (i + 1)} for i in range(groups)]
    return getattr(lib.optim, cls)(params, **kwargs)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def sequence(lib, make, steps=50, groups=1, cls="SGD", metrics=None, **opt_kwargs):
    """Learning rates and momenta of every group, before the first step and after each of ``steps`` steps."""
    opt = make_optimizer(lib, groups, cls, **({"momentum": 0.9} if cls == "SGD" else {}), **opt_kwargs)
    sched = make(lib.optim.lr_scheduler, opt)
    rows = [[g["lr"] for g in opt.param_groups] + momenta(opt)]
    last = [sched.get_last_lr()]
    for i in range(steps):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
        rows.append([g["lr"] for g in opt.param_groups] + momenta(opt))
        last.append(sched.get_last_lr())
    return np.array(rows, dtype=float), np.array(last, dtype=float), sched


SCHEDULERS = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)][:len(o.param_groups)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda L, o: L.StepLR(o, 7, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [5, 10, 10, 30], gamma=0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=8),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=30, power=2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=7),
    "OneCycleLR-cos": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=50),
    "OneCycleLR-linear-3phase": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 2.0][:len(o.param_groups)], epochs=5,
                                                          steps_per_epoch=10, anneal_strategy="linear",
                                                          three_phase=True, div_factor=10.0),
    "OneCycleLR-no-momentum": lambda L, o: L.OneCycleLR(o, max_lr=0.5, total_steps=60, pct_start=0.25,
                                                        cycle_momentum=False),
    "CyclicLR-triangular": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "CyclicLR-scale_fn": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5, scale_fn=lambda x: 0.5 ** x,
                                                 scale_mode="iterations", cycle_momentum=False),
    "SequentialLR": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 20),
                                                    L.ExponentialLR(o, 0.9)], milestones=[5, 25]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 6), L.ExponentialLR(o, 0.95),
                                                         L.StepLR(o, 10, 0.5)]),
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_torch(name, groups):
    t_rows, t_last, t_sched = sequence(torch, SCHEDULERS[name], groups=groups)
    d_rows, d_last, d_sched = sequence(dg, SCHEDULERS[name], groups=groups)
    np.testing.assert_allclose(d_rows, t_rows, rtol=1e-12, atol=0)
    np.testing.assert_allclose(d_last, t_last, rtol=1e-12, atol=0)
    t_sd, d_sd = t_sched.state_dict(), d_sched.state_dict()
    assert list(d_sd) == list(t_sd)
    assert repr(d_sd) == repr(t_sd)


@pytest.mark.parametrize("name", ["CyclicLR-triangular", "OneCycleLR-cos"])
def test_cycle_momentum_with_adam_betas(name):
    t_rows, _, _ = sequence(torch, SCHEDULERS[name], cls="Adam")
    d_rows, _, _ = sequence(dg, SCHEDULERS[name], cls="Adam")
    np.testing.assert_allclose(d_rows, t_rows, rtol=1e-12, atol=0)


METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.8, 0.85, 0.7] * 4
PLATEAU = [
    {},
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5, "threshold_mode": "abs", "threshold": 0.01, "cooldown": 2,
     "min_lr": 0.02},
    {"patience": 0, "factor": 0.5, "min_lr": [0.03, 0.01], "threshold": 0.05, "cooldown": 1, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau(kwargs):
    def make(L, o):
        return L.ReduceLROnPlateau(o, **kwargs)

    t_rows, t_last, t_sched = sequence(torch, make, groups=2, metrics=METRICS, steps=len(METRICS))
    d_rows, d_last, d_sched = sequence(dg, make, groups=2, metrics=METRICS, steps=len(METRICS))
    np.testing.assert_allclose(d_rows, t_rows, rtol=1e-12, atol=0)
    np.testing.assert_allclose(d_last, t_last, rtol=1e-12, atol=0)
    assert repr(d_sched.state_dict()) == repr(t_sched.state_dict())


def test_reduce_lr_on_plateau_accepts_tensor_metric():
    opt = make_optimizer(dg)
    sched = dg.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(dg.tensor(1.0))
    sched.step(dg.tensor(2.0))
    assert sched.get_last_lr() == [pytest.approx(0.01)]


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR-cos", "CyclicLR-triangular2",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_round_trip_resumes(name):
    make = SCHEDULERS[name]
    _, full, _ = sequence(dg, make, steps=30)
    opt = make_optimizer(dg, momentum=0.9)
    sched = make(dg.optim.lr_scheduler, opt)
    for _ in range(12):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    opt2 = make_optimizer(dg, momentum=0.9)
    sched2 = make(dg.optim.lr_scheduler, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    lrs = []
    for _ in range(18):
        opt2.step()
        sched2.step()
        lrs.append(sched2.get_last_lr())
    np.testing.assert_allclose(np.array(lrs, dtype=float), full[13:], rtol=1e-12)


@pytest.mark.parametrize("name,epochs", [("StepLR", [3, 7, 15, 2]), ("MultiStepLR", [4, 10, 31]),
                                         ("ExponentialLR", [5, 1]), ("CosineAnnealingLR", [6, 13, 25]),
                                         ("LinearLR", [3, 30]), ("PolynomialLR", [10, 40]),
                                         ("ConstantLR", [2, 9]), ("CosineAnnealingWarmRestarts", [3, 12, 4.5, 40])])
def test_step_with_epoch_uses_closed_form(name, epochs):
    results = []
    for lib in (torch, dg):
        opt = make_optimizer(lib, groups=2, momentum=0.9)
        sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        lrs = []
        for e in epochs:
            opt.step()
            sched.step(e)
            lrs.append(sched.get_last_lr())
        results.append(np.array(lrs, dtype=float))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_initial_lr_and_base_lrs():
    for lib in (torch, dg):
        opt = make_optimizer(lib, groups=2)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        assert sched.base_lrs == [0.1, 0.2] and sched.last_epoch == 0


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


ERRORS = [
    lambda L, o: L.StepLR(None, 3),
    lambda L, o: L.StepLR(o, 3, last_epoch=5),
    lambda L, o: L.ConstantLR(o, factor=1.5),
    lambda L, o: L.LinearLR(o, start_factor=0),
    lambda L, o: L.LinearLR(o, end_factor=1.5),
    lambda L, o: L.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]),
    lambda L, o: L.MultiplicativeLR(o, 0.5),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="a"),
    lambda L, o: L.OneCycleLR(o, 1.0),
    lambda L, o: L.OneCycleLR(o, 1.0, total_steps=0),
    lambda L, o: L.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=2),
    lambda L, o: L.OneCycleLR(o, 1.0, total_steps=10, pct_start=1),
    lambda L, o: L.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.OneCycleLR(o, [1.0, 2.0], total_steps=10),
    lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="zigzag"),
    lambda L, o: L.SequentialLR(o, [], milestones=[]),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], milestones=[3]),
    lambda L, o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], milestones=[]),
    lambda L, o: L.ChainedScheduler([]),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="middle"),
    lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="rel2"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors_match_torch(make):
    expected = _error(lambda: make(torch.optim.lr_scheduler, make_optimizer(torch)))
    assert _error(lambda: make(dg.optim.lr_scheduler, make_optimizer(dg))) == expected


def test_cyclic_momentum_requires_support():
    for lib in (torch, dg):
        opt = lib.optim.Adagrad([lib.zeros(2, requires_grad=True)])
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum`"):
            lib.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0)


def test_onecycle_steps_past_total():
    opt = make_optimizer(dg, momentum=0.9)
    sched = dg.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="^Tried to step 4 times. The specified number of total steps is 3$"):
        sched.step()


def test_warnings():
    opt = make_optimizer(dg)
    sched = dg.optim.lr_scheduler.StepLR(opt, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step()
    assert any("Detected call of `lr_scheduler.step()` before `optimizer.step()`" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        warnings.simplefilter("always")
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(4)
    opt2 = make_optimizer(dg)
    sched2 = dg.optim.lr_scheduler.ExponentialLR(opt2, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        sched2.step()
