"""dagrad.utils.data datasets, samplers and collation against torch.utils.data."""
import collections
import warnings

import numpy as np
import pytest

import dagrad
import dagrad.utils.data as D

torch = pytest.importorskip("torch")
from _compare import plain  # noqa: E402
TD = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def both(fn):
    """fn(lib) under dagrad and torch, as plain values."""
    return plain(fn(dagrad)), plain(fn(torch))


def assert_same(fn):
    ours, theirs = both(fn)
    assert ours == theirs


def error_of(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the type and text are what is compared
        return type(err).__name__, str(err)
    return None


def assert_same_error(fn):
    ours, theirs = error_of(lambda: fn(dagrad)), error_of(lambda: fn(torch))
    assert theirs is not None
    assert ours == theirs


# --------------------------------------------------------------------------------------------------- datasets


def test_import_paths():
    import dagrad.utils.data
    from dagrad.utils.data import DataLoader
    from dagrad.utils.data.dataloader import default_collate  # noqa: F401
    assert dagrad.utils.data.DataLoader is DataLoader
    assert set(D.__all__) <= set(dir(D))


def test_tensor_dataset():
    def fn(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(12.).reshape(6, 2), lib.arange(6))
        return [len(ds), ds[0], ds[-1], ds[2:4]]
    assert_same(fn)
    assert_same_error(lambda lib: lib.utils.data.TensorDataset(lib.zeros(3), lib.zeros(4)))


def test_concat_dataset():
    def fn(lib):
        ds = lib.utils.data.ConcatDataset([list(range(3)), list(range(10, 15)), [], list(range(20, 22))])
        ds2 = lib.utils.data.TensorDataset(lib.arange(3)) + lib.utils.data.TensorDataset(lib.arange(5, 7))
        return [ds.cumulative_sizes, len(ds), [ds[i] for i in range(-len(ds), len(ds))], len(ds2), ds2[3]]
    assert_same(fn)
    assert_same_error(lambda lib: lib.utils.data.ConcatDataset([[1, 2]])[-3])
    assert_same_error(lambda lib: lib.utils.data.ConcatDataset([]))

    class It(D.IterableDataset):
        def __iter__(self):
            return iter([1])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        D.ConcatDataset([It()])
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert D.ConcatDataset([[1], [2]]).cummulative_sizes == [1, 2]


def test_subset_and_getitems():
    def fn(lib):
        base = lib.utils.data.TensorDataset(lib.arange(10) * 10)
        sub = lib.utils.data.Subset(base, [7, 2, 5])
        nested = lib.utils.data.Subset(sub, [2, 0])
        return [len(sub), sub[0], sub[-1], sub.__getitems__([1, 2]), nested[0], len(nested)]
    assert_same(fn)

    class Bad(D.Subset):
        def __getitem__(self, idx):
            return 0
    assert_same_error(lambda lib: type("Bad", (lib.utils.data.Subset,), {"__getitem__": lambda s, i: 0})([], []))
    with pytest.raises(NotImplementedError):
        Bad([], [])


def test_stack_dataset():
    def fn(lib):
        a, b = lib.arange(4), [str(i) for i in range(4)]
        tup = lib.utils.data.StackDataset(a, b)
        named = lib.utils.data.StackDataset(num=a, name=b)
        return [len(tup), tup[1], named[2], tup.__getitems__([0, 3]), named.__getitems__([1])]
    assert_same(fn)
    assert_same_error(lambda lib: lib.utils.data.StackDataset([1, 2], [1]))
    assert_same_error(lambda lib: lib.utils.data.StackDataset())
    assert_same_error(lambda lib: lib.utils.data.StackDataset([1], b=[1]))


def test_chain_dataset_and_iterable_base():
    def fn(lib):
        class It(lib.utils.data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n
        chain = It(2) + It(3)
        return [list(chain), len(chain), list(lib.utils.data.ChainDataset([It(1), It(2), It(0)]))]
    assert_same(fn)
    assert_same_error(lambda lib: list(lib.utils.data.ChainDataset([[1, 2]])))
    assert_same_error(lambda lib: lib.utils.data.IterableDataset())
    assert_same_error(lambda lib: lib.utils.data.Dataset()[0])


@pytest.mark.parametrize("seed", [0, 7, 2024])
@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [1 / 3] * 3, [10], [5, 0, 5]])
def test_random_split_matches_torch(seed, lengths):
    def fn(lib):
        lib.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            default = lib.utils.data.random_split(range(10), lengths)
            explicit = lib.utils.data.random_split(range(10), lengths, generator=lib.Generator().manual_seed(seed + 1))
        return [[list(s.indices) for s in default], [list(s) for s in explicit], lib.rand(2)]
    assert_same(fn)


def test_random_split_errors_and_warnings():
    assert_same_error(lambda lib: lib.utils.data.random_split(range(10), [3, 3]))
    assert_same_error(lambda lib: lib.utils.data.random_split(range(10), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D.random_split(range(2), [1.0, 0.0])


# --------------------------------------------------------------------------------------------------- samplers


@pytest.mark.parametrize("seed", [0, 1, 31337])
def test_samplers_match_torch_after_manual_seed(seed):
    def fn(lib):
        S = lib.utils.data
        lib.manual_seed(seed)
        return [list(S.RandomSampler(range(13))),
                list(S.RandomSampler(range(13))),  # a new epoch draws a new seed from the default generator
                list(S.RandomSampler(range(5), replacement=True)),
                list(S.RandomSampler(range(9), replacement=True, num_samples=75)),  # 2 full chunks of 32 + 11
                list(S.RandomSampler(range(4), num_samples=10)),
                list(S.SubsetRandomSampler([10, 20, 30, 40, 50])),
                list(S.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 9)),
                list(S.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False)),
                list(S.WeightedRandomSampler(np.array([1.0, 2.0, 3.0]), 4)),
                lib.rand(3)]  # the default stream stays in step afterwards
    assert_same(fn)


@pytest.mark.parametrize("seed", [3, 99])
def test_samplers_with_generator(seed):
    def fn(lib):
        S = lib.utils.data
        g = lib.Generator().manual_seed(seed)
        rs = S.RandomSampler(range(8), generator=g)
        return [list(rs), list(rs), list(S.RandomSampler(range(6), True, 40, generator=g)),
                list(S.SubsetRandomSampler([3, 1, 4, 1, 5], generator=g)),
                list(S.WeightedRandomSampler([1, 2, 3, 4], 6, generator=g)), g.initial_seed()]
    assert_same(fn)


def test_sequential_and_batch_sampler():
    def fn(lib):
        S = lib.utils.data
        seq = S.SequentialSampler(range(10))
        return [list(seq), len(seq),
                list(S.BatchSampler(seq, 3, False)), len(S.BatchSampler(seq, 3, False)),
                list(S.BatchSampler(seq, 3, True)), len(S.BatchSampler(seq, 3, True)),
                list(S.BatchSampler(range(4), 2, True)), list(S.BatchSampler([5, 6, 7], 5, False)),
                list(S.BatchSampler([5, 6, 7], 5, True))]
    assert_same(fn)


@pytest.mark.parametrize("make", [
    lambda S: S.RandomSampler(range(3), replacement=1),
    lambda S: S.RandomSampler(range(3), num_samples=0),
    lambda S: S.RandomSampler([], replacement=False),
    lambda S: S.WeightedRandomSampler([1.0], 0),
    lambda S: S.WeightedRandomSampler([1.0], True),
    lambda S: S.WeightedRandomSampler([1.0], 2, replacement=None),
    lambda S: S.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda S: S.BatchSampler(range(3), 0, False),
    lambda S: S.BatchSampler(range(3), True, False),
    lambda S: S.BatchSampler(range(3), 2, 1),
    lambda S: len(S.Sampler()),
    lambda S: iter(S.Sampler()),
])
def test_sampler_errors(make):
    assert_same_error(lambda lib: make(lib.utils.data))


# --------------------------------------------------------------------------------------------------- collation


@pytest.mark.parametrize("batch", [
    [0, 1, 2, 3],
    [0.5, 1.25],
    [True, False],
    [True, 2],
    ["a", "bc"],
    [b"x", b"y"],
    [{"A": 0, "B": 1.5}, {"A": 100, "B": 2.5}],
    [Point(0, 0.5), Point(1, 1.5)],
    [(0, "a", 1.0), (2, "b", 3.0)],
    [[0, 1], [2, 3]],
    [np.array([1.0, 2.0], dtype=np.float32), np.array([3.0, 4.0], dtype=np.float32)],
    [np.array([[1, 2]], dtype=np.int32), np.array([[3, 4]], dtype=np.int32)],
    [np.float64(1.5), np.float64(2.0)],
    [np.float32(1.5), np.float32(2.0)],
    [np.int16(3), np.int16(4)],
    [np.bool_(True), np.bool_(False)],
    [np.array(3), np.array(4)],
    [{"img": np.zeros((2, 2), np.uint8), "label": 3, "meta": {"id": "a", "w": (1.0, 2)}}] * 3,
    [[{"a": [1, 2]}, (3.0,)], [{"a": [4, 5]}, (6.0,)]],
])
def test_default_collate_matches_torch(batch):
    assert_same(lambda lib: lib.utils.data.default_collate(batch))


def test_default_collate_tensors():
    def fn(lib):
        rows = [lib.arange(6.).reshape(2, 3) + i for i in range(4)]
        ints = [lib.tensor([i, i + 1]) for i in range(3)]
        return [lib.utils.data.default_collate(rows), lib.utils.data.default_collate(ints),
                lib.utils.data.default_collate([(r, i) for r, i in zip(rows, range(4))])]
    assert_same(fn)


def test_default_collate_keeps_gradients():
    w = dagrad.ones(2, requires_grad=True)
    out = D.default_collate([w * 2, w * 3]).sum()
    out.backward()
    assert w.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("batch", [
    [[1, 2], [3]],
    [object(), object()],
    [np.array(["a", "b"]), np.array(["c", "d"])],
    [None, None],
])
def test_default_collate_errors(batch):
    ours, theirs = error_of(lambda: D.default_collate(batch)), error_of(lambda: TD.default_collate(batch))
    assert ours[0] == theirs[0]
    assert ours[1].replace("dagrad", "torch") == theirs[1]


@pytest.mark.parametrize("data", [
    0, 1.5, "s", np.array([0, 1]), np.float32(2.5), np.array(["a"]),
    Point(np.array(0), np.array(1)), Point(0, 1), [np.array([0, 1]), np.array([2, 3])],
    (np.array([1.0]), 2), {"a": np.ones(2, np.float32), "b": "x"}, dagrad.arange(3),
])
def test_default_convert_matches_torch(data):
    def fn(lib):
        d = lib.arange(3) if isinstance(data, dagrad.Tensor) else data
        return lib.utils.data.default_convert(d)
    assert_same(fn)


def test_collate_fn_map_extension():
    from dagrad.utils.data._collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    def box_fn(batch, *, collate_fn_map=None):
        return sum(b.v for b in batch)
    table = {**default_collate_fn_map, Box: box_fn}
    out = collate([{"b": Box(1), "n": 1}, {"b": Box(2), "n": 2}], collate_fn_map=table)
    assert out["b"] == 3 and out["n"].tolist() == [1, 2]
