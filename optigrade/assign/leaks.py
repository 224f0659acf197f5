"""The release scan: nothing a student should not see reaches `release/`.

Looks for nbgrader markers, solution and hidden-test code from the source notebook,
cell outputs, and the values of graded answers written out in code or markdown; in every
file of the release, the course secret; in each student's file of a release with a roster
(`optigrade.assign.seal.write_variants`), the values of that student's graded answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat
import numpy as np

from grader.kinds import Numeric
from grader.question import Question
from grader.student.identity import VARIANTS, variant_file
from optigrade import bank, variants
from optigrade.assign import secrets
from optigrade.assign.cells import HIDDEN_BEGIN, HIDDEN_END

MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)
_REGIONS = (("### BEGIN SOLUTION", "### END SOLUTION"), (HIDDEN_BEGIN, HIDDEN_END))


def _lines(source: str) -> Iterator[tuple[bool, str]]:
    """(inside a solution or hidden-test region?, stripped line) for a source cell."""
    inside = False
    for line in source.splitlines():
        stripped = line.strip()
        if any(stripped.startswith(begin) for begin, _ in _REGIONS):
            inside = True
        elif any(stripped.startswith(end) for _, end in _REGIONS):
            inside = False
        else:
            yield inside, stripped


def _secret_lines(source: nbformat.NotebookNode) -> set[str]:
    """Meaningful lines of solution and hidden-test regions that the source does not also
    show openly (a worked example may legitimately share a line with a solution)."""
    lines = [pair for cell in source.cells for pair in _lines(cell.source)]
    public = {line for inside, line in lines if not inside}
    return {
        line
        for inside, line in lines
        if inside and len(line) >= 12 and not line.startswith("#") and line not in public
    }


def _distinctive_floats(question: Question) -> Iterator[float]:
    """Non-integer answer values precise enough that finding them in text is a leak."""
    given = {
        round(float(v), 12)
        for value in question.inputs.values()
        if isinstance(value, np.ndarray | float | int) and np.asarray(value).dtype.kind in "fiu"
        for v in np.ravel(value)
    }
    for part in question.parts:
        if not isinstance(part, Numeric):
            continue
        for v in np.ravel(np.asarray(question.answer[part.name], dtype=np.float64)):
            v = float(v)
            if np.isfinite(v) and v != round(v) and round(v, 12) not in given:
                yield v


def _spellings(v: float) -> set[str]:
    """How the value could be written (3 to 6 decimals, or its full repr), keeping only
    spellings with at least three significant digits: shorter ones occur by chance."""
    candidates = {repr(v)} | {f"{v:.{d}f}".rstrip("0") for d in range(3, 7)}
    return {text for text in candidates if len(text.lstrip("-0.").replace(".", "")) >= 3}


def _texts(notebook: nbformat.NotebookNode) -> Iterator[tuple[int, str]]:
    for index, cell in enumerate(notebook.cells):
        yield index, cell.source


def scan_notebook(
    release: nbformat.NotebookNode, source: nbformat.NotebookNode, questions: Iterable[Question]
) -> list[str]:
    """Every leak found in one released notebook, as readable sentences."""
    problems: list[str] = []
    for index, text in _texts(release):
        for marker in MARKERS:
            if marker in text:
                problems.append(f"cell {index}: nbgrader marker '{marker}'")
    secret_lines = _secret_lines(source)
    for index, text in _texts(release):
        for line in secret_lines:
            if line in text:
                problems.append(f"cell {index}: solution or hidden-test code '{line[:60]}'")
    for index, cell in enumerate(release.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            problems.append(f"cell {index}: has outputs")
    for question in questions:
        if question.practice:
            continue
        for index, text in _texts(release):
            if _answer_in(question, text):
                problems.append(f"cell {index}: the value of a graded answer of {question.id}")
    return problems


def _answer_in(question: Question, text: str) -> bool:
    """Whether a distinctive value of a graded answer of `question` is written in `text`."""
    for v in _distinctive_floats(question):
        spellings = _spellings(v)
        if not spellings:
            continue
        pattern = "|".join(re.escape(s) for s in sorted(spellings))
        if re.search(rf"(?<![\d.])(?:{pattern})(?!\d)", text):
            return True
    return False


def scan_variants(course: Path, assignment: str) -> list[str]:
    """Leaks in the files of `release/<assignment>/` beside its notebooks: the course
    secret anywhere; a student's own answers in their file (roster kept in the secrets)."""
    folder = course / "release" / assignment
    kept = secrets.load(course)
    problems = [
        f"release/{assignment}/{path.relative_to(folder)}: the course secret"
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and (kept.course in (data := path.read_bytes()) or kept.course.hex().encode() in data)
    ]
    for student in kept.rosters.get(assignment, []) if (folder / VARIANTS).is_dir() else []:
        path = variant_file(folder, assignment, student)
        if not path.is_file():
            problems.append(f"release/{assignment}/{VARIANTS}: no file for {student!r}")
            continue
        text = path.read_text(encoding="utf-8")
        with np.errstate(all="ignore"):  # a draw whose mistakes overflow is drawn again
            drawn = variants.questions(assignment, kept.course, student)
        for q in drawn.values():
            if q.varies and not q.practice and _answer_in(q, text):
                problems.append(f"{path.name}: the value of a graded answer of {q.id}")
    return problems


def scan(course: Path, assignment: str) -> list[str]:
    """Leaks in `release/<assignment>/` compared with `exercises/<assignment>/`."""
    problems: list[str] = []
    released = sorted((course / "release" / assignment).glob("*.ipynb"))
    if not released:
        return [f"release/{assignment}: no notebook"]
    for path in released:
        source_path = course / "exercises" / assignment / path.name
        release_nb = nbformat.read(path, as_version=4)
        source_nb = nbformat.read(source_path, as_version=4)
        found = scan_notebook(release_nb, source_nb, bank.questions(assignment))
        problems += [f"release/{assignment}/{path.name}: {p}" for p in found]
    return problems + scan_variants(course, assignment)
