"""A graded class as `grader grade` left it on disk: `summary.json` and `results/*.json`.

Every export reads this and nothing else, so exports can be rebuilt from the files alone
(and are byte-identical for the same files). Outcomes are said in the words of
`grader.vocabulary`, stored in the results; each student's feedback page has a name
readable for any id (`page_names`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.question import Question
from optigrade import bank
from optigrade.records import files, stored
from optigrade.records.result import StudentResult


class ExportError(Exception):
    """An export that cannot be made; the message says what to do about it."""


@dataclass(frozen=True)
class GradedClass:
    """The batch's output for one assignment; `results` holds every readable result file,
    the instructor's overrides applied (a student listed in `failed` may have one, e.g. a
    notebook that timed out); `override_warnings` says what overrides.csv got wrong."""

    assignment: str
    out: Path
    questions: tuple[Question, ...]  # graded questions, in bank order
    students: tuple[str, ...]
    results: Mapping[str, StudentResult]
    failed: Mapping[str, str]  # student -> "status: reason"
    warnings: tuple[str, ...]
    override_warnings: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        return float(sum(q.points for q in self.questions))

    @cached_property
    def pages(self) -> Mapping[str, str]:
        """Each student's feedback page file name (`page_names`)."""
        return page_names(self.students)


def load(out: Path) -> GradedClass:
    """Read `out/summary.json` and the result file of every student it lists."""
    path = out / files.SUMMARY
    if not path.is_file():
        raise ExportError(f"no {path}: grade the assignment first (grader grade)")
    try:
        summary = files.read_summary(out)
    except (OSError, ValueError) as e:
        raise ExportError(f"{path} cannot be read ({e}): grade the assignment again") from e
    questions = tuple(bank.get(q.id) for q in summary.questions)
    found = stored.load(out, questions, summary.students)
    return GradedClass(
        assignment=summary.assignment,
        out=out,
        questions=questions,
        students=summary.students,
        results=found.results,
        failed=summary.failed,
        warnings=summary.warnings,
        override_warnings=found.warnings,
    )


#: What no file name may hold on Linux, macOS or Windows (and control characters).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
#: Names Windows keeps for devices, whatever the extension.
_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?")


def plain(student: str) -> str:
    """The id as a file name: NFC, a disk's forbidden characters as "_", no leading or
    trailing dot or space, at most `files.STEM_CHARS` characters."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", student)).strip(" .")
    return name[: files.STEM_CHARS] or "_"


def page_names(students: Iterable[str]) -> dict[str, str]:
    """Each student's feedback page name, readable for any id: the id itself where every
    disk takes it as it is ("zoë.html", "o'brien.html", "a b.html"); else the id with "_"
    for what a disk cannot hold, then "~" and a short hash of the id, as also for ids
    that differ only in case (a case-insensitive disk takes them for one name)."""
    plain_names = {s: plain(s) for s in students}
    folded = Counter(p.casefold() for p in plain_names.values())
    names = {}
    for student, name in plain_names.items():
        if name != student or folded[name.casefold()] > 1 or _DEVICES.fullmatch(name):
            digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            name = f"{name}~{digest}"
        names[student] = name + ".html"
    return names
