"""The vocabulary of the question bank: a question is data, defined once.

Every fact about a question (its id, points, inputs, how its answer is computed by
`reference`, how a student's answer is compared, which mistakes it diagnoses) lives in
one `Question`. Notebooks, the answer key, feedback and gradebook columns are derived
from it.

A question has one or more *parts*, each worth points. A part's expected value is
computed from the question's inputs and from the values of the parts before it
(`prior`); that is what makes follow-through possible: the grader recomputes a part from
the student's own earlier parts and credits an answer that is right given them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Inputs = Mapping[str, Any]
Prior = Mapping[str, Any]
Compute = Callable[[Inputs, Prior], Any]

#: How the student's single answer object is split into the question's parts.
#: - "single": the question has one part; the whole answer is that part.
#: - "parts": the answer is a mapping (dict) from part name to value.
#: - "rows": the answer is a sequence (list, tuple or array); row i is part i.
Layout = Literal["single", "parts", "rows"]

#: How strictly an array's shape must match.
#: - "strict": the shape must be exactly the expected one.
#: - "column_ok": a flat (n,) answer is accepted for an expected (n, 1) column (and
#:   vice versa) with a note; anything else must match exactly.
#: - "size": any shape with the right number of elements (used for sequences of numbers
#:   such as theta = (w, b) where the course writes both row and column forms).
ShapePolicy = Literal["strict", "column_ok", "size"]


@dataclass(frozen=True)
class Tolerance:
    """Elementwise closeness, as in `numpy.isclose`: |a - e| <= atol + rtol * |e|."""

    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True)
class Mistake:
    """A known wrong way to compute a part: the value it produces and the hint it earns.

    `compute` has the same signature as the part's own `compute`, so a mistake is an
    alternative computation built from `reference`, never a typed-in wrong number.
    """

    key: str
    hint: str
    compute: Compute
    credit: float = 0.0  # fraction of the part's points still earned


@dataclass(frozen=True)
class Part:
    """One graded piece of a question's answer."""

    name: str
    points: float
    compute: Compute
    mistakes: tuple[Mistake, ...] = ()
    #: Names of earlier parts whose student values are fed to `compute` when the
    #: answer is wrong (follow-through, a.k.a. error carried forward).
    follows: tuple[str, ...] = ()
    #: Shown to the student with the part's verdict (e.g. "theta after update 3").
    label: str = ""


@dataclass(frozen=True)
class Numeric(Part):
    """A number or an array of numbers compared elementwise within a tolerance."""

    tol: Tolerance = field(default_factory=Tolerance)
    shape_policy: ShapePolicy = "strict"
    integer: bool = False  # the answer must be a whole number (e.g. a count)


@dataclass(frozen=True)
class NumberSet(Part):
    """An unordered set of numbers (e.g. the learning rates that diverge)."""

    tol: Tolerance = field(default_factory=Tolerance)


@dataclass(frozen=True)
class Choice(Part):
    """One option out of a fixed list; `options` maps each canonical option to the
    other spellings accepted for it (compared case-insensitively, trimmed)."""

    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Expression(Part):
    """A symbolic expression in the exercise's symbols, checked for equivalence.

    `symbols` maps each allowed symbol name to the interval its random test points are
    drawn from; `functions` names the allowed function heads beyond the elementary ones
    (e.g. "sigma"); `definitions` maps intermediate symbols (e.g. "z2") to expressions
    in the base symbols, substituted before comparing. `compute` returns a SymPy
    expression.
    """

    symbols: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    functions: tuple[str, ...] = ()
    definitions: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 2.0  # seconds allowed for symbolic simplification


@dataclass(frozen=True)
class Probe:
    """One call of a function answer.

    `kwargs` are passed to the student's function (in the student's process); the
    result is compared with `expected(kwargs)` (computed by `reference` in the trusted
    process) within `tol`. `hidden` probes only run in autograder (hidden) tests and
    their inputs and expected values never appear in feedback; `describe` says in words
    what behaviour the probe checks.
    """

    name: str
    kwargs: Mapping[str, Any]
    expected: Callable[[Mapping[str, Any]], Any]
    describe: str
    tol: Tolerance = field(default_factory=Tolerance)
    hidden: bool = False
    shape_policy: ShapePolicy = "strict"


@dataclass(frozen=True)
class Function(Part):
    """A function the student writes, graded by calling it on probes.

    `compute` returns the reference function itself (for the answer key and for
    notebooks' own use). Credit is the fraction of probes passed. `gradient_of`, when
    given, is the loss whose gradient the function must return; the grader then also
    checks the student's function against central finite differences of that loss.
    """

    probes: tuple[Probe, ...] = ()
    call_timeout: float = 10.0  # seconds per call
    gradient_of: Callable[..., float] | None = None


@dataclass(frozen=True)
class Criterion:
    """One pass/fail requirement on a trained model, judged from its encoded summary and
    its predictions on `Model.evaluate_on` (see grader.compare.models)."""

    name: str
    describe: str
    check: Callable[[Mapping[str, Any], Inputs], tuple[bool, str]]
    weight: float = 1.0
    #: The criterion as JSON data, from which `grader.compare.models.criterion` rebuilds
    #: it where only the question's spec is (the student's local check).
    spec: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicData:
    """Rows of the course's data the student has (`grader.coursedata`), on which a
    student's local check measures a model; the grader measures it on `Model.evaluate_on`."""

    dataset: str  # a set of grader.coursedata, e.g. "stroke_splits"
    features: str  # its features' name, e.g. "X_val"
    labels: str  # its labels' name, e.g. "y_val"
    rows: str  # which rows they are, in a metric's name: "validation" (accuracy)


@dataclass(frozen=True)
class Model(Part):
    """A trained Keras model, graded by structure and by held-out metrics.

    In the student's process the model is reduced to a summary (layers, activations,
    loss, optimizer) and its predictions on `inputs[evaluate_on]`; only those cross to
    the trusted grader. `compute` returns a description of what is checked (for the key).
    A student's local check runs the same criteria on `public` rows instead.
    """

    evaluate_on: str = "X_test"
    criteria: tuple[Criterion, ...] = ()
    public: PublicData | None = None


@dataclass(frozen=True)
class Question:
    """One question of one assignment; its id is part of the product's interface."""

    id: str
    assignment: str
    title: str
    variable: str  # the notebook variable (or function name) holding the answer
    parts: tuple[Part, ...]
    inputs: Inputs = field(default_factory=dict)
    layout: Layout = "single"
    practice: bool = False  # worked example: worth 0, and its check may show the answer
    #: Inputs written into the notebook (as NumPy literals, by `grader assign sync`) for
    #: the student to compute with; inputs not listed stay inside the grader.
    given: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: duplicate part names {names}")
        if self.layout == "single" and len(self.parts) != 1:
            raise ValueError(f"{self.id}: a 'single' layout has exactly one part")
        for part in self.parts:
            unknown = set(part.follows) - set(names[: names.index(part.name)])
            if unknown:
                raise ValueError(f"{self.id}.{part.name} follows unknown or later parts {unknown}")
        missing = set(self.given) - set(self.inputs)
        if missing:
            raise ValueError(f"{self.id}: given names {missing} are not inputs")
        if self.practice and self.points:
            raise ValueError(f"{self.id}: a practice question is worth 0 points")

    @property
    def points(self) -> float:
        return float(sum(p.points for p in self.parts))

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"{self.id} has no part {name!r}")

    @cached_property
    def answer(self) -> dict[str, Any]:
        """The reference answer, part by part, each computed from the parts before it
        (cached: a few take a second to compute)."""
        values: dict[str, Any] = {}
        for p in self.parts:
            values[p.name] = p.compute(self.inputs, values)
        return values


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course as the instructor's package declares it (an entry
    point of group `grader.installed.GROUP`): what finding it needs, without importing its
    questions, which are the key."""

    id: str
    lab: int  # its place in the course: assignments are listed in this order
    module: str  # the module whose `QUESTIONS` define it
    prefixes: tuple[str, ...]  # its question ids start with one of these and a dot

    def __post_init__(self) -> None:
        if not self.prefixes or any("." in p for p in self.prefixes):
            raise ValueError(f"{self.id}: question-id prefixes without dots are needed")
