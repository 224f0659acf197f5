"""Feedback returned to the students: the pages also in nbgrader's layout, and in one zip
for an LMS.

- nbgrader: ``<course>/feedback/<student>/<assignment>/<notebook>.html`` beside the
  ``timestamp.txt`` and ``submission_secret.txt`` of the student's submission, as
  ``nbgrader generate_feedback`` leaves them (nbgrader's default feedback folder): then
  ``nbgrader release_feedback ASSIGNMENT`` puts each page in the exchange and each
  student's ``nbgrader fetch_feedback ASSIGNMENT`` brings theirs home. Only for the
  submissions nbgrader collected, whose folder holds both files (release_feedback stops
  at a page without them).
- An LMS: ``feedback-<assignment>.zip`` in the graded folder, one page per student named
  after the file their notebook was downloaded as (``<download>_feedback.html``, keeping
  the end of its path from where it names the student): Canvas ("Re-Upload Submissions")
  and Moodle ("Upload multiple feedback files in a zip") give each file to the student
  its name starts with. A notebook nbgrader collected is ``<student>/<assignment>/<its
  name>_feedback.html``; a page whose download names no student (or two pages that would
  share a name) is named by the student's readable page name (`classbook.page_names`).

The zip is the same bytes for the same pages (fixed dates, sorted entries).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from optigrade.export.classbook import GradedClass, plain
from optigrade.records.files import as_created, write_atomic

#: nbgrader's files beside a collected submission, which release_feedback reads.
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
#: An archive member's origin: "<archive>.zip:<member>".
_MEMBER = re.compile(r"(?is)^.*?\.zip:(.+)$")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: the same bytes each time


def zip_path(graded: GradedClass) -> Path:
    return graded.out / f"feedback-{graded.assignment}.zip"


def _downloaded(origin: str) -> PurePosixPath:
    """Where a notebook was found: an archive member's path, else the file's."""
    member = _MEMBER.match(origin)
    return PurePosixPath(member.group(1) if member else Path(origin).as_posix())


def _names_student(text: str, student: str) -> bool:
    """Whether `text` holds the student id as a whole token (not inside a longer one)."""
    return re.search(rf"(?<![^\W_]){re.escape(student)}(?![^\W_])", text) is not None


def _entry(graded: GradedClass, student: str) -> str:
    """The page's name in the zip (see the module doc)."""
    path = _downloaded(graded.results[student].submission.origin)
    if path.suffix.lower() == ".ipynb":
        parts = [*path.parent.parts, path.stem]
        if parts[-3:-1] == [student, graded.assignment]:  # nbgrader's submitted/<id>/<a>/
            return "/".join(plain(p) for p in parts[-3:]) + "_feedback.html"
        for start in range(len(parts) - 1, -1, -1):
            tail = parts[start:]
            if _names_student("/".join(tail), student):
                return "/".join(plain(p) for p in tail) + "_feedback.html"
    return graded.pages[student]


def entries(graded: GradedClass) -> dict[str, str]:
    """Each student with a page -> its name in the zip (unique, readable)."""
    students = [s for s in graded.students if s in graded.results]
    named = {s: _entry(graded, s) for s in students}
    taken = [n.casefold() for n in named.values()]
    return {s: n if taken.count(n.casefold()) == 1 else graded.pages[s] for s, n in named.items()}


def write_zip(graded: GradedClass, pages: Path) -> list[str]:
    """The class's zip of the pages in `pages` (see the module doc); a warning per page
    that is missing (its page could not be written)."""
    warnings, target = [], zip_path(graded)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    os.close(fd)
    as_created(tmp)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for student, name in sorted(entries(graded).items(), key=lambda e: e[1]):
                page = pages / graded.pages[student]
                if not page.is_file():
                    warnings.append(f"{target.name}: no page of {student} to put in it")
                    continue
                info = zipfile.ZipInfo(name, _EPOCH)
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                archive.writestr(info, page.read_bytes())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return warnings


def write_nbgrader(graded: GradedClass, pages: Path, course: Path) -> list[str]:
    """The pages in nbgrader's feedback layout under `course` (see the module doc); a
    warning when some submissions were collected by nbgrader and others were not."""
    placed, left = 0, []
    for student in graded.students:
        result = graded.results.get(student)
        if result is None or _MEMBER.match(result.submission.origin):
            continue
        submitted = Path(result.submission.origin)
        beside = [submitted.parent / name for name in NBGRADER_FILES]
        if not (submitted.suffix == ".ipynb" and all(f.is_file() for f in beside)):
            left.append(student)
            continue
        page = pages / graded.pages[student]
        if student != plain(student) or not page.is_file():
            left.append(student)  # no folder can be named so, or no page was written
            continue
        folder = course / "feedback" / student / graded.assignment
        write_atomic(folder / f"{submitted.stem}.html", page.read_text(encoding="utf-8"))
        for found in beside:
            shutil.copyfile(found, folder / found.name)
        placed += 1
    if placed and left:
        return [
            f"feedback not placed for nbgrader's release_feedback for {len(left)} students "
            f"({', '.join(left)}): no page, or their submissions have no "
            f"{' and '.join(NBGRADER_FILES)} (not collected by nbgrader); their pages are in "
            f"{pages} and {zip_path(graded).name}"
        ]
    return []
