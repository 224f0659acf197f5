"""The answer key of an assignment, derived from the bank: JSON for tools, a table for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from grader.compare.layout import assemble
from grader.kinds import Expression, Function, Model, NumberSet
from grader.question import Question
from optigrade import bank


def _plain(value: Any) -> Any:
    """A JSON value: numbers, strings, nested lists, objects."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)  # SymPy expressions print in their own syntax


def _part_answer(question: Question, name: str) -> Any:
    part = question.part(name)
    if isinstance(part, Function):
        return {"checked by calling it on": [p.describe for p in part.probes]}
    if isinstance(part, Model):
        return {"checked by": [c.describe for c in part.criteria]}
    value = question.answer[name]
    if isinstance(part, NumberSet):
        return sorted(float(v) for v in value)
    if isinstance(part, Expression):
        return str(value)
    return _plain(value)


def answer_of(question: Question) -> Any:
    """The reference answer shaped as the student gives it (see `Question.layout`)."""
    return assemble(question, {p.name: _part_answer(question, p.name) for p in question.parts})


def key(assignment: str, student: Iterable[Question] | None = None) -> dict[str, Any]:
    """{"assignment": ..., "questions": {id: {"points": p, "answer": value}}}: the lab's, or
    those of a `student`'s own questions (`optigrade.variants.questions`), where a varying
    question's entry has its "inputs" too (the student's numbers)."""
    questions = bank.questions(assignment) if student is None else student
    found: dict[str, Any] = {}
    for q in questions:
        found[q.id] = {"points": q.points, "answer": answer_of(q)}
        if student is not None and q.varies:
            names = q.given or tuple(q.varies)  # act.3's are other questions' answers
            found[q.id]["inputs"] = _plain({name: q.inputs[name] for name in names})
    return {"assignment": assignment, "questions": found}


def to_json(assignment: str, student: Iterable[Question] | None = None) -> str:
    return json.dumps(key(assignment, student), indent=2)


def _short(value: Any, digits: int = 6) -> str:
    """A compact rendering for a terminal: numbers to `digits` significant figures."""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v, digits) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_short(v, digits)}" for k, v in value.items())
    return str(value)


def render_table(
    assignment: str, student: Iterable[Question] | None = None, title: str = ""
) -> Any:
    """A rich Table of the key, one row per question (a student's: their inputs too)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Answer key: {assignment}{title}", show_lines=True)
    table.add_column("id", no_wrap=True)
    table.add_column("points", justify="right")
    if student is not None:
        table.add_column("inputs")
    table.add_column("answer")
    for qid, entry in key(assignment, student)["questions"].items():
        inputs = [escape(_short(entry.get("inputs", "the lab's")))] if student is not None else []
        table.add_row(qid, f"{entry['points']:g}", *inputs, escape(_short(entry["answer"])))
    return table
