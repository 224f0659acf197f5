"""Sealed values: whether a student's number is right, told without holding the answer.

Runs on the student's (untrusted) side: it imports only the standard library, NumPy and
`Tolerance`. The instructor's side turns each expected value (and each catalogued
mistake's value) into a `Seal`: the value is quantised at the part's tolerance and the
cells are hashed with the release's salt and a deliberately slow KDF (`hashlib.scrypt`,
`COST`). The student's side quantises the student's value the same way and compares
hashes. The cell of each element lies *inside* its tolerance interval, so:

- a value within `INNER` (0.3) of the tolerance of every element always matches;
- a value that matches is within the tolerance of every element: the grader, which
  compares at the same tolerance (`numpy.isclose`'s |a - e| <= atol + rtol*|e|), accepts
  it. A local "correct" is never contradicted by the grade;
- in between (a value rounded to a few digits lands there) neither is sure: `near`
  tries the cells next to the student's, where the answer may sit, and tells "close"
  (within about two tolerances) from "not within the tolerance" where few elements are
  in doubt.

What a seal holds: the shape, one grid index per element (0..K-1: about where the value
sits inside a cell, relative to an offset drawn per element from the salt and the label,
so that equal values in two places, or 0 and 1, show no common pattern) and a digest; no
number. Finding the answer from it means guessing cells and paying one scrypt call per
guess: docs/SECURITY.md gives the measured cost per part.

Quantising. Each element x is mapped to T-space, where the tolerance interval of every
value has about the same width:

- atol > 0, rtol > 0: T(x) = asinh(x / c), c = atol / rtol (in units of c). Near zero
  T(x) ~ x / c, where the absolute tolerance dominates; far from it T(x) ~ ln|2x/c|,
  where the relative tolerance does. Each half of the interval |a - e| <= atol + rtol*|e|
  is between rtol/(1+rtol) and about sqrt(2)*rtol wide in T-space, whatever |e| is.
- rtol = 0: T(x) = x (the absolute tolerance is the whole tolerance).
- atol = 0: T(x) = sign(x) * (800 + ln|x|), T(0) = 0: a pure logarithm with the sign kept
  (ln|x| >= -745 for every nonzero float, so T is monotone and 0 sits far from all others).
- atol = rtol = 0 (exact equality): the cell of x is its float64 bit pattern.

K grids of step h, offset by h/K from each other (and by the element's own offset),
cover T-space; the instructor's side picks for each element the grid on which the value
sits nearest the middle of a cell (within h/(2K)), and stores that grid's index. With
a the smaller half-width of any tolerance interval (`_scale`), h = 0.95 * 2a * K/(K+1):
the cell reaches at most h/2 + h/(2K) < a from the value, inside its interval, and at
least h/2 - h/(2K) = 0.57a, beyond INNER of it. Every sealed element is checked
rigorously when it is sealed (`_grids`): the floats within INNER of the tolerance, and
the first floats beyond the tolerance, transformed with an error allowance of 2**-46
relative (64 ulps, where NumPy's accuracy tests hold float64 arcsinh and log to 1 or 2),
must fall in the cell and outside it. An element float64 cannot resolve at its tolerance
is refused with a ValueError.

Non-finite elements get fixed sentinel cells: NaN matches only NaN, +inf only +inf,
-inf only -inf (as `grader.compare.diagnose.close` with equal NaN does).

Digest: scrypt(password = a domain tag, kind, the label, the tolerance, the shape and
the int64 cells; salt = release salt + label; `COST`; 16 bytes), hex. Sealed choices and
integers (`seal_exact`) use the same KDF on their exact text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import math
import numbers
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypedDict

import numpy as np

from grader.question import Tolerance

FORMAT = 2  #: of a seal as stored (1: the cells spanned 4 tolerances)
K = 4  #: grids per tolerance, offset by h/K from each other
INNER = 0.3  #: of its tolerance: a value this close in every element always matches
MAX_RTOL = 0.1  #: beyond it the step derivation of `_scale` no longer holds with margin
MAX_ELEMENTS = 2**20  #: elements of one sealed array (a crafted file may claim more)
MAX_NDIM = 32
MAX_TEXT = 4096  #: characters of a sealed text
_MAX_MEMORY = 16 * 2**20  #: scrypt memory per call, in bytes

_SLACK = 0.95  # h is this much under the largest step the guarantees allow
_OFFSETS = 16  # an element's own offset is one of 0, 1/16, ..., 15/16 of a fine unit
_EPS = 2.0**-46  # relative error allowed in a computed position, on each side (64 ulps)
_TINY = 2.0**-40  # absolute error allowed in a fine position (fine unit: h/K)
_NORMAL = 2.0**48  # |fine position| beyond which a cell is no ordinary cell
_CLAMP = 2**52  # fine position of a value past the ordinary range (never sealed)
_SHIFT = 800.0  # T(x) = sign(x) * (800 + ln|x|) > 0 for x > 0, even subnormal
_WITHIN = 1 - 2.0**-40  # the cell stays this far inside the tolerance (`close`'s rounding)
_MAX = float(np.finfo(np.float64).max)
_NAN, _PINF, _NINF = (0x7FF8_0000_0000_0000 + i for i in (1, 2, 3))  # above every cell
_TAG = b"optigrade/sealed/2\x00"
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


#: n = 2**11, r = 12 (3 MiB): one call (one offline guess) is about 8 ms on the course's
#: 2-core machine. A check costs one call per part (a part's mistakes are sealed on its
#: expected value's grids, `seal_on`), up to `CHECK_BUDGET` more where `near` looks next
#: door: chosen against the check's budget (median <= 50 ms, none over 500 ms), where
#: r = 9 left a check at a median of 24 ms and 4 MiB (n = 2**12) would take a slow
#: question to the limit (benchmarks/bench_sealed.py, BENCHMARKS.md).
COST = Cost(n=2**11, r=12)


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
            "v": FORMAT,
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
        if type(data["v"]) is not int or data["v"] != FORMAT:
            raise ValueError(
                f"sealed value: format {data['v']!r}, not {FORMAT}: release the assignment "
                "again with this grader (grader assign release)"
            )
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
    a: float  # the smaller half-width of every tolerance interval, in T units


@lru_cache(maxsize=256)
def _scale(tol: Tolerance) -> _Scale:
    """The grid step h for a tolerance, from atol and rtol only (never from a value).

    Write r = rtol and a for the smallest half-width of any tolerance interval
    [e - tau, e + tau], tau = atol + r*|e|, in T-space: atol for T(x) = x; r/(1+r) for the
    logarithm (ln(1 + r) >= r/(1+r), -ln(1 - r) >= r); and r/(1+r) for asinh, in units of
    c: with u = |e|/c, the upper half is at least tau times the slope of T at |e| + tau,
    r(1+u)/sqrt(1 + (u + r(1+u))^2) >= r/(1+r), and the lower half at least r.

    The value sits within h/(2K) of its cell's middle, so the cell reaches h/2 + h/(2K)
    from it: inside the interval when h <= 2a K/(K+1). h = 0.95 of that leaves the room
    `_grids` checks with float rounding allowed for, and the cell reaches at least
    h/2 - h/(2K) = 0.57a from the value: every float within INNER = 0.3 of the tolerance
    (at most 0.3*sqrt(2)*rtol/(1 - 0.3r) wide in T-space) is in it."""
    rtol, atol = float(tol.rtol), float(tol.atol)
    if not (math.isfinite(rtol) and math.isfinite(atol) and rtol >= 0 and atol >= 0):
        raise ValueError(f"cannot seal at {tol}: rtol and atol must be finite and >= 0")
    if rtol > MAX_RTOL:
        raise ValueError(f"cannot seal at {tol}: rtol above {MAX_RTOL}")
    if rtol == 0 and atol == 0:
        return _Scale("bits", 0.0, 0.0, 0.0)
    if rtol == 0:
        mode: Mode = "linear"
        c, a = 0.0, atol
    else:
        mode = "asinh" if atol else "log"
        c, a = atol / rtol, rtol / (1 + rtol)
        if atol and not (math.isfinite(c) and c > 0):
            raise ValueError(f"cannot seal at {tol}: atol / rtol is out of float range")
    s = K / (_SLACK * 2 * a * K / (K + 1))
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"cannot seal at {tol}: its grid step is out of float range")
    return _Scale(mode, c, s, a)


def _position(x: np.ndarray, sc: _Scale) -> np.ndarray:
    """z = T(x) * s for finite x: the position in fine units (h/K) of the grids."""
    with np.errstate(all="ignore"):
        if sc.mode == "linear":
            return x * sc.s
        if sc.mode == "asinh":
            u = x / sc.c
            t = np.arcsinh(u)
            far = ~np.isfinite(u)  # |x|/c overflowed: asinh(u) = ln|2u| to far below an ulp
            t[far] = np.sign(x[far]) * (math.log(2) + np.log(np.abs(x[far])) - math.log(sc.c))
        else:
            t = np.where(x == 0, 0.0, np.sign(x) * (_SHIFT + np.log(np.abs(x))))
        return t * sc.s


def _error(z: np.ndarray) -> np.ndarray:
    """How far a computed position may be from the exact one (on one machine)."""
    return _EPS * np.abs(z) + _TINY


def offsets(salt: bytes, label: str, size: int) -> np.ndarray:
    """Each element's own offset of the grids, in fine units: drawn from the salt and the
    label (public, and the same on both sides), so that where a value sits says nothing
    about where an equal value sits in another element or part, or in another release."""
    if not isinstance(salt, bytes):
        raise TypeError(f"the salt must be bytes, not {type(salt).__name__}")
    drawn = hashlib.shake_256(_TAG + salt + b"\x00" + label.encode("utf-8")).digest(size)
    return (np.frombuffer(drawn, dtype=np.uint8) % _OFFSETS) / _OFFSETS


def _bit_codes(x: np.ndarray) -> np.ndarray:
    """Each finite float as its own cell: sign times the bit pattern of |x|."""
    bits = np.abs(x).view(np.int64)
    return np.where(x < 0, -bits, bits)


def _cell(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The cell on grid k of fine positions z (|z| < _NORMAL; others give any value)."""
    fine = np.where(np.abs(z) < _NORMAL, np.floor(z), 0).astype(np.int64)
    return (fine - k) // K


def _codes(x: np.ndarray, grids: np.ndarray, shift: np.ndarray, sc: _Scale) -> np.ndarray:
    """The int64 cell of each element of flat float64 `x` on its grid (`shift`: the
    elements' own offsets); the same function on both sides, so the instructor's and the
    student's cells are computed alike."""
    codes = np.full(x.shape, _NAN, dtype=np.int64)
    codes[x == np.inf] = _PINF
    codes[x == -np.inf] = _NINF
    finite = np.isfinite(x)
    v = x[finite]
    if sc.mode == "bits":
        codes[finite] = _bit_codes(v)
        return codes
    z = _position(v, sc) - shift[finite]
    ordinary = np.abs(z) < _NORMAL
    cells = np.where(v < 0, -_CLAMP, _CLAMP) // K  # past the ordinary range: never sealed
    cells[ordinary] = _cell(z[ordinary], grids[finite][ordinary].astype(np.int64))
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


def _grids(e: np.ndarray, shift: np.ndarray, tol: Tolerance, sc: _Scale, label: str) -> np.ndarray:
    """Each element's grid (e flat): the one whose cell has the value nearest its middle.
    Checks, with float rounding allowed for, that every float within INNER of the
    tolerance is in the cell and that the first floats beyond the tolerance are not."""
    grids = np.zeros(e.shape, dtype=np.uint8)
    finite = np.isfinite(e)
    if sc.mode == "bits" or not finite.any():
        return grids
    with np.errstate(all="ignore"):  # infinities and NaN here are dealt with
        k, ok = _chosen(e[finite], shift[finite], tol, sc)
    if not ok.all():
        i = int(np.flatnonzero(finite)[np.argmin(ok)])
        raise ValueError(
            f"{label}: cannot seal element {i} at {tol}: float64 cannot tell its tolerance "
            "interval apart at this magnitude (widen the tolerance)"
        )
    grids[finite] = k
    return grids


def _chosen(
    v: np.ndarray, shift: np.ndarray, tol: Tolerance, sc: _Scale
) -> tuple[np.ndarray, np.ndarray]:
    """Each finite element's grid, and whether both guarantees hold for it there."""
    tau = tol.atol + tol.rtol * np.abs(v)  # as `close` computes it
    inner = INNER * tau * (1 + _EPS)
    lo = _float_at_or_above(v, -inner)  # the floats within INNER of the tolerance: [lo, hi]
    hi = -_float_at_or_above(-v, -inner)
    within = tau * _WITHIN
    beyond_hi = _float_above(v, within)  # the first floats (almost) beyond the tolerance
    beyond_lo = -_float_above(-v, within)
    z_v = _position(v, sc) - shift
    z_lo, z_hi = _position(lo, sc) - shift, _position(hi, sc) - shift
    z_lo, z_hi = z_lo - 2 * _error(z_lo), z_hi + 2 * _error(z_hi)  # either side's
    k = np.mod(np.rint(z_v - K / 2), K)  # the value within 1/2 of its cell's middle
    k = np.where(np.isfinite(k), k, 0).astype(np.int64)
    ok = (np.abs(z_lo) < _NORMAL) & (np.abs(z_hi) < _NORMAL)
    cell = _cell(z_lo, k)
    ok &= cell == _cell(z_hi, k)
    for beyond, side in ((beyond_hi, 1), (beyond_lo, -1)):
        z = _position(beyond, sc) - shift
        z = z - side * 2 * _error(z)  # nearest the value that either side may compute
        placed = np.abs(z) < _NORMAL  # beyond the ordinary range is another cell anyway
        ok &= ~placed | (side * (_cell(z, k) - cell) > 0)
    return k, ok


# --- digests --------------------------------------------------------------------------


def _digest(kind: Kind, label: str, body: bytes, salt: bytes, cost: Cost | None) -> str:
    cost = cost or COST  # read at each call: a test may make it cheap for a whole bank
    if not isinstance(salt, bytes):
        raise TypeError(f"the salt must be bytes, not {type(salt).__name__}")
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
    expected: np.ndarray, tol: Tolerance, salt: bytes, label: str, *, cost: Cost | None = None
) -> Seal:
    """The instructor's side: `expected` (real numbers, any shape) sealed at `tol`.

    `label` names what is sealed (e.g. "fp.1.1/z" or "fp.1.1/z#sum"): it enters the hash,
    the salt and the elements' offsets, so the same value sealed under another label gives
    another digest. Raises ValueError for a value that is not an array of real numbers, is
    too large, or that float64 cannot place at `tol` (see the module doc)."""
    e = _floats(expected)
    if e is None:
        raise ValueError(f"{label}: can only seal real numbers, not {type(expected).__name__}")
    if e.size > MAX_ELEMENTS or e.ndim > MAX_NDIM:
        raise ValueError(f"{label}: too large to seal (shape {e.shape})")
    sc = _scale(tol)
    flat = e.ravel()
    shift = offsets(salt, label, flat.size)
    grids = _grids(flat, shift, tol, sc, label)
    codes = _codes(flat, grids, shift, sc)
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
    value: object, seal: Seal, tol: Tolerance, salt: bytes, label: str, *, cost: Cost | None = None
) -> bool:
    """The student's side: whether `value` is in the sealed value's cells, element by
    element: then it is within `tol` of it (False if any element is not in its cell).

    `value` may be anything: a value of another shape (no reshaping: apply the part's
    shape policy first), anything that is not an array of real numbers (strings,
    complex, None, ragged lists, objects), or a number too large for float64 is False
    without hashing. NaN and infinities match only the same non-finite value. Raises only
    for a bad `tol` (ValueError) or `salt` (TypeError), which the release supplies."""
    digest = digest_on(value, seal, tol, salt, label, cost=cost)
    return digest is not None and hmac.compare_digest(digest, seal.digest)


def digest_on(
    value: object, seal: Seal, tol: Tolerance, salt: bytes, label: str, *, cost: Cost | None = None
) -> str | None:
    """The digest of `value` quantised on `seal`'s grids (None where `matches` is False
    without hashing): one scrypt call compares an answer with every value sealed on the
    same grids (`seal_on`)."""
    placed = _placed(value, seal, tol, salt, label)
    if placed is None:
        return None
    a, codes = placed
    return _digest("numeric", label, _numeric_body(codes, a.shape, tol), salt, cost)


def _placed(
    value: object, seal: Seal, tol: Tolerance, salt: bytes, label: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """`value` as float64 of the seal's shape and its cells on the seal's grids."""
    sc = _scale(tol)
    a = _floats(value, seal.shape) if seal.kind == "numeric" else None
    if a is None:
        return None
    flat = a.ravel()
    grids = np.frombuffer(seal.grids, dtype=np.uint8)
    return a, _codes(flat, grids, offsets(salt, label, flat.size), sc)


def near(
    value: object,
    seal: Seal,
    tol: Tolerance,
    salt: bytes,
    label: str,
    budget: int,
    *,
    cost: Cost | None = None,
) -> tuple[bool | None, int]:
    """For a `value` that does not match: whether the sealed value may still be within
    `tol` of it, and how many scrypt calls telling took. True: it is in cells next to the
    student's, where a value within the tolerance would put it (so the value is within
    about two tolerances of the sealed one); False: no value within the tolerance of
    `value` is the sealed one (the grader rejects it too); None: more than `budget` cells
    would have to be tried to tell (none was).

    Where the sealed value can be: within its tolerance of each element of `value`,
    within 1/2 fine unit of a cell's middle (`_chosen`). Each element has one to three
    such cells; every combination but the student's own is hashed."""
    placed = _placed(value, seal, tol, salt, label)
    sc = _scale(tol)
    if placed is None or sc.mode == "bits":
        return (None if placed is None else False), 0
    a, own = placed
    flat = a.ravel()
    grids = np.frombuffer(seal.grids, dtype=np.uint8).astype(np.int64)
    shift = offsets(salt, label, flat.size)
    with np.errstate(all="ignore"):
        reach = (tol.atol + tol.rtol * np.abs(flat)) / (1 - tol.rtol) * (1 + 4 * _EPS)
        z_lo = _position(_float_at_or_above(flat, -reach), sc) - shift
        z_hi = _position(-_float_at_or_above(-flat, -reach), sc) - shift
        slack = 0.5 + 2 * _error(np.maximum(np.abs(z_lo), np.abs(z_hi)))
        first = np.ceil((z_lo - grids - K / 2 - slack) / K)
        last = np.floor((z_hi - grids - K / 2 + slack) / K)
    ordinary = np.isfinite(flat) & (np.abs(z_lo) < _NORMAL) & (np.abs(z_hi) < _NORMAL)
    ordinary &= last >= first
    counts = np.where(ordinary, last - first + 1, 1)
    if np.sum(np.log2(counts)) > math.log2(budget + 1) + 1e-9:
        return None, 0
    choices = [
        list(range(int(f), int(g) + 1)) if ok else [int(c)]
        for f, g, ok, c in zip(first, last, ordinary, own, strict=True)
    ]
    if math.prod(len(c) for c in choices) - 1 > budget:
        return None, 0
    tries = 0
    for combination in itertools.product(*choices):
        codes = np.asarray(combination, dtype=np.int64)
        if np.array_equal(codes, own):
            continue  # the student's own cells: `matches` said no already
        tries += 1
        body = _numeric_body(codes, a.shape, tol)
        if hmac.compare_digest(_digest("numeric", label, body, salt, cost), seal.digest):
            return True, tries
    return False, tries


def seal_on(
    value: np.ndarray,
    base: Seal,
    tol: Tolerance,
    salt: bytes,
    label: str,
    *,
    cost: Cost | None = None,
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


def rounded(value: np.ndarray, most: int = 8) -> int | None:
    """The fewest significant digits (at most `most`) that every finite element of `value`
    is written with, when it looks rounded ("0.1234" rather than 0.12341234...), else None."""
    finite = np.ravel(value)[np.isfinite(np.ravel(value))]
    nonzero = [float(x) for x in finite if x != 0]
    if not nonzero:
        return None
    for digits in range(1, most + 1):
        if all(float(f"{x:.{digits}g}") == x for x in nonzero):
            return digits
    return None


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


def seal_exact(value: str | int, salt: bytes, label: str, *, cost: Cost | None = None) -> Seal:
    """The instructor's side: a choice or an integer sealed exactly. A choice is sealed as
    the text the student's side will compare (its canonical option after the student's
    spelling is looked up, or `grader.kinds.choice.normal` of it): no normalising here."""
    body = _exact_body(value)
    if body is None:
        raise ValueError(f"{label}: can only seal a text or an integer exactly, not {value!r:.60}")
    return Seal("exact", (), b"", _digest("exact", label, body, salt, cost))


def matches_exact(
    value: object, seal: Seal, salt: bytes, label: str, *, cost: Cost | None = None
) -> bool:
    """The student's side: whether `value` is exactly the sealed text or integer (an
    integral float counts as its integer; anything else is False without hashing)."""
    body = _exact_body(value)
    if seal.kind != "exact" or body is None:
        return False
    return hmac.compare_digest(_digest("exact", label, body, salt, cost), seal.digest)
