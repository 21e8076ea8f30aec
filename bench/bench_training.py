"""Training-step benchmarks against torch: the 784-256-10 MLP (batch 32 and 256) and a small CNN (batch 64).

Run: python bench/bench_training.py   (medians of side-by-side runs; ratio = dagrad / torch)
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))
from _harness import clean_blas_env, median_time, report  # noqa: E402

clean_blas_env()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import dagrad  # noqa: E402


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 5 * 5, 10))


def step_fn(lib, make, x_shape, batch, steps=20):
    """A closure running ``steps`` SGD training steps on fixed random data."""
    lib.manual_seed(0)
    model = make(lib)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch,) + x_shape).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch).astype(np.int64))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return run, steps


def main():
    torch.set_num_threads(2)
    rows = []
    for name, make, shape, batch in (("MLP 784-256-10, batch 32", mlp, (784,), 32),
                                     ("MLP 784-256-10, batch 256", mlp, (784,), 256),
                                     ("CNN 2x(conv3x3+relu+maxpool), 28x28, batch 64", cnn, (1, 28, 28), 64)):
        d_run, n = step_fn(dagrad, make, shape, batch)
        t_run, _ = step_fn(torch, make, shape, batch)
        d = median_time(d_run, repeat=7) / n
        t = median_time(t_run, repeat=7) / n
        rows.append((name + ", per step", d, t))
    report("dagrad training-step benchmarks (2 threads)", rows, unit="ms", scale=1e3)


if __name__ == "__main__":
    main()
