"""nn.functional activations, linear layers, dropout, embedding, distances, normalisation and attention vs torch."""
import warnings

import numpy as np
import pytest

import dagrad
import dagrad.nn.functional as DF
from _functional_cmp import Const, compare, error_matches, gradcheck, randn

F64, F32 = np.float64, np.float32


# ---- activations ----------------------------------------------------------------------------------------
def _act_input(dtype, shape=(3, 7)):
    x = randn(*shape, dtype=dtype) * 3
    x.flat[:4] = [0.0, 3.0, -3.0, 25.0]  # kinks and thresholds
    return x


ACTS = [
    ("relu", lambda F, x: F.relu(x)),
    ("relu6", lambda F, x: F.relu6(x * 3)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2)),
    ("elu", lambda F, x: F.elu(x, 1.5)),
    ("selu", lambda F, x: F.selu(x)),
    ("celu", lambda F, x: F.celu(x, 0.7)),
    ("gelu", lambda F, x: F.gelu(x)),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("silu", lambda F, x: F.silu(x)),
    ("mish", lambda F, x: F.mish(x)),
    ("sigmoid", lambda F, x: F.sigmoid(x)),
    ("tanh", lambda F, x: F.tanh(x)),
    ("softplus", lambda F, x: F.softplus(x)),
    ("softplus_beta", lambda F, x: F.softplus(x, beta=2, threshold=5)),
    ("softsign", lambda F, x: F.softsign(x)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x * 10)),
    ("hardtanh", lambda F, x: F.hardtanh(x, -2.0, 1.5)),
    ("hardswish", lambda F, x: F.hardswish(x)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x)),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -2.0)),
    ("tanhshrink", lambda F, x: F.tanhshrink(x)),
    ("softshrink", lambda F, x: F.softshrink(x, 1.0)),
    ("hardshrink", lambda F, x: F.hardshrink(x, 1.0)),
    ("rrelu_eval", lambda F, x: F.rrelu(x)),
    ("glu", lambda F, x: F.glu(x[:, :6], 1)),
    ("glu_dim0", lambda F, x: F.glu(x[:2], 0)),
]


@pytest.mark.parametrize("dtype", [F64, F32])
@pytest.mark.parametrize("name,fn", ACTS, ids=[a[0] for a in ACTS])
def test_activation_matches_torch(name, fn, dtype):
    compare(fn, _act_input(dtype))


INPLACE = [
    ("relu", lambda F, x: F.relu(x * 1, inplace=True)),
    ("relu6", lambda F, x: F.relu6(x * 1, inplace=True)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x * 1, 0.3, inplace=True)),
    ("elu", lambda F, x: F.elu(x * 1, inplace=True)),
    ("selu", lambda F, x: F.selu(x * 1, inplace=True)),
    ("celu", lambda F, x: F.celu(x * 1, inplace=True)),
    ("hardtanh", lambda F, x: F.hardtanh(x * 1, inplace=True)),
    ("silu", lambda F, x: F.silu(x * 1, inplace=True)),
    ("mish", lambda F, x: F.mish(x * 1, inplace=True)),
    ("hardswish", lambda F, x: F.hardswish(x * 1, inplace=True)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x * 1, inplace=True)),
    ("threshold", lambda F, x: F.threshold(x * 1, 0.1, 2.0, inplace=True)),
    ("rrelu", lambda F, x: F.rrelu(x * 1, inplace=True)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[a[0] for a in INPLACE])
def test_inplace_activation_matches_torch(name, fn):
    compare(fn, _act_input(F64))


def test_inplace_on_leaf_is_refused():
    error_matches(lambda F, x: F.elu(x, inplace=True), _act_input(F64))


def test_prelu():
    compare(lambda F, x, w: F.prelu(x, w), randn(2, 3, 4), np.array([0.1, -0.2, 0.3]))
    compare(lambda F, x, w: F.prelu(x, w), randn(2, 3, 4, dtype=F32), np.array([0.25], F32))
    compare(lambda F, x, w: F.prelu(x, w), randn(5), np.array([0.25]))
    error_matches(lambda F, x, w: F.prelu(x, w), randn(4, 5, 1), np.ones(2))


@pytest.mark.parametrize("fn", [lambda F, x: F.softmax(x, 1), lambda F, x: F.log_softmax(x, -1),
                                lambda F, x: F.softmin(x, 0), lambda F, x: F.softmax(x, 1, dtype=_lib(F).float64),
                                lambda F, x: F.log_softmax(x, 0, dtype=_lib(F).float64)])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_softmax_family(fn, dtype):
    compare(fn, randn(4, 5, dtype=dtype) * 5)


def _lib(F):
    import importlib
    return importlib.import_module(F.__name__.split(".")[0])


def test_softmax_dtype_argument():
    torch = pytest.importorskip("torch")
    x = randn(3, 4, dtype=F32)
    d = DF.softmax(dagrad.from_numpy(x), 1, dtype=dagrad.float64)
    t = torch.nn.functional.softmax(torch.from_numpy(x), 1, dtype=torch.float64)
    assert d.dtype == dagrad.float64
    np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-12)


def test_softmax_implicit_dim_warns_and_picks_torchs_dim():
    for shape in [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            d = DF.softmax(dagrad.from_numpy(randn(*shape)))
        torch = pytest.importorskip("torch")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.nn.functional.softmax(torch.from_numpy(randn(*shape)))
        np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda F, x: F.gelu(x, approximate="foo"), lambda F, x: F.hardtanh(x, 2.0, 1.0),
    lambda F, x: F.glu(x, 1), lambda F, x: F.glu(x.sum()), lambda F, x: F.softshrink(x, -1.0)])
def test_activation_errors(fn):
    error_matches(fn, randn(4, 5, dtype=F32))


def test_gumbel_softmax_is_a_distribution():
    dagrad.manual_seed(0)
    y = DF.gumbel_softmax(dagrad.from_numpy(randn(4, 6)), tau=0.5)
    np.testing.assert_allclose(y.sum(-1).numpy(), np.ones(4))
    h = DF.gumbel_softmax(dagrad.from_numpy(randn(4, 6)).requires_grad_(), hard=True)
    assert set(np.unique(h.detach().numpy())) <= {0.0, 1.0}
    h.sum().backward()


# ---- activation primitives: finite differences (first and second order) ------------------------------------
GRADCHECK = [
    lambda x: DF.leaky_relu(x, 0.2), lambda x: DF.elu(x, 1.3), lambda x: DF.celu(x, 0.5), lambda x: DF.selu(x),
    lambda x: DF.gelu(x), lambda x: DF.gelu(x, approximate="tanh"), lambda x: DF.silu(x), lambda x: DF.mish(x),
    lambda x: DF.softplus(x, 2.0, 3.0), lambda x: DF.logsigmoid(x), lambda x: DF.hardtanh(x, -0.5, 0.5),
    lambda x: DF.hardswish(x), lambda x: DF.hardsigmoid(x), lambda x: DF.threshold(x, 0.1, 2.0),
    lambda x: DF.softshrink(x, 0.3), lambda x: DF.hardshrink(x, 0.3), lambda x: DF.glu(x, 1),
    lambda x: DF.softmax(x, 1), lambda x: DF.log_softmax(x, 0),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_activation_gradcheck(i):
    x = randn(3, 4, seed=i) * 2
    # keep away from kinks, where finite differences are meaningless
    x[np.abs(x) < 0.05] += 0.2
    x[np.abs(np.abs(x) - 3) < 0.05] += 0.2
    x[np.abs(np.abs(x) - 0.3) < 0.05] += 0.2
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.2
    gradcheck(GRADCHECK[i], x, gradgrad=True)


def test_prelu_gradcheck():
    gradcheck(lambda x, w: DF.prelu(x, w), randn(2, 3, 4) + 0.01, np.array([0.1, -0.2, 0.3]), gradgrad=True)


# ---- linear layers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (2, 1, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_linear(shape, bias, dtype):
    args = [randn(*shape, dtype=dtype), randn(3, 5, dtype=dtype, seed=1)]
    if bias:
        args.append(randn(3, dtype=dtype, seed=2))
    compare(lambda F, *a: F.linear(*a), *args)


@pytest.mark.parametrize("fn", [
    lambda F, x, w: F.linear(x, w[:, :4]), lambda F, x, w: F.linear(x.reshape(2, 2, 5), w[:, :4]),
    lambda F, x, w: F.linear(x[0], w[:, :4]), lambda F, x, w: F.linear(x.sum(), w),
    lambda F, x, w: F.linear(x.double(), w)])
def test_linear_errors(fn):
    error_matches(fn, randn(4, 5, dtype=F32), randn(3, 5, dtype=F32))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias):
    args = [randn(4, 3), randn(4, 5, seed=1), randn(2, 3, 5, seed=2)] + ([randn(2, seed=3)] if bias else [])
    compare(lambda F, *a: F.bilinear(*a), *args)
    args = [randn(2, 4, 3), randn(2, 4, 5, seed=1), randn(2, 3, 5, seed=2)]
    compare(lambda F, *a: F.bilinear(*a), *args)


# ---- dropout ---------------------------------------------------------------------------------------------
def _rng_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    dagrad.manual_seed(3)
    t = torch.empty(1000).bernoulli_(0.7).numpy()
    d = dagrad.empty(1000).bernoulli_(0.7).numpy()
    return np.array_equal(t, d)


@pytest.mark.parametrize("fn", [
    lambda F, x: F.dropout(x, 0.3), lambda F, x: F.dropout(x * 1, 0.3, inplace=True),
    lambda F, x: F.dropout2d(x, 0.5), lambda F, x: F.dropout1d(x[0], 0.5), lambda F, x: F.dropout1d(x[0, 0], 0.4),
    lambda F, x: F.dropout3d(x, 0.5), lambda F, x: F.alpha_dropout(x, 0.2, True),
    lambda F, x: F.feature_alpha_dropout(x, 0.2, True), lambda F, x: F.dropout(x, 1.0)])
def test_dropout_matches_torch_given_the_same_generator(fn):
    torch = pytest.importorskip("torch")
    if not _rng_matches_torch():
        pytest.skip("dagrad's bernoulli_ does not reproduce this torch build's stream (e.g. MKL on Intel)")
    x = randn(2, 3, 4, 5)
    torch.manual_seed(7)
    dagrad.manual_seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(fn, x)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_structure(p):
    dagrad.manual_seed(0)
    x = dagrad.from_numpy(randn(200, 50) + 5).requires_grad_()
    y = DF.dropout(x, p)
    out = y.detach().numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], x.detach().numpy()[kept] / (1 - p), rtol=1e-12)
    assert abs(kept.mean() - (1 - p)) < 0.03
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-12)


def test_dropout2d_drops_whole_channels():
    dagrad.manual_seed(1)
    y = DF.dropout2d(dagrad.from_numpy(randn(8, 16, 3, 3) + 5), 0.5).numpy()
    per_channel = (y != 0).reshape(8, 16, -1)
    assert np.all(per_channel.all(-1) | ~per_channel.any(-1))


def test_dropout_identity_cases():
    x = dagrad.from_numpy(randn(3, 4)).requires_grad_()
    assert DF.dropout(x, 0.5, training=False) is x
    assert DF.dropout(x, 0.0) is x
    assert DF.alpha_dropout(x, 0.5) is x


def test_alpha_dropout_keeps_mean_and_variance():
    dagrad.manual_seed(0)
    x = dagrad.from_numpy(randn(200000))
    y = DF.alpha_dropout(x, 0.3, True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


@pytest.mark.parametrize("fn", [lambda F, x: F.dropout(x, 1.5), lambda F, x: F.dropout(x, -0.1),
                                lambda F, x: F.dropout1d(x, 0.5)])
def test_dropout_errors(fn):
    error_matches(fn, randn(2, 3, 4, 5))


# ---- embedding, one_hot -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_embedding(kw, dtype):
    idx = Const(np.array([[1, 2, 4], [4, 3, 2], [0, 1, 1]]))
    compare(lambda F, i, w: F.embedding(i, w, **kw), idx, randn(5, 3, dtype=dtype))


def test_embedding_max_norm_renormalises_rows_in_place():
    torch = pytest.importorskip("torch")
    w = randn(6, 4) * 3
    idx = np.array([0, 2, 2, 5])
    dw = dagrad.from_numpy(w.copy())
    tw = torch.from_numpy(w.copy())
    d = DF.embedding(dagrad.from_numpy(idx), dw, max_norm=1.5)
    t = torch.nn.functional.embedding(torch.from_numpy(idx), tw, max_norm=1.5)
    np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(dw.numpy(), tw.numpy(), rtol=1e-6)


def test_embedding_double_backward():
    idx = Const(np.array([1, 3, 3, 0]))
    gradcheck(lambda i, w: DF.embedding(i, w) ** 2, idx, randn(4, 3), gradgrad=True)
    # padding_idx and scale_grad_by_freq alter the gradient on purpose; check its own derivative against torch
    torch = pytest.importorskip("torch")
    res = []
    for lib in (dagrad, torch):
        w = lib.from_numpy(randn(4, 3)).requires_grad_()
        go = lib.from_numpy(randn(4, 3, seed=1)).requires_grad_()
        y = lib.nn.functional.embedding(lib.from_numpy(idx.arr), w, padding_idx=0, scale_grad_by_freq=True)
        (gw,) = lib.autograd.grad(y, w, go, create_graph=True)
        (gw * lib.from_numpy(randn(4, 3, seed=2))).sum().backward()
        res.append((gw.detach().numpy(), go.grad.numpy()))
    for d, t in zip(*res):
        np.testing.assert_allclose(d, t, rtol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda F, i, w: F.embedding(i.float(), w), lambda F, i, w: F.embedding(i + 10, w),
    lambda F, i, w: F.embedding(i, w[0]), lambda F, i, w: F.embedding(i, w, padding_idx=7)])
def test_embedding_errors(fn):
    error_matches(fn, Const(np.array([1, 2])), randn(5, 3))


def test_one_hot():
    torch = pytest.importorskip("torch")
    for arr, n in [(np.array([1, 2, 0]), 3), (np.array([[1, 4], [0, 2]]), -1), (np.array([3]), 6)]:
        d = DF.one_hot(dagrad.from_numpy(arr), n)
        t = torch.nn.functional.one_hot(torch.from_numpy(arr), n)
        assert d.dtype == dagrad.int64
        np.testing.assert_array_equal(d.numpy(), t.numpy())
    for arr, n in [(np.array([1.0]), 3), (np.array([1, 5]), 3), (np.array([1, -1]), 3),
                   (np.array([], dtype=np.int64), -1)]:
        error_matches(lambda F, a: F.one_hot(a, n), Const(arr))


# ---- distances and normalize ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F64, F32])
def test_normalize_and_distances(dtype):
    a, b = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype, seed=1)
    compare(lambda F, x: F.normalize(x), a)
    compare(lambda F, x: F.normalize(x, p=1, dim=0), a)
    compare(lambda F, x, y: F.cosine_similarity(x, y), a, b)
    compare(lambda F, x, y: F.cosine_similarity(x, y, dim=0), a, b[:1])
    compare(lambda F, x, y: F.pairwise_distance(x, y), a, b)
    compare(lambda F, x, y: F.pairwise_distance(x, y, p=1, keepdim=True), a, b)
    compare(lambda F, x, y: F.pairwise_distance(x, y, p=3.0), a[0], b[0])
    compare(lambda F, x: F.pdist(x), a)


def test_cosine_similarity_zero_vector():
    z = np.zeros((2, 3))
    z[1] = [1, 2, 3]
    compare(lambda F, x, y: F.cosine_similarity(x, y), z, randn(2, 3))


# ---- normalisation layers -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_batch_norm_training_updates_running_stats(shape, affine, dtype):
    torch = pytest.importorskip("torch")
    rm, rv = randn(3, dtype=dtype, seed=5), np.abs(randn(3, dtype=dtype, seed=6)) + 0.5
    stats = {}

    def fn(F, x, *wb):
        lib = torch if F.__name__.startswith("torch") else dagrad
        m, v = lib.from_numpy(rm.copy()), lib.from_numpy(rv.copy())
        stats[lib.__name__] = (m, v)
        return F.batch_norm(x, m, v, *wb, training=True, momentum=0.3)
    args = [randn(*shape, dtype=dtype) * 2 + 1] + ([randn(3, dtype=dtype, seed=1), randn(3, dtype=dtype, seed=2)]
                                                    if affine else [])
    compare(fn, *args, atol=1e-4 if dtype == F32 else None)
    for d, t in zip(stats["dagrad"], stats["torch"]):
        np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-5 if dtype == F32 else 1e-12)


@pytest.mark.parametrize("dtype", [F64, F32])
def test_batch_norm_eval(dtype):
    rm, rv = randn(3, dtype=dtype, seed=5), np.abs(randn(3, dtype=dtype, seed=6)) + 0.5
    compare(lambda F, x, m, v, w, b: F.batch_norm(x, m, v, w, b), randn(4, 3, 5, dtype=dtype), Const(rm), Const(rv),
            randn(3, dtype=dtype, seed=1), randn(3, dtype=dtype, seed=2))
    compare(lambda F, x, m, v: F.batch_norm(x, m, v), randn(4, 3, dtype=dtype), Const(rm), Const(rv))


@pytest.mark.parametrize("fn", [
    lambda F, x, m, v: F.batch_norm(x[:1], m, v, training=True),
    lambda F, x, m, v: F.batch_norm(x, None, None),
    lambda F, x, m, v: F.batch_norm(x, m[:2], v[:2], training=True),
    lambda F, x, m, v: F.batch_norm(x, m, v, m[:2], training=True)])
def test_batch_norm_errors(fn):
    error_matches(fn, randn(4, 3), Const(np.zeros(3)), Const(np.ones(3)))


@pytest.mark.parametrize("dtype", [F64, F32])
def test_layer_group_rms_instance_norm(dtype):
    x = randn(2, 4, 3, 5, dtype=dtype) * 2 + 1
    tol = {"atol": 1e-4} if dtype == F32 else {}
    compare(lambda F, x: F.layer_norm(x, (5,)), x, **tol)
    compare(lambda F, x, w, b: F.layer_norm(x, (3, 5), w, b, 1e-3), x, randn(3, 5, dtype=dtype, seed=1),
            randn(3, 5, dtype=dtype, seed=2), **tol)
    compare(lambda F, x: F.group_norm(x, 2), x, **tol)
    compare(lambda F, x, w, b: F.group_norm(x, 4, w, b), x, randn(4, dtype=dtype, seed=1),
            randn(4, dtype=dtype, seed=2), **tol)
    compare(lambda F, x: F.rms_norm(x, (5,)), x, **tol)
    compare(lambda F, x, w: F.rms_norm(x, (3, 5), w, 1e-4), x, randn(3, 5, dtype=dtype, seed=1), **tol)
    compare(lambda F, x: F.instance_norm(x), x, **tol)
    compare(lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b), x, randn(4, dtype=dtype, seed=1),
            randn(4, dtype=dtype, seed=2), **tol)
    compare(lambda F, x: F.local_response_norm(x, 3), x, **tol)
    compare(lambda F, x: F.local_response_norm(x[0], 2), x, **tol)


def test_instance_norm_running_stats():
    torch = pytest.importorskip("torch")
    x = randn(3, 2, 6)
    dm, dv = dagrad.zeros(2), dagrad.ones(2)
    tm, tv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    DF.instance_norm(dagrad.from_numpy(x), dm.double(), dv.double())
    dm, dv = dagrad.zeros(2, dtype=dagrad.float64), dagrad.ones(2, dtype=dagrad.float64)
    DF.instance_norm(dagrad.from_numpy(x), dm, dv, momentum=0.2)
    torch.nn.functional.instance_norm(torch.from_numpy(x), tm, tv, momentum=0.2)
    np.testing.assert_allclose(dm.numpy(), tm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dv.numpy(), tv.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda F, x: F.layer_norm(x, (4,)), lambda F, x: F.layer_norm(x, (5,), x[0, 0, 0, :4]),
    lambda F, x: F.group_norm(x, 3), lambda F, x: F.group_norm(x, 2, x[0, 0, 0, :3]),
    lambda F, x: F.group_norm(x[0, 0, 0], 1), lambda F, x: F.rms_norm(x, (4,)),
    lambda F, x: F.instance_norm(x[:, :, :1, :1])])
def test_norm_errors(fn):
    error_matches(fn, randn(2, 4, 3, 5))


def test_norm_layers_gradcheck():
    x = randn(3, 2, 4)
    w, b = randn(2, seed=1), randn(2, seed=2)
    gradcheck(lambda x, w, b: DF.batch_norm(x, None, None, w, b, training=True), x, w, b, gradgrad=True)
    gradcheck(lambda x, w, b: DF.batch_norm(x, dagrad.zeros(2, dtype=dagrad.float64),
                                            dagrad.ones(2, dtype=dagrad.float64), w, b), x, w, b, gradgrad=True)
    gradcheck(lambda x, w, b: DF.layer_norm(x, (4,), w, b), x, randn(4, seed=1), randn(4, seed=2), gradgrad=True)
    gradcheck(lambda x, w, b: DF.group_norm(x, 2, w, b), randn(2, 4, 3), randn(4, seed=1), randn(4, seed=2),
              gradgrad=True)


# ---- attention ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_sdpa(kw, dtype):
    q, k, v = randn(2, 3, 4, 6, dtype=dtype), randn(2, 3, 5, 6, dtype=dtype, seed=1), randn(2, 3, 5, 2, dtype=dtype,
                                                                                             seed=2)
    if kw.get("is_causal"):
        k, v = k[:, :, :4], v[:, :, :4]
    compare(lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), q, k, v)


def test_sdpa_masks():
    q, k, v = randn(2, 4, 6), randn(2, 5, 6, seed=1), randn(2, 5, 3, seed=2)
    mask = np.random.default_rng(0).random((4, 5)) > 0.3
    mask[:, 0] = True
    compare(lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), q, k, v, Const(mask),
            names=False)
    compare(lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), q, k, v, randn(4, 5, seed=3),
            names=False)
    error_matches(lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True),
                  q, k, v, Const(mask))


def test_sdpa_gqa():
    q, k, v = randn(1, 4, 3, 2), randn(1, 2, 3, 2, seed=1), randn(1, 2, 3, 2, seed=2)
    compare(lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), q, k, v, names=False)
