"""The question bank: every question of every assignment, defined once as data.

Assignment modules are imported lazily so that checking one question does not pay for
building the others.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from grader.bank.model import Question

#: Assignment ids in the order of the course's labs, with the module defining each.
ASSIGNMENTS: dict[str, str] = {
    "forward-pass": "grader.bank.forward_pass",
    "optimisation": "grader.bank.optimisation",
    "backpropagation": "grader.bank.backpropagation",
    "optimisers": "grader.bank.optimisers",
    "classification": "grader.bank.classification",
}

#: Question-id prefix -> assignment, so `get("fp.1.1")` imports one module only.
_PREFIXES: dict[str, str] = {
    "fp": "forward-pass",
    "act": "forward-pass",
    "out": "forward-pass",
    "opt": "optimisation",
    "bp": "backpropagation",
    "om": "optimisers",
    "cls": "classification",
}


class UnknownQuestion(KeyError):
    """Raised for a question id or assignment the bank does not define."""

    def __str__(self) -> str:  # KeyError quotes its message; a CLI wants it plain
        return str(self.args[0])


@cache
def questions(assignment: str) -> tuple[Question, ...]:
    """The questions of one assignment, in the lab's order."""
    if assignment not in ASSIGNMENTS:
        known = ", ".join(ASSIGNMENTS)
        raise UnknownQuestion(f"unknown assignment {assignment!r} (known: {known})")
    found: tuple[Question, ...] = import_module(ASSIGNMENTS[assignment]).QUESTIONS
    return found


def all_questions() -> tuple[Question, ...]:
    return tuple(q for a in ASSIGNMENTS for q in questions(a))


def assignment_of(qid: str) -> str | None:
    """The assignment a question id belongs to by its prefix (None for none), without
    importing the assignment's module."""
    return _PREFIXES.get(qid.split(".", 1)[0])


def get(qid: str) -> Question:
    """The question with this id."""
    assignment = assignment_of(qid)
    if assignment is not None:
        for q in questions(assignment):
            if q.id == qid:
                return q
    raise UnknownQuestion(f"unknown question id {qid!r}")
