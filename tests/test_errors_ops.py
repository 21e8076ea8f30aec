"""Error types and texts of ops match torch's exactly (``torch.`` written ``dagrad.`` in dtype/Size names)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dagrad  # noqa: E402
from _compare import check_error  # noqa: E402


def z(*shape):
    return np.zeros(shape)


def z3(L, *shape):
    return L.zeros(*shape)


CASES = {
    # broadcasting
    "broadcast_add": (lambda L, a, b: a + b, z(2, 3), z(2, 4)),
    "broadcast_mul_3d": (lambda L, a, b: a * b, z(2, 3, 4), z(5, 4)),
    "broadcast_sub_leading": (lambda L, a, b: a - b, z(3, 2), z(2, 1, 4)),
    "broadcast_where_3": (lambda L, a, b: L.where(a > 0, b, z3(L, 4)), z(2, 3), z(2, 3)),
    "broadcast_where_cond": (lambda L, a, b: L.where(L.zeros(5) > 0, a, b), z(2, 3), z(2, 3)),
    "broadcast_tensors_3": (lambda L, a, b: L.broadcast_tensors(a, b, L.zeros(4, 1, 2)), z(2, 3), z(3)),
    "broadcast_where": (lambda L, a, b: L.where(a > 0, a, b), z(2, 3), z(4)),
    "broadcast_inplace": (lambda L, a, b: a.add_(b), z(3), z(2, 3)),
    "broadcast_shapes": (lambda L: L.broadcast_shapes((2, 3), (4, 3)),),
    "broadcast_tensors": (lambda L, a, b: L.broadcast_tensors(a, b), z(2, 3), z(4, 3)),
    "expand_bad": (lambda L, a: a.expand(2, 4), z(2, 3)),
    "expand_too_few": (lambda L, a: a.expand(3), z(2, 3)),
    "expand_neg_leading": (lambda L, a: a.expand(-1, 2, 3), z(2, 3)),
    # matrix products
    "mm_shapes": (lambda L, a, b: L.mm(a, b), z(2, 4), z(3, 2)),
    "matmul_shapes": (lambda L, a, b: a @ b, z(2, 4), z(3, 2)),
    "matmul_batched_shapes": (lambda L, a, b: a @ b, z(5, 2, 4), z(5, 3, 2)),
    "matmul_nd_2d": (lambda L, a, b: a @ b, z(5, 2, 4), z(3, 2)),
    "matmul_vec": (lambda L, a, b: a @ b, z(3), z(4)),
    "matmul_mv": (lambda L, a, b: a @ b, z(2, 3), z(4)),
    "matmul_vm": (lambda L, a, b: a @ b, z(3), z(4, 2)),
    "matmul_0d": (lambda L, a, b: L.matmul(a, b), z(), z(3)),
    "matmul_batch_broadcast": (lambda L, a, b: a @ b, z(2, 2, 3), z(3, 3, 2)),
    "matmul_batch_and_k": (lambda L, a, b: a @ b, z(2, 2, 4), z(3, 3, 2)),
    "matmul_4d_k": (lambda L, a, b: a @ b, z(2, 5, 2, 4), z(2, 5, 3, 2)),
    "matmul_1d_3d_k": (lambda L, a, b: a @ b, z(4), z(2, 3, 2)),
    "matmul_3d_1d_k": (lambda L, a, b: a @ b, z(2, 3, 4), z(3)),
    "matmul_2d_3d_k": (lambda L, a, b: a @ b, z(2, 4), z(5, 3, 2)),
    "mm_dtype": (lambda L, a, b: L.mm(a, b.double()), z(2, 3), z(3, 2)),
    "matmul_dtype": (lambda L, a, b: a @ b.double(), z(2, 3), z(3, 2)),
    "matmul_int_float": (lambda L, a, b: a.long() @ b, z(2, 3), z(3, 2)),
    "mm_not_matrix": (lambda L, a, b: L.mm(a, b), z(2, 3, 1), z(3, 2)),
    "mm_mat2_not_matrix": (lambda L, a, b: L.mm(a, b), z(2, 3), z(3)),
    "bmm_not_3d": (lambda L, a, b: L.bmm(a, b), z(2, 3), z(3, 2)),
    "bmm_batch": (lambda L, a, b: L.bmm(a, b), z(2, 2, 3), z(3, 3, 2)),
    "mv_shapes": (lambda L, a, b: L.mv(a, b), z(2, 3), z(4)),
    "dot_shapes": (lambda L, a, b: L.dot(a, b), z(3), z(4)),
    "dot_2d": (lambda L, a, b: L.dot(a, b), z(2, 3), z(3)),
    "dot_dtype": (lambda L, a, b: L.dot(a, b.double()), z(3), z(3)),
    "addmm_shapes": (lambda L, a, b: L.addmm(L.zeros(2, 2), a, b), z(2, 4), z(3, 2)),
    "einsum_operands": (lambda L, a: L.einsum("ij,jk->ik", a), z(2, 3)),
    "einsum_dims": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), z(2, 3), z(4, 2)),
    "tensordot_dims": (lambda L, a, b: L.tensordot(a, b, 1), z(2, 3), z(4, 2)),
    # views and reshapes
    "view_size": (lambda L, a: a.view(4, 2), z(2, 3)),
    "view_noncontiguous": (lambda L, a: a.t().view(6), z(2, 3)),
    "reshape_size": (lambda L, a: a.reshape(5, -1), z(2, 3)),
    "reshape_two_infer": (lambda L, a: a.reshape(-1, -1), z(2, 3)),
    "reshape_neg": (lambda L, a: a.reshape(-2, 3), z(2, 3)),
    "flatten_order": (lambda L, a: a.flatten(2, 1), z(2, 3, 4)),
    "unflatten_bad": (lambda L, a: a.unflatten(1, (2, 2)), z(2, 3)),
    "permute_len": (lambda L, a: a.permute(0, 1), z(2, 3, 4)),
    "permute_repeat": (lambda L, a: a.permute(0, 0, 1), z(2, 3, 4)),
    "t_3d": (lambda L, a: a.t(), z(2, 3, 4)),
    "repeat_few": (lambda L, a: a.repeat(2), z(2, 3)),
    "squeeze_dim": (lambda L, a: a.squeeze(3), z(2, 3)),
    "transpose_dim": (lambda L, a: a.transpose(0, 2), z(2, 3)),
    "narrow_bounds": (lambda L, a: a.narrow(1, 2, 2), z(2, 3)),
    "select_bounds": (lambda L, a: a.select(1, 3), z(2, 3)),
    "split_sizes": (lambda L, a: a.split([1, 1], 1), z(2, 3)),
    "diag_3d": (lambda L, a: L.diag(a), z(2, 3, 4)),
    # dims
    "sum_dim": (lambda L, a: a.sum(2), z(2, 3)),
    "sum_dim_neg": (lambda L, a: a.sum(-3), z(2, 3)),
    "mean_dim_repeat": (lambda L, a: a.mean((0, 0)), z(2, 3)),
    "mean_int": (lambda L, a: a.long().mean(), z(2, 3)),
    "softmax_dim": (lambda L, a: a.softmax(2), z(2, 3)),
    "cumsum_dim": (lambda L, a: a.cumsum(5), z(2, 3)),
    "unsqueeze_dim": (lambda L, a: a.unsqueeze(3), z(2, 3)),
    "max_dim": (lambda L, a: a.max(4), z(2, 3)),
    "max_empty": (lambda L, a: a.max(), z(0, 3)),
    "argmax_dim": (lambda L, a: a.argmax(3), z(2, 3)),
    "flip_dim": (lambda L, a: a.flip(3), z(2, 3)),
    "std_int": (lambda L, a: a.long().std(), z(2, 3)),
    # indexing
    "index_int_oob": (lambda L, a: a[3], z(2, 3)),
    "index_int_oob_dim1": (lambda L, a: a[0, 5], z(2, 3)),
    "index_neg_oob": (lambda L, a: a[-3], z(2, 3)),
    "index_too_many": (lambda L, a: a[0, 0, 0], z(2, 3)),
    "index_tensor_oob": (lambda L, a: a[L.tensor([0, 2])], z(2, 3)),
    "index_tensor_oob_dim1": (lambda L, a: a[:, L.tensor([5])], z(2, 3)),
    "index_float_tensor": (lambda L, a: a[L.tensor([1.0])], z(2, 3)),
    "index_float": (lambda L, a: a[1.5], z(2, 3)),
    "index_mask_shape": (lambda L, a: a[L.tensor([True, False, True])], z(2, 3)),
    "index_0d": (lambda L, a: a[0], z()),
    "setitem_shape": (lambda L, a: a.__setitem__(L.tensor([0, 1]), L.zeros(3, dtype=a.dtype)), z(3, 2)),
    "setitem_dtype": (lambda L, a: a.__setitem__(L.tensor([0]), L.zeros(3, dtype=L.float64)), z(3, 3)),
    "setitem_broadcast": (lambda L, a: a.__setitem__(0, L.zeros(4)), z(3, 3)),
    "gather_dims": (lambda L, a: a.gather(1, L.tensor([1, 2])), z(2, 3)),
    "gather_oob": (lambda L, a: a.gather(1, L.tensor([[3], [0]])), z(2, 3)),
    "gather_neg": (lambda L, a: a.gather(1, L.tensor([[-1], [0]])), z(2, 3)),
    "gather_float_index": (lambda L, a: a.gather(1, L.tensor([[1.0]])), z(2, 3)),
    "gather_big_index": (lambda L, a: a.gather(1, L.zeros(4, 1, dtype=L.long)), z(2, 3)),
    "gather_not_tensor": (lambda L, a: a.gather(1, [[1]]), z(2, 3)),
    "scatter_dtype": (lambda L, a: a.scatter(1, L.tensor([[1]]), L.ones(1, 1, dtype=L.float64)), z(2, 3)),
    "scatter_add_dtype": (lambda L, a: a.scatter_add(1, L.tensor([[1]]), L.ones(1, 1, dtype=L.float64)), z(2, 3)),
    "scatter_oob": (lambda L, a: a.scatter(1, L.tensor([[5]]), 1.0), z(2, 3)),
    "scatter_src_small": (lambda L, a: a.scatter(1, L.tensor([[1, 2]]), L.ones(1, 1)), z(2, 3)),
    "index_select_oob": (lambda L, a: a.index_select(1, L.tensor([3])), z(2, 3)),
    "index_select_2d": (lambda L, a: a.index_select(1, L.tensor([[1]])), z(2, 3)),
    "index_select_float": (lambda L, a: a.index_select(1, L.tensor([1.0])), z(2, 3)),
    "index_add_dtype": (lambda L, a: a.index_add(0, L.tensor([1]), L.ones(1, 3, dtype=L.float64)), z(2, 3)),
    "index_add_count": (lambda L, a: a.index_add(0, L.tensor([1]), L.ones(2, 3)), z(2, 3)),
    "index_add_oob": (lambda L, a: a.index_add(0, L.tensor([5]), L.ones(1, 3)), z(2, 3)),
    "masked_fill_float_mask": (lambda L, a: a.masked_fill(L.ones(2, 3), 1.0), z(2, 3)),
    "masked_fill_value_dims": (lambda L, a: a.masked_fill(a > 0, L.tensor([1.0])), z(2, 3)),
    "masked_fill_broadcast": (lambda L, a: a.masked_fill(L.tensor([True, False]), 1.0), z(2, 3)),
    "masked_select_float": (lambda L, a: a.masked_select(L.ones(2, 3)), z(2, 3)),
    "take_oob": (lambda L, a: a.take(L.tensor([6])), z(2, 3)),
    "take_float": (lambda L, a: a.take(L.tensor([1.0])), z(2, 3)),
    "index_put_dtype": (lambda L, a: a.index_put((L.tensor([0]),), L.tensor([1.0], dtype=L.float64)), z(2, 3)),
    "topk_k": (lambda L, a: a.topk(4), z(2, 3)),
    "kthvalue_k": (lambda L, a: a.kthvalue(4), z(2, 3)),
    "sort_dim": (lambda L, a: a.sort(2), z(2, 3)),
    # cat / stack
    "cat_sizes": (lambda L, a, b: L.cat([a, b], 0), z(2, 3), z(2, 4)),
    "cat_dims": (lambda L, a, b: L.cat([a, b]), z(2, 3), z(3)),
    "cat_empty": (lambda L: L.cat([]),),
    "cat_dim": (lambda L, a, b: L.cat([a, b], 2), z(2, 3), z(2, 3)),
    "cat_0d": (lambda L, a: L.cat([a, a]), z()),
    "cat_0d_second": (lambda L, a: L.cat([L.zeros(2), a]), z()),
    "stack_sizes": (lambda L, a, b: L.stack([a, b]), z(2, 3), z(2, 4)),
    "stack_empty": (lambda L: L.stack([]),),
    "stack_dim": (lambda L, a: L.stack([a, a], 3), z(2, 3)),
    # dtypes and values
    "sub_bool": (lambda L, a: (a > 0) - (a > 0), z(2)),
    "neg_bool": (lambda L, a: -(a > 0), z(2)),
    "invert_float": (lambda L, a: ~a, z(2)),
    "int_neg_pow": (lambda L, a: a.long() ** -1, z(2)),
    "int_div_zero_floor": (lambda L, a: a.long() // 0, z(2)),
    "int_remainder_zero": (lambda L, a: a.long() % 0, z(2)),
    "div_rounding_mode": (lambda L, a: L.div(a, 2, rounding_mode="round"), z(2)),
    "clamp_none": (lambda L, a: a.clamp(), z(2)),
    "where_cond": (lambda L, a: L.where(a, a, a), z(2)),
    "requires_grad_int": (lambda L, a: a.long().requires_grad_(), z(2)),
    "lt_complex": (lambda L, a: a.to(L.complex64) < 1, z(2)),
    "maximum_complex": (lambda L, a: L.maximum(a.to(L.complex64), a.to(L.complex64)), z(2)),
    "clamp_complex": (lambda L, a: a.to(L.complex64).clamp(0, 1), z(2)),
    "item_many": (lambda L, a: a.item(), z(2)),
    "bool_many": (lambda L, a: bool(a), z(2)),
    "inplace_leaf": (lambda L, a: a.requires_grad_().add_(1), z(2)),
    "inplace_cast": (lambda L, a: a.long().add_(1.5), z(2)),
    "tensor_ragged": (lambda L: L.tensor([[1, 2], [3]]),),
    "tensor_str": (lambda L: L.tensor("a"),),
    "arange_step": (lambda L: L.arange(0, 10, 0),),
    "arange_sign": (lambda L: L.arange(0, 10, -1),),
    "linspace_steps": (lambda L: L.linspace(0, 1, -1),),
    "zeros_neg": (lambda L: L.zeros(-1),),
    "zeros_neg_2": (lambda L: L.zeros(2, -3),),
    "ones_neg": (lambda L: L.ones(-1),),
    "empty_neg": (lambda L: L.empty(-1),),
    "full_neg": (lambda L: L.full((-1,), 1.0),),
    "std_mean_int": (lambda L, a: L.std_mean(a.long()), z(3)),
    "einsum_too_many": (lambda L, a, b: L.einsum("ij->i", a, b), z(2, 3), z(2)),
    "einsum_ndim": (lambda L, a: L.einsum("ij->i", a), z(2, 3, 4)),
    "einsum_bad_char": (lambda L, a: L.einsum("i1->i", a), z(2, 3)),
    "tensordot_list": (lambda L, a, b: L.tensordot(a, b, ([1], [0])), z(2, 3), z(4, 2)),
    "tensordot_2": (lambda L, a, b: L.tensordot(a, b, 2), z(2, 3), z(3, 2)),
    "tensordot_len": (lambda L, a, b: L.tensordot(a, b, ([1], [0, 1])), z(2, 3), z(3, 2)),
    "copy_bigger_src": (lambda L, a, b: a.copy_(b), z(3), z(2, 3)),
    "copy_bad_broadcast": (lambda L, a, b: a.copy_(b), z(3, 2), z(3)),
    "setitem_adv_broadcast": (lambda L, a: a.__setitem__(L.tensor([0, 1]), L.zeros(3, 3, dtype=a.dtype)), z(3, 3)),
    "stack_sizes_1d": (lambda L, a, b: L.stack([a, b]), z(2), z(3)),
    "unflatten_infer": (lambda L, a: a.unflatten(1, (-1, 4)), z(2, 6)),
    "view_neg": (lambda L, a: a.view(-2, 3), z(2, 3)),
    "full_bad": (lambda L: L.full((2,), "a"),),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error(name):
    fn, *arrays = CASES[name]
    check_error(fn, *arrays)


def test_dagrad_dtype_names_in_messages():
    with pytest.raises(RuntimeError) as err:
        dagrad.ones(2, 3).mm(dagrad.ones(3, 2, dtype=dagrad.float64))
    assert str(err.value) == "expected m1 and m2 to have the same dtype, but got: float != double"
    with pytest.raises(RuntimeError) as err:
        dagrad.ones(2, dtype=dagrad.int64).requires_grad_()
    assert "floating point" in str(err.value)


def test_learner_hints_are_notes_and_leave_the_text_alone():
    import dagrad
    cases = [
        (lambda: dagrad.ones(2, 4) @ dagrad.ones(3, 2), "mat1 and mat2 shapes cannot be multiplied (2x4 and 3x2)"),
        (lambda: dagrad.nn.Linear(3, 2)(dagrad.ones(5, 4)), "mat1 and mat2 shapes cannot be multiplied (5x4 and 3x2)"),
        (lambda: (dagrad.ones(3, requires_grad=True) * 2).backward(),
         "grad can be implicitly created only for scalar outputs"),
    ]
    for fn, text in cases:
        with pytest.raises(RuntimeError) as info:
            fn()
        assert str(info.value) == text
        assert info.value.__notes__[0].startswith("dagrad hint: ")
    x = dagrad.ones(3, requires_grad=True)
    y = x.exp()
    z = (y * y).sum()
    with dagrad.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.backward()
    assert str(info.value).startswith("one of the variables needed for gradient computation has been modified")
    assert "in-place" in info.value.__notes__[0]
