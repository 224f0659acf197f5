"""`Numeric` parts: a number or an array of numbers within a tolerance, under a shape policy.

Closeness is `numpy.isclose`'s |a − e| ≤ atol + rtol·|e| per element, at the part's
tolerance whatever the answer's dtype: one rule, on the grader's side and in the sealed
key. A part where float32 work is expected (a Keras run) declares a tolerance that admits
float32's error; elsewhere a float32 answer that misses is told why. A sealed key seals
the value (and its mistakes') at that tolerance (`grader.compare.sealed`); `NumberSet`
shares the sealing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from grader.compare import diagnose, sealed
from grader.compare.diagnose import close
from grader.compare.nodes import Numbers, index, numbers
from grader.compare.result import Unusable, Verdict
from grader.kinds import seals
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing, mistaken
from grader.question import Part, ShapePolicy, Tolerance


@dataclass(frozen=True)
class Numeric(Part):
    """A number or an array of numbers compared elementwise within a tolerance."""

    tol: Tolerance = field(default_factory=Tolerance)
    shape_policy: ShapePolicy = "strict"
    integer: bool = False  # the answer must be a whole number (e.g. a count)


#: Dtype names of answers that cannot hold float64's digits, and their digits.
NARROW = {"float16": 3, "bfloat16": 2, "float32": 7}


def as_floats(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def narrow_note(dtype: str, tol: Tolerance) -> str | None:
    """Why a float32 (or narrower) answer may miss: it holds fewer digits than the part's
    tolerance asks for."""
    if dtype not in NARROW:
        return None
    return (
        f"Your values are {dtype}, which hold about {NARROW[dtype]} significant digits; this "
        f"part is compared at a relative tolerance of {tol.rtol:.0e}: compute in float64 "
        "(NumPy's default)."
    )


def scale(e: np.ndarray) -> float:
    finite = np.abs(e[np.isfinite(e)])
    return float(finite.max()) if finite.size else 1.0


def _shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"a flat array of {shape[0]} (shape {shape})"
    if len(shape) == 2 and shape[1] == 1:
        return f"a column of {shape[0]} (shape {shape})"
    if len(shape) == 2 and shape[0] == 1:
        return f"a row of {shape[1]} (shape {shape})"
    return "a single number" if shape == () else f"shape {shape}"


def shape_problem(got: tuple[int, ...], want: tuple[int, ...]) -> str:
    """Why an answer of shape `got` cannot stand for one of shape `want`."""
    said = f"got shape {got}, expected {_shape(want)}"
    size = int(np.prod(got))
    if len(got) == 2 and got == want[::-1]:
        return f"{said}: it looks transposed (.T turns it round)"
    if len(want) == 2 and want[1] == 1 and got == (want[0],):
        return f"got a flat array of shape {got}, expected {_shape(want)}: use .reshape(-1, 1)"
    if want == ():
        return f"got an array of shape {got}, expected a single number"
    if got == ():
        return f"got a single number, expected {_shape(want)}"
    if size == int(np.prod(want)):
        return f"{said}: the right number of values, arranged differently"
    return f"{said}: {size} values instead of {int(np.prod(want))}"


def _reshaped(
    a: np.ndarray, want: tuple[int, ...], policy: ShapePolicy
) -> tuple[np.ndarray, str | None]:
    """The answer in the shape `want` when the policy accepts its shape, and a note saying
    how it was read (the student should know the form was not the expected one)."""
    if want == () and a.size == 1:
        return a.reshape(()), f"Your array of shape {a.shape} was read as the number it holds."
    column = bool(want) and {a.shape, want} == {(want[0],), (want[0], 1)}  # or flat
    if (policy == "size" and a.size == int(np.prod(want))) or (policy == "column_ok" and column):
        return a.reshape(want), f"Your {_form(a.shape)} was read as {_shape(want)}."
    raise Unusable(shape_problem(a.shape, want))


def _form(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"flat array of shape {shape}"
    if len(shape) == 2 and 1 in shape:
        return f"{'column' if shape[1] == 1 else 'row'} of shape {shape}"
    return f"array of shape {shape}"


def fit(
    nums: Numbers, e: np.ndarray, policy: ShapePolicy, integer: bool = False
) -> tuple[np.ndarray, list[str]]:
    """The answer in the expected shape, ready to compare, and notes on what was accepted.
    Raises `Unusable` for a shape that does not fit, NaN/inf, or a non-whole integer."""
    a, notes = nums.values, []
    if a.shape != e.shape:
        a, note = _reshaped(a, e.shape, policy)
        notes += [note] if note else []
    bad = ~np.isfinite(a) & ~((a == e) | (np.isnan(a) & np.isnan(e)))
    if bad.any():
        where = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(a[tuple(where)]) else "infinite"
        at = f"element {index(where)} is" if a.ndim else "the value is"
        raise Unusable(f"{at} {what}: check for a division by zero or an overflow")
    if nums.dtype == "bool":
        notes.append("Your True/False values were read as 1/0.")
    if integer:
        if not np.all(a == np.round(a)):
            shown = f"{a.item():g}" if a.ndim == 0 else "non-whole values"
            raise Unusable(f"expected a whole number, got {shown}")
        if nums.dtype.startswith(("float", "bfloat")):
            notes.append("Whole numbers written as floats (like 3.0) were accepted.")
    return a, notes


def matches(nums: Numbers, value: Any, tol: Tolerance, policy: ShapePolicy) -> bool:
    """Whether the answer equals `value` within `tol` (for mistakes and probes)."""
    try:
        e = as_floats(value)
        a, _ = fit(nums, e, policy)
    except (Unusable, TypeError, ValueError):
        return False
    return bool(close(a, e, tol).all())


def usable(a: np.ndarray, reference: Any) -> Any:
    """The student's value in the reference's form, for follow-through (None if NaN/inf)."""
    if not np.isfinite(a).all():
        return None
    if isinstance(reference, np.ndarray):
        return a.reshape(reference.shape).copy()
    if isinstance(reference, int | np.integer) and not isinstance(reference, bool):
        return round(float(a))
    if isinstance(reference, float | np.floating):
        return float(a)
    return a.copy()


def sentence(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def tolerance(part: Any) -> dict[str, Any]:
    """A tolerance as a spec states it."""
    return {"tol": [part.tol.rtol, part.tol.atol]}


def tolerance_from(spec: Mapping[str, Any]) -> Tolerance:
    return Tolerance(*map(float, spec["tol"]))


def seal_numbers(
    values: Callable[[Any], np.ndarray],
    part: Any,
    expected: Any,
    mistakes: Mistakes,
    sealing: Sealing,
) -> dict[str, Any]:
    """A part of numbers sealed at its tolerance (`values`: a value as sealed)."""
    wrong = [(m, values(v)) for m, v in mistakes]
    return seals.with_mistakes(values(expected), wrong, part.tol, sealing, part)


_NOT_IT = (
    "Not within the tolerance of the expected value, and not one of the mistakes the "
    "grader knows (check your steps; the instructor's grader says more)."
)
_UNSURE = (
    "Not within the precision this check confirms (values within 0.3 of the tolerance "
    "always are), and not one of the mistakes the grader knows; with this many values it "
    "cannot tell here whether they are within the tolerance: the instructor's grader decides."
)


def _close(tol: Tolerance) -> str:
    return (
        "Close to the answer, but not within the precision this check confirms: did you "
        "round? Give full precision (the grader compares at a relative tolerance of "
        f"{tol.rtol:.0e} and an absolute one of {tol.atol:.0e}, and decides)."
    )


def _rounded(a: np.ndarray) -> str | None:
    """A hint for values that look printed and copied: give full precision."""
    digits = sealed.rounded(a)
    if digits is None or digits < 2 or np.all(a == np.round(a)):
        return None  # whole numbers, or one digit: no sign of a rounded print
    return f"Your values look rounded to {digits} significant digits: give full precision."


def check_numbers(
    node: Any,
    part: Any,
    here: SealedPart,
    policy: ShapePolicy,
    integer: bool,
    arranged: Callable[[np.ndarray], np.ndarray],
) -> Verdict:
    """The local verdict on numbers from their seals: the answer in the sealed shape per
    `policy` (`arranged` as sealed). Correct only in the sealed cells (within tolerance:
    the grader agrees); a miss is told apart, where few elements are in doubt, into close
    (`unconfirmed`: the grader decides) and not within the tolerance."""
    found, salt, what, tol = here.found, here.salt, here.what, part.tol
    try:
        nums = numbers(node, here.wire)
    except Unusable as u:
        return u.verdict
    expected = sealed.Seal.from_json(found["seal"])

    def shaped(seal: sealed.Seal) -> tuple[np.ndarray, list[str]]:
        a, notes = fit(nums, np.zeros(seal.shape), policy, integer)
        return arranged(a), notes

    def same_as(m: Any, seal: sealed.Seal) -> bool:  # a mistake of another shape
        try:
            a, _ = shaped(seal)
        except Unusable:
            return False
        return sealed.matches(a, seal, tol, salt, f"{what}#{m.key}")

    try:
        a, notes = shaped(expected)
    except Unusable as u:
        return seals.first_mistake(seals.mistakes_of(found, shared=False), same_as) or u.verdict
    verdict = seals.by_digest(a, expected, found, tol, salt, what)
    if verdict is not None:
        return replace(verdict, message=sentence(verdict.message, *notes))
    near, tries = sealed.near(a, expected, tol, salt, what, here.budget.left)
    here.budget.spend(tries)
    narrow = narrow_note(nums.dtype, tol)
    if near:
        return Verdict("unconfirmed", 0.0, sentence(_close(tol), *notes, narrow))
    if near is None:  # too many cells to try: "incorrect" would not be sure
        return Verdict("unconfirmed", 0.0, sentence(_UNSURE, _rounded(a), *notes, narrow))
    return Verdict("incorrect", 0.0, sentence(_NOT_IT, _rounded(a), *notes, narrow))


class NumericKind(PartKind[Numeric]):
    part = Numeric

    def judge(self, node: Any, ctx: Context) -> Verdict:
        part = ctx.part
        assert isinstance(part, Numeric)
        e = as_floats(ctx.expected)
        try:
            nums = numbers(node, ctx.wire)
        except Unusable as u:
            return u.verdict

        def same_mistake(value: Any) -> bool:
            return matches(nums, value, part.tol, part.shape_policy)

        try:
            a, notes = fit(nums, e, part.shape_policy, part.integer)
        except Unusable as u:
            return mistaken(ctx, same_mistake) or u.verdict
        tol = part.tol
        ok = close(a, e, tol)
        value = usable(a, ctx.expected)
        if ok.all():
            return Verdict("correct", 1.0, sentence("Correct.", *notes), value=value)
        found = mistaken(ctx, same_mistake, diagnose.factor(a, e, tol) or "")
        if found:
            return replace(found, value=value)
        said = diagnose.explain(a, e, ok, tol)
        return Verdict(
            "incorrect", 0.0, sentence(said, *notes, narrow_note(nums.dtype, tol)), value=value
        )

    def same(self, a: Any, b: Any, part: Numeric) -> bool:
        """Whether two reference values coincide within the part's tolerance."""
        try:
            x, y = as_floats(a), as_floats(b)
        except (TypeError, ValueError):
            return False
        return x.shape == y.shape and bool(close(x, y, part.tol).all())

    def spec(self, part: Numeric, hidden: bool) -> dict[str, Any]:
        return tolerance(part) | {"shape_policy": part.shape_policy, "integer": part.integer}

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Numeric:
        return Numeric(
            **common,
            tol=tolerance_from(spec),
            shape_policy=spec["shape_policy"],
            integer=bool(spec["integer"]),
        )

    def seal(
        self, part: Numeric, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        return seal_numbers(as_floats, part, expected, mistakes, sealing)

    def check_sealed(self, node: Any, part: Numeric, here: SealedPart) -> Verdict:
        return check_numbers(node, part, here, part.shape_policy, part.integer, lambda a: a)
