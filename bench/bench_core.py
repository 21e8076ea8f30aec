"""Core benchmarks against torch: per-op overhead, the tutorial's loop, and a BLAS-bound matmul.

Run: python bench/bench_core.py   (prints medians and dagrad/torch ratios measured side by side)
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


def chain(lib, n_ops=1000):
    """A 1,000-op chain on a 16-element tensor, forward and backward: the per-op overhead."""
    x = lib.ones(16, requires_grad=True)

    def run():
        y = x
        for i in range(n_ops // 2):
            y = y * 1.0001
            y = y + x
        y.sum().backward()
        x.grad = None
    return run


def tutorial_loop(lib, F):
    """One iteration of the tutorial's gradient-descent loop."""
    lib.manual_seed(0)
    x = lib.ones(4)
    y = lib.zeros(3)
    state = {"W": lib.rand(4, 3, requires_grad=True), "b": lib.rand(3, requires_grad=True)}
    z = lib.matmul(x, state["W"]) + state["b"]
    F.mse_loss(z, y).backward()

    def run():
        W = state["W"] - 0.1 * state["W"].grad
        b = state["b"] - 0.1 * state["b"].grad
        W.detach_().requires_grad_(True)
        b.detach_().requires_grad_(True)
        z = lib.matmul(x, W) + b
        loss = F.mse_loss(z, y)
        loss.backward()
        state["W"], state["b"] = W, b
    return run


def matmul_1024(lib):
    """(A @ B).sum() forward and backward, 1024x1024 float32."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)
    A = lib.tensor(a, requires_grad=True)
    B = lib.tensor(b, requires_grad=True)

    def run():
        (A @ B).sum().backward()
        A.grad = None
        B.grad = None
    return run


def matmul_1024_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)

    def run():
        out = a @ b
        out.sum()
        g = np.ones_like(out)
        g @ b.T
        a.T @ g
    return run


def main():
    import dagrad.nn.functional as DF
    import torch.nn.functional as TF
    torch.set_num_threads(2)
    rows = []
    d = median_time(chain(dagrad), repeat=9)
    t = median_time(chain(torch), repeat=9)
    rows.append(("per-op fwd+bwd, 16 elems (1000-op chain), /op", d / 1000, t / 1000))
    d = median_time(tutorial_loop(dagrad, DF), repeat=9, number=200)
    t = median_time(tutorial_loop(torch, TF), repeat=9, number=200)
    rows.append(("tutorial loop, per iteration", d, t))
    d = median_time(matmul_1024(dagrad), repeat=7)
    t = median_time(matmul_1024(torch), repeat=7)
    n = median_time(matmul_1024_numpy(), repeat=7)
    rows.append(("(A @ B).sum() fwd+bwd, 1024x1024 float32", d, t, n))
    report("dagrad core benchmarks (2 threads)", rows)


if __name__ == "__main__":
    main()
