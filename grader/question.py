"""The vocabulary of the question bank: a question is data, defined once.

Every fact about a question (its id, points, inputs, how its answer is computed by
`reference`, how a student's answer is compared, which mistakes it diagnoses) lives in
one `Question`. Notebooks, the answer key, feedback and gradebook columns are derived
from it.

A question has one or more *parts*, each worth points. A part's expected value is
computed from the question's inputs and from the values of the parts before it
(`prior`); that is what makes follow-through possible: the grader recomputes a part from
the student's own earlier parts and credits an answer that is right given them.

The kinds of part (a number, a set, a choice, a function, an expression, a Keras model)
are subclasses of `Part`, each in its file of `grader.kinds` with everything done with
it. An `Assignment` is how the instructor's package declares one (`grader.installed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from grader.variation import Draw

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


class Withheld(RuntimeError):
    """A computation of the key was asked for where only the spec is."""


def withheld(*_: Any) -> Any:
    """What a question rebuilt from its spec has for every computation of the key."""
    raise Withheld("the answer key is not available here: only the question's spec is")


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
    #: Inputs written into the notebook (by `grader assign sync`) for the student to
    #: compute with; inputs not listed stay inside the grader.
    given: tuple[str, ...] = ()
    #: Inputs an earlier question's Given cell defines and this one computes with too (the
    #: optimisers' θ0): with `given`, the notebook's data a test cell records, so that data
    #: an earlier cell changed is named (`grader.compare.state`).
    uses: tuple[str, ...] = ()
    #: How inputs vary from student to student (`grader.variation`); the others are the
    #: lab's for everyone.
    varies: Mapping[str, Draw] = field(default_factory=dict)

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
        missing = set(self.given + self.uses) - set(self.inputs)
        if missing:
            raise ValueError(f"{self.id}: given or used names {missing} are not inputs")
        both = set(self.given) & set(self.uses)
        if both:
            raise ValueError(f"{self.id}: names both given and used: {both}")
        unknown = set(self.varies) - set(self.inputs)
        if unknown:
            raise ValueError(f"{self.id}: varying names {unknown} are not inputs")
        if self.practice and self.varies:
            raise ValueError(f"{self.id}: a worked example keeps the lab's numbers")
        if self.practice and self.points:
            raise ValueError(f"{self.id}: a practice question is worth 0 points")

    @property
    def notebook_data(self) -> tuple[str, ...]:
        """The notebook's variables this question computes with, as the bank gives them."""
        return self.given + self.uses

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
