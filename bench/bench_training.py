"""Training-step benchmarks against torch: the 784-256-10 MLP (batch 32 and 256) and a small CNN (batch 64).

Run: python bench/bench_training.py   (medians of side-by-side runs; ratio = dagrad / torch)
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))
from _harness import clean_blas_env, in_subprocesses, median_time, report  # noqa: E402

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


CASES = {
    "mlp32": ("MLP 784-256-10, batch 32", mlp, (784,), 32),
    "mlp256": ("MLP 784-256-10, batch 256", mlp, (784,), 256),
    "cnn64": ("CNN 2x(conv3x3+relu+maxpool), 28x28, batch 64", cnn, (1, 28, 28), 64),
}


def worker(case, lib_name):
    """Print the median seconds per training step of one case under one library (run in its own process)."""
    torch.set_num_threads(2)
    _, make, shape, batch = CASES[case]
    run, n = step_fn(dagrad if lib_name == "dagrad" else torch, make, shape, batch)
    print(median_time(run, repeat=9) / n)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        return worker(sys.argv[2], sys.argv[3])
    medians = in_subprocesses(__file__, list(CASES))
    rows = [(CASES[c][0] + ", per step", medians[(c, "dagrad")], medians[(c, "torch")]) for c in CASES]
    report("dagrad training-step benchmarks (2 threads; each measurement in its own process)", rows,
           unit="ms", scale=1e3)


if __name__ == "__main__":
    main()
