"""A graded class's deadline: its due date, each student's extension, and each
submission's `Lateness` under the one declared late policy (`optigrade.records.lateness`).

The due date is ``--due`` (`GradeOptions.due`), else the one nbgrader's gradebook holds
for the assignment (``nbgrader db assignment add ASSIGNMENT --duedate ...``); with
neither, no lateness is computed (a late policy or an extensions file is then a
warning). Each submission's time is nbgrader's ``timestamp.txt`` or its LMS download's
(`optigrade.grade.submissions`). Extensions are in ``<out>/extensions.csv``, beside
overrides.csv: columns ``student``, ``extension`` (``48h``, ``2d``, or the student's own
due date as a time) and ``comment``; a bad row is a warning naming it. Editing the file
and running ``grader grade`` again updates every lateness without running a notebook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from optigrade.grade.submissions import Submission
from optigrade.records import sheet
from optigrade.records.lateness import Lateness, LatePolicy, parse_time, shown

FILE = "extensions.csv"
COLUMNS = ("student", "extension", "comment")
_DURATION = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>h|d)$", re.IGNORECASE)


class DeadlineError(ValueError):
    """A deadline that cannot be applied as declared; the message says why."""


@dataclass(frozen=True)
class Deadline:
    """A class's due date (None: no deadline), its late policy, each student's extension
    in hours, and the warnings about them."""

    due: datetime | None
    policy: LatePolicy
    extensions: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def lateness(self, sub: Submission) -> Lateness | None:
        """A submission's lateness (None: no deadline, or nothing was submitted)."""
        if self.due is None or sub.data is None:
            return None
        time, note = sub.stamp.time, sub.stamp.note or "its download gives no time"
        extension = self.extensions.get(sub.student, 0.0)
        return Lateness(self.policy, self.due, extension, time, "" if time else note)


def resolve(
    assignment: str,
    due: datetime | None,
    policy: LatePolicy,
    course: Path | None,
    out: Path,
    students: Iterable[str],
) -> Deadline:
    """The deadline of `assignment`: `due`, else the gradebook's of the nbgrader `course`;
    the extensions in `out`. Raises `DeadlineError` for a policy that contradicts it."""
    if due is None and course is not None:
        due = gradebook_due(course, assignment)
    if due is None:
        unused = [f"the late policy {policy.text!r}"] if policy.kind != "none" else []
        unused += [str(out / FILE)] if (out / FILE).exists() else []
        why = "no due date (give --due, or set it in nbgrader's gradebook)"
        return Deadline(None, policy, {}, tuple(f"{u} not applied: {why}" for u in unused))
    if policy.cutoff is not None and policy.cutoff < due:
        raise DeadlineError(
            f"the late policy's zero-after time {shown(policy.cutoff)} is before the due date "
            f"{shown(due)}: students on time would get no points"
        )
    extensions, warnings = read_extensions(out / FILE, due, set(students))
    return Deadline(due, policy, extensions, tuple(warnings))


def gradebook_due(course: Path, assignment: str) -> datetime | None:
    """The assignment's due date in the nbgrader gradebook of `course` (None: there is no
    gradebook, no such assignment, or no due date in it)."""
    from nbgrader.api import Gradebook, MissingEntry  # a second to import: only for a course
    from sqlalchemy.engine import make_url

    from optigrade.assign.coursedir import course_directory

    coursedir = course_directory(course)
    url = make_url(coursedir.db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None  # opening it would create an empty gradebook
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            found = gb.find_assignment(assignment).duedate
        except MissingEntry:
            return None
    return found.replace(tzinfo=UTC) if found is not None else None  # nbgrader keeps UTC


def read_extensions(
    path: Path, due: datetime, students: set[str]
) -> tuple[dict[str, float], list[str]]:
    """Each student's extension in hours from `path` (no file: none), and a warning per
    row left out. Never raises."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        table = list(sheet.rows(text, FILE, COLUMNS, COLUMNS[:2]))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, sheet.SheetError) as e:
        return {}, [f"{FILE} not read ({e}): no extension applied"]
    found: dict[str, float] = {}
    warnings = []
    for row, values in table:
        student, given = values["student"], values["extension"]
        hours = _hours(given, due) if student in students else f"no student {student!r}"
        if isinstance(hours, str):
            warnings.append(f"{FILE} row {row} ({student}, {given}): {hours}: row ignored")
            continue
        if student in found:
            warnings.append(f"{FILE} row {row} gives {student} a second extension: this row counts")
        found[student] = hours
    return found, warnings


def _hours(given: str, due: datetime) -> float | str:
    """An extension in hours (``48h``, ``2d``, or the student's own due date), or why not."""
    duration = _DURATION.match(given)
    if duration:
        per = 24 if duration["unit"].lower() == "d" else 1
        return float(duration["amount"]) * per
    try:
        own = parse_time(given)
    except ValueError as e:
        return f"not a duration (48h, 2d) nor a due date: {e}"
    if own < due:
        return f"{shown(own)} is before the class's due date {shown(due)}"
    return (own - due) / timedelta(hours=1)
