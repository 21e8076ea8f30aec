"""nn.init against torch: after the same seed every initialiser fills bit-identical values (orthogonal_: to
LAPACK rounding), leaves the generator in the same state, and has torch's statistics and errors."""
import math
import warnings

import numpy as np
import pytest

import dagrad
from dagrad import nn

torch = pytest.importorskip("torch")


def _fill(lib, shape, fn, seed=0, dtype="float32", requires_grad=False):
    lib.manual_seed(seed)
    t = lib.empty(*shape, dtype=getattr(lib, dtype))
    if requires_grad:
        t = lib.nn.Parameter(t)
    out = fn(lib, t)
    assert out is t
    return t.detach().numpy().copy(), lib.rand(3).numpy().copy()  # the values and the generator's next draws


def same_values(shape, fn, dtype="float32", seed=0):
    (d, d_next), (t, t_next) = (_fill(dagrad, shape, fn, seed, dtype), _fill(torch, shape, fn, seed, dtype))
    np.testing.assert_array_equal(d, t)
    np.testing.assert_array_equal(d_next, t_next)
    return d


INITS = {
    "uniform": lambda lib, t: lib.nn.init.uniform_(t),
    "uniform_ab": lambda lib, t: lib.nn.init.uniform_(t, -0.3, 0.7),
    "normal": lambda lib, t: lib.nn.init.normal_(t),
    "normal_ms": lambda lib, t: lib.nn.init.normal_(t, mean=1.5, std=0.1),
    "constant": lambda lib, t: lib.nn.init.constant_(t, 0.25),
    "ones": lambda lib, t: lib.nn.init.ones_(t),
    "zeros": lambda lib, t: lib.nn.init.zeros_(t),
    "xavier_uniform": lambda lib, t: lib.nn.init.xavier_uniform_(t),
    "xavier_uniform_gain": lambda lib, t: lib.nn.init.xavier_uniform_(t, gain=lib.nn.init.calculate_gain("relu")),
    "xavier_normal": lambda lib, t: lib.nn.init.xavier_normal_(t, gain=2.0),
    "kaiming_uniform": lambda lib, t: lib.nn.init.kaiming_uniform_(t),
    "kaiming_uniform_sqrt5": lambda lib, t: lib.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
    "kaiming_uniform_fan_out": lambda lib, t: lib.nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    "kaiming_normal": lambda lib, t: lib.nn.init.kaiming_normal_(t),
    "kaiming_normal_tanh": lambda lib, t: lib.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"),
    "trunc_normal": lambda lib, t: lib.nn.init.trunc_normal_(t),
    "trunc_normal_vit": lambda lib, t: lib.nn.init.trunc_normal_(t, std=0.02),
    "trunc_normal_tight": lambda lib, t: lib.nn.init.trunc_normal_(t, mean=0.1, std=1.0, a=-0.5, b=0.5),
    "trunc_normal_narrow": lambda lib, t: lib.nn.init.trunc_normal_(t, mean=0.0, std=1.0, a=-0.2, b=0.1),
    "trunc_normal_offset": lambda lib, t: lib.nn.init.trunc_normal_(t, mean=1.0, std=0.5, a=0.0, b=1.2),
    "sparse": lambda lib, t: (lib.nn.init.sparse_(t.view(t.shape[0], -1), 0.3), t)[1],
}


@pytest.mark.parametrize("name", sorted(INITS))
@pytest.mark.parametrize("shape", [(7, 5), (16, 3, 3, 3), (300, 41)])
def test_init_bit_identical_to_torch(name, shape):
    same_values(shape, INITS[name])


@pytest.mark.parametrize("name", ["uniform_ab", "normal", "kaiming_normal", "trunc_normal", "xavier_uniform"])
def test_init_float64_and_parameters(name):
    same_values((33, 17), INITS[name], dtype="float64")
    (d, _), (t, _) = _fill(dagrad, (9, 4), INITS[name], requires_grad=True), \
        _fill(torch, (9, 4), INITS[name], requires_grad=True)
    np.testing.assert_array_equal(d, t)


def test_init_keeps_parameter_a_leaf():
    p = nn.Parameter(dagrad.empty(4, 3))
    for fn in INITS.values():
        fn(dagrad, p)
        assert p.is_leaf and p.grad_fn is None and p.requires_grad


@pytest.mark.parametrize("shape", [(3, 3), (4, 6), (6, 4), (1, 5)])
def test_eye(shape):
    same_values(shape, lambda lib, t: lib.nn.init.eye_(t))


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 2, 3, 3), 2), ((4, 5, 3, 3, 3), 1), ((2, 1, 5), 2)])
def test_dirac(shape, groups):
    same_values(shape, lambda lib, t: lib.nn.init.dirac_(t, groups=groups))


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (8, 2, 3), (20, 6)])
def test_orthogonal(shape):
    (d, d_next), (t, t_next) = (_fill(lib, shape, lambda lib, x: lib.nn.init.orthogonal_(x, gain=1.5))
                                for lib in (dagrad, torch))
    np.testing.assert_allclose(d, t, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(d_next, t_next)
    flat = d.reshape(shape[0], -1) / 1.5
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_generator_kwarg():
    def run(lib):
        g = lib.Generator().manual_seed(123)
        lib.manual_seed(0)
        t = lib.empty(50, 20)
        lib.nn.init.kaiming_uniform_(t, generator=g)
        a = t.numpy().copy()
        lib.nn.init.normal_(t, 0, 2, generator=g)
        b = t.numpy().copy()
        lib.nn.init.trunc_normal_(t, std=0.5, generator=g)
        c = t.numpy().copy()
        lib.nn.init.xavier_normal_(t, generator=g)
        return a, b, c, t.numpy().copy(), lib.rand(2).numpy()  # the default generator is untouched
    for d, t in zip(run(dagrad), run(torch)):
        np.testing.assert_array_equal(d, t)


@pytest.mark.parametrize("args", [("linear",), ("conv1d",), ("conv2d",), ("conv3d",), ("conv_transpose2d",),
                                  ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                                  ("leaky_relu", 3), ("leaky_relu", math.sqrt(5)), ("selu",)])
def test_calculate_gain(args):
    assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    assert type(nn.init.calculate_gain(*args)) is type(torch.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5), (16, 4, 3, 3), (2, 3, 2, 2, 2)])
def test_fan_in_and_fan_out(shape):
    assert nn.init._calculate_fan_in_and_fan_out(dagrad.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.init.calculate_gain("softmax"),
    lambda lib: lib.nn.init.calculate_gain("leaky_relu", True),
    lambda lib: lib.nn.init.calculate_gain("leaky_relu", "0.1"),
    lambda lib: lib.nn.init._calculate_fan_in_and_fan_out(lib.empty(3)),
    lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)),
    lambda lib: lib.nn.init.kaiming_normal_(lib.empty(3, 3), mode="fan_avg"),
    lambda lib: lib.nn.init.eye_(lib.empty(3, 3, 3)),
    lambda lib: lib.nn.init.dirac_(lib.empty(3, 3)),
    lambda lib: lib.nn.init.dirac_(lib.empty(3, 3, 3), groups=2),
    lambda lib: lib.nn.init.orthogonal_(lib.empty(3)),
    lambda lib: lib.nn.init.sparse_(lib.empty(3, 3, 3), 0.1),
])
def test_init_errors_match_torch(fn):
    errs = []
    for lib in (dagrad, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]) and str(errs[0]) == str(errs[1])


def test_zero_element_kaiming_warns_and_returns():
    t = dagrad.empty(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert nn.init.kaiming_uniform_(t) is t


def test_deprecated_aliases_warn():
    t = dagrad.empty(3, 3)
    with pytest.warns(FutureWarning, match=r"`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`"):
        nn.init.uniform(t)


def test_trunc_normal_far_mean_warns():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        nn.init.trunc_normal_(dagrad.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_statistics():
    dagrad.manual_seed(7)
    w = dagrad.empty(400, 250)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 250)) < 0.01 * math.sqrt(2 / 250) * 5
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(250)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    nn.init.xavier_uniform_(w)
    assert abs(w.numpy().var() - 2 / 650) < 0.05 * 2 / 650
    nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    arr = w.numpy()
    assert arr.min() >= -0.04 and arr.max() <= 0.04 and abs(arr.mean()) < 1e-3
    # a standard normal truncated to [-2, 2] has variance 1 - 4 phi(2) / (2 Phi(2) - 1)
    nn.init.trunc_normal_(w)
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    expected_var = 1 - 4 * phi2 / math.erf(2 / math.sqrt(2))
    assert abs(w.numpy().var() - expected_var) < 0.02
    nn.init.sparse_(w, 0.4)
    assert ((w.numpy() == 0).sum(axis=0) == 160).all()


def test_init_under_enable_grad_records_nothing():
    p = nn.Parameter(dagrad.ones(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.init.constant_(p, 2.0)
        nn.init.orthogonal_(p)
        nn.init.eye_(p)
        nn.init.dirac_(nn.Parameter(dagrad.ones(2, 2, 3)))
    assert p.grad_fn is None and p.numpy(force=True).tolist() == np.eye(3).tolist()
