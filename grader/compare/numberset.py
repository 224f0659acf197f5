"""Judging `NumberSet` parts: an unordered collection of numbers, each within a tolerance.

Missing values are counted, never named (that would give them away); values that should
not be there are the student's own, so they are named.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.compare.kinds import Context, Unusable, Verdict, mistaken
from grader.compare.nodes import numbers
from grader.compare.numeric import as_floats, scale, sentence, widened
from grader.question import NumberSet, Part, Tolerance


def _within(x: float, y: float, tol: Tolerance) -> bool:
    return abs(x - y) <= tol.atol + tol.rtol * abs(y)


def _compare(
    answer: np.ndarray, expected: np.ndarray, tol: Tolerance
) -> tuple[int, list[float], int]:
    """(missing count, extra values, duplicates) matching each expected value to one
    distinct answer value."""
    distinct: list[float] = []
    for x in np.sort(answer):
        if not distinct or not _within(float(x), distinct[-1], tol):
            distinct.append(float(x))
    unmatched = list(distinct)
    missing = 0
    for y in np.sort(expected):
        hit = next((i for i, x in enumerate(unmatched) if _within(x, float(y), tol)), None)
        if hit is None:
            missing += 1
        else:
            unmatched.pop(hit)
    return missing, unmatched, len(answer) - len(distinct)


def _values(value: Any) -> np.ndarray:
    return as_floats(sorted(value) if isinstance(value, set | frozenset) else value).ravel()


def judge(node: Any, ctx: Context) -> Verdict:
    part = ctx.part
    assert isinstance(part, NumberSet)
    expected = _values(ctx.expected)
    try:
        nums = numbers(node, ctx.wire)
    except Unusable as u:
        return u.verdict
    a = nums.values.ravel()
    if not np.isfinite(a).all():
        return Verdict("invalid", 0.0, "the set contains NaN or infinity")
    tol, note = widened(part.tol, nums.dtype, scale(expected))
    missing, extra, duplicates = _compare(a, expected, tol)
    twice = "Values listed more than once were counted once." if duplicates else None
    if not missing and not extra:
        return Verdict("correct", 1.0, sentence("Correct.", twice, note))

    def same_set(v: Any) -> bool:
        m, x, _ = _compare(a, _values(v), tol)
        return not m and not x

    found = mistaken(ctx, same_set)
    if found:
        return found
    said = []
    if missing:
        said.append(f"{missing} value{'s are' if missing > 1 else ' is'} missing.")
    if extra:
        listed = ", ".join(f"{x:g}" for x in extra[:5]) + (", ..." if len(extra) > 5 else "")
        said.append(f"{listed} should not be in the set.")
    return Verdict("incorrect", 0.0, sentence(*said, twice, note))


def same(a: Any, b: Any, part: Part) -> bool:
    x, y = _values(a), _values(b)
    m, extra, _ = _compare(x, y, getattr(part, "tol", Tolerance()))
    return not m and not extra
