"""dagrad.nn.utils gradient clipping and parameter/vector conversion against torch.nn.utils."""
import warnings

import numpy as np
import pytest

import dagrad as dg
import dagrad.nn.utils as dg_utils

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
SHAPES = [(4, 3), (5,), (2, 2, 2)]
GRADS = [RNG.standard_normal(s) for s in SHAPES]


def with_grads(lib, dtype="float64", grads=GRADS, missing=()):
    ps = []
    for i, g in enumerate(grads):
        p = lib.zeros(g.shape, dtype=getattr(lib, dtype), requires_grad=True)
        if i not in missing:
            p.grad = lib.tensor(g.astype(dtype))
        ps.append(p)
    return ps


def grads_np(ps):
    return [None if p.grad is None else p.grad.numpy().copy() for p in ps]


NORMS = [2.0, 1, 3.5, 0.5, float("inf"), -float("inf"), 0, "inf"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("norm_type", NORMS)
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    t_ps, d_ps = with_grads(torch, dtype, missing=(1,)), with_grads(dg, dtype, missing=(1,))
    t_total = torch.nn.utils.clip_grad_norm_(t_ps, max_norm, norm_type=norm_type)
    d_total = dg_utils.clip_grad_norm_(d_ps, max_norm, norm_type=norm_type)
    assert isinstance(d_total, dg.Tensor) and d_total.dim() == 0
    assert str(d_total.dtype) == str(t_total.dtype).replace("torch", "dagrad")
    rtol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(d_total.item(), t_total.item(), rtol=rtol)
    for e, g in zip(grads_np(t_ps), grads_np(d_ps)):
        if e is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=0)


def test_clip_grad_norm_single_tensor_and_generator():
    t = with_grads(torch)[0]
    d = with_grads(dg)[0]
    expected = torch.nn.utils.clip_grad_norm_(t, 0.1)
    got = dg_utils.clip_grad_norm_(d, 0.1)
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    d_ps = with_grads(dg)
    got = dg_utils.clip_grad_norm_((p for p in d_ps), 0.1)
    assert got.item() == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in GRADS)), rel=1e-12)


def test_clip_grad_norm_mixed_dtypes_and_version_bump():
    t_ps = with_grads(torch, "float64")[:1] + with_grads(torch, "float32")[1:]
    d_ps = with_grads(dg, "float64")[:1] + with_grads(dg, "float32")[1:]
    before = d_ps[1].grad._version[0]
    t_total = torch.nn.utils.clip_grad_norm_(t_ps, 0.3)
    d_total = dg_utils.clip_grad_norm_(d_ps, 0.3)
    assert d_total.dtype == dg.float64 and t_total.dtype == torch.float64
    np.testing.assert_allclose(d_total.item(), t_total.item(), rtol=1e-12)
    for e, g in zip(grads_np(t_ps), grads_np(d_ps)):
        assert e.dtype == g.dtype
        np.testing.assert_allclose(g, e, rtol=1e-6)
    assert d_ps[1].grad._version[0] == before + 1


def test_clip_grad_norm_empty():
    for lib, fn in ((torch, torch.nn.utils.clip_grad_norm_), (dg, dg_utils.clip_grad_norm_)):
        total = fn([], 1.0)
        assert total.item() == 0.0 and str(total.dtype).endswith("float32")
        total = fn(with_grads(lib, missing=(0, 1, 2)), 1.0)
        assert total.item() == 0.0
    with pytest.warns(UserWarning, match="^`parameters` is an empty generator, no gradient clipping will occur.$"):
        dg_utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_nonfinite():
    grads = [np.array([1.0, np.nan]), np.array([np.inf, 2.0])]
    for grads_ in (grads[:1], grads[1:]):
        msgs = []
        for lib, fn in ((torch, torch.nn.utils.clip_grad_norm_), (dg, dg_utils.clip_grad_norm_)):
            with pytest.raises(RuntimeError) as info:
                fn(with_grads(lib, grads=grads_), 1.0, error_if_nonfinite=True)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]
    # without the check, the gradients are scaled by the non-finite norm, as in torch
    t_ps, d_ps = with_grads(torch, grads=grads), with_grads(dg, grads=grads)
    torch.nn.utils.clip_grad_norm_(t_ps, 1.0)
    dg_utils.clip_grad_norm_(d_ps, 1.0)
    for e, g in zip(grads_np(t_ps), grads_np(d_ps)):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("norm_type", ["inf", "-inf"])
@pytest.mark.parametrize("foreach", [None, False])
def test_clip_grad_norm_inf_on_empty_tensor(norm_type, foreach):
    msgs = []
    for lib, fn in ((torch, torch.nn.utils.clip_grad_norm_), (dg, dg_utils.clip_grad_norm_)):
        with pytest.raises(RuntimeError) as info:
            fn(with_grads(lib, grads=[np.zeros(0)]), 1.0, norm_type=norm_type, foreach=foreach)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_get_total_norm_and_clip_grads_with_norm():
    t_ps, d_ps = with_grads(torch), with_grads(dg)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t_ps], 3.0)
    d_total = dg_utils.get_total_norm([p.grad for p in d_ps], 3.0)
    np.testing.assert_allclose(d_total.item(), t_total.item(), rtol=1e-12)
    torch.nn.utils.clip_grads_with_norm_(t_ps, 0.2, t_total)
    dg_utils.clip_grads_with_norm_(d_ps, 0.2, d_total)
    for e, g in zip(grads_np(t_ps), grads_np(d_ps)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_clip_grad_norm_deprecated_alias():
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        total = dg_utils.clip_grad_norm(with_grads(dg), 1.0)
    assert total.item() > 0


@pytest.mark.parametrize("clip_value", [0.3, 5, 0])
def test_clip_grad_value_matches_torch(clip_value):
    grads = GRADS + [np.array([np.nan, -np.inf, np.inf])]
    t_ps, d_ps = with_grads(torch, grads=grads, missing=(2,)), with_grads(dg, grads=grads, missing=(2,))
    assert torch.nn.utils.clip_grad_value_(t_ps, clip_value) is None
    assert dg_utils.clip_grad_value_(d_ps, clip_value) is None
    for e, g in zip(grads_np(t_ps), grads_np(d_ps)):
        if e is None:
            assert g is None
        else:
            np.testing.assert_array_equal(g, e)
    single = with_grads(dg)[0]
    dg_utils.clip_grad_value_(single, 0.1)
    assert np.abs(single.grad.numpy()).max() <= 0.1


def test_parameters_to_vector_and_back():
    t_ps = [torch.tensor(g, requires_grad=True) for g in GRADS]
    d_ps = [dg.tensor(g, requires_grad=True) for g in GRADS]
    t_vec = torch.nn.utils.parameters_to_vector(t_ps)
    d_vec = dg_utils.parameters_to_vector(d_ps)
    np.testing.assert_array_equal(d_vec.detach().numpy(), t_vec.detach().numpy())
    assert d_vec.requires_grad and d_vec.shape == (sum(g.size for g in GRADS),)
    (d_vec * dg.arange(d_vec.numel(), dtype=dg.float64)).sum().backward()
    assert d_ps[1].grad.numpy().tolist() == list(map(float, range(12, 17)))

    new = np.arange(d_vec.numel(), dtype=np.float64)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t_ps)
    d_new = dg.tensor(new)
    dg_utils.vector_to_parameters(d_new, d_ps)
    for t, d in zip(t_ps, d_ps):
        np.testing.assert_array_equal(d.detach().numpy(), t.detach().numpy())
        assert d.requires_grad and d.is_leaf
    assert np.shares_memory(d_ps[2].detach().numpy(), d_new.numpy())
    with pytest.raises(TypeError, match=r"^expected torch.Tensor, but got: list$"):
        dg_utils.vector_to_parameters([1.0], d_ps)


def test_importable_as_nn_utils():
    import dagrad.nn.utils
    assert dg.nn.utils.clip_grad_norm_ is dg_utils.clip_grad_norm_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dg.nn.utils.clip_grad_value_(with_grads(dg), 1.0)
