"""DataLoader worker processes (torch.utils.data._utils.worker): the fetch loop, seeding, get_worker_info."""
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# how often a blocked worker or main process wakes to check that the other side is still alive (seconds)
POLL_INTERVAL = 0.5
WORKER_POLL_INTERVAL = 0.1

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """torch.utils.data.WorkerInfo: what ``get_worker_info()`` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """torch.utils.data.get_worker_info: this worker's WorkerInfo, or None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class IterableStop:
    """Sent by a worker whose IterableDataset copy is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class Resume:
    """Sent to persistent workers at a new epoch; echoed back once the worker has restarted its fetcher."""


class _PlainRepr(str):
    def __repr__(self):
        return str(self)


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and formatted traceback."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _PlainRepr(msg)  # KeyError shows repr(arg): keep the traceback readable
        try:
            err = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise err


def numpy_seed_state(base_seed, worker_id):
    """The numpy seed torch gives a worker: SeedSequence([worker_id, seed low 32 bits, seed high bits, 0])."""
    words = [worker_id, base_seed & 0xFFFFFFFF, (base_seed >> 32) & 0xFFFFFFFF, 0]
    return np.random.SeedSequence(words).generate_state(4)


def seed_worker(base_seed, worker_id):
    """Seed Python's, dagrad's and numpy's global generators exactly as a torch worker seeds its own."""
    from ... import random as dagrad_random
    seed = base_seed + worker_id
    random.seed(seed)
    dagrad_random.manual_seed(seed)
    np.random.seed(numpy_seed_state(base_seed, worker_id))
    return seed


def _pickled(data, worker_id):
    """Pickle here, not in the queue's feeder thread, where a failure would be printed and the batch lost."""
    try:
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(ExceptionWrapper(f"in DataLoader worker process {worker_id}"))


def worker_loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers):
    """Runs in a worker process: fetch each ``(task_idx, index)`` from ``index_queue`` until told to stop.

    Replies ``(task_idx, pickled batch)``; an exception is sent as an ExceptionWrapper; an exhausted IterableDataset
    sends IterableStop once and then ignores tasks until a Resume. ``None`` on the queue ends the loop; so does the death of
    the parent process or the done event (checked every WORKER_POLL_INTERVAL), so an orphaned worker never lingers.
    """
    global _worker_info
    from .dataloader import _DatasetKind
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        ended = False
        parent = os.getppid()
        # the done event is checked as well as the None message: when the main iterator dies in a garbage cycle,
        # its index queues may already be finalized and the None never delivered
        while os.getppid() == parent and not done_event.is_set():
            try:
                task = index_queue.get(timeout=WORKER_POLL_INTERVAL)
            except queue.Empty:
                continue
            if task is None:
                break
            if isinstance(task, Resume):
                data_queue.put((task, None))
                ended = False
                fetcher = _DatasetKind.create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if ended:
                continue
            task_idx, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if kind != _DatasetKind.Iterable:
                        data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
                    else:
                        data, ended = IterableStop(worker_id), True
                except Exception:
                    data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
            data_queue.put((task_idx, _pickled(data, worker_id)))
            del data, task, index
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
