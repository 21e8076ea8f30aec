"""Core benchmarks against torch: per-op overhead, the tutorial's loop, and a BLAS-bound matmul.

Run: python bench/bench_core.py   (prints medians and dagrad/torch ratios measured side by side)
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


def _case(case, lib_name):
    """(closure, calls per timing, divisor) for one case under one library."""
    import dagrad.nn.functional as DF
    import torch.nn.functional as TF
    lib, F = (dagrad, DF) if lib_name == "dagrad" else (torch, TF)
    if case == "chain":
        return chain(lib), 1, 1000
    if case == "tutorial":
        return tutorial_loop(lib, F), 200, 1
    return (matmul_1024_numpy() if lib_name == "numpy" else matmul_1024(lib)), 1, 1


def worker(case, lib_name):
    """Print seconds per unit of one case under one library (run in its own process)."""
    torch.set_num_threads(2)
    fn, number, per = _case(case, lib_name)
    print(median_time(fn, repeat=9, number=number) / per)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        return worker(sys.argv[2], sys.argv[3])
    m = in_subprocesses(__file__, ["chain", "tutorial"])
    m.update(in_subprocesses(__file__, ["matmul"], libs=("dagrad", "torch", "numpy")))
    rows = [("per-op fwd+bwd, 16 elems (1000-op chain), /op", m[("chain", "dagrad")], m[("chain", "torch")]),
            ("tutorial loop, per iteration", m[("tutorial", "dagrad")], m[("tutorial", "torch")]),
            ("(A @ B).sum() fwd+bwd, 1024x1024 float32", m[("matmul", "dagrad")], m[("matmul", "torch")],
             m[("matmul", "numpy")])]
    report("dagrad core benchmarks (2 threads; each measurement in its own process)", rows)


if __name__ == "__main__":
    main()
