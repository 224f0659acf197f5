"""Canvas: a copy of a gradebook exported from Canvas (Grades > Export) with one
assignment column filled, to import it back.

Each student id is matched to the row whose "SIS Login ID", else "SIS User ID", else "ID"
equals it (after Unicode normalisation, ignoring case). Only the filled cells change:
Canvas's header rows ("Points Possible", "Manual Posting"), every other column, the
quoting, the line endings and the byte order mark stay byte for byte. A row shorter than
the header (Canvas imports them, reading the missing cells as empty) is kept as it is;
if it is a student's, the fields up to the filled column are appended to it. Only a
column with points in the "Points Possible" row is filled: Canvas's custom columns
(notes, student numbers) and its totals are refused, as what they hold is not a grade.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from optigrade.export import csvtext
from optigrade.export.lmsbook import (
    Export,
    Grade,
    LmsError,
    Overwritten,
    Row,
    held,
    match,
    plain,
    points,
)

IDS = ("SIS Login ID", "SIS User ID", "ID")
_NAMES = ("LastName", "FirstName")
#: Columns of a Canvas export that describe the student, never an assignment.
STUDENT_COLUMNS = ("Student", *_NAMES, *IDS, "Integration ID", "Root Account", "Section")
#: Totals Canvas computes, by its importer's names for them (which also match their
#: "Unposted" and per-group variants): it ignores these columns on import.
_TOTALS = re.compile(
    "Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade"
    "|Override Score|Override Grade|Override Status"
)
_POSTING = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)  # as Canvas reads it
_ID_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "Lab 1 (12345)": the assignment's Canvas id


def _is_assignment(name: str, possible: csvtext.Record | None, i: int) -> bool:
    """Column `i` holds an assignment's grades: points in the Points Possible row (or,
    without that row, Canvas's id after the title), not a student or total column."""
    if name in STUDENT_COLUMNS or _TOTALS.search(name):
        return False
    if possible is None:
        return bool(_ID_SUFFIX.search(name))
    return points(possible.cell(i)) is not None


def _column(names: Sequence[str], wanted: str, source: str, assignments: str) -> int:
    """The index of the column named `wanted`, in full ("Lab 1 (12345)") or without
    Canvas's id ("Lab 1") when that is unambiguous."""
    found = [i for i, h in enumerate(names) if h == wanted.strip()]
    found = found or [i for i, h in enumerate(names) if _ID_SUFFIX.sub("", h) == wanted.strip()]
    if len(found) > 1:
        listed = ", ".join(repr(names[i]) for i in found)
        raise LmsError(f"column {wanted!r} is ambiguous in {source}: {listed}; give it in full")
    if not found:
        raise LmsError(f"no column {wanted!r} in {source}; {assignments}")
    return found[0]


def _worth(
    names: Sequence[str], at: int, possible: csvtext.Record | None, source: str, assignments: str
) -> tuple[float, str]:
    """The points column `at` is worth in Canvas, as a number and as written; raises
    `LmsError` unless it is an assignment's column (a grade in any other column would
    replace what it holds, or be ignored by Canvas)."""
    name = names[at]
    if name in STUDENT_COLUMNS:
        raise LmsError(f"column {name!r} of {source} describes students, not grades")
    cell = possible.cell(at).strip() if possible is not None else ""
    if "read only" in cell:
        raise LmsError(f"column {name!r} is read-only in Canvas (a total it computes)")
    if _TOTALS.search(name):
        raise LmsError(
            f"column {name!r} is named as one of Canvas's totals, which its import ignores"
        )
    if possible is None:
        raise LmsError(
            f"{source} has no Points Possible row (Canvas writes it under the header), so "
            f"an assignment cannot be told from a custom column: export it from Canvas again"
        )
    worth = points(cell)
    if worth is None:
        shown = f"holds {cell!r}" if cell else "is empty"
        raise LmsError(
            f"column {name!r} of {source} is not an assignment: its Points Possible cell "
            f"{shown}, like Canvas's custom columns (notes, student numbers), whose cells "
            f"grades must not replace; {assignments}"
        )
    return worth, cell


def _canvas_rows(
    records: Sequence[csvtext.Record], source: str
) -> tuple[csvtext.Record | None, list[csvtext.Record]]:
    """The "Points Possible" record (if any) and the student records after the header.
    Records shorter than the header are read as Canvas reads them (the missing cells
    empty); a longer one means a cell split in two, so the file is refused."""
    possible, students = None, []
    width = len(records[0].fields)
    for record in records[1:]:
        values = record.values
        if record.blank or all(_POSTING.match(v) for v in values):
            continue  # an empty line, or the row saying which assignments post manually
        if len(values) > width:
            raise LmsError(
                f"{source}: malformed CSV: line {record.line} has {len(values)} fields, "
                f"the header has {width}"
            )
        if "Points Possible" in values[0]:
            possible = record
        else:
            students.append(record)
    return possible, students


def _name(record: csvtext.Record, names: Sequence[str]) -> str:
    if "Student" in names:
        return record.cell(names.index("Student"))
    last, first = (record.cell(names.index(h)) if h in names else "" for h in _NAMES)
    return ", ".join(n for n in (last, first) if n)


def fill(
    text: str, column: str, marks: Mapping[str, Grade], top: float, source: str = "gradebook"
) -> Export:
    """The Canvas gradebook `text` with `column` filled from `marks` (see module doc);
    `top` is what the marks are out of. Raises `LmsError` for a file that is not a Canvas
    gradebook export and for a column that is not an assignment's."""
    delimiter = csvtext.sniff(text)
    try:
        records = csvtext.parse(text, delimiter)
    except csvtext.MalformedCSV as e:
        raise LmsError(f"{source}: malformed CSV: {e}") from None
    names = [h.strip() for h in records[0].values] if records else []
    ids = [c for c in IDS if c in names]
    if not ids or not {"Student", "LastName"} & set(names):
        raise LmsError(
            f"{source} is not a gradebook exported from Canvas: its first line has no Student "
            "and ID columns"
        )
    possible, students = _canvas_rows(records, source)
    listed = [n for i, n in enumerate(names) if _is_assignment(n, possible, i)]
    assignments = (
        f"its assignment columns are {', '.join(map(repr, listed))}"
        if listed
        else "it has no assignment columns"
    )
    at = _column(names, column, source, assignments)
    worth, written = _worth(names, at, possible, source, assignments)
    comma = "," in written  # a locale with decimal commas: "10,00"
    warnings = []
    if worth == 0:
        warnings.append(
            f"{names[at]!r} is worth 0 points in Canvas, which counts its grades as extra "
            f"credit (here out of {plain(top)}): give the assignment its points in Canvas, "
            "then export again (--out-of POINTS rescales)"
        )
    elif abs(worth - top) > 1e-6:
        warnings.append(
            f"{names[at]!r} is worth {plain(worth)} points in Canvas, the grades are out of "
            f"{plain(top)}: pass --out-of {plain(worth)} to rescale them"
        )
    rows = {
        r.line: Row(r.line, _name(r, names), {c: r.cell(names.index(c)) for c in ids})
        for r in students
    }
    paired, unmatched = match(sorted(marks), list(rows.values()))
    by_line = {r.line: r for r in students}
    changes: dict[csvtext.Field, str] = {}
    overwritten = []
    for student, row in paired.items():
        record = by_line[row.line]
        before = record.cell(at)
        if before.strip().upper() == "EX":
            warnings.append(f"{student} is excused (EX) in Canvas: their cell is left as it is")
            continue
        score = marks[student].points
        value = plain(score).replace(".", ",") if comma else plain(score)
        if at < len(record.fields):
            cell = record.fields[at]
            changes[cell] = csvtext.quote(value, delimiter, cell.quoted)
        else:  # a short row: its text stays, the fields up to the column are appended
            last = record.fields[-1]
            pad = delimiter * (at - len(record.fields) + 1)
            changes[last] = text[last.start : last.end] + pad + csvtext.quote(value, delimiter)
        if held(before, score):
            overwritten.append(Overwritten(student, row.described(), before.strip(), value))
    short = sum(len(r.fields) < len(names) for r in students)
    notices = [
        f"{source}: read as a Canvas gradebook export, fields separated by "
        + ("semicolons" if delimiter == ";" else "commas")
        + (", decimal commas" if comma else "")
        + (f"; {short} row(s) shorter than the header, as Canvas reads them" if short else "")
    ]
    return Export(
        csvtext.splice(text, changes),
        len(changes),
        tuple(unmatched),
        tuple(warnings),
        tuple(overwritten),
        tuple(notices),
    )
