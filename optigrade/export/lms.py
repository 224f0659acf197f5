"""`grader export`: a graded class's totals for an LMS gradebook, Canvas (`canvas`: a
copy of Canvas's gradebook export with one assignment column filled) or Moodle (`moodle`:
the CSV of its grade import, matched with its grade export if given).

Both read what `grader grade` left (through `classbook.load`, manual overrides applied).
Students of the gradebook without a grade, and grades with no gradebook row, are
`Unmatched`: returned, printed by the command and written beside the output
(``FILE.unmatched.csv``), never dropped silently. Cells that held another grade (or N/A)
before being filled are `Overwritten`: printed and listed in ``FILE.overwritten.csv``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from optigrade.export import canvas, classbook, moodle, page
from optigrade.export.lmsbook import Export, Grade, LmsError, Overwritten, Unmatched
from optigrade.records.files import write_atomic
from optigrade.records.result import StudentResult

# --- grades ----------------------------------------------------------------------------


def grades(graded: classbook.GradedClass, out_of: float | None = None) -> dict[str, Grade]:
    """Every student with a result: total points (rescaled to `out_of` if given)."""
    scale = out_of / graded.points if out_of is not None and graded.points else 1.0
    return {
        student: Grade(student, round(r.score * scale, 3), feedback(graded, r))
        for student, r in sorted(graded.results.items())
    }


def feedback(graded: classbook.GradedClass, result: StudentResult) -> str:
    """One line for an LMS's feedback field: the total, then each question's points (and
    the instructor's comment where they set the points by hand), and any late penalty."""
    said = [f"{page.points(result.score)} of {page.points(graded.points)} points"]
    for q in graded.questions:
        found = result.entry(q.id)
        score = page.points(found.score) if found else "0"
        line = f"{q.id}: {score} of {page.points(q.points)}"
        manual = found.override if found else None
        if manual is not None:
            line += " (set by the instructor" + (f": {manual.comment})" if manual.comment else ")")
        said.append(line)
    if result.penalty:  # the total above is after it: say so
        said.append(f"late penalty: -{page.points(result.penalty)}")
    return "; ".join(said) + "."


def _ungraded(graded: classbook.GradedClass) -> list[Unmatched]:
    return [
        Unmatched("no result", s, "", "no result file was stored for this student")
        for s in graded.students
        if s not in graded.results
    ]


# --- files -----------------------------------------------------------------------------


def side_file(output: Path) -> Path:
    """Where the unmatched students of an export to `output` are listed."""
    return output.with_name(f"{output.stem}.unmatched.csv")


def overwritten_file(output: Path) -> Path:
    """Where the cells an export to `output` overwrites are listed."""
    return output.with_name(f"{output.stem}.overwritten.csv")


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def unmatched_csv(unmatched: Sequence[Unmatched]) -> str:
    rows = [[u.problem, u.student, u.where, u.detail] for u in unmatched]
    return _csv(["problem", "student", "gradebook_row", "detail"], rows)


def overwritten_csv(overwritten: Sequence[Overwritten]) -> str:
    rows = [[o.student, o.where, o.before, o.after] for o in overwritten]
    return _csv(["student", "gradebook_row", "before", "after"], rows)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as e:
        raise LmsError(f"cannot read the {what} {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise LmsError(f"{path} is not UTF-8 text: export it again as UTF-8 CSV") from None


@dataclass(frozen=True)
class Target:
    """Where the grades go: `canvas` (a gradebook file) and its `column`, or Moodle's
    import (`moodle`), optionally with its grade export as `roster`; `out_of` rescales
    the totals (a positive number: 0 would write 0 for everyone)."""

    output: Path
    canvas: Path | None = None
    column: str | None = None
    roster: Path | None = None
    identifier: str = "username"
    out_of: float | None = None

    def __post_init__(self) -> None:
        if self.out_of is not None and not (math.isfinite(self.out_of) and self.out_of > 0):
            raise LmsError(f"--out-of must be a positive number of points, not {self.out_of:g}")
        if self.identifier not in moodle.IDS:
            raise LmsError(f"unknown identifier {self.identifier!r}: one of {list(moodle.IDS)}")


def run(assignment: str, graded_dir: Path, target: Target) -> Export:
    """Export `assignment`'s grades from `graded_dir` to `target`; write the output and
    its side files (unmatched students, overwritten cells). Raises `LmsError` or
    `classbook.ExportError`."""
    if not graded_dir.is_dir():
        raise LmsError(f"no graded folder {graded_dir}: grade the assignment first (grader grade)")
    graded = classbook.load(graded_dir)
    if graded.assignment != assignment:
        raise LmsError(f"{graded_dir} holds the grades of {graded.assignment}, not {assignment}")
    marks = grades(graded, target.out_of)
    top = target.out_of if target.out_of is not None else graded.points
    if target.canvas is not None:
        column = target.column or assignment
        text = _read(target.canvas, "gradebook")
        done = canvas.fill(text, column, marks, top, str(target.canvas))
    else:
        roster = None if target.roster is None else _read(target.roster, "Moodle export")
        source = str(target.roster)
        done = moodle.import_csv(
            marks, target.column or assignment, target.identifier, roster, source
        )
    done = replace(
        done,
        unmatched=(*done.unmatched, *_ungraded(graded)),
        warnings=(*graded.override_warnings, *done.warnings),
    )
    write_atomic(target.output, done.text)
    write_atomic(side_file(target.output), unmatched_csv(done.unmatched))
    write_atomic(overwritten_file(target.output), overwritten_csv(done.overwritten))
    return done
