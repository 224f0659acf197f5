"""`grader export`: a graded class's totals for an LMS gradebook (Canvas or Moodle).

Both read what `grader grade` left (through `classbook.load`, manual overrides applied).

- Canvas: fill one column of a gradebook CSV exported from Canvas (Grades > Export),
  to import it back. Each student id is matched to the row whose "SIS Login ID", else
  "SIS User ID", else "ID" equals it (after Unicode normalisation, ignoring case). Only the
  filled cells change: Canvas's header rows ("Points Possible", "Manual Posting"), every
  other column, the quoting, the line endings and the byte order mark stay byte for byte.
- Moodle: write the CSV of Moodle's "Import > CSV file": an identifier column ("Username",
  "ID number" or "Email address", mapped to the user field of that name on import), the
  grade and a feedback column. Moodle refuses a whole import if one identifier is unknown,
  so given Moodle's own grade export (Export > Plain text file) only the students found
  there are written, each with that export's value of the identifier.

Students of the gradebook without a grade, and grades with no gradebook row, are
`Unmatched`: returned, printed by the command and written beside the output
(``FILE.unmatched.csv``), never dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from optigrade.export import classbook, csvtext, page
from optigrade.records.files import write_atomic
from optigrade.records.result import StudentResult

CANVAS_IDS = ("SIS Login ID", "SIS User ID", "ID")
#: Columns of a Canvas export that describe the student, never an assignment.
CANVAS_STUDENT_COLUMNS = (
    "Student",
    "LastName",
    "FirstName",
    *CANVAS_IDS,
    "Integration ID",
    "Root Account",
    "Section",
)
#: Moodle's user fields a grade import can identify students by, with their export labels.
MOODLE_IDS = {"username": "Username", "idnumber": "ID number", "email": "Email address"}
_POSTING = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)  # as Canvas reads it
_CANVAS_ID_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "Lab 1 (12345)": the assignment's Canvas id


class LmsError(Exception):
    """An export that cannot be made (bad gradebook, unknown column); says what to do."""


@dataclass(frozen=True)
class Grade:
    """What an LMS gets for one student: points (scaled if asked) and a feedback line."""

    student: str
    points: float
    feedback: str


@dataclass(frozen=True)
class Row:
    """A student row of an LMS gradebook: its line, its identifiers in matching order."""

    line: int
    name: str
    ids: Mapping[str, str]

    def described(self) -> str:
        ids = ", ".join(f"{k} {v}" for k, v in self.ids.items() if v)
        return f"line {self.line}; {ids}" if ids else f"line {self.line}"


@dataclass(frozen=True)
class Unmatched:
    """A student left out of the export, and why."""

    problem: str  # "no submission", "no gradebook row" or "no result"
    student: str  # our student id, or the gradebook's name for the student
    where: str  # the gradebook row (line and identifiers), if any
    detail: str = ""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.problem}: {self.student}{where}" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass(frozen=True)
class Export:
    """The file to write, how many grades it holds, who was left out, warnings."""

    text: str
    written: int
    unmatched: tuple[Unmatched, ...]
    warnings: tuple[str, ...]


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


# --- matching --------------------------------------------------------------------------


def _key(value: str) -> str:
    """Identifiers compared as the same text: NFC, stripped, case-folded."""
    return unicodedata.normalize("NFC", value).strip().casefold()


def match(students: Sequence[str], rows: Sequence[Row]) -> tuple[dict[str, Row], list[Unmatched]]:
    """Each student's gradebook row (by the rows' identifiers, in their order), and the
    students and rows left without a partner."""
    index: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        for column, value in row.ids.items():
            if value.strip():
                index.setdefault(column, {}).setdefault(_key(value), []).append(row)
    columns = list(dict.fromkeys(c for row in rows for c in row.ids))
    paired: dict[str, Row] = {}
    owner: dict[int, str] = {}
    unmatched = []
    for student in students:
        found = next((f for c in columns if (f := index.get(c, {}).get(_key(student)))), [])
        if len(found) > 1:
            lines = ", ".join(str(r.line) for r in found)
            unmatched.append(Unmatched("no gradebook row", student, "", f"matches lines {lines}"))
        elif found and found[0].line in owner:
            other = owner[found[0].line]
            detail = f"its row (line {found[0].line}) is already {other}'s"
            unmatched.append(Unmatched("no gradebook row", student, "", detail))
        elif found:
            paired[student] = found[0]
            owner[found[0].line] = student
        else:
            detail = f"no row has it as {' or '.join(columns)}" if columns else "no rows"
            unmatched.append(Unmatched("no gradebook row", student, "", detail))
    unmatched += [
        Unmatched("no submission", row.name, row.described())
        for row in rows
        if row.line not in owner
    ]
    return paired, unmatched


# --- Canvas ----------------------------------------------------------------------------


def _column(header: Sequence[str], wanted: str, source: str) -> int:
    """The index of the assignment column named `wanted`, in full ("Lab 1 (12345)") or
    without Canvas's id ("Lab 1") when that is unambiguous."""
    names = [h.strip() for h in header]
    found = [i for i, h in enumerate(names) if h == wanted.strip()]
    found = found or [i for i, h in enumerate(names) if _CANVAS_ID_SUFFIX.sub("", h) == wanted]
    if len(found) > 1:
        listed = ", ".join(repr(names[i]) for i in found)
        raise LmsError(f"column {wanted!r} is ambiguous in {source}: {listed}; give it in full")
    if not found:
        assignments = [h for h in names if _CANVAS_ID_SUFFIX.search(h)] or names
        listed = ", ".join(map(repr, assignments))
        raise LmsError(f"no column {wanted!r} in {source}; its assignment columns are {listed}")
    if names[found[0]] in CANVAS_STUDENT_COLUMNS:
        raise LmsError(f"column {names[found[0]]!r} of {source} describes students, not grades")
    return found[0]


def _canvas_rows(
    records: Sequence[csvtext.Record], source: str
) -> tuple[csvtext.Record | None, list[csvtext.Record]]:
    """The "Points Possible" record (if any) and the student records after the header."""
    possible, students = None, []
    width = len(records[0].fields)
    for record in records[1:]:
        values = record.values
        if record.blank or all(_POSTING.match(v) for v in values):
            continue  # an empty line, or the row saying which assignments post manually
        if len(values) != width:
            raise LmsError(
                f"{source}: malformed CSV: line {record.line} has {len(values)} fields, "
                f"the header has {width}"
            )
        if "Points Possible" in values[0]:
            possible = record
        else:
            students.append(record)
    return possible, students


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip().replace(",", "."))
    except ValueError:
        return None


def canvas(
    text: str, column: str, marks: Mapping[str, Grade], top: float, source: str = "gradebook"
) -> Export:
    """The Canvas gradebook `text` with `column` filled from `marks` (see module doc);
    `top` is what the marks are out of. Raises `LmsError` for a file that is not a Canvas
    gradebook export and for an unknown or read-only column."""
    delimiter = csvtext.sniff(text)
    try:
        records = csvtext.parse(text, delimiter)
    except csvtext.MalformedCSV as e:
        raise LmsError(f"{source}: malformed CSV: {e}") from None
    header = records[0].values if records else []
    ids = [c for c in CANVAS_IDS if c in header]
    if not header or not ids or not {"Student", "LastName"} & {h.strip() for h in header}:
        raise LmsError(
            f"{source} is not a gradebook exported from Canvas: its first line has no Student "
            "and ID columns"
        )
    at = _column(header, column, source)
    possible, students = _canvas_rows(records, source)
    warnings = []
    comma = False
    if possible is not None:
        cell = possible.values[at]
        if "read only" in cell:
            raise LmsError(f"column {header[at]!r} is read-only in Canvas (a computed total)")
        comma = bool(re.fullmatch(r"\s*\d+,\d+\s*", cell))
        worth = _number(cell)
        if worth is not None and abs(worth - top) > 1e-6:
            warnings.append(
                f"{header[at]!r} is worth {cell.strip()} points in Canvas, the grades are out "
                f"of {page.points(top)}: pass --out-of {cell.strip()} to rescale them"
            )
    name = header.index("Student") if "Student" in header else header.index("LastName")
    rows = {
        r.line: Row(r.line, r.values[name], {c: r.values[header.index(c)] for c in ids})
        for r in students
    }
    paired, unmatched = match(sorted(marks), list(rows.values()))
    by_line = {r.line: r for r in students}
    changes = {}
    for student, row in paired.items():
        cell = by_line[row.line].fields[at]
        if cell.value.strip().upper() == "EX":
            warnings.append(f"{student} is excused (EX) in Canvas: their cell is left as it is")
            continue
        value = page.points(marks[student].points)
        value = value.replace(".", ",") if comma else value
        changes[cell] = csvtext.quote(value, delimiter, cell.quoted)
    return Export(csvtext.splice(text, changes), len(changes), tuple(unmatched), tuple(warnings))


# --- Moodle ----------------------------------------------------------------------------


def moodle(
    marks: Mapping[str, Grade],
    column: str,
    identifier: str,
    roster: str | None = None,
    source: str = "Moodle export",
) -> Export:
    """Moodle's grade import CSV: `identifier` (a key of `MOODLE_IDS`), the grade in
    `column`, feedback in "`column` (Feedback)". Given `roster` (the text of Moodle's own
    grade export) only its students are written, matched by Username, ID number or Email
    address (the columns it has), each with its value of the identifier."""
    label = MOODLE_IDS[identifier]
    warnings: list[str] = []
    if roster is None:
        chosen = {s: s for s in marks}
        unmatched: list[Unmatched] = []
        if identifier == "email":
            odd = [s for s in marks if "@" not in s]
            if odd:
                warnings.append(
                    f"{len(odd)} student id(s) are not email addresses (e.g. {odd[0]}): Moodle "
                    "refuses the whole import; choose another --identifier or give Moodle's "
                    "grade export to look the addresses up"
                )
    else:
        chosen, unmatched = _moodle_roster(marks, label, roster, source)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label, column, f"{column} (Feedback)"])
    for student, value in chosen.items():
        grade = marks[student]
        writer.writerow([value, page.points(grade.points), grade.feedback])
    return Export(out.getvalue(), len(chosen), tuple(unmatched), tuple(warnings))


def _moodle_roster(
    marks: Mapping[str, Grade], label: str, roster: str, source: str
) -> tuple[dict[str, str], list[Unmatched]]:
    """student -> their value of `label` in Moodle's export, and who is unmatched."""
    try:
        records = csvtext.parse(roster, csvtext.sniff(roster))
    except csvtext.MalformedCSV as e:
        raise LmsError(f"{source}: malformed CSV: {e}") from None
    header = [h.strip() for h in records[0].values] if records else []
    ids = [c for c in MOODLE_IDS.values() if c in header]
    if label not in header:
        found = ", ".join(map(repr, header)) or "none"
        raise LmsError(f"{source} has no column {label!r} (its columns: {found})")
    first = [h for h in ("First name", "Last name") if h in header]
    rows = []
    for r in records[1:]:
        if r.blank:
            continue
        if len(r.fields) != len(header):
            raise LmsError(f"{source}: malformed CSV: line {r.line} has {len(r.fields)} fields")
        name = " ".join(r.values[header.index(h)] for h in first) or r.values[0]
        rows.append(Row(r.line, name, {c: r.values[header.index(c)] for c in ids}))
    paired, unmatched = match(sorted(marks), rows)
    return {s: row.ids[label] for s, row in paired.items()}, unmatched


# --- files -----------------------------------------------------------------------------


def side_file(output: Path) -> Path:
    """Where the unmatched students of an export to `output` are listed."""
    return output.with_name(f"{output.stem}.unmatched.csv")


def unmatched_csv(unmatched: Sequence[Unmatched]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["problem", "student", "gradebook_row", "detail"])
    writer.writerows([u.problem, u.student, u.where, u.detail] for u in unmatched)
    return out.getvalue()


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
    import (`moodle`), optionally with its grade export as `roster`."""

    output: Path
    canvas: Path | None = None
    column: str | None = None
    roster: Path | None = None
    identifier: str = "username"
    out_of: float | None = None


def run(assignment: str, graded_dir: Path, target: Target) -> Export:
    """Export `assignment`'s grades from `graded_dir` to `target`; write the output and
    its side file of unmatched students. Raises `LmsError` or `classbook.ExportError`."""
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
        done = canvas(text, column, marks, top, str(target.canvas))
    else:
        roster = None if target.roster is None else _read(target.roster, "Moodle export")
        source = str(target.roster)
        done = moodle(marks, target.column or assignment, target.identifier, roster, source)
    done = Export(
        done.text,
        done.written,
        (*done.unmatched, *_ungraded(graded)),
        (*graded.override_warnings, *done.warnings),
    )
    write_atomic(target.output, done.text)
    write_atomic(side_file(target.output), unmatched_csv(done.unmatched))
    return done
