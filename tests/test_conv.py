"""Convolutions, unfold/fold, pooling, padding and interpolation vs torch, plus finite-difference checks."""
import warnings

import numpy as np
import pytest

import dagrad
import dagrad.nn.functional as DF
from _functional_cmp import Const, compare, error_matches, gradcheck, randn

F64, F32 = np.float64, np.float32


# ---- convolution --------------------------------------------------------------------------------------
CONV2D = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding=(2, 0), stride=(1, 2)),
    dict(dilation=2, padding=2),
    dict(padding="same"),
    dict(padding="same", dilation=(1, 2)),
    dict(padding="valid", stride=3),
    dict(groups=2, padding=1),
    dict(groups=4, stride=2, dilation=(2, 1)),
]


@pytest.mark.parametrize("kw", CONV2D, ids=[str(k) for k in CONV2D])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_conv2d(kw, bias, dtype):
    g = kw.get("groups", 1)
    args = [randn(2, 4, 9, 8, dtype=dtype), randn(6 if g != 4 else 8, 4 // g, 3, 2 if "same" != kw.get("padding")
                                                  else 4, dtype=dtype, seed=1)]
    if bias:
        args.append(randn(args[1].shape[0], dtype=dtype, seed=2))
    compare(lambda F, *a: F.conv2d(*a, **kw), *args)


def test_conv2d_unbatched_and_integer():
    compare(lambda F, x, w: F.conv2d(x, w, padding=1), randn(3, 6, 5), randn(2, 3, 3, 3, seed=1))
    x, w = np.arange(2 * 2 * 5 * 5).reshape(2, 2, 5, 5), np.ones((3, 2, 2, 2), np.int64)
    compare(lambda F, x, w: F.conv2d(x, w), Const(x), Const(w))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=3, groups=2, padding="same")])
def test_conv1d_and_conv3d(kw):
    compare(lambda F, x, w, b: F.conv1d(x, w, b, **kw), randn(2, 4, 11), randn(6, 4 // kw.get("groups", 1), 3, seed=1),
            randn(6, seed=2))
    compare(lambda F, x, w, b: F.conv3d(x, w, b, **kw), randn(2, 4, 5, 6, 7, dtype=F32),
            randn(6, 4 // kw.get("groups", 1), 3, 2, 3, dtype=F32, seed=1), randn(6, dtype=F32, seed=2))


CONVT = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1), dict(stride=(3, 2), dilation=2,
                                                                                  output_padding=(2, 1)),
         dict(groups=2, padding=(1, 0), stride=2), dict(dilation=2, output_padding=1)]


@pytest.mark.parametrize("kw", CONVT, ids=[str(k) for k in CONVT])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_conv_transpose2d(kw, dtype):
    g = kw.get("groups", 1)
    compare(lambda F, x, w, b: F.conv_transpose2d(x, w, b, **kw), randn(2, 4, 5, 6, dtype=dtype),
            randn(4, 6 // g, 3, 2, dtype=dtype, seed=1), randn(6, dtype=dtype, seed=2))


def test_conv_transpose_1d_3d_unbatched():
    compare(lambda F, x, w: F.conv_transpose1d(x, w, stride=2), randn(2, 4, 6), randn(4, 3, 3, seed=1))
    compare(lambda F, x, w: F.conv_transpose3d(x, w, stride=2, padding=1), randn(1, 2, 3, 4, 3),
            randn(2, 2, 3, 3, 2, seed=1))
    compare(lambda F, x, w: F.conv_transpose2d(x, w), randn(3, 5, 5), randn(3, 4, 3, 3, seed=1))


CONV_ERRORS = [
    lambda F, x, w: F.conv2d(x[0, 0], w),
    lambda F, x, w: F.conv2d(x, w[:, :2]),
    lambda F, x, w: F.conv2d(x.double(), w),
    lambda F, x, w: F.conv2d(x, w, w[0, 0, 0].double()),
    lambda F, x, w: F.conv2d(x, w, w[0, 0, 0, :2]),
    lambda F, x, w: F.conv2d(x, w.repeat(1, 1, 3, 3)),
    lambda F, x, w: F.conv2d(x, w, padding="same", stride=2),
    lambda F, x, w: F.conv2d(x, w, padding="foo"),
    lambda F, x, w: F.conv2d(x, w, padding=-1),
    lambda F, x, w: F.conv2d(x, w, stride=0),
    lambda F, x, w: F.conv2d(x, w[:, :1], groups=2),
    lambda F, x, w: F.conv2d(x, w[:, :1], groups=3),
    lambda F, x, w: F.conv2d(x, w[0]),
    lambda F, x, w: F.conv1d(x, w[0]),
    lambda F, x, w: F.conv_transpose2d(x, w.transpose(0, 1), output_padding=1),
    lambda F, x, w: F.conv_transpose2d(x, w[:2]),
    lambda F, x, w: F.conv_transpose2d(x, w.transpose(0, 1), padding="same"),
]


@pytest.mark.parametrize("i", range(len(CONV_ERRORS)))
def test_conv_errors(i):
    error_matches(CONV_ERRORS[i], randn(2, 3, 5, 5, dtype=F32), randn(4, 3, 3, 3, dtype=F32, seed=1))


def test_conv_gradcheck_and_double_backward():
    x, w, b = randn(2, 4, 5, 4), randn(4, 2, 3, 2, seed=1), randn(4, seed=2)
    gradcheck(lambda x, w, b: DF.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2), x, w, b, gradgrad=True)
    gradcheck(lambda x, w, b: DF.conv_transpose2d(x, w, b, stride=2, output_padding=1, groups=2, dilation=(1, 2)),
              randn(1, 4, 3, 3), randn(4, 3, 2, 2, seed=1), randn(6, seed=2), gradgrad=True)
    gradcheck(lambda x, w: DF.conv1d(x, w, dilation=2), randn(2, 2, 7), randn(3, 2, 3, seed=1), gradgrad=True)


def test_conv_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (dagrad, torch):
        x = lib.from_numpy(randn(2, 3, 6, 5)).requires_grad_()
        w = lib.from_numpy(randn(4, 3, 3, 3, seed=1)).requires_grad_()
        y = lib.nn.functional.conv2d(x, w, padding=1, stride=2)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        ((gx * gx).sum() + (gw ** 3).sum()).backward()
        res.append([gx.detach().numpy(), gw.detach().numpy(), x.grad.numpy(), w.grad.numpy()])
        if lib is dagrad:
            assert gx.grad_fn.name() == "ConvolutionBackwardBackward0"
    for d, t in zip(*res):
        np.testing.assert_allclose(d, t, rtol=1e-9, atol=1e-9)


# ---- unfold / fold --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(3, 2), stride=2, padding=1),
                                dict(kernel_size=2, dilation=2, padding=(0, 1))])
def test_unfold_fold(kw):
    x = randn(2, 3, 6, 7)
    compare(lambda F, x: F.unfold(x, **kw), x)
    compare(lambda F, x: F.unfold(x[0], **kw), x)
    cols = DF.unfold(dagrad.from_numpy(x), **kw)
    compare(lambda F, c: F.fold(c, (6, 7), **kw), randn(*cols.shape, seed=3))
    compare(lambda F, c: F.fold(c[0], (6, 7), **kw), randn(*cols.shape, seed=3))
    gradcheck(lambda x: DF.unfold(x, **kw), randn(1, 2, 6, 7), gradgrad=True)
    gradcheck(lambda c: DF.fold(c, (6, 7), **kw), randn(1, *cols.shape[1:], seed=3), gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda F, x: F.unfold(x, 7), lambda F, x: F.unfold(x.unsqueeze(0), 2),
    lambda F, x: F.fold(x.reshape(1, 7, 16)[:, :, :9], (4, 4), 2), lambda F, x: F.fold(x, (4, 4), 2),
    lambda F, x: F.fold(x.reshape(1, 4, 28), (5, 5), 2)])
def test_unfold_fold_errors(fn):
    error_matches(fn, randn(1, 7, 4, 4))


# ---- pooling --------------------------------------------------------------------------------------------
MAXPOOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=(1, 2)),
           dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2, dilation=2, padding=1),
           dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2, stride=3, ceil_mode=True, padding=1)]


@pytest.mark.parametrize("kw", MAXPOOL, ids=[str(k) for k in MAXPOOL])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_max_pool2d(kw, dtype):
    x = randn(2, 3, 9, 8, dtype=dtype)
    d, t = compare(lambda F, x: F.max_pool2d(x, return_indices=True, **kw), x)
    np.testing.assert_array_equal(d[1].numpy(), t[1].numpy())
    compare(lambda F, x: F.max_pool2d(x, **kw), x[0])


def test_max_pool_ties_and_nan_follow_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 2:, 2:] = 1.0
    d, t = compare(lambda F, x: F.max_pool2d(x, 2, 1, return_indices=True), x)
    np.testing.assert_array_equal(d[1].numpy(), t[1].numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=2, dilation=2)])
def test_max_pool1d_3d(kw):
    d, t = compare(lambda F, x: F.max_pool1d(x, return_indices=True, **kw), randn(2, 3, 11))
    np.testing.assert_array_equal(d[1].numpy(), t[1].numpy())
    compare(lambda F, x: F.max_pool1d(x, **kw), randn(3, 11))
    d, t = compare(lambda F, x: F.max_pool3d(x, return_indices=True, **kw), randn(2, 2, 5, 6, 7))
    np.testing.assert_array_equal(d[1].numpy(), t[1].numpy())


AVGPOOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
           dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
           dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           dict(kernel_size=(2, 3), divisor_override=5), dict(kernel_size=3, stride=1, padding=1)]


@pytest.mark.parametrize("kw", AVGPOOL, ids=[str(k) for k in AVGPOOL])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_avg_pool2d(kw, dtype):
    x = randn(2, 3, 9, 8, dtype=dtype)
    compare(lambda F, x: F.avg_pool2d(x, **kw), x)
    compare(lambda F, x: F.avg_pool2d(x, **kw), x[0])


def test_avg_pool_1d_3d_lp_pool():
    compare(lambda F, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), randn(2, 3, 10))
    compare(lambda F, x: F.avg_pool1d(x, 2, ceil_mode=True), randn(3, 9))
    compare(lambda F, x: F.avg_pool3d(x, 2, padding=1, ceil_mode=True), randn(1, 2, 5, 4, 5))
    compare(lambda F, x: F.lp_pool2d(x, 2, 2), randn(2, 3, 6, 6) + 3)
    compare(lambda F, x: F.lp_pool1d(x, 3, 2), randn(2, 3, 6) + 3)


@pytest.mark.parametrize("out", [1, 2, 3, (4, 5), (None, 2), (7, 1)])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_adaptive_pools(out, dtype):
    x = randn(2, 3, 7, 9, dtype=dtype)
    compare(lambda F, x: F.adaptive_avg_pool2d(x, out), x)
    d, t = compare(lambda F, x: F.adaptive_max_pool2d(x, out, return_indices=True), x)
    np.testing.assert_array_equal(d[1].numpy(), t[1].numpy())
    compare(lambda F, x: F.adaptive_max_pool2d(x, out), x[0])
    o = out if isinstance(out, int) else out[1]
    compare(lambda F, x: F.adaptive_avg_pool1d(x, o), x[0])
    compare(lambda F, x: F.adaptive_max_pool1d(x, o), x[0])


def test_adaptive_avg_pool3d():
    compare(lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 1)), randn(1, 2, 5, 4, 7))


POOL_ERRORS = [
    lambda F, x: F.max_pool2d(x, 2, padding=2), lambda F, x: F.max_pool2d(x, 7), lambda F, x: F.max_pool2d(x[0, 0], 2),
    lambda F, x: F.max_pool2d(x, 2, 0), lambda F, x: F.avg_pool2d(x, 2, padding=2), lambda F, x: F.avg_pool2d(x, 7),
    lambda F, x: F.avg_pool2d(x, 2, divisor_override=0), lambda F, x: F.max_pool1d(x, 2),
    lambda F, x: F.max_pool1d(x[0], 6), lambda F, x: F.max_pool1d(x[0], 2, padding=2), lambda F, x: F.avg_pool1d(x, 2),
    lambda F, x: F.avg_pool1d(x[0], 7), lambda F, x: F.adaptive_avg_pool2d(x[0, 0], 2),
    lambda F, x: F.max_pool3d(x[0], 2), lambda F, x: F.max_pool3d(x, 4)]


@pytest.mark.parametrize("i", range(len(POOL_ERRORS)))
def test_pool_errors(i):
    error_matches(POOL_ERRORS[i], randn(2, 3, 5, 5, dtype=F32))


def test_pool_gradcheck():
    x = randn(1, 2, 6, 5)
    gradcheck(lambda x: DF.max_pool2d(x, 3, 2, 1, ceil_mode=True), x, gradgrad=True)
    gradcheck(lambda x: DF.max_pool2d(x, 2), x, gradgrad=True)
    gradcheck(lambda x: DF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), x, gradgrad=True)
    gradcheck(lambda x: DF.adaptive_avg_pool2d(x, (4, 3)), x, gradgrad=True)
    gradcheck(lambda x: DF.adaptive_max_pool2d(x, (4, 3)), x, gradgrad=True)


# ---- padding -----------------------------------------------------------------------------------------
PADS = [((1, 2), "constant", 3, 0.5), ((2, 1, 0, 3), "constant", 4, None), ((-1, 2, 1, -2), "constant", 4, None),
        ((1, 2, 0, 1, 1, 1), "constant", 4, 2.0), ((2, 1), "reflect", 3, None), ((2, 1, 1, 3), "reflect", 4, None),
        ((-1, 2), "reflect", 3, None), ((1, 1, 2, 0, 1, 1), "reflect", 5, None), ((2, 3), "replicate", 2, None),
        ((2, 3, 1, 0), "replicate", 3, None), ((1, 1, 2, 2, 1, 0), "replicate", 5, None),
        ((2, 3), "circular", 3, None), ((1, 2, 3, 1), "circular", 4, None), ((-1, 2), "circular", 3, None),
        ((1, 1, 2, 1, 0, 1), "circular", 5, None)]


@pytest.mark.parametrize("pad,mode,ndim,value", PADS, ids=[f"{p}-{m}-{n}" for p, m, n, _ in PADS])
def test_pad(pad, mode, ndim, value):
    x = randn(*(2, 3, 4, 5, 6)[5 - ndim:])
    kw = {} if value is None else {"value": value}
    compare(lambda F, x: F.pad(x, pad, mode, **kw), x)
    gradcheck(lambda x: DF.pad(x, pad, mode, **kw), randn(*(2, 2, 3, 4, 5)[5 - ndim:]), gradgrad=True)


PAD_ERRORS = [lambda F, x: F.pad(x, (1,)), lambda F, x: F.pad(x, (1,) * 10), lambda F, x: F.pad(x, (-3, -3)),
              lambda F, x: F.pad(x, (5, 5), "reflect"), lambda F, x: F.pad(x[0], (4, 4), "reflect"),
              lambda F, x: F.pad(x[0], (1, 1, 4, 4), "reflect"), lambda F, x: F.pad(x, (1, 1), "reflect", 1.0),
              lambda F, x: F.pad(x[0], (5, 5), "circular"), lambda F, x: F.pad(x, (1, 1), "foo"),
              lambda F, x: F.pad(x[0, 0], (1, 1, 1, 1), "replicate")]


@pytest.mark.parametrize("i", range(len(PAD_ERRORS)))
def test_pad_errors(i):
    error_matches(PAD_ERRORS[i], randn(1, 1, 4, 4))


# ---- interpolation ----------------------------------------------------------------------------------------
INTERP = [dict(scale_factor=2), dict(size=(5, 7)), dict(scale_factor=0.6), dict(scale_factor=(1.7, 2.5)),
          dict(size=(3, 11), mode="nearest-exact"), dict(scale_factor=2, mode="bilinear"),
          dict(size=(5, 7), mode="bilinear"), dict(size=(5, 7), mode="bilinear", align_corners=True),
          dict(scale_factor=0.7, mode="bilinear"), dict(scale_factor=(1.5, 0.5), mode="bilinear", align_corners=True),
          dict(size=(4, 6), mode="bilinear", align_corners=False), dict(scale_factor=1.5, mode="bicubic"),
          dict(size=(7, 5), mode="bicubic", align_corners=True), dict(size=(2, 3), mode="area"),
          dict(scale_factor=2.4, mode="bilinear", recompute_scale_factor=True)]


@pytest.mark.parametrize("kw", INTERP, ids=[str(k) for k in INTERP])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_interpolate_2d(kw, dtype):
    compare(lambda F, x: F.interpolate(x, **kw), randn(2, 3, 4, 6, dtype=dtype))


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=9, mode="linear"),
                                dict(scale_factor=0.5, mode="linear", align_corners=True),
                                dict(size=5, mode="nearest-exact"), dict(size=3, mode="area")])
def test_interpolate_1d_3d(kw):
    compare(lambda F, x: F.interpolate(x, **kw), randn(2, 3, 7))
    kw3 = dict(kw)
    if kw3.get("mode") == "linear":
        kw3["mode"] = "trilinear"
    compare(lambda F, x: F.interpolate(x, **kw3), randn(1, 2, 3, 4, 5))


def test_interpolate_gradcheck_and_aliases():
    x = randn(1, 2, 3, 4)
    gradcheck(lambda x: DF.interpolate(x, scale_factor=1.5, mode="bilinear"), x, gradgrad=True)
    gradcheck(lambda x: DF.interpolate(x, size=(5, 3), mode="bicubic", align_corners=True), x, gradgrad=True)
    gradcheck(lambda x: DF.interpolate(x, scale_factor=2), x, gradgrad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda F, x: F.upsample_bilinear(x, scale_factor=2), x)
        compare(lambda F, x: F.upsample_nearest(x, size=5), x)
        compare(lambda F, x: F.upsample(x, scale_factor=3), x)


INTERP_ERRORS = [lambda F, x: F.interpolate(x), lambda F, x: F.interpolate(x, scale_factor=2, align_corners=True),
                 lambda F, x: F.interpolate(x, scale_factor=2, mode="foo"),
                 lambda F, x: F.interpolate(x, scale_factor=2, mode="linear"),
                 lambda F, x: F.interpolate(x, size=(2, 2, 2)), lambda F, x: F.interpolate(x, 2, 2),
                 lambda F, x: F.interpolate(x, scale_factor=(2, 2, 2))]


@pytest.mark.parametrize("i", range(len(INTERP_ERRORS)))
def test_interpolate_errors(i):
    error_matches(INTERP_ERRORS[i], randn(1, 1, 4, 4))


def test_pixel_shuffle():
    compare(lambda F, x: F.pixel_shuffle(x, 2), randn(2, 8, 3, 4), names=False)
    compare(lambda F, x: F.pixel_unshuffle(x, 2), randn(2, 2, 4, 6), names=False)


def test_max_unpool_and_channel_shuffle():
    torch = pytest.importorskip("torch")
    x = randn(2, 3, 6, 8)
    d_out, d_idx = (t.numpy() for t in DF.max_pool2d(dagrad.from_numpy(x), 2, return_indices=True))
    np.testing.assert_array_equal(d_idx, torch.nn.functional.max_pool2d(torch.from_numpy(x), 2,
                                                                        return_indices=True)[1].numpy())
    compare(lambda F, v, i: F.max_unpool2d(v, i, 2), d_out, Const(d_idx))
    compare(lambda F, v, i: F.max_unpool2d(v, i, 2, output_size=(7, 9)), d_out, Const(d_idx))
    compare(lambda F, v, i: F.max_unpool2d(v, i, 2), d_out[0], Const(d_idx[0]))
    p1 = DF.max_pool1d(dagrad.from_numpy(x[0]), 2, return_indices=True)
    compare(lambda F, v, i: F.max_unpool1d(v, i, 2), p1[0].numpy(), Const(p1[1].numpy()))
    gradcheck(lambda v: DF.max_unpool2d(v, dagrad.from_numpy(d_idx[:1, :1]), 2), d_out[:1, :1], gradgrad=True)
    compare(lambda F, x: F.channel_shuffle(x, 3), randn(2, 6, 2, 2), names=False)
    compare(lambda F, x: F.lp_pool3d(x, 2, 2), randn(1, 2, 4, 4, 4) + 3)


def test_3d_and_1d_primitives_gradcheck():
    x = randn(1, 1, 3, 4, 3)
    gradcheck(lambda x: DF.max_pool3d(x, 2, 1, padding=(1, 0, 0)), x, gradgrad=True)
    gradcheck(lambda x: DF.avg_pool3d(x, 2, 1, padding=(0, 1, 0), count_include_pad=False), x, gradgrad=True)
    gradcheck(lambda x: DF.adaptive_avg_pool3d(x, (2, 3, 2)), x, gradgrad=True)
    gradcheck(lambda x: DF.adaptive_max_pool3d(x, (2, 2, 2)), x, gradgrad=True)
    gradcheck(lambda x: DF.interpolate(x, size=(4, 5, 2), mode="trilinear"), x, gradgrad=True)
    gradcheck(lambda x: DF.interpolate(x, size=(2, 6, 5), mode="nearest-exact"), x, gradgrad=True)
    gradcheck(lambda x: DF.interpolate(x, size=7, mode="linear", align_corners=True), randn(1, 2, 4), gradgrad=True)
    gradcheck(lambda x: DF.conv3d(x, dagrad.from_numpy(randn(2, 1, 2, 2, 2, seed=1)), padding=1, stride=2), x,
              gradgrad=True)
