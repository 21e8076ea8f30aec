"""Every layer against torch: repr, forward values, input and parameter gradients, buffers (train and eval),
with torch's weights copied across; losses with each reduction; dropout's train/eval behaviour."""
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import dagrad
import dagrad.nn.functional as F

torch = pytest.importorskip("torch")

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-10)}


def _text(s):
    return s.replace("torch.", "dagrad.")


def needs(*names):
    """Skip while nn.functional (another file) lacks a function the layer calls."""
    missing = [n for n in names if not hasattr(F, n)]
    if missing:
        pytest.skip("dagrad.nn.functional lacks " + ", ".join(missing))


def _rand(shape, seed, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, shape)
    if kind == "pos":
        return rng.uniform(0.1, 2.0, shape)
    return rng.standard_normal(shape) * 1.5


def _to_lib(lib, arr, dtype, requires_grad):
    if arr.dtype.kind == "f":
        t = lib.tensor(arr.astype(dtype))
        return t.requires_grad_(True) if requires_grad else t
    return lib.tensor(arr)


def _np(t):
    return t.detach().numpy().copy()


def copy_state(d_model, t_model):
    sd = OrderedDict((k, dagrad.tensor(v.detach().numpy().copy())) for k, v in t_model.state_dict().items())
    d_model.load_state_dict(sd)


def compare_module(make, inputs, *, modes=("train", "eval"), dtypes=("float32", "float64"), grad_inputs=None,
                   steps=1, forward_kwargs=None):
    """Build the layer in both libraries (torch's weights copied over), run ``steps`` forwards per mode and
    compare outputs, gradients of inputs and parameters, and the state_dict afterwards."""
    forward_kwargs = forward_kwargs or {}
    torch.manual_seed(0)
    t_mod = make(torch)
    d_mod = make(dagrad)
    assert repr(d_mod) == _text(repr(t_mod))
    copy_state(d_mod, t_mod)
    for dt in dtypes:
        tol = TOL[dt]
        t_mod.to(getattr(torch, dt))
        d_mod.to(getattr(dagrad, dt))
        copy_state(d_mod, t_mod)  # rounding differences of the previous dtype's run do not carry over
        for mode in modes:
            t_mod.train(mode == "train")
            d_mod.train(mode == "train")
            for step in range(steps):
                t_mod.zero_grad()
                d_mod.zero_grad()
                req = grad_inputs if grad_inputs is not None else [a.dtype.kind == "f" for a in inputs]
                t_in = [_to_lib(torch, a, dt, r) for a, r in zip(inputs, req)]
                d_in = [_to_lib(dagrad, a, dt, r) for a, r in zip(inputs, req)]
                t_out = t_mod(*t_in, **forward_kwargs)
                d_out = d_mod(*d_in, **forward_kwargs)
                t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
                d_outs = d_out if isinstance(d_out, tuple) else (d_out,)
                assert len(t_outs) == len(d_outs)
                where = f"{dt} {mode} step {step}"
                for d, t in zip(d_outs, t_outs):
                    assert tuple(d.shape) == tuple(t.shape), where
                    assert str(d.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], where
                    np.testing.assert_allclose(_np(d), _np(t), err_msg=f"output {where}", **tol)
                    assert d.requires_grad == t.requires_grad, where
                roots = [(d, t) for d, t in zip(d_outs, t_outs) if t.requires_grad]
                if roots:
                    rng = np.random.default_rng(step)
                    gs = [rng.standard_normal(tuple(t.shape)).astype(dt) for _, t in roots]
                    torch.autograd.backward([t for _, t in roots], [torch.tensor(g) for g in gs])
                    dagrad.autograd.backward([d for d, _ in roots], [dagrad.tensor(g) for g in gs])
                    for i, (d, t) in enumerate(zip(d_in, t_in)):
                        if isinstance(t, torch.Tensor) and t.requires_grad:
                            np.testing.assert_allclose(_np(d.grad), _np(t.grad), err_msg=f"input {i} grad {where}",
                                                       **tol)
                    for (name, dp), (_, tp) in zip(d_mod.named_parameters(), t_mod.named_parameters()):
                        assert (dp.grad is None) == (tp.grad is None), name
                        if tp.grad is not None:
                            np.testing.assert_allclose(_np(dp.grad), _np(tp.grad), err_msg=f"{name} grad {where}",
                                                       **tol)
                for (k, dv), (kt, tv) in zip(d_mod.state_dict().items(), t_mod.state_dict().items()):
                    assert k == kt
                    np.testing.assert_allclose(_np(dv), _np(tv), err_msg=f"{k} after {where}", **tol)
    return d_mod, t_mod


X46 = _rand((4, 6), 1)
X465 = _rand((4, 6, 5), 2)
IMG = _rand((2, 3, 7, 6), 3)

ACTIVATIONS = [
    ("ReLU", lambda lib: lib.nn.ReLU(), ["relu"]),
    ("ReLU6", lambda lib: lib.nn.ReLU6(), ["hardtanh"]),
    ("LeakyReLU", lambda lib: lib.nn.LeakyReLU(0.2), ["leaky_relu"]),
    ("ELU", lambda lib: lib.nn.ELU(alpha=0.5), ["elu"]),
    ("SELU", lambda lib: lib.nn.SELU(), ["selu"]),
    ("CELU", lambda lib: lib.nn.CELU(1.5), ["celu"]),
    ("GELU", lambda lib: lib.nn.GELU(), ["gelu"]),
    ("GELU-tanh", lambda lib: lib.nn.GELU(approximate="tanh"), ["gelu"]),
    ("SiLU", lambda lib: lib.nn.SiLU(), ["silu"]),
    ("Mish", lambda lib: lib.nn.Mish(), ["mish"]),
    ("Sigmoid", lambda lib: lib.nn.Sigmoid(), []),
    ("Tanh", lambda lib: lib.nn.Tanh(), []),
    ("Softplus", lambda lib: lib.nn.Softplus(beta=2, threshold=3), ["softplus"]),
    ("Softsign", lambda lib: lib.nn.Softsign(), ["softsign"]),
    ("Softmax", lambda lib: lib.nn.Softmax(dim=1), ["softmax"]),
    ("LogSoftmax", lambda lib: lib.nn.LogSoftmax(dim=-1), ["log_softmax"]),
    ("Softmin", lambda lib: lib.nn.Softmin(dim=0), ["softmin"]),
    ("Hardtanh", lambda lib: lib.nn.Hardtanh(-0.5, 0.75), ["hardtanh"]),
    ("Hardswish", lambda lib: lib.nn.Hardswish(), ["hardswish"]),
    ("Hardsigmoid", lambda lib: lib.nn.Hardsigmoid(), ["hardsigmoid"]),
    ("PReLU", lambda lib: lib.nn.PReLU(), ["prelu"]),
    ("PReLU-channels", lambda lib: lib.nn.PReLU(num_parameters=6, init=0.1), ["prelu"]),
    ("Threshold", lambda lib: lib.nn.Threshold(0.1, 20.0), ["threshold"]),
    ("LogSigmoid", lambda lib: lib.nn.LogSigmoid(), ["logsigmoid"]),
    ("GLU", lambda lib: lib.nn.GLU(), ["glu"]),
    ("GLU-dim", lambda lib: lib.nn.GLU(dim=1), ["glu"]),
    ("Tanhshrink", lambda lib: lib.nn.Tanhshrink(), ["tanhshrink"]),
    ("Softshrink", lambda lib: lib.nn.Softshrink(0.3), ["softshrink"]),
    ("Hardshrink", lambda lib: lib.nn.Hardshrink(), ["hardshrink"]),
]


@pytest.mark.parametrize("name,make,fns", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, make, fns):
    needs(*fns)
    compare_module(make, [X46], modes=("train",))
    if name in ("Softmax", "LogSoftmax", "PReLU-channels", "GLU-dim"):
        compare_module(make, [X465], modes=("train",), dtypes=("float64",))


REPRS = [
    lambda lib: lib.nn.ReLU(inplace=True), lambda lib: lib.nn.ReLU6(inplace=True),
    lambda lib: lib.nn.LeakyReLU(inplace=True), lambda lib: lib.nn.ELU(inplace=True),
    lambda lib: lib.nn.SELU(inplace=True), lambda lib: lib.nn.SiLU(inplace=True), lambda lib: lib.nn.Mish(True),
    lambda lib: lib.nn.Hardswish(True), lambda lib: lib.nn.Hardsigmoid(True), lambda lib: lib.nn.Hardtanh(),
    lambda lib: lib.nn.Threshold(0.5, 1, True), lambda lib: lib.nn.Softmax(), lambda lib: lib.nn.RReLU(),
    lambda lib: lib.nn.Softmax2d(), lambda lib: lib.nn.CELU(inplace=True),
    lambda lib: lib.nn.Dropout(), lambda lib: lib.nn.Dropout1d(0.1, True), lambda lib: lib.nn.Dropout2d(0.3),
    lambda lib: lib.nn.Dropout3d(), lambda lib: lib.nn.AlphaDropout(0.2), lambda lib: lib.nn.FeatureAlphaDropout(),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
    lambda lib: lib.nn.Embedding(5, 2, sparse=True),
    lambda lib: lib.nn.EmbeddingBag(10, 3, mode="max", padding_idx=1, max_norm=2.0),
    lambda lib: lib.nn.EmbeddingBag(4, 2),
    lambda lib: lib.nn.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
    lambda lib: lib.nn.BatchNorm3d(4, bias=False), lambda lib: lib.nn.GroupNorm(2, 4, affine=False),
    lambda lib: lib.nn.LayerNorm([3, 4], eps=1e-6, bias=False), lambda lib: lib.nn.RMSNorm(4, eps=1e-5),
    lambda lib: lib.nn.Conv1d(2, 4, 3, padding="same", dilation=2, padding_mode="reflect"),
    lambda lib: lib.nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2), groups=4, bias=False),
    lambda lib: lib.nn.Conv3d(1, 2, 3, padding="valid"),
    lambda lib: lib.nn.ConvTranspose1d(3, 2, 4, stride=2, output_padding=1, dilation=2),
    lambda lib: lib.nn.ConvTranspose2d(4, 2, 3, groups=2, bias=False, padding=1),
    lambda lib: lib.nn.MaxPool1d(3, stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda lib: lib.nn.MaxPool2d((2, 3), return_indices=True), lambda lib: lib.nn.MaxPool3d(2),
    lambda lib: lib.nn.AvgPool1d(3), lambda lib: lib.nn.AvgPool2d(2, 1, 1, True, False, 3),
    lambda lib: lib.nn.AvgPool3d(2), lambda lib: lib.nn.AdaptiveAvgPool2d((None, 3)),
    lambda lib: lib.nn.AdaptiveMaxPool2d(2, return_indices=True), lambda lib: lib.nn.LPPool2d(2, 3),
    lambda lib: lib.nn.Upsample(scale_factor=2), lambda lib: lib.nn.Upsample(size=(3, 4), mode="bilinear"),
    lambda lib: lib.nn.Upsample(scale_factor=(2, 3), mode="bicubic", align_corners=True),
    lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=2), lambda lib: lib.nn.UpsamplingBilinear2d(size=4),
    lambda lib: lib.nn.Flatten(0, 2), lambda lib: lib.nn.Unflatten(1, (2, 5)), lambda lib: lib.nn.Identity(3, a=4),
    lambda lib: lib.nn.Bilinear(2, 3, 4, bias=False), lambda lib: lib.nn.Linear(3, 2, bias=False),
    lambda lib: lib.nn.MSELoss(), lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=0.1),
    lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.ones(3)), lambda lib: lib.nn.TripletMarginLoss(),
    lambda lib: lib.nn.PReLU(3), lambda lib: lib.nn.Softplus(), lambda lib: lib.nn.GELU("tanh"),
    lambda lib: lib.nn.Hardshrink(0.25), lambda lib: lib.nn.Softshrink(), lambda lib: lib.nn.GLU(0),
]


@pytest.mark.parametrize("make", REPRS)
def test_reprs_match_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d, t = make(dagrad), make(torch)
    assert repr(d) == _text(repr(t))
    assert list(d.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in d.state_dict().values()] == [tuple(v.shape) for v in t.state_dict().values()]


@pytest.mark.parametrize("make,inputs,fns", [
    (lambda lib: lib.nn.Linear(6, 3), [X46], ["linear"]),
    (lambda lib: lib.nn.Linear(5, 4, bias=False), [X465], ["linear"]),
    (lambda lib: lib.nn.Bilinear(6, 5, 3), [X46, _rand((4, 5), 4)], ["bilinear"]),
    (lambda lib: lib.nn.Identity(), [X46], []),
    (lambda lib: lib.nn.Flatten(), [IMG], []),
    (lambda lib: lib.nn.Flatten(0, 1), [X465], []),
    (lambda lib: lib.nn.Unflatten(1, (2, 3)), [X46], []),
    (lambda lib: lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)), [X46], ["linear"]),
], ids=["Linear", "Linear-3d-nobias", "Bilinear", "Identity", "Flatten", "Flatten-0-1", "Unflatten", "MLP"])
def test_linear_layers(make, inputs, fns):
    needs(*fns)
    compare_module(make, inputs, modes=("train",))


IDX = np.array([[1, 2, 0, 9], [4, 3, 2, 2]])


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Embedding(10, 4),
    lambda lib: lib.nn.Embedding(10, 4, padding_idx=2),
    lambda lib: lib.nn.Embedding(10, 4, padding_idx=-8, scale_grad_by_freq=True),
], ids=["plain", "padding_idx", "negative_padding_idx"])
def test_embedding(make):
    needs("embedding")
    d, t = compare_module(make, [IDX], modes=("train",))
    assert (d.weight.grad.numpy()[d.padding_idx] == 0).all() if d.padding_idx is not None else True


def test_embedding_from_pretrained():
    needs("embedding")
    arr = _rand((5, 3), 9).astype("float32")
    for freeze in (True, False):
        d = dagrad.nn.Embedding.from_pretrained(dagrad.tensor(arr), freeze=freeze, padding_idx=1)
        t = torch.nn.Embedding.from_pretrained(torch.tensor(arr), freeze=freeze, padding_idx=1)
        assert repr(d) == repr(t) and d.weight.requires_grad == t.weight.requires_grad == (not freeze)
        np.testing.assert_array_equal(_np(d(dagrad.tensor(IDX % 5))), _np(t(torch.tensor(IDX % 5))))
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        dagrad.nn.Embedding.from_pretrained(dagrad.ones(3))


@pytest.mark.parametrize("make,x", [
    (lambda lib: lib.nn.BatchNorm1d(6), _rand((8, 6), 5)),
    (lambda lib: lib.nn.BatchNorm1d(6, momentum=None), X465),
    (lambda lib: lib.nn.BatchNorm1d(6, affine=False, momentum=0.3), _rand((8, 6), 6)),
    (lambda lib: lib.nn.BatchNorm1d(6, track_running_stats=False), _rand((8, 6), 7)),
    (lambda lib: lib.nn.BatchNorm2d(3), IMG),
    (lambda lib: lib.nn.BatchNorm2d(3, eps=1e-3, bias=False), IMG),
], ids=["bn1d", "bn1d-cumulative", "bn1d-noaffine", "bn1d-nostats", "bn2d", "bn2d-nobias"])
def test_batchnorm_train_then_eval(make, x):
    needs("batch_norm")
    d, t = compare_module(make, [x], modes=("train", "eval", "train"), steps=2)
    if t.num_batches_tracked is not None:
        assert d.num_batches_tracked.item() == t.num_batches_tracked.item() == 8


def test_batchnorm_input_dim_errors():
    for make, x in ((lambda lib: lib.nn.BatchNorm1d(3), (2, 3, 4, 5)), (lambda lib: lib.nn.BatchNorm2d(3), (2, 3))):
        msgs = []
        for lib in (dagrad, torch):
            with pytest.raises(ValueError) as info:
                make(lib)(lib.ones(*x))
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_batchnorm_loads_old_checkpoint_without_num_batches_tracked():
    m = dagrad.nn.BatchNorm1d(3)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    sd._metadata[""]["version"] = 2
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        m.load_state_dict(sd)


@pytest.mark.parametrize("make,x,fns", [
    (lambda lib: lib.nn.LayerNorm(6), X46, ["layer_norm"]),
    (lambda lib: lib.nn.LayerNorm([6, 5], elementwise_affine=False), X465, ["layer_norm"]),
    (lambda lib: lib.nn.LayerNorm(5, bias=False, eps=1e-3), X465, ["layer_norm"]),
    (lambda lib: lib.nn.GroupNorm(2, 6), X465, ["group_norm"]),
    (lambda lib: lib.nn.GroupNorm(3, 3, affine=False), IMG, ["group_norm"]),
    (lambda lib: lib.nn.RMSNorm(6), X46, ["rms_norm"]),
    (lambda lib: lib.nn.RMSNorm([6, 5], eps=1e-3), X465, ["rms_norm"]),
], ids=["ln", "ln-2d-noaffine", "ln-nobias", "gn", "gn-noaffine", "rms", "rms-2d"])
def test_norm_layers(make, x, fns):
    needs(*fns)
    compare_module(make, [x], modes=("train",))


def _perturb(make):
    """The layer with its affine parameters moved off their ones/zeros initialisation (torch side, copied)."""
    def built(lib):
        m = make(lib)
        if lib is torch:
            with torch.no_grad():
                for p in m.parameters():
                    p.add_(torch.randn(p.shape) * 0.3)
        return m
    return built


def test_norm_layers_with_trained_affine():
    needs("layer_norm", "group_norm", "batch_norm")
    compare_module(_perturb(lambda lib: lib.nn.LayerNorm(6)), [X46], modes=("train",))
    compare_module(_perturb(lambda lib: lib.nn.GroupNorm(3, 6)), [X465], modes=("train",))
    compare_module(_perturb(lambda lib: lib.nn.BatchNorm1d(6)), [X465], modes=("train", "eval"))


CONVS = [
    ("conv1d", lambda lib: lib.nn.Conv1d(3, 4, 3), _rand((2, 3, 9), 10), ["conv1d"]),
    ("conv1d-strided", lambda lib: lib.nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), _rand((2, 3, 11), 11),
     ["conv1d"]),
    ("conv2d", lambda lib: lib.nn.Conv2d(3, 4, 3), IMG, ["conv2d"]),
    ("conv2d-same", lambda lib: lib.nn.Conv2d(3, 4, (3, 4), padding="same", dilation=(1, 2)), IMG, ["conv2d"]),
    ("conv2d-groups", lambda lib: lib.nn.Conv2d(4, 6, 3, groups=2, bias=False, stride=2), _rand((2, 4, 7, 7), 12),
     ["conv2d"]),
    ("conv2d-rect", lambda lib: lib.nn.Conv2d(3, 2, (3, 2), padding=(1, 0)), IMG, ["conv2d"]),
    ("conv2d-reflect", lambda lib: lib.nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect"), IMG, ["conv2d", "pad"]),
    ("conv2d-circular", lambda lib: lib.nn.Conv2d(3, 2, 3, padding=2, padding_mode="circular"), IMG,
     ["conv2d", "pad"]),
    ("conv2d-unbatched", lambda lib: lib.nn.Conv2d(3, 2, 3), _rand((3, 6, 5), 13), ["conv2d"]),
    ("convT2d", lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), IMG,
     ["conv_transpose2d"]),
    ("convT2d-groups", lambda lib: lib.nn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2),
     _rand((2, 4, 5, 4), 14), ["conv_transpose2d"]),
    ("convT1d", lambda lib: lib.nn.ConvTranspose1d(3, 2, 4, stride=3), _rand((2, 3, 6), 15), ["conv_transpose1d"]),
]


@pytest.mark.parametrize("name,make,x,fns", CONVS, ids=[c[0] for c in CONVS])
def test_conv_layers(name, make, x, fns):
    needs(*fns)
    compare_module(make, [x], modes=("train",))


def test_conv_transpose_output_size():
    needs("conv_transpose2d")
    compare_module(lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2), [IMG], modes=("train",),
                   forward_kwargs={"output_size": [16, 14]})
    msgs = []
    for lib in (dagrad, torch):
        m = lib.nn.ConvTranspose2d(3, 2, 3, stride=2)
        with pytest.raises(ValueError) as info:
            m(lib.ones(2, 3, 7, 6), output_size=(20, 20))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
    lambda lib: lib.nn.Conv2d(4, 3, 3, groups=2),
    lambda lib: lib.nn.Conv2d(3, 3, 3, groups=0),
    lambda lib: lib.nn.Conv2d(3, 3, 3, padding="full"),
    lambda lib: lib.nn.Conv2d(3, 3, 3, stride=2, padding="same"),
    lambda lib: lib.nn.Conv1d(3, 3, 3, padding_mode="mirror"),
    lambda lib: lib.nn.ConvTranspose2d(3, 3, 3, padding_mode="reflect"),
    lambda lib: lib.nn.Dropout(1.5),
    lambda lib: lib.nn.Hardtanh(1.0, 0.5),
    lambda lib: lib.nn.GroupNorm(4, 6),
    lambda lib: lib.nn.Embedding(4, 2, padding_idx=4),
    lambda lib: lib.nn.Unflatten(1, 6),
    lambda lib: lib.nn.Unflatten(1, (2, 3.0)),
    lambda lib: lib.nn.HuberLoss(delta="1"),
    lambda lib: lib.nn.TripletMarginLoss(margin=0),
    lambda lib: lib.nn.Bilinear(0, 2, 2),
])
def test_constructor_errors_match_torch(fn):
    errs = []
    for lib in (dagrad, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]) and _canon(str(errs[0])) == _canon(str(errs[1]))


def _canon(msg):
    """A message with the items of any printed set sorted (set order follows string hashing)."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", msg)


POOLS = [
    ("maxpool1d", lambda lib: lib.nn.MaxPool1d(2), X465, ["max_pool1d"]),
    ("maxpool2d", lambda lib: lib.nn.MaxPool2d(2), IMG, ["max_pool2d"]),
    ("maxpool2d-pad", lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), IMG, ["max_pool2d"]),
    ("maxpool2d-ceil", lambda lib: lib.nn.MaxPool2d(2, ceil_mode=True), IMG, ["max_pool2d"]),
    ("maxpool2d-indices", lambda lib: lib.nn.MaxPool2d(2, return_indices=True), IMG, ["max_pool2d"]),
    ("avgpool1d", lambda lib: lib.nn.AvgPool1d(3, stride=2), X465, ["avg_pool1d"]),
    ("avgpool2d", lambda lib: lib.nn.AvgPool2d(2), IMG, ["avg_pool2d"]),
    ("avgpool2d-pad", lambda lib: lib.nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), IMG,
     ["avg_pool2d"]),
    ("adaptiveavg1d", lambda lib: lib.nn.AdaptiveAvgPool1d(3), X465, ["adaptive_avg_pool1d"]),
    ("adaptiveavg2d", lambda lib: lib.nn.AdaptiveAvgPool2d((2, 4)), IMG, ["adaptive_avg_pool2d"]),
    ("adaptiveavg2d-1", lambda lib: lib.nn.AdaptiveAvgPool2d(1), IMG, ["adaptive_avg_pool2d"]),
    ("upsample-nearest", lambda lib: lib.nn.Upsample(scale_factor=2), IMG, ["interpolate"]),
    ("upsample-nearest-size", lambda lib: lib.nn.Upsample(size=(9, 11)), IMG, ["interpolate"]),
    ("upsample-nearest-1d", lambda lib: lib.nn.Upsample(scale_factor=3), X465, ["interpolate"]),
    ("upsample-bilinear", lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear"), IMG, ["interpolate"]),
    ("upsample-bilinear-ac", lambda lib: lib.nn.Upsample(size=(5, 9), mode="bilinear", align_corners=True), IMG,
     ["interpolate"]),
]


@pytest.mark.parametrize("name,make,x,fns", POOLS, ids=[p[0] for p in POOLS])
def test_pooling_and_upsampling(name, make, x, fns):
    needs(*fns)
    compare_module(make, [x], modes=("train",))


def test_dropout_layers():
    needs("dropout", "dropout1d", "dropout2d", "alpha_dropout")
    x = dagrad.ones(64, 8, 6)
    for cls, p in ((dagrad.nn.Dropout, 0.25), (dagrad.nn.Dropout1d, 0.5), (dagrad.nn.Dropout2d, 0.5),
                   (dagrad.nn.AlphaDropout, 0.2)):
        m = cls(p)
        assert m.eval()(x) is x or np.array_equal(_np(m(x)), _np(x))
        y = _np(m.train()(x))
        if cls is dagrad.nn.AlphaDropout:
            assert len(np.unique(y.round(5))) == 2
            continue
        kept = y != 0
        np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
        assert abs(kept.mean() - (1 - p)) < 0.06
        if cls is dagrad.nn.Dropout1d:
            assert (kept.all(axis=-1) | ~kept.any(axis=-1)).all()  # whole channels
        if cls is dagrad.nn.Dropout2d:
            x4 = dagrad.ones(64, 8, 3, 2)
            k4 = _np(m(x4)) != 0
            assert (k4.all(axis=(-1, -2)) | ~k4.any(axis=(-1, -2))).all()


LOSS_INPUTS = {
    "reg": lambda: [_rand((4, 5), 20), _rand((4, 5), 21)],
    "cls": lambda: [_rand((6, 4), 22), np.array([0, 3, 1, 1, 2, 3])],
    "cls-nd": lambda: [_rand((3, 4, 5), 23), np.array([[0, 3, 1, 1, 2], [3, 3, 0, 1, 2], [1, 0, 2, 2, 0]])],
    "cls-prob": lambda: [_rand((6, 4), 24), np.random.default_rng(25).dirichlet(np.ones(4), 6)],
    "logp": lambda: [np.log(np.random.default_rng(26).dirichlet(np.ones(4), 6)), np.array([0, 3, 1, 1, 2, 3])],
    "bce": lambda: [_rand((4, 3), 27, "prob"), np.random.default_rng(28).integers(0, 2, (4, 3)).astype(float)],
    "kl": lambda: [np.log(np.random.default_rng(29).dirichlet(np.ones(5), 4)),
                   np.random.default_rng(30).dirichlet(np.ones(5), 4)],
    "pair": lambda: [_rand((5, 4), 31), _rand((5, 4), 32), np.array([1.0, -1.0, 1.0, -1.0, -1.0])],
    "rank": lambda: [_rand((6,), 33), _rand((6,), 34), np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])],
    "triplet": lambda: [_rand((5, 4), 35), _rand((5, 4), 36), _rand((5, 4), 37)],
}
WEIGHT4 = np.array([0.5, 1.0, 2.0, 1.5])

LOSSES = [
    ("MSELoss", lambda lib, r: lib.nn.MSELoss(reduction=r), "reg", ["mse_loss"], (True, False)),
    ("L1Loss", lambda lib, r: lib.nn.L1Loss(reduction=r), "reg", ["l1_loss"], (True, False)),
    ("SmoothL1Loss", lambda lib, r: lib.nn.SmoothL1Loss(reduction=r, beta=0.5), "reg", ["smooth_l1_loss"],
     (True, False)),
    ("HuberLoss", lambda lib, r: lib.nn.HuberLoss(reduction=r, delta=0.7), "reg", ["huber_loss"], (True, False)),
    ("CrossEntropyLoss", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), "cls", ["cross_entropy"],
     (True, False)),
    ("CrossEntropyLoss-opts", lambda lib, r: lib.nn.CrossEntropyLoss(
        weight=lib.tensor(WEIGHT4, dtype=lib.float32), ignore_index=1, label_smoothing=0.1, reduction=r), "cls",
     ["cross_entropy"], (True, False)),
    ("CrossEntropyLoss-nd", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), "cls-nd", ["cross_entropy"],
     (True, False)),
    ("CrossEntropyLoss-prob", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.2), "cls-prob",
     ["cross_entropy"], (True, False)),
    ("NLLLoss", lambda lib, r: lib.nn.NLLLoss(reduction=r), "logp", ["nll_loss"], (True, False)),
    ("NLLLoss-weight", lambda lib, r: lib.nn.NLLLoss(weight=lib.tensor(WEIGHT4, dtype=lib.float32), reduction=r,
                                                     ignore_index=3), "logp", ["nll_loss"], (True, False)),
    ("BCELoss", lambda lib, r: lib.nn.BCELoss(reduction=r), "bce", ["binary_cross_entropy"], (True, False)),
    ("BCELoss-weight", lambda lib, r: lib.nn.BCELoss(weight=lib.tensor([1.0, 2.0, 0.5]), reduction=r), "bce",
     ["binary_cross_entropy"], (True, False)),
    ("BCEWithLogitsLoss", lambda lib, r: lib.nn.BCEWithLogitsLoss(reduction=r), "bce",
     ["binary_cross_entropy_with_logits"], (True, False)),
    ("BCEWithLogitsLoss-pos", lambda lib, r: lib.nn.BCEWithLogitsLoss(pos_weight=lib.tensor([1.0, 3.0, 0.5]),
                                                                      reduction=r), "bce",
     ["binary_cross_entropy_with_logits"], (True, False)),
    ("KLDivLoss", lambda lib, r: lib.nn.KLDivLoss(reduction=r), "kl", ["kl_div"], (True, False)),
    ("KLDivLoss-log", lambda lib, r: lib.nn.KLDivLoss(reduction=r, log_target=True), "kl", ["kl_div"],
     (True, False)),
    ("CosineEmbeddingLoss", lambda lib, r: lib.nn.CosineEmbeddingLoss(margin=0.2, reduction=r), "pair",
     ["cosine_embedding_loss"], (True, True, False)),
    ("MarginRankingLoss", lambda lib, r: lib.nn.MarginRankingLoss(margin=0.1, reduction=r), "rank",
     ["margin_ranking_loss"], (True, True, False)),
    ("TripletMarginLoss", lambda lib, r: lib.nn.TripletMarginLoss(margin=1.5, reduction=r), "triplet",
     ["triplet_margin_loss"], (True, True, True)),
    ("TripletMarginLoss-p1-swap", lambda lib, r: lib.nn.TripletMarginLoss(p=1.0, swap=True, reduction=r), "triplet",
     ["triplet_margin_loss"], (True, True, True)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,make,kind,fns,req", LOSSES, ids=[x[0] for x in LOSSES])
def test_losses(name, make, kind, fns, req, reduction):
    needs(*fns)
    inputs = LOSS_INPUTS[kind]()
    if name == "KLDivLoss-log":
        inputs = [inputs[0], np.log(inputs[1])]
    compare_module(lambda lib: make(lib, reduction), inputs, modes=("train",), grad_inputs=list(req))


def test_kl_div_batchmean():
    needs("kl_div")
    compare_module(lambda lib: lib.nn.KLDivLoss(reduction="batchmean"), LOSS_INPUTS["kl"](), modes=("train",),
                   grad_inputs=[True, False])


@pytest.mark.parametrize("size_average,reduce,expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none"), (True, None, "mean"),
])
def test_legacy_reduction_args(size_average, reduce, expected):
    results = []
    for lib in (dagrad, torch):
        with pytest.warns(UserWarning) as rec:
            m = lib.nn.MSELoss(size_average=size_average, reduce=reduce)
        results.append((m.reduction, str(rec[0].message)))
        with pytest.warns(UserWarning):
            assert lib.nn.NLLLoss(size_average=size_average, reduce=reduce).reduction == expected
    assert results[0] == results[1] and results[0][0] == expected


@pytest.mark.parametrize("make,shape", [
    (lambda lib: lib.nn.Dropout(0.3), (8, 6, 5)),
    (lambda lib: lib.nn.Dropout1d(0.4), (8, 6, 5)),
    (lambda lib: lib.nn.Dropout2d(0.5), (4, 6, 3, 5)),
    (lambda lib: lib.nn.AlphaDropout(0.2), (8, 6)),
], ids=["dropout", "dropout1d", "dropout2d", "alpha"])
def test_dropout_matches_torch_after_same_seed(make, shape):
    needs("dropout", "dropout1d", "dropout2d", "alpha_dropout")
    x = _rand(shape, 40).astype("float32")
    g = _rand(shape, 41).astype("float32")
    res = []
    for lib in (dagrad, torch):
        lib.manual_seed(3)
        xt = lib.tensor(x, requires_grad=True)
        out = make(lib)(xt)
        out.backward(lib.tensor(g))
        res.append((_np(out), _np(xt.grad), lib.rand(2).numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


EXTRAS = [
    ("instnorm1d", lambda lib: lib.nn.InstanceNorm1d(6), [X465], ("train",)),
    ("instnorm1d-affine-stats", lambda lib: lib.nn.InstanceNorm1d(6, affine=True, track_running_stats=True), [X465],
     ("train", "eval")),
    ("instnorm2d-unbatched", lambda lib: lib.nn.InstanceNorm2d(3, affine=True), [IMG[0]], ("train",)),
    ("instnorm2d-stats", lambda lib: lib.nn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3), [IMG],
     ("train", "eval")),
    ("zeropad2d", lambda lib: lib.nn.ZeroPad2d((1, 0, 2, 1)), [IMG], ("train",)),
    ("constpad1d", lambda lib: lib.nn.ConstantPad1d(2, 3.5), [X465], ("train",)),
    ("reflectpad2d", lambda lib: lib.nn.ReflectionPad2d(2), [IMG], ("train",)),
    ("replicatepad1d", lambda lib: lib.nn.ReplicationPad1d((3, 1)), [X465], ("train",)),
    ("circularpad2d", lambda lib: lib.nn.CircularPad2d((1, 2, 0, 1)), [IMG], ("train",)),
    ("pixelshuffle", lambda lib: lib.nn.PixelShuffle(2), [_rand((2, 8, 3, 2), 50)], ("train",)),
    ("pixelunshuffle", lambda lib: lib.nn.PixelUnshuffle(2), [_rand((2, 2, 4, 6), 51)], ("train",)),
    ("cosine", lambda lib: lib.nn.CosineSimilarity(dim=1), [X46, _rand((4, 6), 52)], ("train",)),
    ("pairwise", lambda lib: lib.nn.PairwiseDistance(p=1.5, keepdim=True), [X46, _rand((4, 6), 53)], ("train",)),
]


@pytest.mark.parametrize("name,make,inputs,modes", EXTRAS, ids=[e[0] for e in EXTRAS])
def test_extra_layers(name, make, inputs, modes):
    needs("instance_norm", "pad", "pixel_shuffle", "pixel_unshuffle", "cosine_similarity", "pairwise_distance")
    compare_module(make, inputs, modes=modes, steps=2 if "stats" in name else 1)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.InstanceNorm3d(4, affine=True), lambda lib: lib.nn.ZeroPad1d(2), lambda lib: lib.nn.ZeroPad3d(1),
    lambda lib: lib.nn.ConstantPad2d((1, 2, 3, 4), -1.0), lambda lib: lib.nn.ReflectionPad3d(1),
    lambda lib: lib.nn.ReplicationPad2d((0, 1, 2, 3)), lambda lib: lib.nn.CircularPad1d(3),
    lambda lib: lib.nn.CircularPad3d(1), lambda lib: lib.nn.PairwiseDistance(),
])
def test_extra_reprs(make):
    d, t = make(dagrad), make(torch)
    assert repr(d) == repr(t) and list(d.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)),
    lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.CircularPad2d(1)(lib.ones(3, 3)),
])
def test_extra_layer_errors(fn):
    errs = []
    for lib in (dagrad, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]) and str(errs[0]) == str(errs[1])


@pytest.mark.parametrize("mode", ["mean", "sum", "max"])
def test_embedding_bag(mode):
    needs("embedding_bag")
    offsets = np.array([0, 3, 3, 5])
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    compare_module(lambda lib: lib.nn.EmbeddingBag(10, 3, mode=mode), [idx, offsets], modes=("train",))
    compare_module(lambda lib: lib.nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2), [IDX], modes=("train",),
                   dtypes=("float64",))
