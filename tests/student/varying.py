"""Questions of forward-pass that vary, declared for the tests whatever the bank declares:
`install` in a process (nbgrader's, through a ``sitecustomize`` module) or monkeypatch
`questions` over `optigrade.bank.questions`."""

from __future__ import annotations

from dataclasses import replace

from grader.question import Question
from grader.variation import Uniform
from optigrade import bank

WIDE = Uniform(-2.0, 2.0, nonzero=True)
VARYING = {"fp.1.1": ("X", "w", "b"), "act.1": ("z",)}
SITE = "from tests.student import varying\nvarying.install()\n"  #: a sitecustomize module

_lab = bank.questions


def questions(assignment: str) -> tuple[Question, ...]:
    return tuple(
        replace(q, varies={n: WIDE for n in VARYING.get(q.id, ())}) for q in _lab(assignment)
    )


def install() -> None:
    bank.questions = questions
