"""`Numeric` parts: a number or an array of numbers within a tolerance, under a shape policy.

Closeness is `numpy.isclose`'s |a − e| ≤ atol + rtol·|e| per element, with the part's
tolerance widened for float32 (and float16) answers, which cannot hold more digits. A
sealed key seals the value (and its mistakes') at the part's tolerance, and again at
float32 precision (`grader.compare.sealed`); `NumberSet` shares the sealing.
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


#: Machine epsilon of the float types narrower than float64 that answers arrive in.
_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23}
NARROW = frozenset(_EPS)  # dtype names of answers that cannot hold float64's digits
_ULPS = 100  # how many units of the answer's last place a computation may lose


def as_floats(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def widened(tol: Tolerance, dtype: str, scale: float) -> tuple[Tolerance, str | None]:
    """The tolerance for an answer of `dtype` (`scale`: the expected values' magnitude)."""
    if dtype not in _EPS:
        return tol, None
    rtol = _relative(tol, dtype)
    wide = Tolerance(rtol=rtol, atol=max(tol.atol, rtol * scale))
    if wide == tol:
        return tol, None
    return wide, precision_note(dtype, dtype, rtol)


def single_precision(tol: Tolerance) -> Tolerance:
    """The tolerance a sealed key also seals at, for float32 (and narrower) answers: the
    relative widening of `widened`; its absolute part would need the expected values'
    magnitude, which a seal must not tell."""
    return Tolerance(rtol=_relative(tol, "float32"), atol=tol.atol)


def _relative(tol: Tolerance, dtype: str) -> float:
    """A relative tolerance no finer than `dtype`'s precision allows."""
    return max(tol.rtol, _ULPS * _EPS[dtype])


def precision_note(dtype: str, precision: str, rtol: float) -> str:
    return (
        f"Your values are {dtype}, so they were compared at {precision} precision "
        f"(relative tolerance {rtol:.0e})."
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
    return bool(close(a, e, widened(tol, nums.dtype, scale(e))[0]).all())


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
    """A part of numbers sealed at its tolerance, and again at float32 precision where that
    differs (`values`: a value as sealed)."""
    exact = values(expected)
    wrong = [(m, values(v)) for m, v in mistakes]
    found = seals.with_mistakes(exact, wrong, part.tol, sealing, part)
    single = single_precision(part.tol)
    if single != part.tol:  # float32 answers are compared at float32 precision
        found["float32"] = seals.with_mistakes(exact, wrong, single, sealing, part)
    return found


_NOT_IT = (
    "Not within the tolerance of the expected value, and not one of the mistakes the "
    "grader knows (check your steps; the instructor's grader says more)."
)


def check_numbers(
    node: Any,
    part: Any,
    here: SealedPart,
    policy: ShapePolicy,
    integer: bool,
    arranged: Callable[[np.ndarray], np.ndarray],
) -> Verdict:
    """The local verdict on numbers from their seals: the answer in the sealed shape per
    `policy` (`arranged` as sealed), at float32 precision for a float32 answer."""
    found, salt, what = here.found, here.salt, here.what
    try:
        nums = numbers(node, here.wire)
    except Unusable as u:
        return u.verdict
    tol, note = part.tol, None
    if nums.dtype in NARROW and "float32" in found:  # sealed again at float32 precision
        found, tol = found["float32"], single_precision(part.tol)
        note = precision_note(str(nums.dtype), "float32", tol.rtol)
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
        return replace(verdict, message=sentence(verdict.message, *notes, note))
    return Verdict("incorrect", 0.0, sentence(_NOT_IT, *notes, note))


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
        tol, note = widened(part.tol, nums.dtype, scale(e))
        ok = close(a, e, tol)
        value = usable(a, ctx.expected)
        if ok.all():
            if note and close(a, e, part.tol).all():
                note = None  # the float32 allowance made no difference: nothing to say
            return Verdict("correct", 1.0, sentence("Correct.", *notes, note), value=value)
        found = mistaken(ctx, same_mistake, diagnose.factor(a, e, tol) or "")
        if found:
            return replace(found, value=value)
        return Verdict(
            "incorrect", 0.0, sentence(diagnose.explain(a, e, ok, tol), *notes, note), value=value
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
