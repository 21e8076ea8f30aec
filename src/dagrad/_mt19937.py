"""Bit-level building blocks of dagrad's CPU random generator.

This module holds everything below the distributions of ``_generator.py``:

* ``MT19937`` -- the 32-bit Mersenne Twister exactly as PyTorch's
  ``at::mt19937`` runs it: the same seeding (``seed & 0xffffffff`` through
  Knuth's initialiser), the same ``left``/``next`` bookkeeping (a freshly
  seeded engine has ``left == 1, next == 0`` and twists on its first draw),
  and ``random64()`` built from two draws as ``(first << 32) | second``.
* Exact fused multiply-add for float32 and float64 arrays (torch's kernels
  are compiled with FMA contraction, so ``x * (to - from) + from`` and
  friends round once).
* A float32 emulation of ``log256_ps`` and ``sincos256_ps`` (the Cephes
  polynomials of Pommier's ``avx_mathfun.h``) used by torch's vectorised
  Box-Muller ``normal_fill``, including the multiply-adds that GCC fuses.
* Double-precision ``log``, ``log1p``, ``sin`` and ``cos`` that are the
  C library's own (the ones torch calls), applied to whole arrays.

Only numpy and the standard library are used.
"""

import math

import numpy as np

N = 624          # words of state
M = 397          # twist offset
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)

_F32 = np.float32
_F64 = np.float64
_U64 = np.uint64


def seed_state(seed):
    """Knuth's MT initialiser on the low 32 bits of ``seed`` (624 uint32)."""
    key = [0] * N
    x = seed & 0xFFFFFFFF
    key[0] = x
    for j in range(1, N):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
        key[j] = x
    return np.array(key, dtype=np.uint32)


def _twist_pair(u, v):
    # y = upper bit of u | lower 31 bits of v; (y >> 1) ^ (MATRIX_A if v odd)
    y = (u & _UPPER) | (v & _LOWER)
    return (y >> np.uint32(1)) ^ np.where((v & np.uint32(1)) != 0, _MATRIX_A, np.uint32(0))


def twist(key):
    """Return the next 624-word state.

    Word i becomes ``key[i + M] ^ twist(key[i], key[i + 1])`` where indices
    past the end wrap to words already replaced.  Since ``N - M = 227``,
    the recurrence splits into runs whose inputs are all available, so each
    run is one vectorised step.
    """
    old = key
    new = np.empty_like(old)
    k = N - M                                              # 227
    new[:k] = old[M:] ^ _twist_pair(old[:k], old[1:k + 1])
    new[k:2 * k] = new[:k] ^ _twist_pair(old[k:2 * k], old[k + 1:2 * k + 1])
    new[2 * k:N - 1] = new[k:N - 1 - k] ^ _twist_pair(old[2 * k:N - 1], old[2 * k + 1:N])
    new[N - 1] = new[M - 1] ^ _twist_pair(old[N - 1:], new[:1])[0]
    return new


def temper(y):
    """MT19937 output tempering of a uint32 array."""
    y = y ^ (y >> np.uint32(11))
    y = y ^ ((y << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = y ^ ((y << np.uint32(15)) & np.uint32(0xEFC60000))
    return y ^ (y >> np.uint32(18))


class MT19937:
    """torch's ``at::mt19937`` engine.

    The state is ``(key, left, next)`` as in torch.  Draws are produced by
    numpy's C implementation of the same Mersenne Twister
    (``numpy.random.MT19937.random_raw``) whenever torch's bookkeeping maps
    onto numpy's single ``pos`` counter, which is always the case except for
    hand-made states passed to ``set_state``; those (and ``fast=False``) use
    the vectorised pure-numpy twist above.  Both give identical streams.
    """

    __slots__ = ("key", "left", "next", "_bg", "_live", "fast")

    def __init__(self, seed=5489, fast=True):
        self.fast = fast
        self._bg = None
        self._live = False   # True while numpy's bit generator holds the truth
        self.seed(seed)

    def seed(self, seed):
        self._live = False
        self.key = seed_state(seed)
        self.left = 1
        self.next = 0

    # -- state ---------------------------------------------------------
    def _sync(self):
        """Pull the state back from numpy's bit generator if it holds it."""
        if self._live:
            st = self._bg.state["state"]
            self.key = np.asarray(st["key"], dtype=np.uint32).copy()
            pos = int(st["pos"])
            # after at least one draw torch has next == pos, left == 625 - pos
            self.next = pos
            self.left = N + 1 - pos
            self._live = False

    def get(self):
        self._sync()
        return self.key.copy(), self.left, self.next

    def set(self, key, left, nxt):
        key = np.asarray(key, dtype=np.uint32)
        if key.shape != (N,):
            raise ValueError("MT19937 state must have 624 words")
        if not (1 <= left <= N and 0 <= nxt <= N and nxt + left - 1 <= N):
            raise RuntimeError("Invalid mt19937 state")
        self._live = False
        self.key = key.copy()
        self.left = int(left)
        self.next = int(nxt)

    # -- draws ---------------------------------------------------------
    def random(self, n):
        """The next ``n`` 32-bit outputs, as a uint32 array."""
        n = int(n)
        if n <= 0:
            return np.empty(0, dtype=np.uint32)
        if self.fast and not self._live:
            if self.left == 1:
                pos = N
            elif self.left + self.next == N + 1:
                pos = self.next
            else:
                pos = None
            if pos is not None:
                if self._bg is None:
                    self._bg = np.random.MT19937(0)
                self._bg.state = {"bit_generator": "MT19937",
                                  "state": {"key": self.key, "pos": pos}}
                self._live = True
        if self._live:
            return self._bg.random_raw(n).astype(np.uint32)
        return self._random_pure(n)

    def _random_pure(self, n):
        out = np.empty(n, dtype=np.uint32)
        done = 0
        while done < n:
            if self.left == 1:                 # torch: --left == 0 -> twist
                self.key = twist(self.key)
                self.left = N + 1
                self.next = 0
            take = min(n - done, self.left - 1)
            out[done:done + take] = self.key[self.next:self.next + take]
            self.next += take
            self.left -= take
            done += take
        return temper(out)

    def random64(self, n):
        """``n`` values of torch's ``random64()``: (first << 32) | second."""
        r = self.random(2 * n).astype(_U64)
        return (r[0::2] << _U64(32)) | r[1::2]


# ----------------------------------------------------------------------
# Exact fused multiply-add
# ----------------------------------------------------------------------

def _two_sum(a, b):
    """s = fl(a + b) and the exact error e with a + b == s + e."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _toward(s, e):
    """The neighbour of ``s`` in the direction of the sign of ``e``."""
    return np.nextafter(s, np.where(e > 0, np.inf, -np.inf))


def fma32(a, b, c):
    """Correctly rounded float32 ``a * b + c`` (arrays or scalars).

    The product of two floats is exact in float64 and the float64 sum is
    off by less than half a float64 ulp; casting that to float32 is right
    unless the float64 sum sits exactly on a float32 half-way point while
    the true sum does not (double rounding).  Only those rare entries (and
    any in float32's subnormal range, where the half-way points lie
    elsewhere) are redone: the sum is rounded to odd with its exact error
    term before the cast, which makes the second rounding correct.
    """
    s = np.atleast_1d(np.multiply(a, b, dtype=_F64))
    np.add(s, c, out=s, casting="unsafe")
    risky = (s.view(_U64) & _U64(0x1FFFFFFF)) == _U64(0x10000000)
    tiny = np.abs(s) < 2.0 ** -125
    if tiny.any():
        risky |= tiny
    if risky.any():
        idx = np.nonzero(risky)[0]
        a64 = np.broadcast_to(np.asarray(a, _F64), s.shape)[idx]
        b64 = np.broadcast_to(np.asarray(b, _F64), s.shape)[idx]
        c64 = np.broadcast_to(np.asarray(c, _F64), s.shape)[idx]
        ss, err = _two_sum(a64 * b64, c64)
        even = (ss.view(_U64) & _U64(1)) == 0
        s[idx] = np.where((err != 0) & even, _toward(ss, err), ss)
    return s.astype(_F32)


_SPLIT = 134217729.0   # 2**27 + 1, Veltkamp splitter for float64


def _two_prod(a, b):
    """p = fl(a * b) and the exact error e with a * b == p + e."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def fma64(a, b, c):
    """Correctly rounded float64 ``a * b + c`` (Boldo-Melquiond).

    ``a * b = ph + pl`` exactly; the three-term sum ``ph + pl + c`` is
    rounded once by adding the low parts with round-to-odd before the
    final round-to-nearest addition.
    """
    a, b, c = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(b, _F64),
                                  np.asarray(c, _F64))
    ph, pl = _two_prod(a, b)
    uh, ul = _two_sum(pl, c)
    th, tl = _two_sum(ph, uh)
    v, ve = _two_sum(tl, ul)
    odd = (np.atleast_1d(v).view(_U64) & _U64(1)) != 0
    v = np.where((ve != 0) & ~odd, _toward(v, ve), v)    # round to odd
    return th + v


# ----------------------------------------------------------------------
# avx_mathfun.h in float32 (the AVX2/AVX512 normal_fill of torch)
# ----------------------------------------------------------------------

_LOG_P = [_F32(v) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
    1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
    3.3333331174e-1)]
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)
_SQRTHF = _F32(0.707106781186547524)
_HALF = _F32(0.5)
_ONE = _F32(1.0)


def log_ps(x):
    """Cephes ``logf`` as in ``log256_ps``, for positive float32 ``x``.

    x = m * 2**e with m in [sqrt(1/2), sqrt(2)); log(x) = log1p(m - 1) + e*ln2
    where log1p(t) ~ t - t^2/2 + t^3 P(t) and ln2 is split in q2 + q1.
    GCC fuses each ``y * x + p`` of the Horner scheme, ``y * z + e * q1``
    and ``e * q2 + (x + y)`` into FMAs; we do the same (the last product is
    exact, so a plain float32 add rounds it identically).
    """
    x = np.maximum(x, _F32(1.17549435e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _ONE
    x = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)       # mantissa in [0.5, 1)
    small = x < _SQRTHF
    e = e - small.astype(_F32)
    x = (x - _ONE) + np.where(small, x, _F32(0))
    z = x * x
    y = fma32(_LOG_P[0], x, _LOG_P[1])
    for p in _LOG_P[2:]:
        y = fma32(y, x, p)
    y = y * x
    y = fma32(y, z, e * _LOG_Q1)
    y = y - z * _HALF
    return (x + y) + e * _LOG_Q2


_FOPI = _F32(1.27323954473516)          # 4 / pi
_DP = [_F32(-0.78515625), _F32(-2.4187564849853515625e-4),
       _F32(-3.77489497744594108e-8)]
_COS_P = [_F32(2.443315711809948e-5), _F32(-1.388731625493765e-3),
          _F32(4.166664568298827e-2)]
_SIN_P = [_F32(-1.9515295891e-4), _F32(8.3321608736e-3),
          _F32(-1.6666654611e-1)]


def sincos_ps(x):
    """Cephes ``sinf``/``cosf`` as in ``sincos256_ps`` (float32 in, out).

    j = the even integer nearest above trunc(|x| * 4/pi); r = |x| - j*pi/4
    in three pieces (fused multiply-adds); both the cosine polynomial
    1 - r^2/2 + r^4 C(r^2) and the sine polynomial r + r^3 S(r^2) are
    evaluated and chosen / negated according to the octant j.
    """
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)          # truncation, like cvttps
    j = (j + 1) & ~1
    y = j.astype(_F32)
    swap_sin = (j & 4) != 0
    poly_sin_first = (j & 2) == 0
    sign_cos = (~(j - 2) & 4) != 0
    # y * DP1 and y * DP2 are exact (few-bit constants times y <= 8) and the
    # first sum is exact by Sterbenz, so only the DP3 step needs a real FMA
    x = (x + y * _DP[0]) + y * _DP[1]
    x = fma32(y, _DP[2], x)
    z = x * x
    yc = fma32(_COS_P[0], z, _COS_P[1])
    yc = fma32(yc, z, _COS_P[2])
    yc = yc * z
    yc = fma32(yc, z, -(z * _HALF))
    yc = yc + _ONE
    ys = fma32(_SIN_P[0], z, _SIN_P[1])
    ys = fma32(ys, z, _SIN_P[2])
    ys = ys * z
    ys = fma32(ys, x, x)
    s = np.where(poly_sin_first, ys, yc)
    c = np.where(poly_sin_first, yc, ys)
    s = np.where(sign_sin ^ swap_sin, -s, s)
    c = np.where(sign_cos, -c, c)
    return s, c


# ----------------------------------------------------------------------
# The C library's double-precision functions on arrays
# ----------------------------------------------------------------------

def _map_libm(fn, x):
    x = np.asarray(x, dtype=_F64)
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=_F64,
                       count=x.size).reshape(x.shape)


_NUMPY_AGREES = {}


def _numpy_agrees(name):
    """Does numpy's float64 ``name`` return the C library's bits?

    numpy sometimes ships its own SIMD versions (its float64 ``log`` and
    ``log1p`` differ from glibc in the last bit for a few per mille of
    inputs) and sometimes calls the C library.  Check once on a fixed
    sample; only when every value agrees is numpy used.
    """
    if name not in _NUMPY_AGREES:
        t = np.linspace(0.0, 1.0, 20011)[1:-1]
        x = t * (2 * math.pi) if name in ("sin", "cos") else (-t if name == "log1p" else t)
        ref = _map_libm(getattr(math, name), x)
        _NUMPY_AGREES[name] = bool(np.array_equal(getattr(np, name)(x), ref))
    return _NUMPY_AGREES[name]


def libm(name, x):
    """``math.<name>`` (the C library's) on a float64 array."""
    if _numpy_agrees(name):
        return getattr(np, name)(np.asarray(x, dtype=_F64))
    return _map_libm(getattr(math, name), x)


# ----------------------------------------------------------------------
# libstdc++'s selection algorithms (torch's CPU topk, used by multinomial)
# ----------------------------------------------------------------------
# torch's topk puts (value, index) pairs in a vector and, to get the k
# largest, calls std::partial_sort when k * 64 <= n and otherwise
# std::nth_element followed by std::sort of the first k - 1.  None of these
# is stable, so the order of equal values is whatever GCC's libstdc++ makes
# of them.  The functions below replay libstdc++'s algorithms step by step
# on a Python list of (key, index) pairs; "a before b" is `_before(a, b)`
# (NaN first, then larger keys first).

def _before(a, b):
    x, y = a[0], b[0]
    return (x != x and y == y) or x > y


def _adjust_heap(v, lo, hole, length, value):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _before(v[lo + child], v[lo + child - 1]):
            child -= 1
        v[lo + hole] = v[lo + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        v[lo + hole] = v[lo + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2                 # __push_heap
    while hole > top and _before(v[lo + parent], value):
        v[lo + hole] = v[lo + parent]
        hole = parent
        parent = (hole - 1) // 2
    v[lo + hole] = value


def _make_heap(v, lo, hi):
    length = hi - lo
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(v, lo, parent, length, v[lo + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(v, lo, hi, result):
    value = v[result]
    v[result] = v[lo]
    _adjust_heap(v, lo, 0, hi - lo, value)


def _heap_select(v, lo, mid, hi):
    _make_heap(v, lo, mid)
    for i in range(mid, hi):
        if _before(v[i], v[lo]):
            _pop_heap(v, lo, mid, i)


def _partial_sort(v, lo, mid, hi):
    _heap_select(v, lo, mid, hi)
    while mid - lo > 1:                      # __sort_heap
        mid -= 1
        _pop_heap(v, lo, mid, mid)


def _insertion_sort(v, lo, hi, guarded=True):
    for i in range(lo + 1 if guarded else lo, hi):
        val = v[i]
        if guarded and _before(val, v[lo]):
            v[lo + 1:i + 1] = v[lo:i]
            v[lo] = val
            continue
        j = i
        while _before(val, v[j - 1]):
            v[j] = v[j - 1]
            j -= 1
        v[j] = val


def _partition_pivot(v, lo, hi):
    mid = lo + (hi - lo) // 2
    a, b, c = lo + 1, mid, hi - 1            # __move_median_to_first
    if _before(v[a], v[b]):
        m = b if _before(v[b], v[c]) else (c if _before(v[a], v[c]) else a)
    else:
        m = a if _before(v[a], v[c]) else (c if _before(v[b], v[c]) else b)
    v[lo], v[m] = v[m], v[lo]
    first, last, pivot = lo + 1, hi, v[lo]   # __unguarded_partition
    while True:
        while _before(v[first], pivot):
            first += 1
        last -= 1
        while _before(pivot, v[last]):
            last -= 1
        if not first < last:
            return first
        v[first], v[last] = v[last], v[first]
        first += 1


def _nth_element(v, lo, nth, hi):
    if lo == hi or nth == hi:
        return
    depth = 2 * ((hi - lo).bit_length() - 1)
    while hi - lo > 3:
        if depth == 0:
            _heap_select(v, lo, nth + 1, hi)
            v[lo], v[nth] = v[nth], v[lo]
            return
        depth -= 1
        cut = _partition_pivot(v, lo, hi)
        if cut <= nth:
            lo = cut
        else:
            hi = cut
    _insertion_sort(v, lo, hi)


def _sort(v, lo, hi):
    def loop(lo, hi, depth):
        while hi - lo > 16:
            if depth == 0:
                _partial_sort(v, lo, hi, hi)
                return
            depth -= 1
            cut = _partition_pivot(v, lo, hi)
            loop(cut, hi, depth)
            hi = cut
    if hi - lo < 2:
        return
    loop(lo, hi, 2 * ((hi - lo).bit_length() - 1))
    if hi - lo > 16:
        _insertion_sort(v, lo, lo + 16)
        _insertion_sort(v, lo + 16, hi, guarded=False)
    else:
        _insertion_sort(v, lo, hi)


def topk_indices_like_torch(keys, k):
    """Indices of the k largest ``keys`` (1-D) in the order torch's CPU
    ``topk(sorted=True)`` returns them, ties included."""
    v = list(zip(np.asarray(keys, dtype=_F64).tolist(), range(len(keys))))
    n = len(v)
    if k * 64 <= n:
        _partial_sort(v, 0, k, n)
    else:
        _nth_element(v, 0, k - 1, n)
        _sort(v, 0, k - 1)
    return np.array([i for _, i in v[:k]], dtype=np.int64)
