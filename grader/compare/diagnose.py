"""What is wrong with a comparable but wrong array, said without giving the answer away.

Messages name elements by index and errors by a coarse band (1-2-5 steps: "off by 20% to
50%"), never the expected value. Generic diagnoses catch slips no catalogued mistake
describes: a constant factor or flipped sign, a transpose, permuted elements, rounding.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from grader.compare.nodes import index
from grader.question import Tolerance

_SHOWN = 3  # wrong elements listed by index


def close(a: np.ndarray, e: np.ndarray, tol: Tolerance) -> np.ndarray:
    """|a − e| ≤ atol + rtol·|e| elementwise, as `np.isclose(..., equal_nan=True)` (equal
    infinities and NaN where NaN is expected count as close), in a third of its time."""
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(a - e) <= tol.atol + tol.rtol * np.abs(e)
    return near | (a == e) | (np.isnan(a) & np.isnan(e))


def _band(x: float) -> tuple[float, float]:
    """The 1-2-5 step interval holding x > 0."""
    k = math.floor(math.log10(x))
    m = x / 10**k
    lo, hi = (5, 10) if m >= 5 else (2, 5) if m >= 2 else (1, 2)
    return lo * 10.0**k, hi * 10.0**k


def off_by(a: float, e: float) -> str:
    """How far a is from e, as a band: relative when e ≠ 0."""
    if not (math.isfinite(a) and math.isfinite(e)):
        return "not finite"
    if e == 0:
        lo, hi = _band(abs(a)) if a else (0.0, 0.0)
        return f"off by {lo:.3g} to {hi:.3g}"
    r = abs(a - e) / abs(e)
    if r >= 10:
        return "off by more than 10 times its size"
    lo, hi = _band(r)
    return f"off by {100 * lo:.3g}% to {100 * hi:.3g}%"


def wrong_elements(a: np.ndarray, e: np.ndarray, ok: np.ndarray) -> str:
    """Which elements are wrong, and by about how much."""
    if a.ndim == 0:
        return f"Not right: {off_by(float(a), float(e))}."
    bad = np.argwhere(~ok)
    listed = ", ".join(
        f"{index(i)} {off_by(float(a[tuple(i)]), float(e[tuple(i)]))}" for i in bad[:_SHOWN]
    )
    more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    verb = "is" if len(bad) == 1 else "are"
    return f"{len(bad)} of {a.size} values {verb} wrong: {listed}{more}."


def factor(a: np.ndarray, e: np.ndarray, tol: Tolerance) -> str | None:
    """'your values are 3 times too large' when a = k·e for a whole k or 1/k (k ≠ ±1 or
    k = −1: a flipped sign)."""
    nonzero = np.abs(e) > tol.atol
    if not nonzero.any() or not close(a[~nonzero], 0 * e[~nonzero], tol).all():
        return None
    k = float(np.median(a[nonzero] / e[nonzero]))
    if not math.isfinite(k) or k == 0:
        return None
    size = Fraction(abs(k)).limit_denominator(1000)
    whole = size.numerator == 1 or size.denominator == 1
    if not whole or (size == 1 and k > 0):  # k = 1 would be right, not a slip
        return None
    if not close(a, float(math.copysign(size, k)) * e, tol).all():
        return None
    values = "your value is" if a.size == 1 else "your values are"
    if size == 1:
        ones = "ones" if a.size > 1 else "one"
        return f"The sign looks flipped: {values} the negative of the right {ones}."
    n, large = (size.numerator, "large") if size > 1 else (size.denominator, "small")
    sign = "The sign looks flipped and " if k < 0 else ""
    sentence = f"{sign}{values} {n} times too {large}."
    return sentence[0].upper() + sentence[1:]


def _transposed(a: np.ndarray, e: np.ndarray, tol: Tolerance) -> str | None:
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and close(a.T, e, tol).all():
        return "It looks transposed: rows and columns are swapped."
    return None


def _permuted(a: np.ndarray, e: np.ndarray, ok: np.ndarray, tol: Tolerance) -> str | None:
    if a.size < 2 or not close(np.sort(a, axis=None), np.sort(e, axis=None), tol).all():
        return None
    bad = np.argwhere(~ok)
    if len(bad) == 2:
        return f"The values at {index(bad[0])} and {index(bad[1])} look swapped."
    return "The values are right but in the wrong order."


def _rounded(a: np.ndarray, e: np.ndarray) -> str | None:
    """Every value has d decimals, is within one unit of the d-th decimal of the right
    value (half a unit for whole numbers), and the right values need more than d decimals."""
    finite = np.isfinite(a).all() and np.isfinite(e).all()
    if not finite:
        return None
    scale = np.maximum(1.0, np.abs(a))
    for d in range(7):
        if np.all(np.abs(a - np.round(a, d)) <= 1e-12 * scale):
            break
    else:
        return None
    unit = 10.0**-d
    if np.all(np.abs(np.round(e, d) - e) <= 1e-12 * np.maximum(1.0, np.abs(e))):
        return None
    limit = unit if d else 0.5  # whole numbers: only a final rounding, not a near miss
    if not np.all(np.abs(a - e) <= limit * (1 + 1e-9)):
        return None
    digits = "whole numbers" if d == 0 else f"{d} decimal{'s' if d > 1 else ''}"
    return f"It looks rounded to {digits}: keep full precision until the final answer."


def explain(a: np.ndarray, e: np.ndarray, ok: np.ndarray, tol: Tolerance) -> str:
    """What is wrong: the wrong elements, then the first generic diagnosis that fits."""
    generic = factor(a, e, tol) or _transposed(a, e, tol) or _permuted(a, e, ok, tol)
    generic = generic or _rounded(a, e)
    return " ".join(s for s in (wrong_elements(a, e, ok), generic) if s)


def shown(value: object) -> str:
    """A value for a practice question's feedback (graded questions never show it)."""
    a = np.asarray(value)
    if a.dtype.kind in "biuf":
        text = np.array2string(a, precision=6, separator=", ", max_line_width=10**6)
        return text.replace("\n", "") if a.ndim else f"{a.item():.6g}"
    return repr(value)
