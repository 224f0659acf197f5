"""`NumberSet` parts: an unordered collection of numbers, each within a tolerance.

Missing values are counted, never named (that would give them away); values that should
not be there are the student's own, so they are named. A sealed key seals the set as its
sorted values, as `Numeric` seals an array.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.compare.nodes import numbers
from grader.compare.result import Unusable, Verdict
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing, mistaken
from grader.kinds.numeric import (
    as_floats,
    check_numbers,
    narrow_note,
    seal_numbers,
    sentence,
    tolerance,
    tolerance_from,
)
from grader.question import Part, Tolerance


@dataclass(frozen=True)
class NumberSet(Part):
    """An unordered set of numbers (e.g. the learning rates that diverge)."""

    tol: Tolerance = field(default_factory=Tolerance)


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


def _sealed(value: Any) -> np.ndarray:
    """A set as sealed: its values, sorted."""
    return np.sort(as_floats(value).ravel())


class NumberSetKind(PartKind[NumberSet]):
    part = NumberSet

    def judge(self, node: Any, ctx: Context) -> Verdict:
        part = ctx.part
        assert isinstance(part, NumberSet)
        expected = _values(ctx.expected)
        try:
            nums = numbers(node, ctx.wire)
        except Unusable as u:
            return u.verdict
        a = nums.values.ravel()
        if not np.isfinite(a).all():
            return Verdict("unusable", 0.0, "the set contains NaN or infinity")
        tol = part.tol
        missing, extra, duplicates = _compare(a, expected, tol)
        twice = "Values listed more than once were counted once." if duplicates else None
        if not missing and not extra:
            return Verdict("correct", 1.0, sentence("Correct.", twice))

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
        note = narrow_note(nums.dtype, tol)
        return Verdict("incorrect", 0.0, sentence(*said, twice, note))

    def same(self, a: Any, b: Any, part: NumberSet) -> bool:
        x, y = _values(a), _values(b)
        m, extra, _ = _compare(x, y, part.tol)
        return not m and not extra

    def spec(self, part: NumberSet, hidden: bool) -> dict[str, Any]:
        return tolerance(part)

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> NumberSet:
        return NumberSet(**common, tol=tolerance_from(spec))

    def seal(
        self, part: NumberSet, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        return seal_numbers(_sealed, part, expected, mistakes, sealing)

    def check_sealed(self, node: Any, part: NumberSet, here: SealedPart) -> Verdict:
        return check_numbers(node, part, here, "size", False, lambda a: np.sort(a.ravel()))
