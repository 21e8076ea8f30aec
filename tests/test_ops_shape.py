"""Shape ops against torch: values, views, grad_fn names and gradients."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import check  # noqa: E402

RNG = np.random.default_rng(11)


def r(*shape):
    return np.asarray(RNG.uniform(-2.0, 2.0, size=shape))


CASES = {
    "reshape": lambda L, x: x.reshape(4, 6),
    "reshape_tuple": lambda L, x: x.reshape((-1, 3)),
    "reshape_fn": lambda L, x: L.reshape(x, (24,)),
    "reshape_noncontig": lambda L, x: x.transpose(0, 2).reshape(-1),
    "view": lambda L, x: x.view(6, 4),
    "view_neg": lambda L, x: x.view(-1),
    "view_as": lambda L, x: x.view_as(L.zeros(4, 6)),
    "reshape_as": lambda L, x: x.reshape_as(L.zeros(2, 12)),
    "flatten": lambda L, x: x.flatten(),
    "flatten_range": lambda L, x: L.flatten(x, 1),
    "flatten_mid": lambda L, x: x.flatten(0, 1),
    "flatten_same": lambda L, x: x.flatten(1, 1),
    "unflatten": lambda L, x: x.unflatten(2, (2, 2)),
    "unflatten_neg": lambda L, x: L.unflatten(x, -1, (2, -1)),
    "squeeze_all": lambda L, x: x.reshape(2, 1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda L, x: x.reshape(2, 1, 3, 1, 4).squeeze(1),
    "squeeze_dims": lambda L, x: x.reshape(2, 1, 3, 1, 4).squeeze((1, 3)),
    "squeeze_noop": lambda L, x: x.squeeze(0),
    "unsqueeze": lambda L, x: x.unsqueeze(1),
    "unsqueeze_neg": lambda L, x: L.unsqueeze(x, -1),
    "transpose": lambda L, x: x.transpose(0, 2),
    "transpose_neg": lambda L, x: L.transpose(x, -1, -2),
    "swapaxes": lambda L, x: L.swapaxes(x, 0, 1),
    "t": lambda L, x: x[0].t(),
    "T2": lambda L, x: x[0].T,
    "mT": lambda L, x: x.mT,
    "permute": lambda L, x: x.permute(2, 0, 1),
    "permute_tuple": lambda L, x: L.permute(x, (1, 2, 0)),
    "permute_neg": lambda L, x: x.permute(-1, 0, 1),
    "movedim": lambda L, x: L.movedim(x, 0, -1),
    "movedim_multi": lambda L, x: x.movedim((0, 1), (2, 0)),
    "expand": lambda L, x: x[:, :1].expand(2, 5, 4),
    "expand_new": lambda L, x: x[0, 0].expand(3, 4),
    "expand_neg": lambda L, x: x[:, :1].expand(-1, 5, -1),
    "expand_as": lambda L, x: x[:1].expand_as(L.zeros(3, 3, 4)),
    "broadcast_to": lambda L, x: L.broadcast_to(x[0, :1], (5, 3, 4)),
    "repeat": lambda L, x: x.repeat(2, 1, 3),
    "repeat_more": lambda L, x: x[0].repeat(2, 2, 1),
    "tile": lambda L, x: L.tile(x, (2,)),
    "tile_more": lambda L, x: x[0].tile((2, 1, 2)),
    "repeat_interleave": lambda L, x: x.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda L, x: L.repeat_interleave(x[0, 0], 3),
    "repeat_interleave_tensor": lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2]), dim=1),
    "flip": lambda L, x: x.flip(0),
    "flip_many": lambda L, x: L.flip(x, (0, 2)),
    "fliplr": lambda L, x: L.fliplr(x),
    "flipud": lambda L, x: L.flipud(x),
    "roll": lambda L, x: x.roll(1, 2),
    "roll_neg": lambda L, x: L.roll(x, -2, 1),
    "roll_multi": lambda L, x: L.roll(x, (1, -1), (0, 2)),
    "roll_flat": lambda L, x: L.roll(x, 5),
    "tril": lambda L, x: x.tril(),
    "triu": lambda L, x: x.triu(1),
    "tril_neg": lambda L, x: L.tril(x, -1),
    "triu_neg": lambda L, x: L.triu(x[0], -1),
    "diag_vec": lambda L, x: L.diag(x[0, 0]),
    "diag_vec_off": lambda L, x: L.diag(x[0, 0], 1),
    "diag_vec_neg": lambda L, x: L.diag(x[0, 0], -2),
    "diag_mat": lambda L, x: L.diag(x[0]),
    "diag_mat_off": lambda L, x: x[0].diag(1),
    "diag_mat_neg": lambda L, x: x[0].diag(-1),
    "diagonal": lambda L, x: x.diagonal(),
    "diagonal_off": lambda L, x: L.diagonal(x, 1, 1, 2),
    "diagonal_neg": lambda L, x: x.diagonal(-1, -1, 0),
    "diag_embed": lambda L, x: L.diag_embed(x),
    "diag_embed_off": lambda L, x: L.diag_embed(x, 1),
    "narrow": lambda L, x: x.narrow(1, 1, 2),
    "narrow_neg": lambda L, x: L.narrow(x, -1, -3, 2),
    "select": lambda L, x: x.select(1, -1),
    "contiguous": lambda L, x: x.transpose(0, 1).contiguous(),
    "atleast_2d": lambda L, x: L.atleast_2d(x[0, 0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_op(name):
    check(CASES[name], r(2, 3, 4))


MULTI = {
    "cat0": lambda L, x, y: L.cat([x, y], 0),
    "cat1": lambda L, x, y: L.cat((x, x, y), dim=1),
    "cat_neg": lambda L, x, y: L.concat([x, y], -1),
    "cat_empty": lambda L, x, y: L.cat([x, L.tensor([]), y]),
    "stack0": lambda L, x, y: L.stack([x, y]),
    "stack_last": lambda L, x, y: L.stack((x, y), dim=-1),
    "stack_mid": lambda L, x, y: L.stack([x, y, x], 1),
    "hstack": lambda L, x, y: L.hstack([x, y]),
    "vstack": lambda L, x, y: L.vstack([x, y]),
    "hstack_1d": lambda L, x, y: L.hstack([x[0], y[0]]),
    "vstack_1d": lambda L, x, y: L.vstack([x[0], y[0]]),
    "dstack": lambda L, x, y: L.dstack([x, y]),
    "split": lambda L, x, y: L.split(x, 1),
    "split_uneven": lambda L, x, y: y.split(2, dim=1),
    "split_sizes": lambda L, x, y: L.split(y, [1, 2], 1),
    "chunk": lambda L, x, y: x.chunk(2, 1),
    "chunk_uneven": lambda L, x, y: L.chunk(y, 2, -1),
    "chunk_more": lambda L, x, y: L.chunk(y, 5, 1),
    "tensor_split": lambda L, x, y: L.tensor_split(y, 2, 1),
    "unbind": lambda L, x, y: x.unbind(0),
    "unbind1": lambda L, x, y: L.unbind(y, 1),
    "meshgrid": lambda L, x, y: L.meshgrid(x[0], y[0], indexing="ij"),
    "meshgrid_xy": lambda L, x, y: L.meshgrid(x[0], y[0], indexing="xy"),
    "broadcast_tensors": lambda L, x, y: L.broadcast_tensors(x[:, :1], y[:1]),
}


@pytest.mark.parametrize("name", sorted(MULTI))
def test_multi(name):
    check(MULTI[name], r(2, 3), r(2, 3))


def test_cat_promotes_and_int():
    check(lambda L, x, y: L.cat([x, y]), RNG.integers(0, 5, (2, 2)), r(2, 2))
    check(lambda L, x, y: L.stack([x, y]), RNG.integers(0, 5, (2, 2)), r(2, 2))


def test_views_share_storage_and_version():
    for L in (torch, dagrad):
        x = L.zeros(2, 3)
        v = x.view(3, 2)
        v[0, 0] = 5.0
        assert x[0, 0].item() == 5.0
        assert x._version == v._version
        assert v._base is x
        t = x.t()
        t[1, 0] = 7.0
        assert x[0, 1].item() == 7.0
        assert x.reshape(6)._base is x
        assert x.t().reshape(6)._base is None


def test_is_contiguous_and_strides():
    for L in (torch, dagrad):
        x = L.zeros(2, 3, 4)
        assert x.stride() == (12, 4, 1)
        assert x.transpose(0, 2).stride() == (1, 4, 12)
        assert not x.transpose(0, 2).is_contiguous()
        assert x.transpose(0, 2).contiguous().is_contiguous()


def test_next_functions_of_view_chain():
    t = torch.ones(2, 3, requires_grad=True)
    d = dagrad.ones(2, 3, requires_grad=True)
    to = t.t().reshape(6).unsqueeze(0)
    do = d.t().reshape(6).unsqueeze(0)
    tn, dn = to.grad_fn, do.grad_fn
    while tn is not None and tn.next_functions:
        assert dn.name() == tn.name()
        tn, dn = tn.next_functions[0][0], dn.next_functions[0][0]
    assert dn.name() == tn.name() == "torch::autograd::AccumulateGrad"


def test_double_backward_shape_ops():
    def fn(L, x):
        y = (L.cat([x.flip(0), x.roll(1, 1)], 1).tril() ** 2).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        return g
    check(fn, r(3, 3))
