"""A question's *spec*: what student code may see of it, as plain JSON.

A `Question` of the bank holds its *key* too: the reference computations, the mistakes,
the probes' expected values. The spec keeps only what encoding an answer needs (id,
variable, layout, part names and kinds, and each part's own fields, which its kind in
`grader.kinds` writes and reads: tolerances, shape policies, symbols, probe inputs, time
limits, a model's criteria; the notebook's data it computes with, with the lab's values,
which the notebook gives anyway, so that a test cell can say when an earlier cell changed
it and a notebook with no student's numbers falls back to them; and the names of the
inputs that vary from student to student, never how they are drawn) so that a
process running student code can be given questions without the key. `to_spec` runs on
the trusted side; `from_spec` rebuilds a `Question` whose computations are withheld
(calling one raises `Withheld`).

Values (probe inputs, evaluation data) are tagged JSON (`grader.compare.tagged`), never
pickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader import kinds
from grader.compare import tagged
from grader.kinds.model import Model
from grader.question import Part, Question, Withheld, withheld

__all__ = ["FORMAT", "Withheld", "from_spec", "to_spec", "varies"]

FORMAT = 2  #: 1 had no notebook data (given, uses)


def to_spec(question: Question, hidden: bool = False) -> dict[str, Any]:
    """The spec of `question`; with `hidden`, also what the autograder's hidden tests
    run on (hidden probes' inputs, a model's evaluation features: never their expected
    values), for the batch grader's sandbox only."""
    parts = [_part(p, hidden) for p in question.parts]
    needed = {p.evaluate_on for p in question.parts if isinstance(p, Model)} if hidden else set()
    return {
        "format": FORMAT,
        "id": question.id,
        "assignment": question.assignment,
        "title": question.title,
        "variable": question.variable,
        "layout": question.layout,
        "practice": question.practice,
        "parts": parts,
        "inputs": {k: tagged.dump(question.inputs[k]) for k in sorted(needed)},
        "given": [[k, tagged.dump(question.inputs[k])] for k in question.given],
        "uses": [[k, tagged.dump(question.inputs[k])] for k in question.uses],
        "varies": sorted(question.varies),
    }


def varies(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of a spec's inputs that vary from student to student (none: the lab's
    numbers for everyone). `from_spec` keeps no draws: they stay with the instructor."""
    return tuple(str(name) for name in spec.get("varies", ()))


def _part(part: Part, hidden: bool) -> dict[str, Any]:
    kind = kinds.of(part)
    common = {
        "kind": kind.name,
        "name": part.name,
        "points": part.points,
        "label": part.label,
        "follows": list(part.follows),
    }
    return common | kind.spec(part, hidden)


def from_spec(spec: Mapping[str, Any]) -> Question:
    """The question a spec describes, its computations withheld."""
    if spec.get("format") != FORMAT:
        raise ValueError(f"unsupported spec format {spec.get('format')!r}")
    inputs = {str(k): tagged.load(v) for k, v in spec["inputs"].items()}
    data = {str(k): tagged.load(v) for k, v in [*spec["given"], *spec["uses"]]}
    return Question(
        id=str(spec["id"]),
        assignment=str(spec["assignment"]),
        title=str(spec["title"]),
        variable=str(spec["variable"]),
        parts=tuple(_rebuilt(p) for p in spec["parts"]),
        inputs={**inputs, **data},
        layout=spec["layout"],
        practice=bool(spec["practice"]),
        given=tuple(str(k) for k, _ in spec["given"]),
        uses=tuple(str(k) for k, _ in spec["uses"]),
    )


def _rebuilt(spec: Mapping[str, Any]) -> Part:
    common: dict[str, Any] = {
        "name": str(spec["name"]),
        "points": float(spec["points"]),
        "compute": withheld,
        "label": str(spec["label"]),
        "follows": tuple(spec["follows"]),
    }
    return kinds.named(str(spec["kind"])).from_spec(spec, common)
