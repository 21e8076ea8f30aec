"""Shared benchmark plumbing: a clean BLAS environment, median timing, and a ratio table."""
import os
import statistics
import sys
import time

_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def clean_blas_env():
    """Re-run this script without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (they can slow numpy here)."""
    if any(v in os.environ for v in _BLAS_VARS):
        env = {k: v for k, v in os.environ.items() if k not in _BLAS_VARS}
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def median_time(fn, repeat=7, number=1, warmup=1):
    """Median over ``repeat`` runs of the time per call of ``fn`` (each run calls it ``number`` times)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def in_subprocesses(script, cases, libs=("dagrad", "torch"), rounds=3):
    """Time each (case, lib) in its own fresh process, alternating libs for ``rounds`` rounds.

    One process per measurement keeps torch's OpenMP threads and NumPy's OpenBLAS threads from spinning
    against each other (timing both in one process penalises whichever runs second). The script is run as
    ``python script --worker CASE LIB`` and must print seconds per step. Returns {(case, lib): median}.
    """
    import subprocess
    results = {}
    for _ in range(rounds):
        for case in cases:
            for lib in libs:
                out = subprocess.run([sys.executable, script, "--worker", case, lib], capture_output=True,
                                     text=True, check=True).stdout
                results.setdefault((case, lib), []).append(float(out.split()[-1]))
    return {k: statistics.median(v) for k, v in results.items()}


def report(title, rows, unit="us", scale=1e6):
    """Print a table of (case, dagrad seconds, torch seconds[, numpy seconds]) with ratios."""
    print(f"\n{title}")
    print(f"{'case':52s} {'dagrad':>10s} {'torch':>10s} {'ratio':>7s} {'numpy':>10s}")
    for row in rows:
        name, d, t = row[:3]
        n = row[3] if len(row) > 3 else None
        ncol = f"{n * scale:10.1f}" if n is not None else f"{'':>10s}"
        print(f"{name:52s} {d * scale:10.1f} {t * scale:10.1f} {d / t:6.2f}x {ncol}")
    print(f"(times in {unit}, medians; ratio = dagrad / torch; OPENBLAS_CORETYPE/L2_SIZE unset for this run)")
