"""Sealed values: whether a student's number is right, told without holding the answer.

Runs on the student's (untrusted) side: it imports only the standard library, NumPy and
`Tolerance`. The instructor's side turns each expected value (and each catalogued
mistake's value) into a `Seal`: the value is quantised at the part's tolerance and the
cells are hashed with a per-course salt and a deliberately slow KDF (`hashlib.scrypt`,
`COST`). The student's side quantises the student's value the same way and compares
hashes: a right value (within tolerance) always lands in the expected value's cells, a
value more than 4 tolerances away never does, and in between either may happen.

What a seal hides: it holds no number, only the shape, one small grid index per element
(0..K-1, about where the value sits inside its cell, never how large it is) and a
digest. Finding the answer from it means guessing cells and paying one scrypt call per
guess (`COST`: about 8 ms on the course's 2-core machine). That stops reading the answer
off the released files; it does not stop a patient search over a small candidate set
(a choice's options, a count below 100, a scalar whose order of magnitude is known).

Quantising. Each element x is mapped to T-space, where the tolerance interval of every
value has about the same width:

- atol > 0, rtol > 0: T(x) = asinh(x / c), c = atol / rtol (in units of c). Near zero
  T(x) ~ x / c, where the absolute tolerance dominates; far from it T(x) ~ ln|2x/c|,
  where the relative tolerance does. The interval |a - e| <= atol + rtol*|e| has a
  half-width between rtol and about sqrt(2)*rtol in T-space (atol to sqrt(2)*atol for
  c*T), whatever |e| is, and T is smooth and monotone through zero.
- rtol = 0: T(x) = x (the absolute tolerance is the whole tolerance), computed exactly:
  the grid step is a power of two, so x / h is exact and no rounding can move a cell edge.
- atol = 0: T(x) = sign(x) * (800 + ln|x|), T(0) = 0: a pure logarithm with the sign kept
  (ln|x| >= -745 for every nonzero float, so T is monotone and 0 sits far from all others).
- atol = rtol = 0 (exact equality): the cell of x is its float64 bit pattern.

A uniform grid in T-space, with a step set by the tolerance alone, therefore says nothing
about the magnitude of the answer. That is why this beats the obvious alternative, a
relative step on a coarse scale of powers of two (cell = the binade 2^k <= |x| < 2^(k+1),
then the mantissa in steps of about rtol): there the step depends on |e|, so the student's
side must either be told e's binade (the file then gives the answer within a factor of
two) or use its own value's binade, and then a right value just across a power of two
from e is quantised on another step and refused; the tolerance interval is also up to
twice as many cells wide at the top of a binade as at its bottom, and a relative scale
has no cells around zero, where atol must be handled apart.

K grids of step h, offset by h/K from each other, cover T-space; the instructor's side
picks for each element the grid on which the element's tolerance interval sits nearest
the middle of a cell, and stores that grid's index. h depends on the tolerance only
(see `_scale`) and every sealed element is checked rigorously when it is sealed (see
`_grids`): the interval's float ends, transformed with an error allowance of 2**-46
relative (64 ulps, where NumPy's accuracy tests hold float64 arcsinh and log to 1 or 2),
must fall in the cell, and the first floats beyond 4 tolerances must fall outside it. An
element float64 cannot resolve at its tolerance is refused with a ValueError: rtol >= 1e-10
seals every float64 (with atol = 0, every normal one); rtol = 1e-15, a few ulps, none.

Non-finite elements get fixed sentinel cells: NaN matches only NaN, +inf only +inf,
-inf only -inf (as `grader.compare.diagnose.close` with equal NaN does).

Digest: scrypt(password = a domain tag, kind, the label, the tolerance, the shape and
the int64 cells; salt = course salt + label; `COST`; 16 bytes), hex. A check costs one
scrypt call per candidate: the expected value, then each mistake only if it did not
match. Sealed choices and integers (`seal_exact`) use the same KDF on their exact text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import numbers
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypedDict

import numpy as np

from grader.question import Tolerance

K = 8  #: grids per tolerance, offset by h/K from each other
MAX_RTOL = 0.1  #: beyond it the step derivation of `_scale` no longer holds with margin
MAX_ELEMENTS = 2**20  #: elements of one sealed array (a crafted file may claim more)
MAX_NDIM = 32
MAX_TEXT = 4096  #: characters of a sealed text
_MAX_MEMORY = 16 * 2**20  #: scrypt memory per call, in bytes

_EPS = 2.0**-46  # relative error allowed in a computed position, on each side (64 ulps)
_TINY = 2.0**-40  # absolute error allowed in a fine position (fine unit: h/K)
_NORMAL = 2.0**56  # |fine position| beyond which a cell is no ordinary cell
_CLAMP = 2**60  # fine position of a value past the ordinary range (never sealed)
_SHIFT = 800.0  # T(x) = sign(x) * (800 + ln|x|) > 0 for x > 0, even subnormal
_MAX = float(np.finfo(np.float64).max)
_NAN, _PINF, _NINF = (0x7FF8_0000_0000_0000 + i for i in (1, 2, 3))  # above every cell
_TAG = b"optigrade/sealed/1\x00"
_DIGEST = re.compile(r"[0-9a-f]{32}")

Kind = Literal["numeric", "exact"]
Mode = Literal["bits", "linear", "asinh", "log"]


@dataclass(frozen=True)
class Cost:
    """scrypt's parameters. The production `COST` is a module constant, never read from a
    file; tests and benchmarks pass a cheaper one explicitly."""

    n: int
    r: int
    p: int = 1

    def __post_init__(self) -> None:
        if not (self.n > 1 and self.n & (self.n - 1) == 0 and self.r >= 1 and self.p == 1):
            raise ValueError(f"scrypt needs n a power of two > 1, r >= 1, p = 1: {self}")
        if self.memory > _MAX_MEMORY:
            raise ValueError(f"scrypt cost {self} needs {self.memory} bytes, over 16 MiB")

    @property
    def memory(self) -> int:
        return 128 * self.n * self.r * self.p


#: n = 2**11, r = 9 (2.25 MiB): one call (one offline guess) is 8-9 ms on the course's
#: 2-core machine, over the 5 ms floor with room; r = 8 gave 5.1-5.7 ms, too near it. A
#: check costs one call per part (a part's mistakes are sealed on its expected value's
#: grids, `seal_on`), so a 30-part question is checked in about a quarter of a second.
COST = Cost(n=2**11, r=9)


class SealJSON(TypedDict):
    """A seal as stored in a release file: no float, nothing the value follows from."""

    v: int
    kind: str
    shape: list[int]
    grids: str  # base64 of one uint8 grid index per element
    digest: str


@dataclass(frozen=True)
class Seal:
    """A value sealed at a tolerance: its shape, each element's grid and the digest."""

    kind: Kind
    shape: tuple[int, ...]
    grids: bytes  # one grid index (0..K-1) per element, C order; empty for "exact"
    digest: str  # 32 lowercase hex digits

    def __post_init__(self) -> None:
        if self.kind not in ("numeric", "exact"):
            raise ValueError(f"sealed value: unknown kind {self.kind!r}")
        shape = self.shape
        if not isinstance(shape, tuple) or len(shape) > MAX_NDIM:
            raise ValueError(f"sealed value: shape must be a tuple of at most {MAX_NDIM} sizes")
        for d in shape:
            if type(d) is not int or not 0 <= d <= MAX_ELEMENTS:
                raise ValueError(f"sealed value: bad size {d!r} in shape {shape!r}")
        if math.prod(shape) > MAX_ELEMENTS:
            raise ValueError(f"sealed value: more than {MAX_ELEMENTS} elements in {shape}")
        if not isinstance(self.grids, bytes):
            raise ValueError("sealed value: grids must be bytes")
        if self.kind == "exact" and (shape or self.grids):
            raise ValueError("sealed value: an exact seal has shape () and no grids")
        if self.kind == "numeric" and len(self.grids) != math.prod(shape):
            raise ValueError(f"sealed value: {len(self.grids)} grids for shape {shape}")
        if self.grids and max(self.grids) >= K:
            raise ValueError(f"sealed value: a grid index is not below {K}")
        if not (isinstance(self.digest, str) and _DIGEST.fullmatch(self.digest)):
            raise ValueError("sealed value: digest must be 32 lowercase hex digits")

    def to_json(self) -> SealJSON:
        return {
            "v": 1,
            "kind": self.kind,
            "shape": list(self.shape),
            "grids": base64.b64encode(self.grids).decode("ascii"),
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: object) -> Seal:
        """The seal a release file holds; anything malformed is a ValueError saying what.
        Sizes are checked before anything is allocated from them."""
        if not isinstance(data, dict) or set(data) != set(SealJSON.__annotations__):
            raise ValueError(f"sealed value: expected keys {sorted(SealJSON.__annotations__)}")
        if type(data["v"]) is not int or data["v"] != 1:
            raise ValueError(f"sealed value: unknown format version {data['v']!r}")
        shape, grids = data["shape"], data["grids"]
        if not isinstance(shape, list) or len(shape) > MAX_NDIM:
            raise ValueError(f"sealed value: shape must be a list of at most {MAX_NDIM} sizes")
        if not isinstance(grids, str) or len(grids) > 4 * (MAX_ELEMENTS // 3 + 1):
            raise ValueError("sealed value: grids must be a base64 string of the element count")
        try:
            raw = base64.b64decode(grids, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError(f"sealed value: grids are not base64 ({e})") from None
        return cls(data["kind"], tuple(shape), raw, data["digest"])


# --- the tolerance's grids ------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """How a tolerance places values: fine position z = T(x) * s, in units of h/K."""

    mode: Mode
    c: float  # asinh mode: the scale c = atol / rtol
    s: float  # K / h, h the grid step in T units


def _slack(eta: float, omega: float, reach: float) -> float:
    """The smaller spare room, in cells, of the two guarantees for a step h = eta * a
    (see `_scale`)."""
    return min((K - 1) / (2 * K) - omega / eta, reach / eta - (K + 1) / (2 * K))


@lru_cache(maxsize=256)
def _scale(tol: Tolerance) -> _Scale:
    """The grid step h for a tolerance, from atol and rtol only (never from a value).

    Write r = rtol and a for the absolute tolerance in T units: atol for T(x) = x, and
    r for asinh (in units of c) and for the logarithm. For every e, tau = atol + r*|e|:

    - [e - tau, e + tau] is at most 2*w*a wide in T-space, w = omega/(1 - r), omega = 1
      (x, log) or sqrt(2) (asinh). For asinh, with u = |e|/c (so tau = r(1+u) in units
      of c), the mean value theorem gives a width 2*tau/sqrt(1 + xi^2) for some xi with
      |xi| >= u - tau, at most 2r(1+u)/sqrt(1 + ((1-r)u - r)^2) <= 2*sqrt(2)*r/(1-r)
      (largest near u = 1; below u = tau it is at most 2*tau <= 2r/(1-r)). For the log
      it is ln((1+r)/(1-r)) <= 2r/(1-r).
    - From the interval's middle m, T(e +- 4 tau) is at least d*a away, d = 4/(1+4r):
      for asinh the slope on [e - 4tau, e + 4tau] is at least 1/sqrt(1 + (u + 4tau)^2),
      and 4r(1+u)/sqrt(1 + ((1+4r)u + 4r)^2) >= 4r/(1+4r); for the log, ln(1+4r) and
      -ln(1-4r) - r^2 both exceed 4r/(1+4r).

    The K grids' cell middles are h/K apart, so some cell's middle is within h/(2K) of
    m: that cell holds the interval if (h/2)(1 - 1/K) >= w*a, and stops short of
    e +- 4 tau if (h/2)(1 + 1/K) < d*a. h = (d + w)*a leaves both the same spare room
    (`_slack`: 0.18 of a cell at rtol = 1e-6, 0.08 at MAX_RTOL). For T(x) = x, h is the
    power of two next to 5*atol with the more room (0.15 of a cell at worst), so that
    positions x/h are exact. `_grids` checks both guarantees for each sealed element.
    """
    rtol, atol = float(tol.rtol), float(tol.atol)
    if not (math.isfinite(rtol) and math.isfinite(atol) and rtol >= 0 and atol >= 0):
        raise ValueError(f"cannot seal at {tol}: rtol and atol must be finite and >= 0")
    if rtol > MAX_RTOL:
        raise ValueError(f"cannot seal at {tol}: rtol above {MAX_RTOL}")
    if rtol == 0 and atol == 0:
        return _Scale("bits", 0.0, 0.0)
    if rtol == 0:
        if not math.isfinite(5 * atol):
            raise ValueError(f"cannot seal at {tol}: atol is out of float range")
        _, e = math.frexp(5 * atol)
        h = max(
            (math.ldexp(1.0, e - 1), math.ldexp(1.0, e)), key=lambda h: _slack(h / atol, 1.0, 4.0)
        )
        scale = _Scale("linear", 0.0, K / h)
    else:
        omega = (math.sqrt(2) if atol else 1.0) / (1 - rtol)
        reach = 4 / (1 + 4 * rtol)
        c = atol / rtol
        scale = _Scale("asinh" if atol else "log", c, K / ((reach + omega) * rtol))
        if atol and not (math.isfinite(c) and c > 0):
            raise ValueError(f"cannot seal at {tol}: atol / rtol is out of float range")
    if not (math.isfinite(scale.s) and scale.s > 0):
        raise ValueError(f"cannot seal at {tol}: its grid step is out of float range")
    return scale


def _position(x: np.ndarray, sc: _Scale) -> np.ndarray:
    """z = T(x) * s for finite x: the position in fine units (h/K) of the grids."""
    with np.errstate(all="ignore"):
        if sc.mode == "linear":
            return x * sc.s  # s is a power of two: exact
        if sc.mode == "asinh":
            u = x / sc.c
            t = np.arcsinh(u)
            far = ~np.isfinite(u)  # |x|/c overflowed: asinh(u) = ln|2u| to far below an ulp
            t[far] = np.sign(x[far]) * (math.log(2) + np.log(np.abs(x[far])) - math.log(sc.c))
        else:
            t = np.where(x == 0, 0.0, np.sign(x) * (_SHIFT + np.log(np.abs(x))))
        return t * sc.s


def _error(z: np.ndarray, sc: _Scale) -> np.ndarray:
    """How far a computed position may be from the exact one (on one machine)."""
    if sc.mode == "linear":  # exact, but for underflow
        return np.full(z.shape, _TINY)
    return _EPS * np.abs(z) + _TINY


def _bit_codes(x: np.ndarray) -> np.ndarray:
    """Each finite float as its own cell: sign times the bit pattern of |x|."""
    bits = np.abs(x).view(np.int64)
    return np.where(x < 0, -bits, bits)


def _codes(x: np.ndarray, grids: np.ndarray, sc: _Scale) -> np.ndarray:
    """The int64 cell of each element of flat float64 `x` on its grid; the same function
    on both sides, so the instructor's and the student's cells are computed alike."""
    codes = np.full(x.shape, _NAN, dtype=np.int64)
    codes[x == np.inf] = _PINF
    codes[x == -np.inf] = _NINF
    finite = np.isfinite(x)
    v = x[finite]
    if sc.mode == "bits":
        codes[finite] = _bit_codes(v)
        return codes
    fine = np.floor(_position(v, sc))
    ordinary = np.abs(fine) < _NORMAL
    cells = np.empty(v.shape, dtype=np.int64)
    k = grids[finite].astype(np.int64)
    cells[ordinary] = (fine[ordinary].astype(np.int64) - k[ordinary]) // K
    if sc.mode == "linear":  # past 2**56 fine units, floats are 2 cells apart or more
        cells[~ordinary] = _bit_codes(v[~ordinary])
    else:  # a value float64 cannot place finely enough: never a sealed cell
        cells[~ordinary] = np.where(v[~ordinary] < 0, -_CLAMP, _CLAMP) // K
    codes[finite] = cells
    return codes


def _sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s = fl(a + b) and err with a + b = s + err exactly (Knuth's TwoSum)."""
    with np.errstate(all="ignore"):
        s = a + b
        bb = s - a
        return s, (a - (s - bb)) + (b - bb)


def _float_at_or_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest float >= a + b (exactly); -MAX at the bottom of the range."""
    s, err = _sum(a, b)
    return np.where(np.isinf(s), np.sign(s) * _MAX, np.where(err > 0, np.nextafter(s, np.inf), s))


def _float_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest float > a + b (exactly); inf if none is finite."""
    s, err = _sum(a, b)
    return np.where(np.isinf(s), s, np.where(err < 0, s, np.nextafter(s, np.inf)))


def _grids(e: np.ndarray, tol: Tolerance, sc: _Scale, label: str) -> np.ndarray:
    """Each element's grid (e of any shape): the one whose cell holds its tolerance
    interval nearest the middle. Checks, with float rounding allowed for, that every
    float `close` accepts is in the cell and that the first floats beyond 4 tolerances
    are not."""
    grids = np.zeros(e.shape, dtype=np.uint8)
    finite = np.isfinite(e)
    if sc.mode == "bits" or not finite.any():
        return grids
    with np.errstate(all="ignore"):  # infinities and NaN here are dealt with
        k, ok = _chosen(e[finite], tol, sc)
    if not ok.all():
        i = np.argwhere(finite)[np.argmin(ok)]
        raise ValueError(
            f"{label}: cannot seal element {tuple(int(j) for j in i)} at {tol}: float64 "
            "cannot tell its tolerance interval apart at this magnitude (widen the tolerance)"
        )
    grids[finite] = k
    return grids


def _chosen(v: np.ndarray, tol: Tolerance, sc: _Scale) -> tuple[np.ndarray, np.ndarray]:
    """Each finite element's grid, and whether both guarantees hold for it there."""
    tau = tol.atol + tol.rtol * np.abs(v)  # as `close` computes it
    wide = tau * (1 + _EPS)  # covers the rounding of |a - e| and of tau itself
    lo = _float_at_or_above(v, -wide)  # the floats within `wide` of v are [lo, hi]
    hi = -_float_at_or_above(-v, -wide)
    beyond_hi = _float_above(v, 4 * tau)  # the first floats more than 4 tau away
    beyond_lo = -_float_above(-v, 4 * tau)
    z_lo, z_hi = _position(lo, sc), _position(hi, sc)
    z_lo, z_hi = z_lo - 2 * _error(z_lo, sc), z_hi + 2 * _error(z_hi, sc)  # either side's
    k = np.mod(np.rint((z_lo + z_hi) / 2 - K / 2), K)
    k = np.where(np.isfinite(k), k, 0).astype(np.int64)
    ok = np.abs(z_lo) < _NORMAL
    ok &= np.abs(z_hi) < _NORMAL
    cell = _cell(z_lo, k)
    ok &= cell == _cell(z_hi, k)
    for z, side in ((_position(beyond_hi, sc), 1), (_position(beyond_lo, sc), -1)):
        z = z - side * 2 * _error(z, sc)  # nearest e that either side may compute
        placed = np.abs(z) < _NORMAL  # beyond the ordinary range is another cell anyway
        ok &= ~placed | (side * (_cell(z, k) - cell) > 0)
    if sc.mode == "linear":  # floats 2 cells apart: only v itself is within tolerance
        ok |= (np.abs(_position(v, sc)) >= _NORMAL) & (lo == v) & (hi == v)
    return k, ok


def _cell(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The cell on grid k of fine positions z (|z| < 2**56; others give any value)."""
    fine = np.where(np.abs(z) < _NORMAL, np.floor(z), 0).astype(np.int64)
    return (fine - k) // K


# --- digests --------------------------------------------------------------------------


def _digest(kind: Kind, label: str, body: bytes, salt: bytes, cost: Cost) -> str:
    if not isinstance(salt, bytes):
        raise TypeError(f"the course salt must be bytes, not {type(salt).__name__}")
    name = label.encode("utf-8")
    password = _TAG + kind.encode() + b"\x00" + len(name).to_bytes(4, "little") + name + body
    key = hashlib.scrypt(
        password, salt=salt + name, n=cost.n, r=cost.r, p=cost.p, maxmem=2 * _MAX_MEMORY, dklen=16
    )
    return key.hex()


def _numeric_body(codes: np.ndarray, shape: tuple[int, ...], tol: Tolerance) -> bytes:
    """The tolerance, the shape and the cells, unambiguously."""
    header = f"{float(tol.rtol).hex()} {float(tol.atol).hex()} {len(shape)}\x00".encode()
    return header + np.asarray(shape, "<i8").tobytes() + codes.astype("<i8").tobytes()


def seal(
    expected: np.ndarray, tol: Tolerance, salt: bytes, label: str, *, cost: Cost = COST
) -> Seal:
    """The instructor's side: `expected` (real numbers, any shape) sealed at `tol`.

    `label` names what is sealed (e.g. "fp.1.1/z" or "fp.1.1/z#sum"): it enters the hash
    and the salt, so the same value sealed under another label gives another digest.
    Raises ValueError for a value that is not an array of real numbers, is too large, or
    that float64 cannot place at `tol` (see the module doc)."""
    e = _floats(expected)
    if e is None:
        raise ValueError(f"{label}: can only seal real numbers, not {type(expected).__name__}")
    if e.size > MAX_ELEMENTS or e.ndim > MAX_NDIM:
        raise ValueError(f"{label}: too large to seal (shape {e.shape})")
    sc = _scale(tol)
    grids = _grids(e, tol, sc, label).ravel()
    codes = _codes(e.ravel(), grids, sc)
    digest = _digest("numeric", label, _numeric_body(codes, e.shape, tol), salt, cost)
    return Seal("numeric", e.shape, grids.tobytes(), digest)


def _floats(value: object, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """`value` as float64 if it is an array of real numbers (of `shape`, when given),
    else None."""
    try:
        a = np.asarray(value)
    except Exception:  # a student's object may raise anything from __array__ or __len__
        return None
    if (shape is not None and a.shape != shape) or a.dtype.kind not in "biufO":
        return None
    if a.dtype.kind == "O" and not all(isinstance(v, numbers.Real) for v in a.flat):
        return None
    try:
        with np.errstate(all="ignore"):
            return a.astype(np.float64)
    except (OverflowError, TypeError, ValueError):  # e.g. an int beyond float64
        return None


def matches(
    value: object, seal: Seal, tol: Tolerance, salt: bytes, label: str, *, cost: Cost = COST
) -> bool:
    """The student's side: whether `value` is within `tol` of the sealed value, element by
    element (False if any element is not).

    `value` may be anything: a value of another shape (no reshaping: apply the part's
    shape policy first), anything that is not an array of real numbers (strings,
    complex, None, ragged lists, objects), or a number too large for float64 is False
    without hashing. NaN and infinities match only the same non-finite value. Raises only
    for a bad `tol` (ValueError) or `salt` (TypeError), which the course supplies."""
    digest = digest_on(value, seal, tol, salt, label, cost=cost)
    return digest is not None and hmac.compare_digest(digest, seal.digest)


def digest_on(
    value: object, seal: Seal, tol: Tolerance, salt: bytes, label: str, *, cost: Cost = COST
) -> str | None:
    """The digest of `value` quantised on `seal`'s grids (None where `matches` is False
    without hashing): one scrypt call compares an answer with every value sealed on the
    same grids (`seal_on`)."""
    sc = _scale(tol)
    a = _floats(value, seal.shape) if seal.kind == "numeric" else None
    if a is None:
        return None
    grids = np.frombuffer(seal.grids, dtype=np.uint8)
    codes = _codes(a.ravel(), grids, sc)
    return _digest("numeric", label, _numeric_body(codes, a.shape, tol), salt, cost)


def seal_on(
    value: np.ndarray, base: Seal, tol: Tolerance, salt: bytes, label: str, *, cost: Cost = COST
) -> Seal:
    """`value` (of `base`'s shape) sealed on `base`'s grids under `base`'s label: a
    catalogued mistake sealed on its part's expected-value grids, so that one digest of
    the answer (`digest_on`) is compared with both. The grids were chosen for the
    expected value, so only the value itself (and most, not all, values within tolerance
    of it) lands in this seal's cells: a mistake computed as the reference computes it is
    always recognised."""
    v = _floats(value, base.shape)
    if v is None:
        raise ValueError(f"{label}: a value of shape {base.shape} is needed")
    digest = digest_on(v, base, tol, salt, label, cost=cost)
    assert digest is not None
    return Seal("numeric", base.shape, base.grids, digest)


# --- exact values: choices and integers -----------------------------------------------


def _exact_body(value: object) -> bytes | None:
    """A choice's text or an integer as bytes ("3", 3 and 3.0 differ from "3" only as
    text vs number), or None for anything else."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return None
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        value = int(value)  # a count computed with NumPy arrives as a float
    if isinstance(value, int | np.integer) and abs(int(value)).bit_length() <= 3 * MAX_TEXT:
        return b"i" + str(int(value)).encode()
    return None


def seal_exact(value: str | int, salt: bytes, label: str, *, cost: Cost = COST) -> Seal:
    """The instructor's side: a choice or an integer sealed exactly. A choice is sealed as
    the text the student's side will compare (its canonical option after the student's
    spelling is looked up, or `grader.kinds.choice.normal` of it): no normalising here."""
    body = _exact_body(value)
    if body is None:
        raise ValueError(f"{label}: can only seal a text or an integer exactly, not {value!r:.60}")
    return Seal("exact", (), b"", _digest("exact", label, body, salt, cost))


def matches_exact(value: object, seal: Seal, salt: bytes, label: str, *, cost: Cost = COST) -> bool:
    """The student's side: whether `value` is exactly the sealed text or integer (an
    integral float counts as its integer; anything else is False without hashing)."""
    body = _exact_body(value)
    if seal.kind != "exact" or body is None:
        return False
    return hmac.compare_digest(_digest("exact", label, body, salt, cost), seal.digest)
