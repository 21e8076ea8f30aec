"""dagrad.utils.data.DataLoader against torch.utils.data.DataLoader: batches, order, validation, workers."""
import collections
import contextlib
import gc
import math
import multiprocessing
import os
import random
import signal
import time
import warnings

import numpy as np
import pytest

import dagrad
import dagrad.utils.data as D

torch = pytest.importorskip("torch")
from _compare import plain  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same(fn):
    assert plain(fn(dagrad)) == plain(fn(torch))


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


@contextlib.contextmanager
def hang_guard(seconds=20):
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"DataLoader test still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def tensor_ds(lib, n=10):
    return lib.utils.data.TensorDataset(lib.arange(n * 3, dtype=lib.float32).reshape(n, 3), lib.arange(n) % 3)


class RecordDataset:
    """Map-style samples of mixed Python, numpy and string types (library-neutral)."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full((2,), i, dtype=np.float32), "label": i % 2, "w": i / 4, "name": f"s{i}",
                "pair": (i, np.int32(-i)), "pt": Point(i, [i, i + 1])}


def make_iterable(lib, start, end):
    class Range(lib.utils.data.IterableDataset):
        def __init__(self):
            self.start, self.end = start, end

        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            return iter(range(self.start, self.end)) if info is None else iter(self.shard(info))

        def shard(self, info):
            per = int(math.ceil((self.end - self.start) / info.num_workers))
            lo = self.start + info.id * per
            return range(lo, min(lo + per, self.end))

        def __len__(self):
            return self.end - self.start
    return Range()


def run_loader(lib, make_ds, epochs=1, seed=None, **kwargs):
    if seed is not None:
        lib.manual_seed(seed)
    loader = lib.utils.data.DataLoader(make_ds(lib), **kwargs)
    out = [len(loader)] if not isinstance(loader.dataset, lib.utils.data.IterableDataset) else []
    for _ in range(epochs):
        out.append(list(loader))
    out.append(lib.rand(2))  # the default generator advanced exactly as torch's
    return out


# --------------------------------------------------------------------------------------------------- batches


@pytest.mark.parametrize("seed", [0, 5, 12345])
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, True), (16, False)])
def test_shuffled_batches_match_torch(seed, batch_size, drop_last):
    assert_same(lambda lib: run_loader(lib, tensor_ds, epochs=2, seed=seed, batch_size=batch_size, shuffle=True,
                                       drop_last=drop_last))


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    assert_same(lambda lib: run_loader(lib, tensor_ds, seed=1, batch_size=batch_size, drop_last=drop_last))


def test_generator_argument_drives_shuffling():
    def fn(lib):
        g = lib.Generator().manual_seed(77)
        lib.manual_seed(0)
        loader = lib.utils.data.DataLoader(tensor_ds(lib, 9), batch_size=4, shuffle=True, generator=g)
        return [list(loader), list(loader), g.initial_seed(), lib.rand(2)]
    assert_same(fn)


def test_structured_samples_match_torch():
    assert_same(lambda lib: run_loader(lib, lambda _: RecordDataset(), seed=3, batch_size=3, shuffle=True))


def test_list_and_numpy_samples_match_torch():
    samples = [(np.arange(4, dtype=np.float64) * i, i, [i, float(i)], True) for i in range(5)]
    assert_same(lambda lib: run_loader(lib, lambda _: samples, batch_size=2))


def test_custom_collate_fn():
    def collate(batch):
        return {"n": len(batch), "sum": sum(int(x[1]) for x in batch)}
    assert_same(lambda lib: run_loader(lib, tensor_ds, seed=4, batch_size=4, shuffle=True, collate_fn=collate))


def test_batch_size_none_uses_default_convert():
    assert_same(lambda lib: run_loader(lib, lambda _: RecordDataset(3), batch_size=None))
    assert_same(lambda lib: run_loader(lib, tensor_ds, batch_size=None, shuffle=True, seed=2))


def test_explicit_sampler_and_batch_sampler():
    def fn(lib):
        S = lib.utils.data
        ds = tensor_ds(lib, 8)
        lib.manual_seed(11)
        by_sampler = S.DataLoader(ds, batch_size=3, sampler=S.RandomSampler(ds, replacement=True, num_samples=7))
        by_batches = S.DataLoader(ds, batch_sampler=[[0, 1], [7], [2, 5, 6]])
        weighted = S.DataLoader(ds, batch_size=2, sampler=S.WeightedRandomSampler([1.0] * 4 + [5.0] * 4, 6))
        return [len(by_sampler), list(by_sampler), len(by_batches), list(by_batches), list(weighted),
                list(S.DataLoader(ds, sampler=[3, 1], batch_size=None)), lib.rand(1)]
    assert_same(fn)


def test_getitems_is_used_for_batches():
    class Batched(D.Dataset):
        calls = 0

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            Batched.calls += 1
            return [i * 10 for i in indices]
    assert [b.tolist() for b in D.DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30], [40]]
    assert Batched.calls == 3


@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (1, False), (3, False), (3, True), (5, True)])
def test_iterable_dataset_matches_torch(batch_size, drop_last):
    def fn(lib):
        lib.manual_seed(0)
        loader = lib.utils.data.DataLoader(make_iterable(lib, 3, 13), batch_size=batch_size, drop_last=drop_last)
        return [len(loader), list(loader), list(loader), lib.rand(1)]
    assert_same(fn)


def test_iterable_length_warning():
    loader = D.DataLoader(make_iterable(dagrad, 0, 3), batch_size=None)
    assert len(loader) == 3
    loader.dataset.end = 4
    with pytest.warns(UserWarning, match=r"was reported to be 3\(when accessing len\(dataloader\)\), but 4 samples"):
        list(loader)


# --------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=-2),
    dict(drop_last=None),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="no-such-method"),
    dict(num_workers=1, multiprocessing_context=3),
])
def test_map_dataset_validation_errors(kwargs):
    assert_same_error(lambda lib: lib.utils.data.DataLoader(list(range(4)), **kwargs))


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_validation_errors(kwargs):
    assert_same_error(lambda lib: lib.utils.data.DataLoader(make_iterable(lib, 0, 2), **kwargs))


def test_attributes_are_frozen_after_init():
    for attr in ("batch_size", "sampler", "drop_last", "dataset"):
        assert_same_error(lambda lib: setattr(lib.utils.data.DataLoader([1, 2]), attr, None))
    loader = D.DataLoader([1, 2])
    loader.collate_fn = list  # not guarded
    assert list(loader) == [[1], [2]]


def test_timeout_without_workers_and_pin_memory_warning():
    assert_same_error(lambda lib: iter(lib.utils.data.DataLoader([1, 2], timeout=1)))
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        assert [b.tolist() for b in D.DataLoader([1, 2], pin_memory=True)] == [[1], [2]]


def test_len_matches_torch():
    def fn(lib):
        ds = tensor_ds(lib, 10)
        S = lib.utils.data
        return [len(S.DataLoader(ds)), len(S.DataLoader(ds, batch_size=3)), len(S.DataLoader(ds, batch_size=3,
                drop_last=True)), len(S.DataLoader(ds, batch_size=None)),
                len(S.DataLoader(make_iterable(lib, 0, 10), batch_size=4)),
                len(S.DataLoader(make_iterable(lib, 0, 10), batch_size=4, drop_last=True))]
    assert_same(fn)


# --------------------------------------------------------------------------------------------------- workers


class SeedProbe:
    """Samples that reveal each worker's seeding: global dagrad/torch, numpy and Python random draws."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return (i, info.id, info.num_workers, info.seed, self.lib.rand(2), np.random.rand(), random.random())


def test_workers_match_torch_including_seeds():
    with hang_guard():
        assert_same(lambda lib: run_loader(lib, SeedProbe, seed=21, batch_size=3, shuffle=True, num_workers=2))


def shard_init_fn(worker_id):
    for lib in (dagrad, torch):
        info = lib.utils.data.get_worker_info()
        if info is not None:
            ds = info.dataset
            per = int(math.ceil((ds.end - ds.start) / info.num_workers))
            ds.start = ds.start + worker_id * per
            ds.end = min(ds.start + per, ds.end)
            ds.init_called = worker_id


def test_iterable_workers_order_matches_torch():
    class Unsharded:
        @staticmethod
        def make(lib, start, end):
            class Range(lib.utils.data.IterableDataset):
                def __init__(self):
                    self.start, self.end = start, end

                def __iter__(self):
                    return iter(range(self.start, self.end))
            return Range()

    def fn(lib):
        lib.manual_seed(13)
        mk = Unsharded.make
        S = lib.utils.data
        return [list(S.DataLoader(mk(lib, 3, 7), num_workers=2)),  # every worker yields everything
                list(S.DataLoader(mk(lib, 3, 7), num_workers=2, worker_init_fn=shard_init_fn)),
                list(S.DataLoader(make_iterable(lib, 0, 11), num_workers=2, batch_size=2)),
                list(S.DataLoader(make_iterable(lib, 0, 11), num_workers=2, batch_size=2, drop_last=True)),
                lib.rand(1)]
    with hang_guard():
        assert_same(fn)
    assert get_info_in_main() is None


def get_info_in_main():
    return D.get_worker_info()


def test_persistent_workers_and_prefetch():
    def fn(lib):
        loader = lib.utils.data.DataLoader(tensor_ds(lib, 9), batch_size=2, shuffle=True, num_workers=2,
                                           persistent_workers=True, prefetch_factor=1)
        first = list(loader)
        it = iter(loader)
        partial = next(it)  # an unfinished epoch, then a fresh one on the same workers
        return [first, partial, list(loader), lib.rand(1)]
    with hang_guard():
        assert_same(lambda lib: (lib.manual_seed(8), fn(lib))[1])


class Failing(D.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise KeyError("bad index 3")
        return i


def test_worker_exception_is_reraised_and_workers_end_with_the_iterator():
    with hang_guard():
        before = set(multiprocessing.active_children())
        with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process") as info:
            list(D.DataLoader(Failing(), batch_size=2, num_workers=2))
        workers = set(multiprocessing.active_children()) - before
        assert len(workers) == 2
        del info  # the traceback holds the iterator in a reference cycle: shutdown runs from the collector
        gc.collect()
        for p in workers:
            p.join(timeout=3)
        assert not any(p.is_alive() for p in workers)


class Dying(D.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_dead_worker_raises_instead_of_hanging():
    with hang_guard(), pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) .*\) exited unexpectedly"):
        list(D.DataLoader(Dying(), num_workers=2))


class Slow(D.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.6)
        return i


def test_worker_timeout():
    with hang_guard(), pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        list(D.DataLoader(Slow(), num_workers=1, timeout=0.1))


def test_early_break_does_not_hang():
    with hang_guard():
        for epoch in range(2):
            for batch in D.DataLoader(tensor_ds(dagrad, 40), batch_size=2, num_workers=2):
                break
        assert batch[0].shape == (2, 3)


def test_fallback_to_main_process(monkeypatch):
    from dagrad.utils.data import dataloader

    def refuse(self, loader):
        raise OSError("no processes here")
    monkeypatch.setattr(dataloader._MultiProcessingDataLoaderIter, "_start_workers", refuse)
    monkeypatch.setattr(dataloader, "_fallback_warned", False)
    dagrad.manual_seed(6)
    with pytest.warns(UserWarning, match="could not start worker processes"):
        ours = list(D.DataLoader(tensor_ds(dagrad), batch_size=4, shuffle=True, num_workers=2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one-time warning
        list(D.DataLoader([1, 2], num_workers=2))
    torch.manual_seed(6)
    theirs = list(torch.utils.data.DataLoader(tensor_ds(torch), batch_size=4, shuffle=True))
    assert plain(ours) == plain(theirs)
