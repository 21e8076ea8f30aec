"""PyTorch's CPU random generator (``at::CPUGeneratorImpl``) in NumPy.

After ``manual_seed(s)`` a ``Generator`` produces the same bits as torch's
CPU generator after ``torch.manual_seed(s)``, and its state advances by the
same number of Mersenne Twister draws, so any sequence of calls stays in
step with torch.  Outputs are numpy arrays; the tensor layer wraps them.

How torch turns 32-bit draws into values (see ``_mt19937`` for the engine):

* float32 / float16 uniform: ``(random() & (2**24 - 1)) * 2**-24`` in
  float32; float64: ``(random64() & (2**53 - 1)) * 2**-53``.  A range is
  applied as ``fma(x, to - from, from)`` in float32 (float16 too) or
  float64, then cast; a value equal to ``to`` after the cast becomes
  ``from``.
* normal, fewer than 16 values: scalar Box-Muller in double from two
  float64 uniforms (u1 -> angle, u2 -> radius via ``log1p(-u2)``).  The
  sine half is cached in the generator and returned by the next scalar
  normal draw (``manual_seed`` clears it; the vectorised path ignores it).
* normal, 16 values or more: all uniforms are drawn first, then each block
  of 16 becomes 8 cosine and 8 sine normals; if ``n % 16 != 0`` 16 fresh
  uniforms are drawn and the last 16 outputs are recomputed from them.
  float32 uses torch's AVX2 ``avx_mathfun`` polynomials (emulated exactly,
  FMAs included); float64 uses the C library's ``log``/``sin``/``cos``;
  float16 draws 16 uniforms per block and casts the float32 result.
* integers in [from, to): ``(draw % range) + from`` with ``draw`` one
  32-bit value, or one ``random64()`` when ``range >= 2**28``.
* randperm: Fisher-Yates, swapping position i with ``i + random() % (n - i)``;
  (an inside-out shuffle with ``random64()`` once n >= 2**32 / 20).
* bernoulli(p float) and bernoulli(p array of float64): ``u53 < p``;
  bernoulli(p array of float32/float16): ``u24 < float32(p)``.
  This torch build does not use MKL for bernoulli_ or exponential_.
* exponential: ``(-1 / lambd) * log1p(-u53)`` in double.
* multinomial without replacement: ``argmax`` / ``topk`` of
  ``p / Exp(1)``; with replacement: a lower-bound search of a double
  uniform in the normalised cumulative sum.

Bit-for-bit identical to torch 2.13 (CPU, glibc; checked by
``tests/test_generator.py``): all of the above for every size, float16/32/64
and the integer dtypes, the state bytes of ``get_state`` and the order of
``multinomial`` results even among tied keys (libstdc++'s ``nth_element``,
``sort`` and ``partial_sort`` are replayed for rows with ties).  Limits:

* The float32 vectorised normal emulates torch's AVX2/AVX512 kernels (what
  torch runs on any x86-64 CPU with AVX2).  Where torch runs its DEFAULT
  kernels (no AVX2, or ``ATEN_CPU_CAPABILITY=default``) it uses glibc
  ``logf``/``sinf``/``cosf`` instead, which we do not emulate: there about
  40% of float32 ``randn(n >= 16)`` values differ from ours in the last bits
  (absolute difference below 2e-6).  Everything else is unaffected.
* float64 transcendentals are the C library's (via ``math``), i.e. the
  functions torch calls; results follow the libm of the machine.
* bfloat16 is not supported (numpy has no such dtype).
"""

import math
import os

import numpy as np

from ._mt19937 import (MT19937, fma32, fma64, libm, log_ps, sincos_ps,
                       topk_indices_like_torch)

__all__ = ["Generator", "default_generator", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state"]

DEFAULT_SEED = 67280421310721          # at::default_rng_seed_val
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_U64 = np.uint64
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_FLOATS = (_F16, _F32, _F64)
_M24 = np.uint32((1 << 24) - 1)
_M53 = _U64((1 << 53) - 1)
_TWO_PI32 = np.float32(2.0 * math.pi)
_DIGITS = {_F16: 11, _F32: 24, _F64: 53}
_CHUNK = 4096          # rows of 16 normals per vectorised Box-Muller pass

# Byte layout of torch.get_rng_state(): CPUGeneratorImplState (5056 bytes).
_STATE_DTYPE = np.dtype([
    ("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"),
    ("next", "<u8"), ("state", "<u8", (624,)),
    ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"),
    ("normal_is_valid", "<i4"), ("_pad0", "V4"),
    ("next_float_normal_sample", "<f4"),
    ("is_next_float_normal_sample_valid", "u1"), ("_pad1", "V3")])
assert _STATE_DTYPE.itemsize == 5056


def _numel(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"negative dimension in shape {shape}")
    return shape, math.prod(shape)


def _to_half(x):
    """torch casts double -> Half through float (c10::Half(float))."""
    return np.asarray(x).astype(_F32).astype(_F16)


def _cast(x, dt):
    return _to_half(x) if dt == _F16 else np.asarray(x).astype(dt)


def _limits(dt):
    if dt.kind == "f":
        fi = np.finfo(dt)
        return float(fi.min), float(fi.max)
    if dt.kind == "b":
        return 0, 1
    ii = np.iinfo(dt)
    return int(ii.min), int(ii.max)


def _round_trip(v, dt):
    """static_cast<int64_t>(static_cast<scalar_t>(v)) as x86 computes it
    (a non-finite or out-of-range value converts to INT64_MIN)."""
    with np.errstate(over="ignore"):
        x = float(_cast(np.array([v], np.int64), dt)[0])
    return int(x) if math.isfinite(x) and -2.0**63 <= x < 2.0**63 else _INT64_MIN


def _update_from(frm, digits, dt):
    # Smallest `from` whose dtype value is >= from (torch's update_from).
    plus1 = _round_trip(frm + 1, dt)
    if plus1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = plus1 + (1 << (n - digits + 1))
    return frm


def _update_to(to, digits, dt):
    minus1 = _round_trip(to - 1, dt)
    if minus1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = minus1 - (1 << (n - digits + 1))
    return to


def _check_from_to(frm, to_inc, dt):
    lo, hi = _limits(dt)
    if dt == np.uint64:
        lo, hi = 0, _INT64_MAX
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {dt}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {dt}")


class Generator:
    """A CPU generator that reproduces torch's bit for bit."""

    def __init__(self):
        self._engine = MT19937()
        self._next_double_normal = None   # cached second Box-Muller value
        self._next_float_normal = None    # kept for the state bytes only
        self.manual_seed(DEFAULT_SEED)

    # -- seeding and state ---------------------------------------------
    def manual_seed(self, seed):
        """Seed like ``torch.Generator.manual_seed``.

        Any integer in [-2**63, 2**64) is accepted; a negative seed is taken
        as its 64-bit two's complement.  Only the low 32 bits reach the
        Mersenne Twister; ``initial_seed()`` reports the full 64-bit value.
        """
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not _INT64_MIN <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        seed &= (1 << 64) - 1
        self._initial_seed = seed
        self._engine.seed(seed)
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self):
        """Reseed from the OS entropy source; return the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        """The 5056 bytes of ``torch.Generator.get_state()``, as uint8."""
        key, left, nxt = self._engine.get()
        st = np.zeros((), dtype=_STATE_DTYPE)
        st["the_initial_seed"] = self._initial_seed
        st["left"] = left
        st["seeded"] = 1
        st["next"] = nxt
        st["state"] = key
        if self._next_double_normal is not None:
            st["normal_is_valid"] = 1
            st["normal_y"] = self._next_double_normal
        if self._next_float_normal is not None:
            st["is_next_float_normal_sample_valid"] = 1
            st["next_float_normal_sample"] = self._next_float_normal
        return np.frombuffer(st.tobytes(), dtype=np.uint8).copy()

    def set_state(self, state):
        """Restore a state from ``get_state`` (or torch's get_rng_state)."""
        raw = np.ascontiguousarray(np.asarray(state).reshape(-1))
        if raw.dtype != np.uint8:
            raise TypeError(f"RNG state must be a uint8 array, got {raw.dtype}")
        if raw.size != _STATE_DTYPE.itemsize:
            raise RuntimeError(f"Expected an RNG state of size 5056, got {raw.size}")
        st = np.frombuffer(raw.tobytes(), dtype=_STATE_DTYPE)[0]
        nxt = int(st["next"]) & 0xFFFFFFFF
        if not st["seeded"]:
            raise RuntimeError("Invalid mt19937 state")
        self._engine.set(st["state"].astype(np.uint32), int(st["left"]), nxt)
        self._initial_seed = int(st["the_initial_seed"])
        self._next_double_normal = float(st["normal_y"]) if st["normal_is_valid"] else None
        self._next_float_normal = (float(st["next_float_normal_sample"])
                                   if st["is_next_float_normal_sample_valid"] else None)

    # -- raw uniforms --------------------------------------------------
    def _u24(self, n):
        """n float32 uniforms in [0, 1) from 24 bits of one draw each."""
        return (self._engine.random(n) & _M24).astype(_F32) * np.float32(2.0 ** -24)

    def _u53(self, n):
        """n float64 uniforms in [0, 1) from 53 bits of random64()."""
        return (self._engine.random64(n) & _M53).astype(_F64) * 2.0 ** -53

    # -- uniform -------------------------------------------------------
    def uniform(self, shape, np_dtype, low=0.0, high=1.0):
        """``torch.rand`` / ``Tensor.uniform_(low, high)``."""
        shape, n = _numel(shape)
        dt = np.dtype(np_dtype)
        if dt.kind == "c":
            real = self.uniform((2 * n,), dt.type(0).real.dtype, low, high)
            return real.view(dt).reshape(shape)
        if dt not in _FLOATS:
            raise NotImplementedError(f'"uniform_kernel_cpu" not implemented for {dt}')
        low, high = float(low), float(high)
        lo, hi = _limits(dt)
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {dt}")
        if not lo <= high <= hi:
            raise RuntimeError(f"to is out of bounds for {dt}")
        if low > high:
            raise RuntimeError(f"uniform_ expects from <= to, but found from={low} > to={high}")
        if high - low > hi:
            raise RuntimeError("uniform_ expects to-from <= max of the dtype")
        if n == 0:
            return np.empty(shape, dt)
        if dt == _F64:
            x = self._u53(n)
            if (low, high) != (0.0, 1.0):
                x = fma64(x, high - low, low)
        else:                                   # float32 and float16 work in float32
            x = self._u24(n)
            if (low, high) != (0.0, 1.0):
                f, t = np.float32(low), np.float32(high)
                x = fma32(x, t - f, f)
        out = x.astype(dt)
        # a value that rounded up to `to` in the cast is replaced by `from`
        out[out == _cast(high, dt)] = _cast(low, dt)
        return out.reshape(shape)

    # -- normal --------------------------------------------------------
    def normal(self, shape, np_dtype, mean=0.0, std=1.0):
        """``torch.randn`` / ``Tensor.normal_(mean, std)`` /
        ``torch.normal(mean: float, std: float, size)``."""
        shape, n = _numel(shape)
        dt = np.dtype(np_dtype)
        mean, std = float(mean), float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        if dt.kind == "c":
            # torch fills view_as_real(self) with std / sqrt(2)
            real = self.normal((2 * n,), dt.type(0).real.dtype, mean, std / math.sqrt(2.0))
            return real.view(dt).reshape(shape)
        if dt not in _FLOATS:
            raise NotImplementedError(f'"normal_kernel_cpu" not implemented for {dt}')
        if n == 0:
            return np.empty(shape, dt)
        if n < 16:
            return _cast(self._normal_scalar(n, mean, std), dt).reshape(shape)
        if dt == _F64:
            fill = lambda d: self._box_muller16_f64(d, mean, std)  # noqa: E731
            return self._normal_fill(n, self._u53, fill).reshape(shape)
        m32, s32 = np.float32(mean), np.float32(std)
        fill = lambda d: self._box_muller16_f32(d, m32, s32)  # noqa: E731
        if dt == _F32:
            return self._normal_fill(n, self._u24, fill).reshape(shape)
        # float16 works on a float32 buffer of 16 uniforms per block
        return self._normal_fill(n, self._u24, fill, _F16).reshape(shape)

    @staticmethod
    def _normal_fill(n, draw, fill, out_dtype=None):
        """Box-Muller on consecutive blocks of 16 uniforms, then the tail."""
        full = n // 16
        blocks = draw(16 * full).reshape(full, 16)
        out = np.empty((full, 16), out_dtype or blocks.dtype)
        for i in range(0, full, _CHUNK):        # chunks that stay in cache
            out[i:i + _CHUNK] = fill(blocks[i:i + _CHUNK])
        out = out.ravel()
        if n % 16:
            # torch draws all n uniforms up front (float16: whole blocks
            # only), then recomputes the last 16 outputs from 16 fresh ones
            if out_dtype is None:
                draw(n % 16)
            tail = fill(draw(16).reshape(1, 16)).ravel().astype(out.dtype)
            out = np.concatenate([out[:n - 16], tail])
        return out

    @staticmethod
    def _box_muller16_f32(d, mean, std):
        """torch's AVX2 NormalFill16 on rows of 16 float32 uniforms."""
        u1 = np.float32(1.0) - d[:, :8]           # [0, 1) -> (0, 1] for the log
        radius = np.sqrt(np.float32(-2.0) * log_ps(u1.ravel()))
        sin, cos = sincos_ps(_TWO_PI32 * d[:, 8:].ravel())
        out = np.empty_like(d)
        for half, trig in ((slice(0, 8), cos), (slice(8, 16), sin)):
            v = radius * trig
            # fma(v, std, mean); with std == 1 that is a single rounded add
            v = v + mean if std == 1 else fma32(v, std, mean)
            out[:, half] = v.reshape(-1, 8)
        return out

    @staticmethod
    def _box_muller16_f64(d, mean, std):
        """torch's scalar NormalFill16<double> with the C library's math."""
        u1 = 1.0 - d[:, :8]
        radius = np.sqrt(-2.0 * libm("log", u1))
        theta = (2.0 * math.pi) * d[:, 8:]
        out = np.empty_like(d)
        out[:, :8] = radius * libm("cos", theta)
        out[:, 8:] = radius * libm("sin", theta)
        return out + mean if std == 1 else fma64(out, std, mean)

    def _normal_scalar(self, n, mean, std):
        """torch's normal_distribution<double>: Box-Muller with a cache."""
        vals = []
        if self._next_double_normal is not None:
            vals.append(self._next_double_normal)
            self._next_double_normal = None
        pairs = (n - len(vals) + 1) // 2
        u = self._u53(2 * pairs).tolist()
        for k in range(pairs):
            u1, u2 = u[2 * k], u[2 * k + 1]
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            vals.append(r * math.cos(theta))
            vals.append(r * math.sin(theta))
        if len(vals) > n:                  # the last sine waits for the next call
            self._next_double_normal = vals.pop()
        v = np.array(vals, dtype=_F64)
        return v + mean if std == 1 else fma64(v, std, mean)

    # -- integers ------------------------------------------------------
    def random_int(self, shape, np_dtype, low, high=None):
        """``torch.randint(low, high, size)`` / ``Tensor.random_(low, high)``.

        ``high=None`` means up to the largest value of the dtype (2**digits
        for floats), inclusive; ``low=-2**63, high=None`` the full int64 range.
        """
        shape, n = _numel(shape)
        dt = np.dtype(np_dtype)
        frm = int(low)
        if high is not None:
            to = int(high)
            if not frm < to:
                raise RuntimeError(f"random_ expects 'from' < 'to', got from={frm} >= to={to}")
            if dt in _FLOATS:
                frm = _update_from(frm, _DIGITS[dt], dt)
                to = _update_to(to, _DIGITS[dt], dt)
                if not frm < to:
                    raise RuntimeError("random_ expects 'from' < 'to' once cast to the dtype")
            _check_from_to(frm, to - 1, dt)
            rng = (to - frm) & ((1 << 64) - 1)
        elif frm != _INT64_MIN:
            if dt in _FLOATS:
                to_inc = 1 << _DIGITS[dt]
                frm = _update_from(frm, _DIGITS[dt], dt)
                if not frm < to_inc:
                    raise RuntimeError("random_ expects 'from' <= 'to_inc' once cast to the dtype")
            else:
                to_inc = _limits(dt)[1]
            _check_from_to(frm, to_inc, dt)
            rng = (to_inc - frm + 1) & ((1 << 64) - 1)
        else:
            if dt not in (np.dtype(np.int64), _F32, _F64):
                raise RuntimeError("the full 64-bit range needs int64, float32 or float64")
            if n == 0:
                return np.empty(shape, dt)
            return _cast(self._engine.random64(n).view(np.int64), dt).reshape(shape)
        if n == 0:
            return np.empty(shape, dt)
        # (draw % range) + from, in wrapping 64-bit arithmetic
        draw = (self._engine.random64(n) if rng >= 1 << 28
                else self._engine.random(n).astype(_U64))
        vals = (draw % _U64(rng) + _U64(frm & ((1 << 64) - 1))).view(np.int64)
        return _cast(vals, dt).reshape(shape)

    def random_full(self, shape, np_dtype):
        """``Tensor.random_()``: [0, max] for integers, [0, 2**digits] for floats."""
        shape, n = _numel(shape)
        dt = np.dtype(np_dtype)
        if dt.kind == "u" and dt.itemsize > 1:
            raise NotImplementedError(f'"random_kernel_cpu" not implemented for {dt}')
        if n == 0:
            return np.empty(shape, dt)
        if dt == np.bool_:
            return (self._engine.random(n) & np.uint32(1)).astype(np.bool_).reshape(shape)
        if dt.kind in "iu":
            mod = _U64(int(np.iinfo(dt).max) + 1)
            draw = (self._engine.random64(n) if dt == np.int64
                    else self._engine.random(n).astype(_U64))
            return (draw % mod).astype(dt).reshape(shape)
        if dt not in _FLOATS:
            raise NotImplementedError(f'"random_kernel_cpu" not implemented for {dt}')
        mod = _U64((1 << _DIGITS[dt]) + 1)
        draw = (self._engine.random64(n) if dt == _F64
                else self._engine.random(n).astype(_U64))
        return _cast(draw % mod, dt).reshape(shape)

    def randperm(self, n, np_dtype=np.int64):
        """``torch.randperm(n, dtype=...)``."""
        n = int(n)
        dt = np.dtype(np_dtype)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got{n}")
        if dt in _FLOATS:
            if n > (1 << _DIGITS[dt]) + 1:
                raise RuntimeError(f"n cannot be greater than 2^{_DIGITS[dt]}+1 for {dt} type.")
        elif dt.kind in "iu":
            if max(n - 1, 0) > np.iinfo(dt).max:
                raise RuntimeError(f"n is too large for result tensor type: '{dt}'")
        else:
            raise NotImplementedError(f'"randperm" not implemented for {dt}')
        if n < (2 ** 32 - 1) // 20:
            perm = self._fisher_yates(n)
        else:
            perm = self._inside_out(n)
        return perm.astype(dt)

    def _fisher_yates(self, n):
        """for i < n-1: swap(a[i], a[i + random() % (n - i)]), vectorised.

        Step i makes position i final: it takes the value found at target
        t_i = i + z_i and leaves behind A_i, the value that sat at i.  The
        value at a position p before step i is A_s of the last earlier step s
        aimed at p, or p itself if none.  So with "previous step with the same
        target" links (from a stable sort of the targets),
        A_i = A_{last step aimed at i} (a forest resolved by pointer jumping,
        roots holding their own index) and out[i] = A_{previous step aimed at
        t_i}, or t_i.
        """
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        i = np.arange(n, dtype=np.int64)
        # n < 2**32 / 20 here, so the modulo can stay in (fast) uint32
        z = (self._engine.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint32)).astype(np.int64)
        t = np.append(i[:-1] + z, n - 1)            # position n-1 is final as is
        key = np.sort(t * n + i)                    # steps grouped by target, in order
        ts = key // n
        order = key - ts * n
        same = ts[1:] == ts[:-1]
        prev = np.full(n, -1, dtype=np.int64)       # previous step with the same target
        prev[order[1:][same]] = order[:-1][same]
        is_last = np.append(~same, True)
        last = np.full(n, -1, dtype=np.int64)       # last step aimed at each position
        last[ts[is_last]] = order[is_last]
        # the last step aimed at position i that comes before step i
        parent = np.where(last == i, prev, last)
        parent = np.where(parent < 0, i, parent)
        while True:                                  # pointer jumping to the roots
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        a = parent                                   # A_i = index of its root
        return np.where(prev >= 0, a[np.maximum(prev, 0)], t)

    def _inside_out(self, n):
        # Huge n: torch's inside-out shuffle with random64 (plain loop).
        r = self._engine.random64(n)
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            z = int(r[i] % _U64(i + 1))
            out[i] = out[z]
            out[z] = i
        return out

    # -- bernoulli, exponential, multinomial ---------------------------
    def bernoulli(self, p, shape=None, np_dtype=None):
        """``Tensor.bernoulli_(p)`` for a float ``p`` (dropout masks), or
        ``torch.bernoulli(p_array)`` / ``Tensor.bernoulli_(p_array)``."""
        if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
            p = float(p)
            if not 0.0 <= p <= 1.0:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            shape, n = _numel(() if shape is None else shape)
            dt = np.dtype(np_dtype or np.float32)
            return (self._u53(n) < p).astype(dt).reshape(shape)
        p = np.asarray(p)
        if p.dtype not in _FLOATS:
            raise RuntimeError(f"expected probabilities tensor to have floating type, got {p.dtype}")
        shape, n = _numel(p.shape if shape is None else shape)
        dt = np.dtype(np_dtype or p.dtype)
        p = np.broadcast_to(p, shape).ravel()
        if not np.all((p >= 0) & (p <= 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        if p.dtype == _F64:
            hit = self._u53(n) < p
        else:
            hit = self._u24(n) < p.astype(_F32)
        return hit.astype(dt).reshape(shape)

    def exponential(self, shape, np_dtype, lambd=1.0):
        """``Tensor.exponential_(lambd)``: -log1p(-u) / lambd in double."""
        shape, n = _numel(shape)
        dt = np.dtype(np_dtype)
        lambd = float(lambd)
        if not (lambd > 0 and math.isfinite(lambd)):
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        if dt not in _FLOATS:
            raise RuntimeError(f"exponential_ needs a floating point dtype, got {dt}")
        if n == 0:
            return np.empty(shape, dt)
        return _cast((-1.0 / lambd) * libm("log1p", -self._u53(n)), dt).reshape(shape)

    def multinomial(self, probs, num_samples, replacement=False):
        """``torch.multinomial(probs, num_samples, replacement)`` (int64)."""
        probs = np.asarray(probs)
        if probs.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        if probs.dtype not in _FLOATS:
            raise RuntimeError(f"multinomial only supports floating-point dtypes, got {probs.dtype}")
        k = int(num_samples)
        if k <= 0:
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        ncat = probs.shape[-1]
        if not replacement and k > ncat:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) without replacement")
        if ncat > 1 << 24:
            raise RuntimeError("number of categories cannot exceed 2^24")
        rows = probs.reshape(-1, ncat)
        if rows.shape[0] == 0:
            return np.empty(probs.shape[:-1] + (k,), np.int64)
        if not replacement or k == 1:
            if not (np.all(rows >= 0) and np.all(np.isfinite(rows))):
                raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
            if np.any(rows.sum(axis=1, dtype=_F64) == 0):
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            # Gumbel-max in exponential form: argmax / top-k of p / Exp(1)
            q = self.exponential(rows.shape, rows.dtype, 1.0)
            keys = rows / q
            if k == 1:
                out = np.argmax(keys, axis=1)[:, None]
            else:
                order = np.argsort(-keys, axis=1, kind="stable")[:, :k + 1]
                top = np.take_along_axis(keys, order, axis=1)
                # torch's topk is not stable: replay it where ties matter
                tied = (top[:, 1:] == top[:, :-1]).any(axis=1) | np.isnan(keys).any(axis=1)
                out = order[:, :k].copy()
                for r in np.nonzero(tied)[0]:
                    out[r] = topk_indices_like_torch(keys[r], k)
        else:
            out = np.empty((rows.shape[0], k), np.int64)
            acc = _F32 if rows.dtype == _F16 else rows.dtype
            for r, row in enumerate(rows):
                if not (np.all(row >= 0) and np.all(np.isfinite(row))):
                    raise RuntimeError("invalid multinomial distribution (entry < 0, inf or NaN)")
                cum = np.cumsum(row.astype(acc), dtype=acc)   # sequential, like torch
                total = cum[-1]
                if not total > 0:
                    raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
                cum = cum / total
                cum[-1] = 1
                # first slot whose cumulative probability is >= the uniform
                out[r] = np.searchsorted(cum.astype(_F64), self._u53(k), side="left")
        return out.astype(np.int64).reshape(probs.shape[:-1] + (k,))


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator (``torch.manual_seed``); returns it."""
    if isinstance(seed, float):
        seed = int(seed)          # torch.manual_seed calls int(seed)
    return default_generator.manual_seed(int(seed) if isinstance(seed, bool) else seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
