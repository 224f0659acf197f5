"""The questions this process knows: the installed bank's (the instructor's machine), or
those of the sealed keys in the notebook's folder (a student's machine)."""

from __future__ import annotations

import os
from pathlib import Path

from grader import installed
from grader.question import Question

#: Set to 1 to check from the sealed key even where the answer key is installed.
SEALED = "OPTIGRADE_SEALED"


def sealed() -> bool:
    """Whether checks use the sealed key: wherever the bank is not installed (the student
    runtime), and on request (`SEALED`) to see what a student sees."""
    return os.environ.get(SEALED) == "1" or not installed.installed()


def assignments(folder: Path | None = None) -> dict[str, tuple[Question, ...]]:
    """The known assignments' questions, by assignment; `folder` holds the sealed keys
    (default: the working directory)."""
    if not sealed():
        return {a: installed.questions(a) for a in installed.assignments()}
    from grader.student import sealedkey

    return {k.assignment: tuple(k.questions.values()) for k in sealedkey.here(folder)}


def questions(folder: Path | None = None) -> tuple[Question, ...]:
    return tuple(q for found in assignments(folder).values() for q in found)
