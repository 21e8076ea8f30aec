"""dagrad._generator must reproduce torch's CPU generator bit for bit.

Tests marked ``torch`` compare with the installed torch (skipped without
it); the others check the engine, the exact-arithmetic helpers and the
distributions on their own.

Known, documented difference (see the module docstring): on a CPU where
torch runs its DEFAULT kernels (no AVX2, or ATEN_CPU_CAPABILITY=default)
torch's float32 randn for 16+ values uses glibc logf/sinf/cosf instead of
the avx_mathfun polynomials we emulate; ``test_default_capability_is_close``
pins that difference down (about 40% of the values, < 2e-6 absolute).
Everywhere else equality is exact.
"""
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dagrad import _generator as G
from dagrad._generator import Generator
from dagrad import _mt19937 as MT

SEEDS = [0, 1, 42, 2**32 + 5, -1, -123456789, 2**64 - 1, 67280421310721]
SIZES = [1, 2, 3, 15, 16, 17, 31, 33, 100, 1000, 10007]
FLOATS = ["float32", "float64", "float16"]

# torch warns about float ranges beyond 2**digits; the values still must match
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def same(a, b):
    """Exact equality of values, dtype and shape (bitwise for floats)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return np.array_equal(a.view(np.uint8), b.view(np.uint8))
    return np.array_equal(a, b)


def pair(torch, seed):
    torch.manual_seed(seed)
    return Generator().manual_seed(seed)


def state_equal(torch, g):
    return np.array_equal(torch.get_rng_state().numpy(), g.get_state())


def tdt(torch, name):
    return getattr(torch, name)


# ----------------------------------------------------------------------
# engine and helpers (no torch)
# ----------------------------------------------------------------------

def test_mt19937_reference_output():
    # The reference MT19937 with seed 5489 starts 3499211612, 581869302, ...
    e = MT.MT19937(5489)
    assert e.random(3).tolist() == [3499211612, 581869302, 3890346734]
    e = MT.MT19937(5489, fast=False)
    assert e.random(3).tolist() == [3499211612, 581869302, 3890346734]


@pytest.mark.parametrize("seed", [0, 1, 5489, 2**32 - 1])
def test_seeding_matches_knuth_initialiser(seed):
    # numpy's legacy RandomState seeds 32-bit ints with the same initialiser
    key = np.random.RandomState(seed).get_state()[1]
    assert np.array_equal(MT.seed_state(seed), key)


def test_pure_twist_equals_fast_engine():
    fast, pure = MT.MT19937(7), MT.MT19937(7, fast=False)
    for n in [1, 5, 618, 624, 625, 1, 1247, 5000, 3, 624 * 3]:
        assert np.array_equal(fast.random(n), pure.random(n))
        kf, lf, nf = fast.get()
        kp, lp, np_ = pure.get()
        assert np.array_equal(kf, kp) and (lf, nf) == (lp, np_)


def test_engine_handles_unusual_left_next():
    # left/next that do not add up to 625 cannot go through numpy's single
    # pos counter; the engine must still run like torch's: words next,
    # next+1, ... for left-1 draws, then twist and start at word 0
    ref = MT.MT19937(3, fast=False)
    ref.random(10)
    key, _, _ = ref.get()
    for fast in (True, False):
        e = MT.MT19937(0, fast=fast)
        e.set(key, 5, 20)
        assert np.array_equal(e.random(4), MT.temper(key[20:24]))
        assert np.array_equal(e.random(2), MT.temper(MT.twist(key)[:2]))
        assert e.get()[1:] == (623, 2)


def test_fma32_is_correctly_rounded():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(4000).astype(np.float32)
    b = rng.standard_normal(4000).astype(np.float32)
    # c chosen so that a*b + c lands on or next to float32 half-way points
    prod = a.astype(np.float64) * b
    base = np.float32(prod)
    ulp = np.spacing(np.abs(base)).astype(np.float64)
    c = (-(prod - base) + ulp / 2 * rng.choice([-1, 1], 4000)).astype(np.float32)
    got = MT.fma32(a, b, c)
    for x, y, z, r in zip(a, b, c, got):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        want = _round_f32(exact)
        assert r == want or (np.isnan(r) and np.isnan(want))


def _round_f32(q):
    f = np.float32(float(q))
    cands = [np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))]
    return min(cands, key=lambda v: (abs(Fraction(float(v)) - q),
                                     int(np.array(v).view(np.uint32)) & 1))


def test_fma64_is_correctly_rounded():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(3000)
    b = rng.standard_normal(3000) * np.exp2(rng.integers(-40, 40, 3000))
    c = -(a * b) * (1 + rng.standard_normal(3000) * 1e-15)       # heavy cancellation
    c[::3] = rng.standard_normal(1000)
    got = MT.fma64(a, b, c)
    for x, y, z, r in zip(a, b, c, got):
        assert r == float(Fraction(x) * Fraction(y) + Fraction(z))


def test_vectorised_fisher_yates_equals_the_loop():
    for seed in range(20):
        for n in [2, 3, 7, 50, 1000]:
            g1, g2 = Generator().manual_seed(seed), Generator().manual_seed(seed)
            perm = g1.randperm(n)
            draws = g2._engine.random(n - 1)
            ref = list(range(n))
            for i in range(n - 1):
                z = int(draws[i]) % (n - i)
                ref[i], ref[i + z] = ref[i + z], ref[i]
            assert perm.tolist() == ref


def test_stl_topk_emulation_selects_the_top_k():
    rng = np.random.default_rng(3)
    for n, k in [(10, 3), (100, 1), (100, 99), (1000, 10), (1000, 700), (5, 5)]:
        keys = rng.integers(0, 4, n).astype(np.float64)      # many ties
        idx = MT.topk_indices_like_torch(keys, k)
        assert len(set(idx.tolist())) == k
        assert np.array_equal(keys[idx], np.sort(keys)[::-1][:k])


# ----------------------------------------------------------------------
# distributions without torch
# ----------------------------------------------------------------------

def test_determinism_and_state_round_trip():
    g = Generator().manual_seed(5)
    a = g.normal((7,), np.float32)                    # leaves a cached normal
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (5056,)
    x = [g.normal((5,), np.float64), g.uniform((20,), np.float32),
         g.random_int((9,), np.int64, 0, 10), g.randperm(30)]
    g.set_state(state)
    y = [g.normal((5,), np.float64), g.uniform((20,), np.float32),
         g.random_int((9,), np.int64, 0, 10), g.randperm(30)]
    assert all(same(p, q) for p, q in zip(x, y))
    assert same(Generator().manual_seed(5).normal((7,), np.float32), a)


def test_seed_handling():
    g = Generator()
    assert g.initial_seed() == G.DEFAULT_SEED
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1
    assert same(Generator().manual_seed(-1).uniform((5,), np.float32),
                Generator().manual_seed(2**32 - 1).uniform((5,), np.float32))
    with pytest.raises(ValueError):
        g.manual_seed(2**64)
    with pytest.raises(ValueError):
        g.manual_seed(-2**63 - 1)
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    assert G.manual_seed(3) is G.default_generator and G.initial_seed() == 3


def test_distribution_sanity():
    g = Generator().manual_seed(0)
    n = 200_000
    u = g.uniform((n,), np.float32, -2.0, 3.0)
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.02
    for dt in FLOATS:
        for m in [5, 100_000]:                        # scalar and vectorised paths
            z = g.normal((m,), dt, 1.5, 2.0).astype(np.float64)
            assert np.all(np.isfinite(z))
        assert abs(z.mean() - 1.5) < 0.03 and abs(z.std() - 2.0) < 0.03
    r = g.random_int((n,), np.int64, -3, 7)
    counts = np.bincount(r + 3)
    assert r.min() == -3 and r.max() == 6 and counts.min() > n / 10 * 0.95
    big = g.random_int((1000,), np.int64, 0, 2**40)
    assert big.min() >= 0 and big.max() < 2**40 and big.max() > 2**39
    assert np.array_equal(np.sort(g.randperm(10_000)), np.arange(10_000))
    b = g.bernoulli(0.3, (n,), np.float32)
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    p = np.linspace(0, 1, 11)
    bb = np.mean([g.bernoulli(p) for _ in range(2000)], axis=0)
    assert np.allclose(bb, p, atol=0.05)
    e = g.exponential((n,), np.float64, 4.0)
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    draws = g.multinomial(probs, 20_000, replacement=True)
    assert np.allclose(np.bincount(draws, minlength=4) / 20_000, probs, atol=0.02)
    once = np.array([g.multinomial(probs, 1)[0] for _ in range(3000)])
    assert np.allclose(np.bincount(once, minlength=4) / 3000, probs, atol=0.03)
    perm = g.multinomial(probs, 4)
    assert sorted(perm.tolist()) == [0, 1, 2, 3] and perm[-1] == 1
    assert g.multinomial(np.ones((3, 5)), 2).shape == (3, 2)


def test_argument_checks():
    g = Generator()
    with pytest.raises(RuntimeError):
        g.uniform((3,), np.float32, 2.0, 1.0)
    with pytest.raises(RuntimeError):
        g.normal((3,), np.float32, 0.0, -1.0)
    with pytest.raises(RuntimeError):
        g.random_int((3,), np.int64, 5, 5)
    with pytest.raises(RuntimeError):
        g.random_int((3,), np.uint8, 0, 257)
    with pytest.raises(RuntimeError):
        g.bernoulli(1.5, (3,))
    with pytest.raises(RuntimeError):
        g.exponential((3,), np.float32, 0.0)
    with pytest.raises(RuntimeError):
        g.multinomial(np.array([0.5, 0.5]), 3)
    with pytest.raises(RuntimeError):
        g.randperm(3000, np.float16)
    with pytest.raises(RuntimeError):
        g.set_state(np.zeros(10, np.uint8))


# ----------------------------------------------------------------------
# against torch
# ----------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_seed_and_state_bytes(torch, seed):
    g = pair(torch, seed)
    assert g.initial_seed() == torch.initial_seed()
    assert state_equal(torch, g)
    torch.randn(3)
    g.normal((3,), np.float32)                   # caches a double normal
    assert state_equal(torch, g)
    torch.rand(1000)
    g.uniform((1000,), np.float32)
    assert state_equal(torch, g)


def test_set_state_from_torch_bytes(torch):
    torch.manual_seed(11)
    torch.randn(5)
    torch.rand(700)
    g = Generator()
    g.set_state(torch.get_rng_state().numpy())
    assert same(g.normal((3,), np.float64), torch.randn(3, dtype=torch.float64).numpy())
    assert same(g.randperm(50), torch.randperm(50).numpy())
    torch.set_rng_state(torch.from_numpy(g.get_state()))
    assert same(g.uniform((9,), np.float32), torch.rand(9).numpy())
    assert g.initial_seed() == torch.initial_seed()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", SIZES)
def test_rand_randn(torch, dtype, n):
    for seed in SEEDS[:5]:
        g = pair(torch, seed)
        assert same(g.uniform((n,), dtype), torch.rand(n, dtype=tdt(torch, dtype)).numpy())
        assert same(g.normal((n,), dtype), torch.randn(n, dtype=tdt(torch, dtype)).numpy())
        assert same(g.normal((n, 2), dtype), torch.randn(n, 2, dtype=tdt(torch, dtype)).numpy())
        assert state_equal(torch, g)


def test_large_float32_randn(torch):
    for seed in [0, 7]:
        g = pair(torch, seed)
        assert same(g.normal((1_000_003,), np.float32), torch.randn(1_000_003).numpy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [3, 16, 17, 500])
def test_normal_and_uniform_with_parameters(torch, dtype, n):
    t = tdt(torch, dtype)
    for seed in SEEDS[:4]:
        g = pair(torch, seed)
        for mean, std in [(0.3, 2.7), (-1.5, 1.0), (4.0, 0.0)]:
            assert same(g.normal((n,), dtype, mean, std),
                        torch.empty(n, dtype=t).normal_(mean, std).numpy())
        for lo, hi in [(-3.7, 5.1), (0.999, 1.0), (10.0, 10.5)]:
            assert same(g.uniform((n,), dtype, lo, hi),
                        torch.empty(n, dtype=t).uniform_(lo, hi).numpy())
        assert same(g.normal((n,), np.float32, 2.0, 3.0), torch.normal(2.0, 3.0, (n,)).numpy())
        assert state_equal(torch, g)


def test_complex(torch):
    for n in [3, 40]:
        g = pair(torch, n)
        assert same(g.normal((n,), np.complex64), torch.randn(n, dtype=torch.complex64).numpy())
        assert same(g.uniform((n,), np.complex128), torch.rand(n, dtype=torch.complex128).numpy())


RANGES = [(0, 10), (-5, 5), (0, 2), (0, 2**28 - 1), (0, 2**28), (-2**40, 2**40),
          (0, 2**32), (3, 4), (-2**63, 2**63 - 1), (-100, 100)]
INTS = ["int64", "int32", "int16", "int8", "uint8", "bool", "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", INTS)
def test_randint(torch, dtype):
    t = tdt(torch, dtype)
    checked = 0
    for lo, hi in RANGES:
        try:
            torch.empty(1, dtype=t).random_(lo, hi)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                Generator().random_int((1,), dtype, lo, hi)
            continue
        for seed in SEEDS[:4]:
            g = pair(torch, seed)
            assert same(g.random_int((300,), dtype, lo, hi),
                        torch.randint(lo, hi, (300,), dtype=t).numpy())
            assert state_equal(torch, g)
        checked += 1
    assert checked


@pytest.mark.parametrize("dtype", INTS)
def test_random_no_bounds_and_open_top(torch, dtype):
    t = tdt(torch, dtype)
    for seed in SEEDS[:3]:
        g = pair(torch, seed)
        assert same(g.random_full((500,), dtype), torch.empty(500, dtype=t).random_().numpy())
        for frm in [0, 5, 100]:
            try:
                want = torch.empty(200, dtype=t).random_(frm, None).numpy()
            except RuntimeError:
                continue
            assert same(g.random_int((200,), dtype, frm, None), want)
        assert state_equal(torch, g)
    if dtype in ("int64", "float32", "float64"):
        g = pair(torch, 1)
        assert same(g.random_int((50,), dtype, -2**63, None),
                    torch.empty(50, dtype=t).random_(-2**63, None).numpy())


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100, 1000, 10007, 100_000])
def test_randperm(torch, n):
    for dtype in ["int64", "int32", "float32"]:
        for seed in SEEDS[:3]:
            g = pair(torch, seed)
            assert same(g.randperm(n, dtype), torch.randperm(n, dtype=tdt(torch, dtype)).numpy())
            assert state_equal(torch, g)
    if n <= 128:
        g = pair(torch, 9)
        assert same(g.randperm(n, np.uint8), torch.randperm(n, dtype=torch.uint8).numpy())


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_bernoulli(torch, n):
    for seed in SEEDS[:4]:
        g = pair(torch, seed)
        for p in [0.0, 0.2, 0.5, 1.0]:
            assert same(g.bernoulli(p, (n,), np.float32), torch.empty(n).bernoulli_(p).numpy())
        assert same(g.bernoulli(0.7, (n,), np.bool_),
                    torch.empty(n, dtype=torch.bool).bernoulli_(0.7).numpy())
        for dtype in FLOATS:
            p = np.linspace(0, 1, n).astype(dtype)
            assert same(g.bernoulli(p), torch.bernoulli(torch.from_numpy(p)).numpy())
        p = np.array([0.1, 0.9])
        assert same(g.bernoulli(p, (n, 2), np.float32),
                    torch.empty(n, 2).bernoulli_(torch.from_numpy(p)).numpy())
        x = np.ones(n, np.float32)
        mask = torch.nn.functional.dropout(torch.from_numpy(x), 0.3).numpy() != 0
        assert np.array_equal(g.bernoulli(0.7, (n,), np.float32) != 0, mask)
        assert state_equal(torch, g)


@pytest.mark.parametrize("dtype", FLOATS)
def test_exponential(torch, dtype):
    for seed in SEEDS[:4]:
        g = pair(torch, seed)
        for n, lam in [(1, 1.0), (17, 2.5), (3000, 0.1)]:
            assert same(g.exponential((n,), dtype, lam),
                        torch.empty(n, dtype=tdt(torch, dtype)).exponential_(lam).numpy())
        assert state_equal(torch, g)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(10,), (3, 50), (1, 1000), (2, 5000)])
def test_multinomial(torch, dtype, shape):
    rng = np.random.default_rng(0)
    p = rng.random(shape).astype(dtype)
    p[..., ::3] = 0                                   # zero categories -> ties
    for k in sorted({1, 2, 3, max(1, shape[-1] // 64), shape[-1] // 2, shape[-1]}):
        for replacement in [False, True]:
            for seed in range(3):
                g = pair(torch, seed)
                want = torch.multinomial(torch.from_numpy(p), k, replacement).numpy()
                assert same(g.multinomial(p, k, replacement), want)
                assert state_equal(torch, g)


OPS = st.sampled_from(["rand", "randn", "randint", "randperm", "normal_", "uniform_",
                       "bernoulli", "exponential", "multinomial", "random_"])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(-2**63, 2**64 - 1),
       ops=st.lists(st.tuples(OPS, st.sampled_from([1, 2, 5, 15, 16, 17, 40, 700]),
                              st.sampled_from(FLOATS)), min_size=1, max_size=8))
def test_mixed_call_sequences(seed, ops):
    torch = pytest.importorskip("torch")
    g = pair(torch, seed)
    for op, n, dtype in ops:
        t = tdt(torch, dtype)
        if op == "rand":
            got, want = g.uniform((n,), dtype), torch.rand(n, dtype=t)
        elif op == "randn":
            got, want = g.normal((n,), dtype), torch.randn(n, dtype=t)
        elif op == "randint":
            got, want = g.random_int((n,), np.int64, -7, n * 1000), torch.randint(-7, n * 1000, (n,))
        elif op == "randperm":
            got, want = g.randperm(n), torch.randperm(n)
        elif op == "normal_":
            got, want = g.normal((n,), dtype, 1.0, 0.5), torch.empty(n, dtype=t).normal_(1.0, 0.5)
        elif op == "uniform_":
            got, want = g.uniform((n,), dtype, -1, 3), torch.empty(n, dtype=t).uniform_(-1, 3)
        elif op == "bernoulli":
            got, want = g.bernoulli(0.4, (n,), dtype), torch.empty(n, dtype=t).bernoulli_(0.4)
        elif op == "exponential":
            got, want = g.exponential((n,), dtype), torch.empty(n, dtype=t).exponential_()
        elif op == "multinomial":
            p = np.arange(1, n + 2, dtype=dtype)
            got = g.multinomial(p, min(n, 5))
            want = torch.multinomial(torch.from_numpy(p), min(n, 5))
        else:
            got, want = g.random_full((n,), "int32"), torch.empty(n, dtype=torch.int32).random_()
        assert same(got, want.numpy()), op
        assert state_equal(torch, g), op


def test_default_generator_follows_torch(torch):
    G.manual_seed(123)
    torch.manual_seed(123)
    assert same(G.default_generator.normal((4, 5), np.float32), torch.randn(4, 5).numpy())
    assert np.array_equal(G.get_rng_state(), torch.get_rng_state().numpy())
    assert Generator().initial_seed() == torch.Generator().initial_seed()


def _torch_randn_in_subprocess(capability, n):
    code = ("import sys, torch; torch.manual_seed(0); "
            "sys.stdout.buffer.write(torch.randn(%d).numpy().tobytes())" % n)
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    return np.frombuffer(out.stdout, dtype=np.float32)


def test_avx2_capability_is_exact(torch):
    ours = Generator().manual_seed(0).normal((50_000,), np.float32)
    assert same(ours, _torch_randn_in_subprocess("avx2", 50_000))


def test_default_capability_is_close(torch):
    # torch's non-AVX2 kernels use glibc logf/sinf/cosf, which we do not
    # emulate: there a sizeable share of float32 randn(>=16) values differ
    # in the last bits (absolute difference below 1e-5).
    ours = Generator().manual_seed(0).normal((50_000,), np.float32)
    theirs = _torch_randn_in_subprocess("default", 50_000)
    assert np.max(np.abs(ours - theirs)) < 1e-5
    assert 0.2 < np.mean(ours != theirs) < 0.6
