"""The question bank: every question of every assignment, defined once as data, with the
reference computations, catalogued mistakes and hidden probes that are the answer key.

Each assignment is declared here as an `Assignment` and published as an entry point of
group `grader.installed.GROUP` (pyproject.toml), through which the student side's
`grader.installed` finds it where the key is installed. Its module is imported only when
its questions are asked for.
"""

from __future__ import annotations

from grader.installed import UnknownQuestion, all_questions, assignment_of, get, questions
from grader.installed import assignments as _installed
from grader.question import Assignment

__all__ = ["UnknownQuestion", "all_questions", "assignment_of", "assignments", "get", "questions"]

FORWARD_PASS = Assignment("forward-pass", 1, "optigrade.bank.forward_pass", ("fp", "act", "out"))
OPTIMISATION = Assignment("optimisation", 2, "optigrade.bank.optimisation", ("opt",))
BACKPROPAGATION = Assignment("backpropagation", 3, "optigrade.bank.backpropagation", ("bp",))
OPTIMISERS = Assignment("optimisers", 4, "optigrade.bank.optimisers", ("om",))
CLASSIFICATION = Assignment("classification", 5, "optigrade.bank.classification", ("cls",))


def assignments() -> tuple[str, ...]:
    """The ids of the installed assignments, in the course's order."""
    return tuple(_installed())
