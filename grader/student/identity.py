"""Who runs a notebook, so that it shows and checks that student's own numbers.

In this order: the student of nbgrader's ``submitted/<student>/<assignment>/`` (where
`nbgrader autograde` runs a submission) or ``autograded/<student>/<assignment>/`` folder
when the notebook runs there (the submission's, never what the notebook claims: the
instructor's `JUPYTERHUB_USER` is set there too); ``JUPYTERHUB_USER`` (what JupyterHub
sets); the id set once with `grader.login("ID")`, remembered in the release folder
(`LOGIN`). Nothing else: a notebook with none of them uses the lab's numbers and says so.

A release with a roster holds one file per student (``variants/<token>.json``, written by
`grader assign release --roster`); its name is derived from the assignment and the id, so
the student's side finds its own file from its id alone.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV = "JUPYTERHUB_USER"
LOGIN = ".optigrade-login"
GRADED = ("submitted", "autograded")  #: nbgrader's folders of one student's submission
VARIANTS = "variants"  #: the folder of the per-student files, beside the sealed key

_said: set[str] = set()


def autograded(folder: Path | None = None) -> tuple[Path, str] | None:
    """(the course folder, the student) where `folder` (default: the working directory)
    is nbgrader's ``<course>/{submitted,autograded}/<student>/<assignment>/``; else None."""
    here = (folder or Path.cwd()).resolve()
    if len(here.parents) >= 3 and here.parents[1].name in GRADED:
        return here.parents[2], here.parent.name
    return None


def student(folder: Path | None = None) -> str | None:
    """The id of the student running the notebook in `folder` (see the module doc)."""
    found = autograded(folder)
    if found is not None:
        return found[1]
    if os.environ.get(ENV, "").strip():
        return os.environ[ENV].strip()
    remembered = (folder or Path.cwd()) / LOGIN
    try:
        return remembered.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def login(student_id: str, folder: Path | None = None) -> str:
    """Remember `student_id` in `folder` (the release folder the notebook runs from)."""
    if not isinstance(student_id, str) or not student_id.strip() or "\n" in student_id:
        raise ValueError("grader.login takes your student id, as one line of text")
    (folder or Path.cwd()).joinpath(LOGIN).write_text(student_id.strip() + "\n", "utf-8")
    return student_id.strip()


def token(assignment: str, student_id: str) -> str:
    """The name of a student's file of a release (any id: spaces, quotes, accents)."""
    return hashlib.sha256(f"optigrade-variant:{assignment}:{student_id}".encode()).hexdigest()[:20]


def variant_file(folder: Path, assignment: str, student_id: str) -> Path:
    return folder / VARIANTS / f"{token(assignment, student_id)}.json"


def say_once(line: str) -> None:
    """Print a line the first time only: a notebook says why once, not at every cell."""
    if line not in _said:
        _said.add(line)
        print(line)
